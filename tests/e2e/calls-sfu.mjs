// E2E (loopback-only netns): large rooms through Debian's Janus — the move when one browser too many
// joins, the device publishing once, every page decoding every publisher (the device among them), chat
// staying on callbox, the admin's switch back; and a Janus that is not there leaving the room peer to peer
// with the reason on /api/status and the admin page; a room the admin moves while its browser calls the
// device directly, and the device publishing again when Janus hangs up its stream.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { startDaemon, sourceRoot } from '../lib/daemon.mjs';
import { requireJanus, startJanus, freePort, JANUS_ICE_ADDRESS } from '../lib/janus.mjs';
import { requireChromium, openApp, joinRoom, waitFor, click, sendChat } from './browser.mjs';
import {
  requireLoopbackOnly, launchMediaBrowser, smallCamera, myId, expectMediaFrom, problemsOf,
} from './calls.mjs';

requireChromium();
requireLoopbackOnly();
requireJanus();

const ADMIN_PASSWORD = 'calls-sfu-test';
const ADMIN_HASH = spawnSync(process.env.CALLBOXD, ['--hash-password'], { input: `${ADMIN_PASSWORD}\n` })
  .stdout.toString().trim();
const ADMIN_AUTH = { Authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}` };
const ENV = { CALLBOX_PIPELINES_DIR: process.env.CALLBOX_PIPELINES_DIR ?? join(sourceRoot, 'pipelines') };
const config = (janusUrl) => `[server]\n${ADMIN_HASH}\n[media]\nice_addresses=127.0.0.1,${JANUS_ICE_ADDRESS}\n`
  + `[sfu]\njanus_url=${janusUrl}\nmesh_max=2\ntimeout=3\n`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function status(daemon) {
  const res = await fetch(daemon.url + '/api/status', { headers: ADMIN_AUTH });
  assert.equal(res.status, 200, '/api/status answers the admin');
  return res.json();
}

// Polls /api/status until pick(status) is truthy; returns it.
async function statusUntil(daemon, pick, what, timeout = 30000) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    last = await status(daemon);
    const got = pick(last);
    if (got) return got;
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what} (status: ${JSON.stringify(last.sfu)})`);
    await sleep(300);
  }
}

// Asks Janus itself (its HTTP API, a session of the test's own) who is in VideoRoom `room`.
async function janusParticipants(url, room) {
  const post = async (path, body) => (await fetch(url + path, {
    method: 'POST', body: JSON.stringify({ ...body, transaction: String(Math.random()) }),
  })).json();
  const session = (await post('', { janus: 'create' })).data.id;
  const handle = (await post(`/${session}`, { janus: 'attach', plugin: 'janus.plugin.videoroom' })).data.id;
  const reply = await post(`/${session}/${handle}`, { janus: 'message', body: { request: 'listparticipants', room } });
  await post(`/${session}`, { janus: 'destroy' });
  return reply.plugindata.data.participants ?? [];
}

const sfuRoom = (s, name) => s.sfu?.rooms?.find((r) => r.room === name);

function setLarge(daemon, room, large) {
  return fetch(daemon.url + '/api/admin/large', {
    method: 'POST', headers: { ...ADMIN_AUTH, 'Content-Type': 'application/json' }, body: JSON.stringify({ room, large }),
  });
}

// expectMediaFrom(), again when its last sample caught a subscription between candidate pairs (seen
// on a loaded machine: frames decoded, no selected pair in that one getStats()).
async function mediaFlows(page, name, peers, opts) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      // The device gathers on the SFU's address too (ice_addresses above).
      return await expectMediaFrom(page, name, peers, { addresses: ['127.0.0.1', '::1', JANUS_ICE_ADDRESS], ...opts });
    } catch (e) {
      if (attempt >= 3 || !/a selected candidate pair/.test(e.message)) throw e;
    }
  }
}

// Presses Call and waits (generously: the machine may be busy) until the page is in the call.
async function joinCall(page, name) {
  await click(page, '[data-testid=call-button]');
  await waitFor(page, () => document.getElementById('call').dataset.phase === 'in-call', undefined,
    `${name} is in the call`, 60000);
}

function routeShows(page, kind, name) {
  return waitFor(page, ([k]) => {
    const p = document.querySelector('[data-testid=media-route]');
    return p && !p.hidden && p.dataset.route === k ? p.textContent : null;
  }, [kind], `${name}: the call shows media going ${kind === 'sfu' ? 'through Janus' : 'peer to peer'}`, 30000);
}

