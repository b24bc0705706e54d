// Configuration and startup: --check-config (valid, unknown key/group, bad values, line numbers), defaults without a config file, settings applied, corrupt or unusable storage refused clearly.
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture } from '../lib/fixture.mjs';
import { runCallboxd, daemonArgs, sourceRoot } from '../lib/daemon.mjs';
import { assertShape, is } from '../lib/match.mjs';

const ALARMING = /error|warn|critical|invalid|unknown|fail/i;

function writeConfig(t, lines) {
  const file = join(t.tempDir('callbox-conf-'), 'callbox.conf');
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

// Runs --check-config on the lines; returns {code, signal, output, file}.
async function checkConfig(t, lines) {
  const file = writeConfig(t, lines);
  return { ...(await runCallboxd(['--check-config', file])), file };
}

function validConfig(t) {
  return [
    '# callbox test configuration',
    '[server]',
    'listen=127.0.0.1',
    'port=8443',
    'tls=false',
    `web_dir=${join(sourceRoot, 'web')}`,
    '',
    '[storage]',
    `data_dir=${t.tempDir()}`,
    '',
    '[device]',
    'name=Living room',
    '',
    '[rooms]',
    'max_browsers=8',
    'rate_limit=20',
    'rate_window=5',
    'history_length=50',
  ];
}

// Checks that --check-config refuses the file, naming `line` first.
function assertRefusedAt(r, line, what) {
  assert.equal(r.signal, null, `${what}: --check-config crashed (${r.signal})\n${r.output}`);
  assert.equal(r.code, 1, `${what}: exit status\n${r.output}`);
  const first = r.output.split('\n').find((l) => l.includes(r.file));
  assert.ok(first, `${what}: no line names the file ${r.file}:\n${r.output}`);
  assert.ok(first.includes(`${r.file}:${line}: `), `${what}: expected "${r.file}:${line}: message" first, got ${JSON.stringify(first)}`);
  assert.ok(first.split(`${r.file}:${line}: `)[1]?.trim().length > 0, `${what}: the error has no message`);
}

test('--check-config accepts a valid file quietly', { timeout: 30000 }, fixture(async (t) => {
  const r = await checkConfig(t, validConfig(t));
  assert.deepEqual([r.code, r.signal], [0, null], `exit status\n${r.output}`);
  assert.doesNotMatch(r.output, ALARMING);
}));

test('--check-config reports an unknown key with its line', { timeout: 30000 }, fixture(async (t) => {
  const lines = validConfig(t);
  lines.splice(15, 0, 'colour=blue');   // line 16, inside [rooms]
  const r = await checkConfig(t, lines);
  assertRefusedAt(r, 16, 'unknown key');
  assert.match(r.output, /colour/);
}));

test('--check-config reports an unknown group with its line', { timeout: 30000 }, fixture(async (t) => {
  const lines = validConfig(t);
  lines.splice(6, 0, '[camera]', 'width=640');   // line 7
  const r = await checkConfig(t, lines);
  assertRefusedAt(r, 7, 'unknown group');
  assert.match(r.output, /camera/);
}));

test('--check-config reports bad values with their line', { timeout: 30000 }, fixture(async (t) => {
  const cases = [
    ['[server]', 'port=notanumber'], ['[server]', 'port=70000'], ['[server]', 'tls=maybe'],
    ['[rooms]', 'max_browsers=many'], ['[rooms]', 'rate_limit=fast'], ['[rooms]', 'rate_window=soon'], ['[rooms]', 'history_length=lots'],
  ];
  const wrong = [];
  for (const [group, line] of cases) {
    const r = await checkConfig(t, ['# bad value', '', group, line, '']);
    try {
      assertRefusedAt(r, 4, line);
    } catch (e) {
      wrong.push(e.message.split('\n')[0]);
    }
  }
  assert.deepEqual(wrong, []);
}));

test('--check-config reports a syntax error with its line, and only the first error', { timeout: 30000 }, fixture(async (t) => {
  assertRefusedAt(await checkConfig(t, ['[server]', 'port=8443', 'this line is not a key']), 3, 'syntax error');
  const r = await checkConfig(t, ['[rooms]', 'history_length=50', 'max_browsers=many', '', '[nonsense]', 'x=1']);
  assertRefusedAt(r, 3, 'two errors');
  assert.ok(!r.output.includes(`${r.file}:5:`), `only the first error should be printed:\n${r.output}`);
}));

test('the daemon refuses to start with an invalid config file', { timeout: 30000 }, fixture(async (t) => {
  const file = writeConfig(t, ['[rooms]', 'max_browsers=many']);
  const r = await runCallboxd(daemonArgs({ dataDir: t.tempDir(), config: file }));
  assert.equal(r.started, false, 'callboxd started with an invalid config');
  assert.ok(r.code !== 0 && r.signal === null, `exit: ${JSON.stringify([r.code, r.signal])}`);
  assert.match(r.output, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: `));
}));

test('without a config file the daemon starts on defaults', { timeout: 30000 }, fixture(async (t) => {
  const d = await t.daemon();
  const c = await d.client();
  assertShape(c.welcome.device, { id: 'device', name: 'callbox' }, 'default device name');
  assertShape(await d.api('/api/health'), { status: 'ok', uptime_s: is.int(0), media: is.oneOf('running', 'degraded', 'off') }, 'health');
}));

test('settings from the config file are applied', { timeout: 30000 }, fixture(async (t) => {
  const d = await t.daemon({ config: '# test\n[device]\nname=Kitchen display\n\n[rooms]\nmax_browsers=3\n' });
  const [c] = await d.clients(3, 'kitchen');
  assertShape(c.welcome.device, { id: 'device', name: 'Kitchen display' }, 'configured device name');
  const joined = await (await d.client()).join('hall', 'x');
  assert.deepEqual(joined.peers, [{ id: 'device', nick: 'Kitchen display', device: true }]);
  await (await d.client()).expectError({ type: 'join', room: 'kitchen', nick: 'fourth' }, 'room-full');
}));

// Starts callboxd on dataDir and expects a clean refusal that mentions `mention`.
async function assertStartupRefused(dataDir, mention, what) {
  const r = await runCallboxd(daemonArgs({ dataDir }));
  assert.equal(r.started, false, `${what}: callboxd started anyway`);
  assert.equal(r.timedOut, false, `${what}: callboxd neither started nor exited`);
  assert.equal(r.signal, null, `${what}: callboxd crashed (${r.signal}):\n${r.output}`);
  assert.notEqual(r.code, 0, `${what}: exit status 0`);
  assert.ok(r.output.includes(mention), `${what}: the message should name ${mention}:\n${r.output}`);
}

test('a corrupt chat database is a clear startup error', { timeout: 30000 }, fixture(async (t) => {
  const garbage = t.tempDir();
  writeFileSync(join(garbage, 'chat.sqlite3'), Buffer.concat([Buffer.from('this is not a database\n'.repeat(200)), randomBytes(8192)]));
  await assertStartupRefused(garbage, 'chat.sqlite3', 'garbage database');

  // A valid SQLite header followed by garbage pages.
  const header = t.tempDir();
  const hdr = Buffer.alloc(100);
  hdr.write('SQLite format 3\0', 0, 'latin1');
  hdr.writeUInt16BE(4096, 16);
  hdr.writeUInt8(1, 18);
  hdr.writeUInt8(1, 19);
  hdr.writeUInt8(64, 21);
  hdr.writeUInt8(32, 22);
  hdr.writeUInt8(32, 23);
  hdr.writeUInt32BE(4, 28);
  writeFileSync(join(header, 'chat.sqlite3'), Buffer.concat([hdr, randomBytes(4 * 4096 - 100)]));
  await assertStartupRefused(header, 'chat.sqlite3', 'database with a valid header and garbage pages');
}));

test('an unusable data dir is a clear startup error', { timeout: 30000 }, fixture(async (t) => {
  // Tests run as root, so permission bits would not stop the daemon: use a regular file.
  const file = join(t.tempDir(), 'not-a-dir');
  writeFileSync(file, 'plain file\n');
  await assertStartupRefused(file, file, 'data dir that is a regular file');

  // The database path is a directory.
  const dir = t.tempDir();
  mkdirSync(join(dir, 'chat.sqlite3'));
  await assertStartupRefused(dir, 'chat.sqlite3', 'chat.sqlite3 that is a directory');
}));
