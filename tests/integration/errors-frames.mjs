// Errors about frames and traffic: bad-json, bad-message, too-large (close 1009) and rate-limited.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture } from '../lib/fixture.mjs';
import { assertError, ANY, peerOf } from '../lib/match.mjs';
import { delay } from '../lib/wait.mjs';

test('unparsable JSON gets bad-json and the connection stays open', { timeout: 30000 }, fixture(async (t) => {
  const d = await t.daemon();
  const c = await d.client();
  await c.expectErrors(['{"type":"chat"', 'not json', "{'type':'list-rooms'}", '{"type":"list-rooms"} {"type":"list-rooms"}',
    '{"type":"list-rooms"}}', '', ' '], 'bad-json');
  await c.assertAlive();
}));

test('binary frames get bad-message and the connection stays open', { timeout: 30000 }, fixture(async (t) => {
  const d = await t.daemon();
  const [c, other] = await d.clients(2, 'kitchen');
  await c.expectError(Buffer.from(JSON.stringify({ type: 'chat', text: 'binary' })), 'bad-message', { binary: true, re: ANY });
  await c.expectError(Buffer.alloc(0), 'bad-message', { binary: true, re: ANY });
  await c.expectError(Buffer.from([0, 1, 2, 255]), 'bad-message', { binary: true, re: ANY });
  await other.expectNone('chat', 0);
  await c.assertAlive();
}));

test('JSON that is not an object gets bad-message', { timeout: 30000 }, fixture(async (t) => {
  const d = await t.daemon();
  const c = await d.client();
  await c.expectErrors(['[1,2]', '"chat"', '42', 'null', 'true', '[{"type":"list-rooms"}]'], 'bad-message');
  await c.assertAlive();
}));

test('unknown types and missing or mistyped members get bad-message, changing nothing', { timeout: 30000 }, fixture(async (t) => {
  const d = await t.daemon();
  const [c, other] = await d.clients(2, 'kitchen');
  await c.expectError({}, 'bad-message');
  await c.expectError({ text: 'no type' }, 'bad-message');
  await c.expectError({ type: 5 }, 'bad-message', { re: ANY });
  await c.expectError({ type: null }, 'bad-message', { re: ANY });
  await c.expectError({ type: ['chat'] }, 'bad-message', { re: ANY });
  await c.expectError({ type: 'frobnicate' }, 'bad-message');
  await c.expectError({ type: 'CHAT', text: 'x' }, 'bad-message');
  const malformed = [
    { type: 'chat' }, { type: 'chat', text: 5 }, { type: 'chat', text: null }, { type: 'chat', text: ['hi'] },
    { type: 'whisper', text: 'x' }, { type: 'whisper', to: 5, text: 'x' }, { type: 'whisper', to: other.id },
    { type: 'whisper', to: other.id, text: { t: 'x' } },
    { type: 'nick' }, { type: 'nick', nick: ['a'] }, { type: 'nick', nick: 7 },
    { type: 'join', nick: 'x' }, { type: 'join', room: 'r' }, { type: 'join', room: 5, nick: 'x' },
    { type: 'join', room: 'r', nick: false }, { type: 'join', room: 'r', nick: 'x', code: 1234 },
    { type: 'media', audio: true }, { type: 'media', audio: 'yes', video: false }, { type: 'media', audio: 1, video: 0 },
    { type: 'signal', data: { bye: true } }, { type: 'signal', to: 5, data: { bye: true } }, { type: 'signal', to: other.id },
  ];
  await c.expectErrors(malformed, 'bad-message');
  // Nothing of that reached the room, and c is still in it under its nick.
  await other.expectNone(['chat', 'whisper', 'nick-changed', 'peer-left', 'peer-joined', 'media', 'signal'], 0);
  const chat = await c.request({ type: 'chat', text: 'still here' }, 'chat');
  assert.deepEqual([chat.room, chat.seq, chat.from], ['kitchen', 1, peerOf(c)]);
}));

test('a frame of exactly 65536 bytes is accepted', { timeout: 30000 }, fixture(async (t) => {
  const d = await t.daemon();
  const c = await d.client();
  const base = JSON.stringify({ type: 'list-rooms' });
  const frame = base + ' '.repeat(65536 - base.length);
  assert.equal(Buffer.byteLength(frame), 65536);
  await c.sendRaw(frame);
  await c.next('rooms');
  await c.assertAlive();
}));

async function expectTooLarge(d, c, other) {
  const closed = await c.closed;
  assert.equal(closed.code, 1009, `close code after a 70 KiB message: ${JSON.stringify(closed)}`);
  const errors = c.received.filter((e) => e.msg.type === 'error').map((e) => e.msg);
  assert.ok(errors.length <= 1, `more than one error before the close: ${JSON.stringify(errors)}`);
  if (errors.length) assertError(errors[0], 'too-large', ANY, 'a 70 KiB message');
  if (other) {
    await other.next('peer-left', { where: (m) => m.peer.id === c.id });
    await other.expectNone('chat', 0);
    await other.assertAlive();
  }
  await (await d.client()).assertAlive();
}

