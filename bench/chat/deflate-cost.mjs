// What permessage-deflate would buy and cost for callbox's chat frames: wire bytes and CPU per frame, with and without; prints one JSON line.
//
//   node bench/chat/deflate-cost.mjs [--frames N]
//
// The frames are what callboxd sends for a chat message (the broadcast each member gets) and
// what a browser sends (`{"type":"chat","text":…}`), with texts of family-chat length (mostly
// 5–80 characters). Compression is permessage-deflate as libsoup 3.2 and browsers negotiate it
// by default: raw deflate, 15-bit window, context kept between messages, a sync flush per message
// whose 00 00 ff ff tail is dropped (RFC 7692). zlib here is the same library libsoup links. The
// server compresses each broadcast once per member (one deflate stream per connection), so its
// cost counts per delivery; the client frame is inflated once.
import { parseArgs } from 'node:util';
import zlib from 'node:zlib';

const { values: opt } = parseArgs({ options: { frames: { type: 'string', default: '20000' } } });
const N = Number(opt.frames);

const LINES = [
  'hi', 'dinner is ready!', 'ok', 'on my way, 10 min', 'can you call grandma later?', 'lol',
  'who took the charger from the kitchen', 'yes', 'the package came today, it is on the table in the hall',
  'see you at 6', 'did you feed the cat?', 'no', 'thanks ❤️', 'we are out of milk, can someone get some on the way home',
  'good night', 'where are the car keys', 'brb', 'the wifi is down again?', '👍', 'call me when you can',
];
const NICKS = ['alice', 'bob', 'grandma', 'Léa', 'sam'];
let seq = 41;
function serverFrame(i) {
  const text = LINES[(i * 7) % LINES.length];
  return JSON.stringify({ type: 'chat', room: 'kitchen', seq: ++seq, from: { id: `p${3 + (i % 5)}`, nick: NICKS[i % 5] }, text, ts: 1764130000000 + i * 1731 });
}
const clientFrame = (i) => JSON.stringify({ type: 'chat', text: LINES[(i * 7) % LINES.length] });

// WebSocket header bytes for a payload of n bytes (+4 for the mask of a client frame).
const header = (n, masked) => (n < 126 ? 2 : n <= 0xffff ? 4 : 10) + (masked ? 4 : 0);

function measure(make, masked) {
  const frames = Array.from({ length: N }, (_, i) => Buffer.from(make(i)));
  const deflate = zlib.createDeflateRaw({ windowBits: 15 });
  const inflate = zlib.createInflateRaw({ windowBits: 15 });
  // zlib's synchronous calls on a kept stream, like libsoup's per-message deflate()/inflate().
  const compressed = [];
  let t0 = process.cpuUsage();
  for (const f of frames) {
    const out = deflate._processChunk(f, zlib.constants.Z_SYNC_FLUSH);
    compressed.push(out.subarray(0, out.length - 4));
  }
  const deflateUs = cpuUs(t0) / N;
  t0 = process.cpuUsage();
  for (const c of compressed) inflate._processChunk(Buffer.concat([c, Buffer.from([0, 0, 0xff, 0xff])]), zlib.constants.Z_SYNC_FLUSH);
  const inflateUs = cpuUs(t0) / N;
  const plain = frames.reduce((s, f) => s + f.length + header(f.length, masked), 0) / N;
  const packed = compressed.reduce((s, c) => s + c.length + header(c.length, masked), 0) / N;
  return {
    payload_bytes: round(frames.reduce((s, f) => s + f.length, 0) / N),
    wire_bytes_plain: round(plain),
    wire_bytes_deflate: round(packed),
    saved_bytes: round(plain - packed),
    deflate_us: round(deflateUs, 2),
    inflate_us: round(inflateUs, 2),
  };
}

function cpuUs(t0) {
  const d = process.cpuUsage(t0);
  return d.user + d.system;
}
const round = (x, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

// A deflate stream holds its window and state per connection: zlib's deflate state is about
// 256 KiB at windowBits 15, memLevel 8, and its inflate state about 44 KiB.
console.log(JSON.stringify({
  frames: N,
  server_broadcast: measure(serverFrame, false),
  client_chat: measure(clientFrame, true),
  zlib: process.versions.zlib,
}));
