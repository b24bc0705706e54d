// E2E (loopback-only netns): calls with the device itself: two-way media, what the daemon reports, a receive-only viewer, hang-up and a vanished page freeing the calls.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startDaemon, sourceRoot } from '../lib/daemon.mjs';
import { requireChromium, openApp, waitFor, joinRoom } from './browser.mjs';
import {
  requireLoopbackOnly, launchMediaBrowser, noGetUserMedia, myId, callDevice, hangUp, expectMediaFrom,
  localState, problemsOf,
} from './calls.mjs';
import { deviceStatus } from './device-status.mjs';

requireChromium();
requireLoopbackOnly();

const ROOM = 'living';
// CALLBOX_TEST_TLS=1: the same test over HTTPS with the daemon's own certificate, which the
// test browser accepts (--ignore-certificate-errors) as a phone user does once.
const TLS = process.env.CALLBOX_TEST_TLS === '1';
// Inside the loopback-only namespace the device must gather on 127.0.0.1 (libnice skips loopback by itself).
// /api/status is for the admin only: the test sets an admin password and sends it.
const ADMIN_PASSWORD = 'calls-device-test';
const { hashLine: ADMIN_HASH, getJson, callsBecome, deviceReceivesFrom } = deviceStatus(ADMIN_PASSWORD);
const CONFIG = `[server]\n${ADMIN_HASH}\n[media]\nice_addresses=127.0.0.1\n`;
const ENV = { CALLBOX_PIPELINES_DIR: process.env.CALLBOX_PIPELINES_DIR ?? join(sourceRoot, 'pipelines') };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test('calls-device', { timeout: 230000 }, async (t) => {
  let daemon;
  let browser;
  const pages = [];
  try {
    daemon = await startDaemon({ config: CONFIG, env: ENV, tls: TLS });
    if (TLS) assert.match(daemon.url, /^https:/);
    t.diagnostic(`health at start: ${JSON.stringify(await (await fetch(daemon.url + '/api/health')).json())}`);
    browser = await launchMediaBrowser(TLS ? { extraArgs: ['--ignore-certificate-errors'] } : {});
    const { context } = browser;

    // alice calls the device: both ways, media flows.
    const alice = await openApp(context, daemon.url, 'alice');
    pages.push(alice);
    await joinRoom(alice, 'alice', ROOM);
    const aliceId = await myId(alice);
    await callDevice(alice, 'alice');
    await expectMediaFrom(alice, 'alice', ['device']);
    await callsBecome(daemon, 1, 'one call after alice called');
    await deviceReceivesFrom(daemon, aliceId);
    // Chromium offers NACK and RTX for video; the device's answer keeps them, so a lost packet
    // is asked for again instead of waiting for the next keyframe.
    const answer = await alice.evaluate(() => window.callbox.calls().device.remoteDescription.sdp);
    const video = answer.slice(answer.indexOf('m=video'));
    assert.match(video, /^a=rtcp-fb:\d+ nack\r$/m, 'nack in the answer');
    assert.match(video, /^a=rtpmap:\d+ rtx\/90000\r$/m, 'rtx in the answer');

    // systemctl reload (SIGHUP) renames the device live; alice's call stays up.
    writeFileSync(join(daemon.dataDir, 'test.conf'), `${CONFIG}[device]\nname=Porch box\n`);
    daemon.child.kill('SIGHUP');
    const deadline = Date.now() + 10000;
    while ((await getJson(daemon, '/api/status'))?.device_name !== 'Porch box') {
      if (Date.now() > deadline) throw new Error('the device name did not change on SIGHUP');
      await sleep(200);
    }
    await deviceReceivesFrom(daemon, aliceId);
    await expectMediaFrom(alice, 'alice', ['device']);

    // A receive-only viewer (no getUserMedia at all) still gets the device's picture and sound.
    const viewer = await openApp(context, daemon.url, 'viewer', { initScript: noGetUserMedia });
    pages.push(viewer);
    await joinRoom(viewer, 'viewer', ROOM);
    await callDevice(viewer, 'viewer');
    assert.equal((await localState(viewer)).receiveOnly, true);
    assert.notEqual((await viewer.textContent('[data-testid=call-note]')).trim(), '', 'the viewer is told why');
    await expectMediaFrom(viewer, 'viewer', ['device']);
    // The viewer joined alice's call too: the mesh connects them, receive-only on the viewer's side.
    await expectMediaFrom(viewer, 'viewer', [aliceId]);
    await callsBecome(daemon, 2, 'two calls with the viewer');

    // alice hangs up: her call is freed, the viewer's goes on.
    await hangUp(alice, 'alice');
    await callsBecome(daemon, 1, 'one call after alice hung up');
    await expectMediaFrom(viewer, 'viewer', ['device']);

    // alice calls again (a fresh call after a hang-up works), then her page is killed without a goodbye.
    await callDevice(alice, 'alice');
    await expectMediaFrom(alice, 'alice', ['device']);
    await callsBecome(daemon, 2, 'two calls after alice called again');
    pages.splice(pages.indexOf(alice), 1);
    await alice.close({ runBeforeUnload: false });
    await callsBecome(daemon, 1, 'the vanished page\'s call is cleaned up');

    await hangUp(viewer, 'viewer');
    await callsBecome(daemon, 0, 'no calls after everyone hung up');
    assert.deepEqual(await problemsOf(pages), [], 'no dialogs or page errors');
    // No call's ICE agent tried UPnP (its SSDP search fails in this namespace, and says so).
    assert.doesNotMatch(daemon.output(), /SSDP|gssdp/, 'the device never asks a router for a port');
  } finally {
    await browser?.close().catch((e) => console.error('closing the browser:', e));
    const r = await daemon?.stop();
    if (r && r.code !== 0 && r.signal === null) console.error(`callboxd exited with ${r.code}:\n${daemon.output()}`);
  }
});
