// E2E (loopback-only netns): the device's camera, then its microphone, go away mid-call (their processes are killed, tests/lib/shm-device.mjs) and come back: callers keep their calls, see the "camera unavailable" picture, then live video again (the clock pattern tells them apart), keep getting sound packets, and the daemon's status says what capture is doing.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startDaemon, sourceRoot, makeTempDir } from '../lib/daemon.mjs';
import { skipFile } from '../lib/skip.mjs';
import { shmUnavailable, shmPipelinesDir, ShmDevice, watchFrames } from '../lib/shm-device.mjs';
import { requireChromium, openApp, joinRoom, waitFor } from './browser.mjs';
import { requireLoopbackOnly, launchMediaBrowser, callDevice, expectMediaFrom, callStats, problemsOf } from './calls.mjs';

requireChromium();
requireLoopbackOnly();
const missing = shmUnavailable();
if (missing) skipFile(missing);

const ADMIN_PASSWORD = 'calls-capture-test';
const ADMIN_HASH = spawnSync(process.env.CALLBOXD, ['--hash-password'], { input: `${ADMIN_PASSWORD}\n` })
  .stdout.toString().trim();
const ADMIN_AUTH = { Authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}` };
const CONFIG = `[server]\n${ADMIN_HASH}\n[media]\nice_addresses=127.0.0.1\nwidth=640\nheight=480\n`
  + 'video_source=test\naudio_source=test\n';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function capture(daemon) {
  const res = await fetch(`${daemon.url}/api/status`, { headers: ADMIN_AUTH });
  return (await res.json()).media;
}

async function waitCapture(daemon, pred, what, timeout = 20000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const media = await capture(daemon);
    if (pred(media)) return media;
    assert.ok(Date.now() < deadline, `${what}: ${JSON.stringify(media.capture)}`);
    await sleep(100);
  }
}

// Waits until `page` has shown `n` frames of `kind` since its count was `from`; returns when the run began.
async function framesOf(page, name, kind, from, what, n = 10) {
  try {
    return await waitFor(page, ([k, f, count]) => {
      const s = window.deviceFrames;
      if (s[k] < f + count) return null;
      return [...s.kinds].reverse().find((x) => x.kind === k)?.at ?? null;
    }, [kind, from, n], `${name}: ${what}`, 30000);
  } catch (e) {
    const seen = await page.evaluate(async () => ({
      stats: [...(await window.callbox.calls().device.getStats()).values()].filter((x) => x.type === 'inbound-rtp')
        .map((x) => ({ kind: x.kind, packets: x.packetsReceived, decoded: x.framesDecoded, dropped: x.framesDropped,
          freezes: x.freezeCount, jb: x.jitterBufferDelay, jbe: x.jitterBufferEmittedCount, conceal: x.concealedSamples, total: x.totalSamplesReceived, ka: x.keyFramesDecoded })),
      ...window.deviceFrames,
      videos: [...document.querySelectorAll('video')].map((v) => ({
        peer: v.closest('[data-testid=tile]')?.dataset.peerId ?? 'test', w: v.videoWidth, t: v.currentTime, paused: v.paused,
        ready: v.readyState, hidden: document.hidden, err: v.error?.message,
        tracks: v.srcObject?.getTracks().map((k) => `${k.kind}:${k.readyState}:${k.muted}:${k.enabled}`),
      })),
    })).catch(() => null);
    throw new Error(`${e.message}\nframes seen: ${JSON.stringify(seen)?.slice(0, 2000)}`);
  }
}

const frameCount = (page, kind) => page.evaluate((k) => window.deviceFrames[k], kind);
const audioPackets = async (page) => (await callStats(page)).device?.audioPackets ?? 0;

// Runs `body` with a shared-memory `kind` device, callboxd reading it and one caller per
// [name, room] (a browser each: a page in the background of a shared browser shows frames
// late; a room each: every caller calls only the device). Stops all of it afterwards.
async function withCallers(kind, callers, body) {
  const dir = makeTempDir('callbox-capture-');
  const device = new ShmDevice(dir, kind);
  let daemon;
  const browsers = [];
  try {
    const pipelines = shmPipelinesDir(join(sourceRoot, 'pipelines'), dir, { camera: kind === 'camera', microphone: kind === 'microphone' });
    await device.start();
    daemon = await startDaemon({ config: CONFIG, env: { CALLBOX_PIPELINES_DIR: pipelines } });
    const pages = [];
    for (const [name, room] of callers) {
      const browser = await launchMediaBrowser();
      browsers.push(browser);
      const page = await openApp(browser.context, daemon.url, name);
      await joinRoom(page, name, room);
      await callDevice(page, name);
      await expectMediaFrom(page, name, ['device']);
      if (!pages.length) await page.evaluate(watchFrames);
      pages.push([name, page]);
    }
    await body({ daemon, device, pages });
    // No call was lost: all still connected, on both sides, with media flowing.
    const media = await capture(daemon);
    assert.equal(media.calls.length, callers.length);
    for (const c of media.calls) assert.equal(c.state, 'connected');
    for (const [name, page] of pages) {
      assert.equal(await page.evaluate(() => window.callbox.calls().device.connectionState), 'connected', name);
      await expectMediaFrom(page, name, ['device']);
    }
    const metrics = await (await fetch(`${daemon.url}/metrics`)).text();
    assert.match(metrics, new RegExp(`^callbox_${kind}_live 1$`, 'm'));
    assert.ok(Number(/^callbox_capture_failures_total (\d+)$/m.exec(metrics)?.[1]) >= 1, metrics);
    assert.deepEqual(await problemsOf(pages.map(([, p]) => p)), [], 'no dialogs or page errors');
  } catch (e) {
    console.error(`callboxd's output:\n${daemon?.output().split('\n').slice(-40).join('\n')}`);
    console.error(`${kind}: ${device.output}`);
    throw e;
  } finally {
    for (const browser of browsers) await browser.close().catch((e) => console.error('closing a browser:', e));
    await daemon?.stop();
    await device.unplug();
    rmSync(dir, { recursive: true, force: true });
  }
}

