// E2E (loopback-only netns): network changes during a call with the device: the browser restarts ICE and keeps its call; its camera goes and comes back, answered in place. Not here: a path that goes dead (nftables dropping all UDP) and the web app's own ICE restart after 3 s disconnected; that part failed in a clean-clone CI run (the tile never said "reconnecting" within 40 s) and is out until it is deterministic (docs/firefox.md).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { startDaemon, sourceRoot } from '../lib/daemon.mjs';
import { requireChromium, openApp, joinRoom, waitFor } from './browser.mjs';
import { requireLoopbackOnly, launchMediaBrowser, myId, callDevice, expectMediaFrom, problemsOf } from './calls.mjs';
import { deviceStatus } from './device-status.mjs';

requireChromium();
requireLoopbackOnly();

const { hashLine, callsBecome, deviceReceivesFrom } = deviceStatus('calls-network-test');
const CONFIG = `[server]\n${hashLine}\n[media]\nice_addresses=127.0.0.1\n`;
const ENV = { CALLBOX_PIPELINES_DIR: process.env.CALLBOX_PIPELINES_DIR ?? join(sourceRoot, 'pipelines') };

const localUfrag = (page) => page.evaluate(() => /a=ice-ufrag:(\S+)/.exec(window.callbox.calls().device.localDescription.sdp)[1]);

test('calls-network', { timeout: 230000 }, async (t) => {
  let daemon;
  let browser;
  const pages = [];
  try {
    daemon = await startDaemon({ config: CONFIG, env: ENV });
    browser = await launchMediaBrowser();
    const alice = await openApp(browser.context, daemon.url, 'alice');
    pages.push(alice);
    await joinRoom(alice, 'alice', 'hall');
    const aliceId = await myId(alice);
    await callDevice(alice, 'alice');
    await expectMediaFrom(alice, 'alice', ['device']);
    await callsBecome(daemon, 1, 'one call');

    // The page's own pc.restartIce() (as a phone that changes networks does): the app offers
    // again on the same RTCPeerConnection, the device answers with new ICE credentials, and the
    // call goes on without the page hanging up or calling again.
    const pcBefore = await alice.evaluate(() => { window.firstPc = window.callbox.calls().device; return true; });
    assert.ok(pcBefore);
    const ufragBefore = await localUfrag(alice);
    await alice.evaluate(() => window.callbox.calls().device.restartIce());
    await waitFor(alice, ([u]) => {
      const pc = window.callbox.calls().device;
      return pc.signalingState === 'stable' && !pc.localDescription.sdp.includes(`a=ice-ufrag:${u}\r`);
    }, [ufragBefore], 'the device answered the offer with the page\'s new ICE credentials', 20000);
    assert.equal(await alice.evaluate(() => window.callbox.calls().device === window.firstPc), true,
      'the same RTCPeerConnection carries the call');
    await waitFor(alice, () => window.callbox.calls().device.connectionState === 'connected', undefined, 'connected again', 20000);
    await expectMediaFrom(alice, 'alice', ['device']);
    await callsBecome(daemon, 1, 'still one call after the restart');
    await deviceReceivesFrom(daemon, aliceId);

    // The page stops sending its camera (its video line becomes recvonly) and starts again: each
    // time a new offer, answered in place, and the device's picture keeps reaching the page.
    for (const direction of ['recvonly', 'sendrecv']) {
      await alice.evaluate((d) => {
        const t = window.callbox.calls().device.getTransceivers().find((x) => x.receiver.track.kind === 'video');
        t.direction = d; // fires negotiationneeded: the app offers again
      }, direction);
      await waitFor(alice, ([d]) => {
        const pc = window.callbox.calls().device;
        const t = pc.getTransceivers().find((x) => x.receiver.track.kind === 'video');
        return pc.signalingState === 'stable' && t.currentDirection === d;
      }, [direction], `the device answered the page's ${direction} video in place`, 20000);
    }
    assert.equal(await alice.evaluate(() => window.callbox.calls().device === window.firstPc), true);
    await expectMediaFrom(alice, 'alice', ['device']);
    await callsBecome(daemon, 1, 'still one call after the camera went and came back');
    // Not yet: the device decoding the page's video again after it came back (frames_in stays
    // where it was; docs/firefox.md, "Known gaps"). The test does not claim it.
    assert.deepEqual(await problemsOf(pages), [], 'no dialogs or page errors');
  } finally {
    await browser?.close().catch((e) => console.error('closing the browser:', e));
    const r = await daemon?.stop();
    if (r && r.code !== 0 && r.signal === null) console.error(`callboxd exited with ${r.code}:\n${daemon.output()}`);
  }
});
