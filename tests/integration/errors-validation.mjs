// Errors about content and state: not-in-room, bad-room, bad-nick, nick-taken, bad-text, unknown-peer, room-full and the join error order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture } from '../lib/fixture.mjs';
import { assertShape, roomList, codePoints } from '../lib/match.mjs';

const roomMessages = (to) => [
  { type: 'chat', text: 'hi' },
  { type: 'whisper', to, text: 'psst' },
  { type: 'nick', nick: 'newnick' },
  { type: 'signal', to, data: { bye: true } },
  { type: 'media', audio: true, video: false },
];

test('chat, whisper, nick, signal and media outside a room get not-in-room', { timeout: 30000 }, fixture(async (t) => {
  const d = await t.daemon();
  const [member] = await d.clients(1, 'kitchen');
  const c = await d.client();
  await c.expectErrors(roomMessages(member.id), 'not-in-room');
  // The same after leaving a room.
  await c.join('kitchen', 'c');
  await c.request({ type: 'leave' }, 'left');
  await c.expectErrors(roomMessages(member.id), 'not-in-room');
  await member.expectNone(['chat', 'whisper', 'signal', 'media', 'nick-changed'], 0);
}));

test('room names: 1 to 32 code points of letters (any script), digits, space, - and _', { timeout: 30000 }, fixture(async (t) => {
  const d = await t.daemon();
  const c = await d.client();
  const good = [
    ['a', 'a'], ['部'.repeat(32), '部'.repeat(32)], ['𐐀'.repeat(32), '𐐀'.repeat(32)], ['Küche', 'Küche'],
    ['кухня', 'кухня'], ['مطبخ', 'مطبخ'], ['だいどころ', 'だいどころ'], ['room 1', 'room 1'], ['a-b_c', 'a-b_c'],
    ['123', '123'], ['  padded  ', 'padded'], [` ${'x'.repeat(32)} `, 'x'.repeat(32)],
  ];
  for (const [room, trimmed] of good) {
    const joined = await c.join(room, 'nick');
    assert.equal(joined.room, trimmed, `joined room for ${JSON.stringify(room)}`);
  }
  const bad = ['', '   ', '部'.repeat(33), '𐐀'.repeat(33), 'x'.repeat(33), 'a!b', 'a.b', 'a/b', 'a:b', 'kitchen?',
    '🎉', 'party🎉', 'a\tb', 'a\nb', '<script>', 'a+b', "o'clock", 'a\u0000b'];
  await c.expectErrors(bad.map((room) => ({ type: 'join', room, nick: 'nick' })), 'bad-room');
  assert.equal(codePoints('𐐀'.repeat(32)), 32);
}));

test('nicks: 1 to 24 code points without control characters', { timeout: 30000 }, fixture(async (t) => {
  const d = await t.daemon();
  const c = await d.client();
  const good = [['a', 'a'], ['😀'.repeat(24), '😀'.repeat(24)], ['Zoë', 'Zoë'], ['名前', '名前'], ['a.b!?', 'a.b!?'],
    ['with space', 'with space'], ['  pad  ', 'pad'], [` ${'n'.repeat(24)}\t`, 'n'.repeat(24)]];
  for (const [i, [nick, trimmed]] of good.entries()) {
    assert.equal((await c.join(`room${i}`, nick)).nick, trimmed, `joined nick for ${JSON.stringify(nick)}`);
  }
  const bad = ['', '   ', 'x'.repeat(25), '😀'.repeat(25), 'a\u0001b', 'a\tb', 'a\nb', 'a\u007fb', 'a\u009bb', 'a\u0000b'];
  await c.expectErrors(bad.map((nick) => ({ type: 'join', room: 'kitchen', nick })), 'bad-nick');
  // The same rules for a nick change.
  await c.expectErrors(bad.map((nick) => ({ type: 'nick', nick })), 'bad-nick');
  const changed = await c.request({ type: 'nick', nick: '😀'.repeat(24) }, 'nick-changed');
  assert.equal(changed.nick, '😀'.repeat(24));
}));

test('nicks are unique within a room, compared case-insensitively', { timeout: 30000 }, fixture(async (t) => {
  const d = await t.daemon();
  const [a] = await d.clients(1);
  await a.join('kitchen', 'alice');
  const b = await d.client();
  await b.expectError({ type: 'join', room: 'kitchen', nick: 'ALICE' }, 'nick-taken');
  await b.expectError({ type: 'join', room: 'kitchen', nick: '  Alice ' }, 'nick-taken');
  await b.join('kitchen', 'bob');
  await b.expectError({ type: 'nick', nick: 'aLiCe' }, 'nick-taken');
  await a.expectNone('nick-changed', 0);
  // Non-ASCII letters fold too.
  const z = await d.client();
  await z.join('hall', 'Zoë');
  await (await d.client()).expectError({ type: 'join', room: 'hall', nick: 'ZOË' }, 'nick-taken');
  // Another room is another namespace.
  await (await d.client()).join('hall', 'ALICE');
}));

