// Chat load generator: C clients in R rooms send chat at a fixed aggregate rate and measure delivery latency at every receiver; prints one JSON line.
//
//   node loadgen.mjs --target callbox  --url ws://127.0.0.1:PORT/ws  [options]
//   node loadgen.mjs --target socketio --url http://127.0.0.1:PORT   [options]
//
// Options (defaults in brackets):
//   --clients C [200]  --rooms R [10]  --rate M msg/s aggregate [2000]
//   --duration D s measured [5]  --warmup W s [1]  --drain s to wait for late deliveries [2]
//   --text-bytes B length of each chat text [64]  --tick-ms scheduler period [2]
//   --server-pid PID  sample that process's CPU time (/proc/PID/stat) over the window
//   --deflate  offer permessage-deflate as browsers do (callbox target; off by default;
//              implies --client ws)
//   --client raw|lib [raw]  how the clients speak to the server. `raw` (both targets) is a
//              minimal RFC 6455 client on node:net that reads only what the measurement needs
//              (seq, id and send time) straight from the frame bytes, with no JSON.parse per
//              chat; for socket.io it speaks engine.io 4 / socket.io 4 packets itself. `lib` is
//              the library client: `ws` with a JSON.parse per frame for callbox (also
//              `--client ws`), `socket.io-client` for socket.io (also
//              `--client socket.io-client`). Both library clients saturate the generator's
//              core long before the raw one (~190,000 and ~120,000 deliveries/s).
//
// Client i joins room "r<i mod R>" as "c<i>". Senders are taken round-robin over all
// clients, so each sends M/C msg/s, and a scheduler tick every --tick-ms ms sends what
// is due by then (open loop: a slow server does not slow the sender down). Every text
// starts "<id>:<performance.now() at send>:", so each receiving client (the sender
// included) computes its own latency. Only messages sent inside the measured window
// count: expected deliveries = their number × room size; after sending stops the
// generator waits up to --drain s, and what has not arrived by then is lost.
// Progress goes to stderr; the result is the one line on stdout.
import { parseArgs } from 'node:util';
import { performance, monitorEventLoopDelay } from 'node:perf_hooks';
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { connect as netConnect } from 'node:net';
import { randomBytes } from 'node:crypto';
import { io } from 'socket.io-client';

const { values: opt } = parseArgs({
  options: {
    target: { type: 'string' },
    url: { type: 'string' },
    clients: { type: 'string', default: '200' },
    rooms: { type: 'string', default: '10' },
    rate: { type: 'string', default: '2000' },
    duration: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    drain: { type: 'string', default: '2' },
    'text-bytes': { type: 'string', default: '64' },
    'tick-ms': { type: 'string', default: '2' },
    'server-pid': { type: 'string' },
    deflate: { type: 'boolean', default: false },
    client: { type: 'string', default: 'raw' },
  },
});
if (!['callbox', 'socketio'].includes(opt.target) || !opt.url) {
  console.error('usage: loadgen.mjs --target callbox|socketio --url URL [--clients C --rooms R --rate M --duration D ...]');
  process.exit(2);
}
const C = Number(opt.clients), R = Number(opt.rooms), M = Number(opt.rate);
const D = Number(opt.duration), W = Number(opt.warmup), DRAIN = Number(opt.drain);
const TEXT_BYTES = Number(opt['text-bytes']), TICK_MS = Number(opt['tick-ms']);
const serverPid = opt['server-pid'] ? Number(opt['server-pid']) : null;
const log = (...a) => console.error('[loadgen]', ...a);

