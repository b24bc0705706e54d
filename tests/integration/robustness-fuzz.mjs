// Garbage and fuzzed frames, raw TCP junk and many connect/disconnect cycles never crash the daemon or leak rooms and descriptors.
import net from 'node:net';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture } from '../lib/fixture.mjs';
import { assertShape, is } from '../lib/match.mjs';
import { eventually, delay } from '../lib/wait.mjs';

// A small seeded PRNG (mulberry32) so a failure can be replayed with FUZZ_SEED.
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 1000000);
const random = prng(seed);
const pick = (xs) => xs[Math.floor(random() * xs.length)];
const randomInt = (n) => Math.floor(random() * n);

const templates = [
  { type: 'join', room: 'fuzz', nick: 'fuzzer', code: '1234' }, { type: 'leave' }, { type: 'nick', nick: 'n' },
  { type: 'chat', text: 'hi' }, { type: 'whisper', to: 'p1', text: 'psst' }, { type: 'list-rooms' },
  { type: 'signal', to: 'p1', data: { sdp: { type: 'offer', sdp: 'v=0' } } },
  { type: 'signal', to: 'p1', data: { ice: { candidate: '', sdpMid: '0', sdpMLineIndex: 0 } } },
  { type: 'media', audio: true, video: false },
];
const oddValues = [null, true, false, 0, -1, 1.5, -0, 1e308, 2 ** 53 + 1, '', ' ', 'x', '\u0000', '\u202e', '😀'.repeat(50),
  [], {}, [1, [2, [3]]], { type: 'chat' }, 'p0', 'device', 'x'.repeat(3000)];

// Frames as strings (sent as text) or Buffers (raw bytes sent as a text frame).
function* garbage() {
  for (let i = 0; i < 150; i++) {
    const len = randomInt(300);
    yield Buffer.from(Array.from({ length: len }, () => randomInt(256)));
  }
  for (let i = 0; i < 150; i++) yield Array.from({ length: randomInt(200) }, () => String.fromCharCode(32 + randomInt(95))).join('');
  // Every member of every message with values of the wrong type.
  for (const tpl of templates) {
    for (const key of Object.keys(tpl)) {
      for (const v of oddValues) yield JSON.stringify({ ...tpl, [key]: v });
    }
  }
  // Mutated valid messages: characters dropped, duplicated or replaced.
  for (let i = 0; i < 300; i++) {
    const chars = [...JSON.stringify(pick(templates))];
    for (let k = 1 + randomInt(4); k > 0; k--) {
      const at = randomInt(chars.length);
      const op = randomInt(3);
      if (op === 0) chars.splice(at, 1);
      else if (op === 1) chars.splice(at, 0, chars[at]);
      else chars[at] = pick(['{', '}', '[', ']', '"', ',', ':', '\\', '\u0000', 'é', '😀', '9']);
    }
    yield chars.join('');
  }
  // Deep nesting, huge numbers, odd strings and shapes.
  yield '['.repeat(30000) + ']'.repeat(30000);
  yield '{"a":'.repeat(10000) + '1' + '}'.repeat(10000);
  yield `{"type":"join","room":${'['.repeat(20000)}${']'.repeat(20000)},"nick":"x"}`;
  yield `{"type":"chat","text":{"type":${'{"type":'.repeat(5000)}"chat"${'}'.repeat(5000)}}}`;
  yield '{"type":"chat","text":1e999999}';
  yield '{"type":"chat","text":-1e-999999}';
  yield `{"type":"join","room":"r","nick":"x","code":${'9'.repeat(5000)}}`;
  yield '{"type":"media","audio":NaN,"video":Infinity}';
  yield '{"type":"chat","text":"\\ud800"}';
  yield '{"type":"chat","text":"\\udfff\\ud800x"}';
  yield '{"type":"join","room":"\\ud83d","nick":"\\ude00"}';
  yield '{"type":"chat","type":"join","room":"dup","nick":"dup","room":"dup2"}';
  yield `{"type":"${'t'.repeat(60000)}"}`;
  yield JSON.stringify(Object.fromEntries(Array.from({ length: 4000 }, (_, i) => [`k${i}`, i]).concat([['type', 'chat']])));
  yield '\ufeff{"type":"list-rooms"}';
  yield Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]);
  yield Buffer.from('{"type":"chat","text":"\xc0\xaf overlong"}', 'latin1');
  yield Buffer.from([0xed, 0xa0, 0x80]);   // a UTF-8 encoded surrogate
}

