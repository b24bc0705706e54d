// Chat and whisper: one object for everyone, seq numbering, timestamps, trimming, who receives what.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture } from '../lib/fixture.mjs';
import { assertShape, is, peerOf } from '../lib/match.mjs';

const chatFrom = (c, room, seq, text, since) =>
  ({ type: 'chat', room, seq, from: peerOf(c), text, ts: is.ts(since) });

test('chat is one object delivered to every member, sender included; seq starts at 1', { timeout: 30000 }, fixture(async (t) => {
  const d = await t.daemon();
  const members = await d.clients(3, 'kitchen');
  const [outsider] = await d.clients(1, 'hall', 'o');
  const [a, b, c] = members;
  for (const [i, sender] of [a, b, c, a].entries()) {
    const since = Date.now();
    await sender.send({ type: 'chat', text: `hello ${i}` });
    const got = await Promise.all(members.map((m) => m.next('chat')));
    assertShape(got[0], chatFrom(sender, 'kitchen', i + 1, `hello ${i}`, since), 'chat');
    for (const g of got.slice(1)) assert.deepEqual(g, got[0], 'every member gets the same chat object');
  }
  await outsider.expectNone('chat', 0);
  // Another room numbers its own messages.
  assertShape(await outsider.request({ type: 'chat', text: 'elsewhere' }, 'chat'), chatFrom(outsider, 'hall', 1, 'elsewhere', 0), 'chat in another room');
  await a.expectNone('chat');
}));

test('chat text is trimmed; inner white space and any script are kept', { timeout: 30000 }, fixture(async (t) => {
  const d = await t.daemon();
  const [a, b] = await d.clients(2, 'kitchen');
  const cases = [['  hi  ', 'hi'], ['\n\tline one\nline two \t', 'line one\nline two'], ['日本語 😀 ok', '日本語 😀 ok'], ['"quotes" \\ and </script>', '"quotes" \\ and </script>']];
  for (const [i, [sent, delivered]] of cases.entries()) {
    const m = await a.request({ type: 'chat', text: sent }, 'chat');
    assertShape(m, chatFrom(a, 'kitchen', i + 1, delivered, 0), `chat of ${JSON.stringify(sent)}`);
    assert.deepEqual(await b.next('chat'), m);
  }
}));

test('chat text is delivered unchanged, control characters included', { timeout: 30000 }, fixture(async (t) => {
  const d = await t.daemon();
  const [a, b] = await d.clients(2, 'kitchen');
  for (const text of ['bell\u0007 and escape \u001b[1m', 'tab\tinside', 'a\u0000b', 'null at end\u0000!']) {
    const m = await a.request({ type: 'chat', text }, 'chat');
    assert.equal(m.text, text, `text of ${JSON.stringify(text)}`);
    assert.deepEqual(await b.next('chat'), m);
  }
}));

test('seq rises by one per message, in one order for everyone, under concurrent senders', { timeout: 30000 }, fixture(async (t) => {
  const d = await t.daemon();
  const members = await d.clients(3, 'kitchen');
  await Promise.all(members.map(async (m) => { for (let i = 0; i < 20; i++) m.send({ type: 'chat', text: `${m.label} ${i}` }); }));
  const streams = await Promise.all(members.map(async (m) => {
    const got = [];
    for (let i = 0; i < 60; i++) got.push(await m.next('chat'));
    return got;
  }));
  assert.deepEqual(streams[0].map((m) => m.seq), Array.from({ length: 60 }, (_, i) => i + 1));
  assert.deepEqual(streams[1], streams[0]);
  assert.deepEqual(streams[2], streams[0]);
  for (const m of members) {
    const own = streams[0].filter((x) => x.from.id === m.id).map((x) => x.text);
    assert.deepEqual(own, Array.from({ length: 20 }, (_, i) => `${m.label} ${i}`), `${m.label}'s messages keep their order`);
  }
}));

test('whisper goes to the sender and the target only, and uses no seq', { timeout: 30000 }, fixture(async (t) => {
  const d = await t.daemon();
  const [a, b, c] = await d.clients(3, 'kitchen');
  const since = Date.now();
  const w = await a.request({ type: 'whisper', to: b.id, text: '  psst  ' }, 'whisper');
  assertShape(w, { type: 'whisper', from: peerOf(a), to: peerOf(b), text: 'psst', ts: is.ts(since) }, 'whisper');
  assert.deepEqual(await b.next('whisper'), w, 'the target gets the same object');
  await c.expectNone('whisper');
  await a.expectNone('whisper', 0);

  // Whispering to oneself is allowed and arrives once.
  const self = await b.request({ type: 'whisper', to: b.id, text: 'note to self' }, 'whisper');
  assertShape(self, { type: 'whisper', from: peerOf(b), to: peerOf(b), text: 'note to self', ts: is.ts(since) }, 'whisper to oneself');
  await b.expectNone('whisper');

  // Whispers are not chat: no seq consumed, nothing in the history.
  assert.equal((await c.request({ type: 'chat', text: 'first' }, 'chat')).seq, 1);
  const late = await d.client();
  const joined = await late.join('kitchen', 'late');
  assert.deepEqual(joined.history.map((m) => m.text), ['first']);
}));

test('joined replays earlier chat objects exactly as they were delivered', { timeout: 30000 }, fixture(async (t) => {
  const d = await t.daemon();
  const [a, b] = await d.clients(2, 'kitchen');
  const sent = [];
  sent.push(await a.request({ type: 'chat', text: 'one' }, 'chat'));
  await a.request({ type: 'nick', nick: 'alice' }, 'nick-changed');
  sent.push(await a.request({ type: 'chat', text: 'two' }, 'chat'));
  await b.next('chat', { where: (m) => m.text === 'two' }); // b has seen a's messages
  b.discard('chat');
  sent.push(await b.request({ type: 'chat', text: 'three' }, 'chat'));
  assert.equal(sent[1].from.nick, 'alice');
  const late = await d.client();
  assert.deepEqual((await late.join('kitchen', 'late')).history, sent);
  const other = await d.client();
  assert.deepEqual((await other.join('Kitchen', 'x')).history, [], 'another (case-different) room has no history');
}));
