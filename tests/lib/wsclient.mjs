// WebSocket client, message matchers, HTTP and process helpers, and the small test runner the integration tests share.
import WebSocket from 'ws';
import assert from 'node:assert/strict';
import http from 'node:http';
import { spawn } from 'node:child_process';
import { rmSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, callboxdPath, makeTempDir, sourceRoot } from './daemon.mjs';

export { assert, makeTempDir, sourceRoot, callboxdPath };

export const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Number of Unicode code points in a string (what the protocol's limits count).
export const codePoints = (s) => [...s].length;

// ---------------------------------------------------------------------------------------
// Matching messages against templates

// A template is a literal (compared with ===), a plain object (same keys, each member
// matched), an array (same length, element by element) or a function (a matcher: it
// returns false or throws when the value does not fit).
export function assertShape(actual, expected, path = 'message') {
  if (typeof expected === 'function') {
    let ok;
    try {
      ok = expected(actual, path);
    } catch (e) {
      throw new assert.AssertionError({ message: `${path}: ${e.message}`, actual, expected: expected.label ?? expected.name });
    }
    if (ok === false) {
      throw new assert.AssertionError({
        message: `${path}: ${JSON.stringify(actual)} is not ${expected.label ?? expected.name ?? 'as expected'}`,
        actual, expected: expected.label ?? expected.name, operator: 'matches',
      });
    }
    return;
  }
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${path}: expected an array, got ${JSON.stringify(actual)}`);
    assert.equal(actual.length, expected.length,
      `${path}: expected ${expected.length} elements, got ${actual.length}: ${JSON.stringify(actual)}`);
    expected.forEach((e, i) => assertShape(actual[i], e, `${path}[${i}]`));
    return;
  }
  if (expected !== null && typeof expected === 'object') {
    assert.ok(actual !== null && typeof actual === 'object' && !Array.isArray(actual),
      `${path}: expected an object, got ${JSON.stringify(actual)}`);
    const want = Object.keys(expected).sort();
    const got = Object.keys(actual).sort();
    const missing = want.filter((k) => !(k in actual));
    const extra = got.filter((k) => !(k in expected));
    assert.ok(missing.length === 0 && extra.length === 0,
      `${path}: members differ (missing: ${JSON.stringify(missing)}, unexpected: ${JSON.stringify(extra)}) in ${JSON.stringify(actual)}`);
    for (const k of want) assertShape(actual[k], expected[k], `${path}.${k}`);
    return;
  }
  assert.ok(Object.is(actual, expected), `${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

function named(label, fn) {
  fn.label = label;
  return fn;
}

export const is = {
  // A server timestamp in ms since the epoch, taken between `from` and now (with slack).
  ts: (from = Date.now() - 60000, slack = 2000) =>
    named(`a ms timestamp after ${from}`, (v) =>
      Number.isInteger(v) && v >= from - slack && v <= Date.now() + slack),
  int: (min = -Infinity, max = Infinity) =>
    named(`an integer in [${min}, ${max}]`, (v) => Number.isInteger(v) && v >= min && v <= max),
  string: named('a non-empty string', (v) => typeof v === 'string' && v.length > 0),
  browserId: named('a browser id "p<N>"', (v) => typeof v === 'string' && /^p\d+$/.test(v)),
  oneOf: (...values) => named(`one of ${JSON.stringify(values)}`, (v) => values.includes(v)),
  // An array holding the templates in any order (elements identified by keyFn).
  unordered: (templates, keyFn = (x) => x.id ?? x.name) =>
    named('the same set of elements', (v, path) => {
      assert.ok(Array.isArray(v), `expected an array, got ${JSON.stringify(v)}`);
      const sortedActual = [...v].sort((a, b) => String(keyFn(a)).localeCompare(String(keyFn(b))));
      const sortedWant = [...templates].sort((a, b) => String(keyFn(a)).localeCompare(String(keyFn(b))));
      assertShape(sortedActual, sortedWant, `${path} (sorted)`);
      return true;
    }),
};

// The server's room list, as sent in `welcome`, `rooms` and /api/rooms.
export const roomList = (rooms) => is.unordered(rooms.map(([name, count]) => ({ name, count })), (r) => r.name);

// True when a `rooms` array equals the given [[name, count], ...] in any order.
export function sameRooms(actual, rooms) {
  try {
    assertShape(actual, roomList(rooms));
    return true;
  } catch {
    return false;
  }
}

// The device as listed in a room's peers.
export const devicePeer = (name = 'callbox') => ({ id: 'device', nick: name, device: true });

// A browser as {id, nick}, as in peer-joined, chat `from` and so on.
export const peerOf = (c) => ({ id: c.id, nick: c.nick });

// ---------------------------------------------------------------------------------------
// The WebSocket client

let clientSerial = 0;
const ERROR_MEMBERS = new Set(['type', 'code', 'message', 're']);
export const ANY = Symbol('any re');

function makeMatcher(type, where) {
  return (msg) => msg !== null && typeof msg === 'object' &&
    (type == null || (Array.isArray(type) ? type.includes(msg.type) : msg.type === type)) &&
    (!where || where(msg));
}

function describeWanted(type, where) {
  const t = type == null ? 'any message' : Array.isArray(type) ? type.map((x) => `"${x}"`).join(' or ') : `"${type}"`;
  return where ? `${t} matching ${where.toString().slice(0, 120)}` : t;
}

export function assertError(err, code, re, context = '') {
  const where = context ? ` (after ${context})` : '';
  assert.equal(err.type, 'error');
  const extra = Object.keys(err).filter((k) => !ERROR_MEMBERS.has(k));
  assert.deepEqual(extra, [], `error has unexpected members${where}: ${JSON.stringify(err)}`);
  assert.equal(err.code, code, `expected error code "${code}"${where}, got ${JSON.stringify(err)}`);
  assert.ok(typeof err.message === 'string' && err.message.length > 0,
    `error without a human-readable message${where}: ${JSON.stringify(err)}`);
  if (re === ANY) return;
  if (re === undefined) {
    assert.ok(!('re' in err), `error has "re" although the offending type is unknown${where}: ${JSON.stringify(err)}`);
  } else {
    assert.equal(err.re, re, `error "re" should be "${re}"${where}: ${JSON.stringify(err)}`);
  }
}

export class WsClient {
  constructor(ws, label) {
    this.ws = ws;
    this.label = label;
    this.queue = [];      // received entries {msg, at} not consumed yet
    this.received = [];   // every entry ever received
    this.waiters = [];
    this.closeInfo = null;
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        for (const w of this.waiters.splice(0)) w.fail(`connection closed (${code}) while waiting for ${w.desc}`);
        resolve(this.closeInfo);
      });
    });
    ws.on('message', (data, isBinary) => this.#onMessage(data, isBinary));
    ws.on('error', (e) => { this.lastError = e; });
  }

  // Opens a connection and (unless welcome:false) waits for the server's welcome.
  static async connect(url, opts = {}) {
    const { timeout = 5000, welcome = true, label, ...wsOptions } = opts;
    const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: timeout, ...wsOptions });
    const c = new WsClient(ws, label ?? `client${++clientSerial}`);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
      ws.once('unexpected-response', (req, res) => {
        req.destroy();
        reject(new Error(`${c.label}: WebSocket upgrade refused with HTTP ${res.statusCode}`));
      });
    });
    if (welcome) {
      c.welcome = await c.next('welcome', { timeout });
      c.id = c.welcome.id;
    }
    return c;
  }

  get open() {
    return this.ws.readyState === WebSocket.OPEN;
  }

  #onMessage(data, isBinary) {
    let msg;
    if (isBinary) msg = { type: '(binary frame)', raw: data.toString('hex').slice(0, 200) };
    else {
      try {
        msg = JSON.parse(data.toString());
      } catch {
        msg = { type: '(unparsable)', raw: data.toString().slice(0, 200) };
      }
    }
    const entry = { msg, at: Date.now() };
    this.received.push(entry);
    const i = this.waiters.findIndex((w) => w.match(msg));
    if (i >= 0) this.waiters.splice(i, 1)[0].resolve(entry);
    else this.queue.push(entry);
  }

  describeQueue() {
    const q = this.queue.slice(-8).map((e) => JSON.stringify(e.msg).slice(0, 300));
    return q.length ? `\n  unconsumed (last ${q.length} of ${this.queue.length}):\n    ${q.join('\n    ')}` : ' (nothing unconsumed)';
  }

  // The next received entry {msg, at} of the given type(s) (null: any), removing it from the
  // queue; messages of other types stay queued.
  nextEntry(type, { timeout = 5000, where } = {}) {
    const match = makeMatcher(type, where);
    const desc = describeWanted(type, where);
    const err = new Error();   // created here so the stack shows the caller
    const i = this.queue.findIndex((e) => match(e.msg));
    if (i >= 0) return Promise.resolve(this.queue.splice(i, 1)[0]);
    if (this.closeInfo) {
      err.message = `${this.label}: connection closed (${this.closeInfo.code}) before ${desc} arrived${this.describeQueue()}`;
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) => {
      const w = {
        match, desc,
        resolve: (e) => { clearTimeout(timer); resolve(e); },
        fail: (why) => { clearTimeout(timer); err.message = `${this.label}: ${why}${this.describeQueue()}`; reject(err); },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.fail(`timed out after ${timeout} ms waiting for ${desc}`);
      }, timeout);
      this.waiters.push(w);
    });
  }

  async next(type, opts) {
    return (await this.nextEntry(type, opts)).msg;
  }

  // Fails if a message of the type arrives within `ms` (or is already queued).
  async expectNone(type, ms = 300, where = undefined) {
    const match = makeMatcher(type, where);
    if (!this.closeInfo) await Promise.race([delay(ms), this.closed]);
    const hits = this.queue.filter((e) => match(e.msg)).map((e) => e.msg);
    assert.equal(hits.length, 0, `${this.label}: expected no ${describeWanted(type, where)}, got ${JSON.stringify(hits)}`);
  }

  // Drops queued messages of the type(s); returns them.
  discard(type) {
    const match = makeMatcher(type);
    const dropped = this.queue.filter((e) => match(e.msg));
    this.queue = this.queue.filter((e) => !match(e.msg));
    return dropped.map((e) => e.msg);
  }

  sendRaw(data, { binary = false } = {}) {
    return new Promise((resolve, reject) => this.ws.send(data, { binary }, (e) => (e ? reject(e) : resolve())));
  }

  send(obj) {
    return this.sendRaw(JSON.stringify(obj));
  }

  // Sends a message and returns the reply of the given type; an `error` reply throws.
  async request(obj, type, opts = {}) {
    await this.send(obj);
    const m = await this.next([type, 'error'], opts);
    if (m.type === 'error' && type !== 'error') {
      throw new Error(`${this.label}: ${JSON.stringify(obj).slice(0, 200)} was answered with ${JSON.stringify(m)}`);
    }
    return m;
  }

  async join(room, nick, extra = {}) {
    const joined = await this.request({ type: 'join', room, nick, ...extra }, 'joined');
    this.room = joined.room;
    this.nick = joined.nick;
    // While media is on, the device tells its own mute state right after `joined`.
    if (joined.peers.some((p) => p.id === 'device')) {
      this.deviceMedia = await this.next('media', { where: (m) => m.id === 'device' });
    }
    return joined;
  }

  // Sends `what` (an object, or a raw string/Buffer) and checks that the next error has the
  // code and `re` (by default the message's type when it has a string one; ANY skips the check).
  async expectError(what, code, opts = {}) {
    const raw = typeof what === 'string' || Buffer.isBuffer(what);
    if (raw) await this.sendRaw(what, opts);
    else await this.send(what);
    const re = 're' in opts ? opts.re
      : (!raw && what && typeof what === 'object' && typeof what.type === 'string' ? what.type : undefined);
    const err = await this.next('error', opts);
    assertError(err, code, re, `sending ${raw ? `raw ${JSON.stringify(String(what).slice(0, 80))}` : JSON.stringify(what).slice(0, 120)}`);
    return err;
  }

  // expectError() for each message in turn; reports every mismatch together, not just the first.
  async expectErrors(messages, code, opts = {}) {
    const problems = [];
    for (const m of messages) {
      try {
        await this.expectError(m, code, { timeout: 2000, ...opts });
      } catch (e) {
        const raw = typeof m === 'string' ? m : JSON.stringify(m);
        const got = this.queue.slice(-1).map((x) => `; last unconsumed: ${JSON.stringify(x.msg).slice(0, 200)}`).join('');
        problems.push(`${raw.slice(0, 100)} -> ${e.message.split('\n')[0].replace(/ \(after sending .*?\)/, '')}${got}`);
      }
    }
    assert.ok(problems.length === 0, `${problems.length} of ${messages.length} answers were not "${code}" errors as expected:\n  ${problems.join('\n  ')}`);
  }

  // Proves the connection is open and served: a list-rooms round trip.
  async assertAlive() {
    assert.equal(this.ws.readyState, WebSocket.OPEN, `${this.label}: connection is not open (${JSON.stringify(this.closeInfo)})`);
    await this.send({ type: 'list-rooms' });
    return this.next('rooms');
  }

  // Waits for a `rooms` message (broadcast or reply) showing exactly these [[name, count]].
  nextRooms(rooms, opts = {}) {
    return this.next('rooms', { timeout: 5000, ...opts, where: (m) => sameRooms(m.rooms, rooms) });
  }

  async close(code = 1000) {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(code);
    const t = setTimeout(() => this.ws.terminate(), 3000);
    await this.closed;
    clearTimeout(t);
  }

  // Drops the TCP connection without a close frame.
  terminate() {
    this.ws.terminate();
    return this.closed;
  }
}

