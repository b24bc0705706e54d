// Rooms: welcome, join/joined, peer-joined, leave/left/peer-left, implicit leaves, nick changes, rooms lists and broadcasts, /api/rooms and /api/health.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture } from '../lib/fixture.mjs';
import { assertShape, is, roomList, devicePeer, peerOf } from '../lib/match.mjs';
import { eventually } from '../lib/wait.mjs';

test('welcome has the documented shape and every connection gets its own id', { timeout: 30000 }, fixture(async (t) => {
  const d = await t.daemon({ config: '[device]\nname=Living room\n' });
  const a = await d.client();
  const b = await d.client();
  const welcome = { type: 'welcome', id: is.browserId, device: { id: 'device', name: 'Living room' }, rooms: [], protocol: 1 };
  assertShape(a.welcome, welcome, 'welcome');
  assertShape(b.welcome, welcome, 'welcome');
  assert.notEqual(a.id, b.id);
  await a.join('kitchen', 'alice');
  const c = await d.client();
  assertShape(c.welcome, { ...welcome, rooms: roomList([['kitchen', 1]]) }, 'welcome after a join');
}));

test('join answers joined with the peers (device included) and tells the members', { timeout: 30000 }, fixture(async (t) => {
  const d = await t.daemon({ config: '[device]\nname=Living room\n' });
  const [a, b, c, outsider] = await d.clients(4);
  const device = devicePeer('Living room');

  assertShape(await a.join('kitchen', 'alice'),
    { type: 'joined', room: 'kitchen', id: a.id, nick: 'alice', peers: [device], history: [] }, 'joined');
  assertShape(await b.join('kitchen', 'bob'),
    { type: 'joined', room: 'kitchen', id: b.id, nick: 'bob', peers: is.unordered([device, peerOf(a)]), history: [] }, 'joined');
  assertShape(await a.next('peer-joined'), { type: 'peer-joined', room: 'kitchen', peer: { id: b.id, nick: 'bob' } }, 'peer-joined');

  // Room and nick are trimmed; the trimmed forms are what everyone sees.
  assertShape(await c.join('  kitchen ', '  carol  '),
    { type: 'joined', room: 'kitchen', id: c.id, nick: 'carol', peers: is.unordered([device, peerOf(a), peerOf(b)]), history: [] },
    'joined with padded room and nick');
  const expected = { type: 'peer-joined', room: 'kitchen', peer: { id: c.id, nick: 'carol' } };
  assertShape(await a.next('peer-joined'), expected, 'peer-joined');
  assertShape(await b.next('peer-joined'), expected, 'peer-joined');

  await c.expectNone('peer-joined');
  await outsider.expectNone('peer-joined', 0);
}));

test('leave answers left and tells the others peer-left', { timeout: 30000 }, fixture(async (t) => {
  const d = await t.daemon();
  const [a, b, c] = await d.clients(3, 'kitchen');
  assertShape(await b.request({ type: 'leave' }, 'left'), { type: 'left', room: 'kitchen' }, 'left');
  const expected = { type: 'peer-left', room: 'kitchen', peer: { id: b.id, nick: 'u2' } };
  assertShape(await a.next('peer-left'), expected, 'peer-left');
  assertShape(await c.next('peer-left'), expected, 'peer-left');
  await b.expectNone('peer-left', 0);

  const e = await d.client();
  assertShape(await e.join('kitchen', 'u2'),
    { type: 'joined', room: 'kitchen', id: e.id, nick: 'u2', peers: is.unordered([devicePeer(), peerOf(a), peerOf(c)]), history: [] },
    'joined after a leave (the nick is free again)');
}));

test('closing the socket, with or without a close frame, leaves the room', { timeout: 30000 }, fixture(async (t) => {
  const d = await t.daemon();
  const [a, b, c] = await d.clients(3, 'kitchen');
  await b.close();
  assertShape(await a.next('peer-left'), { type: 'peer-left', room: 'kitchen', peer: peerOf(b) }, 'peer-left after close');
  await c.terminate();
  assertShape(await a.next('peer-left'), { type: 'peer-left', room: 'kitchen', peer: peerOf(c) }, 'peer-left after a dropped TCP connection');
  await eventually(async () => assert.deepEqual(await d.api('/api/rooms'), { rooms: [{ name: 'kitchen', count: 1 }] }),
    { what: '/api/rooms counting only the remaining browser' });
}));

