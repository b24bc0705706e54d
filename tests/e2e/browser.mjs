// Shared helpers for the browser tests: launch headless Debian Chromium via playwright-core, DOM wait helpers,
// and the set-up of the restart tests (a daemon that stops and comes back on the same port and data).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startDaemon, makeTempDir } from '../lib/daemon.mjs';
import { skipFile } from '../lib/skip.mjs';

export const CHROMIUM = process.env.CALLBOX_CHROMIUM || '/usr/bin/chromium';

export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--headless',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-dev-shm-usage',
];

// Skips the whole file when there is no Chromium to drive; never downloads one.
export function requireChromium() {
  if (!existsSync(CHROMIUM)) skipFile(`${CHROMIUM} not found (install Debian's chromium)`);
  if (!process.env.CALLBOXD) {
    console.error('CALLBOXD is not set (run through meson test, or set CALLBOXD=build/src/callboxd)');
    process.exit(1);
  }
}

// A fresh profile directory per launch; close() removes it again.
// bypassCSP: for pages whose test instrumentation loads scripts the app's CSP refuses (an
// AudioWorklet from a blob: URL).
export async function launchBrowser({ viewport = { width: 1000, height: 800 }, extraArgs = [], bypassCSP = false } = {}) {
  let profile;
  try {
    profile = makeTempDir('chromium-profile-');
  } catch {
    profile = mkdtempSync(join('/tmp', 'callbox-chromium-'));
  }
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_FLAGS, ...extraArgs],
    viewport,
    bypassCSP,
  });
  return {
    context,
    async close() {
      try { await context.close(); } finally { rmSync(profile, { recursive: true, force: true }); }
    },
  };
}

// Opens a page on the app and records anything that should never happen (dialogs, page errors).
// initScript (a function) runs in the page before the app, e.g. to take getUserMedia away.
export async function openApp(context, url, name, { initScript } = {}) {
  const page = await context.newPage();
  if (initScript) await page.addInitScript(initScript);
  page.problems = [];
  page.on('dialog', async (d) => {
    page.problems.push(`${name}: unexpected dialog "${d.message()}"`);
    await d.dismiss().catch(() => {});
  });
  page.on('pageerror', (e) => page.problems.push(`${name}: page error: ${e.message}`));
  page.on('console', (m) => {
    // The browser itself (not the app) fetches the favicon, at times late; a test that stops
    // the daemon on purpose may see that fetch refused.
    if (m.type() === 'error' && !m.location().url?.endsWith('/favicon.svg')) {
      page.problems.push(`${name}: console error: ${m.text()} (${m.location().url ?? 'no url'})`);
    }
  });
  await page.goto(url + '/');
  await waitFor(page, () => document.getElementById('conn-status')?.dataset.state === 'open',
    undefined, `${name}: connected`);
  return page;
}

// Waits until fn(arg) is truthy in the page; fails with `what` in the message on timeout.
export async function waitFor(page, fn, arg, what, timeout = 10000) {
  try {
    const handle = await page.waitForFunction(fn, arg, { timeout, polling: 50 });
    return await handle.jsonValue();
  } catch (e) {
    const dump = await page.evaluate(() => ({
      status: document.getElementById('conn-text')?.textContent,
      error: document.getElementById('error')?.hidden ? '' : document.getElementById('error-text')?.textContent,
      view: document.body.dataset.view,
      rooms: [...document.querySelectorAll('[data-testid=room-item]')].map((li) => li.textContent),
      members: [...document.querySelectorAll('#member-list li')].map((li) => li.dataset.nick),
      messages: [...document.querySelectorAll('#messages li')].map((li) => `${li.dataset.kind}: ${li.textContent}`),
    })).catch(() => ({}));
    throw new Error(`timed out waiting for: ${what}\npage state: ${JSON.stringify(dump, null, 1)}\n(${e.message.split('\n')[0]})`);
  }
}

// Clicks in `page` after bringing it to the front: Chromium throttles animation frames in
// background tabs, and Playwright's "element is stable" check waits on them.
export async function click(page, selector) {
  await page.bringToFront();
  await page.click(selector);
}