test('garbage frames never crash the daemon, in or out of a room', { timeout: 120000 }, fixture(async (t) => {
  t.diagnostic(`FUZZ_SEED=${seed}`);
  const d = await t.daemon({ config: '[rooms]\nrate_limit=0\n' });
  const [witness] = await d.clients(1, 'fuzz', 'witness');
  let c = null;
  let sent = 0;
  let reconnects = 0;
  for (const frame of garbage()) {
    if (!c || !c.open) {
      reconnects++;
      c = await d.client();
      if (reconnects % 2 === 0) await c.join('fuzz', `f${reconnects}`);
    }
    await c.sendRaw(frame).catch(() => {});
    sent++;
    // A round trip now and then makes sure the daemon has really chewed on what was sent.
    if (sent % 25 === 0 && c.open) await c.assertAlive().catch(() => {});
    assert.ok(d.running, `callboxd died after frame ${sent}: ${String(frame).slice(0, 200)}`);
  }
  // The last frames are invalid UTF-8, which the daemon answers with close 1007 and closes the
  // socket at once: a round trip on that connection may race the close. A failure counts only
  // if the connection was not closed by the daemon.
  if (c.open) {
    await c.assertAlive().catch(async (e) => {
      const closed = await Promise.race([c.closed, delay(2000).then(() => null)]);
      if (!closed) throw e;
    });
  }
  t.diagnostic(`${sent} frames on ${reconnects} connections`);
  assert.ok(d.running, 'callboxd died');
  assertShape(await d.api('/api/health'), { status: 'ok', uptime_s: is.int(0), media: is.oneOf('running', 'degraded', 'off') }, 'health');
  await witness.assertAlive();
  const fresh = await d.client();
  await fresh.join('after-fuzz', 'ok');
  assert.equal((await fresh.request({ type: 'chat', text: 'still fine' }, 'chat')).text, 'still fine');
}));

// Opens a raw TCP connection, writes `data` and ends it (or just drops it).
function rawTcp(url, data, { end = true } = {}) {
  const u = new URL(url);
  return new Promise((resolve) => {
    const s = net.connect(Number(u.port), u.hostname, () => {
      if (data) s.write(data);
      if (end) s.end();
      else s.destroy();
    });
    s.on('data', () => {});
    s.on('error', () => resolve());
    s.on('close', () => resolve());
    s.setTimeout(5000, () => s.destroy());
  });
}

test('raw TCP junk and half-finished handshakes do not disturb the daemon', { timeout: 30000 }, fixture(async (t) => {
  const d = await t.daemon();
  const [c] = await d.clients(1, 'kitchen');
  const junk = [
    'garbage\r\n\r\n', 'GET /ws HTTP/1.1\r\n', 'GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
    'GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n\x81\xff',
    `GET /${'a'.repeat(100000)} HTTP/1.1\r\n\r\n`, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)), '',
  ];
  for (let i = 0; i < 5; i++) await Promise.all(junk.map((j, k) => rawTcp(d.url, j, { end: k % 2 === 0 })));
  assert.ok(d.running);
  await c.assertAlive();
  assertShape(await d.api('/api/rooms'), { rooms: [{ name: 'kitchen', count: 1 }] }, '/api/rooms');
}));

test('many connect/disconnect cycles leave no rooms or descriptors behind', { timeout: 90000 }, fixture(async (t) => {
  const d = await t.daemon();
  const cycle = async (i) => {
    const c = await d.client({ label: `cycle${i}` });
    if (i % 3 !== 0) await c.join(`room${i % 5}`, `n${i}`);
    if (i % 2 === 0) await c.close();
    else await c.terminate();
  };
  await cycle(0);
  const before = d.openFds();
  for (let batch = 0; batch < 30; batch++) {
    await Promise.all(Array.from({ length: 10 }, (_, k) => cycle(1 + batch * 10 + k)));
  }
  await eventually(async () => assert.deepEqual(await d.api('/api/rooms'), { rooms: [] }), { what: 'all rooms gone' });
  if (before !== null) {
    await eventually(() => d.openFds() <= before + 3, { what: `open descriptors back to ${before} (now ${d.openFds()})` });
  }
  const c = await d.client();
  await c.join('room1', 'n1');
  assert.equal((await c.request({ type: 'chat', text: 'after cycles' }, 'chat')).seq, 1);
}));
