// E2E: the admin page behind HTTP Basic auth: 401 without or with wrong credentials (403 when no password is set),
// rooms and members from WebSocket clients, kick with a confirm step, the device's mute toggles, the device pickers, phone width.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import { startDaemon, callboxdPath } from '../lib/daemon.mjs';
import { WsClient } from '../lib/ws-client.mjs';
import { withTimeout } from '../lib/wait.mjs';
import { CHROMIUM, CHROMIUM_FLAGS, requireChromium, waitFor, click } from './browser.mjs';

requireChromium();

const PASSWORD = 'test pass wörd 42';
const ROOM = 'kitchen';
const EVIL = '<img src=x onerror=f()>'; // HTML within the 24-character nick limit
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// `callboxd --hash-password` reads the password on stdin and prints the hash line.
function hashPassword(password) {
  return new Promise((resolve, reject) => {
    const child = spawn(callboxdPath(), ['--hash-password'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => { out += c; });
    child.stderr.on('data', (c) => { err += c; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = out.split('\n').map((l) => l.trim()).filter(Boolean).pop() ?? '';
      if (code !== 0 || !line) {
        reject(new Error(`callboxd --hash-password failed (${signal ?? code}): ${(err || out).trim().slice(0, 400)}`));
      } else {
        // Accept either the bare hash or a ready-made "admin_password_hash=..." line.
        resolve(line.replace(/^admin_password_hash\s*=\s*/, ''));
      }
    });
    child.stdin.end(`${password}\n`);
  });
}

const basic = (password, user = 'admin') => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

async function request(daemon, path, { password, method = 'GET', body } = {}) {
  const headers = {};
  if (password !== undefined) headers.Authorization = basic(password);
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(daemon.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), redirect: 'manual' });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

async function adminJson(daemon, path) {
  const r = await request(daemon, path, { password: PASSWORD });
  assert.equal(r.status, 200, `GET ${path} with the admin password: HTTP ${r.status}: ${r.text.slice(0, 200)}`);
  return JSON.parse(r.text);
}

async function eventually(fn, what, timeout = 10000) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e.message;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what} (last: ${JSON.stringify(last)})`);
    await sleep(200);
  }
}

function expectChallenge(r, what) {
  assert.equal(r.status, 401, `${what}: expected 401, got ${r.status}: ${r.text.slice(0, 200)}`);
  assert.match(r.headers.get('www-authenticate') ?? '', /^Basic realm="callbox admin"/i, `${what}: WWW-Authenticate`);
}

async function newAdminPage(browser, name, viewport, problems) {
  const context = await browser.newContext({
    httpCredentials: { username: 'admin', password: PASSWORD },
    viewport,
  });
  const page = await context.newPage();
  page.on('dialog', async (d) => {
    problems.push(`${name}: unexpected dialog "${d.message()}"`);
    await d.dismiss().catch(() => {});
  });
  page.on('pageerror', (e) => problems.push(`${name}: page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`${name}: console error: ${m.text()}`);
  });
  return { context, page };
}

async function openAdmin(page, daemon, name) {
  const res = await page.goto(`${daemon.url}/admin`);
  assert.equal(res.status(), 200, `${name}: /admin with credentials: HTTP ${res.status()}`);
  await waitFor(page, () => document.getElementById('conn-status')?.dataset.state === 'open',
    undefined, `${name}: the admin page has read /api/status`);
}

// The member row for `id` on the admin page: { room, nick } or null.
function memberShown(page, id) {
  return page.evaluate((i) => {
    const li = document.querySelector(`[data-testid=admin-member][data-id="${CSS.escape(i)}"]`);
    return li ? { room: li.closest('[data-testid=admin-room]').dataset.room, nick: li.querySelector('[data-testid=admin-member-nick]').textContent } : null;
  }, id);
}

// What the page's picker offers: [{id, name}] from the device list (a source not in the list is marked extra) and the selection.
function pickerShown(page, selectId) {
  return page.evaluate((sid) => {
    const s = document.getElementById(sid);
    return {
      options: [...s.options].filter((o) => o.dataset.testid && !o.dataset.extra).map((o) => ({ id: o.value, name: o.textContent })),
      value: s.value,
    };
  }, selectId);
}

async function checkPicker(page, daemon, kind, selectId) {
  await eventually(async () => {
    const devices = await adminJson(daemon, '/api/admin/devices');
    assert.ok(Array.isArray(devices[kind]), `/api/admin/devices has a "${kind}" array: ${JSON.stringify(devices)}`);
    const want = devices[kind].map((d) => ({ id: d.id, name: d.name || d.id }));
    const shown = await pickerShown(page, selectId);
    assert.deepEqual(shown.options, want, `${kind}: the picker lists what /api/admin/devices returns`);
    const current = devices[kind].find((d) => d.current);
    if (current) assert.equal(shown.value, current.id, `${kind}: the current one is selected`);
    return { count: want.length, current: current?.id ?? null };
  }, `the ${kind} picker matches /api/admin/devices`, 15000).then((r) => console.log(`# ${kind}: ${r.count} listed, current ${r.current}`));
}

