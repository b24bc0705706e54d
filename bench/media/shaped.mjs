// Media benchmark over shaped paths and a failing camera: per scenario, frames shown per second, freezes a minute, audio concealment, the browser's video jitter buffer and round trip, and the camera's placeholder and return times; medians of --runs runs (default 3).
//
//   node bench/media/shaped.mjs [--runs N] [--seconds S] [--only camera,clean,loss2,bursts,jitter,cap,layers,capped] [--log]
//
// --log prints the daemon's bitrate and layer decisions after each run.
//
// Needs root (a loopback-only network namespace, nftables, tc). The daemon is $CALLBOXD or
// build/src/callboxd. Glass-to-glass latency is not measured here (bench/media/run.mjs does it
// on a clean path).
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { sourceRoot, median, r1, loopbackOnly, privateCallboxd, sleep } from './harness.mjs';

const { values: opt } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '30' },
    only: { type: 'string', default: 'camera,clean,loss2,bursts,jitter,cap,layers,capped' },
    log: { type: 'boolean', default: false },
  },
});
loopbackOnly();
await privateCallboxd();
process.env.CALLBOX_ALLOW_NETWORK = '1';
const { startDaemon, makeTempDir } = await import('../../tests/lib/daemon.mjs');
const { UdpLoss, RateCap } = await import('../../tests/lib/shaping.mjs');
const { DelayRelay, relayInitScript } = await import('../../tests/lib/delay-relay.mjs');
const { PortLoss } = await import('../../tests/lib/port-loss.mjs');
const { shmPipelinesDir, ShmDevice, watchFrames } = await import('../../tests/lib/shm-device.mjs');
const { openApp, joinRoom } = await import('../../tests/e2e/browser.mjs');
const { launchMediaBrowser, callDevice, noGetUserMedia } = await import('../../tests/e2e/calls.mjs');

const RUNS = Number(opt.runs);
const SECONDS = Number(opt.seconds);
const log = (...a) => console.error(`[shaped ${new Date().toISOString().slice(11, 19)}]`, ...a);

// With --log: the daemon's bitrate and layer decisions, and each call's sample, once per run.
// Only callboxd's own debug messages: G_MESSAGES_DEBUG=all also turns on libnice's, a line per
// packet, which loaded the 2 cores enough to move the two-caller figures.
const debugEnv = opt.log ? { G_MESSAGES_DEBUG: 'callbox' } : {};
function adaptationLog(daemon) {
  if (!opt.log) return;
  const lines = daemon.output().split('\n').filter((l) => /media: .*(bitrate|layer)/.test(l)).map((l) => l.replace(/^.*?(\d\d:\d\d:\d\d\.\d+): /, '$1 '));
  log(`callboxd's adaptation:\n${[...new Set(lines)].join('\n')}`);
}

// The page's totals for its call with the device.
const totals = (page) => page.evaluate(async () => {
  const o = { frames: 0, freezes: 0, bytes: 0, concealed: 0, samples: 0, jbDelay: 0, jbFrames: 0, rtt: null, at: performance.now() };
  (await window.callbox.calls().device.getStats()).forEach((s) => {
    if (s.type === 'candidate-pair' && s.nominated && s.currentRoundTripTime !== undefined) o.rtt = s.currentRoundTripTime;
    if (s.type !== 'inbound-rtp') return;
    if (s.kind === 'video') {
      o.frames += s.framesDecoded ?? 0; o.freezes += s.freezeCount ?? 0; o.bytes += s.bytesReceived ?? 0;
      o.jbDelay += s.jitterBufferDelay ?? 0; o.jbFrames += s.jitterBufferEmittedCount ?? 0;
    }
    if (s.kind === 'audio') { o.concealed += s.concealedSamples ?? 0; o.samples += s.totalSamplesReceived ?? 0; }
  });
  return o;
});
const window_ = (a, b) => {
  const s = (b.at - a.at) / 1000;
  return {
    fps: (b.frames - a.frames) / s,
    freezes_per_min: ((b.freezes - a.freezes) * 60) / s,
    video_kbps: ((b.bytes - a.bytes) * 8) / s / 1000,
    concealment_pct: b.samples > a.samples ? (100 * (b.concealed - a.concealed)) / (b.samples - a.samples) : null,
    // What the browser's video jitter buffer held each frame, on average, and ICE's last round trip.
    video_jitter_buffer_ms: b.jbFrames > a.jbFrames ? (1000 * (b.jbDelay - a.jbDelay)) / (b.jbFrames - a.jbFrames) : null,
    round_trip_ms: b.rtt === null ? null : b.rtt * 1000,
  };
};

// `relay` (a DelayRelay) carries the call when given, and is closed with it.
async function oneCall({ config = '[media]\nice_addresses=127.0.0.1\n', env = {}, viewer = false, relay = null }, body) {
  const daemon = await startDaemon({ config, env: { CALLBOX_PIPELINES_DIR: join(sourceRoot, 'pipelines'), ...debugEnv, ...env } });
  const browser = await launchMediaBrowser();
  try {
    await relay?.expose(browser.context);
    const initScript = relay ? relayInitScript : viewer ? noGetUserMedia : undefined;
    const page = await openApp(browser.context, daemon.url, 'bench', { initScript });
    await joinRoom(page, 'bench', 'bench');
    await callDevice(page, 'bench');
    await sleep(3000);
    return await body(page);
  } finally {
    await browser.close().catch(() => {});
    adaptationLog(daemon);
    await daemon.stop();
    relay?.close();
  }
}

