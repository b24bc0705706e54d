// Helpers of the HTTP attack tests: raw loopback requests (any bytes, any source address),
// the daemon's resident memory, and the proof that a normal client is still served.
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { httpGet } from './http.mjs';
import { WsClient } from './ws-client.mjs';

// The daemon's resident memory in KiB (VmRSS of /proc/PID/status).
export function vmRssKb(pid) {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(m, `no VmRSS in /proc/${pid}/status`);
  return Number(m[1]);
}

// The ceiling an attack may lift the daemon's RSS to: its RSS before the attack plus
// `marginMb`. Each test picks a margin far below what the attack sends (had the daemon
// buffered it, the RSS would rise by at least that much) and far above allocator noise.
export function rssCeiling(d, marginMb) {
  const before = vmRssKb(d.pid);
  return {
    before,
    limit: before + marginMb * 1024,
    check(t, what) {
      const now = vmRssKb(d.pid);
      t.diagnostic(`${what}: VmRSS ${before} kB before, ${now} kB after (ceiling ${this.limit} kB)`);
      assert.ok(now <= this.limit, `${what}: callboxd's VmRSS rose from ${before} to ${now} kB (ceiling ${this.limit} kB)`);
      return now;
    },
  };
}

// Opens a TCP connection to the daemon (from `localAddress` when given: 127.0.0.2 etc.).
export function connectRaw(d, { localAddress } = {}) {
  const u = new URL(d.url);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: u.hostname, port: Number(u.port), localAddress });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

// What came back on `socket` until the daemon closed it (or `timeout` ms passed, which is an
// error): { text, status, closedBy: 'end' | 'reset' | 'error' }.
export function readResponse(socket, { timeout = 15000 } = {}) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let settled = false;
    const done = (closedBy) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ text, status: m ? Number(m[1]) : null, closedBy });
    };
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      socket.destroy();
      reject(new Error(`no end of the response within ${timeout} ms: ${Buffer.concat(chunks).toString('latin1').slice(0, 200)}`));
    }, timeout);
    socket.on('data', (c) => chunks.push(c));
    socket.on('end', () => done('end'));
    socket.on('close', () => done('end'));
    socket.on('error', (e) => done(e.code === 'ECONNRESET' ? 'reset' : 'error'));
  });
}

// Writes `chunk` again and again until the daemon closes the connection or `maxBytes` are
// written; resolves to the bytes written. A daemon that reads everything lets it reach maxBytes.
export function writeUntilClosed(socket, chunk, maxBytes) {
  return new Promise((resolve) => {
    let written = 0;
    let stopped = false;
    const stop = () => { if (!stopped) { stopped = true; resolve(written); } };
    socket.on('error', stop);
    socket.on('close', stop);
    const pump = () => {
      while (!stopped && written < maxBytes) {
        written += chunk.length;
        if (!socket.write(chunk)) {
          socket.once('drain', pump);
          return;
        }
      }
      stop();
    };
    pump();
  });
}

// A request with the exact bytes given, on a fresh connection: its response.
export async function rawRequest(d, bytes, opts = {}) {
  const socket = await connectRaw(d, opts);
  const response = readResponse(socket, opts);
  socket.on('error', () => {});
  socket.write(bytes);
  return response;
}

// Proves the daemon still serves a normal client: GET /api/health answers 200 and a chat
// message goes round between two WebSocket clients. Resolves to the times it took (ms), for
// diagnostics. `code`: the access code, when the daemon has one.
export async function assertServed(d, { label = 'normal client', code } = {}) {
  const started = performance.now();
  const health = await httpGet(d.url, '/api/health', { timeout: 30000 });
  assert.equal(health.status, 200, `${label}: GET /api/health answered ${health.status}`);
  const healthMs = performance.now() - started;
  const room = `served-${Math.random().toString(36).slice(2, 8)}`;
  const a = await WsClient.connect(d.wsUrl, { timeout: 30000, label: `${label}-a` });
  const b = await WsClient.connect(d.wsUrl, { timeout: 30000, label: `${label}-b` });
  try {
    await a.join(room, 'alice', code ? { code } : {});
    await b.join(room, 'bob', code ? { code } : {});
    const sent = performance.now();
    a.send({ type: 'chat', text: 'still here?' });
    const got = await b.next('chat', { timeout: 30000, where: (m) => m.text === 'still here?' });
    assert.equal(got.from?.nick, 'alice');
    return { healthMs, chatMs: performance.now() - sent };
  } finally {
    await Promise.all([a.terminate(), b.terminate()]);
  }
}
