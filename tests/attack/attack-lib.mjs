// Shared pieces of the attack suite: the daemon's memory while an attack runs, a normal client's chat round trip beside it, raw WebSocket frames.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { withTimeout } from '../lib/wait.mjs';

// Samples the daemon's VmRSS every 50 ms until stop(); stop() returns the highest seen, in KiB.
export function watchRss(d) {
  let peak = d.rssKib();
  const timer = setInterval(() => { peak = Math.max(peak, d.rssKib() ?? 0); }, 50);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, d.rssKib() ?? 0);
    },
  };
}

// Asserts that the daemon's VmRSS did not grow by `ceilingKib` or more over `baseKib`
// (`why` says where the ceiling comes from); reports the growth as a TAP diagnostic.
export function assertRssGrowth(t, baseKib, peakKib, ceilingKib, why) {
  const grew = peakKib - baseKib;
  t.diagnostic(`VmRSS ${baseKib} KiB before, ${peakKib} KiB at most during the attack (+${grew} KiB; ceiling +${ceilingKib} KiB)`);
  assert.ok(grew < ceilingKib, `the daemon grew by ${grew} KiB, not less than ${ceilingKib} KiB: ${why}`);
}

// One normal client's chat round trip: connect, join `room`, chat, receive its own message.
// Resolves with the milliseconds it took; the client is closed afterwards.
// (tls: the daemon's certificate is self-signed.)
export async function chatRoundTrip(d, { room = 'bystanders', localAddress = '127.0.0.9', label = 'bystander', timeout = 30000, tls = false } = {}) {
  const start = performance.now();
  const c = await d.client({ label, localAddress, timeout, ...(tls ? { rejectUnauthorized: false } : {}) });
  await c.join(room, `${label}-${Math.floor(Math.random() * 1e6)}`);
  const text = `round trip ${randomBytes(6).toString('hex')}`;
  await c.send({ type: 'chat', text });
  await c.next('chat', { timeout, where: (m) => m.text === text && m.from.id === c.id });
  const ms = performance.now() - start;
  await c.close();
  return ms;
}

// A normal client beside the attack: measure() once while it is quiet, then check() during or
// after the attack asserts that a round trip still completes and reports its slowdown (a
// diagnostic, not an assertion: the machine may be busy).
export async function bystander(t, d, opts = {}) {
  await chatRoundTrip(d, opts); // the first one also opens the room and warms the chat store
  const quiet = await chatRoundTrip(d, opts);
  return {
    async check(what) {
      const ms = await chatRoundTrip(d, opts);
      t.diagnostic(`${what}: a normal client's join + chat round trip took ${ms.toFixed(1)} ms (quiet: ${quiet.toFixed(1)} ms, ${(ms / quiet).toFixed(1)}x)`);
    },
  };
}

// A plain TCP connection to the daemon at `url` from `localAddress`:
// { socket, host (for a Host header), received() (the text so far), closed (a promise) }.
export function tcpConnect(url, localAddress) {
  const u = new URL(url);
  const socket = connect({ host: u.hostname, port: Number(u.port), localAddress });
  socket.on('error', () => {});
  let data = '';
  socket.on('data', (c) => { data += c; });
  const closed = new Promise((resolve) => socket.on('close', resolve));
  return { socket, host: u.host, received: () => data, closed };
}

// A client frame (masked): RFC 6455 §5.2. rsv1 marks a permessage-deflate frame.
export function clientFrame(payload, { opcode = 1, fin = true, rsv1 = false } = {}) {
  const body = Buffer.from(payload);
  const n = body.length;
  const head = [(fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode];
  if (n < 126) head.push(0x80 | n);
  else if (n <= 0xffff) head.push(0x80 | 126, n >> 8, n & 0xff);
  else {
    head.push(0x80 | 127);
    for (let shift = 56n; shift >= 0n; shift -= 8n) head.push(Number((BigInt(n) >> shift) & 0xffn));
  }
  const mask = randomBytes(4);
  const masked = Buffer.alloc(n);
  for (let i = 0; i < n; i++) masked[i] = body[i] ^ mask[i & 3];
  return Buffer.concat([Buffer.from(head), mask, masked]);
}

// A WebSocket opened by hand on a plain TCP socket, for frames no library sends.
// Resolves once the 101 response is in: { socket, headers (lower-case names), closeCode() }.
export async function rawWebSocket(wsUrl, { localAddress = '127.0.0.1', extraHeaders = '' } = {}) {
  const u = new URL(wsUrl);
  const socket = connect({ host: u.hostname, port: Number(u.port), localAddress });
  const key = randomBytes(16).toString('base64');
  socket.write(`GET ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`
    + `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${extraHeaders}\r\n`);
  let buffer = Buffer.alloc(0);
  const ended = new Promise((resolve) => socket.on('close', resolve));
  socket.on('error', () => {});
  const headers = await withTimeout(new Promise((resolve, reject) => {
    const onData = (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      const lines = buffer.subarray(0, end).toString().split('\r\n');
      buffer = buffer.subarray(end + 4);
      if (!/^HTTP\/1\.1 101/.test(lines[0])) reject(new Error(`no upgrade: ${lines[0]}`));
      resolve(Object.fromEntries(lines.slice(1).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()])));
    };
    socket.on('data', onData);
    socket.once('close', () => reject(new Error('closed during the handshake')));
  }), 10000, 'the raw WebSocket handshake');
  socket.on('data', (chunk) => { buffer = Buffer.concat([buffer, chunk]); });
  return {
    socket,
    headers,
    // The server's close code (null: the socket ended without a close frame), once it is closed.
    async closeCode() {
      await ended;
      for (let at = 0; at + 2 <= buffer.length;) {
        const opcode = buffer[at] & 0x0f;
        let len = buffer[at + 1] & 0x7f;
        let start = at + 2;
        if (len === 126) { len = buffer.readUInt16BE(at + 2); start += 2; } else if (len === 127) { len = Number(buffer.readBigUInt64BE(at + 2)); start += 8; }
        if (opcode === 8) return len >= 2 ? buffer.readUInt16BE(start) : null;
        at = start + len;
      }
      return null;
    },
  };
}
