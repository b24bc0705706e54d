// Audio benchmark of two-way calls, Chromium as the far end: mouth-to-ear latency both ways and lip sync (the audio clock), echo return loss enhancement and convergence, double talk, and the CPU voice processing costs, in the simulated room.
//
//   node bench/media/audio.mjs [--out FILE] [--only check,latency,echo,doubletalk,move] [--runs N] [--quick]
//                              [--delays 20,60] [--media key=value,...] [--log DIR] [--verbose]
//
// Every call is on a fresh daemon with the simulated room (`audio_source = room`,
// `audio_sink = room`); the page sends a synthesized microphone (audio-page.js) and reads what
// the device sends in an AudioWorklet. Methods: bench/README.md, "Audio".
import { writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cpuWindow } from './procfs.mjs';
// figures; the daemon and the machine; the browser and page.js's calls
import { sleep, median, r1, summary } from './harness.mjs';
import { sourceRoot, loopbackOnly, privateCallboxd, adminAccess, configText, apiStatus, WarningCounter, machineInfo } from './harness.mjs';
import { launchBrowser, call, firstFrame, hangup, pageStats } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { values: opt } = parseArgs({
  options: {
    out: { type: 'string', default: join(here, 'results-audio.json') },
    only: { type: 'string', default: 'check,latency,echo,doubletalk' },
    runs: { type: 'string' },
    quick: { type: 'boolean', default: false },
    media: { type: 'string' },
    verbose: { type: 'boolean', default: false },
    log: { type: 'string' },
    // the simulated room's echo delays (ms) the echo phase runs; the first one for the others
    delays: { type: 'string', default: '20,60' },
    'switch-on': { type: 'boolean', default: false },
  },
});
const EXTRA_MEDIA = Object.fromEntries((opt.media ?? '').split(',').filter(Boolean).map((kv) => kv.split('=')));
const RUNS = Number(opt.runs ?? (opt.quick ? 1 : 3));
const phases = new Set(opt.only.split(','));
const DELAYS = opt.delays.split(',').map(Number);

loopbackOnly();
const callboxd = await privateCallboxd();
const { startDaemon } = await import('../../tests/lib/daemon.mjs');
const log = (...a) => console.error(`[audio ${new Date().toISOString().slice(11, 19)}]`, ...a);

const PIPELINES = process.env.CALLBOX_PIPELINES_DIR ?? join(sourceRoot, 'pipelines');
const ROOM = { audio_source: 'room', audio_sink: 'room', noise_suppression: false, gain_control: false };
const TONE_HZ = 330; // the room's near-end talker (audio-source-room.pipeline)
const FAR_LEVEL = 0.25; // the page's talker: pink noise, this scale of full scale

const ADMIN = adminAccess(callboxd.path);
const warnings = new WarningCounter();
async function daemon(media) {
  const d = await startDaemon({ config: configText(ADMIN.hash, { ...ROOM, ...media, ...EXTRA_MEDIA }), env: { CALLBOX_PIPELINES_DIR: PIPELINES, GST_DEBUG: process.env.GST_DEBUG ?? '1' } });
  log(`callboxd pid ${d.child.pid} ${JSON.stringify(media)}`);
  return d;
}
const browser = await launchBrowser({ log, verbose: opt.verbose });
await browser.context.addInitScript({ path: join(here, 'audio-page.js') });

const results = { about: 'callbox audio benchmark (bench/media/audio.mjs): mouth-to-ear latency both ways, lip sync, ERLE, convergence, double talk, voice-processing CPU; see bench/README.md "Audio"', meta: {}, params: { runs: RUNS, far_level: FAR_LEVEL, tone_hz: TONE_HZ, room: ROOM, extra_media: EXTRA_MEDIA }, check: null, latency: [], echo: [], doubletalk: [], move: [], summary: {} };