// Starts Janus, a callboxd using it and a browser; runs body({ janus, daemon, browser }); on a
// failure the end of both daemons' logs goes into the test's diagnostics; stops them all.
async function withJanus(t, body) {
  let janus;
  let daemon;
  let browser;
  try {
    janus = await startJanus();
    daemon = await startDaemon({ config: config(janus.url), env: ENV });
    browser = await launchMediaBrowser();
    return await body({ janus, daemon, browser });
  } catch (e) {
    t.diagnostic(`janus's log ends with:\n${janus?.log().split('\n').slice(-40).join('\n')}`);
    t.diagnostic(`callboxd's output ends with:\n${daemon?.output().split('\n').slice(-40).join('\n')}`);
    throw e;
  } finally {
    await browser?.close();
    await daemon?.stop();
    await janus?.stop();
  }
}

test('a room with more browsers than may mesh moves to Janus; media flows end to end', { timeout: 300000 }, (t) => withJanus(t, async ({ janus, daemon, browser }) => {
  const pages = [];
  const names = ['ann', 'bob', 'cat'];
  const ids = {};
  for (const name of names) {
    const page = await openApp(browser.context, daemon.url, name, { initScript: smallCamera });
    // Three pages sending and decoding three streams each: on a busy 2-core machine a click
    // can take longer than Playwright's 30 s default.
    page.setDefaultTimeout(120000);
    pages.push(page);
    await joinRoom(page, name, 'hall');
    ids[name] = await myId(page);
  }
  // Three browsers, mesh_max=2: the room moves, and every page is told.
  const moved = await statusUntil(daemon, (s) => sfuRoom(s, 'hall')?.mode === 'janus' && sfuRoom(s, 'hall'),
    'the room is on Janus');
  assert.ok(moved.videoroom > 0, 'a VideoRoom was made for the room');
  assert.ok(moved.device_feed > 0, 'the device publishes into it');
  for (const [i, page] of pages.entries()) {
    const sfu = await waitFor(page, () => window.callbox.sfu().sfu, undefined, `${names[i]}: told about Janus`);
    assert.equal(sfu.videoroom, moved.videoroom);
    assert.equal(sfu.deviceFeed, moved.device_feed);
  }
  // Everyone calls: each page publishes once and subscribes to the two others and the device.
  for (const [i, page] of pages.entries()) {
    await joinCall(page, names[i]);
    await routeShows(page, 'sfu', names[i]);
  }
  for (const [i, page] of pages.entries()) {
    const others = names.filter((n) => n !== names[i]).map((n) => ids[n]);
    const stats = await mediaFlows(page, names[i], ['device', ...others], { timeout: 60000 });
    t.diagnostic(`${names[i]} decodes ${JSON.stringify(stats)}`);
  }
  // The device publishes once and takes no direct calls; its publication is connected.
  const s = await statusUntil(daemon, (x) => sfuRoom(x, 'hall')?.device === 'connected' && x,
    'the device\'s publication is connected');
  assert.equal(s.media.sfu_publications, 1, 'one publication, however many watch');
  assert.equal(s.media.calls.length, 0, 'no browser calls the device directly in a large room');
  // Janus's own view: the device is a publisher of that VideoRoom, and so is each page.
  const participants = await janusParticipants(janus.url, moved.videoroom);
  assert.deepEqual(participants.filter((p) => p.publisher).map((p) => p.display).sort(),
    ['device', ...Object.values(ids)].sort(), `Janus lists the publishers: ${JSON.stringify(participants)}`);
  // Chat stays on callbox.
  await sendChat(pages[0], 'still here');
  await waitFor(pages[2], () => [...document.querySelectorAll('#messages [data-testid=message-text]')]
    .some((m) => m.textContent === 'still here'), undefined, 'cat sees ann\'s chat', 60000);

  // The admin sends the room back to peer to peer: pages are told why and mesh again.
  const res = await setLarge(daemon, 'hall', false);
  assert.equal(res.status, 204);
  for (const [i, page] of pages.entries()) {
    const text = await routeShows(page, 'mesh', names[i]);
    assert.match(text, /the admin made it a small room again/);
  }
  t.diagnostic(`ann after the move back: ${JSON.stringify(await pages[0].evaluate(() => ({
    local: window.callbox.local(), sfu: window.callbox.sfu(), states: window.callbox.states(),
    status: document.getElementById('call-status').textContent })))}`);
  await mediaFlows(pages[0], 'ann (mesh again)', ['device', ids.bob, ids.cat], { timeout: 60000 });
  const after = await status(daemon);
  assert.equal(sfuRoom(after, 'hall').mode, 'mesh');
  assert.equal(after.media.sfu_publications, 0, 'the device stopped publishing');
  assert.deepEqual(await problemsOf(pages), []);
}));

