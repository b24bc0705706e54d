// E2E (loopback-only netns): the device's test camera and microphone stall again and again (2 frames and 2 audio buffers a second against capture_stall_ms=200), so capture swaps in its placeholders and tries the sources again many times while a caller and a receive-only viewer call and hang up; afterwards, with no call, callboxd holds the threads and fds it held before, no streaming thread, and printed no GLib critical.
import assert from 'node:assert/strict';
import { cpSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startDaemon, sourceRoot, makeTempDir } from '../lib/daemon.mjs';
import { requireChromium, openApp, joinRoom } from './browser.mjs';
import { requireLoopbackOnly, launchMediaBrowser, noGetUserMedia, callDevice, hangUp, expectMediaFrom, problemsOf } from './calls.mjs';
import { deviceStatus } from './device-status.mjs';

requireChromium();
requireLoopbackOnly();

const { hashLine: ADMIN_HASH, getJson } = deviceStatus('calls-capture-stall-test');
// A frame every 500 ms against a stall limit of 200 ms: the camera counts as failed soon after
// each frame, its placeholder goes in, and it is tried again 50–100 ms later (and delivers, so
// it is "back"); the microphone likewise, with buffers of half a second (its pipeline file below).
const CONFIG = `[server]\n${ADMIN_HASH}\n[media]\nice_addresses=127.0.0.1\nwidth=320\nheight=240\nframerate=2\n`
  + 'video_source=test\naudio_source=test\ncapture_stall_ms=200\ncapture_retry_ms=50\ncapture_retry_max_ms=100\n';
const SLOW_MICROPHONE = '# The test microphone in half-second buffers (tests/e2e/calls-capture-stall.mjs).\n'
  + 'audiotestsrc is-live=true wave=sine freq=440 volume=0.05 samplesperbuffer=24000\n'
  + '  ! capsfilter caps="audio/x-raw,format=S16LE,layout=interleaved,rate=48000,channels=1"\n';
// Call cycles; every CYCLES_PER_STOP-th also hangs up the other page, so capture stops and starts.
const CYCLES = 20;
const CYCLES_PER_STOP = 4;
// Camera failures (placeholder swaps) each call lives through before the next step.
const STALLS_PER_CYCLE = 3;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function media(daemon) {
  return (await getJson(daemon, '/api/status'))?.media;
}

async function waitMedia(daemon, pred, what, timeout = 30000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const m = await media(daemon);
    if (m && pred(m)) return m;
    assert.ok(Date.now() < deadline, `${what}: ${JSON.stringify(m?.capture ?? m)}`);
    await sleep(100);
  }
}

// The daemon's threads by name, numbers and pads blanked: the kernel keeps 15 characters, so
// "videotestsrc3:src" and "videotestsrc123" (of "videotestsrc123:src") both count as "videotestsrcN".
function threadNames(pid) {
  const names = new Map();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let name;
    try { name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim().replace(/\d+/g, 'N').replace(/:.*$/, ''); } catch { continue; }
    names.set(name, (names.get(name) ?? 0) + 1);
  }
  return names;
}

// The daemon's open fds by kind, leaving out its TCP connections on its own port (the pages'
// WebSockets, HTTP requests: the browsers' business, not the media's).
function mediaFds(pid, port) {
  const clients = new Set();
  for (const table of ['tcp', 'tcp6']) {
    let text = '';
    try { text = readFileSync(`/proc/${pid}/net/${table}`, 'utf8'); } catch { continue; }
    for (const line of text.trim().split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (parseInt(f[1].split(':')[1], 16) === port && f[3] !== '0A') clients.add(f[9]);
    }
  }
  const kinds = new Map();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target;
    try { target = readlinkSync(`/proc/${pid}/fd/${fd}`); } catch { continue; }
    const socket = /^socket:\[(\d+)\]$/.exec(target);
    if (socket && clients.has(socket[1])) continue;
    const kind = socket ? 'socket' : target.startsWith('/') ? 'file' : target.replace(/:\[?\d+\]?$/, '');
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  return kinds;
}

const total = (m) => [...m.values()].reduce((a, b) => a + b, 0);
const show = (m) => JSON.stringify(Object.fromEntries([...m].sort()));
// GLib's shared thread pool (GStreamer's async state changes run on it) keeps up to two idle
// threads ("pool-callboxd") for 15 s after their last job; those come and go on their own.
const steady = (threads) => new Map([...threads].filter(([name]) => !name.startsWith('pool')));
const sample = (pid, port) => ({ threads: steady(threadNames(pid)), fds: mediaFds(pid, port) });
const same = (a, b) => show(a.threads) === show(b.threads) && show(a.fds) === show(b.fds);

// The idle daemon's threads and fds once they stay the same over a second (the idle screen's
// own streaming thread among them).
async function settledSample(pid, port, what, timeout = 30000) {
  const deadline = Date.now() + timeout;
  for (let last = sample(pid, port); ;) {
    await sleep(1000);
    const now = sample(pid, port);
    if (same(last, now)) return now;
    assert.ok(Date.now() < deadline, `${what}: threads and fds still change: ${show(now.threads)} ${show(now.fds)}`);
    last = now;
  }
}

