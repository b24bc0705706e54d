// Media benchmark orchestrator: drives callboxd's calls from headless Chromium (time to first frame, clock-pattern latency both ways, daemon CPU/RSS per viewer and caller), prints a table and writes results.json.
//
//   node bench/media/run.mjs [--out FILE] [--only start,first,g2g,g2gviewers,b2d,check,cpu,duplex] [--quick] [--verbose] [--log DIR]
//                            [--modes shared,per-call] [--kinds viewers,callers]
//                            [--g2g-viewers 1,4] [--g2g-calls N] [--g2g-play app|video] [--g2g-video-only]
//
// duplex (not in the default set): viewer and two-way calls alternated on fresh daemons in one
// run, device → browser glass-to-glass of each; the figure is the median two-way − viewer.
//
// The daemon is $CALLBOXD or build/src/callboxd; nothing is built. When the machine has a
// network interface besides loopback, the script re-runs itself inside a loopback-only
// network namespace (`unshare -n`, then `lo` up: needs root).
import { cpSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cpuWindow, procStatusKiB, threadCpu, busiestThreads, smapsSummary } from './procfs.mjs';
import {
  sourceRoot, sleep, median, r1, summary, loopbackOnly, privateCallboxd, adminAccess, configText, WarningCounter,
  apiStatus, waitApiStatus, noCall, launchBrowser, call, firstFrame, hangup, pageStats, machineInfo,
} from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));

