// E2E (loopback-only netns): calls with the device over shaped paths (tests/lib/shaping.mjs): 5 % loss in 3-second bursts (nftables), 100 ms round trip with 20 ms of jitter (a UDP relay in the test, tests/lib/delay-relay.mjs, checked in getStats), and a rate cap on UDP of 1 Mbit/s dropping to 300 kbit/s and lifting (tc htb + tbf; the test's HTTP is not capped), under which the call moves to the half-size layer and that layer's bitrate comes down, and after which it goes back to the full-size one: the call stays up and frames keep arriving. A missing tool skips its scenario.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startDaemon } from '../lib/daemon.mjs';
import { UdpLoss, RateCap } from '../lib/shaping.mjs';
import { DelayRelay, relayInitScript } from '../lib/delay-relay.mjs';
import { requireChromium, openApp, joinRoom } from './browser.mjs';
import { requireLoopbackOnly, launchMediaBrowser, callDevice, expectMediaFrom, problemsOf, noGetUserMedia } from './calls.mjs';
import { metric } from '../lib/metrics.mjs';

requireChromium();
requireLoopbackOnly();

const CONFIG = '[media]\nice_addresses=127.0.0.1\n';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The browser's view of its call with the device: video frames decoded and freezes, audio
// packets, and the round trip its RTCP measures (remote-inbound-rtp, for what it sends).
function deviceStats(page) {
  return page.evaluate(async () => {
    const out = { frames: 0, freezes: 0, audioPackets: 0, rttMs: null, stunRttMs: null, state: window.callbox.calls().device?.connectionState };
    const stats = await window.callbox.calls().device.getStats();
    stats.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') {
        out.frames += s.framesDecoded ?? 0;
        out.freezes += s.freezeCount ?? 0;
      }
      if (s.type === 'inbound-rtp' && s.kind === 'audio') out.audioPackets += s.packetsReceived ?? 0;
      if (s.type === 'candidate-pair' && s.nominated && s.currentRoundTripTime !== undefined) {
        out.stunRttMs = s.currentRoundTripTime * 1000;
      }
      if (s.type === 'remote-inbound-rtp' && s.roundTripTime !== undefined) {
        out.rttMs = Math.max(out.rttMs ?? 0, s.roundTripTime * 1000);
      }
    });
    return out;
  });
}

// Waits until `pred(stats)` holds, sampling every 500 ms; fails with the last sample after `timeoutMs`.
async function until(page, pred, what, timeoutMs = 60000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await deviceStats(page);
    assert.equal(s.state, 'connected', `${what}: the call dropped: ${JSON.stringify(s)}`);
    if (pred(s)) return s;
    assert.ok(Date.now() < deadline, `${what}: ${JSON.stringify(s)}`);
    await sleep(500);
  }
}


async function untilMetric(daemon, page, pred, what, name = 'callbox_video_bitrate_kbps', timeoutMs = 90000) {
  const deadline = Date.now() + timeoutMs;
  for (let value = await metric(daemon, name); !pred(value); value = await metric(daemon, name)) {
    assert.ok(Date.now() < deadline, `${what}: ${name} ${value}`);
    assert.equal((await deviceStats(page)).state, 'connected', `${what}: the call dropped`);
    await sleep(500);
  }
  return metric(daemon, name);
}

// A call with the device from one page; `body(page, daemon)` shapes the path and checks it.
// `relay` (a DelayRelay) carries the call when given (its page script is then the init script).
async function withCall(t, { initScript, relay } = {}, body) {
  if (relay) initScript = relayInitScript;
  let daemon;
  let browser;
  try {
    daemon = await startDaemon({ config: CONFIG });
    browser = await launchMediaBrowser();
    await relay?.expose(browser.context);
    const page = await openApp(browser.context, daemon.url, 'dana', { initScript });
    await joinRoom(page, 'dana', 'yard');
    await callDevice(page, 'dana');
    await expectMediaFrom(page, 'dana', ['device'], { audio: true });
    await body(page, daemon);
    await expectMediaFrom(page, 'dana', ['device']);
    assert.deepEqual(await problemsOf([page]), [], 'no dialogs or page errors');
  } finally {
    await browser?.close().catch((e) => console.error('closing the browser:', e));
    await daemon?.stop();
  }
}