// A call from a fresh page on daemon d: the page's microphone `mic`, video shown (the clock
// pattern is read from it when `video`). Returns the page once the first frame is shown.
async function openCall(d, mic, { send = 'none' } = {}) {
  const page = await browser.openPage(d);
  await page.evaluate((o) => window.cbAudio.startMic(o), mic);
  await call(page, { send, mic: true, video: true });
  const t = await firstFrame(page, 15000);
  if (t.firstFrame === null) throw new Error(`no first frame: ${JSON.stringify(t)}`);
  // the remote audio track arrives with the answer
  await page.waitForFunction(() => window.cb.remoteAudio() !== null, null, { timeout: 5000 });
  await page.evaluate((hz) => window.cbAudio.startReading(window.cb.remoteAudio(), hz), TONE_HZ);
  return page;
}
async function closeCall(d, page) {
  await page.evaluate(() => window.cbAudio.stopReading()).catch(() => {});
  await hangup(page).catch(() => {});
  await page.close();
  const out = d.output();
  warnings.add(out);
  // --log DIR: each daemon's output, for GST_DEBUG runs
  if (opt.log) writeFileSync(join(opt.log, `callboxd-${d.child.pid}.log`), out);
  await d.stop();
}
const drain = (page) => page.evaluate(() => window.cbAudio.drain());
const latencyOf = (onset) => { const ms = onset - Math.floor(onset / 1000) * 1000; return ms; };

// ---- Checking the checker: the generator's clock straight into the reader ----
async function phaseCheck() {
  // AudioWorklet needs a secure context: a page of the daemon's (loopback) origin
  const d = await daemon({});
  const page = await browser.openPage(d, null);
  const offsets = await page.evaluate(() => window.cbAudio.selfCheck(4));
  await page.close();
  await d.stop();
  results.check = { offsets_ms: offsets, median_ms: r1(median(offsets)) };
  log(`check: the page's clock read back at ${JSON.stringify(offsets)} ms (expected ≈ 0)`);
}

// ---- Mouth-to-ear both ways and lip sync, in a two-way call ----
async function phaseLatency() {
  for (let i = 0; i < RUNS; i++) {
    // the device sends the audio clock from its microphone (after voice processing), the page
    // from its own; the device reads the page's at its speaker's input
    const d = await daemon({ echo_cancel: 'on', audio_clock: 'on', room_delay_ms: DELAYS[0] });
    const page = await openCall(d, { level: 0, clock: true }, { send: 'canvas' });
    await page.evaluate(() => window.cb.startReading());
    await sleep(2000);
    await drain(page);
    await page.evaluate(() => { window.cb.stopReading(); window.cb.startReading(); });
    const st0 = await pageStats(page);
    await sleep(opt.quick ? 8000 : 15000);
    const audio = (await drain(page)).onsets.map(latencyOf);
    const st1 = await pageStats(page);
    // Chromium's mean jitter-buffer delay over the window (audio, video), ms
    const jb = (d, e) => r1(((st1[d] - st0[d]) / (st1[e] - st0[e])) * 1000);
    const video = (await page.evaluate(() => window.cb.stopReading())).samples;
    const st = await apiStatus(d, ADMIN.headers);
    const speaker = st.media.audio_clock?.speaker_latency_ms ?? null;
    const row = {
      device_to_browser_audio_ms: summary(audio), device_to_browser_video_ms: summary(video),
      lip_sync_ms: r1(median(audio) - median(video)), browser_to_speaker_ms: speaker,
      browser_jitter_buffer_ms: { audio: jb('audioJitterBufferDelay', 'audioJitterBufferEmittedCount'), video: jb('jitterBufferDelay', 'jitterBufferEmittedCount') },
      audio_samples: audio.map(r1),
    };
    results.latency.push(row);
    log(`latency ${i + 1}: device → browser audio ${row.device_to_browser_audio_ms.median} ms (n ${audio.length}), video ${row.device_to_browser_video_ms.median} ms, audio − video ${row.lip_sync_ms} ms (Chromium's jitter buffers ${JSON.stringify(row.browser_jitter_buffer_ms)}); browser → speaker input ${JSON.stringify(speaker)}`);
    await closeCall(d, page);
  }
}