const { values: opt } = parseArgs({
  options: {
    out: { type: 'string', default: join(here, 'results.json') },
    only: { type: 'string' },
    quick: { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
    log: { type: 'string' },
    // extra [media] keys for every daemon, e.g. --media jitter_ms=0,video_bitrate=800
    media: { type: 'string' },
    // duplex phase: calls without audio (both ways), to take Chromium's audio/video sync out
    'duplex-video-only': { type: 'boolean', default: false },
    // g2gviewers phase: viewers that receive no audio (Chromium's audio/video sync out of the path)
    'g2g-video-only': { type: 'boolean', default: false },
    // g2gviewers phase: how the viewer page plays the call: 'app' (sound and picture in one
    // element, as web/js/call-view.js) or 'video' (the picture alone, muted; the sound unplayed)
    'g2g-play': { type: 'string', default: 'video' },
    'g2g-viewers': { type: 'string', default: '1,4' },
    'g2g-calls': { type: 'string' },
    // step 4 only: which encoder modes and which kinds of call (for quick A/B runs)
    modes: { type: 'string', default: 'shared,per-call' },
    kinds: { type: 'string', default: 'viewers,callers' },
  },
});
const EXTRA_MEDIA = Object.fromEntries((opt.media ?? '').split(',').filter(Boolean).map((kv) => kv.split('=')));

loopbackOnly();
const callboxd = await privateCallboxd();
const CALLBOXD_SOURCE = callboxd.source;
const PIPELINES = process.env.CALLBOX_PIPELINES_DIR ?? join(sourceRoot, 'pipelines');
const { startDaemon } = await import('../../tests/lib/daemon.mjs');

const Q = opt.quick;
const P = {
  firstCalls: Q ? 3 : 10,          // calls per first-frame series
  processStarts: Q ? 1 : 3,        // extra fresh daemons, to time the first call of a process
  g2gSeconds: Q ? 8 : 30,          // device → browser latency window
  b2dSeconds: Q ? 8 : 30,          // browser → device latency window
  checkSeconds: Q ? 6 : 12,        // "checking the checker" windows
  warmupMs: 2000,                  // after the first frame, before reading latency
  cpuWindowS: Q ? 3 : 5,           // one CPU window
  cpuWindows: Q ? 1 : 3,           // windows per level (median), plus up to 2 more when disturbed
  settleMs: Q ? 1500 : 3000,       // after a level's calls are flowing, before measuring
  g2gCalls: Number(opt['g2g-calls'] ?? (Q ? 2 : 5)), // g2gviewers: calls (fresh daemons) per number of viewers
  g2gCallSeconds: Q ? 6 : 12,       // g2gviewers: reading window of each call
  g2gViewers: opt['g2g-viewers'].split(',').map(Number),
  starts: Q ? 3 : 5,                // start: daemons spawned one after another
  duplexPairs: Q ? 2 : 4,          // viewer + two-way calls, alternated
  duplexSeconds: Q ? 6 : 10,       // device → browser window of each
  viewers: [1, 2, 4],
  callers: [1, 2, 4],
};
const NOISE_CORES = 0.3;
const phases = new Set((opt.only ?? 'first,g2g,b2d,check,cpu').split(','));

const log = (...a) => console.error(`[media ${new Date().toISOString().slice(11, 19)}]`, ...a);

// ---- The daemon ----
const ADMIN = adminAccess(callboxd.path);
const daemonWarnings = new WarningCounter();
async function daemon(extra = {}, pipelinesDir = PIPELINES) {
  const d = await startDaemon({ config: configText(ADMIN.hash, { ...EXTRA_MEDIA, ...extra }), env: { CALLBOX_PIPELINES_DIR: pipelinesDir, GST_DEBUG: process.env.GST_DEBUG ?? '1' } });
  log(`callboxd pid ${d.child.pid} ${d.url} ${JSON.stringify(extra)}`);
  const stop = d.stop.bind(d);
  d.stop = async () => {
    const r = await stop();
    daemonWarnings.add(d.output());
    // --log DIR: each daemon's output (GST_DEBUG, GST_TRACERS runs)
    if (opt.log) writeFileSync(join(opt.log, `callboxd-${d.child.pid}.log`), d.output());
    return r;
  };
  return d;
}
const status = (d) => apiStatus(d, ADMIN.headers);
const waitStatus = (d, pred, what, timeoutMs) => waitApiStatus(d, ADMIN.headers, pred, what, timeoutMs);
const captureStopped = (d) => waitStatus(d, noCall, 'capture to stop');

// ---- The browser: one Chromium for the whole run, one page per caller ----
const browser = await launchBrowser({ log, verbose: opt.verbose });
const openPage = browser.openPage;

// One call from `page`, timed from the offer to the first frame shown; hangs up afterwards
// unless keep is set.
async function timedCall(d, page, send, { keep = false } = {}) {
  await page.bringToFront();
  await call(page, { send, video: true });
  const t = await firstFrame(page);
  if (!keep) await hangup(page);
  return t;
}

const results = { about: 'callbox media benchmark results (bench/media/run.mjs): time to first frame, clock-pattern latency both ways, callboxd CPU/RSS per viewer and caller; see bench/README.md', meta: {}, params: { ...P, extra_media: EXTRA_MEDIA }, first: null, g2g: null, b2d: null, check: null, cpu: null, notes: [] };
const note = (s) => { results.notes.push(s); log(`NOTE: ${s}`); };

// ---- 1. Time from the offer to the first decoded frame ----
async function phaseFirst() {
  const out = { process_first_calls: [], process_first_calls_after_3s: [], cold_viewer: [], cold_twoway: [], warm_viewer: [] };
  // A few fresh daemons: the first call of each process, 3 s after the daemon started (a
  // device is up long before anyone calls it; the DTLS certificate, if made at start-up, is
  // ready). The first cold call below is the first call right after start.
  for (let i = 0; i < P.processStarts; i++) {
    const d = await daemon();
    const page = await openPage(d);
    await sleep(3000);
    out.process_first_calls_after_3s.push(await timedCall(d, page, 'none'));
    await page.close();
    await d.stop();
  }
  const d = await daemon();
  try {
    const page = await openPage(d);
    // Cold: nothing else is in a call, so each call starts the capture (and it stops again).
    for (let i = 0; i < P.firstCalls; i++) {
      out.cold_viewer.push(await timedCall(d, page, 'none'));
      await captureStopped(d);
    }
    out.process_first_calls.push(out.cold_viewer[0]); // right after start
    for (let i = 0; i < P.firstCalls; i++) {
      out.cold_twoway.push(await timedCall(d, page, 'camera'));
      await captureStopped(d);
    }
    // Warm: another viewer keeps the capture and encoders running.
    const other = await openPage(d);
    await call(other, { send: 'none', video: false });
    await waitStatus(d, (s) => s.media.calls.some((c) => c.state === 'connected' && c.video_frames_out > 0), 'the other viewer');
    for (let i = 0; i < P.firstCalls; i++) {
      out.warm_viewer.push(await timedCall(d, page, 'none'));
      await sleep(200);
    }
    await other.close();
    await page.close();
  } finally {
    await d.stop();
  }
  const ff = (xs) => xs.map((t) => t.firstFrame);
  out.summary = {
    process_first_call: summary(ff(out.process_first_calls)),
    process_first_call_after_3s: summary(ff(out.process_first_calls_after_3s)),
    cold_viewer: summary(ff(out.cold_viewer)),
    cold_viewer_after_first: summary(ff(out.cold_viewer.slice(1))),
    cold_twoway: summary(ff(out.cold_twoway)),
    warm_viewer: summary(ff(out.warm_viewer)),
    // where the time goes, medians over the cold viewer calls after the first
    cold_viewer_steps: Object.fromEntries(['answer', 'pcConnected', 'callConnected', 'track', 'firstFrame']
      .map((k) => [k, r1(median(out.cold_viewer.slice(1).map((t) => t[k])))])),
    warm_viewer_steps: Object.fromEntries(['answer', 'pcConnected', 'callConnected', 'track', 'firstFrame']
      .map((k) => [k, r1(median(out.warm_viewer.map((t) => t[k])))])),
    failed: [...out.cold_viewer, ...out.cold_twoway, ...out.warm_viewer, ...out.process_first_calls_after_3s].filter((t) => t.firstFrame === null).length,
  };
  return out;
}

// ---- 2. Device → browser, read from the clock pattern in every frame shown ----
// A cumulative statistic of Chromium's (seconds) per item emitted between two readings, in ms.
function perFrame(s0, s1, field, count = 'jitterBufferEmittedCount') {
  const n = (s1[count] ?? 0) - (s0[count] ?? 0);
  return n > 0 && s1[field] !== undefined ? r1((1000 * (s1[field] - s0[field])) / n) : null;
}

async function readLatency(page, seconds, d) {
  await page.evaluate(() => window.cb.startReading());
  const s0 = await pageStats(page);
  const w = cpuWindow({ pid: d.child.pid, treeRoot: process.pid, treeExclude: [d.child.pid] });
  await sleep(seconds * 1000);
  const cpu = w.end();
  const st = await page.evaluate(() => window.cb.stopReading());
  const s1 = await pageStats(page);
  return {
    cpu: { daemon_cores: cpu.daemon_cores, browser_cores: cpu.browser_cores, other_cores: cpu.other_cores },
    ...summary(st.samples), callbacks: st.callbacks, rejects: st.rejects, counter_gaps: st.gaps,
    width: st.width, height: st.height,
    decoded_fps: r1((s1.framesDecoded - s0.framesDecoded) / seconds),
    jitter_buffer_ms: perFrame(s0, s1, 'jitterBufferDelay'),
    // what Chromium aimed at, per frame: its target delay, and the least it could hold without
    // a target set from outside (its jitter estimate + decode + render delay; equal when nothing,
    // neither audio/video sync nor a playout-delay extension, asks for more)
    jitter_buffer_target_ms: perFrame(s0, s1, 'jitterBufferTargetDelay'),
    jitter_buffer_minimum_ms: perFrame(s0, s1, 'jitterBufferMinimumDelay'),
    decode_ms: perFrame(s0, s1, 'totalDecodeTime', 'framesDecoded'),
    audio_jitter_buffer_ms: perFrame(s0, s1, 'audioJitterBufferDelay', 'audioJitterBufferEmittedCount'),
    // Chromium's own share: the frame's last packet received → its expected display
    in_browser_ms: r1(median(st.inBrowser ?? [])),
    stats: s1, samples: st.samples,
  };
}

// One call on a fresh daemon; reads the device's clock pattern for `seconds`.
// send: 'none' (viewer) or 'camera' (two-way, fake camera); audio: false = a video-only viewer.
async function g2gRun({ pipelinesDir = PIPELINES, seconds = P.g2gSeconds, send = 'none', audio = true } = {}) {
  const d = await daemon({}, pipelinesDir);
  try {
    const page = await openPage(d);
    await page.bringToFront();
    await call(page, { send, audio, video: true });
    const first = await firstFrame(page);
    if (first.firstFrame === null) throw new Error(`no frame: ${JSON.stringify(first)}`);
    await sleep(P.warmupMs);
    const r = await readLatency(page, seconds, d);
    const st = await status(d);
    await hangup(page);
    await page.close();
    return { send, audio, first_call: first, ...r, call_state_at_end: st.media.calls[0]?.state ?? 'gone' };
  } finally {
    await d.stop();
  }
}

async function phaseG2G() {
  const viewer = await g2gRun();
  const twoway = await g2gRun({ send: 'camera', seconds: Math.round(P.g2gSeconds / 2) });
  delete twoway.samples;
  return { ...viewer, twoway };
}

// ---- 2b'. Device → browser with 1 and 4 viewers, over several calls ----
// One call's latency is one draw of the phase between the capture and the display clocks, so
// the figure is the median over `P.g2gCalls` calls on fresh daemons, for each number of viewers
// (all of a call's viewers read at once; their samples are pooled per call).
async function g2gViewersRun(n, seconds) {
  const d = await daemon();
  try {
    const pages = [];
    for (let i = 0; i < n; i++) pages.push(await openPage(d));
    for (const page of pages) await call(page, { send: 'none', video: true, audio: !opt['g2g-video-only'], play: opt['g2g-play'] });
    for (const page of pages) {
      const first = await firstFrame(page);
      if (first.firstFrame === null) throw new Error(`no frame: ${JSON.stringify(first)}`);
    }
    await sleep(P.warmupMs);
    const [r0, ...rest] = await Promise.all(pages.map((page, i) => (i === 0 ? readLatency(page, seconds, d) : page.evaluate(() => window.cb.startReading()).then(() => sleep(seconds * 1000)).then(() => page.evaluate(() => window.cb.stopReading())))));
    const perPage = [r0.samples, ...rest.map((st) => st.samples)];
    for (const page of pages) await hangup(page);
    for (const page of pages) await page.close();
    return {
      viewers: n, ...summary(perPage.flat()), per_page: perPage.map((xs) => summary(xs)),
      decoded_fps: r0.decoded_fps, cpu: r0.cpu,
      // the first page's share: its frames' last packet received → expected display (ms)
      in_browser_ms: r0.in_browser_ms, jitter_buffer_ms: r0.jitter_buffer_ms,
      jitter_buffer_target_ms: r0.jitter_buffer_target_ms, jitter_buffer_minimum_ms: r0.jitter_buffer_minimum_ms,
      decode_ms: r0.decode_ms, audio_jitter_buffer_ms: r0.audio_jitter_buffer_ms,
    };
  } finally {
    await d.stop();
  }
}

async function phaseG2GViewers() {
  const out = {};
  for (const n of P.g2gViewers) {
    const calls = [];
    for (let i = 0; i < P.g2gCalls; i++) {
      const c = await g2gViewersRun(n, P.g2gCallSeconds);
      log(`  ${n} viewer(s), call ${i + 1}: median ${c.median} p95 ${c.p95} ms (${c.n} samples; per page ${c.per_page.map((x) => x.median).join('/')}; received → shown ${c.in_browser_ms} ms, Chromium's target delay ${c.jitter_buffer_target_ms} ms)`);
      calls.push(c);
    }
    out[n] = { calls, median_of_medians: r1(median(calls.map((c) => c.median))), median_of_p95s: r1(median(calls.map((c) => c.p95))) };
    log(`  ${n} viewer(s): median of the calls' medians ${out[n].median_of_medians}, of their p95s ${out[n].median_of_p95s} ms`);
  }
  return out;
}

// ---- 0. Start-up: spawn → "listening on" (media on, test sources), and the idle CPU after ----
async function phaseStart() {
  const starts = [];
  let idle = null;
  for (let i = 0; i < P.starts; i++) {
    const t0 = performance.now();
    const d = await daemon();
    starts.push(r1(performance.now() - t0));
    if (i === P.starts - 1) {
      await sleep(3000);
      const w = cpuWindow({ pid: d.child.pid, treeRoot: process.pid, treeExclude: [d.child.pid] });
      await sleep(5000);
      idle = w.end().daemon_cores;
    }
    await d.stop();
  }
  log(`  spawn → listening: ${starts.join(', ')} ms (median ${r1(median(starts))}); idle ${idle} cores`);
  return { spawn_to_listening_ms: starts, median_ms: r1(median(starts)), idle_daemon_cores: idle };
}

// ---- 2c. Two-way against viewer calls, alternated in one run ----
// One call's latency is one draw of the phase between the capture and the display clock (±20 ms),
// so several calls of each kind, alternated, and the medians of their medians.
async function phaseDuplex() {
  const calls = [];
  for (let i = 0; i < P.duplexPairs; i++) {
    for (const send of i % 2 ? ['camera', 'none'] : ['none', 'camera']) {
      const r = await g2gRun({ send, seconds: P.duplexSeconds, audio: !opt['duplex-video-only'] });
      calls.push({ send, median: r.median, p95: r.p95, n: r.n, decoded_fps: r.decoded_fps, jitter_buffer_ms: r.jitter_buffer_ms, in_browser_ms: r.in_browser_ms, state_at_end: r.call_state_at_end, cpu: r.cpu });
      log(`duplex: ${send === 'none' ? 'viewer' : 'two-way'} call: median ${r.median} ms, ${r.decoded_fps} fps, browser jitter buffer ${r.jitter_buffer_ms} ms, received → shown ${r.in_browser_ms} ms`);
    }
  }
  // Chromium's jitter buffer varies from call to call by more than the difference sought (it
  // grows when frames arrive unevenly, 3–400 ms on a loaded machine); the latency without it is
  // the part the device, the network, decoding and display make.
  for (const c of calls) c.without_jitter_buffer = c.median !== null && c.jitter_buffer_ms !== null ? r1(c.median - c.jitter_buffer_ms) : null;
  const of = (send, key) => calls.filter((c) => c.send === send && c[key] !== null).map((c) => c[key]);
  const viewer = r1(median(of('none', 'median')));
  const twoway = r1(median(of('camera', 'median')));
  const viewerNoJb = r1(median(of('none', 'without_jitter_buffer')));
  const twowayNoJb = r1(median(of('camera', 'without_jitter_buffer')));
  return {
    calls, viewer_median: viewer, twoway_median: twoway, twoway_minus_viewer: r1(twoway - viewer),
    viewer_without_jitter_buffer: viewerNoJb, twoway_without_jitter_buffer: twowayNoJb,
    twoway_minus_viewer_without_jitter_buffer: r1(twowayNoJb - viewerNoJb),
  };
}

// ---- 3. Browser → device: the page stamps its canvas, the daemon reads the decoded frames ----
async function phaseB2D() {
  const d = await daemon();
  try {
    const page = await openPage(d);
    const selfTest = await page.evaluate(() => window.cb.selfTest());
    const out = { page_selftest: selfTest };
    const runOne = async (offsetMs, seconds) => {
      await page.bringToFront();
      await call(page, { send: 'canvas', video: true, canvas: { width: 1280, height: 720, fps: 30, offsetMs } });
      const first = await firstFrame(page);
      await sleep(P.warmupMs);
      const device = readLatency(page, seconds, d); // the device's own stream, during a two-way call
      // Poll the daemon's view of the call; keep the last one seen (the call may end early).
      const seen = [];
      let done = false;
      device.finally(() => { done = true; });
      while (!done) {
        const c = (await status(d)).media.calls[0];
        if (c) seen.push({ at: Date.now(), ...c });
        await sleep(1000);
      }
      const g2g = await device;
      const c0 = seen[0] ?? {}, c1 = seen.at(-1) ?? {};
      const stats = g2g.stats;
      await hangup(page);
      await captureStopped(d);
      return {
        offset_ms: offsetMs, first_call: first,
        call_lasted_s: seen.length ? r1((c1.at - c0.at) / 1000) : 0, call_state_last: c1.state ?? null,
        has_field: seen.some((c) => 'clock_latency_ms' in c),
        clock_latency_ms: c1.clock_latency_ms ?? null,
        clock_latency_at_start: c0.clock_latency_ms ?? null,
        device_video_frames_in_per_s: seen.length > 1 ? r1((c1.video_frames_in - c0.video_frames_in) / ((c1.at - c0.at) / 1000)) : null,
        sent: { width: stats.outWidth, height: stats.outHeight, fps: stats.outFps, framesSent: stats.framesSent, qualityLimitation: stats.qualityLimitation },
        device_to_browser_during_twoway: { n: g2g.n, median: g2g.median, p95: g2g.p95, decoded_fps: g2g.decoded_fps },
      };
    };
    const main = await runOne(0, P.b2dSeconds);
    out.main = main;
    const cl = main.clock_latency_ms;
    const lasted = main.call_lasted_s < P.b2dSeconds - 3 ? ` (the call ended after ${main.call_lasted_s} s of ${P.b2dSeconds})` : '';
    if (!main.has_field) out.skipped = `the daemon does not report media.calls[].clock_latency_ms${lasted}`;
    else if (!cl || !cl.samples) out.skipped = `the daemon reports clock_latency_ms without samples: ${JSON.stringify(cl)}${lasted}`;
    else if (!(Math.abs(cl.median) < 10000)) out.invalid = `the daemon's clock_latency_ms is not a latency: ${JSON.stringify(cl)}${lasted}`;
    if (out.skipped || out.invalid) note(`browser → device: ${out.skipped ?? out.invalid}`);
    else {
      if (lasted) note(`browser → device: figures from a call that ended early${lasted}`);
      // checking the checker: stamp 100 ms in the past, the daemon's median must grow by 100 ms
      out.checker = await runOne(-100, P.checkSeconds);
    }
    await page.close();
    return out;
  } finally {
    await d.stop();
  }
}

// ---- Checking the checker, device → browser: a 100 ms queue before the encoder ----
// Video-only viewers (no audio m-line, so no audio/video sync in the browser), a baseline
// and the delayed daemon; then the delayed daemon with audio in the call as well, compared
// with the main measurement.
async function phaseCheck(baselineWithAudio) {
  const dir = mkdtempSync(join(tmpdir(), 'callbox-bench-pipelines-'));
  const brief = (r) => ({ n: r.n, median: r.median, p95: r.p95, decoded_fps: r.decoded_fps, counter_gaps: r.counter_gaps, jitter_buffer_ms: r.jitter_buffer_ms, callbacks: r.callbacks, other_cores: r.cpu.other_cores });
  try {
    cpSync(PIPELINES, dir, { recursive: true });
    const file = join(dir, 'video-encoder-x264.pipeline');
    const lines = readFileSync(file, 'utf8').split('\n');
    const body = lines.findIndex((l) => l.trim() && !l.startsWith('#'));
    lines[body] = 'queue min-threshold-time=100000000 max-size-time=1000000000 max-size-buffers=0 max-size-bytes=0 ! ' + lines[body];
    writeFileSync(file, lines.join('\n'));
    const base = brief(await g2gRun({ seconds: P.checkSeconds, audio: false }));
    const delayed = brief(await g2gRun({ pipelinesDir: dir, seconds: P.checkSeconds, audio: false }));
    const delayedAv = brief(await g2gRun({ pipelinesDir: dir, seconds: P.checkSeconds }));
    return {
      queue_ms: 100,
      video_only: { baseline: base, delayed, growth_ms: r1(delayed.median - base.median) },
      with_audio: { baseline_median: baselineWithAudio, delayed: delayedAv, growth_ms: baselineWithAudio === null ? null : r1(delayedAv.median - baselineWithAudio) },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- 4. Daemon CPU and RSS with 0, 1, 2, 4 viewers and 1, 2, 4 two-way callers ----
async function measureLevel(d, pages, what) {
  const windows = [];
  const s0 = await Promise.all(pages.map(pageStats));
  const t0 = Date.now();
  const threads0 = threadCpu(d.child.pid);
  for (let i = 0; i < P.cpuWindows + 2; i++) {
    const w = cpuWindow({ pid: d.child.pid, treeRoot: process.pid, treeExclude: [d.child.pid] });
    await sleep(P.cpuWindowS * 1000);
    windows.push(w.end());
    const quiet = windows.filter((x) => x.other_cores <= NOISE_CORES).length;
    if (windows.length >= P.cpuWindows && (quiet >= P.cpuWindows || windows.length >= P.cpuWindows + 2)) break;
  }
  const s1 = await Promise.all(pages.map(pageStats));
  const secs = (Date.now() - t0) / 1000;
  const threads = busiestThreads(threads0, threadCpu(d.child.pid), secs);
  const st = await status(d);
  // The least disturbed windows count.
  const kept = [...windows].sort((a, b) => a.other_cores - b.other_cores).slice(0, P.cpuWindows);
  const m = (k) => median(kept.map((w) => w[k]));
  const level = {
    what, daemon_cores: m('daemon_cores'), rss_mib: r1(m('rss_kib') / 1024), threads: m('threads'),
    browser_cores: m('browser_cores'), other_cores: m('other_cores'), encoders: st.media.encoders ?? null,
    calls: st.media.calls.map((c) => ({ state: c.state, codec: c.video_codec })),
    page_decoded_fps: pages.map((p, i) => r1(((s1[i].framesDecoded ?? 0) - (s0[i].framesDecoded ?? 0)) / secs)),
    page_sent: s1.map((s) => (s.framesSent === undefined ? null : { w: s.outWidth, h: s.outHeight, fps: s.outFps, limit: s.qualityLimitation })),
    busiest_threads: threads, // over all windows of the level, cores
    smaps: smapsSummary(d.child.pid), // where the RSS is, by mapping, at the level's end
    windows,
  };
  if (opt.verbose) log(`  threads: ${JSON.stringify(threads)}`);
  log(`  ${what}: daemon ${level.daemon_cores} cores, RSS ${level.rss_mib} MiB, browser ${level.browser_cores}, other ${level.other_cores}, encoders ${level.encoders}, page fps ${level.page_decoded_fps.join('/')}`);
  return level;
}

async function cpuMode(mode) {
  let d;
  try {
    d = await daemon(mode === 'shared' ? {} : { encoders: mode });
  } catch (e) {
    const why = e.message.split('\n').slice(0, 3).join(' ').slice(0, 300);
    note(`encoders=${mode}: the daemon does not start with it (${why}); skipped`);
    return { skipped: why };
  }
  const out = { mode, levels: [] };
  try {
    const pages = [];
    for (let i = 0; i < Math.max(...P.viewers, ...P.callers); i++) pages.push(await openPage(d));
    await sleep(500);
    out.levels.push(await measureLevel(d, [], 'idle (no call)'));
    for (const [kind, counts, send] of [['viewers', P.viewers, 'none'], ['callers', P.callers, 'camera']]) {
      if (!opt.kinds.split(',').includes(kind)) continue;
      let active = 0;
      for (const n of counts) {
        while (active < n) await call(pages[active++], { send, video: false });
        const flowing = (s) => s.media.calls.filter((c) => c.state === 'connected' && c.video_frames_out > 0).length;
        try {
          await waitStatus(d, (s) => flowing(s) === n, `${n} ${kind} connected`, 15000);
        } catch (e) {
          note(`encoders=${mode}, ${n} ${kind}: ${e.message}`);
        }
        await sleep(P.settleMs);
        const before = flowing(await status(d));
        const lv = await measureLevel(d, pages.slice(0, n), `${n} ${kind}`);
        lv.kind = kind; lv.n = n;
        lv.calls_flowing = [before, flowing(await status(d))];
        if (lv.calls_flowing.some((x) => x !== n)) note(`encoders=${mode}, ${n} ${kind}: only ${lv.calls_flowing.join(' → ')} of ${n} calls were connected with video during the window`);
        lv.page_events = await Promise.all(pages.slice(0, n).map((p) => p.evaluate(() => window.cb.events.splice(0).filter((e) => !/connecting|connected$/.test(e)))));
        out.levels.push(lv);
      }
      for (let i = 0; i < active; i++) await hangup(pages[i]);
      await captureStopped(d).catch((e) => note(e.message));
    }
    for (const p of pages) await p.close();
  } finally {
    out.rss_after_mib = r1(procStatusKiB(d.child.pid, 'VmRSS') / 1024);
    await d.stop();
  }
  const at = (kind, n) => out.levels.find((l) => l.kind === kind && l.n === n);
  for (const kind of ['viewers', 'callers']) {
    const one = at(kind, 1), four = at(kind, 4);
    const complete = (l) => l && l.calls_flowing.every((x) => x === l.n);
    if (complete(one) && complete(four)) {
      out[`${kind}_cpu_4_over_1`] = +(four.daemon_cores / one.daemon_cores).toFixed(2);
      out[`${kind}_rss_per_extra_mib`] = r1((four.rss_mib - one.rss_mib) / 3);
    } else {
      out[`${kind}_cpu_4_over_1`] = out[`${kind}_rss_per_extra_mib`] = null;
      out[`${kind}_incomplete`] = 'not every call of the 1- and 4-call levels had video flowing throughout the window';
    }
  }
  return out;
}

// ---- Run ----
const started = Date.now();
try {
  results.meta = machineInfo({ context: browser.context, callboxd: CALLBOXD_SOURCE });
  log(`machine: ${JSON.stringify(results.meta)}`);
  if (phases.has('first')) { log('1. time to first frame'); results.first = await phaseFirst(); }
  if (phases.has('start')) { log('0. start-up and idle'); results.start = await phaseStart(); }
  if (phases.has('g2g')) { log('2. device → browser latency'); results.g2g = await phaseG2G(); }
  if (phases.has('g2gviewers')) { log(`2'. device → browser latency, ${P.g2gViewers.join(' and ')} viewers, ${P.g2gCalls} calls each`); results.g2g_viewers = await phaseG2GViewers(); }
  if (phases.has('duplex')) { log('2c. two-way against viewer calls'); results.duplex = await phaseDuplex(); }
  if (phases.has('check')) { log('2b. checking the checker (100 ms queue before the encoder)'); results.check = await phaseCheck(results.g2g?.median ?? null); }
  if (phases.has('b2d')) { log('3. browser → device latency'); results.b2d = await phaseB2D(); }
  if (phases.has('cpu')) {
    results.cpu = {};
    for (const mode of opt.modes.split(',')) { log(`4. CPU/RSS, encoders=${mode}`); results.cpu[mode] = await cpuMode(mode); }
  }
} finally {
  await browser.close();
  callboxd.remove();
}
results.meta.duration_s = Math.round((Date.now() - started) / 1000);
results.daemon_warnings = daemonWarnings.top();
writeFileSync(opt.out, JSON.stringify(results, null, 1) + '\n');
printTable(results);
log(`wrote ${opt.out} (${results.meta.duration_s} s)`);

function printTable(r) {
  const lines = [];
  const row = (a, b, c = '') => lines.push(`${a.padEnd(58)} ${String(b ?? '—').padStart(22)}  ${c}`);
  const ok = (v, target, cmp = (a, b) => a <= b) => (v === null || v === undefined ? '' : cmp(v, target) ? 'target met' : 'TARGET MISSED');
  lines.push(`callbox media benchmark — ${r.meta.date} — ${r.meta.nproc} CPUs, ${r.meta.kernel}`);
  if (r.first) {
    const s = r.first.summary;
    lines.push('', '1. offer sent → first decoded frame (ms; median [min–max])');
    const f = (x) => `${x.median} [${x.min}–${x.max}] n=${x.n}`;
    row('cold viewer call (capture starts), all', f(s.cold_viewer), ok(s.cold_viewer.median, 300) + ' (≤ 300)');
    row('  the same without the process-first call', f(s.cold_viewer_after_first));
    row('cold two-way call (fake camera + mic)', f(s.cold_twoway), ok(s.cold_twoway.median, 300));
    row('warm viewer call (another call running)', f(s.warm_viewer), ok(s.warm_viewer.median, 300));
    if (s.process_first_call.n) row('first call of a process, right after start', f(s.process_first_call));
    row('first call of a process, 3 s after start', f(s.process_first_call_after_3s));
    row('cold steps: answer / ICE+DTLS / call-state / track', `${s.cold_viewer_steps.answer} / ${s.cold_viewer_steps.pcConnected} / ${s.cold_viewer_steps.callConnected} / ${s.cold_viewer_steps.track}`);
    row('warm steps: answer / ICE+DTLS / call-state / track', `${s.warm_viewer_steps.answer} / ${s.warm_viewer_steps.pcConnected} / ${s.warm_viewer_steps.callConnected} / ${s.warm_viewer_steps.track}`);
    if (s.failed) row('calls without a frame in 10 s', s.failed, 'FAILURES');
  }
  if (r.g2g) {
    const g = r.g2g;
    lines.push('', `2. device → browser glass-to-glass, ${g.width}×${g.height}, ${P.g2gSeconds} s (ms)`);
    row('median / p95 / p99', `${g.median} / ${g.p95} / ${g.p99}`, ok(g.median, 40) + ' (median ≤ 40)');
    row('min / max, samples', `${g.min} / ${g.max}, ${g.n}`);
    row('decoded fps, frames with a bad strip, counter gaps', `${g.decoded_fps}, ${g.rejects.marker + g.rejects.xor + g.rejects.implausible}, ${g.counter_gaps}`);
    row('browser jitter buffer (mean, ms)', g.jitter_buffer_ms);
  }
  if (r.g2g) row('machine during the window: daemon / browser / other (cores)', `${r.g2g.cpu.daemon_cores} / ${r.g2g.cpu.browser_cores} / ${r.g2g.cpu.other_cores}`);
  if (r.g2g?.twoway) {
    const t = r.g2g.twoway;
    const broke = t.call_state_at_end !== 'connected' || t.decoded_fps < 20 ? `CALL BROKE (state ${t.call_state_at_end}, ${t.decoded_fps} fps)` : ok(t.median, 40);
    row('two-way call (fake camera): median / p95, decoded fps', `${t.median} / ${t.p95}, ${t.decoded_fps}`, broke);
    row('  machine: daemon / browser / other (cores)', `${t.cpu.daemon_cores} / ${t.cpu.browser_cores} / ${t.cpu.other_cores}`);
  }
  if (r.duplex) {
    const x = r.duplex;
    const per = (send) => x.calls.filter((c) => c.send === send).map((c) => c.median).join(', ');
    lines.push('', `2c. device → browser, viewer and two-way calls alternated, ${P.duplexSeconds} s each${opt['duplex-video-only'] ? ', video only' : ''} (ms)`);
    row('viewer calls: median of medians (each call)', x.viewer_median, per('none'));
    row('two-way calls: median of medians (each call)', x.twoway_median, per('camera'));
    row('two-way − viewer', x.twoway_minus_viewer, ok(Math.abs(x.twoway_minus_viewer), 5) + ' (within 5)');
    const noJb = (send) => x.calls.filter((c) => c.send === send).map((c) => c.without_jitter_buffer).join(', ');
    row('without Chromium\'s jitter buffer: viewer', x.viewer_without_jitter_buffer, noJb('none'));
    row('without Chromium\'s jitter buffer: two-way', x.twoway_without_jitter_buffer, noJb('camera'));
    row('without Chromium\'s jitter buffer: two-way − viewer', x.twoway_minus_viewer_without_jitter_buffer);
  }
  if (r.check) {
    row('checker, video-only: +100 ms queue → median grows by', r.check.video_only.growth_ms, `expected ≈ 100 (${r.check.video_only.baseline.median} → ${r.check.video_only.delayed.median})`);
    row('checker, audio+video: +100 ms video queue → grows by', r.check.with_audio.growth_ms, `browser jitter buffer ${r.check.with_audio.delayed.jitter_buffer_ms} ms`);
  }
  if (r.b2d) {
    const b = r.b2d;
    lines.push('', '3. browser → device (daemon-read clock pattern, ms)');
    if (b.skipped || b.invalid) row('browser → device', b.skipped ? 'skipped' : 'INVALID', (b.skipped ?? b.invalid).slice(0, 160));
    else {
      const c = b.main.clock_latency_ms;
      row('median / p95 (samples)', `${r1(c.median)} / ${r1(c.p95)} (${c.samples})`);
      row('sent by Chromium: size, fps, limitation', `${b.main.sent.width}×${b.main.sent.height} ${b.main.sent.fps} ${b.main.sent.qualityLimitation}`);
      if (b.checker?.clock_latency_ms) row('checker: page stamps now − 100 ms → median grows by', r1(b.checker.clock_latency_ms.median - c.median), 'expected ≈ 100');
    }
    const t = b.main.device_to_browser_during_twoway;
    row('device → browser during that two-way call: median / p95', `${t.median} / ${t.p95}`);
  }
  if (r.cpu) {
    lines.push('', '4. callboxd CPU (cores) and RSS (MiB)');
    for (const [mode, m] of Object.entries(r.cpu)) {
      if (m.skipped) { row(`encoders=${mode}`, 'skipped', m.skipped.slice(0, 80)); continue; }
      for (const l of m.levels) row(`encoders=${mode}: ${l.what}`, `${l.daemon_cores} cores ${l.rss_mib} MiB`, `enc ${l.encoders}, browser ${l.browser_cores}, other ${l.other_cores}` + (l.calls_flowing && l.calls_flowing.some((x) => x !== l.n) ? `, ONLY ${l.calls_flowing.join('→')} CALLS FLOWING` : ''));
      row(`encoders=${mode}: viewers CPU(4)/CPU(1)`, m.viewers_cpu_4_over_1, mode === 'shared' ? ok(m.viewers_cpu_4_over_1, 1.3) + ' (≤ 1.3)' : '');
      row(`encoders=${mode}: RSS per extra viewer (MiB)`, m.viewers_rss_per_extra_mib, mode === 'shared' ? ok(m.viewers_rss_per_extra_mib, 8 * 1.048576) + ' (≤ 8 MB)' : '');
      row(`encoders=${mode}: callers CPU(4)/CPU(1)`, m.callers_cpu_4_over_1);
      row(`encoders=${mode}: RSS per extra caller (MiB)`, m.callers_rss_per_extra_mib);
    }
  }
  for (const n of r.notes) lines.push(`note: ${n}`);
  for (const [w, n] of Object.entries(r.daemon_warnings ?? {})) lines.push(`callboxd printed ${n}×: ${w.slice(0, 200)}`);
  console.log(lines.join('\n'));
}