// Fills the lobby form and joins; waits for the room view.
export async function joinRoom(page, nick, room, { viaList = false } = {}) {
  await page.fill('#nick-input', nick);
  if (viaList) {
    const item = page.locator(`#room-list button[data-room="${room}"]`);
    await item.waitFor({ timeout: 10000 });
    await page.bringToFront();
    await item.click();
  } else {
    await page.fill('#room-input', room);
    await click(page, '#join-button');
  }
  await waitFor(page, ([r]) => document.body.dataset.view === 'room'
    && document.getElementById('room-name').textContent === r
    && !document.getElementById('send-button').disabled, [room], `${nick} joined ${room}`);
}

export async function sendChat(page, text) {
  await page.fill('#chat-input', text);
  await click(page, '#send-button');
}

// The count shown for `room` in the lobby room list, or null when the room is not listed.
export function roomCountIs(page, room, count, what) {
  return waitFor(page, ([r, c]) => {
    const li = [...document.querySelectorAll('#room-list [data-testid=room-item]')].find((x) => x.dataset.room === r);
    const shown = li ? Number(li.querySelector('[data-testid=room-count]').textContent) : null;
    return c === null ? shown === null : shown === c;
  }, [room, count], what ?? `room list shows ${room} with ${count}`);
}

// Waits for a message (kind chat|whisper) whose text is exactly `text`; returns { from, text, kind, direction }.
export function messageShown(page, kind, text, what) {
  return waitFor(page, ([k, t]) => {
    const li = [...document.querySelectorAll('#messages [data-testid=message]')]
      .find((x) => x.dataset.kind === k && x.querySelector('[data-testid=message-text]').textContent === t);
    return li ? {
      from: li.querySelector('[data-testid=message-from]').textContent,
      text: li.querySelector('[data-testid=message-text]').textContent,
      kind: li.dataset.kind,
      direction: li.dataset.direction ?? null,
    } : null;
  }, [kind, text], what ?? `${kind} "${text}" shown`);
}

export function noticeShown(page, text, what) {
  return waitFor(page, ([t]) => [...document.querySelectorAll('#messages [data-testid=notice]')]
    .some((li) => li.textContent === t), [text], what ?? `notice "${text}"`);
}

export function membersAre(page, nicks, what) {
  const want = [...nicks].sort();
  return waitFor(page, ([w]) => {
    const got = [...document.querySelectorAll('#member-list [data-testid=member]')].map((li) => li.dataset.nick).sort();
    return JSON.stringify(got) === JSON.stringify(w);
  }, [want], what ?? `member list is ${want.join(', ')}`);
}

// Opens a page per name on the app and joins each to `room`, then runs then(page, name) before the next one;
// returns { name: page }.
export async function openJoined(context, url, names, room, then = async () => {}) {
  const pages = {};
  for (const name of names) {
    pages[name] = await openApp(context, url, name);
    await joinRoom(pages[name], name, room);
    await then(pages[name], name);
  }
  return pages;
}

// For tests of the daemon going away: a daemon on a data dir of its own and a browser from `launch`.
// body gets { daemon, browser, stop(), restart() }: stop() ends the daemon, restart() starts it again
// on the same port with the same data. The browser, the daemon and the data dir are cleaned up after.
export async function withRestartableDaemon(launch, body) {
  const dataDir = makeTempDir();
  let port;
  const box = {
    daemon: null,
    browser: null,
    async stop() {
      await box.daemon.stop();
      box.daemon = null;
    },
    async restart() {
      box.daemon = await startDaemon({ dataDir, args: ['--port', port] });
      assert.equal(new URL(box.daemon.url).port, port, 'restarted daemon listens on the same port');
      return box.daemon;
    },
  };
  try {
    box.daemon = await startDaemon({ dataDir });
    port = new URL(box.daemon.url).port;
    box.browser = await launch();
    await body(box);
  } finally {
    await box.browser?.close().catch((e) => console.error('closing the browser:', e));
    await box.daemon?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