const CLK_TCK = 100; // USER_HZ: 100 on every Linux architecture Debian ships
let serverSys = 0; // stime of the last reading
function serverCpuSeconds() {
  if (!serverPid) return null;
  const stat = readFileSync(`/proc/${serverPid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from 3 (state) on
  serverSys = Number(f[12]) / CLK_TCK;
  return Number(f[11]) / CLK_TCK + serverSys;                 // utime (14) + stime (15)
}

// Busy CPU seconds of the whole machine (all cores), to tell how much else was running.
function machineBusySeconds() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
  return (f[0] + f[1] + f[2] + f[7]) / CLK_TCK; // user nice system steal (not irq/softirq: ours too)
}

// ---- measurement state -------------------------------------------------------------
let nextId = 0;              // id of the next message to send
let firstMeasured = -1;      // ids in [firstMeasured, endMeasured) are measured
let endMeasured = Infinity;
let perMessage = null;       // Uint16Array: deliveries seen per measured message
let latencies = new Float64Array(1 << 16);
let nLat = 0, delivered = 0, duplicates = 0, receivedInWindow = 0, inWindow = false;
let seqAnomalies = 0, disconnects = 0;
const errors = {};

function onChat(client, msg) {
  const text = msg.text;
  const sep = text.indexOf(':');
  const id = Number(text.slice(0, sep));
  onChatFields(client, msg.seq, id, () => Number(text.slice(sep + 1, text.indexOf(':', sep + 1))));
}

// One delivered chat: its seq, the id at the start of its text, and (lazily) the send time.
function onChatFields(client, seq, id, sentAtOf) {
  if (client.lastSeq !== undefined && seq !== client.lastSeq + 1) seqAnomalies++;
  client.lastSeq = seq;
  if (inWindow) receivedInWindow++;
  if (id < firstMeasured || id >= endMeasured || firstMeasured < 0) return;
  const sentAt = sentAtOf();
  const k = id - firstMeasured;
  if (k >= perMessage.length) return;
  if (++perMessage[k] > client.roomSize) { duplicates++; return; }
  delivered++;
  if (nLat === latencies.length) {
    const bigger = new Float64Array(latencies.length * 2);
    bigger.set(latencies);
    latencies = bigger;
  }
  latencies[nLat++] = performance.now() - sentAt;
}

function onError(msg) {
  const code = msg?.code ?? 'unknown';
  errors[code] = (errors[code] ?? 0) + 1;
}

// ---- transports: each returns {send(text), close()} once joined ---------------------
function connectCallbox(client) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(opt.url, { perMessageDeflate: opt.deflate });
    let joined = false;
    ws.on('message', (data) => {
      const msg = JSON.parse(data);
      switch (msg.type) {
        case 'chat': onChat(client, msg); break;
        case 'welcome': ws.send(JSON.stringify({ type: 'join', room: client.room, nick: client.nick })); break;
        case 'joined':
          joined = true;
          resolve({
            extensions: ws.extensions,
            send: (text) => ws.send(JSON.stringify({ type: 'chat', text })),
            close: () => ws.close(),
          });
          break;
        case 'error': onError(msg); if (!joined) reject(new Error(`join refused: ${msg.code}`)); break;
      }
    });
    ws.on('error', (e) => { if (!joined) reject(e); });
    ws.on('close', () => { if (joined) disconnects++; else reject(new Error('closed before joined')); });
  });
}

// The raw clients: a minimal RFC 6455 client on node:net, the handshake, then frames parsed
// in place. Server frames are unmasked and never fragmented by either server (a fragmented or
// unknown frame is counted as an error). What differs between the two servers is in a
// "dialect": the path, how a chat frame begins, how to send, and the other messages.
const SEQ = Buffer.from('"seq":'), TEXT = Buffer.from('"text":"');
function readUint(buf, i, end) {
  let n = 0;
  for (; i < end; i++) {
    const c = buf[i];
    if (c < 48 || c > 57) break;
    n = n * 10 + (c - 48);
  }
  return [n, i];
}
function startsWith(buf, start, head) {
  for (let k = 0; k < head.length; k++) if (buf[start + k] !== head[k]) return false;
  return true;
}

// callbox: PROTOCOL.md's JSON messages, one per frame.
const callboxDialect = {
  path: (url) => url.pathname,
  chatHead: Buffer.from('{"type":"chat"'),
  chat: (text) => JSON.stringify({ type: 'chat', text }),
  // A frame that is not a chat; returns the joined handle's extra fields when joined.
  onOther(str, { sendText, client, joinedNow, refused }) {
    const msg = JSON.parse(str);
    switch (msg.type) {
      case 'welcome': sendText(JSON.stringify({ type: 'join', room: client.room, nick: client.nick })); break;
      case 'joined': joinedNow(); break;
      case 'error': onError(msg); refused(msg.code); break;
    }
  },
};

// socket.io 4 over engine.io 4's WebSocket transport: "0{…}" open, "40" connect to the main
// namespace, "42[event, data]" events, "42<n>[…]" / "43<n>[…]" an emit with an ack and its
// answer, "2" / "3" ping / pong.
const socketioDialect = {
  path: () => '/socket.io/?EIO=4&transport=websocket',
  chatHead: Buffer.from('42["chat",{"type":"chat"'),
  chat: (text) => '42' + JSON.stringify(['chat', { text }]),
  onOther(str, { sendText, client, joinedNow, refused }) {
    if (str === '2') return sendText('3');
    if (str.startsWith('0{')) return sendText('40');
    if (str.startsWith('40')) return sendText('420' + JSON.stringify(['join', { room: client.room, nick: client.nick }]));
    if (str.startsWith('430[')) return joinedNow();
    if (str.startsWith('42[')) {
      const [event, msg] = JSON.parse(str.slice(2));
      if (event === 'error-message') { onError(msg); refused(msg.code); }
      return;
    }
    if (str.startsWith('41') || str.startsWith('44')) refused(`socket.io packet ${str.slice(0, 2)}`);
  },
};

function connectRaw(client, dialect) {
  return new Promise((resolve, reject) => {
    const url = new URL(opt.url);
    const sock = netConnect({ host: url.hostname, port: Number(url.port), noDelay: true });
    const mask = randomBytes(4);
    let joined = false, upgraded = false, pending = null;
    const frame = (opcode, payload) => {
      const n = payload.length;
      const head = n < 126 ? 2 : n < 65536 ? 4 : 10;
      const f = Buffer.allocUnsafe(head + 4 + n);
      f[0] = 0x80 | opcode;
      if (n < 126) f[1] = 0x80 | n;
      else if (n < 65536) { f[1] = 0x80 | 126; f.writeUInt16BE(n, 2); }
      else { f[1] = 0x80 | 127; f.writeBigUInt64BE(BigInt(n), 2); }
      mask.copy(f, head);
      for (let k = 0; k < n; k++) f[head + 4 + k] = payload[k] ^ mask[k & 3];
      return f;
    };
    const sendText = (str) => sock.write(frame(1, Buffer.from(str)));
    const handle = {
      sendText, client,
      joinedNow: () => {
        joined = true;
        resolve({
          extensions: '',
          send: (text) => sendText(dialect.chat(text)),
          close: () => { sock.write(frame(8, Buffer.from([0x03, 0xe8]))); sock.end(); },
        });
      },
      refused: (code) => { if (!joined) reject(new Error(`join refused: ${code}`)); },
    };
    const chatHead = dialect.chatHead;
    const onText = (buf, start, end) => {
      if (startsWith(buf, start, chatHead)) {
        const q = buf.indexOf(SEQ, start);
        const [seq] = readUint(buf, q + SEQ.length, end);
        const t = buf.indexOf(TEXT, q) + TEXT.length;
        const [id, colon] = readUint(buf, t, end);
        onChatFields(client, seq, id, () => Number(buf.latin1Slice(colon + 1, buf.indexOf(58, colon + 1))));
        return;
      }
      dialect.onOther(buf.toString('utf8', start, end), handle);
    };
    const onFrames = (chunk) => {
      let buf = pending ? Buffer.concat([pending, chunk]) : chunk;
      let i = 0;
      const n = buf.length;
      for (;;) {
        if (n - i < 2) break;
        const b0 = buf[i], b1 = buf[i + 1] & 0x7f;
        let len = b1, head = 2;
        if (b1 === 126) { if (n - i < 4) break; len = buf.readUInt16BE(i + 2); head = 4; }
        else if (b1 === 127) { if (n - i < 10) break; len = Number(buf.readBigUInt64BE(i + 2)); head = 10; }
        if (n - i < head + len) break;
        const start = i + head, end = start + len, opcode = b0 & 0x0f;
        if (opcode === 1 && (b0 & 0x80)) onText(buf, start, end);
        else if (opcode === 9) sock.write(frame(10, buf.subarray(start, end)));
        else if (opcode === 8) sock.end();
        else if (opcode !== 10) onError({ code: `unexpected-frame-${opcode}` });
        i = end;
      }
      pending = i < n ? Buffer.from(buf.subarray(i)) : null;
    };
    let header = '';
    sock.on('connect', () => {
      sock.write(`GET ${dialect.path(url)} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`
        + `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    sock.on('data', (chunk) => {
      if (upgraded) return onFrames(chunk);
      header += chunk.latin1Slice(0, chunk.length);
      const end = header.indexOf('\r\n\r\n');
      if (end < 0) return;
      if (!/^HTTP\/1\.1 101/.test(header)) { reject(new Error(`no upgrade: ${header.split('\r\n')[0]}`)); sock.destroy(); return; }
      upgraded = true;
      const rest = Buffer.from(header.slice(end + 4), 'latin1');
      if (rest.length) onFrames(rest);
    });
    sock.on('error', (e) => { if (!joined) reject(e); });
    sock.on('close', () => { if (!joined) reject(new Error('closed before joined')); else disconnects++; });
  });
}