// Picks `id` in the page's picker and waits for /api/admin/devices to report it as current and the page to select it.
async function switchTo(page, daemon, kind, selectId, id) {
  await page.bringToFront();
  await page.selectOption(`#${selectId}`, id);
  await eventually(async () => (await adminJson(daemon, '/api/admin/devices'))[kind].find((d) => d.id === id)?.current === true,
    `/api/admin/devices reports ${kind} "${id}" as current after picking it`);
  await waitFor(page, ([sid, v]) => {
    const s = document.getElementById(sid);
    return !s.disabled && s.value === v;
  }, [selectId, id], `#${selectId} shows "${id}" selected`, 15000);
}

// field: a member of /api/status's media, or a path into it ('echo_cancel.active').
async function toggleMute(page, daemon, button, field) {
  const read = (status) => field.split('.').reduce((o, k) => o?.[k], status.media);
  const before = read(await adminJson(daemon, '/api/status'));
  assert.equal(typeof before, 'boolean', `/api/status media.${field} is a boolean`);
  await waitFor(page, ([b, v]) => {
    const el = document.getElementById(b);
    return !el.disabled && el.getAttribute('aria-pressed') === String(v);
  }, [button, before], `#${button} shows ${field}=${before}`);
  for (const want of [!before, before]) {
    await click(page, `#${button}`);
    await eventually(async () => read(await adminJson(daemon, '/api/status')) === want,
      `/api/status media.${field} becomes ${want} after clicking #${button}`);
    await waitFor(page, ([b, v]) => {
      const el = document.getElementById(b);
      return !el.disabled && el.getAttribute('aria-pressed') === String(v);
    }, [button, want], `#${button} shows ${field}=${want}`);
  }
}

