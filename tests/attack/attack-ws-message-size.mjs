// Attacks on the incoming message limit: one frame too large, a message of many small fragments, a compressed (deflate) frame.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture } from '../lib/fixture.mjs';
import { assertRssGrowth, bystander, clientFrame, rawWebSocket, watchRss } from './attack-lib.mjs';

const LIMIT = 65536;
// What the daemon may hold for one attacker is libsoup's read buffer (one frame, at most the
// limit) and the fragments gathered so far (at most the limit): 128 KiB. The ceiling leaves 8 MiB
// for the allocator and the rest of the run; without the meter a 64 MiB message is 64 MiB.
const CEILING_KIB = 8 * 1024;
const FRAGMENT = 60000;
const FRAGMENTS = 1100; // 66 MB in all, each fragment under the limit

test('a message of many fragments is stopped at 65,536 bytes: too-large, then 1009', { timeout: 120000 }, fixture(async (t) => {
  const d = await t.daemon({ config: '[rooms]\nrate_limit = 0\n' });
  const normal = await bystander(t, d);
  const attacker = await d.client({ label: 'fragments' });
  const base = d.rssKib();
  const rss = watchRss(d);
  // Sends fragments while the socket takes them; the daemon stops reading after the limit, so
  // most of them wait in the kernel or here.
  const chunk = Buffer.alloc(FRAGMENT, 'a');
  for (let i = 0; i < FRAGMENTS && attacker.open; i++) attacker.ws.send(chunk, { binary: false, fin: i === FRAGMENTS - 1 });
  const err = await attacker.next('error', { timeout: 30000 });
  assert.equal(err.code, 'too-large', JSON.stringify(err));
  await normal.check('a 66 MB fragmented message');
  const { code } = await attacker.closed;
  assert.equal(code, 1009, 'close code');
  assertRssGrowth(t, base, rss.stop(), CEILING_KIB, 'a fragmented message is counted as it is read');
  const m = await d.get('/metrics');
  assert.match(m.body, /^callbox_too_large_closed_total 1$/m);
}));

test('one frame over 65,536 bytes gets too-large and 1009, whatever its size', { timeout: 60000 }, fixture(async (t) => {
  const d = await t.daemon();
  const normal = await bystander(t, d);
  for (const size of [LIMIT + 1, 300000, 16 * 1024 * 1024]) {
    const c = await d.client({ label: `frame-${size}` });
    c.ws.send(Buffer.alloc(size, 'b'), { binary: false });
    const err = await c.next('error', { timeout: 30000 });
    assert.equal(err.code, 'too-large', `${size} bytes: ${JSON.stringify(err)}`);
    assert.equal((await c.closed).code, 1009, `${size} bytes: close code`);
  }
  // Exactly the limit is still a message (bad JSON, but read and answered; the connection stays).
  const edge = await d.client({ label: 'edge' });
  await edge.expectError('x'.repeat(LIMIT), 'bad-json');
  await edge.assertAlive();
  await normal.check('frames over the limit');
}));

test('permessage-deflate is not offered, and a compressed frame closes the connection (1002) unread', { timeout: 60000 }, fixture(async (t) => {
  const d = await t.daemon();
  const normal = await bystander(t, d);
  const raw = await rawWebSocket(d.wsUrl, {
    extraHeaders: 'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n',
  });
  assert.equal(raw.headers['sec-websocket-extensions'], undefined, 'the 101 response accepts no extension');
  // A deflate bomb: 1 KiB of deflate that would inflate to about 1 MiB. RSV1 without a
  // negotiated extension is a protocol error.
  raw.socket.write(clientFrame(Buffer.alloc(1024, 0), { rsv1: true }));
  assert.equal(await raw.closeCode(), 1002, 'close code for a frame with RSV1 set');
  await normal.check('a compressed frame');
}));