function connectSocketio(client) {
  return new Promise((resolve, reject) => {
    // forceNew: one engine.io connection per client (io() would multiplex them all on one).
    const socket = io(opt.url, { transports: ['websocket'], forceNew: true, reconnection: false });
    let joined = false;
    socket.on('chat', (msg) => onChat(client, msg));
    socket.on('error-message', (msg) => { onError(msg); if (!joined) reject(new Error(`join refused: ${msg.code}`)); });
    socket.on('connect_error', (e) => { if (!joined) reject(e); });
    socket.on('disconnect', () => { if (joined) disconnects++; });
    socket.on('connect', () => {
      socket.emit('join', { room: client.room, nick: client.nick }, () => {
        joined = true;
        resolve({
          extensions: socket.io.engine.transport.ws?.extensions ?? '',
          send: (text) => socket.emit('chat', { text }),
          close: () => socket.disconnect(),
        });
      });
    });
  });
}

// ---- helpers --------------------------------------------------------------------------
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function quantile(sorted, n, q) {
  if (n === 0) return null;
  return sorted[Math.min(n - 1, Math.ceil(q * n) - 1)];
}
const round = (x, d = 2) => (x === null ? null : Math.round(x * 10 ** d) / 10 ** d);
const pad = 'the quick brown fox jumps over the lazy dog '.repeat(Math.ceil(TEXT_BYTES / 44) + 1);
function makeText(id, now) {
  const head = `${id}:${now.toFixed(3)}:`;
  return head + pad.slice(0, Math.max(1, TEXT_BYTES - head.length));
}