// ---- Echo: far-end single talk with the canceller on and off (alternated) ----
// The page talks from t0 on; what comes back is the room's echo of it (no near-end talker).
// Convergence: from the talker's start until the level is GOAL_ERLE_DB under the same pair's
// level without the canceller, for every later window.
const GOAL_ERLE_DB = 25;
async function phaseEcho() {
  const seconds = opt.quick ? 8 : 10;
  for (const delay of DELAYS) for (let i = 0; i < RUNS; i++) {
    let offLevel = null;
    for (const ec of ['off', 'on']) {
      // --switch-on: the canceller switched on by the admin API once the call's audio flows
      const late = ec === 'on' && opt['switch-on'];
      const d = await daemon({ echo_cancel: late ? 'off' : ec, room_talker: false, audio_clock: 'off', room_delay_ms: delay });
      const page = await openCall(d, { level: 0, notchHz: TONE_HZ });
      await sleep(1000);
      if (late) {
        const r = await fetch(d.url + '/api/admin/echo-cancel', { method: 'POST', headers: { ...ADMIN.headers, 'Content-Type': 'application/json', Origin: d.url }, body: '{"enabled":true}' });
        if (r.status !== 204) throw new Error(`echo-cancel: HTTP ${r.status}`);
        await sleep(500);
      }
      await drain(page);
      const t0 = await page.evaluate((lvl) => { const t = Date.now() + 200; window.cbAudio.setMic({ level: lvl, t0: t }); return t; }, FAR_LEVEL);
      const cpu = { pid: d.child.pid };
      await sleep(2000);
      const w = cpuWindow(cpu);
      await sleep((seconds - 2) * 1000);
      const used = w.end();
      const windows = (await drain(page)).windows.filter(([t]) => t >= t0);
      const settled = windows.filter(([t]) => t >= t0 + 2000).map((x) => x[1]);
      const level = median(settled);
      const last = median(windows.filter(([t]) => t >= t0 + (seconds - 3) * 1000).map((x) => x[1]));
      if (ec === 'off') offLevel = level;
      let converged = null;
      if (ec === 'on' && offLevel !== null)
        for (let k = windows.length - 1; k >= 0 && windows[k][1] <= offLevel - GOAL_ERLE_DB; k--) converged = windows[k][0] - t0;
      const band = median(windows.filter(([t]) => t >= t0 + 2000).map((x) => x[3]));
      // the echo path the daemon measured beyond its speaker's latency (null: not measured)
      const echoPath = (await apiStatus(d, ADMIN.headers)).media?.echo_cancel?.echo_path_ms ?? null;
      const row = { room_delay_ms: delay, echo_cancel: ec, level_dbfs: r1(level), band_dbfs: r1(band), erle_db: ec === 'on' && offLevel !== null ? r1(offLevel - level) : null, converged_ms: converged, echo_path_ms: echoPath, last3s_dbfs: r1(last), daemon_cores: used.daemon_cores, browser_cores: used.browser_cores, other_cores: used.other_cores, series: windows.map(([t, db]) => [t - t0, db]) };
      results.echo.push(row);
      log(`echo ${ec}, room ${delay} ms, ${i + 1}: ${row.level_dbfs} dBFS after 2 s (last 3 s ${row.last3s_dbfs})${ec === 'on' ? `, ERLE ${row.erle_db} dB, ${GOAL_ERLE_DB} dB held from ${converged} ms, echo path ${echoPath} ms` : ''}; daemon ${used.daemon_cores} cores (other ${used.other_cores})`);
      await closeCall(d, page);
    }
  }
}