// ---------------------------------------------------------------------------------------
// HTTP

// GET with the path sent exactly as given (no URL normalisation).
export function httpGet(baseUrl, path, { timeout = 5000, method = 'GET' } = {}) {
  const u = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path, method, agent: false, timeout }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`HTTP ${method} ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

export async function getJson(baseUrl, path) {
  const r = await httpGet(baseUrl, path);
  assert.equal(r.status, 200, `GET ${path}: status ${r.status}: ${r.body.slice(0, 200)}`);
  assert.match(r.headers['content-type'] ?? '', /^application\/json\b/, `GET ${path}: content-type`);
  try {
    return JSON.parse(r.body);
  } catch {
    throw new Error(`GET ${path}: body is not JSON: ${r.body.slice(0, 200)}`);
  }
}

// ---------------------------------------------------------------------------------------
// Waiting without fixed sleeps

// Calls fn until it neither throws nor returns false/null; returns that value.
export async function eventually(fn, { timeout = 5000, interval = 100, what = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v !== false && v !== null) return v;
      last = new Error(`returned ${JSON.stringify(v)}`);
    } catch (e) {
      last = e;
    }
    if (Date.now() >= deadline) throw new Error(`${what} not reached within ${timeout} ms: ${last?.message}`);
    await delay(interval);
  }
}

export function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

// ---------------------------------------------------------------------------------------
// Running callboxd

// The arguments startDaemon() uses, for runs that are expected to fail.
export function daemonArgs({ dataDir, webDir = join(sourceRoot, 'web'), config } = {}) {
  const args = ['--no-tls', '--bind', '127.0.0.1', '--port', '0', '--data-dir', dataDir, '--web-dir', webDir];
  if (config) args.push('--config', config);
  return args;
}

// Runs callboxd to completion. If it reports listening, it is stopped and `started` is true.
export function runCallboxd(args, { timeout = 15000 } = {}) {
  return new Promise((resolve) => {
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
      resolve({ code, signal, output, started, timedOut });
    });
  });
}

function openFdCount(pid) {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return null;
  }
}

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

class TestContext {
  constructor(name) {
    this.name = name;
    this.daemons = [];
    this.clients = [];
    this.cleanups = [];
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

  async cleanup() {
    const problems = [];
    await Promise.all(this.clients.map((c) => c.terminate()));
    for (const d of this.daemons) {
      if (d.stopped) continue;
      if (!d.running) {
        const { exitCode, signalCode } = d.handle.child;
        problems.push(`callboxd exited during the test (${signalCode ?? `code ${exitCode}`})`);
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

  daemonLogs() {
    return this.daemons.map((d, i) => {
      const lines = d.output().trimEnd().split('\n');
      return `--- callboxd #${i + 1} output (last ${Math.min(lines.length, 40)} lines) ---\n${lines.slice(-40).join('\n')}`;
    }).join('\n');
  }
}