test('5 % loss in 3-second bursts: the call stays up and frames keep arriving', { timeout: 180000, skip: UdpLoss.unavailable() ?? false }, async (t) => {
  const loss = new UdpLoss('callbox_bursts');
  await withCall(t, {}, async (page) => {
    const before = await deviceStats(page);
    loss.bursts(5, 3000, 3000);
    try {
      // Four bursts (24 s): packets dropped in them, frames decoded throughout.
      let previous = before;
      while (loss.burstCount <= 4) {
        previous = await until(page, (x) => x.frames > previous.frames + 15, 'frames during the bursts');
      }
      assert.ok(loss.dropped() > 0, 'the bursts dropped packets');
      const after = await deviceStats(page);
      t.diagnostic(`bursty loss: ${JSON.stringify({ before, after, dropped: loss.dropped() })}`);
    } finally {
      loss.stop();
    }
  });
});

test('100 ms round trip with 20 ms of jitter: the call goes through the delay, stays up, and frames keep arriving', { timeout: 180000 }, async (t) => {
  // 50 ms each way, 14 ms of jitter each way (about 20 ms for the round trip).
  const relay = new DelayRelay(50, 14);
  try {
    await withCall(t, { relay }, async (page) => {
      const s1 = await until(page, (x) => x.rttMs !== null && x.stunRttMs !== null, 'round-trip times in getStats', 30000);
      // Both the ICE checks and RTCP go through the relay: each round trip is at least its 100 ms.
      const delayed = await until(page, (x) => x.rttMs >= 90 && x.stunRttMs >= 90, 'round trips of 100 ms or more');
      t.diagnostic(`round trip: RTCP ${delayed.rttMs.toFixed(0)} ms, STUN ${delayed.stunRttMs.toFixed(0)} ms, ${relay.packets} packets relayed`);
      await until(page, (x) => x.frames > s1.frames + 150 && x.audioPackets > s1.audioPackets + 250, 'frames and sound keep arriving over the delayed path');
      assert.ok(relay.packets > 1000, `the call's packets went through the relay (${relay.packets})`);
    });
  } finally {
    relay.close();
  }
});

test('1 Mbit/s dropping to 300 kbit/s, then lifted: the call stays up', { timeout: 300000, skip: RateCap.unavailable() ?? false }, async (t) => {
  const cap = new RateCap();
  // A viewer (no camera): the capped path carries the device's stream only.
  await withCall(t, { initScript: noGetUserMedia }, async (page, daemon) => {
    try {
      assert.equal(cap.set(1000), null, 'tc: 1 Mbit/s');
      const s1 = await until(page, (x) => x.audioPackets > 0, 'the call at 1 Mbit/s');
      assert.equal(cap.set(300), null, 'tc: 300 kbit/s');
      // The only caller is constrained: its call moves to the half-size layer, and that layer's
      // bitrate comes down below its 300 kbit/s (which, with the sound and the packets'
      // overhead, does not fit under the cap).
      await untilMetric(daemon, page, (n) => n === 1, 'the call on the low layer', 'callbox_calls_low_layer');
      const low = await untilMetric(daemon, page, (k) => k < 300, 'the low layer\'s bitrate comes down under the cap', 'callbox_low_video_bitrate_kbps');
      const s2 = await until(page, (x) => x.frames > s1.frames + 30 && x.audioPackets > s1.audioPackets + 200, 'media under the cap');
      assert.equal(cap.set(0), null, 'tc: cap lifted');
      // Back on the full-size layer (how long is the benchmark's figure, bench/media/shaped.mjs),
      // whose bitrate the capped call did not hold down once it had left it; frames flow.
      await untilMetric(daemon, page, (n) => n === 1, 'the call back on the top layer', 'callbox_calls_top_layer');
      const top = await untilMetric(daemon, page, (k) => k === 1500, 'the top layer at its full bitrate');
      const s3 = await until(page, (x) => x.frames > s2.frames + 60, 'frames after the cap lifted');
      t.diagnostic(`capped: ${JSON.stringify({ low_kbps: low, top_kbps: top, s1, s2, s3 })}`);
    } finally {
      cap.set(0);
    }
  });
});
