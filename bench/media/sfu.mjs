// SFU benchmark: the web app's viewers of the device through Debian's Janus (a large room) against
// one direct call — callboxd's CPU with 1 and 12 viewers through Janus (the device publishes once),
// and the device → browser glass-to-glass latency (CLOCKPATTERN.md) direct and through Janus.
//
//   node bench/media/sfu.mjs [--runs 3] [--viewers 12] [--seconds 15] [--out FILE]
//
// Needs root (a loopback-only network namespace, where Janus gathers on 127.0.0.2: see
// tests/lib/janus.mjs), /usr/bin/janus and /usr/bin/chromium. Viewers are receive-only pages of
// the web app, three per Chromium (each Chromium holds at most 6 HTTP/1.1 connections to Janus,
// and each page keeps one in Janus's long poll).
import { writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cpuWindow } from './procfs.mjs';
import {
  sourceRoot, sleep, median, r1, summary, loopbackOnly, privateCallboxd, adminAccess, configText,
  launchBrowser, machineInfo,
} from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { values: opt } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    viewers: { type: 'string', default: '12' },
    seconds: { type: 'string', default: '15' },
    out: { type: 'string', default: join(here, 'results-sfu.json') },
    verbose: { type: 'boolean', default: false },
  },
});
const RUNS = Number(opt.runs);
const VIEWERS = Number(opt.viewers);
const SECONDS = Number(opt.seconds);
const PAGES_PER_BROWSER = 3;
const CPU_WINDOWS = 3;
const CPU_WINDOW_S = 5;

loopbackOnly();
const callboxd = await privateCallboxd();
const { startDaemon } = await import('../../tests/lib/daemon.mjs');
const { startJanus, JANUS_ICE_ADDRESS } = await import('../../tests/lib/janus.mjs');
const log = (...a) => console.error(`[sfu ${new Date().toISOString().slice(11, 19)}]`, ...a);
const ADMIN = adminAccess(callboxd.path);

// The web app as a receive-only viewer: no camera, so Call only receives.
function receiveOnly() {
  Object.defineProperty(navigator, 'mediaDevices', { value: undefined, configurable: true });
}

