// E2E (loopback-only netns): a call with the device over a path that drops 2 % of UDP packets (nftables): the browser asks for lost video packets again (NACK), the device resends them (RTX), and the picture keeps moving.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startDaemon } from '../lib/daemon.mjs';
import { skipFile } from '../lib/skip.mjs';
import { UdpLoss } from '../lib/shaping.mjs';
import { requireChromium, openApp, joinRoom } from './browser.mjs';
import { requireLoopbackOnly, launchMediaBrowser, callDevice, expectMediaFrom, problemsOf } from './calls.mjs';

requireChromium();
requireLoopbackOnly();

const LOSS_PERCENT = 2;
const loss = new UdpLoss();
const droppedPackets = () => loss.dropped();

if (UdpLoss.unavailable()) skipFile(UdpLoss.unavailable());

// The browser's view of the device's video: what was lost, asked for again, and resent.
function videoIn(page) {
  return page.evaluate(async () => {
    const stats = await window.callbox.calls().device.getStats();
    const out = { framesDecoded: 0, packetsLost: 0, nackCount: 0, retransmitted: 0, freezeCount: 0 };
    stats.forEach((s) => {
      if (s.type !== 'inbound-rtp' || s.kind !== 'video') return;
      out.framesDecoded += s.framesDecoded ?? 0;
      out.packetsLost += s.packetsLost ?? 0;
      out.nackCount += s.nackCount ?? 0;
      out.retransmitted += s.retransmittedPacketsReceived ?? 0;
      out.freezeCount += s.freezeCount ?? 0;
    });
    return out;
  });
}

test('a call over 2 % packet loss: NACK and RTX keep the picture moving', { timeout: 150000 }, async (t) => {
  let daemon;
  let browser;
  try {
    daemon = await startDaemon({ config: '[media]\nice_addresses=127.0.0.1\n' });
    browser = await launchMediaBrowser();
    const alice = await openApp(browser.context, daemon.url, 'alice');
    await joinRoom(alice, 'alice', 'porch');
    await callDevice(alice, 'alice');
    await expectMediaFrom(alice, 'alice', ['device']);

    const failed = loss.set(LOSS_PERCENT);
    assert.equal(failed, null, `nftables loss rule: ${failed}`);
    const before = await videoIn(alice);
    // Wait for the recovery to be seen: packets lost, asked for again and resent, while
    // frames keep being decoded. 1,500 kbit/s of 720p is ~150 packets/s: at 2 % that is a loss
    // every few hundred milliseconds.
    const deadline = Date.now() + 60000;
    let now = before;
    while (!(now.retransmitted > before.retransmitted + 5 && now.nackCount > before.nackCount + 5
      && now.framesDecoded > before.framesDecoded + 60)) {
      assert.ok(Date.now() < deadline, `no recovery seen: ${JSON.stringify({ before, now, dropped: droppedPackets() })}`);
      await new Promise((r) => setTimeout(r, 500));
      now = await videoIn(alice);
    }
    t.diagnostic(`video over ${LOSS_PERCENT} % loss: ${JSON.stringify({ before, now, dropped_udp: droppedPackets() })}`);
    assert.ok(droppedPackets() > 0, 'the loss rule dropped packets');
    // The picture still moves with the loss in place.
    await expectMediaFrom(alice, 'alice', ['device']);
    assert.deepEqual(await problemsOf([alice]), [], 'no dialogs or page errors');
  } finally {
    loss.set(0);
    await browser?.close().catch((e) => console.error('closing the browser:', e));
    await daemon?.stop();
  }
});