// The device's handle in Janus (its admin API): the handle whose VideoRoom publisher is "device".
async function deviceHandle(janus, videoroom) {
  for (const session of (await janus.admin('', { janus: 'list_sessions' })).sessions) {
    for (const handle of (await janus.admin(`/${session}`, { janus: 'list_handles' })).handles) {
      const { info } = await janus.admin(`/${session}/${handle}`, { janus: 'handle_info' });
      const p = info.plugin_specific ?? {};
      if (p.type === 'publisher' && p.room === videoroom && p.display === 'device') return { session, handle };
    }
  }
  return null;
}

test('a room moved while its browser calls the device follows; a hung-up publication publishes again', { timeout: 240000 }, (t) => withJanus(t, async ({ janus, daemon, browser }) => {
  const page = await openApp(browser.context, daemon.url, 'eve', { initScript: smallCamera });
  page.setDefaultTimeout(120000);
  await joinRoom(page, 'eve', 'den');
  await joinCall(page, 'eve');
  await mediaFlows(page, 'eve (direct)', ['device'], { timeout: 60000 });
  // The admin moves the room with the call running: the page follows, and the device's stream
  // (its shared encoders already running for the direct call) reaches Janus, sound included.
  assert.equal((await setLarge(daemon, 'den', true)).status, 204);
  await routeShows(page, 'sfu', 'eve');
  const first = await statusUntil(daemon, (s) => sfuRoom(s, 'den')?.device === 'connected' && sfuRoom(s, 'den'),
    'the device\'s publication is connected');
  await mediaFlows(page, 'eve (through Janus)', ['device'], { timeout: 60000 });
  // Janus hangs up the device's stream (as when its ICE fails on Janus's side): the device
  // publishes again under a new feed, and the page decodes it.
  const device = await deviceHandle(janus, first.videoroom);
  assert.ok(device, 'Janus lists the device\'s publisher handle');
  await janus.admin(`/${device.session}/${device.handle}`, { janus: 'hangup_webrtc' });
  const again = await statusUntil(daemon, (s) => {
    const r = sfuRoom(s, 'den');
    return r?.device === 'connected' && r.device_feed !== first.device_feed && r;
  }, 'the device publishes again');
  assert.equal(again.mode, 'janus');
  assert.match(daemon.output(), /Janus hung up/);
  const stats = await mediaFlows(page, 'eve (after the hang-up)', ['device'], { timeout: 60000 });
  t.diagnostic(`eve decodes ${JSON.stringify(stats)}`);
  assert.deepEqual(await problemsOf([page]), []);
}));

test('without a reachable Janus the room stays peer to peer and the admin sees why', { timeout: 120000 }, async () => {
  let daemon;
  let browser;
  try {
    const nobody = await freePort(); // nothing listens here
    daemon = await startDaemon({ config: config(`http://127.0.0.1:${nobody}/janus`), env: ENV });
    browser = await launchMediaBrowser();
    const page = await openApp(browser.context, daemon.url, 'dan');
    await joinRoom(page, 'dan', 'porch');
    const res = await setLarge(daemon, 'porch', true);
    assert.equal(res.status, 204);
    const room = await statusUntil(daemon, (s) => sfuRoom(s, 'porch')?.reason && sfuRoom(s, 'porch'),
      'the failed move is reported');
    assert.equal(room.mode, 'mesh');
    assert.equal(room.large, true);
    assert.match(room.reason, /does not answer/);
    const s = await status(daemon);
    assert.equal(s.sfu.state, 'unreachable');
    // The admin page says so too.
    const admin = await browser.context.newPage();
    await admin.setExtraHTTPHeaders(ADMIN_AUTH);
    await admin.goto(daemon.url + '/admin');
    const shown = await waitFor(admin, () => {
      const p = document.querySelector('[data-testid=admin-room][data-room=porch] [data-testid=admin-room-media]');
      return p && /because/.test(p.textContent) ? p.textContent : null;
    }, undefined, 'the admin page shows why the room meshes');
    assert.match(shown, /does not answer/);
    // The page was never moved, and still calls the device peer to peer.
    assert.equal(await page.evaluate(() => window.callbox.sfu().sfu), null);
    await joinCall(page, 'dan');
    await mediaFlows(page, 'dan', ['device'], { timeout: 60000 });
    // A room that does not exist cannot be marked.
    const missing = await setLarge(daemon, 'nowhere', true);
    assert.equal(missing.status, 404);
    const bad = await fetch(daemon.url + '/api/admin/large', {
      method: 'POST', headers: { ...ADMIN_AUTH, 'Content-Type': 'application/json' }, body: '{"room":5}',
    });
    assert.equal(bad.status, 400);
  } finally {
    await browser?.close();
    await daemon?.stop();
  }
});
