// The packaged arm64 callboxd under qemu-user: it starts, serves the packaged app, relays a chat and answers /api/health with media running.
// CALLBOXD is the wrapper board/arm64/build writes; CALLBOX_ARM64_PKG the unpacked .deb.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { skipFile } from '../lib/skip.mjs';

const pkg = process.env.CALLBOX_ARM64_PKG;
if (!pkg || !existsSync(process.env.CALLBOXD ?? '') || !existsSync(join(pkg, 'usr/sbin/callboxd'))) {
  skipFile('no arm64 build: the arm64-build test (board/arm64/build) did not run or failed');
}
const { fixture } = await import('../lib/fixture.mjs');
const { getJson } = await import('../lib/http.mjs');
const { assertShape, is, peerOf } = await import('../lib/match.mjs');

const webDir = join(pkg, 'usr/share/callbox/web');
// The device's own test sources at the smallest size: GStreamer's pipelines run, emulated.
const config = `[media]\npipelines_dir=${join(pkg, 'usr/share/callbox/pipelines')}\nvideo_source=test\naudio_source=test\nwidth=320\nheight=240\nframerate=5\n`;

test('the arm64 daemon serves the packaged app, relays a chat and reports its health', { timeout: 300000 }, fixture(async (t) => {
  const d = await t.daemon({ config, args: ['--web-dir', webDir] });
  assert.match(d.output(), /listening on http:\/\/127\.0\.0\.1:/);

  for (const file of ['index.html', 'app.js']) {
    const r = await d.get(`/${file === 'index.html' ? '' : file}`, { timeout: 60000 });
    assert.equal(r.status, 200, `GET /${file}`);
    assert.equal(r.body, readFileSync(join(webDir, file), 'utf8'), `/${file} is the packaged one`);
  }

  const [a, b] = await d.clients(2, 'kitchen');
  const since = Date.now();
  const sent = await a.request({ type: 'chat', text: 'hello from arm64' }, 'chat');
  assertShape(sent, { type: 'chat', room: 'kitchen', seq: 1, from: peerOf(a), text: 'hello from arm64', ts: is.ts(since) }, 'chat');
  assert.deepEqual(await b.next('chat'), sent, 'the other member gets the same chat');

  // media "running": the capture pipeline (videotestsrc, audiotestsrc, the encoders) started.
  assertShape(await getJson(d.url, '/api/health'), { status: 'ok', uptime_s: is.int(0), media: 'running' }, 'health');
}));