// Frames of `kind` counted by watchFrames grow by 5: returns when that run began (page clock).
async function framesOf(page, kind, from) {
  for (const deadline = Date.now() + 30000; Date.now() < deadline; await sleep(50)) {
    const s = await page.evaluate(() => window.deviceFrames);
    if (s[kind] >= from + 5) return [...s.kinds].reverse().find((x) => x.kind === kind).at;
  }
  const seen = await page.evaluate(() => ({ ...window.deviceFrames, kinds: window.deviceFrames.kinds.slice(-4) }));
  throw new Error(`no ${kind} frames within 30 s: ${JSON.stringify(seen)}`);
}

// One call (oneCall's `options`); figures over SECONDS with the path shaped by start() (undone
// by stop()).
function shapedWindow(start, stop, options = {}) {
  return oneCall(options, async (page) => {
    start();
    try {
      const a = await totals(page);
      await sleep(SECONDS * 1000);
      return window_(a, await totals(page));
    } finally { stop(); }
  });
}

// The last decoded video frame's width, how many frames were decoded, and the page's own UDP
// port, in its call with the device.
const videoView = (page) => page.evaluate(async () => {
  const o = { width: 0, frames: 0, port: null };
  const stats = await window.callbox.calls().device.getStats();
  stats.forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'video') { o.width = s.frameWidth ?? 0; o.frames = s.framesDecoded ?? 0; }
    if (s.type === 'transport' && s.selectedCandidatePairId) o.port = stats.get(stats.get(s.selectedCandidatePairId)?.localCandidateId)?.port;
  });
  return o;
});

// Polls `page` every 100 ms until the width of a frame decoded since the previous poll satisfies
// `pred`; the milliseconds it took. (The last decoded frame's width alone is stale while no frame
// is decoded: a call whose video stopped behind a cap read as back on the top layer at once.)
async function msUntilWidth(page, pred, what) {
  const from = Date.now();
  let frames = (await videoView(page)).frames;
  for (; Date.now() - from < 60000; await sleep(100)) {
    const view = await videoView(page);
    if (view.frames > frames && pred(view.width)) return Date.now() - from;
    frames = view.frames;
  }
  throw new Error(`${what}: not within 60 s`);
}

const scenarios = {
  async camera() {
    const dir = makeTempDir('callbox-bench-camera-');
    const camera = new ShmDevice(dir, 'camera');
    try {
      await camera.start();
      const pipelines = shmPipelinesDir(join(sourceRoot, 'pipelines'), dir, { microphone: false });
      return await oneCall({ config: '[media]\nice_addresses=127.0.0.1\nwidth=640\nheight=480\nvideo_source=test\n', env: { CALLBOX_PIPELINES_DIR: pipelines } }, async (page) => {
        await page.evaluate(watchFrames);
        await framesOf(page, 'live', 0);
        const p0 = await page.evaluate(() => window.deviceFrames.placeholder);
        const unplugged = Date.now();
        await camera.unplug();
        const placeholder = (await framesOf(page, 'placeholder', p0)) - unplugged;
        const l0 = await page.evaluate(() => window.deviceFrames.live);
        const back = await camera.start();
        const live = (await framesOf(page, 'live', l0)) - back;
        const connected = await page.evaluate(() => window.callbox.calls().device.connectionState === 'connected');
        return { placeholder_ms: placeholder, live_after_return_ms: live, call_kept: connected ? 1 : 0 };
      });
    } finally {
      await camera.unplug();
      rmSync(dir, { recursive: true, force: true });
    }
  },
  // The same call on a clean path: what this machine manages at the time, for comparison.
  clean: () => shapedWindow(() => {}, () => {}),
  loss2() {
    const loss = new UdpLoss('callbox_bench_loss');
    return shapedWindow(() => loss.set(2), () => loss.set(0));
  },
  bursts() {
    const loss = new UdpLoss('callbox_bench_bursts');
    return shapedWindow(() => loss.bursts(5, 3000, 3000), () => loss.stop());
  },
  // 100 ms round trip with 20 ms of jitter (50 ms each way, 14 ms standard deviation), from the
  // call's start: a UDP relay that every packet of the call passes through.
  jitter: () => shapedWindow(() => {}, () => {}, { relay: new DelayRelay(50, 14) }),
  async cap() {
    const cap = new RateCap();
    return oneCall({ viewer: true }, async (page) => {
      try {
        const { width: full } = await videoView(page);
        const at = (what) => opt.log && log(`${what} at ${new Date().toISOString().slice(11, 23)}`);
        cap.set(1000);
        at('1 Mbit/s cap');
        await sleep(5000);
        cap.set(300);
        at('300 kbit/s cap');
        const a = await totals(page);
        await sleep(20000);
        const capped = window_(a, await totals(page));
        const cappedWidth = (await videoView(page)).width;
        cap.set(0);
        at('cap lifted');
        // Time until the top layer's full width is decoded again after the lift, and until a
        // second of full frame rate (>= 25 frames in one second).
        const lifted = Date.now();
        const back = msUntilWidth(page, (w) => w === full, 'the call back on the top layer');
        let rate = null;
        for (let prev = await totals(page); Date.now() - lifted < 30000; ) {
          await sleep(1000);
          const now = await totals(page);
          if (window_(prev, now).fps >= 25) { rate = Date.now() - lifted; break; }
          prev = now;
        }
        return {
          ...Object.fromEntries(Object.entries(capped).map(([k, v]) => [`capped_${k}`, v])),
          capped_width: cappedWidth, full_width: full, top_layer_after_lift_ms: await back, full_rate_after_lift_ms: rate,
        };
      } finally { cap.set(0); }
    });
  },
  // Two callers, 20 % loss on what the device sends one of them (its UDP port only).
  layers() {
    const loss = new PortLoss(20, 'callbox_bench_port_loss');
    return twoCallers({ start: (port) => loss.start(port), stop: () => loss.stop() });
  },
  // Two callers, what the device sends one of them capped at 300 kbit/s (its UDP port only).
  capped() {
    let cap = null;
    return twoCallers({
      start(port) { cap = new RateCap({ dport: port }); return cap.set(300); },
      stop() { cap?.set(0); },
    });
  },
};

