// E2E (loopback-only netns): two callers with the device, one of whose paths loses 20 % of what the device sends it (nftables on that browser's UDP port only), or is capped at 300 kbit/s (tc on that port). That call moves to the half-size shared H.264 layer (its decoded frameWidth halves) while the other stays on the full-size one at the full bitrate; when the path clears it comes back. Frames keep being decoded through each switch, on the same track.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { adminAuth } from '../lib/admin-auth.mjs';
import { startDaemon } from '../lib/daemon.mjs';
import { RateCap, UdpLoss } from '../lib/shaping.mjs';
import { PortLoss } from '../lib/port-loss.mjs';
import { skipFile } from '../lib/skip.mjs';
import { requireChromium } from './browser.mjs';
import { requireLoopbackOnly, callerOfDevice, problemsOf } from './calls.mjs';
import { metrics } from '../lib/metrics.mjs';

requireChromium();
requireLoopbackOnly();
const missing = UdpLoss.unavailable() ?? RateCap.unavailable();
if (missing) skipFile(missing);

const ADMIN = adminAuth('calls-layers-test');
// 640×480: the low layer is 320×240.
const CONFIG = `[server]\n${ADMIN.hashLine}\n[media]\nice_addresses=127.0.0.1\nwidth=640\nheight=480\n`
  + 'video_source=test\naudio_source=test\n';
const FULL_WIDTH = 640;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The browser's view of its call with the device: decoded frames and the last frame's size, the
// inbound video track (the same one through every switch), and its own UDP port.
function deviceView(page) {
  return page.evaluate(async () => {
    const pc = window.callbox.calls().device;
    const out = { state: pc?.connectionState, frames: 0, width: 0, height: 0, ssrc: null, track: null, port: null };
    const stats = await pc.getStats();
    stats.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') {
        out.frames += s.framesDecoded ?? 0;
        out.width = s.frameWidth ?? 0;
        out.height = s.frameHeight ?? 0;
        out.ssrc = s.ssrc;
      }
      if (s.type === 'transport' && s.selectedCandidatePairId) {
        const pair = stats.get(s.selectedCandidatePairId);
        out.port = stats.get(pair?.localCandidateId)?.port ?? null;
      }
    });
    out.track = pc.getReceivers().find((r) => r.track?.kind === 'video')?.track.id ?? null;
    return out;
  });
}

async function status(daemon) {
  return (await (await fetch(`${daemon.url}/api/status`, { headers: ADMIN.headers })).json()).media;
}

// Waits until /api/status says `layers` ({ top, low }); returns the media status.
async function untilLayers(daemon, layers, what, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const media = await status(daemon);
    if (media.layers.top === layers.top && media.layers.low === layers.low) return media;
    assert.ok(Date.now() < deadline, `${what}: ${JSON.stringify(media.layers)}`);
    await sleep(500);
  }
}

async function layerMetrics(daemon) {
  const m = await metrics(daemon);
  return { top: m.get('callbox_calls_top_layer'), low: m.get('callbox_calls_low_layer') };
}

// Samples both pages every 500 ms until `pred(views)` holds. Throughout, both calls stay
// connected, on one video track each, and each keeps decoding frames: no sample may pass 15 s
// (on a busy 2-core machine) without new frames on either page.
async function until(pages, pred, what, timeoutMs = 90000) {
  const deadline = Date.now() + timeoutMs;
  const first = await Promise.all(pages.map(deviceView));
  let last = first;
  let progress = first.map(() => Date.now());
  for (;;) {
    const views = await Promise.all(pages.map(deviceView));
    views.forEach((v, i) => {
      assert.equal(v.state, 'connected', `${what}: call ${i} dropped: ${JSON.stringify(v)}`);
      assert.equal(v.track, first[i].track, `${what}: call ${i} kept one video track`);
      assert.equal(v.ssrc, first[i].ssrc, `${what}: call ${i} kept one SSRC`);
      if (v.frames > last[i].frames) progress[i] = Date.now();
      assert.ok(Date.now() - progress[i] < 15000, `${what}: call ${i} decoded no frame for 15 s: ${JSON.stringify(v)}`);
    });
    last = views;
    if (pred(views)) return views;
    assert.ok(Date.now() < deadline, `${what}: ${JSON.stringify(views)}`);
    await sleep(500);
  }
}

// The path to one caller's UDP port: 20 % loss, or a 300 kbit/s cap; start(port) says why not, or null.
function portLoss() {
  const loss = new PortLoss(20);
  return { start: (port) => loss.start(port), spoilt: () => loss.dropped() > 0, stop: () => loss.stop() };
}
function portCap() {
  let cap = null;
  return {
    start(port) { cap = new RateCap({ dport: port }); return cap.set(300); },
    spoilt: () => cap?.kbit === 300,
    stop: () => cap?.set(0),
  };
}

