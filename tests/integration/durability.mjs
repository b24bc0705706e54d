// Chat durability: history replay, seq across SIGTERM restarts and kill -9 mid-burst, rooms re-created later.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture } from '../lib/fixture.mjs';
import { eventually } from '../lib/wait.mjs';

// Sends texts one at a time from c and returns the chat objects as delivered.
async function chatMany(c, texts) {
  const out = [];
  for (const text of texts) out.push(await c.request({ type: 'chat', text }, 'chat'));
  return out;
}

const numbered = (n, prefix = 'msg') => Array.from({ length: n }, (_, i) => `${prefix} ${i + 1}`);

test('joined replays exactly the latest 50 chat messages, oldest first', { timeout: 30000 }, fixture(async (t) => {
  const d = await t.daemon();
  const [a] = await d.clients(1, 'kitchen');
  const sent = await chatMany(a, numbered(60));
  assert.deepEqual(sent.map((m) => m.seq), numbered(60).map((_, i) => i + 1));
  const b = await d.client();
  const joined = await b.join('kitchen', 'late');
  assert.equal(joined.history.length, 50);
  assert.deepEqual(joined.history, sent.slice(10));
}));

test('history_length sets how many messages are replayed', { timeout: 30000 }, fixture(async (t) => {
  const d = await t.daemon({ config: '[rooms]\nhistory_length=5\n' });
  const [a] = await d.clients(1, 'kitchen');
  const sent = await chatMany(a, numbered(8));
  assert.deepEqual((await (await d.client()).join('kitchen', 'late')).history, sent.slice(3));
}));

test('history and seq survive a SIGTERM restart', { timeout: 30000 }, fixture(async (t) => {
  const d1 = await t.daemon();
  const [a] = await d1.clients(1, 'kitchen');
  const sent = await chatMany(a, numbered(3));
  assert.deepEqual(await d1.stop('SIGTERM'), { code: 0, signal: null }, 'exit status on SIGTERM');

  const d2 = await t.daemon({ dataDir: d1.dataDir });
  const b = await d2.client();
  assert.deepEqual((await b.join('kitchen', 'bob')).history, sent);
  assert.equal((await b.request({ type: 'chat', text: 'after restart' }, 'chat')).seq, 4);
}));

test('every chat delivered before kill -9 is in the history afterwards, and seq is not reused', { timeout: 30000 }, fixture(async (t) => {
  const config = '[rooms]\nrate_limit=0\nhistory_length=1000\n';
  const d1 = await t.daemon({ config });
  const [a, b] = await d1.clients(2, 'kitchen');
  const seenByB = [];
  let stopPump = false;
  // a keeps 8 messages in flight; b records what it receives; the daemon dies mid-stream.
  const pump = (async () => {
    for (let i = 0; i < 8; i++) a.send({ type: 'chat', text: `burst ${i}` }).catch(() => {});
    for (let i = 8; !stopPump; i++) {
      try {
        await a.next('chat', { timeout: 10000 });
        await a.send({ type: 'chat', text: `burst ${i}` });
      } catch {
        return;
      }
    }
  })();
  for (;;) {
    seenByB.push(await b.next('chat', { timeout: 10000 }));
    if (seenByB.length === 40) break;
  }
  const killed = await d1.stop('SIGKILL');
  assert.equal(killed.signal, 'SIGKILL');
  stopPump = true;
  await Promise.all([a.closed, b.closed]);
  await pump;
  // Whatever a got as delivered counts as well.
  const seenByA = a.received.map((e) => e.msg).filter((m) => m.type === 'chat');
  const delivered = new Map([...seenByA, ...seenByB].map((m) => [m.seq, m]));

  const d2 = await t.daemon({ config, dataDir: d1.dataDir });
  const c = await d2.client();
  const history = (await c.join('kitchen', 'carol')).history;
  assert.deepEqual(history.map((m) => m.seq), history.map((_, i) => i + 1), 'stored seqs are 1..N without gaps');
  const bySeq = new Map(history.map((m) => [m.seq, m]));
  for (const [seq, m] of delivered) assert.deepEqual(bySeq.get(seq), m, `delivered chat seq ${seq} after the restart`);
  t.diagnostic(`${delivered.size} chats seen delivered before kill -9, ${history.length} stored`);
  const next = await c.request({ type: 'chat', text: 'after kill' }, 'chat');
  assert.equal(next.seq, history.length + 1);
  assert.ok(next.seq > Math.max(...delivered.keys()), 'seq is not reused');
}));

test('a room re-created later continues its seq and history', { timeout: 30000 }, fixture(async (t) => {
  const d = await t.daemon();
  const [a] = await d.clients(1, 'kitchen');
  const sent = await chatMany(a, numbered(2));
  await a.request({ type: 'leave' }, 'left');
  await eventually(async () => (await d.api('/api/rooms')).rooms.length === 0, { what: 'the empty room vanishing' });
  const b = await d.client();
  assert.deepEqual((await b.join('kitchen', 'bob')).history, sent);
  assert.equal((await b.request({ type: 'chat', text: 'again' }, 'chat')).seq, 3);
  // Case matters: "Kitchen" is a room of its own.
  const c = await d.client();
  assert.deepEqual((await c.join('Kitchen', 'carol')).history, []);
  assert.equal((await c.request({ type: 'chat', text: 'first' }, 'chat')).seq, 1);
}));