// The pictures are read in the first caller's page; the second caller's calls must go on with
// video decoded throughout (withCallers checks that at the end). A second caller's Chromium
// decodes the shared-memory camera's stream but here rendered no frame of it to a <video>, even
// one of its own, while it renders the built-in test source: see docs/benchmarks.md.
test('the camera goes away mid-call and comes back: callers see the placeholder, then live video', { timeout: 420000 }, async (t) => {
  await withCallers('camera', [['alice', 'hall'], ['bob', 'porch']], async ({ daemon, device, pages }) => {
    const [[name, page]] = pages;
    await framesOf(page, name, 'live', 0, 'live video from the camera');
    assert.equal((await capture(daemon)).capture.camera.state, 'live');

    const before = await frameCount(page, 'placeholder');
    const unplugged = Date.now();
    await device.unplug();
    const shown = await framesOf(page, name, 'placeholder', before, 'the "camera unavailable" picture');
    t.diagnostic(`${name}: placeholder ${shown - unplugged} ms after the unplug`);
    const down = await waitCapture(daemon, (m) => m.capture.camera.state === 'unavailable', 'camera unavailable in the status');
    assert.ok(down.capture.camera.failures >= 1);
    for (const [other, p] of pages) await expectMediaFrom(p, other, ['device']);

    const live = await frameCount(page, 'live');
    const replugged = await device.start();
    const back = await framesOf(page, name, 'live', live, 'live video after the camera came back');
    t.diagnostic(`${name}: live video ${back - replugged} ms after the camera came back`);
    const up = await waitCapture(daemon, (m) => m.capture.camera.state === 'live', 'camera live again in the status');
    assert.equal(up.capture.camera.recoveries, up.capture.camera.failures, JSON.stringify(up.capture));
    t.diagnostic(`capture: ${JSON.stringify(up.capture)}`);
  });
});

test('the microphone goes away mid-call and comes back: the caller gets silence, then sound', { timeout: 420000 }, async (t) => {
  await withCallers('microphone', [['carol', 'den']], async ({ daemon, device, pages }) => {
    const [[name, page]] = pages;
    await device.unplug();
    await waitCapture(daemon, (m) => m.capture.microphone.state === 'unavailable', 'microphone unavailable in the status');
    // Sound packets (silence) keep coming while the microphone is gone.
    const a0 = await audioPackets(page);
    const deadline = Date.now() + 20000;
    while (await audioPackets(page) <= a0 + 25) {
      assert.ok(Date.now() < deadline, `${name}: audio packets stopped while the microphone was gone`);
      await sleep(200);
    }
    await device.start();
    const up = await waitCapture(daemon, (m) => m.capture.microphone.state === 'live', 'microphone live again in the status');
    assert.ok(up.capture.microphone.recoveries >= 1, JSON.stringify(up.capture));
    t.diagnostic(`capture: ${JSON.stringify(up.capture)}`);
  });
});
