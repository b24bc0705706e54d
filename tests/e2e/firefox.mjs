// Debian's Firefox ESR for the browser tests: puppeteer-core over WebDriver BiDi, fake media by prefs, loopback ICE, and pages with the part of Playwright's page API the tests use.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import puppeteer from 'puppeteer-core';
import { makeTempDir } from '../lib/daemon.mjs';
import { skipFile } from '../lib/skip.mjs';

export const FIREFOX = process.env.CALLBOX_FIREFOX || '/usr/bin/firefox-esr';

// What Firefox needs for a call inside a loopback-only namespace (docs/firefox.md says why each).
export const FIREFOX_PREFS = {
  // A fake camera (a coloured frame) and a fake microphone (a tone), and no permission prompt.
  'media.navigator.streams.fake': true,
  'media.navigator.permission.disabled': true,
  // ICE on 127.0.0.1: loopback candidates are gathered only with this on.
  'media.peerconnection.ice.loopback': true,
  // Off by default already; pinned, since either one on leaves no loopback host candidate.
  'media.peerconnection.ice.default_address_only': false,
  'media.peerconnection.ice.no_host': false,
  // Host candidates as addresses, not mDNS ".local" names (which the device does not resolve).
  'media.peerconnection.ice.obfuscate_host_addresses': false,
  // A namespace with no route but loopback looks offline to Firefox's link service, and while
  // offline Firefox puts off ICE gathering (the state stays "new"): keep it online.
  'network.manage-offline-status': false,
  'network.offline-mirrors-connectivity': false,
  // Sound may start without a click; the test cannot tap.
  'media.autoplay.default': 0,
  'media.autoplay.blocking_policy': 0,
  // Quiet: no first-run pages, updates or telemetry traffic from the test browser.
  'browser.shell.checkDefaultBrowser': false,
  'app.update.enabled': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'toolkit.telemetry.enabled': false,
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
};

// The namespace's own address for Firefox (TEST-NET-1, RFC 5737), on lo: never routed anywhere.
export const NAMESPACE_ADDRESS = '192.0.2.1';

// Firefox gathers no ICE candidate at all in a namespace that has only 127.0.0.1 and no default
// route (docs/firefox.md): inside the test's own loopback-only namespace (run by netns-run, so
// nothing here can leave the machine), give lo a second address and a default route through lo.
// Call after requireLoopbackOnly(); skips the file where the namespace cannot be changed.
export function prepareNamespaceForFirefox() {
  for (const args of [['addr', 'add', `${NAMESPACE_ADDRESS}/32`, 'dev', 'lo'],
    ['route', 'add', 'default', 'dev', 'lo', 'src', NAMESPACE_ADDRESS]]) {
    const r = spawnSync('ip', args, { encoding: 'utf8' });
    if (r.status !== 0) skipFile(`cannot prepare the namespace for Firefox (ip ${args.join(' ')}: ${r.stderr?.trim() || r.error?.message})`);
  }
}

// Skips the whole file when there is no Firefox to drive; never downloads one.
export function requireFirefox() {
  if (!existsSync(FIREFOX)) skipFile(`${FIREFOX} not found (install Debian's firefox-esr)`);
  if (!process.env.CALLBOXD) {
    console.error('CALLBOXD is not set (run through meson test, or set CALLBOXD=build/src/callboxd)');
    process.exit(1);
  }
}

// A Puppeteer page dressed as the Playwright page that tests/e2e's helpers drive.
function playwrightLike(page) {
  const listeners = new Map([['dialog', []], ['pageerror', []], ['console', []]]);
  page.on('dialog', (d) => listeners.get('dialog').forEach((f) => f(d)));
  page.on('pageerror', (e) => listeners.get('pageerror').forEach((f) => f(e)));
  page.on('console', (m) => listeners.get('console').forEach((f) => f({
    type: () => (m.type() === 'error' ? 'error' : m.type()),
    text: () => m.text(),
    location: () => m.location() ?? {},
  })));
  return {
    raw: page,
    problems: [],
    on(event, fn) { listeners.get(event)?.push(fn); },
    addInitScript: (fn) => page.evaluateOnNewDocument(fn),
    goto: (url) => page.goto(url),
    evaluate: (fn, arg) => page.evaluate(fn, arg),
    waitForFunction: (fn, arg, { timeout, polling } = {}) => page.waitForFunction(fn, { timeout, polling }, arg),
    bringToFront: () => page.bringToFront(),
    click: (selector) => page.click(selector),
    fill: (selector, text) => page.locator(selector).fill(text),
    textContent: (selector) => page.$eval(selector, (e) => e.textContent),
    close: () => page.close(),
  };
}

// Firefox with a fresh profile; { context: { newPage() }, close() } like launchBrowser().
export async function launchFirefox() {
  const profile = makeTempDir('firefox-profile-');
  let browser;
  try {
    browser = await puppeteer.launch({
      browser: 'firefox',
      executablePath: FIREFOX,
      headless: true,
      userDataDir: profile,
      extraPrefsFirefox: FIREFOX_PREFS,
      defaultViewport: { width: 1000, height: 800 },
      protocolTimeout: 60000,
    });
  } catch (e) {
    rmSync(profile, { recursive: true, force: true });
    throw e;
  }
  return {
    browser,
    context: { newPage: async () => playwrightLike(await browser.newPage()) },
    async close() {
      try { await browser.close(); } finally { rmSync(profile, { recursive: true, force: true }); }
    },
  };
}
