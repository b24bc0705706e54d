// Shared helpers for the call tests: Chromium media flags, the loopback-only check, starting calls, tile states and getStats() sampling.
import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { startDaemon } from '../lib/daemon.mjs';
import { launchBrowser, click, waitFor, openApp, joinRoom } from './browser.mjs';

export const MEDIA_FLAGS = [
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--autoplay-policy=no-user-gesture-required',
];

// Init scripts for receive-only pages (run in the page before the app).
export function denyCamera() {
  navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
}
export function noGetUserMedia() {
  Object.defineProperty(navigator, 'mediaDevices', { value: undefined, configurable: true });
}
// A browser that refuses to play sound until the user taps the unmute button (as phones do). Playwright's
// own calls count as user gestures, so the refusal is simulated instead of set by --autoplay-policy.
export function refuseAutoplaySound() {
  let tapped = false;
  document.addEventListener('click', (e) => { if (e.target.id === 'unmute-overlay') tapped = true; }, true);
  const play = HTMLMediaElement.prototype.play;
  HTMLMediaElement.prototype.play = function playUnlessRefused() {
    if (!this.muted && !tapped) {
      this.pause();
      return Promise.reject(new DOMException('play() can only be started by a user gesture', 'NotAllowedError'));
    }
    return play.call(this);
  };
}

// A small camera (320×240 at 15 fps) for tests with many callers: each page encodes its picture
// once per peer, and six 640×480 pages meshed on a 2-core machine are more than it can encode in
// time. The app's own constraints (a chosen device) are kept; only the size and rate change.
export function smallCamera() {
  const small = { width: { ideal: 320 }, height: { ideal: 240 }, frameRate: { ideal: 15 } };
  const getUserMedia = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = (constraints = {}) => getUserMedia(constraints.video
    ? { ...constraints, video: { ...(typeof constraints.video === 'object' ? constraints.video : {}), ...small } }
    : constraints);
}

// Calls must not be able to pick a non-loopback address: run under tests/e2e/netns-run.
export function requireLoopbackOnly() {
  const others = Object.entries(networkInterfaces())
    .filter(([, addrs]) => addrs.some((a) => !a.internal))
    .map(([name]) => name);
  if (others.length && !process.env.CALLBOX_ALLOW_NETWORK) {
    console.error(`network interfaces besides loopback are up (${others.join(', ')}): run this test through `
      + 'tests/e2e/netns-run (or set CALLBOX_ALLOW_NETWORK=1 to run it anyway)');
    process.exit(1);
  }
}

export function launchMediaBrowser(opts = {}) {
  return launchBrowser({ ...opts, extraArgs: [...MEDIA_FLAGS, ...(opts.extraArgs ?? [])] });
}

export function myId(page) {
  return page.evaluate(() => window.callbox.me());
}

// Presses Call and waits until the page is in the call.
export async function startCall(page, name) {
  await click(page, '[data-testid=call-button]');
  await waitFor(page, () => document.getElementById('call').dataset.phase === 'in-call', undefined, `${name} is in the call`);
}

export async function hangUp(page, name) {
  await click(page, '[data-testid=hangup-button]');
  await waitFor(page, () => document.getElementById('call').dataset.phase === 'idle'
    && Object.keys(window.callbox.calls()).length === 0, undefined, `${name} left the call`);
}

// Calls the device and waits for the device's tile to be connected; a refusal fails with the device's words.
export async function callDevice(page, name) {
  await startCall(page, name);
  const state = await waitFor(page, () => {
    const tile = document.querySelector('[data-testid=tile][data-peer-id=device]');
    const s = tile?.dataset.state;
    return s === 'connected' || s === 'failed' || s === 'ended'
      ? { state: s, words: [...tile.querySelectorAll('.tile-status-text, .tile-reason')].map((e) => e.textContent).join(': ') }
      : null;
  }, undefined, `${name}: the device call settles`, 30000);
  if (state.state !== 'connected') {
    throw new Error(`${name}: the device did not take the call (${state.state}): ${state.words}`);
  }
}

