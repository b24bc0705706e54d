// bench/admin/stall.mjs: how long callboxd's main loop stalls while it checks wrong admin passwords.
// A WebSocket probe sends list-rooms every 5 ms and times each answer; meanwhile wrong passwords
// are sent one after another (each from its own loopback address, so no back-off interferes).
// Usage: node bench/admin/stall.mjs [CALLBOXD] [--base OTHER_CALLBOXD] [--guesses N] [--iterations N]
//        [--password-bytes N]  (the length of each wrong password; default 16)
// Prints one row per daemon: probe round trips without and with checks, and the longest gap.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import http from 'node:http';
import WebSocket from 'ws';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const [, value] = args.splice(i, 2);
  return value;
};
const base = option('--base', null);
const guesses = Number(option('--guesses', '6'));
const iterations = Number(option('--iterations', '600000'));
const passwordBytes = Number(option('--password-bytes', '16'));
const daemon = args[0] ?? process.env.CALLBOXD ?? join(here, '..', '..', 'build', 'src', 'callboxd');

// A hash of a password nobody sends, with `iterations`, in the format every callboxd reads.
const salt = randomBytes(16);
const HASH = `$pbkdf2-sha256$${iterations}$${salt.toString('base64')}$${pbkdf2Sync('the real one', salt, iterations, 32, 'sha256').toString('base64')}`;

const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : NaN;
};

async function start(binary) {
  const dir = mkdtempSync(join(tmpdir(), 'callbox-stall-'));
  writeFileSync(join(dir, 'bench.conf'), `[server]\nadmin_password_hash=${HASH}\n[rooms]\nrate_limit=0\n`);
  const child = spawn(binary, ['--no-tls', '--bind', '127.0.0.1', '--port', '0', '--data-dir', dir,
    '--web-dir', join(here, '..', '..', 'web'), '--config', join(dir, 'bench.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const url = await new Promise((resolve, reject) => {
    const onData = (c) => {
      output += c;
      const m = /listening on (http\S+)/.exec(output);
      if (m) resolve(m[1].replace(/\/$/, ''));
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`${binary} exited (${code}):\n${output}`)));
  });
  return { url, child, dir };
}

function guess(url, n) {
  const u = new URL(url);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: '/api/status', localAddress: `127.0.${1 + Math.floor(n / 250)}.${2 + (n % 250)}`,
      headers: { Authorization: `Basic ${Buffer.from(`admin:${`wrong-${n}-`.padEnd(passwordBytes, 'x')}`).toString('base64')}` }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, ms: performance.now() - started }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function measure(binary) {
  const d = await start(binary);
  const ws = new WebSocket(d.url.replace(/^http/, 'ws') + '/ws');
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  let phase = 'idle';
  const rtts = { idle: [], checks: [] };
  const answers = []; // when each probe answer came
  let sentAt = 0;
  let running = true;
  // One probe at a time: the next goes 5 ms after the answer to the last.
  ws.on('message', (data) => {
    if (JSON.parse(data).type !== 'rooms' || !sentAt) return;
    rtts[phase].push(performance.now() - sentAt);
    answers.push(performance.now());
    sentAt = 0;
    if (running) setTimeout(probe, 5);
  });
  const probe = () => { sentAt = performance.now(); ws.send('{"type":"list-rooms"}'); };
  probe();
  await new Promise((r) => setTimeout(r, 2000));
  phase = 'checks';
  const checks = [];
  const from = performance.now();
  for (let n = 0; n < guesses; ++n) checks.push(await guess(d.url, n));
  const to = performance.now();
  await new Promise((r) => setTimeout(r, 200));
  running = false;
  await new Promise((r) => setTimeout(r, 50));
  // The longest time without a probe answer that overlaps the checks: the main loop's stall.
  let stall = 0;
  for (let i = 1; i < answers.length; ++i)
    if (answers[i] > from && answers[i - 1] < to) stall = Math.max(stall, answers[i] - answers[i - 1]);
  ws.terminate();
  d.child.kill('SIGTERM');
  await new Promise((r) => d.child.once('exit', r));
  rmSync(d.dir, { recursive: true, force: true });
  return { binary, rtts, checks, stall };
}

const rows = [];
for (const binary of base ? [base, daemon] : [daemon]) rows.push(await measure(binary));
console.log(`# Main-loop stall during admin password checks (${guesses} wrong passwords of ${passwordBytes} bytes, PBKDF2 ${iterations} iterations)`);
console.log();
console.log(`- date: ${new Date().toISOString().slice(0, 16)} UTC; probe: list-rooms over one WebSocket, 5 ms after each answer`);
console.log();
console.log('| callboxd | check (median) | probe round trip idle: median / max | during checks: median / p99 | probes answered during checks | longest gap between answers (the stall) |');
console.log('|---|---|---|---|---|---|');
for (const r of rows) {
  const f = (x) => `${x.toFixed(1)} ms`;
  const statuses = [...new Set(r.checks.map((c) => c.status))].join(',');
  console.log(`| ${r.binary} | ${f(percentile(r.checks.map((c) => c.ms), 0.5))} (HTTP ${statuses}) | ` +
    `${f(percentile(r.rtts.idle, 0.5))} / ${f(Math.max(...r.rtts.idle))} | ` +
    `${f(percentile(r.rtts.checks, 0.5))} / ${f(percentile(r.rtts.checks, 0.99))} | ${r.rtts.checks.length} | ${f(r.stall)} |`);
}
