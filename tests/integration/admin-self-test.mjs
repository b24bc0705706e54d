// The admin API's self-test (POST /api/admin/self-test): the same checks as callboxd --self-test,
// against the test sources, as JSON; one at a time; refused when media is off. /api/status says
// which camera mode and H.264 encoder the device chose.
import assert from 'node:assert/strict';
import http from 'node:http';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fixture } from '../lib/fixture.mjs';
import { callboxdPath } from '../lib/daemon.mjs';

const PASSWORD = 'self-test-pw';
const HASH_LINE = spawnSync(callboxdPath(), ['--hash-password'], { input: `${PASSWORD}\n` }).stdout.toString().trim();
const AUTH = `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`;

function call(base, path, method = 'GET') {
  const u = new URL(base);
  const body = method === 'POST' ? '{}' : undefined;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path, method, agent: false, headers: { Authorization: AUTH, ...(body ? { 'Content-Type': 'application/json' } : {}) } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, json: JSON.parse(Buffer.concat(chunks).toString() || 'null') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('the admin runs the self-test: every required row works with the test sources; one at a time', { timeout: 150000 }, fixture(async (t) => {
  const d = await t.daemon({ config: `[server]\n${HASH_LINE}\n` });
  const status = await call(d.url, '/api/status');
  assert.equal(status.status, 200);
  assert.match(status.json.media.camera_mode, /^test pattern 1280x720@30$/);
  assert.match(status.json.media.video_encoder, /^x264/);
  // Only one at a time: of two asked at once, one runs and the other is refused while it runs.
  // Which one the daemon takes first is not the order they were sent in (each request's password
  // is checked off the main loop); on a fast machine the first may be done before the other
  // arrives, and then both run.
  const both = await Promise.all([call(d.url, '/api/admin/self-test', 'POST'), call(d.url, '/api/admin/self-test', 'POST')]);
  const first = both.find((r) => r.status === 200);
  const second = both.find((r) => r !== first);
  assert.ok(first, `one self-test ran: ${JSON.stringify(both.map((r) => r.status))}`);
  assert.equal(first.json.ok, true, JSON.stringify(first.json));
  const rows = Object.fromEntries(first.json.rows.map((r) => [r.check, r]));
  for (const check of ['GStreamer elements', 'camera', 'microphone', 'speaker', 'screen', 'H.264 for calls', 'VP8 encoder', 'Opus encoder'])
    assert.equal(rows[check]?.result, 'ok', `${check}: ${JSON.stringify(rows[check])}`);
  assert.equal(rows['tone: speaker → microphone'].result, 'skipped');
  assert.match(rows.camera.chose, /test pattern/);
  if (second.status === 409) assert.match(second.json.error, /already running/);
  else assert.equal(second.status, 200);
  // Calls work again afterwards: the device is back in its idle state.
  assert.equal((await call(d.url, '/api/health')).json.media, 'running');
}));

test('the self-test is refused when media is off, and without the password', { timeout: 30000 }, fixture(async (t) => {
  const d = await t.daemon({ config: `[server]\n${HASH_LINE}\n[media]\nenabled=false\n` });
  const r = await call(d.url, '/api/admin/self-test', 'POST');
  assert.equal(r.status, 409);
  assert.match(r.json.error, /media is off/);
  const u = new URL(d.url);
  const anonymous = await new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: '/api/admin/self-test', method: 'POST', agent: false, headers: { 'Content-Type': 'application/json' } }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
    req.on('error', reject);
    req.end('{}');
  });
  assert.equal(anonymous, 401);
}));
