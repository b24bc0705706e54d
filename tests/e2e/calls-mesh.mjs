// E2E (loopback-only netns): a three-browser mesh call plus a receive-only viewer: media both ways, mute/camera announcements that survive device switches, hang-up, a vanished page.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startDaemon } from '../lib/daemon.mjs';
import { requireChromium, openApp, waitFor, joinRoom, click } from './browser.mjs';
import {
  requireLoopbackOnly, launchMediaBrowser, smallCamera, denyCamera, myId, startCall, hangUp, tileState, tileGone,
  tileMediaIs, expectMediaFrom, localState, sentTracks, problemsOf, refuseAutoplaySound,
} from './calls.mjs';

requireChromium();
requireLoopbackOnly();

const ROOM = 'mesh';

// Switches `kind` ('audio' | 'video') to another input (or the same one when there is only one) and
// checks that the page's mute / camera-off choice is what it was before (the old app inverted it).
async function switchKeepsChoice(page, name, kind) {
  const select = kind === 'audio' ? '#mic-select' : '#camera-select';
  const before = await localState(page);
  const key = kind === 'audio' ? 'audio' : 'video';
  const options = await page.$$eval(`${select} option`, (os) => os.map((o) => o.value));
  assert.ok(options.length >= 1, `${name}: the ${kind} list offers at least one input`);
  const target = options.find((id) => id !== before[`${key}Device`]) ?? options[0];
  await page.bringToFront();
  await page.selectOption(select, target);
  await waitFor(page, ([k, old]) => {
    const l = window.callbox.local();
    return l[`${k}TrackId`] !== null && l[`${k}TrackId`] !== old;
  }, [key, before[`${key}TrackId`]], `${name}: a new ${kind} track after the switch`);
  const after = await localState(page);
  assert.equal(after[`${key}On`], before[`${key}On`], `${name}: the ${kind} choice survives the switch`);
  assert.equal(after[`${key}Enabled`], before[`${key}On`], `${name}: the new ${kind} track is enabled exactly when it is on`);
  // Every connection now sends the new track (replaceTrack, no renegotiation), with the same state.
  const sent = await sentTracks(page, kind);
  assert.ok(sent.length > 0, `${name}: ${kind} is sent on some connection`);
  for (const s of sent) {
    assert.equal(s.id, after[`${key}TrackId`], `${name}: the call with ${s.peer} sends the new ${kind} track`);
    assert.equal(s.enabled, before[`${key}On`], `${name}: the call with ${s.peer} keeps the ${kind} choice`);
  }
  const button = kind === 'audio' ? '#mute-button' : '#camera-button';
  assert.equal(await page.getAttribute(button, 'aria-pressed'), String(!before[`${key}On`]),
    `${name}: the ${kind} button still shows the same state`);
}

