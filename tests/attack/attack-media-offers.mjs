// Attack: offers to the device over the limits ([media] max_sdp_bytes, one audio and one video m-line) get bad-message and build nothing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture } from '../lib/fixture.mjs';
import { assertChatRoundTrip, assertRssUnder, threadCount, vmRssKiB } from '../lib/bounds.mjs';
import { offer } from '../lib/device-offer.mjs';

const CONFIG = '[media]\nice_addresses=127.0.0.1\n';
// A refused offer keeps nothing once its error is sent. What may grow is the allocator's cache of
// freed frame buffers (libsoup's 64 KiB frames, the parsed copy, the SDP text): 32 MiB is 500 such
// frames, five times what one connection's bucket lets through in its burst.
const ALLOWANCE_KIB = 32 * 1024;
const WHY = 'refused offers keep nothing; 500 freed 64 KiB frames of allocator slack';

const signal = (data) => ({ type: 'signal', to: 'device', data });
const sdpSignal = (sdp) => signal({ sdp: { type: 'offer', sdp } });

// The daemon, a caller in a room, and the figures before the attack.
async function setUp(t) {
  const d = await t.daemon({ config: CONFIG });
  const [caller] = await d.clients(1, 'kitchen', 'caller');
  await caller.assertAlive();
  return { d, caller, rss: vmRssKiB(d.pid), threads: threadCount(d.pid) };
}

// The device built no pipeline: nothing is captured, and the daemon has no more threads than before.
function assertNothingStarted(d, threadsBefore) {
  assert.doesNotMatch(d.output(), /media: capturing/, 'a refused offer started the capture pipeline');
  assert.ok(threadCount(d.pid) <= threadsBefore, `threads went from ${threadsBefore} to ${threadCount(d.pid)}`);
}

test('an offer over max_sdp_bytes (default 16384) gets bad-message and starts nothing', { timeout: 60000 }, fixture(async (t) => {
  const { d, caller, rss, threads } = await setUp(t);
  const big = offer(['audio', 'video'], 20000);
  assert.ok(big.length > 16384 && big.length < 65536, `${big.length} bytes: over the SDP limit, under the frame limit`);
  const err = await caller.expectError(sdpSignal(big), 'bad-message', { re: 'signal' });
  assert.match(err.message, /at most 16384/);
  // Over and over: each is refused (or rate-limited once the bucket is empty), none is built.
  for (let i = 0; i < 150; i++) await caller.send(sdpSignal(big));
  const codes = new Set();
  for (let i = 0; i < 150; i++) codes.add((await caller.next('error', { timeout: 15000 })).code);
  assert.deepEqual([...codes].filter((c) => c !== 'bad-message' && c !== 'rate-limited'), []);
  assertNothingStarted(d, threads);
  assertRssUnder(t, d, rss, ALLOWANCE_KIB, WHY);
  await assertChatRoundTrip(d);
}));

test('an offer with two video or two audio m-lines, or four m-lines, gets bad-message; one of each is a call', { timeout: 60000 }, fixture(async (t) => {
  const { d, caller, rss, threads } = await setUp(t);
  for (const kinds of [['audio', 'video', 'video'], ['audio', 'audio'], ['video', 'video', 'video'], ['audio', 'video', 'video', 'audio']]) {
    const err = await caller.expectError(sdpSignal(offer(kinds)), 'bad-message', { re: 'signal' });
    assert.match(err.message, /m-line/, kinds.join(','));
  }
  await caller.expectNone('call-state', 200);
  assertNothingStarted(d, threads);
  assertRssUnder(t, d, rss, ALLOWANCE_KIB, WHY);
  await assertChatRoundTrip(d);

  // The same offer within the limits is a call: the refusals above were the limits, not the SDP.
  await caller.send(sdpSignal(offer(['audio', 'video'])));
  assert.equal((await caller.next('call-state', { timeout: 30000 })).state, 'connecting');
  const answer = await caller.next('signal', { timeout: 30000, where: (m) => m.data.sdp });
  assert.equal(answer.data.sdp.type, 'answer');
  await caller.send(signal({ bye: true }));
  assert.equal((await caller.next('call-state', { timeout: 30000, where: (m) => m.state !== 'connecting' })).state, 'ended');
}));

test('an over-limit offer leaves the caller\'s running call alone', { timeout: 60000 }, fixture(async (t) => {
  const { caller } = await setUp(t);
  await caller.send(sdpSignal(offer(['audio', 'video'])));
  await caller.next('signal', { timeout: 30000, where: (m) => m.data.sdp });
  await caller.expectError(sdpSignal(offer(['video', 'video'])), 'bad-message', { re: 'signal' });
  await caller.expectNone('call-state', 300, (m) => m.state !== 'connecting');
  await caller.send(signal({ bye: true }));
  assert.equal((await caller.next('call-state', { timeout: 30000, where: (m) => m.state !== 'connecting' })).state, 'ended');
}));