test('joining another room leaves the current one first (left, then joined)', { timeout: 30000 }, fixture(async (t) => {
  const d = await t.daemon();
  const [a, b] = await d.clients(2, 'one');
  const [c] = await d.clients(1, 'two', 'c');

  await a.send({ type: 'join', room: 'two', nick: 'alice' });
  const first = await a.next(['left', 'joined']);
  assertShape(first, { type: 'left', room: 'one' }, 'first answer to a move');
  assertShape(await a.next(['left', 'joined']),
    { type: 'joined', room: 'two', id: a.id, nick: 'alice', peers: is.unordered([devicePeer(), peerOf(c)]), history: [] },
    'second answer to a move');
  assertShape(await b.next('peer-left'), { type: 'peer-left', room: 'one', peer: { id: a.id, nick: 'u1' } }, 'peer-left in the old room');
  assertShape(await c.next('peer-joined'), { type: 'peer-joined', room: 'two', peer: { id: a.id, nick: 'alice' } }, 'peer-joined in the new room');
  assert.deepEqual((await d.api('/api/rooms')).rooms.sort((x, y) => x.name.localeCompare(y.name)),
    [{ name: 'one', count: 1 }, { name: 'two', count: 2 }]);
}));

test('joining the room one is already in is refused (already-in-room) and changes nothing', { timeout: 30000 }, fixture(async (t) => {
  const d = await t.daemon();
  const [a, b] = await d.clients(2, 'kitchen');
  await a.request({ type: 'chat', text: 'before' }, 'chat');
  await a.expectError({ type: 'join', room: 'kitchen', nick: 'alice2' }, 'already-in-room');
  await a.expectError({ type: 'join', room: ' kitchen', nick: 'u1' }, 'already-in-room');
  await a.expectNone(['left', 'joined'], 300);
  await b.expectNone(['peer-left', 'peer-joined', 'nick-changed'], 0);
  assertShape(await a.request({ type: 'chat', text: 'still u1' }, 'chat'),
    { type: 'chat', room: 'kitchen', seq: 2, from: { id: a.id, nick: 'u1' }, text: 'still u1', ts: is.ts() }, 'chat after the refused join');
  assert.deepEqual(await d.api('/api/rooms'), { rooms: [{ name: 'kitchen', count: 2 }] });
}));

test('a nick change is the same nick-changed to everyone in the room, and only there', { timeout: 30000 }, fixture(async (t) => {
  const d = await t.daemon();
  const [a, b] = await d.clients(2, 'kitchen');
  const [other] = await d.clients(1, 'hall', 'o');
  const expected = { type: 'nick-changed', room: 'kitchen', id: a.id, old: 'u1', nick: 'al' };
  assertShape(await a.request({ type: 'nick', nick: 'al' }, 'nick-changed'), expected, 'nick-changed to the sender');
  assertShape(await b.next('nick-changed'), expected, 'nick-changed to a member');
  assertShape(await a.request({ type: 'nick', nick: '  al two ' }, 'nick-changed'),
    { ...expected, old: 'al', nick: 'al two' }, 'nick-changed with a padded nick');
  await b.next('nick-changed');
  a.nick = 'al two';
  // The new nick is what later messages carry.
  const chat = await a.request({ type: 'chat', text: 'hi' }, 'chat');
  assertShape(chat.from, peerOf(a), 'chat.from after a nick change');
  const late = await d.client();
  const joined = await late.join('kitchen', 'late');
  assertShape(joined.peers, is.unordered([devicePeer(), peerOf(a), peerOf(b)]), 'peers after a nick change');
  await other.expectNone('nick-changed', 0);
}));

