// Attacks on the connection limits: too many connections from one address or in all are closed before a byte is read; silent HTTP connections time out.
import assert from 'node:assert/strict';
import https from 'node:https';
import { test } from 'node:test';
import { fixture } from '../lib/fixture.mjs';
import { WsClient } from '../lib/ws-client.mjs';
import { delay, eventually, withTimeout } from '../lib/wait.mjs';
import { assertRssGrowth, bystander, tcpConnect, watchRss } from './attack-lib.mjs';

// Opens a TCP connection from `localAddress` and resolves with what happened to it: 'refused'
// when the daemon closed it before it sent anything, 'open' when it is still open `settleMs`
// later (the socket is returned to be closed by the caller).
function probe(d, localAddress, settleMs = 300) {
  const { socket, closed } = tcpConnect(d.url, localAddress);
  return new Promise((resolve) => {
    let timer;
    socket.on('connect', () => { timer = setTimeout(() => resolve({ state: 'open', socket, closed }), settleMs); });
    closed.then(() => { clearTimeout(timer); resolve({ state: 'refused', socket, closed }); });
  });
}

// The RSS ceilings below are for connections. Media stays off: its start-up warm-up (a call's
// plug-ins and the DTLS certificate, loaded off the main thread, about 5 MB once) may still be
// under way when a test reads its baseline, and would count as the attack's growth.
const NO_MEDIA = '[media]\nenabled = false\n';

test('connections past max_connections_per_address are closed at once; other addresses still get in', { timeout: 60000 }, fixture(async (t) => {
  const d = await t.daemon({ config: '[server]\nmax_connections_per_address = 4\n' + NO_MEDIA });
  const normal = await bystander(t, d, { localAddress: '127.0.0.2' });
  const held = [];
  for (let i = 0; i < 4; i++) held.push(await d.client({ label: `a${i}`, localAddress: '127.0.0.3' }));
  await assert.rejects(WsClient.connect(d.wsUrl, { localAddress: '127.0.0.3', timeout: 5000 }),
    'a fifth WebSocket from the same address');
  await assert.rejects(d.get('/api/health', { localAddress: '127.0.0.3' }), 'an HTTP request from the same address');
  await normal.check('one address at its limit');
  // A connection that goes frees its place.
  await held[0].close();
  const again = await eventually(() => WsClient.connect(d.wsUrl, { localAddress: '127.0.0.3' }),
    { timeout: 10000, what: 'a new connection once one has closed' });
  await again.assertAlive();
  await again.close();
  const m = await d.get('/metrics');
  assert.match(m.body, /^callbox_connections_refused_total [1-9]\d*$/m);
}));

test('a flood of connections from many addresses stops at max_connections, cheaply', { timeout: 120000 }, fixture(async (t) => {
  const d = await t.daemon({ config: '[server]\nmax_connections = 40\nmax_connections_per_address = 4\n' + NO_MEDIA });
  const normal = await bystander(t, d, { localAddress: '127.0.0.2' });
  // The bystander's connections are released when the daemon has closed them: wait for that, so
  // the flood meets all 40 places free (this request's own connection is the one counted; the
  // daemon lets it go in the main-loop iteration after its response, hence the short pause).
  await eventually(async () => assert.match((await d.get('/metrics')).body, /^callbox_tcp_connections 1$/m),
    { timeout: 10000, what: 'the bystander\'s connections released' });
  await delay(300);
  const base = d.rssKib();
  const rss = watchRss(d);
  // 50 addresses × 6 connections: 300 attempts, 200 of them within the per-address limit. The
  // daemon closes each refused one as it accepts it, so once 260 have closed every attempt has
  // had its answer, however slowly a busy machine accepts them; the rest must then stay open.
  const flood = [];
  for (let a = 10; a < 60; a++) for (let i = 0; i < 6; i++) flood.push(tcpConnect(d.url, `127.0.1.${a}`));
  let refused = 0;
  for (const c of flood) c.closed.then(() => { refused++; });
  await eventually(() => assert.equal(refused, 260, 'connections refused'),
    { timeout: 30000, what: '260 of 300 connections refused' });
  await delay(1000);
  const open = flood.filter((c) => !c.socket.closed);
  t.diagnostic(`${open.length} of ${flood.length} connections stayed open`);
  assert.equal(open.length, 40, 'connections admitted');
  // At the limit, even a well-behaved client is refused...
  assert.equal((await probe(d, '127.0.0.2', 10000)).state, 'refused', 'a connection past max_connections');
  for (const r of open) r.socket.destroy();
  // ...and gets in once the flood is gone.
  await eventually(() => normal.check('after a flood of 300 connections'),
    { timeout: 15000, what: 'a round trip once the flood has closed' });
  // 40 open sockets and 260 accept()+close(): a few MiB of libsoup and TLS-free bookkeeping at most.
  assertRssGrowth(t, base, rss.stop(), 8 * 1024, 'refused connections cost nothing to keep');
}));

