// The per-test fixture of the integration tests under node:test: daemons, WebSocket clients, temporary dirs, clean-up.
// Use: test('name', { timeout: 30000 }, fixture(async (t) => { const d = await t.daemon(); ... }));
// node:test runs a file's top-level tests one after another: the tests of a file never overlap.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { startDaemon, makeTempDir, openFdCount, vmRssKib, sanitizerReport } from './daemon.mjs';
import { WsClient } from './ws-client.mjs';
import { httpGet, getJson } from './http.mjs';
import { withTimeout } from './wait.mjs';
import { skipFile } from './skip.mjs';

if (!process.env.CALLBOXD) skipFile('CALLBOXD is not set (run through meson test)');

const liveDaemons = new Set();
// If the test process dies early (an uncaught error, a closed stdout), take its daemons with it.
process.on('exit', () => {
  for (const child of liveDaemons) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

// A running daemon owned by one test.
class TestDaemon {
  constructor(ctx, handle, opts) {
    this.ctx = ctx;
    this.handle = handle;
    this.opts = opts;
    this.url = handle.url;
    this.wsUrl = handle.wsUrl;
    this.dataDir = handle.dataDir;
    this.pid = handle.child.pid;
    this.stopped = false;
  }

  get running() {
    return this.handle.child.exitCode === null && this.handle.child.signalCode === null;
  }

  output() {
    return this.handle.output();
  }

  openFds() {
    return openFdCount(this.pid);
  }

  // The daemon's VmRSS in KiB.
  rssKib() {
    return vmRssKib(this.pid);
  }

  async client(opts = {}) {
    const c = await WsClient.connect(this.wsUrl, opts);
    this.ctx.clients.push(c);
    return c;
  }

  // n clients, each joined to `room` with nicks prefix1..prefixN.
  async clients(n, room, prefix = 'u') {
    const out = [];
    for (let i = 1; i <= n; i++) {
      const c = await this.client({ label: `${prefix}${i}` });
      if (room !== undefined) await c.join(room, `${prefix}${i}`);
      out.push(c);
    }
    return out;
  }

  get(path, opts) {
    return httpGet(this.url, path, opts);
  }

  api(path) {
    return getJson(this.url, path);
  }

  // Stops it (SIGTERM by default) and returns {code, signal}; the test owns the outcome.
  async stop(signal = 'SIGTERM') {
    this.stopped = true;
    return withTimeout(this.handle.stop(signal), 15000, `stopping callboxd with ${signal}`);
  }
}

// What a test body gets as `t`.
class TestContext {
  constructor(nodeTest) {
    this.nodeTest = nodeTest;
    this.name = nodeTest.name;
    this.daemons = [];
    this.clients = [];
    this.cleanups = [];
  }

  // A line in the TAP output ("# ..."), under this test.
  diagnostic(message) {
    this.nodeTest.diagnostic(message);
  }

  // A temporary directory removed after the test.
  tempDir(prefix) {
    const d = makeTempDir(prefix);
    this.cleanups.push(() => rmSync(d, { recursive: true, force: true }));
    return d;
  }

  // Starts callboxd; opts as for startDaemon(). The data dir outlives stop() until the test ends,
  // so a test can restart on the same data.
  async daemon(opts = {}) {
    const o = { ...opts, dataDir: opts.dataDir ?? this.tempDir() };
    const d = new TestDaemon(this, await startDaemon(o), o);
    liveDaemons.add(d.handle.child);
    d.handle.exited.then(() => liveDaemons.delete(d.handle.child));
    this.daemons.push(d);
    return d;
  }

  defer(fn) {
    this.cleanups.push(fn);
  }

  // Closes the clients, stops the daemons (each must exit cleanly on SIGTERM) and runs the deferred clean-ups.
  async cleanup() {
    const problems = [];
    await Promise.all(this.clients.map((c) => c.terminate()));
    for (const d of this.daemons) {
      if (d.stopped) continue;
      if (!d.running) {
        const { exitCode, signalCode } = d.handle.child;
        problems.push(`callboxd exited during the test (${signalCode ?? `code ${exitCode}`})`);
        const report = sanitizerReport(d.output());
        if (report) problems.push(`callboxd's sanitizer report: ${report}`);
        continue;
      }
      try {
        const r = await d.stop('SIGTERM');
        if (r.code !== 0) problems.push(`callboxd did not exit cleanly on SIGTERM: ${JSON.stringify(r)}`);
      } catch (e) {
        d.handle.child.kill('SIGKILL');
        problems.push(e.message);
      }
    }
    for (const f of this.cleanups.reverse()) {
      try {
        await f();
      } catch (e) {
        problems.push(`cleanup: ${e.message}`);
      }
    }
    if (problems.length) throw new Error(problems.join('\n'));
  }

  // Every running daemon's thread stacks (gdb, when installed): what a test that timed out
  // was waiting for, e.g. a main loop blocked in a state change.
  daemonStacks() {
    return this.daemons.filter((d) => d.running).map((d) => {
      const r = spawnSync('gdb', ['-p', String(d.pid), '-batch', '-nx', '-ex', 'thread apply all bt'], { encoding: 'utf8', timeout: 30000 });
      const text = r.error ? `(no stacks: ${r.error.message})` : r.stdout.split('\n').filter((l) => /^(Thread |#)/.test(l)).join('\n');
      return `--- ${this.name}: callboxd pid ${d.pid} thread stacks ---\n${text}`;
    }).join('\n');
  }

  daemonLogs() {
    return this.daemons.map((d, i) => {
      const lines = d.output().trimEnd().split('\n');
      return `--- ${this.name}: callboxd #${i + 1} output (last ${Math.min(lines.length, 40)} lines) ---\n${lines.slice(-40).join('\n')}`;
    }).join('\n');
  }
}

// node:test's watchdog for a test, `ms` scaled by CALLBOX_TIMEOUT_SCALE (tests/meson.build sets 3
// for a sanitized build, whose daemon is several times slower, like meson's own multiplier).
export function watchdog(ms) {
  return ms * (Number(process.env.CALLBOX_TIMEOUT_SCALE) || 1);
}

// Resolves when node:test aborts the test (its timeout ran out); the body may still be running then.
function aborted(signal) {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

// Wraps a test body for node:test: the body gets a TestContext; afterwards (also after a timeout)
// its clients, daemons and temporary dirs are cleaned up, and on a failure the daemons' last output
// goes to stderr.
export function fixture(body) {
  return async (nodeTest) => {
    const t = new TestContext(nodeTest);
    let error = null;
    try {
      await Promise.race([Promise.resolve().then(() => body(t)), aborted(nodeTest.signal)]);
    } catch (e) {
      error = e;
    }
    const failed = () => error !== null || nodeTest.signal.aborted;
    // The output as it was when the test failed; a failing clean-up reads it afterwards.
    const logs = failed() ? t.daemonLogs() + (nodeTest.signal.aborted ? `\n${t.daemonStacks()}` : '') : '';
    try {
      await t.cleanup();
    } catch (e) {
      error ??= e;
    }
    const shown = failed() ? logs || t.daemonLogs() : '';
    if (shown) process.stderr.write(`${shown}\n`);
    if (error) throw error;
  };
}
