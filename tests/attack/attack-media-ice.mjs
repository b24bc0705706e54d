// Attack: remote ICE candidates the device must not try (loopback, link-local, multicast, names) are dropped, a call takes at most [media] max_ice_candidates, and a candidate flood is rate-limited like chat.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture } from '../lib/fixture.mjs';
import { eventually } from '../lib/wait.mjs';
import { assertChatRoundTrip, assertRssUnder, vmRssKiB } from '../lib/bounds.mjs';
import { offer } from '../lib/device-offer.mjs';

// callbox-call's debug lines say which candidates a call dropped and why.
const ENV = { GST_DEBUG: 'callbox-call:5', GST_DEBUG_NO_COLOR: '1' };
// The baseline is taken with the call running. A candidate is a few hundred bytes and a call
// keeps at most max_ice_candidates of them; refused ones keep nothing. 32 MiB covers the call's
// buffer pools still filling up after its answer, and the allocator's slack.
const ALLOWANCE_KIB = 32 * 1024;
const WHY = 'the running call\'s pools filling up; kept candidates are a few KiB, refused ones nothing';

const ice = (candidate) => ({ type: 'signal', to: 'device', data: { ice: { candidate, sdpMid: '0', sdpMLineIndex: 0 } } });
const host = (address, port) => `candidate:1 1 udp 2122260223 ${address} ${port} typ host generation 0`;
// (Each line once: the test library may hand the daemon's output over twice.)
const dropped = (d) => [...new Set(d.output().split('\n').filter((l) => l.includes('dropped a candidate')))];

// A daemon whose caller has a call with the device (answer received).
async function inCall(t, config = '') {
  const d = await t.daemon({ config: `[media]\nice_addresses=127.0.0.1\n${config}`, env: ENV });
  const [caller] = await d.clients(1, 'kitchen', 'caller');
  await caller.send({ type: 'signal', to: 'device', data: { sdp: { type: 'offer', sdp: offer(['audio', 'video']) } } });
  await caller.next('signal', { timeout: 30000, where: (m) => m.data.sdp });
  return { d, caller, rss: vmRssKiB(d.pid) };
}

test('loopback, link-local, multicast, unspecified and named candidates are dropped; ice_addresses lets 127.0.0.1 through', { timeout: 60000 }, fixture(async (t) => {
  const { d, caller, rss } = await inCall(t);
  const refused = ['127.0.0.2', '::1', '169.254.10.20', 'fe80::1', '224.0.0.251', 'ff02::fb', '0.0.0.0',
    '9b36eaac-bb2e-49bb-bb78-21c41c499900.local'];
  for (const [i, address] of refused.entries()) await caller.send(ice(host(address, 40000 + i)));
  await caller.send(ice(host('127.0.0.1', 40100))); // listed in ice_addresses: tried
  await eventually(() => dropped(d).length >= refused.length, { timeout: 15000, what: 'the drop log lines' });
  const lines = dropped(d);
  for (const address of refused) assert.ok(lines.some((l) => l.includes(address)), `${address} was not dropped:\n${lines.join('\n')}`);
  assert.ok(!lines.some((l) => l.includes(' 127.0.0.1')), `127.0.0.1 was dropped:\n${lines.join('\n')}`);
  assert.equal(lines.length, refused.length);
  await caller.expectNone('error', 200); // dropped quietly, as candidates always were
  assertRssUnder(t, d, rss, ALLOWANCE_KIB, WHY);
  await assertChatRoundTrip(d);
}));

test('a call keeps at most max_ice_candidates remote candidates', { timeout: 60000 }, fixture(async (t) => {
  const { d, caller, rss } = await inCall(t, 'max_ice_candidates=5\n');
  for (let i = 0; i < 8; i++) await caller.send(ice(host('127.0.0.1', 41000 + i)));
  await eventually(() => dropped(d).length >= 3, { timeout: 15000, what: 'three drop log lines' });
  assert.equal(dropped(d).filter((l) => l.includes('past the first 5')).length, 3);
  assertRssUnder(t, d, rss, ALLOWANCE_KIB, WHY);
  await assertChatRoundTrip(d);
}));

test('a flood of candidates to the device is rate-limited like any message', { timeout: 60000 }, fixture(async (t) => {
  const { d, caller, rss } = await inCall(t);
  // 300 candidates at once, three times the bucket: most of them are refused.
  for (let i = 0; i < 300; i++) await caller.send(ice(host('169.254.1.1', 42000 + i)));
  const err = await caller.next('error', { timeout: 15000 });
  assert.equal(err.code, 'rate-limited');
  assert.equal(err.re, 'signal');
  assertRssUnder(t, d, rss, ALLOWANCE_KIB, WHY);
  await assertChatRoundTrip(d);
}));