// A caller in a browser of its own (pushed to `browsers`, for the caller to close): opens the
// app as `name`, joins `room`, calls the device and waits for its media. Returns the page.
export async function callerOfDevice(browsers, url, name, room) {
  const browser = await launchMediaBrowser();
  browsers.push(browser);
  const page = await openApp(browser.context, url, name);
  await joinRoom(page, name, room);
  await callDevice(page, name);
  await expectMediaFrom(page, name, ['device']);
  return page;
}

// Waits until the tile of `peerId` shows `state` ('connected', 'failed', ...); returns its status words.
export function tileState(page, peerId, state, what, timeout = 20000) {
  return waitFor(page, ([id, s]) => {
    const tile = document.querySelector(`[data-testid=tile][data-peer-id="${id}"]`);
    return tile?.dataset.state === s ? tile.querySelector('[data-testid=tile-status]').textContent || s : null;
  }, [peerId, state], what ?? `tile ${peerId} is ${state}`, timeout);
}

export function tileGone(page, peerId, what, timeout = 10000) {
  return waitFor(page, ([id]) => !document.querySelector(`[data-testid=tile][data-peer-id="${id}"]`)
    && !(id in window.callbox.calls()), [peerId], what ?? `tile ${peerId} gone`, timeout);
}

// The announced media state other pages show for `peerId`.
export function tileMediaIs(page, peerId, audio, video, what) {
  return waitFor(page, ([id, a, v]) => {
    const tile = document.querySelector(`[data-testid=tile][data-peer-id="${id}"]`);
    return tile?.dataset.audio === String(a) && tile?.dataset.video === String(v);
  }, [peerId, audio, video], what ?? `tile ${peerId} shows audio ${audio}, video ${video}`);
}

