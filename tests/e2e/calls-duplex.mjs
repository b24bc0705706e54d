// E2E (loopback-only netns): a two-way call with the device held for a minute with no frame gap over 500 ms either way (asserted unless the machine is overloaded), then the caller changes its resolution mid-call and the call goes on.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { sourceRoot } from '../lib/daemon.mjs';
import { requireChromium, waitFor } from './browser.mjs';
import {
  requireLoopbackOnly, hangUp, expectMediaFrom, problemsOf, watchFrameGaps, frameGaps, inCallWithDevice,
} from './calls.mjs';
import { deviceStatus } from './device-status.mjs';

requireChromium();
requireLoopbackOnly();

const ADMIN_PASSWORD = 'calls-duplex-test';
const { hashLine: ADMIN_HASH, daemonCalls, callsBecome, deviceReceivesFrom } = deviceStatus(ADMIN_PASSWORD);
const CONFIG = `[server]\n${ADMIN_HASH}\n[media]\nice_addresses=127.0.0.1\n`;
const ENV = { CALLBOX_PIPELINES_DIR: process.env.CALLBOX_PIPELINES_DIR ?? join(sourceRoot, 'pipelines') };
const HOLD_S = 60;
const MAX_GAP_MS = 500;
// The 500 ms bound is the call's, on a machine that gives it the CPU it needs (a 2-core CI box
// running this test). Past 3 runnable tasks per core (the 1-minute load average, read at each
// look during the hold) other programs starve both ends for longer than that, and the gaps are
// reported instead of asserted; that frames keep flowing both ways is asserted either way.
const overloaded = () => Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]) > 3 * cpus().length;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Asks the page's camera track for another size and waits until Chromium sends it.
async function sendSize(page, width, height) {
  await page.evaluate(async ([w, h]) => {
    const sender = window.callbox.calls().device.getSenders().find((s) => s.track?.kind === 'video');
    await sender.track.applyConstraints({ width: { exact: w }, height: { exact: h } });
  }, [width, height]);
  const deadline = Date.now() + 20000;
  for (;;) {
    const sent = await page.evaluate(async () => {
      const stats = await window.callbox.calls().device.getStats();
      return [...stats.values()].find((s) => s.type === 'outbound-rtp' && s.kind === 'video')?.frameWidth;
    });
    if (sent === width) return;
    if (Date.now() > deadline) throw new Error(`Chromium does not send ${width}×${height} (it sends ${sent} wide)`);
    await sleep(250);
  }
}

test('calls-duplex', { timeout: 230000 }, async (t) => {
  const s = {};
  try {
    await inCallWithDevice(s, { config: CONFIG, env: ENV, room: 'kitchen', callsBecome });
    const { daemon, page: alice, id: aliceId } = s;
    await deviceReceivesFrom(daemon, aliceId);
    await watchFrameGaps(alice, 'device');
    await waitFor(alice, () => window.frameGaps.frames >= 2, undefined, 'the page times the device\'s frames');

    // Held for a minute: both ways, no gap between two frames over 500 ms. The device counts its
    // long gaps (video_in_gaps_over_ms), the page's longest gap starts again here; looked at every
    // 5 s, so a call that ends fails at once.
    const callOf = async () => (await daemonCalls(daemon)).list.find((c) => c.peer === aliceId);
    const over = (c) => c.video_in_gaps_over_ms[String(MAX_GAP_MS)];
    const start = { device: await callOf(), page: await frameGaps(alice) };
    t.diagnostic(`before the hold: longest gap browser → device ${start.device.video_in_max_gap_ms} ms, device → browser ${start.page.maxGapMs} ms`);
    await alice.evaluate(() => { window.frameGaps.maxGapMs = 0; window.frameGaps.sendStallMs = 0; });
    const gaps = {}; // the latest word on each direction
    let busy = overloaded();
    for (let s = 0; s < HOLD_S; s += 5) {
      await sleep(5000);
      const c = await callOf();
      assert.equal(c?.state, 'connected', `the call is up after ${s + 5} s`);
      const g = await frameGaps(alice);
      if (over(c) !== over(start.device)) {
        gaps.toDevice = (`browser → device: ${over(c) - over(start.device)} gaps over ${MAX_GAP_MS} ms in ${s + 5} s, the longest of the call `
          + `${c.video_in_max_gap_ms} ms (the page's encoder sent nothing for up to ${g.sendStallMs} ms; the device's view of the path: ${JSON.stringify(c.stats)})`);
      }
      if (g.maxGapMs > MAX_GAP_MS) gaps.toPage = `device → browser: a gap of ${g.maxGapMs} ms in ${s + 5} s`;
      if (Object.keys(gaps).length && !(busy ||= overloaded())) assert.fail(Object.values(gaps).join('\n'));
    }
    busy ||= overloaded();
    if (busy) t.diagnostic(`the machine was overloaded (load ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]} on ${cpus().length} cores): gaps reported, not asserted: ${Object.values(gaps).join('; ') || 'none'}`);
    else assert.deepEqual(gaps, {}, 'no gap over 500 ms either way');
    const end = { device: await callOf(), page: await frameGaps(alice) };
    const buckets = (c) => JSON.stringify(Object.fromEntries(Object.entries(c.video_in_gaps_over_ms)
      .map(([ms, n]) => [ms, n - start.device.video_in_gaps_over_ms[ms]])));
    t.diagnostic(`held ${HOLD_S} s: browser → device ${end.device.video_frames_in - start.device.video_frames_in} frames, `
      + `gaps over {ms: count} ${buckets(end.device)}; device → browser ${end.page.frames - start.page.frames} frames, `
      + `longest gap ${end.page.maxGapMs} ms; the page's encoder paused up to ${end.page.sendStallMs} ms`);
    assert.ok(end.device.video_frames_in > start.device.video_frames_in, 'the device got frames while held');
    assert.ok(end.page.frames > start.page.frames, 'the page got frames while held');

    // The caller lowers its resolution mid-call (as Chromium does under CPU or bandwidth
    // pressure), then raises it again: the device keeps decoding, the page keeps receiving.
    for (const [w, h] of [[320, 240], [640, 480]]) {
      await sendSize(alice, w, h);
      await deviceReceivesFrom(daemon, aliceId);
      await expectMediaFrom(alice, 'alice', ['device']);
      const c = await callOf();
      assert.equal(c.state, 'connected', `the call is up after the change to ${w}×${h}`);
      t.diagnostic(`after ${w}×${h}: gaps browser → device over {ms: count} ${buckets(c)}, longest gap device → browser ${(await frameGaps(alice)).maxGapMs} ms`);
    }

    await hangUp(alice, 'alice');
    await callsBecome(daemon, 0, 'no calls after the hang-up');
    assert.deepEqual(await problemsOf([alice]), [], 'no dialogs or page errors');
  } finally {
    await s.browser?.close().catch((e) => console.error('closing the browser:', e));
    const r = await s.daemon?.stop();
    if (r && r.code !== 0 && r.signal === null) console.error(`callboxd exited with ${r.code}:\n${s.daemon.output()}`);
  }
});