test('room names are case-sensitive; nicks only clash within one room', { timeout: 30000 }, fixture(async (t) => {
  const d = await t.daemon();
  const [a, b] = await d.clients(2);
  await a.join('Kitchen', 'Bob');
  const joined = await b.join('kitchen', 'bob');
  assertShape(joined.peers, [devicePeer()], 'peers of "kitchen" while "Kitchen" has a member');
  assertShape(await d.api('/api/rooms'), { rooms: roomList([['Kitchen', 1], ['kitchen', 1]]) }, '/api/rooms');
}));

test('list-rooms answers the room list with browser counts (device not counted)', { timeout: 30000 }, fixture(async (t) => {
  const d = await t.daemon();
  await d.clients(2, 'one');
  await d.clients(1, 'two', 'x');
  await d.clients(1, undefined, 'idle');
  // A client connecting now sees no further changes, so its next `rooms` is the reply.
  const c = await d.client();
  assertShape(c.welcome.rooms, roomList([['one', 2], ['two', 1]]), 'welcome.rooms');
  assertShape(await c.request({ type: 'list-rooms' }, 'rooms'),
    { type: 'rooms', rooms: roomList([['one', 2], ['two', 1]]) }, 'rooms');
  assertShape(await d.api('/api/rooms'), { rooms: roomList([['one', 2], ['two', 1]]) }, '/api/rooms');
}));

test('every client gets coalesced rooms broadcasts when the list or a count changes', { timeout: 30000 }, fixture(async (t) => {
  const d = await t.daemon();
  const observer = await d.client({ label: 'observer' });
  const [member] = await d.clients(1, 'base', 'm');
  await observer.nextRooms([['base', 1]]);

  const [a] = await d.clients(1, undefined, 'a');
  await a.join('one', 'a');
  for (const c of [observer, member]) {
    assertShape(await c.nextRooms([['base', 1], ['one', 1]]), { type: 'rooms', rooms: roomList([['base', 1], ['one', 1]]) }, `rooms to ${c.label}`);
  }

  // Six joins at once: the observer ends on the right counts, in fewer broadcasts than changes.
  const crowd = await d.clients(6, undefined, 'crowd');
  observer.discard('rooms');
  const firstIndex = observer.received.length;
  await Promise.all(crowd.map((c, i) => c.join('busy', `n${i}`)));
  await observer.nextRooms([['base', 1], ['one', 1], ['busy', 6]]);
  await Promise.all(crowd.map((c) => c.close()));
  await observer.nextRooms([['base', 1], ['one', 1]]);
  await a.request({ type: 'leave' }, 'left');
  await observer.nextRooms([['base', 1]]);

  const times = observer.received.slice(firstIndex).filter((e) => e.msg.type === 'rooms').map((e) => e.at);
  assert.ok(times.length >= 3, `expected several rooms broadcasts, got ${times.length}`);
  assert.ok(times.length < 6 + 6 + 1, `rooms broadcasts were not coalesced: ${times.length} for 13 changes`);
  // Not asserted: the 100 ms between two broadcasts. It is the server's spacing; when the test's
  // own process is busy, broadcasts sent 100 ms apart reach it in one read (0 ms apart).
}));

test('/api/rooms and /api/health have the documented shapes', { timeout: 30000 }, fixture(async (t) => {
  const d = await t.daemon();
  assertShape(await d.api('/api/rooms'), { rooms: [] }, '/api/rooms with no rooms');
  const health = { status: 'ok', uptime_s: is.int(0, 3600), media: is.oneOf('running', 'degraded', 'off') };
  assertShape(await d.api('/api/health'), health, '/api/health');
  const [a] = await d.clients(2, 'kitchen');
  await d.clients(1, 'hall', 'h');
  assertShape(await d.api('/api/rooms'), { rooms: roomList([['kitchen', 2], ['hall', 1]]) }, '/api/rooms');
  // The last browser leaving removes the room.
  await (await d.client()).join('kitchen', 'x');
  await a.request({ type: 'leave' }, 'left');
  assertShape(await d.api('/api/rooms'), { rooms: roomList([['kitchen', 2], ['hall', 1]]) }, '/api/rooms');
  for (const c of t.clients) await c.close();
  await eventually(async () => assert.deepEqual(await d.api('/api/rooms'), { rooms: [] }), { what: 'rooms vanishing' });
  assertShape(await d.api('/api/health'), health, '/api/health');
}));