for (const [what, shaping] of [['lossy', portLoss], ['capped', portCap]]) {
  test(`one caller's ${what} path moves only that call to the low layer, and back when it clears`, { timeout: 300000 }, async () => {
    await oneSpoiltPath(shaping());
  });
}

async function oneSpoiltPath(loss) {
  let daemon;
  const browsers = [];
  try {
    daemon = await startDaemon({ config: CONFIG });
    // A room each: every caller calls only the device.
    const pages = [await callerOfDevice(browsers, daemon.url, 'dana', 'yard'), await callerOfDevice(browsers, daemon.url, 'erin', 'porch')];
    const [dana, erin] = pages;
    let views = await until(pages, (v) => v.every((x) => x.width === FULL_WIDTH), 'both calls at full size');
    await untilLayers(daemon, { top: 2, low: 0 }, 'both calls connected on the top layer');
    assert.deepEqual(await layerMetrics(daemon), { top: 2, low: 0 });
    const encoders = (await status(daemon)).encoders_running;

    assert.ok(views[0].port, 'dana\'s UDP port');
    assert.equal(loss.start(views[0].port), null, 'dana\'s path spoilt');
    // dana's call goes down (its frames halve in width); erin's stays at full size.
    views = await until(pages, (v) => v[0].width > 0 && v[0].width <= FULL_WIDTH / 2, 'dana on the low layer');
    assert.equal(views[1].width, FULL_WIDTH, 'erin stays on the top layer');
    assert.ok(loss.spoilt(), 'the shaping took effect');
    const media = await untilLayers(daemon, { top: 1, low: 1 }, 'the status says one call on each layer');
    assert.deepEqual(media.calls.map((c) => c.layer).sort(), ['low', 'top']);
    assert.deepEqual(await layerMetrics(daemon), { top: 1, low: 1 });
    assert.equal(media.encoders_running, encoders + 1, 'the low layer\'s encoder runs while a call is on it');
    // It stays down while the loss lasts, and both keep decoding. (Behind a cap that carries the
    // whole low layer the device cannot tell it from a path that got better without trying the
    // top layer; a try lasts about a second, so dana is seen on the low layer again within seconds.)
    const down = views;
    views = await until(pages, (v) => v[0].frames > down[0].frames + 60 && v[1].frames > down[1].frames + 60, 'frames on both layers');
    views = await until(pages, (v) => v[0].width === FULL_WIDTH / 2, 'dana still on the low layer', 10000);
    assert.equal(views[1].width, FULL_WIDTH, 'erin is still on the top layer');
    // dana's path, however bad, does not hold down what erin gets: the top layer's bitrate is (or
    // comes back to) the full video_bitrate while dana stays on the low layer.
    let top = await status(daemon);
    for (const deadline = Date.now() + 30000; top.video_bitrate_kbps !== 1500 && Date.now() < deadline; await sleep(500)) {
      top = await status(daemon);
    }
    assert.equal(top.video_bitrate_kbps, 1500, 'the top layer at the full bitrate');
    assert.deepEqual(top.calls.map((c) => c.layer).sort(), ['low', 'top']);

    loss.stop();
    views = await until(pages, (v) => v[0].width === FULL_WIDTH, 'dana back on the top layer');
    assert.equal(views[1].width, FULL_WIDTH);
    // Frames after the switch up; the low layer's encoder stops once no call is on it.
    const up = views;
    await until(pages, (v) => v[0].frames > up[0].frames + 30 && v[1].frames > up[1].frames + 30, 'frames after the switch up');
    let after = await status(daemon);
    for (const deadline = Date.now() + 20000; after.encoders_running !== encoders && Date.now() < deadline; await sleep(500)) {
      after = await status(daemon);
    }
    assert.equal(after.encoders_running, encoders, 'the low layer\'s encoder stopped');
    assert.deepEqual((await untilLayers(daemon, { top: 2, low: 0 }, 'both calls on the top layer again')).calls.map((c) => c.layer), ['top', 'top']);
    assert.deepEqual(await problemsOf([dana, erin]), [], 'no dialogs or page errors');
  } catch (e) {
    console.error(`callboxd's output:\n${daemon?.output().split('\n').slice(-40).join('\n')}`);
    if (daemon) console.error('its calls now:', JSON.stringify((await status(daemon).catch((s) => ({ calls: `${s}` }))).calls));
    throw e;
  } finally {
    loss.stop();
    for (const browser of browsers) await browser.close().catch((e) => console.error('closing a browser:', e));
    await daemon?.stop();
  }
}
