// node:test's TAP reporter for meson: the same output without blank lines, which meson 1.0's TAP parser takes for the end of a YAML block.
import { tap } from 'node:test/reporters';

export default async function* tapForMeson(source) {
  for await (const chunk of tap(source)) yield chunk.replace(/^[ \t]*\n/gm, '');
}
