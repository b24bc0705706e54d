// Runs callboxd for the tests: a daemon on a free loopback port (startDaemon), or a run to completion (runCallboxd).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const sourceRoot = join(here, '..', '..');

export function callboxdPath() {
  const p = process.env.CALLBOXD;
  if (!p) throw new Error('CALLBOXD is not set (run the test through meson test)');
  return p;
}

// A fresh directory under the build dir (or /tmp) that the test owns.
export function makeTempDir(prefix = 'callbox-test-') {
  const base = process.env.MESON_BUILD_ROOT || process.env.CALLBOX_TEST_TMP || tmpdir();
  return mkdtempSync(join(base, prefix));
}

// The arguments startDaemon() uses (config: a file name), also for runs that are expected to fail.
export function daemonArgs({ dataDir, webDir = join(sourceRoot, 'web'), config, tls = false } = {}) {
  const args = [...(tls ? [] : ['--no-tls']), '--bind', '127.0.0.1', '--port', '0', '--data-dir', dataDir, '--web-dir', webDir];
  if (config) args.push('--config', config);
  return args;
}

// The first line of a sanitizer's report (AddressSanitizer, LeakSanitizer, UndefinedBehaviorSanitizer)
// in callboxd's output, or null. A callboxd built with -Db_sanitize (tests/run-all's build-asan)
// prints one before it exits; whatever the test expected, that is a failure.
export function sanitizerReport(output) {
  const m = /^.*(ERROR: (Address|Leak)Sanitizer|runtime error:).*$/m.exec(output);
  return m ? m[0] : null;
}

function failOnSanitizerReport(output) {
  const line = sanitizerReport(output);
  if (line) throw new Error(`callboxd's sanitizer report: ${line}\n${output.split('\n').slice(-60).join('\n')}`);
}

// How long startDaemon waits for the listening line: 15 s, or CALLBOX_START_TIMEOUT_MS (the arm64
// suite's daemon runs under qemu-user and scans GStreamer's plugins first).
const startTimeoutMs = Number(process.env.CALLBOX_START_TIMEOUT_MS) || 15000;

// Starts callboxd; resolves once it prints its listening line.
// opts: { config: string (file contents), dataDir, args: [], env: {}, keepDataDir, tls }
export async function startDaemon(opts = {}) {
  const dataDir = opts.dataDir ?? makeTempDir();
  let config;
  if (opts.config !== undefined) {
    config = join(dataDir, 'test.conf');
    writeFileSync(config, opts.config);
  }
  // opts.tls: HTTPS with the daemon's own certificate instead of plain HTTP.
  const args = [...daemonArgs({ dataDir, config, tls: opts.tls }), ...(opts.args ?? [])];
  const child = spawn(callboxdPath(), args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, G_MESSAGES_DEBUG: '', ...(opts.env ?? {}) },
  });
  let output = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`callboxd did not start:\n${output}`)), startTimeoutMs);
    const onData = (chunk) => {
      output += chunk;
      const m = /listening on (http\S+)/.exec(output);
      if (m) { clearTimeout(timer); resolve(m[1].replace(/\/$/, '')); }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`callboxd exited (${code ?? sig}) before listening:\n${output}`));
    });
  });
  child.stdout.on('data', (c) => { output += c; });
  child.stderr.on('data', (c) => { output += c; if (process.env.CALLBOX_TEST_VERBOSE) process.stderr.write(c); });
  // 'close' comes after the exit and after the pipes are drained: the output is complete.
  const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return {
    url,                                  // http://127.0.0.1:PORT
    wsUrl: url.replace(/^http/, 'ws') + '/ws',
    dataDir,
    child,
    exited,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const r = await exited;
      if (!opts.keepDataDir && opts.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
      failOnSanitizerReport(output);
      return r;
    },
  };
}

// Runs callboxd to completion. If it reports listening, it is stopped and `started` is true.
// A sanitizer's report in its output rejects instead.
export function runCallboxd(args, { timeout = 15000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(callboxdPath(), args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, G_MESSAGES_DEBUG: '' } });
    let output = '';
    let started = false;
    let timedOut = false;
    const onData = (c) => {
      output += c;
      if (!started && /listening on http/.test(output)) {
        started = true;
        child.kill('SIGTERM');
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeout);
    // 'close' comes after the exit and after the pipes are drained.
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      try {
        failOnSanitizerReport(output);
        resolve({ code, signal, output, started, timedOut });
      } catch (e) {
        reject(e);
      }
    });
  });
}

// The process's resident set size in KiB (VmRSS in /proc/PID/status; null when /proc does not tell).
export function vmRssKib(pid) {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

// How many file descriptors the process has open (null when /proc does not tell).
export function openFdCount(pid) {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return null;
  }
}
