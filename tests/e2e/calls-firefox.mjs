// E2E (loopback-only netns): Firefox ESR with the device (two-way, VP8 both ways, RTX), as a receive-only viewer, and in a mesh call with a Chromium page.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { startDaemon, sourceRoot } from '../lib/daemon.mjs';
import { requireChromium, openApp, joinRoom } from './browser.mjs';
import {
  requireLoopbackOnly, launchMediaBrowser, noGetUserMedia, myId, callDevice, hangUp,
  expectMediaFrom, problemsOf,
} from './calls.mjs';
import { deviceStatus } from './device-status.mjs';
import { requireFirefox, launchFirefox, prepareNamespaceForFirefox, NAMESPACE_ADDRESS } from './firefox.mjs';

requireFirefox();
requireChromium();
requireLoopbackOnly();
prepareNamespaceForFirefox();

const ROOM = 'porch';
const { hashLine, callsBecome, deviceReceivesFrom } = deviceStatus('calls-firefox-test');
// Firefox never gathers 127.0.0.1 (docs/firefox.md): the device gathers on ::1 as well.
const CONFIG = `[server]\n${hashLine}\n[media]\nice_addresses=127.0.0.1,::1\n`;
const ENV = { CALLBOX_PIPELINES_DIR: process.env.CALLBOX_PIPELINES_DIR ?? join(sourceRoot, 'pipelines') };
const ADDRESSES = ['127.0.0.1', '::1', NAMESPACE_ADDRESS];

// expectMediaFrom, with the page's inbound video statistics in the error when media does not flow.
async function expectMedia(page, name, peers) {
  try {
    return await expectMediaFrom(page, name, peers, { addresses: ADDRESSES, timeout: 30000 });
  } catch (e) {
    const inbound = await page.evaluate(async () => {
      const out = {};
      for (const [id, pc] of Object.entries(window.callbox.calls())) {
        (await pc.getStats()).forEach((s) => {
          if (s.type === 'inbound-rtp' && s.kind === 'video') {
            out[id] = ['packetsReceived', 'packetsLost', 'framesReceived', 'framesDecoded', 'keyFramesDecoded',
              'pliCount', 'nackCount', 'bytesReceived'].map((k) => `${k}=${s[k]}`).join(' ');
          }
        });
      }
      return out;
    }).catch((x) => x.message);
    throw new Error(`${e.message}\ninbound video: ${JSON.stringify(inbound)}`);
  }
}

// The video m-line of the answer the device gave `page`.
async function answeredVideo(page) {
  const sdp = await page.evaluate(() => window.callbox.calls().device.remoteDescription.sdp);
  return sdp.slice(sdp.indexOf('m=video'));
}

test('calls-firefox', { timeout: 280000 }, async (t) => {
  let daemon;
  let firefox;
  let chromium;
  const pages = [];
  try {
    daemon = await startDaemon({ config: CONFIG, env: ENV });
    firefox = await launchFirefox();
    t.diagnostic(`Firefox ${await firefox.browser.version()}`);

    // fox calls the device: both ways, VP8 with RTX and NACK, in Firefox's m-line order.
    const fox = await openApp(firefox.context, daemon.url, 'fox');
    pages.push(fox);
    await joinRoom(fox, 'fox', ROOM);
    const foxId = await myId(fox);
    await callDevice(fox, 'fox');
    const video = await answeredVideo(fox);
    assert.match(video, /^a=rtpmap:\d+ VP8\/90000\r$/m, 'VP8 in the answer');
    assert.match(video, /^a=rtpmap:\d+ rtx\/90000\r$/m, 'rtx in the answer');
    assert.match(video, /^a=rtcp-fb:\d+ nack\r$/m, 'nack in the answer');
    assert.match(video, /^a=sendrecv\r$/m, 'the device sends video to Firefox');
    await expectMedia(fox, 'fox', ['device']);
    await callsBecome(daemon, 1, 'one call after fox called');
    await deviceReceivesFrom(daemon, foxId);
    const offer = await fox.evaluate(() => window.callbox.calls().device.localDescription.sdp);
    assert.ok(offer.indexOf('m=audio') < offer.indexOf('m=video'), 'Firefox offers audio first');
    assert.doesNotMatch(offer, /H264/, 'no H.264 in this Firefox\'s offer (no OpenH264)');

    // A Chromium page joins fox's call: the mesh connects Firefox and Chromium both ways (and
    // Chromium calls the device with H.264 meanwhile).
    chromium = await launchMediaBrowser();
    const chrome = await openApp(chromium.context, daemon.url, 'chrome');
    pages.push(chrome);
    await joinRoom(chrome, 'chrome', ROOM);
    const chromeId = await myId(chrome);
    await callDevice(chrome, 'chrome');
    await expectMedia(chrome, 'chrome', ['device', foxId]);
    await expectMedia(fox, 'fox', [chromeId]);
    await callsBecome(daemon, 2, 'two calls with the device');

    // fox hangs up; a Firefox page without any camera or microphone views the device.
    await hangUp(fox, 'fox');
    await callsBecome(daemon, 1, 'one call after fox hung up');
    const viewer = await openApp(firefox.context, daemon.url, 'viewer', { initScript: noGetUserMedia });
    pages.push(viewer);
    await joinRoom(viewer, 'viewer', ROOM);
    await callDevice(viewer, 'viewer');
    await expectMedia(viewer, 'viewer', ['device']);
    await callsBecome(daemon, 2, 'the viewer\'s call and chrome\'s');

    await hangUp(viewer, 'viewer');
    await hangUp(chrome, 'chrome');
    await callsBecome(daemon, 0, 'no calls after everyone hung up');
    assert.deepEqual(await problemsOf(pages), [], 'no dialogs or page errors');
  } finally {
    await chromium?.close().catch((e) => console.error('closing Chromium:', e));
    await firefox?.close().catch((e) => console.error('closing Firefox:', e));
    const r = await daemon?.stop();
    if (r && r.code !== 0 && r.signal === null) console.error(`callboxd exited with ${r.code}:\n${daemon.output()}`);
  }
});
