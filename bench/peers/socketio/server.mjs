// The socket.io 4 peer for the chat benchmark: rooms, nicknames and chat as in callbox's protocol, written the idiomatic socket.io way.
//
// This is the stack callbox replaces (the original app was a small socket.io "zoom
// clone"), kept to the same semantics as PROTOCOL.md's room/chat part so the two can be
// compared under the same load:
//   on connect          → emit('welcome', {id, rooms, protocol})
//   'join' {room, nick} → socket.join(room); ack({type:'joined', room, id, nick, peers, history})
//                          (also emitted as a 'joined' event when the client gives no ack);
//                          the room gets 'peer-joined'
//   'leave'             → 'left' to the sender, 'peer-left' to the room
//   'chat' {text}       → io.to(room).emit('chat', {room, seq, from:{id,nick}, text, ts})
//                          with a per-room in-memory seq and the last 50 kept as history
//   'list-rooms'        → 'rooms'
//   room list changes   → io.emit('rooms', {rooms}) coalesced to at most one per 100 ms
// Unlike callbox nothing is stored on disk: seq and history live in memory only.
//
// Usage: node server.mjs [PORT]   (0 or nothing = a free port); listens on 127.0.0.1
// and prints "listening on http://127.0.0.1:PORT/" when ready.
import { createServer } from 'node:http';
import { Server } from 'socket.io';

const HISTORY_LENGTH = 50;
const ROOM_RE = /^[\p{L}\p{N} _-]{1,32}$/u;

const port = Number(process.argv[2] ?? 0);
const httpServer = createServer((req, res) => {
  if (req.url === '/api/health') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: 'ok', uptime_s: Math.round(process.uptime()) }));
    return;
  }
  res.writeHead(404).end();
});
const io = new Server(httpServer, { serveClient: false });

// name → { members: Map<socketId, nick>, seq, history[] }; history and seq outlive the room.
const rooms = new Map();

function roomList() {
  const list = [];
  for (const [name, r] of rooms) if (r.members.size > 0) list.push({ name, count: r.members.size });
  return list;
}

let roomsTimer = null;
let roomsLastSent = 0;
function roomsChanged() {
  if (roomsTimer) return;
  const wait = Math.max(0, roomsLastSent + 100 - Date.now());
  roomsTimer = setTimeout(() => {
    roomsTimer = null;
    roomsLastSent = Date.now();
    io.emit('rooms', { type: 'rooms', rooms: roomList() });
  }, wait);
}

function codePoints(s) {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function error(socket, code, re, message = code) {
  socket.emit('error-message', { type: 'error', code, message, re });
}

function leave(socket) {
  const { room, nick } = socket.data;
  if (!room) return;
  const r = rooms.get(room);
  r.members.delete(socket.id);
  socket.leave(room);
  socket.data.room = null;
  socket.to(room).emit('peer-left', { type: 'peer-left', room, peer: { id: socket.id, nick } });
  roomsChanged();
}

io.on('connection', (socket) => {
  socket.data.room = null;
  socket.emit('welcome', { type: 'welcome', id: socket.id, rooms: roomList(), protocol: 1 });
  roomsChanged();

  socket.on('join', (msg, ack) => {
    const name = typeof msg?.room === 'string' ? msg.room.trim() : '';
    const nick = typeof msg?.nick === 'string' ? msg.nick.trim() : '';
    if (!ROOM_RE.test(name)) return error(socket, 'bad-room', 'join');
    if (nick.length === 0 || codePoints(nick) > 24 || /\p{Cc}/u.test(nick)) return error(socket, 'bad-nick', 'join');
    let r = rooms.get(name);
    if (!r) rooms.set(name, (r = { members: new Map(), seq: 0, history: [] }));
    const lower = nick.toLowerCase();
    for (const [id, other] of r.members)
      if (id !== socket.id && other.toLowerCase() === lower) return error(socket, 'nick-taken', 'join');
    if (socket.data.room) {
      const old = socket.data.room;
      leave(socket);
      socket.emit('left', { type: 'left', room: old });
    }
    const peers = [...r.members].map(([id, n]) => ({ id, nick: n }));
    r.members.set(socket.id, nick);
    socket.join(name);
    socket.data.room = name;
    socket.data.nick = nick;
    const joined = { type: 'joined', room: name, id: socket.id, nick, peers, history: r.history };
    if (typeof ack === 'function') ack(joined);
    else socket.emit('joined', joined);
    socket.to(name).emit('peer-joined', { type: 'peer-joined', room: name, peer: { id: socket.id, nick } });
    roomsChanged();
  });

  socket.on('leave', () => {
    const room = socket.data.room;
    if (!room) return error(socket, 'not-in-room', 'leave');
    leave(socket);
    socket.emit('left', { type: 'left', room });
  });

  socket.on('chat', (msg) => {
    const room = socket.data.room;
    if (!room) return error(socket, 'not-in-room', 'chat');
    const text = typeof msg?.text === 'string' ? msg.text.trim() : '';
    if (text.length === 0 || codePoints(text) > 2000) return error(socket, 'bad-text', 'chat');
    const r = rooms.get(room);
    const chat = {
      type: 'chat', room, seq: ++r.seq,
      from: { id: socket.id, nick: socket.data.nick }, text, ts: Date.now(),
    };
    r.history.push(chat);
    if (r.history.length > HISTORY_LENGTH) r.history.shift();
    io.to(room).emit('chat', chat);
  });

  socket.on('list-rooms', () => socket.emit('rooms', { type: 'rooms', rooms: roomList() }));

  socket.on('disconnect', () => {
    leave(socket);
    roomsChanged();
  });
});

httpServer.listen(port, '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${httpServer.address().port}/`);
});

function shutdown() {
  io.close();
  httpServer.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