// ---- run --------------------------------------------------------------------------------
async function main() {
  const clients = [];
  const roomSizes = new Array(R).fill(0);
  for (let i = 0; i < C; i++) roomSizes[i % R]++;
  for (let i = 0; i < C; i++) clients.push({ room: `r${i % R}`, nick: `c${i}`, roomSize: roomSizes[i % R], lastSeq: undefined });

  const rawClient = opt.client === 'raw' && !opt.deflate;
  if (!['raw', 'lib', 'ws', 'socket.io-client'].includes(opt.client)) throw new Error(`--client ${opt.client}?`);
  const dialect = opt.target === 'callbox' ? callboxDialect : socketioDialect;
  const connect = rawClient ? (c) => connectRaw(c, dialect) : opt.target === 'callbox' ? connectCallbox : connectSocketio;
  const tConnect = performance.now();
  const BATCH = 50;
  const timeout = setTimeout(() => { console.log(JSON.stringify({ ok: false, error: 'connect/join timed out' })); process.exit(1); }, 30000);
  for (let i = 0; i < C; i += BATCH) {
    const batch = clients.slice(i, i + BATCH);
    const conns = await Promise.all(batch.map(connect));
    batch.forEach((c, k) => { c.conn = conns[k]; });
  }
  clearTimeout(timeout);
  const connectMs = performance.now() - tConnect;
  log(`${C} clients joined ${R} rooms in ${connectMs.toFixed(0)} ms`);
  await sleep(300); // let the coalesced room-list broadcasts pass

  // Expected deliveries per message = size of the sender's room (sender included).
  const senderOrder = clients; // round-robin over clients; i mod R spreads over rooms too
  const maxMeasured = Math.ceil(M * D * 1.05) + 1000;
  perMessage = new Uint16Array(maxMeasured);
  let expected = 0, measuredSent = 0, rr = 0;
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });

  const t0 = performance.now();
  let sentTotal = 0, maxBehind = 0;
  let cpu0, srv0, sys0, cpu1, srv1, sys1, all0, all1, tStart, tEnd;
  await new Promise((resolve) => {
    const tick = () => {
      const now = performance.now();
      const elapsed = (now - t0) / 1000;
      if (firstMeasured < 0 && elapsed >= W) {
        firstMeasured = nextId; tStart = now; inWindow = true;
        cpu0 = process.cpuUsage(); srv0 = serverCpuSeconds(); sys0 = serverSys; all0 = machineBusySeconds(); loopDelay.enable();
      }
      if (elapsed >= W + D) {
        endMeasured = nextId; tEnd = now; inWindow = false;
        cpu1 = process.cpuUsage(cpu0); srv1 = serverCpuSeconds(); sys1 = serverSys; all1 = machineBusySeconds(); loopDelay.disable();
        clearInterval(timer);
        resolve();
        return;
      }
      const due = Math.floor(elapsed * M);
      if (firstMeasured >= 0) maxBehind = Math.max(maxBehind, due - sentTotal);
      while (sentTotal < due) {
        const c = senderOrder[rr];
        rr = (rr + 1) % C;
        const id = nextId++;
        if (firstMeasured >= 0) {
          if (id - firstMeasured >= maxMeasured) { sentTotal++; continue; } // cannot happen at rate M
          expected += c.roomSize; measuredSent++;
        }
        c.conn.send(makeText(id, performance.now()));
        sentTotal++;
      }
    };
    const timer = setInterval(tick, TICK_MS);
  });

  // Drain: wait for the last deliveries of the measured messages.
  const drainStart = performance.now();
  while (delivered < expected && performance.now() - drainStart < DRAIN * 1000) await sleep(10);
  const drainMs = performance.now() - drainStart;
  const srvAfterDrain = serverCpuSeconds();

  const lat = latencies.subarray(0, nLat).sort();
  const windowS = (tEnd - tStart) / 1000;
  const genCpuS = (cpu1.user + cpu1.system) / 1e6;
  const serverCpuS = srv0 === null ? null : srv1 - srv0;
  const sumRoom = clients.reduce((a, c) => a + c.roomSize, 0) / C; // mean room size seen by a sender
  const result = {
    ok: true,
    target: opt.target, url: opt.url,
    clients: C, rooms: R, rate: M, duration_s: D, warmup_s: W, text_bytes: TEXT_BYTES,
    extensions: clients[0].conn.extensions || '',
    client: rawClient ? 'raw' : opt.target === 'callbox' ? 'ws' : 'socket.io-client',
    connect_ms: round(connectMs, 0),
    window_s: round(windowS, 3),
    sent: measuredSent,
    send_rate: round(measuredSent / windowS, 1),
    max_send_backlog: maxBehind,
    expected_deliveries: expected,                       // incl. the sender's own copy
    expected_deliveries_excl_sender: expected - measuredSent,
    delivered,
    delivered_excl_sender_est: round(delivered * (sumRoom - 1) / sumRoom, 0),
    delivered_per_s: round(delivered / windowS, 0),
    received_per_s_in_window: round(receivedInWindow / windowS, 0),
    lost: expected - delivered,
    duplicates,
    seq_anomalies: seqAnomalies,
    errors,
    disconnects,
    drain_ms: round(drainMs, 0),
    latency_ms: {
      p50: round(quantile(lat, nLat, 0.5), 3),
      p90: round(quantile(lat, nLat, 0.9), 3),
      p99: round(quantile(lat, nLat, 0.99), 3),
      max: round(nLat ? lat[nLat - 1] : null, 3),
    },
    generator_cpu: {
      seconds: round(genCpuS, 3),
      core_fraction: round(genCpuS / windowS, 3),     // 1.0 = one full core
      event_loop_delay_p99_ms: round(loopDelay.percentile(99) / 1e6, 2),
    },
    // CPU used by everything else on the machine during the window (a shared machine is noisy).
    other_cpu_core_fraction: round(Math.max(0, all1 - all0 - genCpuS - (serverCpuS ?? 0)) / windowS, 3),
    server_cpu: serverCpuS === null ? null : {
      pid: serverPid,
      seconds_in_window: round(serverCpuS, 3),
      kernel_fraction: serverCpuS > 0 ? round((sys1 - sys0) / serverCpuS, 3) : null, // stime share
      core_fraction: round(serverCpuS / windowS, 3),
      seconds_incl_drain: round(srvAfterDrain - srv0, 3),
      us_per_delivery: delivered ? round(serverCpuS * 1e6 / expected, 3) : null,
      us_per_delivery_excl_sender: delivered ? round(serverCpuS * 1e6 / (expected - measuredSent), 3) : null,
      us_per_message: measuredSent ? round(serverCpuS * 1e6 / measuredSent, 2) : null,
    },
  };
  for (const c of clients) c.conn.close();
  console.log(JSON.stringify(result));
  await sleep(200);
  process.exit(0);
}

main().catch((e) => {
  console.log(JSON.stringify({ ok: false, target: opt.target, error: String(e?.message ?? e) }));
  process.exit(1);
});
