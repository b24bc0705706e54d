// The appliance over HTTPS: its own certificate (0600, reused, names and addresses), access
// codes, admin password, foreign Origin, paths, SIGHUP reload, /metrics as Prometheus text.
import https from 'node:https';
import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture, watchdog } from '../lib/fixture.mjs';
import { callboxdPath } from '../lib/daemon.mjs';
import { WsClient } from '../lib/ws-client.mjs';
import { eventually } from '../lib/wait.mjs';

const PASSWORD = 'appliance-test-pw';
const HASH_LINE = spawnSync(callboxdPath(), ['--hash-password'], { input: `${PASSWORD}\n` }).stdout.toString().trim();
const AUTH = `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`;

// HTTPS request with the path as given; the test trusts the daemon's self-signed certificate.
function request(base, path, { method = 'GET', headers = {}, body } = {}) {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = https.request({ host: u.hostname, port: u.port, path, method, headers, rejectUnauthorized: false, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString(), cert: res.socket.getPeerCertificate?.() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const connect = (d, opts = {}) => WsClient.connect(d.wsUrl, { rejectUnauthorized: false, ...opts });

test('HTTPS by default: a self-signed certificate made once, 0600, with the device\'s names', { timeout: watchdog(30000) }, fixture(async (t) => {
  const d = await t.daemon({ tls: true });
  assert.match(d.url, /^https:\/\//);
  const health = await request(d.url, '/api/health');
  assert.equal(health.status, 200);
  assert.equal(JSON.parse(health.body).status, 'ok');
  for (const f of ['cert.pem', 'key.pem']) {
    const mode = statSync(join(d.dataDir, 'tls', f)).mode & 0o777;
    assert.equal(mode, 0o600, `${f} mode ${mode.toString(8)}`);
  }
  const pem = readFileSync(join(d.dataDir, 'tls', 'cert.pem'), 'utf8');
  const cert = new X509Certificate(pem);
  assert.match(cert.subjectAltName, /DNS:localhost/);
  assert.match(cert.subjectAltName, /IP Address:127\.0\.0\.1/);
  const days = (Date.parse(cert.validTo) - Date.now()) / 86400e3;
  assert.ok(days <= 825, `valid for ${days} days (iOS takes at most 825)`);
  // The app and the WebSocket work over TLS.
  const page = await request(d.url, '/');
  assert.equal(page.status, 200);
  assert.match(page.headers['content-security-policy'], /script-src 'self'/);
  assert.equal(page.headers['x-content-type-options'], 'nosniff');
  assert.equal(page.headers['x-frame-options'], 'DENY');
  const c = await connect(d);
  await c.join('kitchen', 'alice');
  // A restart reuses the same certificate.
  await d.stop();
  const again = await t.daemon({ tls: true, dataDir: d.dataDir });
  await request(again.url, '/api/health');
  assert.equal(readFileSync(join(d.dataDir, 'tls', 'cert.pem'), 'utf8'), pem);
}));

test('an access code: missing and wrong codes are forbidden, the right one joins', { timeout: watchdog(30000) }, fixture(async (t) => {
  const d = await t.daemon({ config: '[rooms]\naccess_code=2468\n' });
  const c = await WsClient.connect(d.wsUrl);
  await c.expectError({ type: 'join', room: 'kitchen', nick: 'alice' }, 'forbidden');
  await c.expectError({ type: 'join', room: 'kitchen', nick: 'alice', code: '1111' }, 'forbidden');
  // Even a bad room name reports forbidden first.
  await c.expectError({ type: 'join', room: 'bad/room', nick: '', code: '0' }, 'forbidden');
  const joined = await c.join('kitchen', 'alice', { code: '2468' });
  assert.equal(joined.room, 'kitchen');
}));

test('the admin pages: off without a password, refused without it, served with it', { timeout: watchdog(30000) }, fixture(async (t) => {
  const off = await t.daemon({ tls: true });
  assert.equal((await request(off.url, '/api/status')).status, 403);
  const d = await t.daemon({ tls: true, config: `[server]\n${HASH_LINE}\n` });
  for (const path of ['/admin', '/api/status', '/api/admin/devices']) {
    const none = await request(d.url, path);
    assert.equal(none.status, 401, `${path} without a password`);
    assert.match(none.headers['www-authenticate'] ?? '', /Basic/);
    const wrong = await request(d.url, path, { headers: { Authorization: `Basic ${Buffer.from('admin:nope').toString('base64')}` } });
    assert.equal(wrong.status, 401, `${path} with a wrong password`);
    const right = await request(d.url, path, { headers: { Authorization: AUTH } });
    assert.equal(right.status, 200, `${path} with the password`);
  }
  const served = await request(d.url, '/api/status', { headers: { Authorization: AUTH } });
  const status = JSON.parse(served.body);
  assert.ok(Array.isArray(status.rooms));
  // The fingerprint the admin page (and the idle screen) shows is the served certificate's, as
  // a browser's certificate viewer writes it.
  assert.match(status.tls_fingerprint, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  assert.equal(status.tls_fingerprint, served.cert.fingerprint256);
  assert.ok(Array.isArray(status.media.calls));
  // Idle, the screen shows the join link (and its QR code), through the video sink.
  assert.equal(status.media.join_link, `${d.url}/`);
  await eventually(async () => {
    const s = JSON.parse((await request(d.url, '/api/status', { headers: { Authorization: AUTH } })).body);
    return s.media.idle_screen_frames >= 2;
  }, { what: 'idle screen frames', timeout: 10000 });
}));

test('a foreign Origin is refused on /ws; the page\'s own origin and no origin are not', { timeout: watchdog(30000) }, fixture(async (t) => {
  const d = await t.daemon();
  const host = new URL(d.url).host;
  await assert.rejects(WsClient.connect(d.wsUrl, { origin: 'https://evil.example' }), /HTTP 403/);
  await assert.rejects(WsClient.connect(d.wsUrl, { origin: `http://${host}.evil.example` }), /HTTP 403/);
  const own = await WsClient.connect(d.wsUrl, { origin: `http://${host}` });
  assert.equal(own.welcome.type, 'welcome');
  const script = await WsClient.connect(d.wsUrl);
  assert.equal(script.welcome.type, 'welcome');
}));

test('.. paths are refused over HTTPS too', { timeout: watchdog(30000) }, fixture(async (t) => {
  const d = await t.daemon({ tls: true });
  for (const path of ['/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/js/..%2f..%2f..%2fetc%2fpasswd']) {
    const r = await request(d.url, path);
    assert.ok(r.status === 404 || r.status === 403 || r.status === 400, `${path}: ${r.status}`);
    assert.doesNotMatch(r.body, /root:/);
  }
}));

test('SIGHUP changes the device name live; connections stay', { timeout: watchdog(30000) }, fixture(async (t) => {
  const d = await t.daemon({ config: '[device]\nname=Kitchen box\n' });
  const c = await WsClient.connect(d.wsUrl);
  assert.equal(c.welcome.device.name, 'Kitchen box');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(d.dataDir, 'test.conf'), '[device]\nname=Garden box\n');
  d.handle.child.kill('SIGHUP');
  await eventually(async () => {
    const fresh = await WsClient.connect(d.wsUrl);
    const name = fresh.welcome.device.name;
    fresh.terminate();
    return name === 'Garden box';
  }, { what: 'the new device name in welcome' });
  await c.join('porch', 'alice'); // the old connection still works
}));

test('/metrics is Prometheus text format', { timeout: watchdog(30000) }, fixture(async (t) => {
  const d = await t.daemon();
  const c = await WsClient.connect(d.wsUrl);
  await c.join('kitchen', 'alice');
  const r = await fetch(`${d.url}/metrics`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  const values = new Map();
  for (const line of (await r.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) {
      assert.match(line, /^(|# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+)$/, `comment line: ${line}`);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (-?[0-9.eE+]+|NaN|[+-]Inf)$/.exec(line);
    assert.ok(m, `sample line: ${line}`);
    values.set(m[1], Number(m[3]));
  }
  assert.equal(values.get('callbox_connections'), 1);
  assert.equal(values.get('callbox_rooms'), 1);
  assert.ok(values.get('callbox_messages_received_total') >= 1);
  assert.ok(values.has('callbox_calls'));
  assert.ok(values.get('callbox_received_bytes_total') > 0);
  assert.ok(values.get('callbox_sent_bytes_total') > 0);
  for (const name of ['callbox_encoders', 'callbox_encoder_fps', 'callbox_pipeline_restarts_total', 'callbox_keyframes_forced_total', 'callbox_keyframe_requests_dropped_total'])
    assert.ok(values.has(name), name);
}));

// callboxd drops libsoup's debug messages before GLib formats them (src/loop/quiet-debug-log.cpp),
// but only those GLib would drop: asked for, they are still printed.
test('libsoup debug messages appear with G_MESSAGES_DEBUG=libsoup, and not without it', { timeout: watchdog(30000) }, fixture(async (t) => {
  const chatty = await t.daemon({ env: { G_MESSAGES_DEBUG: 'libsoup' } });
  const quiet = await t.daemon();
  for (const d of [chatty, quiet]) {
    const [a, b] = await d.clients(2, 'kitchen');
    a.send({ type: 'chat', text: 'hello' });
    assert.equal((await b.next('chat')).text, 'hello');
  }
  await eventually(() => /libsoup-DEBUG.*queued \d+ frame/.test(chatty.output()), { what: 'libsoup debug lines' });
  assert.doesNotMatch(quiet.output(), /libsoup-DEBUG/);
}));

test('with media off the device is in no room and takes no calls', { timeout: watchdog(30000) }, fixture(async (t) => {
  const d = await t.daemon({ config: '[media]\nenabled=false\n' });
  assert.equal((await (await fetch(`${d.url}/api/health`)).json()).media, 'off');
  const c = await WsClient.connect(d.wsUrl);
  assert.equal(c.welcome.device.id, 'device');
  const joined = await c.join('kitchen', 'alice');
  assert.deepEqual(joined.peers, []);
  await c.expectError({ type: 'signal', to: 'device', data: { bye: true } }, 'unknown-peer');
  await c.expectError({ type: 'whisper', to: 'device', text: 'hi' }, 'unknown-peer');
}));