test('a 70 KiB frame closes the connection with 1009', { timeout: 30000 }, fixture(async (t) => {
  const d = await t.daemon();
  const [c, other] = await d.clients(2, 'kitchen');
  c.sendRaw(JSON.stringify({ type: 'chat', text: 'x'.repeat(70 * 1024) })).catch(() => {});
  await expectTooLarge(d, c, other);
}));

test('a client offering permessage-deflate gets no extension, and a 70 KiB message still closes with 1009', { timeout: 30000 }, fixture(async (t) => {
  const d = await t.daemon();
  const c = await d.client({ perMessageDeflate: true });
  assert.equal(c.ws.extensions, '', 'no extension is negotiated (docs/decisions/0002-websocket-compression.md)');
  const base = JSON.stringify({ type: 'list-rooms' });
  c.sendRaw(base + ' '.repeat(70 * 1024)).catch(() => {});
  await expectTooLarge(d, c);
}));

// Sends n chats back to back; returns {accepted: chat objects, refused: error objects}.
async function chatBurst(c, n) {
  await Promise.all(Array.from({ length: n }, (_, i) => c.send({ type: 'chat', text: `m${i}` })));
  const accepted = [];
  const refused = [];
  for (let i = 0; i < n; i++) {
    const m = await c.next(['chat', 'error'], { timeout: 10000 });
    (m.type === 'chat' ? accepted : refused).push(m);
  }
  return { accepted, refused };
}

test('a burst of 150 messages is rate-limited; accepted ones are delivered and refused ones use no seq', { timeout: 30000 }, fixture(async (t) => {
  // A bucket of 100 (as the default 20/s × 5 s) that refills at 1 message a second, so that a
  // slow daemon (a sanitized build, a busy machine) taking seconds over the burst does not refill
  // it meanwhile: what is refused depends on the count, not on the machine's speed.
  const d = await t.daemon({ config: '[rooms]\nrate_limit=1\nrate_window=100\n' });
  const [a, b] = await d.clients(2, 'kitchen');
  const { accepted, refused } = await chatBurst(a, 150);
  for (const e of refused) assertError(e, 'rate-limited', ANY, 'a chat burst');
  assert.ok(refused.length >= 30, `only ${refused.length} of 150 refused (capacity is 100)`);
  assert.ok(accepted.length >= 90 && accepted.length <= 115, `${accepted.length} of 150 accepted (capacity is 100)`);
  assert.deepEqual(accepted.map((m) => m.seq), accepted.map((_, i) => i + 1), 'accepted messages have consecutive seqs');
  const order = accepted.map((m) => Number(m.text.slice(1)));
  assert.deepEqual(order, [...order].sort((x, y) => x - y), 'accepted messages keep their order');
  const atB = [];
  for (let i = 0; i < accepted.length; i++) atB.push(await b.next('chat'));
  assert.deepEqual(atB, accepted, 'the other member gets exactly the accepted messages');
  await b.expectNone('chat', 0);
  await b.expectNone('error', 0);

  // The limit is per connection: b is not limited by a's burst.
  assert.equal((await b.request({ type: 'chat', text: 'from b' }, 'chat')).seq, accepted.length + 1);
  // Once a's bucket refills, a's next message continues the sequence.
  let after;
  for (let tries = 0; !after; tries++) {
    assert.ok(tries < 50, 'a stayed rate-limited for 5 s');
    await a.send({ type: 'chat', text: 'after' });
    const m = await a.next(['chat', 'error'], { where: (x) => x.type === 'error' || x.from.id === a.id });
    if (m.type === 'chat') after = m;
    else {
      assertError(m, 'rate-limited', ANY);
      await delay(100);   // the bucket refills at 1 token/s
    }
  }
  assert.equal(after.seq, accepted.length + 2);
  for (const e of refused) assertError(e, 'rate-limited', 'chat', 'a chat burst');
}));

test('rate_limit=0 switches the limit off', { timeout: 30000 }, fixture(async (t) => {
  const d = await t.daemon({ config: '[rooms]\nrate_limit=0\n' });
  const [a] = await d.clients(1, 'kitchen');
  const { accepted, refused } = await chatBurst(a, 150);
  assert.deepEqual(refused, []);
  assert.deepEqual(accepted.map((m) => m.seq), accepted.map((_, i) => i + 1));
}));

test('the rate limit follows rate_limit and rate_window', { timeout: 30000 }, fixture(async (t) => {
  const d = await t.daemon({ config: '[rooms]\nrate_limit=2\nrate_window=5\n' });
  const [a] = await d.clients(1, 'kitchen');
  const { accepted, refused } = await chatBurst(a, 30);
  assert.ok(accepted.length >= 8 && accepted.length <= 13, `${accepted.length} of 30 accepted with a capacity of 10`);
  assert.deepEqual(accepted.map((m) => m.seq), accepted.map((_, i) => i + 1));
  for (const e of refused) assertError(e, 'rate-limited', 'chat');
}));