test('chat and whisper text: 1 to 2000 code points after trimming; refused text uses no seq', { timeout: 30000 }, fixture(async (t) => {
  const d = await t.daemon();
  const [a, b] = await d.clients(2, 'kitchen');
  const bad = ['', '   ', '\n\t ', 'x'.repeat(2001), '😀'.repeat(2001), `${'y'.repeat(2001)} `];
  await a.expectErrors(bad.map((text) => ({ type: 'chat', text })), 'bad-text');
  await a.expectErrors(bad.map((text) => ({ type: 'whisper', to: b.id, text })), 'bad-text');
  const accepted = ['😀'.repeat(2000), 'x'.repeat(2000), `   ${'z'.repeat(2000)}\n `];
  for (const [i, text] of accepted.entries()) {
    const m = await a.request({ type: 'chat', text }, 'chat');
    assert.equal(m.seq, i + 1, 'refused messages use no seq');
    assert.equal(m.text, text.trim());
    assert.deepEqual(await b.next('chat'), m);
  }
  const w = await a.request({ type: 'whisper', to: b.id, text: '字'.repeat(2000) }, 'whisper');
  assert.equal(codePoints(w.text), 2000);
  await b.next('whisper');
  await b.expectNone(['chat', 'whisper', 'error'], 0);
}));

test('whisper and signal targets must be browsers in the same room', { timeout: 30000 }, fixture(async (t) => {
  const d = await t.daemon();
  const [a, b] = await d.clients(2, 'kitchen');
  const [c] = await d.clients(1, 'hall', 'c');
  const idle = await d.client();
  for (const to of ['p999999', 'device', c.id, idle.id, '', 'P1']) {
    await a.expectError({ type: 'whisper', to, text: 'psst' }, 'unknown-peer');
  }
  for (const to of ['p999999', c.id, idle.id]) {
    await a.expectError({ type: 'signal', to, data: { bye: true } }, 'unknown-peer');
  }
  await c.expectNone(['whisper', 'signal'], 0);
  await idle.expectNone(['whisper', 'signal'], 0);
  await b.expectNone(['whisper', 'signal'], 0);
}));

test('the ninth browser gets room-full and stays where it was', { timeout: 30000 }, fixture(async (t) => {
  const d = await t.daemon();
  const full = await d.clients(8, 'full');
  const [x, y] = await d.clients(2, 'other', 'o');
  await x.expectError({ type: 'join', room: 'full', nick: 'ninth' }, 'room-full');
  await y.expectNone('peer-left', 0);
  for (const m of full) await m.expectNone('peer-joined', 0, (x) => x.peer.nick === 'ninth');
  const chat = await x.request({ type: 'chat', text: 'still in other' }, 'chat');
  assertShape(chat.room, 'other', 'room of a chat after a failed join');
  assert.deepEqual(await y.next('chat'), chat);
  assertShape(await d.api('/api/rooms'), { rooms: roomList([['full', 8], ['other', 2]]) }, '/api/rooms');

  const z = await d.client();
  await z.expectError({ type: 'join', room: 'full', nick: 'ninth' }, 'room-full');
  await z.expectError({ type: 'chat', text: 'x' }, 'not-in-room');

  await full[0].close();
  await full[1].next('peer-left');
  await x.join('full', 'ninth');
}));

test('max_browsers sets the room size', { timeout: 30000 }, fixture(async (t) => {
  const d = await t.daemon({ config: '[rooms]\nmax_browsers=2\n' });
  await d.clients(2, 'small');
  await (await d.client()).expectError({ type: 'join', room: 'small', nick: 'third' }, 'room-full');
}));

test('a join breaking several rules reports bad-room, then bad-nick, then room-full, then nick-taken', { timeout: 30000 }, fixture(async (t) => {
  const d = await t.daemon();
  const full = await d.clients(8, 'full');
  await full[0].request({ type: 'nick', nick: 'taken' }, 'nick-changed');
  await (await d.client()).join('half', 'taken');
  const c = await d.client();
  const cases = [
    [{ room: 'bad!', nick: '' }, 'bad-room'],
    [{ room: 'bad!', nick: 'taken' }, 'bad-room'],
    [{ room: 'x'.repeat(33), nick: 'y'.repeat(25) }, 'bad-room'],
    [{ room: '', nick: '' }, 'bad-room'],
    [{ room: 'full', nick: '' }, 'bad-nick'],
    [{ room: 'full', nick: 'a\u0001' }, 'bad-nick'],
    [{ room: 'half', nick: 'z'.repeat(25) }, 'bad-nick'],
    [{ room: 'full', nick: 'TAKEN' }, 'room-full'],
    [{ room: 'full', nick: 'fresh' }, 'room-full'],
    [{ room: 'half', nick: 'Taken' }, 'nick-taken'],
  ];
  const wrong = [];
  for (const [m, code] of cases) {
    await c.send({ type: 'join', ...m });
    const got = await c.next(['error', 'joined', 'left']);
    if (got.code !== code) wrong.push(`${JSON.stringify(m)}: expected ${code}, got ${JSON.stringify(got)}`);
  }
  assert.deepEqual(wrong, []);
  // None of the failed joins put c in a room.
  await c.expectError({ type: 'chat', text: 'x' }, 'not-in-room');
}));
