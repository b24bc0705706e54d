// E2E (loopback-only netns): sound both ways in a two-way call with the device in the simulated room, through the web app — the device's audio clock read in the page, the page's clock read at the device's speaker input, the page's voice coming back through the room, and cancelled once the device has measured the echo path.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { sourceRoot, startDaemon } from '../lib/daemon.mjs';
import { requireChromium, openApp, joinRoom, waitFor } from './browser.mjs';
import { requireLoopbackOnly, launchMediaBrowser, myId, callDevice, expectMediaFrom } from './calls.mjs';
import { deviceStatus } from './device-status.mjs';

requireChromium();
requireLoopbackOnly();

const ADMIN_PASSWORD = 'calls-audio-test';
const { hashLine: ADMIN_HASH, getJson, callsBecome } = deviceStatus(ADMIN_PASSWORD);
const ENV = { CALLBOX_PIPELINES_DIR: process.env.CALLBOX_PIPELINES_DIR ?? join(sourceRoot, 'pipelines') };
const config = (media, roomDelayMs = 20) => `[server]\n${ADMIN_HASH}\n[media]\nice_addresses=127.0.0.1\naudio_source=room\naudio_sink=room\nroom_delay_ms=${roomDelayMs}\n${media}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The page's microphone is bench/media/audio-page.js's synthesized one (the audio clock and a
// far-end talker), put into the web app's getUserMedia stream in place of the fake device's beep.
const SYNTH_MIC = `(() => {
  const md = navigator.mediaDevices;
  const original = md.getUserMedia.bind(md);
  md.getUserMedia = async (constraints) => {
    const stream = await original(constraints);
    if (!constraints || !constraints.audio) return stream;
    await window.cbAudio.startMic(window.__synthMic);
    for (const t of stream.getAudioTracks()) { stream.removeTrack(t); t.stop(); }
    stream.addTrack(window.cbAudio.micTrack().track);
    return stream;
  };
})();`;

// A call from the web app to the device, the page reading what the device sends.
async function audioCall(s, media, mic, roomDelayMs) {
  s.daemon = await startDaemon({ config: config(media, roomDelayMs), env: ENV });
  s.browser = await launchMediaBrowser({ bypassCSP: true }); // the worklets load from blob: URLs
  await s.browser.context.addInitScript({ path: join(sourceRoot, 'bench', 'media', 'audio-page.js') });
  await s.browser.context.addInitScript(`window.__synthMic = ${JSON.stringify(mic)};`);
  await s.browser.context.addInitScript(SYNTH_MIC);
  s.page = await openApp(s.browser.context, s.daemon.url, 'alice');
  await joinRoom(s.page, 'alice', 'kitchen');
  s.id = await myId(s.page);
  await callDevice(s.page, 'alice');
  await expectMediaFrom(s.page, 'alice', ['device']);
  await callsBecome(s.daemon, 1, 'one call with alice');
  await waitFor(s.page, () => window.callbox.calls().device?.getReceivers().some((r) => r.track?.kind === 'audio'),
    undefined, 'the device\'s audio track');
  await s.page.evaluate(() => window.cbAudio.startReading(
    window.callbox.calls().device.getReceivers().find((r) => r.track?.kind === 'audio').track));
}
async function cleanUp(s) {
  await s.browser?.close().catch(() => {});
  await s.daemon?.stop();
}
const drain = (page) => page.evaluate(() => window.cbAudio.drain());
const median = (xs) => { const v = [...xs].sort((a, b) => a - b); return v.length ? v[v.length >> 1] : null; };

test('calls-audio: the audio clock both ways, echo cancellation on', { timeout: 120000 }, async () => {
  const s = {};
  try {
    await audioCall(s, 'echo_cancel=on\naudio_clock=on\n', { clock: true, level: 0 });
    await sleep(1500);
    await drain(s.page);
    await sleep(6000);
    const read = await drain(s.page);
    // device → page: one burst a second, read modulo the second (any latency under 1 s)
    const latencies = read.onsets.map((t) => t - Math.floor(t / 1000) * 1000);
    assert.ok(latencies.length >= 4, `the page reads the device's audio clock (${JSON.stringify(read.onsets)})`);
    assert.ok(median(latencies) < 500, `device → page audio latency ${median(latencies)} ms`);
    // page → the device's speaker input
    const status = await getJson(s.daemon, '/api/status');
    const speaker = status?.media?.audio_clock?.speaker_latency_ms;
    assert.equal(status?.media?.echo_cancel?.running, true, 'echo cancellation runs in the call');
    assert.ok(speaker && speaker.samples >= 4, `the device reads the page's audio clock (${JSON.stringify(speaker)})`);
    assert.ok(speaker.median < 500, `page → speaker input ${speaker.median} ms`);
    console.log(`# device → page ${median(latencies).toFixed(1)} ms, page → speaker input ${speaker.median} ms`);
  } finally {
    await cleanUp(s);
  }
});