async function openViewer(browser, d, name) {
  const page = await browser.context.newPage();
  page.setDefaultTimeout(120000); // a busy machine: twelve decoding pages load slowly
  page.on('pageerror', (e) => log(`${name}: page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error' || opt.verbose) log(`${name}: ${m.text()}`); });
  await page.addInitScript(receiveOnly);
  await page.goto(d.url + '/');
  await page.waitForFunction(() => document.getElementById('conn-status')?.dataset.state === 'open', null, { timeout: 30000 });
  await page.fill('#nick-input', name);
  await page.fill('#room-input', 'bench');
  await page.click('#join-button');
  await page.waitForFunction(() => !document.getElementById('send-button').disabled, null, { timeout: 30000 });
  await page.click('[data-testid=call-button]');
  return page;
}

// Frames decoded from the device's tile (direct call or Janus subscription).
const deviceFrames = (page) => page.evaluate(async () => {
  const pc = window.callbox.calls().device;
  if (!pc) return 0;
  let n = 0;
  (await pc.getStats()).forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'video') n += s.framesDecoded ?? 0; });
  return n;
});

async function decoding(page, what, timeoutMs = 90000) {
  const deadline = Date.now() + timeoutMs;
  const first = await deviceFrames(page);
  for (;;) {
    const now = await deviceFrames(page);
    if (now > first + 10) return;
    if (Date.now() > deadline) {
      const state = await page.evaluate(() => ({
        calls: Object.keys(window.callbox.calls()), sfu: window.callbox.sfu(), local: window.callbox.local().phase,
        status: document.getElementById('call-status')?.textContent, route: document.getElementById('media-route')?.textContent,
      }));
      throw new Error(`${what}: no frames from the device (${first} → ${now}); page: ${JSON.stringify(state)}`);
    }
    await sleep(500);
  }
}

async function glassToGlass(page) {
  await page.evaluate(() => window.cb.startReading(document.querySelector('[data-testid=tile][data-peer-id=device] video')));
  await sleep(SECONDS * 1000);
  const st = await page.evaluate(() => window.cb.stopReading());
  return { ...summary(st.samples), rejects: st.rejects, gaps: st.counter_gaps ?? st.gaps };
}

async function daemonCpu(d) {
  const windows = [];
  for (let i = 0; i < CPU_WINDOWS; i++) {
    const w = cpuWindow({ pid: d.child.pid, treeRoot: process.pid, treeExclude: [d.child.pid] });
    await sleep(CPU_WINDOW_S * 1000);
    windows.push(w.end());
  }
  return { daemon_cores: median(windows.map((w) => w.daemon_cores)), other_cores: median(windows.map((w) => w.other_cores)), windows };
}

async function status(d) {
  return (await fetch(d.url + '/api/status', { headers: ADMIN.headers })).json();
}

async function oneRun(run) {
  const janus = await startJanus();
  const config = configText(ADMIN.hash, { ice_addresses: `127.0.0.1,${JANUS_ICE_ADDRESS}`, width: 640, height: 480 }, {
    rooms: { max_browsers: VIEWERS + 4 },
    sfu: { janus_url: janus.url, mesh_max: VIEWERS + 4 },
  });
  const d = await startDaemon({ config, env: { CALLBOX_PIPELINES_DIR: process.env.CALLBOX_PIPELINES_DIR ?? join(sourceRoot, 'pipelines') } });
  const browsers = [];
  try {
    const browserFor = async (i) => {
      const b = Math.floor(i / PAGES_PER_BROWSER);
      if (!browsers[b]) browsers[b] = await launchBrowser({ log, verbose: opt.verbose });
      return browsers[b];
    };
    const first = await openViewer(await browserFor(0), d, 'v0');
    await decoding(first, 'direct call');
    log(`run ${run}: one direct viewer`);
    const direct = { g2g: await glassToGlass(first), cpu: await daemonCpu(d) };
    // The admin moves the room to Janus; the viewer follows without doing anything.
    const moved = await fetch(d.url + '/api/admin/large', {
      method: 'POST', headers: { ...ADMIN.headers, 'Content-Type': 'application/json' }, body: JSON.stringify({ room: 'bench', large: true }),
    });
    if (moved.status !== 204) throw new Error(`moving the room: HTTP ${moved.status}`);
    await first.waitForFunction(() => window.callbox.sfu().sfu !== null, null, { timeout: 60000 });
    await decoding(first, 'one viewer through Janus').catch(async (e) => {
      log(`janus's log ends with:\n${janus.log().split('\n').slice(-40).join('\n')}`);
      log(`callboxd's output ends with:\n${d.output().split('\n').slice(-40).join('\n')}`);
      throw new Error(`${e.message}; callboxd's sfu status: ${JSON.stringify((await status(d)).sfu)}`);
    });
    log(`run ${run}: one viewer through Janus`);
    const one = { g2g: await glassToGlass(first), cpu: await daemonCpu(d) };
    const pages = [first];
    for (let i = 1; i < VIEWERS; i++) pages.push(await openViewer(await browserFor(i), d, `v${i}`));
    for (const [i, p] of pages.entries()) await decoding(p, `viewer ${i} through Janus`);
    log(`run ${run}: ${VIEWERS} viewers through Janus`);
    const many = { cpu: await daemonCpu(d), g2g: await glassToGlass(first) };
    const st = await status(d);
    return {
      run,
      direct, one_sfu: one, many_sfu: many,
      device_publications: st.media.sfu_publications, device_calls: st.media.calls.length,
      cpu_ratio_many_to_one: r1((many.cpu.daemon_cores / one.cpu.daemon_cores) * 100) / 100,
      g2g_added_by_sfu_ms: r1(one.g2g.median - direct.g2g.median),
    };
  } finally {
    for (const b of browsers) await b?.close();
    await d.stop();
    await janus.stop();
  }
}

const runs = [];
for (let run = 1; run <= RUNS; run++) runs.push(await oneRun(run));
const med = (f) => r1(median(runs.map(f)));
const result = {
  about: 'callbox SFU benchmark (bench/media/sfu.mjs): callboxd CPU with 1 and N viewers through Janus, glass-to-glass direct and through Janus; medians over runs',
  meta: { ...machineInfo({ context: null, callboxd: callboxd.path }), viewers: VIEWERS, runs: RUNS, seconds: SECONDS, load_average: (await import('node:os')).loadavg() },
  median: {
    daemon_cores_direct_1: med((r) => r.direct.cpu.daemon_cores * 1000) / 1000,
    daemon_cores_sfu_1: med((r) => r.one_sfu.cpu.daemon_cores * 1000) / 1000,
    daemon_cores_sfu_n: med((r) => r.many_sfu.cpu.daemon_cores * 1000) / 1000,
    cpu_ratio_n_to_1: med((r) => r.cpu_ratio_many_to_one * 100) / 100,
    g2g_p50_direct_ms: med((r) => r.direct.g2g.median),
    g2g_p50_sfu_ms: med((r) => r.one_sfu.g2g.median),
    g2g_p50_sfu_n_viewers_ms: med((r) => r.many_sfu.g2g.median),
    g2g_added_by_sfu_ms: med((r) => r.g2g_added_by_sfu_ms),
  },
  runs,
};
writeFileSync(opt.out, JSON.stringify(result, null, 1));
console.log(JSON.stringify(result.median, null, 1));
callboxd.remove();
