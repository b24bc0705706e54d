// Echo cancellation as the appliance shows it: a broken pairing of pipelines/ files refuses to
// start (naming both files), /api/status and /metrics say whether it runs, the admin switches it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fixture } from '../lib/fixture.mjs';
import { callboxdPath, daemonArgs, runCallboxd } from '../lib/daemon.mjs';
import { metrics } from '../lib/metrics.mjs';

const PASSWORD = 'echo-test-pw';
const HASH_LINE = spawnSync(callboxdPath(), ['--hash-password'], { input: `${PASSWORD}\n` }).stdout.toString().trim();
const AUTH = `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`;
const ROOM = '[media]\naudio_source=room\naudio_sink=room\n';

async function admin(d, path, { method = 'GET', body, auth = AUTH } = {}) {
  const headers = { Origin: d.url };
  if (auth) headers.Authorization = auth;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(d.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, text: await res.text() };
}

async function echoStatus(d) {
  const r = await admin(d, '/api/status');
  assert.equal(r.status, 200, r.text);
  return JSON.parse(r.text).media.echo_cancel;
}

async function metric(d, name) {
  const value = (await metrics(d)).get(name);
  assert.ok(value !== undefined, `${name} in /metrics`);
  return value;
}

test('a source whose pair is not the configured sink: callboxd refuses to start, naming both files', { timeout: 30000 }, fixture(async (t) => {
  const dir = t.tempDir();
  const config = join(dir, 'unpaired.conf');
  writeFileSync(config, '[media]\naudio_source=room\naudio_sink=fake\n');
  const run = await runCallboxd(daemonArgs({ dataDir: dir, config }));
  assert.equal(run.started, false, run.output);
  assert.equal(run.code, 1, run.output);
  assert.match(run.output, /audio-source-room\.pipeline must be paired with \S*audio-sink-room\.pipeline, but \[media\] audio_sink = fake uses \S*audio-sink-fake\.pipeline/);
}));

test('status and metrics say whether echo cancellation is on; the admin switches it', { timeout: 30000 }, fixture(async (t) => {
  const d = await t.daemon({ config: `[server]\n${HASH_LINE}\n${ROOM}` });
  // auto, with the room's speaker and microphone: on (running once a call starts the pipeline).
  assert.deepEqual(await echoStatus(d), { mode: 'auto', active: true, running: false, echo_path_ms: null, noise_suppression: true, gain_control: true });
  assert.equal(await metric(d, 'callbox_echo_cancel_active'), 1);
  assert.equal(await metric(d, 'callbox_echo_cancel_running'), 0);

  assert.equal((await admin(d, '/api/admin/echo-cancel', { method: 'POST', body: { enabled: false } })).status, 204);
  assert.deepEqual(await echoStatus(d), { mode: 'off', active: false, running: false, echo_path_ms: null, noise_suppression: true, gain_control: true });
  assert.equal(await metric(d, 'callbox_echo_cancel_active'), 0);
  assert.equal((await admin(d, '/api/admin/echo-cancel', { method: 'POST', body: { enabled: true } })).status, 204);
  assert.equal((await echoStatus(d)).mode, 'on');

  // Bad requests change nothing; without the password nothing is switched.
  for (const body of [{}, { enabled: 'no' }, { enabled: 1 }, []]) {
    const r = await admin(d, '/api/admin/echo-cancel', { method: 'POST', body });
    assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
  }
  assert.equal((await admin(d, '/api/admin/echo-cancel', { method: 'POST', body: { enabled: false }, auth: null })).status, 401);
  assert.equal((await echoStatus(d)).mode, 'on');
}));