// ---------------------------------------------------------------------------------------
// The test runner: test('name', async (t) => {...}); await run();
// Output is TAP-like; exit 0 all passed, 1 something failed, 77 cannot run here.

const registered = [];
const liveDaemons = new Set();
// If the test process dies early (an uncaught error, a closed stdout), take its daemons with it.
process.on('exit', () => {
  for (const child of liveDaemons) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

export function test(name, fn, { timeout = 30000 } = {}) {
  registered.push({ name, fn, timeout });
}

export async function run() {
  if (!process.env.CALLBOXD) {
    console.log('1..0 # SKIP CALLBOXD is not set (run through meson test)');
    process.exit(77);
  }
  process.on('unhandledRejection', (e) => console.log(`# late rejection (ignored): ${e?.message ?? e}`));
  const filter = process.env.TEST_FILTER;
  const tests = registered.filter((t) => !filter || t.name.includes(filter));
  console.log(`1..${tests.length}`);
  let failed = 0;
  for (const [i, t] of tests.entries()) {
    const ctx = new TestContext(t.name);
    const started = Date.now();
    let error = null;
    try {
      await withTimeout(Promise.resolve().then(() => t.fn(ctx)), t.timeout, `test "${t.name}"`);
    } catch (e) {
      error = e;
    }
    const logs = error ? ctx.daemonLogs() : '';
    try {
      await ctx.cleanup();
    } catch (e) {
      error ??= e;
    }
    const ms = Date.now() - started;
    if (error) {
      failed++;
      console.log(`not ok ${i + 1} - ${t.name} (${ms} ms)`);
      console.log(String(error.stack ?? error).split('\n').map((l) => `  # ${l}`).join('\n'));
      if (logs || ctx.daemons.length) console.log((logs || ctx.daemonLogs()).split('\n').map((l) => `  # ${l}`).join('\n'));
    } else {
      console.log(`ok ${i + 1} - ${t.name} (${ms} ms)`);
    }
  }
  console.log(`# ${tests.length - failed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}
