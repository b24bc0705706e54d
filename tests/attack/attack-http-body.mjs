// Attack: request bodies past their limit ([server] max_body_bytes, admin_max_body_bytes) are
// refused with 413 when their headers arrive and the connection is closed, before libsoup
// reads them into memory; callboxd's RSS stays under a ceiling and a normal client is served.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { fixture } from '../lib/fixture.mjs';
import { callboxdPath } from '../lib/daemon.mjs';
import { assertServed, connectRaw, rawRequest, readResponse, rssCeiling, writeUntilClosed } from '../lib/attack-http.mjs';

const PASSWORD = 'attack-body-pw';
const HASH_LINE = spawnSync(callboxdPath(), ['--hash-password'], { input: `${PASSWORD}\n` }).stdout.toString().trim();
const AUTH = `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`;
const MB = 1024 * 1024;
// Each attack offers 256 MB: had callboxd read it into memory (libsoup keeps a whole body, and
// copies it once more to flatten it), its RSS would rise by 256 MB or more. 48 MB over the
// RSS before the attack leaves room for allocator and TLS buffers and is far below that.
const OFFERED = 256 * MB;
const MARGIN_MB = 48;

const config = `[server]\n${HASH_LINE}\nmax_body_bytes=1024\nadmin_max_body_bytes=4096\n`;

test('a declared Content-Length past the limit is refused at the headers, on every path', { timeout: 120000 }, fixture(async (t) => {
  const d = await t.daemon({ config });
  const rss = rssCeiling(d, MARGIN_MB);
  for (const [path, length] of [['/', OFFERED], ['/api/health', 1025], ['/ws', OFFERED], ['/api/admin/kick', 4097], ['/nope/../x', OFFERED]]) {
    const socket = await connectRaw(d);
    const response = readResponse(socket);
    socket.on('error', () => {});
    // Only the headers: the daemon answers without waiting for any of the body.
    socket.write(`POST ${path} HTTP/1.1\r\nHost: ${new URL(d.url).host}\r\nContent-Type: application/json\r\n` +
      `Authorization: ${AUTH}\r\nContent-Length: ${length}\r\n\r\n`);
    const r = await response;
    assert.equal(r.status, 413, `POST ${path} with Content-Length ${length}: ${r.text.slice(0, 120)}`);
    assert.match(r.text, /Connection: close/i);
  }
  // A client that sends the whole body straight away is cut off long before the end.
  const socket = await connectRaw(d);
  const response = readResponse(socket);
  socket.write(`POST /api/admin/mute HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${OFFERED}\r\n\r\n`);
  const written = await writeUntilClosed(socket, Buffer.alloc(MB, 0x20), OFFERED);
  const r = await response;
  t.diagnostic(`the eager client wrote ${(written / MB).toFixed(1)} MB before the close (${r.status ?? r.closedBy})`);
  assert.ok(written < OFFERED, 'the daemon read the whole 256 MB body');
  assert.ok(r.status === 413 || r.closedBy !== 'end' || r.status === null, `eager client: ${r.text.slice(0, 120)}`);
  rss.check(t, 'declared bodies');
  const served = await assertServed(d);
  t.diagnostic(`normal client after the attack: health ${served.healthMs.toFixed(0)} ms, chat ${served.chatMs.toFixed(0)} ms`);
}));

test('a chunked body is cut off once it passes the limit', { timeout: 120000 }, fixture(async (t) => {
  const d = await t.daemon({ config });
  const rss = rssCeiling(d, MARGIN_MB);
  // 16 connections at once, each streaming chunks without end.
  const attacks = Array.from({ length: 16 }, async (_, i) => {
    const path = i % 2 ? '/api/admin/kick' : '/index.html';
    const socket = await connectRaw(d);
    const response = readResponse(socket, { timeout: 60000 });
    socket.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`);
    const chunk = Buffer.concat([Buffer.from(`${(64 * 1024).toString(16)}\r\n`), Buffer.alloc(64 * 1024, 0x41), Buffer.from('\r\n')]);
    const written = await writeUntilClosed(socket, chunk, OFFERED / 16);
    const r = await response;
    assert.ok(written < OFFERED / 16, `${path}: the daemon read all ${OFFERED / 16 / MB} MB of a chunked body`);
    if (r.status !== null) assert.equal(r.status, 413, `${path}: ${r.text.slice(0, 120)}`);
    return written;
  });
  const written = await Promise.all(attacks);
  t.diagnostic(`chunked attackers wrote ${(written.reduce((a, b) => a + b, 0) / MB).toFixed(1)} MB in all before being cut off`);
  // Small enough chunked bodies still reach their handler: the admin API answers 401 here.
  const small = JSON.stringify({ id: 'p999' });
  const ok = await rawRequest(d, `POST /api/admin/kick HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${small.length.toString(16)}\r\n${small}\r\n0\r\n\r\n`);
  assert.equal(ok.status, 401, `a small chunked admin body: ${ok.text.slice(0, 120)}`);
  rss.check(t, 'chunked bodies');
  await assertServed(d);
}));

test('bodies within the limits are served as before', { timeout: 60000 }, fixture(async (t) => {
  const d = await t.daemon({ config });
  const c = await d.client();
  // 4,000 bytes of JSON to the admin API: under admin_max_body_bytes, so it reaches the handler.
  const body = JSON.stringify({ id: 'p999', pad: 'x'.repeat(3970) });
  assert.ok(body.length <= 4096);
  const r = await rawRequest(d, `POST /api/admin/kick HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`, { timeout: 60000 });
  assert.equal(r.status, 404, `kick of nobody: ${r.text.slice(0, 200)}`);
  assert.match(r.text, /nobody is connected with that id/);
  // A GET with a small body is still a GET.
  const g = await rawRequest(d, 'GET /api/health HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nConnection: close\r\n\r\n0123456789');
  assert.equal(g.status, 200);
  await c.assertAlive();
}));
