// E2E (loopback-only netns): network changes during a call with the device: the browser restarts ICE and keeps its call; its camera goes and comes back, answered in place; a path that goes dead (nftables drops all UDP, and all TCP but the daemon's port) makes the web app say so and restart ICE by itself, and the call comes back.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { startDaemon, sourceRoot } from '../lib/daemon.mjs';
import { skipFile } from '../lib/skip.mjs';
import { requireChromium, openApp, joinRoom, waitFor } from './browser.mjs';
import { requireLoopbackOnly, launchMediaBrowser, myId, callDevice, expectMediaFrom, problemsOf } from './calls.mjs';
import { deviceStatus } from './device-status.mjs';

requireChromium();
requireLoopbackOnly();

const TABLE = 'callbox_outage';
const nft = (...args) => spawnSync('nft', args, { encoding: 'utf8' });
if (nft('list', 'tables').status !== 0) skipFile('nftables (nft) is not available here: install the nftables package');

// The call's path dead, as when a phone walks out of Wi-Fi range: every UDP packet in this
// namespace dropped (media, ICE checks) and every TCP packet but the daemon's own HTTP port's, so
// that the WebSocket stays up (as mobile data would carry it) and the ICE-TCP pair the device also
// offers cannot carry the call: with UDP alone cut, Chromium moves the call to that pair within
// seconds and never reports it disconnected (which made this part fail at random).
function cutPath(httpPort) {
  for (const args of [['add', 'table', 'inet', TABLE],
    ['add', 'chain', 'inet', TABLE, 'out', '{ type filter hook output priority 0; }'],
    ['add', 'rule', 'inet', TABLE, 'out', 'meta', 'l4proto', 'udp', 'drop'],
    ['add', 'rule', 'inet', TABLE, 'out', 'tcp', 'sport', '!=', String(httpPort), 'tcp', 'dport', '!=', String(httpPort), 'drop']]) {
    const r = nft(...args);
    if (r.status !== 0) throw new Error(`nft ${args.join(' ')}: ${r.stderr}`);
  }
}
const restorePath = () => nft('delete', 'table', 'inet', TABLE);

const { hashLine, callsBecome, deviceReceivesFrom } = deviceStatus('calls-network-test');
const CONFIG = `[server]\n${hashLine}\n[media]\nice_addresses=127.0.0.1\n`;
const ENV = { CALLBOX_PIPELINES_DIR: process.env.CALLBOX_PIPELINES_DIR ?? join(sourceRoot, 'pipelines') };

const localUfrag = (page) => page.evaluate(() => /a=ice-ufrag:(\S+)/.exec(window.callbox.calls().device.localDescription.sdp)[1]);
const tileReason = (page) => page.textContent('[data-testid=tile][data-peer-id=device] .tile-reason');

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

    // The path goes dead: the app says so on the tile and restarts ICE by itself; once packets
    // pass again, the call comes back on the same connection.
    cutPath(new URL(daemon.url).port);
    t.diagnostic('path cut');
    await waitFor(alice, () => document.querySelector('[data-testid=tile][data-peer-id=device] .tile-reason')
      ?.textContent.includes('reconnecting'), undefined, 'the tile says the call is reconnecting', 40000);
    assert.match(await tileReason(alice), /Connection lost, reconnecting/);
    assert.ok((await alice.evaluate(() => window.callbox.restarts().device)) >= 1, 'the app restarted ICE');
    restorePath();
    t.diagnostic('path back');
    await waitFor(alice, () => window.callbox.calls().device?.connectionState === 'connected'
      && document.querySelector('[data-testid=tile][data-peer-id=device]')?.dataset.state === 'connected',
    undefined, 'the call is connected again', 60000);
    assert.equal(await alice.evaluate(() => window.callbox.calls().device === window.firstPc), true,
      'the same RTCPeerConnection still carries the call');
    await expectMediaFrom(alice, 'alice', ['device']);
    await callsBecome(daemon, 1, 'one call after the outage');
    await deviceReceivesFrom(daemon, aliceId);
    assert.deepEqual(await problemsOf(pages), [], 'no dialogs or page errors');
  } finally {
    restorePath();
    await browser?.close().catch((e) => console.error('closing the browser:', e));
    const r = await daemon?.stop();
    if (r && r.code !== 0 && r.signal === null) console.error(`callboxd exited with ${r.code}:\n${daemon.output()}`);
  }
});
