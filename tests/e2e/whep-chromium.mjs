// E2E (loopback-only netns): a WHEP viewer nobody here wrote — npm whip-whep's WHEPClient in Chromium — watches
// the device: 201, media decoded, trickle PATCHes taken, DELETE on stop frees the call (callbox_calls).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { startDaemon, sourceRoot } from '../lib/daemon.mjs';
import { requireChromium, waitFor } from './browser.mjs';
import { requireLoopbackOnly, launchMediaBrowser } from './calls.mjs';
import { metric } from '../lib/metrics.mjs';

requireChromium();
requireLoopbackOnly();

const CODE = '1357';
const CONFIG = `[rooms]\naccess_code=${CODE}\n[media]\nice_addresses=127.0.0.1\n`;
const ENV = { CALLBOX_PIPELINES_DIR: process.env.CALLBOX_PIPELINES_DIR ?? join(sourceRoot, 'pipelines') };
const WHEP_JS = readFileSync(join(createRequire(import.meta.url).resolve('whip-whep/package.json'), '..', 'whep.js'));
// A test-only page on the daemon's own origin (served by the browser's request routing, not by callboxd).
const PAGE = `<!doctype html><video id=v autoplay muted playsinline></video><script type=module>
import { WHEPClient } from './whep.js';
window.watch = async (token) => {
  const pc = new RTCPeerConnection();
  pc.addTransceiver('video', { direction: 'recvonly' });
  pc.addTransceiver('audio', { direction: 'recvonly' });
  pc.ontrack = (ev) => { document.getElementById('v').srcObject = ev.streams[0] ?? new MediaStream([ev.track]); };
  const whep = new WHEPClient();
  window.pc = pc;
  window.whep = whep;
  await whep.view(pc, new URL('/whep', location.href).href, token);
  return whep.resourceURL.pathname;
};
window.frames = async () => {
  let n = 0;
  (await window.pc.getStats()).forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'video') n += s.framesDecoded ?? 0; });
  return n;
};
</script>`;

async function callsMetric(daemon) {
  return metric(daemon, 'callbox_calls');
}

async function until(what, fn, timeout = 20000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('whep-chromium', { timeout: 170000 }, async (t) => {
  let daemon;
  let browser;
  try {
    daemon = await startDaemon({ config: CONFIG, env: ENV });
    browser = await launchMediaBrowser();
    const page = await browser.context.newPage();
    const problems = [];
    page.on('pageerror', (e) => problems.push(e.message));
    const patches = [];
    page.on('response', (r) => { if (r.request().method() === 'PATCH') patches.push(r.status()); });
    await page.route('**/whep-viewer/**', (route) => {
      const js = route.request().url().endsWith('/whep.js');
      route.fulfill({ status: 200, contentType: js ? 'text/javascript' : 'text/html', body: js ? WHEP_JS : PAGE });
    });
    await page.goto(`${daemon.url}/whep-viewer/index.html`);
    await page.waitForFunction(() => typeof window.watch === 'function');

    // A wrong token: the client reports the 401.
    const refused = await page.evaluate(() => window.watch('0000').then(() => 'viewing', (e) => e.message));
    assert.match(refused, /401/);

    await page.reload();
    await page.waitForFunction(() => typeof window.watch === 'function');
    const resource = await page.evaluate((code) => window.watch(code), CODE);
    assert.match(resource, /^\/whep\/[0-9a-f-]{36}$/);
    assert.equal(await callsMetric(daemon), 1, 'a WHEP viewer is a call');
    const first = await until('video frames decoded', () => page.evaluate(() => window.frames()));
    await until('more video frames', async () => (await page.evaluate(() => window.frames())) > first);
    await waitFor(page, () => window.pc.connectionState === 'connected', undefined, 'connected');
    // Chromium trickled its candidates with PATCH; each was taken.
    await until('a trickle PATCH answered', () => patches.length > 0);
    assert.deepEqual([...new Set(patches)], [204], `PATCH statuses ${patches}`);

    await page.evaluate(() => window.whep.stop());
    await until('the call is freed after DELETE', async () => (await callsMetric(daemon)) === 0);
    assert.deepEqual(problems, []);
  } finally {
    await browser?.close().catch((e) => console.error('closing the browser:', e));
    await daemon?.stop();
  }
});
