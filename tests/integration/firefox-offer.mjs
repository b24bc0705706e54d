// The device answers a Firefox-shaped offer (audio first, bundle-only video, VP8/VP9 with RTX): VP8 sent with the offered payload types, RTX and NACK; the VP8 encoder runs only while a call needs it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fixture, watchdog } from '../lib/fixture.mjs';
import { callboxdPath } from '../lib/daemon.mjs';
import { firefoxOffer, offer } from '../lib/device-offer.mjs';

const PASSWORD = 'firefox-offer-test';
const HASH_LINE = spawnSync(callboxdPath(), ['--hash-password'], { input: `${PASSWORD}\n` }).stdout.toString().trim();
const AUTH = { Authorization: `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}` };
const CONFIG = `[server]\n${HASH_LINE}\n[media]\nice_addresses=127.0.0.1\n`;
const sdpSignal = (sdp) => ({ type: 'signal', to: 'device', data: { sdp: { type: 'offer', sdp } } });

// The answer's m-line sections by kind.
function sections(sdp) {
  const out = {};
  for (const part of sdp.split(/\r\n(?=m=)/).slice(1)) out[part.slice(2, part.indexOf(' '))] = part;
  return out;
}

async function mediaStatus(d) {
  const res = await fetch(`${d.url}/api/status`, { headers: AUTH });
  assert.equal(res.status, 200);
  return (await res.json()).media;
}

async function statusBecomes(d, pred, what) {
  const deadline = Date.now() + 15000;
  for (;;) {
    const media = await mediaStatus(d);
    if (pred(media)) return media;
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what} (${JSON.stringify(media)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('a Firefox offer gets VP8 with its payload type, RTX and NACK, in the offered m-line order', { timeout: watchdog(60000) }, fixture(async (t) => {
  const d = await t.daemon({ config: CONFIG });
  const [fox] = await d.clients(1, 'kitchen', 'fox');
  await fox.send(sdpSignal(firefoxOffer()));
  const answer = (await fox.next('signal', { timeout: watchdog(20000) })).data.sdp;
  assert.equal(answer.type, 'answer');
  const m = sections(answer.sdp);
  assert.ok(answer.sdp.indexOf('m=audio') < answer.sdp.indexOf('m=video'), 'audio stays first');
  assert.match(m.audio, /^m=audio 9 UDP\/TLS\/RTP\/SAVPF 109\b/);
  assert.match(m.audio, /^a=sendrecv\r$/m);
  // The bundle-only video line is taken (not rejected), both ways, with Firefox's VP8 and RTX types.
  assert.match(m.video, /^m=video 9 UDP\/TLS\/RTP\/SAVPF 120 124\r$/m);
  assert.match(m.video, /^a=sendrecv\r$/m, 'the device sends video to Firefox');
  assert.match(m.video, /^a=rtpmap:120 VP8\/90000\r$/m);
  assert.match(m.video, /^a=fmtp:124 apt=120\r$/m);
  assert.match(m.video, /^a=rtcp-fb:120 nack\r$/m);
  assert.match(m.video, /^a=ssrc:\d+ cname:/m, 'the device announces the stream it sends');
  const media = await statusBecomes(d, (s) => s.calls?.length === 1, 'one call');
  assert.equal(media.calls[0].video_codec, 'VP8');
  assert.equal(media.encoders_running, 3, 'H.264, Opus and the VP8 encoder for this call');
}));

test('the VP8 encoder runs only while a call needs it; H.264 callers keep theirs', { timeout: watchdog(60000) }, fixture(async (t) => {
  const d = await t.daemon({ config: CONFIG });
  const [chrome, fox] = await d.clients(2, 'kitchen', 'c');
  await chrome.send(sdpSignal(offer(['audio', 'video'])));
  await chrome.next('signal', { timeout: watchdog(20000) });
  let media = await statusBecomes(d, (s) => s.calls?.length === 1, 'the H.264 call');
  assert.equal(media.encoders_running, 2, 'H.264 and Opus, no VP8 for an H.264 caller');

  await fox.send(sdpSignal(firefoxOffer()));
  await fox.next('signal', { timeout: watchdog(20000) });
  media = await statusBecomes(d, (s) => s.calls?.length === 2, 'both calls');
  assert.equal(media.encoders_running, 3, 'VP8 started for the Firefox caller');

  await fox.send({ type: 'signal', to: 'device', data: { bye: true } });
  media = await statusBecomes(d, (s) => s.calls?.length === 1, 'the Firefox call ended');
  assert.equal(media.encoders_running, 2, 'VP8 stopped with its last caller');
  assert.equal(media.capturing, true, 'the H.264 call goes on');

  // A second Firefox call starts VP8 again.
  await fox.send(sdpSignal(firefoxOffer({ ufrag: 'ffx1' })));
  await fox.next('signal', { timeout: watchdog(20000) });
  media = await statusBecomes(d, (s) => s.calls?.length === 2, 'the second Firefox call');
  assert.equal(media.encoders_running, 3);
  assert.equal(media.calls.find((c) => c.video_codec === 'VP8')?.video_codec, 'VP8');
}));