test('calls-mesh', { timeout: 230000 }, async () => {
  let daemon;
  let browser;
  const pages = [];
  try {
    daemon = await startDaemon();
    browser = await launchMediaBrowser();
    const { context } = browser;
    await context.addInitScript(smallCamera); // every page: six of them mesh at the end
    const names = ['alice', 'bob', 'carol'];
    const p = {};
    const id = {};
    for (const name of names) {
      p[name] = await openApp(context, daemon.url, name);
      pages.push(p[name]);
      await joinRoom(p[name], name, ROOM);
      id[name] = await myId(p[name]);
    }

    // Everyone presses Call, one after the other: each newcomer offers to those already in the call.
    for (const name of names) await startCall(p[name], name);
    const others = (name) => names.filter((n) => n !== name);
    for (const name of names) {
      for (const o of others(name)) await tileState(p[name], id[o], 'connected', `${name} is connected with ${o}`);
      await expectMediaFrom(p[name], name, others(name).map((o) => id[o]));
    }
    // The local preview is there, muted.
    assert.equal(await p.alice.$eval('[data-testid=tile][data-peer-id=self] video', (v) => v.muted), true);

    // Mute and camera-off are announced: the others see them.
    await click(p.alice, '#mute-button');
    await click(p.alice, '#camera-button');
    for (const o of others('alice')) await tileMediaIs(p[o], id.alice, false, false, `${o} sees alice muted with the camera off`);
    let alice = await localState(p.alice);
    assert.deepEqual([alice.audioOn, alice.videoOn, alice.audioEnabled, alice.videoEnabled], [false, false, false, false]);

    // Regression: switching camera and microphone keeps the choices (off here) ...
    await switchKeepsChoice(p.alice, 'alice', 'video');
    await switchKeepsChoice(p.alice, 'alice', 'audio');
    for (const o of others('alice')) await tileMediaIs(p[o], id.alice, false, false, `${o} still sees alice muted, camera off`);
    // ... and (on) for bob.
    await switchKeepsChoice(p.bob, 'bob', 'video');
    await switchKeepsChoice(p.bob, 'bob', 'audio');
    alice = await localState(p.alice);
    assert.deepEqual([alice.audioOn, alice.videoOn], [false, false], 'alice still muted, camera off');

    // Turning them back on reaches the others, and the switched tracks really flow.
    await click(p.alice, '#mute-button');
    await click(p.alice, '#camera-button');
    for (const o of others('alice')) await tileMediaIs(p[o], id.alice, true, true, `${o} sees alice unmuted with the camera on`);
    await expectMediaFrom(p.carol, 'carol', [id.alice, id.bob]);

    // A receive-only viewer (camera and microphone refused) still calls and receives everyone.
    const dave = await openApp(context, daemon.url, 'dave', { initScript: denyCamera });
    pages.push(dave);
    await joinRoom(dave, 'dave', ROOM);
    id.dave = await myId(dave);
    await startCall(dave, 'dave');
    const note = await dave.textContent('[data-testid=call-note]');
    assert.match(note, /refused/, 'dave is told why he is receive-only');
    assert.equal(await dave.isVisible('#mute-button'), false, 'no mute button without a microphone');
    assert.equal((await localState(dave)).receiveOnly, true);
    for (const name of names) await tileState(dave, id[name], 'connected', `dave is connected with ${name}`);
    await expectMediaFrom(dave, 'dave', names.map((n) => id[n]));
    for (const name of names) {
      await tileState(p[name], id.dave, 'connected', `${name} is connected with dave`);
      await tileMediaIs(p[name], id.dave, false, false, `${name} sees dave sends nothing`);
    }

    // carol hangs up: everyone drops her, she drops everyone and her camera.
    await hangUp(p.carol, 'carol');
    for (const n of ['alice', 'bob']) await tileGone(p[n], id.carol, `${n} dropped carol after her goodbye`);
    await tileGone(dave, id.carol, 'dave dropped carol after her goodbye');
    assert.equal((await localState(p.carol)).videoTrackId, null, 'carol released her camera');

    // bob's page vanishes without a goodbye: the others clean up from peer-left, well before ICE would notice.
    const bob = p.bob;
    pages.splice(pages.indexOf(bob), 1);
    await bob.close({ runBeforeUnload: false });
    await tileGone(p.alice, id.bob, 'alice dropped bob after peer-left', 5000);
    await tileGone(dave, id.bob, 'dave dropped bob after peer-left', 5000);
    await expectMediaFrom(dave, 'dave', [id.alice]);

    // carol calls again: she is the newcomer and offers to alice and dave, who are still in the call.
    await startCall(p.carol, 'carol');
    await tileState(p.carol, id.alice, 'connected', 'carol is back with alice');
    await tileState(p.carol, id.dave, 'connected', 'carol is back with dave');
    await expectMediaFrom(p.alice, 'alice', [id.carol]);

    // erin and frank press Call at the same moment, so neither may know the other is in the call:
    // the fallback offer (and the crossed-offer rule) still connects them, and each reaches everyone.
    const late = {};
    for (const name of ['erin', 'frank']) {
      late[name] = await openApp(context, daemon.url, name);
      pages.push(late[name]);
      await joinRoom(late[name], name, ROOM);
      id[name] = await myId(late[name]);
    }
    await Promise.all(Object.values(late).map((page) => page.evaluate(() => document.getElementById('call-button').click())));
    for (const [name, page] of Object.entries(late)) {
      const peers = ['alice', 'carol', 'dave', name === 'erin' ? 'frank' : 'erin'];
      for (const o of peers) await tileState(page, id[o], 'connected', `${name} is connected with ${o}`);
      await expectMediaFrom(page, name, peers.filter((o) => o !== 'dave').map((o) => id[o]));
    }
    // Their part is done: they leave (their problems kept for the check at the end), so the
    // seventh page below does not set up its calls beside six streaming pages on 2 cores.
    const lateProblems = await problemsOf(Object.values(late));
    for (const page of Object.values(late)) {
      pages.splice(pages.indexOf(page), 1);
      await page.close();
    }

    // Where the browser refuses to autoplay sound, the others play muted and a tap turns the sound on.
    const grace = await openApp(context, daemon.url, 'grace', { initScript: refuseAutoplaySound });
    pages.push(grace);
    await joinRoom(grace, 'grace', ROOM);
    await startCall(grace, 'grace');
    await tileState(grace, id.alice, 'connected', 'grace is connected with alice');
    await waitFor(grace, () => !document.getElementById('unmute-overlay').hidden, undefined, 'grace is offered tap-to-unmute');
    const muted = await grace.$$eval('[data-testid=tile]:not([data-peer-id=self]) video', (vs) => vs.map((v) => v.muted && !v.paused));
    assert.ok(muted.includes(true), 'refused sound starts muted, and plays');
    await expectMediaFrom(grace, 'grace', [id.alice]); // the picture plays meanwhile
    await click(grace, '#unmute-overlay');
    await waitFor(grace, () => document.getElementById('unmute-overlay').hidden
      && [...document.querySelectorAll('[data-testid=tile]:not([data-peer-id=self]) video')].every((v) => !v.muted && !v.paused),
    undefined, 'after the tap every remote video plays with sound');

    assert.deepEqual([...lateProblems, ...(await problemsOf(pages))], [], 'no dialogs or page errors');
  } finally {
    await browser?.close().catch((e) => console.error('closing the browser:', e));
    const r = await daemon?.stop();
    if (r && r.code !== 0 && r.signal === null) console.error(`callboxd exited with ${r.code}:\n${daemon.output()}`);
  }
});