// Waits until the idle daemon holds no thread (by name) and no fd (by kind) beyond the baseline's.
async function backToBaseline(pid, port, base, what, timeout = 30000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const now = sample(pid, port);
    const over = (a, b) => [...a].filter(([k, n]) => n > (b.get(k) ?? 0));
    if (over(now.threads, base.threads).length === 0 && over(now.fds, base.fds).length === 0) return now;
    if (Date.now() > deadline) {
      assert.fail(`${what}: threads ${show(now.threads)} (baseline ${show(base.threads)}), `
        + `fds ${show(now.fds)} (baseline ${show(base.fds)})`);
    }
    await sleep(200);
  }
}

test('capture stalls and comes back many times while callers come and go: no thread, fd or critical is left', { timeout: 540000 }, async (t) => {
  const dir = makeTempDir('callbox-stall-');
  const pipelines = join(dir, 'pipelines');
  cpSync(join(sourceRoot, 'pipelines'), pipelines, { recursive: true });
  writeFileSync(join(pipelines, 'audio-source-test.pipeline'), SLOW_MICROPHONE);
  let daemon;
  let browser;
  try {
    daemon = await startDaemon({ config: CONFIG, env: { CALLBOX_PIPELINES_DIR: pipelines } });
    const { pid } = daemon.child;
    const port = Number(new URL(daemon.url).port);
    browser = await launchMediaBrowser();
    // A caller with a camera and a receive-only viewer, in rooms of their own (each calls only the device).
    const caller = await openApp(browser.context, daemon.url, 'alice');
    await joinRoom(caller, 'alice', 'hall');
    const viewer = await openApp(browser.context, daemon.url, 'bob', { initScript: noGetUserMedia });
    await joinRoom(viewer, 'bob', 'porch');
    const pages = [[caller, 'alice'], [viewer, 'bob']];
    const inCall = new Set();

    // Warm-up: one call through a few stalls, so plug-ins, GStreamer's clock thread and the
    // like are there before the baseline; then no call.
    await callDevice(caller, 'alice');
    await expectMediaFrom(caller, 'alice', ['device']);
    const warm = (await media(daemon)).capture.camera.failures;
    await waitMedia(daemon, (m) => m.capture.camera.failures >= warm + STALLS_PER_CYCLE, 'camera stalls during the warm-up call');
    await hangUp(caller, 'alice');
    await waitMedia(daemon, (m) => !m.capturing && m.calls.length === 0, 'capture stopped after the warm-up');
    const base = await settledSample(pid, port, 'the idle daemon after the warm-up');
    t.diagnostic(`baseline: threads ${show(base.threads)}, fds ${show(base.fds)}`);

    let stalls = 0;
    for (let i = 0; i < CYCLES; i++) {
      const [page, name] = pages[i % 2];
      const [other, otherName] = pages[(i + 1) % 2];
      // This call is set up while the other one (if any) lives through stalls: source swaps and
      // a call's elements starting meet in the same pipeline.
      await callDevice(page, name);
      inCall.add(page);
      const before = (await media(daemon)).capture.camera.failures;
      const m = await waitMedia(daemon, (s) => s.capture.camera.failures >= before + STALLS_PER_CYCLE,
        `cycle ${i}: camera stalls during ${name}'s call`);
      stalls += m.capture.camera.failures - before;
      if (inCall.has(other)) {
        await hangUp(other, otherName);
        inCall.delete(other);
      }
      if ((i + 1) % CYCLES_PER_STOP === 0) {
        // Capture stops, and the next call starts it afresh.
        await hangUp(page, name);
        inCall.delete(page);
        await waitMedia(daemon, (s) => !s.capturing, `cycle ${i}: capture stopped`);
      }
    }
    for (const [page, name] of pages) if (inCall.has(page)) await hangUp(page, name);
    const end = await waitMedia(daemon, (s) => !s.capturing && s.calls.length === 0, 'no call, capture stopped at the end');
    t.diagnostic(`${stalls} camera stalls in ${CYCLES} cycles; status ${JSON.stringify(end.capture)}`);

    const after = await backToBaseline(pid, port, base, 'threads and fds after the last call');
    t.diagnostic(`end: threads ${show(after.threads)}, fds ${show(after.fds)}`);
    const output = daemon.output();
    assert.ok((output.match(/the microphone is unavailable/g) ?? []).length >= 1, 'the microphone stalled too');
    const criticals = output.split('\n').filter((l) => /CRITICAL|invalid unclassed pointer|Trying to dispose/.test(l));
    assert.deepEqual(criticals, [], 'no GLib critical from callboxd');
    assert.deepEqual(await problemsOf([caller, viewer]), [], 'no dialogs or page errors');
  } catch (e) {
    console.error(`callboxd's output:\n${daemon?.output().split('\n').slice(-60).join('\n')}`);
    throw e;
  } finally {
    await browser?.close().catch((e) => console.error('closing the browser:', e));
    await daemon?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
