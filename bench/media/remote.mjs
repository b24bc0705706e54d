// Remote-access media benchmark: a call's first frame and device → browser glass-to-glass over a
// TURN relay (a real coturn on loopback, device and browser relay-only) against host candidates,
// and a WHEP viewer's first frame (npm whip-whep's WHEPClient) against the app's signalling.
//
//   node bench/media/remote.mjs [--runs N] [--seconds S] [--out FILE]
//
// Like run.mjs: $CALLBOXD or build/src/callboxd, a loopback-only network namespace (root).
// Each figure is the median over N runs (default 5), each run on a fresh daemon.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  sourceRoot, sleep, median, r1, loopbackOnly, privateCallboxd, configText, launchBrowser, call, firstFrame,
  hangup, machineInfo,
} from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { values: opt } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '8' },
    out: { type: 'string', default: join(here, 'results-remote.json') },
  },
});
const RUNS = Number(opt.runs);
const SECONDS = Number(opt.seconds);

loopbackOnly();
const callboxd = await privateCallboxd();
const { startDaemon } = await import('../../tests/lib/daemon.mjs');
const { startCoturn } = await import('../../tests/lib/coturn.mjs');
const WHEP_JS = readFileSync(join(createRequire(join(sourceRoot, 'tests', 'package.json')).resolve('whip-whep/package.json'), '..', 'whep.js'));
const log = (...a) => console.error(`[remote ${new Date().toISOString().slice(11, 19)}]`, ...a);
const PIPELINES = process.env.CALLBOX_PIPELINES_DIR ?? join(sourceRoot, 'pipelines');

const turn = await startCoturn();
const browser = await launchBrowser({ log });
await browser.context.route('**/bench-whep/whep.js', (route) => route.fulfill({ status: 200, contentType: 'text/javascript', body: WHEP_JS }));

const ICE = { ice: { turn: turn.url, turn_secret: turn.secret, relay_only: 'true' } };
async function daemon(relay) {
  const media = relay ? { ice_addresses: '127.0.0.1,127.0.0.2' } : {};
  return startDaemon({ config: configText(null, media, relay ? ICE : {}), env: { CALLBOX_PIPELINES_DIR: PIPELINES } });
}

// The browser's selected candidate pair: "local/remote" candidate types.
const pairType = (page) => page.evaluate(async () => {
  let out = null;
  const pc = window.cbPc;
  const stats = await pc.getStats();
  stats.forEach((s) => {
    if (s.type !== 'transport' || !s.selectedCandidatePairId) return;
    const p = stats.get(s.selectedCandidatePairId);
    out = `${stats.get(p.localCandidateId)?.candidateType}/${stats.get(p.remoteCandidateId)?.candidateType}`;
  });
  return out;
});

// One app call (page.js: the browser offers over the WebSocket) on a fresh daemon: offer → first frame, then
// SECONDS of the device's clock pattern read in the browser (glass-to-glass).
async function appRun(relay, latency = true) {
  const d = await daemon(relay);
  try {
    const page = await browser.openPage(d);
    await page.evaluate(() => {
      const Orig = window.RTCPeerConnection;
      window.RTCPeerConnection = function (...a) { window.cbPc = new Orig(...a); return window.cbPc; };
    });
    await page.bringToFront();
    await call(page, { send: 'none', video: true });
    const first = await firstFrame(page, 20000);
    if (first.firstFrame === null) throw new Error(`no frame (${relay ? 'TURN' : 'host'}): ${JSON.stringify(first)}`);
    const pair = await pairType(page);
    if (!latency) {
      await hangup(page);
      await page.close();
      return { first_frame_ms: first.firstFrame, answer_ms: first.answer };
    }
    await sleep(2000);
    await page.evaluate(() => window.cb.startReading());
    await sleep(SECONDS * 1000);
    const read = await page.evaluate(() => window.cb.stopReading());
    await hangup(page);
    await page.close();
    return { first_frame_ms: first.firstFrame, answer_ms: first.answer, connected_ms: first.pcConnected, pair, g2g_median_ms: r1(median(read.samples)), g2g_samples: read.samples.length };
  } finally {
    await d.stop();
  }
}