test('over TLS, failed and stalled handshakes are dropped and hold nothing', { timeout: 120000 }, fixture(async (t) => {
  // libsoup 3.2.3 never frees a connection whose TLS handshake fails; callboxd does the
  // handshake itself before handing the connection over.
  const d = await t.daemon({ tls: true, config: '[server]\nhttp_idle_timeout = 1\nmax_connections_per_address = 1000\n' + NO_MEDIA });
  const normal = await bystander(t, d, { tls: true });
  const base = d.rssKib();
  const rss = watchRss(d);
  const garbage = Buffer.from('GET / HTTP/1.1\r\nHost: not-tls\r\n\r\n');
  for (let round = 0; round < 10; round++) {
    const conns = Array.from({ length: 50 }, () => tcpConnect(d.url, '127.0.0.7'));
    for (const c of conns) c.socket.write(garbage);
    await withTimeout(Promise.all(conns.map((c) => c.closed)), 30000, 'the daemon dropping failed handshakes');
  }
  const stalled = tcpConnect(d.url, '127.0.0.7'); // says nothing: the handshake times out
  await withTimeout(stalled.closed, 20000, 'the daemon dropping a stalled handshake');
  await normal.check('500 failed TLS handshakes');
  const m = await new Promise((resolve, reject) => {
    https.get(`${d.url}/metrics`, { rejectUnauthorized: false, agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
  // Only this request's own connection is still counted: every failed one was freed.
  assert.match(m, /^callbox_tcp_connections 1$/m);
  // The peak while 50 handshakes are in flight at once (GnuTLS's state for each): 4.0–7.5 MiB in
  // eight runs here; what is left afterwards is the connection count above.
  assertRssGrowth(t, base, rss.stop(), 12 * 1024, 'a failed handshake leaves nothing behind');
}));

test('a connection that says nothing, or stops halfway through its request, is closed after http_idle_timeout; a WebSocket is not', { timeout: 60000 }, fixture(async (t) => {
  const d = await t.daemon({ config: '[server]\nhttp_idle_timeout = 1\n' });
  const normal = await bystander(t, d);
  const ws = await d.client({ label: 'idle-websocket' });
  const silent = await probe(d, '127.0.0.4');
  assert.equal(silent.state, 'open', 'a new connection is accepted');
  await withTimeout(silent.closed, 20000, 'the daemon closing a silent connection');
  // A request that stops after its first line (a slow-loris client).
  const slow = tcpConnect(d.url, '127.0.0.5');
  slow.socket.write(`GET /api/health HTTP/1.1\r\nHost: ${slow.host}\r\n`);
  await withTimeout(slow.closed, 20000, 'the daemon closing a half-sent request');
  assert.equal(slow.received(), '', 'a half-sent request gets no answer');
  // A complete request is answered, and its connection closed (one request per connection).
  const once = tcpConnect(d.url, '127.0.0.5');
  once.socket.write(`GET /api/health HTTP/1.1\r\nHost: ${once.host}\r\n\r\n`);
  await withTimeout(once.closed, 20000, 'the daemon closing a connection after its response');
  assert.match(once.received(), /^HTTP\/1\.1 200/, 'the request was answered');
  assert.match(once.received(), /\r\nConnection: close\r\n/i, 'Connection: close');
  // The WebSocket has been silent longer than http_idle_timeout, and is still served.
  await ws.assertAlive();
  await normal.check('idle connections');
}));