// Two callers, one of whose paths `shape` spoils (start(port) → null or why; stop()): how long
// until that call's decoded width halves (the low layer), how long until it is back at full size
// after the shaping stops, what it got meanwhile, and the other caller's frame rate, bitrate and
// freezes meanwhile (and over 10 s before, both paths clean: the same two calls unshaped, for
// comparison).
async function twoCallers(shape) {
  const daemon = await startDaemon({ config: '[media]\nice_addresses=127.0.0.1\n', env: { CALLBOX_PIPELINES_DIR: join(sourceRoot, 'pipelines'), ...debugEnv } });
  const browsers = [];
  try {
    const pages = [];
    for (const name of ['spoilt', 'clear']) {
      browsers.push(await launchMediaBrowser());
      const page = await openApp(browsers.at(-1).context, daemon.url, name);
      await joinRoom(page, name, name);
      await callDevice(page, name);
      pages.push(page);
    }
    await sleep(3000);
    const [spoilt, clear] = pages;
    const { width: full, port } = await videoView(spoilt);
    // The other caller before (two calls, both clean), then while the one path is spoilt.
    const before = await totals(clear);
    await sleep(10000);
    const other = await totals(clear);
    const clean = window_(before, other);
    const why = shape.start(port);
    if (why) throw new Error(why);
    const down = await msUntilWidth(spoilt, (w) => w > 0 && w <= full / 2, 'the spoilt call on the low layer');
    const [other0, spoilt0] = [await totals(clear), await totals(spoilt)];
    await sleep(10000);
    const meanwhile = window_(other0, await totals(clear));
    const during = window_(spoilt0, await totals(spoilt));
    shape.stop();
    const up = await msUntilWidth(spoilt, (w) => w === full, 'the call back on the top layer');
    return {
      switch_down_ms: down,
      switch_up_ms: up,
      spoilt_fps: during.fps,
      spoilt_video_kbps: during.video_kbps,
      spoilt_concealment_pct: during.concealment_pct,
      other_fps_before: clean.fps,
      other_fps: meanwhile.fps,
      other_video_kbps_before: clean.video_kbps,
      other_video_kbps: meanwhile.video_kbps,
      other_freezes_per_min_before: clean.freezes_per_min,
      other_freezes_per_min: meanwhile.freezes_per_min,
    };
  } catch (e) {
    log(`callboxd's last words:\n${daemon.output().split('\n').slice(-25).join('\n')}`);
    throw e;
  } finally {
    shape.stop();
    for (const browser of browsers) await browser.close().catch(() => {});
    adaptationLog(daemon);
    await daemon.stop();
  }
}

const results = {};
for (const name of opt.only.split(',')) {
  const runs = [];
  for (let i = 0; i < RUNS; i++) {
    try {
      const r = await scenarios[name]();
      log(name, i + 1, JSON.stringify(r));
      runs.push(r);
    } catch (e) {
      log(name, i + 1, 'failed:', e.message.split('\n')[0]);
    }
  }
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r)))];
  results[name] = Object.fromEntries(keys.map((k) => [k, r1(median(runs.map((r) => r[k])))]));
  results[name].runs = runs.length;
}
console.log(JSON.stringify({ machine: 'see docs/benchmarks.md (shared, busy)', runs: RUNS, seconds: SECONDS, results }, null, 1));
for (const [name, r] of Object.entries(results)) console.log(`${name.padEnd(8)} ${Object.entries(r).map(([k, v]) => `${k}=${v}`).join('  ')}`);
