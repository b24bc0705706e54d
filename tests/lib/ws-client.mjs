// The WebSocket client of the tests (WsClient): queued messages, waiting for a type, requests, expected errors.
import WebSocket from 'ws';
import assert from 'node:assert/strict';
import { assertError, sameRooms } from './match.mjs';
import { delay } from './wait.mjs';

let clientSerial = 0;

function makeMatcher(type, where) {
  return (msg) => msg !== null && typeof msg === 'object' &&
    (type == null || (Array.isArray(type) ? type.includes(msg.type) : msg.type === type)) &&
    (!where || where(msg));
}

function describeWanted(type, where) {
  const t = type == null ? 'any message' : Array.isArray(type) ? type.map((x) => `"${x}"`).join(' or ') : `"${type}"`;
  return where ? `${t} matching ${where.toString().slice(0, 120)}` : t;
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