// One WHEP viewer on a fresh daemon: whep.view() (offer, POST, answer) → first frame.
async function whepRun() {
  const d = await daemon(false);
  try {
    const page = await browser.openPage(d, null);
    await page.bringToFront();
    const t = await page.evaluate(async () => {
      const { WHEPClient } = await import('/bench-whep/whep.js');
      const pc = new RTCPeerConnection();
      pc.addTransceiver('audio', { direction: 'recvonly' });
      pc.addTransceiver('video', { direction: 'recvonly' });
      const start = performance.now();
      let posted = null;
      const frame = new Promise((resolve) => {
        pc.ontrack = (e) => {
          if (e.track.kind !== 'video') return;
          const v = document.createElement('video');
          v.muted = true; v.autoplay = true; v.playsInline = true;
          v.srcObject = new MediaStream([e.track]);
          document.body.append(v);
          v.requestVideoFrameCallback(() => resolve(performance.now()));
        };
      });
      const whep = new WHEPClient();
      await whep.view(pc, new URL('/whep', location.href).href);
      posted = performance.now();
      const shown = await Promise.race([frame, new Promise((r) => setTimeout(() => r(null), 20000))]);
      await whep.stop();
      return { first_frame_ms: shown === null ? null : +(shown - start).toFixed(1), answer_ms: +(posted - start).toFixed(1) };
    });
    if (t.first_frame_ms === null) throw new Error('WHEP: no frame');
    await page.close();
    return t;
  } finally {
    await d.stop();
  }
}

// A run that shows no frame in 20 s (this machine is often far past busy) is retried, and counted.
let failures = 0;
async function retried(what, fn) {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (e) {
      failures++;
      log(`${what}: ${e.message}${i < 2 ? '; again' : ''}`);
      if (i >= 2) throw e;
    }
  }
}

const results = { about: 'bench/media/remote.mjs: TURN vs host candidates, WHEP vs the app (see docs/benchmarks.md)', meta: machineInfo({ context: browser.context, callboxd: callboxd.source }), runs: RUNS, seconds: SECONDS, host: [], turn: [], app: [], whep: [] };
try {
  for (let i = 0; i < RUNS; i++) {
    log(`run ${i + 1}/${RUNS}`);
    results.host.push(await retried('host', () => appRun(false)));
    results.turn.push(await retried('TURN', () => appRun(true)));
    results.app.push(await retried('app', () => appRun(false, false)));
    results.whep.push(await retried('WHEP', () => whepRun()));
  }
} finally {
  await browser.close();
  await turn.stop();
  callboxd.remove();
}
const m = (xs, k) => r1(median(xs.map((x) => x[k])));
results.summary = {
  host: { first_frame_ms: m(results.host, 'first_frame_ms'), g2g_ms: m(results.host, 'g2g_median_ms'), pairs: [...new Set(results.host.map((x) => x.pair))] },
  turn: { first_frame_ms: m(results.turn, 'first_frame_ms'), g2g_ms: m(results.turn, 'g2g_median_ms'), pairs: [...new Set(results.turn.map((x) => x.pair))] },
  app: { first_frame_ms: m(results.app, 'first_frame_ms'), answer_ms: m(results.app, 'answer_ms') },
  whep: { first_frame_ms: m(results.whep, 'first_frame_ms'), answer_ms: m(results.whep, 'answer_ms') },
};
results.failed_runs_retried = failures;
writeFileSync(opt.out, JSON.stringify(results, null, 1) + '\n');
const s = results.summary;
console.log([
  `callbox remote-access benchmark — ${results.meta.date} — ${results.meta.nproc} CPUs; medians of ${RUNS} runs, each on a fresh daemon`,
  `first frame (offer → frame shown), host candidates:  ${s.host.first_frame_ms} ms  (pairs ${s.host.pairs})`,
  `first frame, TURN relay (device and browser relay-only): ${s.turn.first_frame_ms} ms  (pairs ${s.turn.pairs})`,
  `glass-to-glass device → browser, host:  ${s.host.g2g_ms} ms`,
  `glass-to-glass device → browser, TURN:  ${s.turn.g2g_ms} ms`,
  `first frame, the app's signalling (WebSocket):  ${s.app.first_frame_ms} ms (answer ${s.app.answer_ms} ms)`,
  `first frame, WHEP (whip-whep WHEPClient, POST → 201 with candidates):  ${s.whep.first_frame_ms} ms (answer ${s.whep.answer_ms} ms)`,
  `runs without a frame in 20 s, retried: ${failures}`,
].join('\n'));
