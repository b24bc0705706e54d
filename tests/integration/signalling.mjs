// Browser-to-browser signal relay (no echo, data unchanged, malformed data refused) and media state announcements.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture } from '../lib/fixture.mjs';
import { assertShape } from '../lib/match.mjs';

// Sends a signal from `from` to `to` and checks that only `to` receives it, unchanged.
async function relay(from, to, data, bystanders) {
  await from.send({ type: 'signal', to: to.id, data });
  const got = await to.next('signal');
  assertShape(got, { type: 'signal', from: from.id, data: (v) => { assert.deepStrictEqual(v, data); return true; } }, 'relayed signal');
  for (const c of [from, ...bystanders]) await c.expectNone('signal', 0);
}

test('signal reaches only its target, unchanged, with no echo', { timeout: 30000 }, fixture(async (t) => {
  const d = await t.daemon();
  const [a, b, c] = await d.clients(3, 'kitchen');
  const [outsider] = await d.clients(1, 'hall', 'o');
  const sdp = 'v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\na=x-test:é"\\\r\n';
  await relay(a, b, { sdp: { type: 'offer', sdp } }, [c, outsider]);
  await relay(b, a, { sdp: { type: 'answer', sdp } }, [c, outsider]);
  await relay(c, a, { bye: true }, [b, outsider]);
  // Nothing arrived late anywhere.
  for (const x of [a, b, c, outsider]) await x.expectNone('signal');
}));

test('ice data is relayed unchanged, extra members and null sdpMid included', { timeout: 30000 }, fixture(async (t) => {
  const d = await t.daemon();
  const [a, b] = await d.clients(2, 'kitchen');
  const candidate = 'candidate:842163049 1 udp 1677729535 192.0.2.7 50718 typ srflx raddr 0.0.0.0 rport 0 generation 0';
  const cases = [
    { ice: { candidate, sdpMid: '0', sdpMLineIndex: 0 } },
    { ice: { candidate, sdpMid: null, sdpMLineIndex: 1, usernameFragment: 'Ab3x' } },
    { ice: { candidate: `${candidate} ufrag Ab3x network-id 1`, sdpMid: 'audio', sdpMLineIndex: 0, usernameFragment: null } },
    { ice: { candidate: '', sdpMid: '0', sdpMLineIndex: 0 } },
  ];
  for (const data of cases) await relay(a, b, data, []);
}));

test('malformed signal data gets bad-message and is not relayed', { timeout: 30000 }, fixture(async (t) => {
  const d = await t.daemon();
  const [a, b] = await d.clients(2, 'kitchen');
  const sdp = { type: 'offer', sdp: 'v=0\r\n' };
  const ice = { candidate: 'candidate:1 1 udp 1 192.0.2.1 1 typ host', sdpMid: '0', sdpMLineIndex: 0 };
  const malformed = [
    undefined, null, 'bye', 5, [], [{ bye: true }], {},
    { sdp, ice }, { sdp, bye: true }, { ice, bye: true },
    { sdp: 'v=0' }, { sdp: { type: 'bogus', sdp: 'v=0' } }, { sdp: { type: 'offer' } }, { sdp: { type: 'offer', sdp: 5 } },
    { sdp: { sdp: 'v=0' } }, { sdp: null },
    { ice: 'candidate:1' }, { ice: {} }, { ice: { candidate: 5, sdpMid: '0', sdpMLineIndex: 0 } }, { ice: null },
    { bye: 'yes' }, { bye: 1 }, { bye: null },
  ];
  for (const data of malformed) {
    const m = { type: 'signal', to: b.id };
    if (data !== undefined) m.data = data;
    await a.expectError(m, 'bad-message');
  }
  await b.expectNone('signal');
}));

test('media state goes to the other members with the sender id, not to the sender', { timeout: 30000 }, fixture(async (t) => {
  const d = await t.daemon();
  const [a, b, c] = await d.clients(3, 'kitchen');
  const [outsider] = await d.clients(1, 'hall', 'o');
  for (const [audio, video] of [[false, true], [true, false], [true, true], [false, false]]) {
    await a.send({ type: 'media', audio, video });
    const expected = { type: 'media', id: a.id, audio, video };
    assertShape(await b.next('media', { where: (m) => m.id === a.id }), expected, 'media');
    assertShape(await c.next('media', { where: (m) => m.id === a.id }), expected, 'media');
  }
  const fromA = (m) => m.id === a.id;
  await a.expectNone('media', 300, fromA);
  await outsider.expectNone('media', 0, fromA);
  // A mistyped announcement is refused and not relayed.
  await a.expectError({ type: 'media', audio: 'yes', video: true }, 'bad-message');
  await b.expectNone('media', 0, fromA);
}));