test('calls-audio: the room carries the page\'s voice back to it without the canceller', { timeout: 120000 }, async () => {
  const s = {};
  try {
    await audioCall(s, 'echo_cancel=off\naudio_clock=off\nroom_talker=false\nnoise_suppression=false\ngain_control=false\n', { level: 0 });
    await sleep(1500);
    await drain(s.page);
    const level = async () => median((await drain(s.page)).windows.map((w) => w[1]));
    await sleep(3000);
    const quiet = await level();
    await s.page.evaluate(() => window.cbAudio.setMic({ level: 0.25, t0: Date.now() }));
    await sleep(1000);
    await drain(s.page);
    await sleep(3000);
    const echo = await level();
    console.log(`# the page hears ${quiet} dBFS while it is silent, ${echo} dBFS of its own talker's echo`);
    assert.ok(echo > -60, `the page's talker comes back through the room (${echo} dBFS)`);
    assert.ok(echo > quiet + 20, `its echo stands out of the silence (${quiet} → ${echo} dBFS)`);
  } finally {
    await cleanUp(s);
  }
});

test('calls-audio: the echo path is measured and the canceller takes the echo out (a 60 ms room, then 120 ms)', { timeout: 120000 }, async () => {
  const s = {};
  try {
    await audioCall(s, 'echo_cancel=on\naudio_clock=off\nroom_talker=false\nnoise_suppression=false\ngain_control=false\n', { level: 0 }, 60);
    await s.page.evaluate(() => window.cbAudio.setMic({ level: 0.25, t0: Date.now() }));
    // the device finds its echo path (the room's 60 ms and its microphone's buffer, beyond the
    // speaker's latency) in the page's talk, and tells the canceller
    let path = null;
    for (let i = 0; i < 60 && typeof path !== 'number'; i++) {
      await sleep(250);
      path = (await getJson(s.daemon, '/api/status'))?.media?.echo_cancel?.echo_path_ms;
    }
    assert.equal(typeof path, 'number', 'the echo path is measured within 15 s of talk');
    assert.ok(path >= 60 && path <= 150, `the echo path is the room's 60 ms and what its microphone buffers, at most 90 ms (${path} ms)`);
    await sleep(1500);
    await drain(s.page);
    await sleep(4000);
    const echo = median((await drain(s.page)).windows.map((w) => w[1]));
    console.log(`# echo path ${path} ms; the page hears ${echo} dBFS of its own talker with the canceller on`);
    // without the canceller the same talker comes back at about -40 dBFS (the test above; the
    // benchmark reads 50-60 dB of cancellation: docs/benchmarks.md)
    assert.ok(echo < -60, `the canceller takes the page's echo out (${echo} dBFS)`);

    // The echo path moves mid-call ([media] room_delay_ms 60 → 120, a reload): measured again,
    // told again, cancelled again.
    writeFileSync(join(s.daemon.dataDir, 'test.conf'), config('echo_cancel=on\naudio_clock=off\nroom_talker=false\nnoise_suppression=false\ngain_control=false\n', 120));
    s.daemon.child.kill('SIGHUP');
    let moved = path;
    for (let i = 0; i < 60 && Math.abs(moved - path) < 20; i++) {
      await sleep(250);
      moved = (await getJson(s.daemon, '/api/status'))?.media?.echo_cancel?.echo_path_ms;
    }
    assert.ok(moved - path >= 20, `the longer echo path is measured within 15 s (${path} → ${moved} ms)`);
    await sleep(1500);
    await drain(s.page);
    await sleep(3000);
    const again = median((await drain(s.page)).windows.map((w) => w[1]));
    console.log(`# echo path ${path} → ${moved} ms; the page hears ${again} dBFS of its echo after the move`);
    assert.ok(again < -60, `the canceller takes the echo out after the move (${again} dBFS)`);
  } finally {
    await cleanUp(s);
  }
});