// ---- The echo path moves mid-call: the room's delay from the first of --delays to the second
// (a reload, [media] room_delay_ms, while the far end talks), the canceller on. How long until
// the device has measured the new path, and until the echo is held 25 dB under the same room's
// echo without the canceller again (a call of its own, before). ----
async function phaseMove() {
  const [from, to] = DELAYS;
  if (to === undefined) throw new Error('--only move needs two --delays: from,to');
  const talk = 16000, moveAt = 6000;
  for (let i = 0; i < RUNS; i++) {
    let offLevel = null;
    for (const ec of ['off', 'on']) {
      const media = { echo_cancel: ec, room_talker: false, audio_clock: 'off', room_delay_ms: from };
      const d = await daemon(media);
      const page = await openCall(d, { level: 0, notchHz: TONE_HZ });
      await sleep(1000);
      await drain(page);
      const t0 = await page.evaluate((lvl) => { const t = Date.now() + 200; window.cbAudio.setMic({ level: lvl, t0: t }); return t; }, FAR_LEVEL);
      if (ec === 'off') {
        await sleep(5000);
        offLevel = median((await drain(page)).windows.filter(([t]) => t >= t0 + 2000).map((x) => x[1]));
        log(`move ${i + 1}: echo without the canceller ${r1(offLevel)} dBFS (room ${from} ms)`);
        await closeCall(d, page);
        continue;
      }
      const pathNow = async () => (await apiStatus(d, ADMIN.headers)).media?.echo_cancel?.echo_path_ms ?? null;
      await sleep(moveAt - 200);
      const before = await pathNow();
      writeFileSync(join(d.dataDir, 'test.conf'), configText(ADMIN.hash, { ...ROOM, ...media, room_delay_ms: to, ...EXTRA_MEDIA }));
      const moved = Date.now();
      d.child.kill('SIGHUP');
      let after = before, measuredMs = null;
      while (Date.now() < t0 + talk) {
        await sleep(250);
        const p = await pathNow();
        if (measuredMs === null && p !== null && before !== null && Math.abs(p - before) >= (to - from) / 2) { after = p; measuredMs = Date.now() - moved; }
      }
      const windows = (await drain(page)).windows.filter(([t]) => t >= t0);
      let held = null;
      for (let k = windows.length - 1; k >= 0 && windows[k][0] >= moved && windows[k][1] <= offLevel - GOAL_ERLE_DB; k--) held = windows[k][0] - moved;
      const afterMove = windows.filter(([t]) => t >= moved);
      const row = { from_ms: from, to_ms: to, echo_off_dbfs: r1(offLevel), path_before_ms: before, path_after_ms: after, path_measured_after_ms: measuredMs,
        held_again_after_ms: held, worst_after_move_dbfs: r1(Math.max(...afterMove.map((x) => x[1]))), last3s_dbfs: r1(median(windows.filter(([t]) => t >= t0 + talk - 3000).map((x) => x[1]))),
        series: windows.map(([t, db]) => [t - moved, db]) };
      results.move.push(row);
      log(`move ${i + 1}: room ${from} → ${to} ms; echo path ${before} → ${after} ms, measured ${measuredMs} ms after the move; echo ${GOAL_ERLE_DB} dB under ${r1(offLevel)} dBFS again from ${held} ms after it (the worst window after it ${row.worst_after_move_dbfs} dBFS, the last 3 s ${row.last3s_dbfs})`);
      await closeCall(d, page);
    }
  }
}