test('admin', { timeout: 170000 }, async (t) => {
  const daemons = [];
  const clients = [];
  let browser;
  try {
    const hash = await hashPassword(PASSWORD);
    assert.ok(hash.length > 0 && !hash.includes(PASSWORD), `the hash line does not contain the password: ${hash}`);

    // Without an admin password the admin page is off, and says how to turn it on.
    const plain = await startDaemon();
    daemons.push(plain);
    const off = await request(plain, '/admin', { password: PASSWORD });
    assert.equal(off.status, 403, `/admin without a configured password: expected 403, got ${off.status}`);
    assert.match(off.text, /--hash-password/, '403 text names callboxd --hash-password');
    await plain.stop();
    daemons.pop();

    const daemon = await startDaemon({ config: `[server]\nadmin_password_hash=${hash}\n` });
    daemons.push(daemon);

    // The page and the admin API need the password.
    expectChallenge(await request(daemon, '/admin'), '/admin without credentials');
    expectChallenge(await request(daemon, '/admin', { password: 'wrong' }), '/admin with a wrong password');
    expectChallenge(await request(daemon, '/api/admin/devices'), '/api/admin/devices without credentials');
    expectChallenge(await request(daemon, '/api/admin/kick', { method: 'POST', body: { id: 'p1' } }), 'kick without credentials');
    expectChallenge(await request(daemon, '/api/admin/mute', { method: 'POST', password: 'wrong', body: { audio: true, video: true } }),
      'mute with a wrong password');
    const ok = await request(daemon, '/admin', { password: PASSWORD });
    assert.equal(ok.status, 200, `/admin with the password: HTTP ${ok.status}`);
    assert.match(ok.headers.get('content-type') ?? '', /^text\/html/, '/admin is HTML');
    assert.match(ok.text, /js\/admin\.js/, '/admin is the admin page');

    // Two browsers in the kitchen: bob, and one whose name is HTML.
    const bob = await WsClient.connect(daemon.wsUrl, { label: 'bob' });
    clients.push(bob);
    await bob.join(ROOM, 'bob');
    const evil = await WsClient.connect(daemon.wsUrl, { label: 'evil' });
    clients.push(evil);
    await evil.join(ROOM, EVIL);

    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
    const problems = [];
    const { page } = await newAdminPage(browser, 'admin', { width: 1000, height: 900 }, problems);
    await openAdmin(page, daemon, 'admin');

    // Rooms and members, shown as text.
    await eventually(async () => (await memberShown(page, bob.id))?.nick === 'bob', 'bob listed on the admin page');
    assert.deepEqual(await memberShown(page, bob.id), { room: ROOM, nick: 'bob' });
    await eventually(async () => (await memberShown(page, evil.id))?.nick === EVIL, 'the HTML nick listed as text');
    assert.equal(await page.locator('img').count(), 0, 'no <img> made from a nick');

    // The header names the device (as the WebSocket welcome does); health shows the media state and uptime.
    const deviceName = bob.welcome.device?.name;
    if (deviceName) {
      await waitFor(page, ([n]) => document.getElementById('device-name').textContent === n, [deviceName], `device name "${deviceName}" in the header`);
    }
    const status = await adminJson(daemon, '/api/status');
    if (typeof status.media?.state === 'string') {
      await waitFor(page, ([s]) => document.getElementById('stat-media').textContent === s, [status.media.state], 'media state in Health');
    }
    await waitFor(page, () => /\d/.test(document.getElementById('stat-uptime').textContent), undefined, 'uptime in Health');

    // Kick asks first; Cancel keeps bob.
    await click(page, `[data-testid=admin-member][data-id="${bob.id}"] [data-testid=admin-kick]`);
    await waitFor(page, ([id]) => {
      const li = document.querySelector(`[data-testid=admin-member][data-id="${id}"]`);
      return li && li.querySelector('[data-testid=admin-kick-question]').checkVisibility()
        && li.querySelector('[data-testid=admin-kick-question]').textContent.includes('bob');
    }, [bob.id], 'a confirm step for kicking bob');
    await sleep(2500); // a status refresh (every 2 s) must not lose the confirm step
    assert.ok(await page.evaluate((id) => document.querySelector(`[data-testid=admin-member][data-id="${id}"] [data-testid=admin-kick-confirm]`)
      ?.checkVisibility(), bob.id), 'the confirm step survives a status refresh');
    await click(page, `[data-testid=admin-member][data-id="${bob.id}"] [data-testid=admin-kick-cancel]`);
    await bob.assertAlive();
    bob.discard('rooms');

    // The device's own mute and camera-off toggles change what /api/status reports.
    await toggleMute(page, daemon, 'admin-mute', 'audio_muted');
    await toggleMute(page, daemon, 'admin-camera', 'video_muted');
    // The echo cancellation switch (off on the test microphone, so on, then off again).
    await toggleMute(page, daemon, 'admin-echo', 'echo_cancel.active');

    // The pickers list what /api/admin/devices returns, with the current one selected.
    await checkPicker(page, daemon, 'cameras', 'admin-camera-select');
    await checkPicker(page, daemon, 'microphones', 'admin-mic-select');
    // Switching through the page, to the built-in test sources (safe on any machine) when they are not in use yet.
    for (const [kind, selectId] of [['cameras', 'admin-camera-select'], ['microphones', 'admin-mic-select']]) {
      const source = (await adminJson(daemon, '/api/admin/devices'))[kind].find((d) => d.id === 'test');
      if (source && !source.current) await switchTo(page, daemon, kind, selectId, 'test');
      else t.diagnostic(`${kind}: no switch to try (test source ${source ? 'already current' : 'not listed'})`);
    }
    await checkPicker(page, daemon, 'cameras', 'admin-camera-select');
    await bob.assertAlive();
    bob.discard('rooms');

    // Kick for real: bob's socket is closed, and bob leaves the page and the status.
    await click(page, `[data-testid=admin-member][data-id="${bob.id}"] [data-testid=admin-kick]`);
    await click(page, `[data-testid=admin-member][data-id="${bob.id}"] [data-testid=admin-kick-confirm]`);
    const closed = await withTimeout(bob.closed, 5000, 'bob disconnected by the kick');
    t.diagnostic(`bob's socket closed: ${JSON.stringify(closed)}`);
    await eventually(async () => (await memberShown(page, bob.id)) === null, 'bob gone from the admin page');
    await eventually(async () => {
      const s = await adminJson(daemon, '/api/status');
      return !JSON.stringify(s.rooms ?? []).includes(`"${bob.id}"`);
    }, 'bob gone from /api/status');
    assert.ok(evil.open, 'kicking bob leaves the other member connected');
    await evil.assertAlive();

    // Phone width: no sideways scrolling.
    const phone = await newAdminPage(browser, 'phone', { width: 360, height: 740 }, problems);
    await openAdmin(phone.page, daemon, 'phone');
    await eventually(async () => (await memberShown(phone.page, evil.id)) !== null, 'the phone page lists the room');
    const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 1, `the admin page is ${overflow} px wider than a 360 px phone`);

    assert.deepEqual(problems, [], 'no dialogs, page errors or console errors');
  } finally {
    await Promise.all(clients.map((c) => c.terminate()));
    if (browser) await browser.close().catch(() => {});
    for (const d of daemons) {
      const r = await d.stop();
      if (r.code !== 0) throw new Error(`callboxd did not exit cleanly: ${JSON.stringify(r)}\n${d.output().slice(-2000)}`);
    }
  }
});
