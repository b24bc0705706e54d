// node:test's TAP reporter for meson: the same output without blank lines, which meson 1.0's TAP parser takes for
// the end of a YAML block, and each failure's error on stderr too, which meson --print-errorlogs shows.
import { inspect } from 'node:util';
import { tap } from 'node:test/reporters';

async function* failuresToStderr(events) {
  for await (const event of events) {
    if (event.type === 'test:fail' && !event.data.todo) {
      const { error } = event.data.details;
      process.stderr.write(`not ok - ${event.data.name}\n${inspect(error?.cause ?? error)}\n`);
    }
    yield event;
  }
}

export default async function* tapForMeson(events) {
  for await (const chunk of tap(failuresToStderr(events))) yield chunk.replace(/^[ \t]*\n/gm, '');
}