// Per remote peer: video frames decoded, audio packets received, the addresses of the selected candidate pair.
export function callStats(page) {
  return page.evaluate(async () => {
    const out = {};
    for (const [id, pc] of Object.entries(window.callbox.calls())) {
      const r = { framesDecoded: 0, audioPackets: 0, pair: null };
      const stats = await pc.getStats();
      stats.forEach((s) => {
        if (s.type === 'inbound-rtp' && s.kind === 'video') r.framesDecoded += s.framesDecoded ?? 0;
        if (s.type === 'inbound-rtp' && s.kind === 'audio') r.audioPackets += s.packetsReceived ?? 0;
        if (s.type === 'transport' && s.selectedCandidatePairId) {
          const p = stats.get(s.selectedCandidatePairId);
          const l = p && stats.get(p.localCandidateId);
          const rc = p && stats.get(p.remoteCandidateId);
          r.pair = [l?.address ?? l?.ip, rc?.address ?? rc?.ip];
        }
      });
      out[id] = r;
    }
    return out;
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Proves that `page` decodes video and receives audio from every peer in `peerIds`: both counters grow
// between two samples. Also checks the selected candidate pair is on loopback. Returns the last sample.
// `addresses`: the addresses the call may use (loopback; a test namespace may add one of its own).
export async function expectMediaFrom(page, name, peerIds, { audio = true, timeout = 20000, addresses = ['127.0.0.1', '::1'] } = {}) {
  const deadline = Date.now() + timeout;
  let first = null;
  let last = null;
  for (;;) {
    last = await callStats(page);
    const ok = (base) => peerIds.every((id) => last[id]
      && last[id].framesDecoded > (base?.[id]?.framesDecoded ?? 0)
      && (!audio || last[id].audioPackets > (base?.[id]?.audioPackets ?? 0)));
    if (!first) {
      if (ok(null)) first = last;
    } else if (ok(first)) {
      break;
    }
    if (Date.now() > deadline) {
      throw new Error(`${name}: media from ${peerIds.join(', ')} did not flow: first ${JSON.stringify(first)}, last ${JSON.stringify(last)}`);
    }
    await sleep(500);
  }
  for (const id of peerIds) {
    assert.ok(last[id].pair, `${name}: a selected candidate pair with ${id}`);
    for (const addr of last[id].pair) {
      assert.ok(addresses.includes(addr), `${name}: the call with ${id} uses ${addr}, not one of ${addresses.join(', ')}`);
    }
  }
  return last;
}

// What the page says about its own media: phase, user choices, the live tracks' enabled flags and ids.
export function localState(page) {
  return page.evaluate(() => window.callbox.local());
}

// The track every connection of the page sends for `kind`: [{ peer, id, enabled }].
export function sentTracks(page, kind) {
  return page.evaluate((k) => Object.entries(window.callbox.calls()).flatMap(([peer, pc]) => pc.getSenders()
    .filter((s) => s.track?.kind === k).map((s) => ({ peer, id: s.track.id, enabled: s.track.enabled }))), kind);
}

export async function problemsOf(pages) {
  return pages.flatMap((p) => p.problems ?? []);
}

// In the page: times every frame of `peerId`'s video (requestVideoFrameCallback on a video element
// of its own) and keeps the longest gap between two in window.frameGaps; beside it, from getStats()
// every 100 ms, the longest time the page's own video encoder sent nothing to `peerId` (sendStallMs:
// what the peer cannot have got either). frameGaps(page) reads them.
export function watchFrameGaps(page, peerId) {
  return page.evaluate((id) => {
    const pc = window.callbox.calls()[id];
    const track = pc.getReceivers().find((r) => r.track?.kind === 'video').track;
    const video = document.createElement('video');
    const gaps = { frames: 0, maxGapMs: 0, last: null, sent: null, sentAt: null, sendStallMs: 0 };
    window.frameGaps = gaps;
    setInterval(async () => {
      const out = [...(await pc.getStats()).values()].find((s) => s.type === 'outbound-rtp' && s.kind === 'video');
      const now = performance.now();
      if (!out) return;
      if (out.framesSent !== gaps.sent) [gaps.sent, gaps.sentAt] = [out.framesSent, now];
      else gaps.sendStallMs = Math.max(gaps.sendStallMs, now - gaps.sentAt);
    }, 100);
    const onFrame = (now) => {
      if (gaps.last !== null) gaps.maxGapMs = Math.max(gaps.maxGapMs, now - gaps.last);
      gaps.last = now;
      gaps.frames += 1;
      video.requestVideoFrameCallback(onFrame);
    };
    Object.assign(video, { muted: true, autoplay: true, playsInline: true, srcObject: new MediaStream([track]) });
    document.body.append(video);
    video.play().catch(() => {});
    video.requestVideoFrameCallback(onFrame);
  }, peerId);
}

// The usual start of a device-call test: a daemon with `config`, a media browser, `name`'s page
// in `room`, in a call with the device whose media flows and which the daemon lists. Fills `s`
// (daemon, browser, page, id) as it goes, so the caller's finally can stop what was started.
export async function inCallWithDevice(s, { config, env, room, callsBecome, name = 'alice' }) {
  s.daemon = await startDaemon({ config, env });
  s.browser = await launchMediaBrowser();
  s.page = await openApp(s.browser.context, s.daemon.url, name);
  await joinRoom(s.page, name, room);
  s.id = await myId(s.page);
  await callDevice(s.page, name);
  await expectMediaFrom(s.page, name, ['device']);
  await callsBecome(s.daemon, 1, `one call with ${name}`);
}
export function frameGaps(page) {
  return page.evaluate(() => ({ frames: window.frameGaps.frames, maxGapMs: Math.round(window.frameGaps.maxGapMs), sendStallMs: Math.round(window.frameGaps.sendStallMs) }));
}