// ---- Double talk: the near-end talker throughout, the far end 3 s on, 3 s off ----
async function phaseDoubleTalk() {
  const seconds = opt.quick ? 13 : 19;
  for (let i = 0; i < RUNS; i++) {
    const d = await daemon({ echo_cancel: 'on', room_talker: true, audio_clock: 'off', room_delay_ms: DELAYS[0] });
    const page = await openCall(d, { level: 0, notchHz: TONE_HZ });
    await sleep(2000);
    await drain(page);
    const on = 3000, off = 3000;
    const t0 = await page.evaluate(([lvl, a, b]) => { const t = Date.now() + 200; window.cbAudio.setMic({ level: lvl, t0: t, onMs: a, offMs: b }); return t; }, [FAR_LEVEL, on, off]);
    await sleep(seconds * 1000);
    const windows = (await drain(page)).windows.filter(([t]) => t >= t0);
    // a window's far-end state, skipping 700 ms after each switch (the far end's round trip
    // through the device and the room) and the first period (the canceller converging)
    const state = (t) => {
      const into = (t - t0) % (on + off);
      if (t - t0 < on + off) return null;
      if (into >= 700 && into < on) return 'talk';
      if (into >= on + 700) return 'quiet';
      return null;
    };
    const tone = { talk: [], quiet: [] }, rms = { talk: [], quiet: [] }, band = { talk: [], quiet: [] };
    for (const [t, r, toneDb, bandDb] of windows) {
      const s = state(t);
      if (s) { tone[s].push(toneDb); rms[s].push(r); band[s].push(bandDb); }
    }
    // band_*: the far end's echo at 1.5 kHz (the near end has none there), to show it is
    // cancelled while both talk; compare with the echo phase's band_dbfs without the canceller
    const row = { near_alone_db: r1(median(tone.quiet)), near_during_far_db: r1(median(tone.talk)), drop_db: r1(median(tone.quiet) - median(tone.talk)), rms_quiet_dbfs: r1(median(rms.quiet)), rms_talk_dbfs: r1(median(rms.talk)), band_quiet_dbfs: r1(median(band.quiet)), band_talk_dbfs: r1(median(band.talk)), windows: { talk: tone.talk.length, quiet: tone.quiet.length } };
    results.doubletalk.push(row);
    log(`double talk ${i + 1}: near-end tone ${row.near_alone_db} dBFS alone, ${row.near_during_far_db} while the far end talks: drop ${row.drop_db} dB (rms ${row.rms_quiet_dbfs} / ${row.rms_talk_dbfs}; echo at 1.5 kHz ${row.band_quiet_dbfs} / ${row.band_talk_dbfs})`);
    await closeCall(d, page);
  }
}

try {
  results.meta = machineInfo({ context: browser.context, callboxd: callboxd.source });
  if (phases.has('check')) await phaseCheck();
  if (phases.has('latency')) await phaseLatency();
  if (phases.has('echo')) await phaseEcho();
  if (phases.has('doubletalk')) await phaseDoubleTalk();
  if (phases.has('move')) await phaseMove();
} finally {
  await browser.close();
  callboxd.remove();
}

// ---- Summary: medians over the runs ----
const med = (rows, f) => r1(median(rows.map(f)));
const S = results.summary;
if (results.latency.length) {
  S.device_to_browser_audio_ms = med(results.latency, (r) => r.device_to_browser_audio_ms.median);
  S.device_to_browser_video_ms = med(results.latency, (r) => r.device_to_browser_video_ms.median);
  S.lip_sync_ms = med(results.latency, (r) => r.lip_sync_ms);
  S.browser_to_speaker_ms = med(results.latency, (r) => r.browser_to_speaker_ms?.median);
}
for (const delay of DELAYS) {
  const rows = results.echo.filter((r) => r.room_delay_ms === delay);
  if (!rows.length) continue;
  const off = rows.filter((r) => r.echo_cancel === 'off'), on = rows.filter((r) => r.echo_cancel === 'on');
  // ERLE per pair (off and on back to back), then the median; convergence null = never held
  S[`room_${delay}ms`] = {
    echo_off_dbfs: med(off, (r) => r.level_dbfs), echo_on_dbfs: med(on, (r) => r.level_dbfs),
    echo_off_band_dbfs: med(off, (r) => r.band_dbfs), echo_on_band_dbfs: med(on, (r) => r.band_dbfs),
    erle_db: med(on, (r) => r.erle_db), convergence_ms: on.map((r) => r.converged_ms),
    daemon_cores_off: med(off, (r) => r.daemon_cores), daemon_cores_on: med(on, (r) => r.daemon_cores),
  };
}
if (results.doubletalk.length) {
  S.double_talk_drop_db = med(results.doubletalk, (r) => r.drop_db);
  S.double_talk_echo_band_dbfs = med(results.doubletalk, (r) => r.band_talk_dbfs);
}
if (results.move.length) {
  S.move_path_measured_ms = results.move.map((r) => r.path_measured_after_ms);
  S.move_held_again_ms = results.move.map((r) => r.held_again_after_ms);
}
results.warnings = warnings.top();
writeFileSync(opt.out, JSON.stringify(results, null, 1) + '\n');
console.log(JSON.stringify(S, null, 1));
log(`wrote ${opt.out}`);
