// bench/media/harness.mjs: what the media and soak benchmarks share — the loopback-only namespace, a private daemon copy with an admin password, /api/status, one headless Chromium with page.js, figures and machine facts.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { networkInterfaces, tmpdir, cpus, totalmem, release, hostname } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const sourceRoot = resolve(here, '..', '..');

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- Figures ----
export const sorted = (xs) => xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
export function pct(xs, p) {
  const v = sorted(xs);
  if (!v.length) return null;
  const i = Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1));
  return v[i];
}
export function median(xs) {
  const v = sorted(xs);
  if (!v.length) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}
export const r1 = (x) => (x === null || x === undefined ? null : Math.round(x * 10) / 10);
export const summary = (xs) => ({ n: sorted(xs).length, median: r1(median(xs)), p95: r1(pct(xs, 95)), p99: r1(pct(xs, 99)), min: r1(sorted(xs)[0]), max: r1(sorted(xs).at(-1)) });

// ---- Loopback only: re-run inside a fresh network namespace when other interfaces exist ----
// Call before anything else; in the parent it does not return (it exits with the child's status).
export function loopbackOnly() {
  const nonLoopback = Object.entries(networkInterfaces())
    .filter(([, addrs]) => addrs.some((a) => !a.internal)).map(([name]) => name);
  if (nonLoopback.length === 0 || process.env.CALLBOX_BENCH_NETNS) return;
  const r = spawnSync('unshare', ['-n', 'bash', '-c', 'ip link set lo up && exec "$@"', '--', process.execPath, ...process.argv.slice(1)],
    { stdio: 'inherit', env: { ...process.env, CALLBOX_BENCH_NETNS: '1' } });
  if (r.error || r.status === null) console.error(`cannot run in a loopback-only network namespace (${r.error?.message ?? r.signal}); needs root and unshare -n`);
  process.exit(r.status ?? 1);
}

// ---- The daemon ----
// A private copy of the daemon ($CALLBOXD or build/src/callboxd): a rebuild during the run
// neither breaks it nor mixes binaries. Sets $CALLBOXD to the copy for tests/lib/daemon.mjs.
export async function privateCallboxd() {
  const source = resolve(process.env.CALLBOXD ?? join(sourceRoot, 'build', 'src', 'callboxd'));
  const dir = mkdtempSync(join(tmpdir(), 'callbox-bench-bin-'));
  for (let i = 0; ; i++) {
    let st = null;
    try { st = statSync(source); } catch {}
    // a finished link: executable and not written to for 3 s
    if (st && st.mode & 0o111 && Date.now() - st.mtimeMs > 3000) {
      cpSync(source, join(dir, 'callboxd'));
      chmodSync(join(dir, 'callboxd'), 0o755);
      break;
    }
    if (i >= 60) throw new Error(`${source} is missing or still being written (build it first)`);
    await sleep(1000);
  }
  process.env.CALLBOXD = join(dir, 'callboxd');
  Object.assign(process.env, serviceEnvironment());
  return { source, path: process.env.CALLBOXD, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

// The environment systemd/callbox.service.in gives callboxd (its Environment= lines but those
// with systemd's % specifiers, which name the unit's folders): the benchmarks' daemons run with
// it, as the installed service does; a variable already set in the benchmark's own environment
// wins.
export function serviceEnvironment() {
  const env = {};
  const unit = readFileSync(join(sourceRoot, 'systemd', 'callbox.service.in'), 'utf8');
  for (const line of unit.split('\n')) {
    if (!line.startsWith('Environment=') || line.includes('%')) continue;
    for (const kv of line.slice('Environment='.length).trim().split(/\s+/)) {
      const eq = kv.indexOf('=');
      if (eq > 0 && process.env[kv.slice(0, eq)] === undefined) env[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
  }
  return env;
}

// /api/status is admin-only: every daemon gets an admin password (when the binary has
// --hash-password; an older one serves /api/status without it).
export function adminAccess(callboxd) {
  const password = `bench-${process.pid}-${Date.now()}`;
  const r = spawnSync(callboxd, ['--hash-password'], { input: `${password}\n`, encoding: 'utf8', timeout: 15000 });
  const line = (r.stdout ?? '').split('\n').map((l) => l.trim()).filter(Boolean).pop() ?? '';
  const hash = r.status === 0 && line ? line.replace(/^admin_password_hash\s*=\s*/, '') : null;
  return { password, hash, headers: { Authorization: `Basic ${Buffer.from(`admin:${password}`).toString('base64')}` } };
}

// The config of a benchmark daemon: the admin hash, [media] on loopback plus `media` keys,
// and any other sections ({ rooms: { rate_limit: 0 } }).
export function configText(adminHash, media = {}, sections = {}) {
  const all = { ...sections, media: { ice_addresses: '127.0.0.1', width: 1280, height: 720, framerate: 30, ...media } };
  if (adminHash) all.server = { admin_password_hash: adminHash, ...all.server };
  return Object.entries(all).map(([name, keys]) => `[${name}]\n` + Object.entries(keys).map(([k, v]) => `${k}=${v}\n`).join('')).join('');
}

// Warnings and errors daemons printed, counted by their text with numbers blanked.
export class WarningCounter {
  counts = new Map();
  add(output) {
    const plain = output.replace(/\x1b\[[0-9;]*m/g, '');
    for (const line of plain.split('\n')) {
      if (!/WARNING|ERROR|CRITICAL/.test(line)) continue;
      const key = line.replace(/^.*?(WARNING|ERROR|CRITICAL)/, '$1').replace(/\d+/g, 'N').trim().slice(0, 240);
      this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    }
  }
  top(n = 30) { return Object.fromEntries([...this.counts].sort((a, b) => b[1] - a[1]).slice(0, n)); }
}

// /api/status, and waiting for it to say something (polled every 50 ms).
// A daemon that does not answer in 10 s fails the request (a hung main loop).
export async function apiStatus(d, headers) {
  const r = await fetch(d.url + '/api/status', { headers, signal: AbortSignal.timeout(10000) });
  if (!r.ok) throw new Error(`/api/status: HTTP ${r.status}`);
  return r.json();
}
export async function waitApiStatus(d, headers, pred, what, timeoutMs = 8000) {
  const until = Date.now() + timeoutMs;
  let s;
  while (Date.now() < until) {
    s = await apiStatus(d, headers);
    if (pred(s)) return s;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}: ${JSON.stringify(s?.media)}`);
}
export const noCall = (s) => !s.media.capturing && s.media.calls.length === 0;

// ---- The browser: one Chromium for the whole run, page.js in every page ----
const CHROMIUM_ARGS = ['--no-sandbox', '--headless', '--disable-gpu', '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage',
  '--autoplay-policy=no-user-gesture-required', '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  // keep background pages running at full speed (several callers in one browser)
  '--disable-background-timer-throttling', '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows'];

export async function launchBrowser({ log, verbose = false }) {
  const { makeTempDir } = await import('../../tests/lib/daemon.mjs');
  const { chromium } = await import('../../tests/node_modules/playwright-core/index.mjs');
  const profile = makeTempDir('callbox-bench-chromium-');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CALLBOX_CHROMIUM ?? '/usr/bin/chromium', headless: true,
    args: CHROMIUM_ARGS, bypassCSP: true, viewport: { width: 1400, height: 900 },
  });
  await context.addInitScript({ path: join(here, 'page.js') });
  let serial = 0;
  return {
    context,
    // A page on the daemon's origin with page.js; joined to `room` unless room is null.
    async openPage(d, room = 'bench') {
      const page = await context.newPage();
      const name = `p${++serial}`;
      page.on('pageerror', (e) => log(`${name}: page error: ${e.message}`));
      if (verbose) page.on('console', (m) => log(`${name}: ${m.text()}`));
      await page.goto(d.url + '/api/health');
      if (room !== null) await page.evaluate(([u, r, n]) => window.cb.connect(u, r, n), [d.wsUrl, room, name]);
      return page;
    },
    async close() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

// page.js's calls, from the benchmark's side.
export const call = (page, o) => page.evaluate((x) => window.cb.startCall(x), o);
export const firstFrame = (page, timeoutMs = 10000) => page.evaluate((t) => window.cb.firstFrame(t), timeoutMs);
export const hangup = (page) => page.evaluate(() => window.cb.hangup());
export const pageStats = (page) => page.evaluate(() => window.cb.stats());

// ---- The machine ----
export function machineInfo({ context, callboxd }) {
  const sh = (cmd, args) => { try { return execFileSync(cmd, args, { encoding: 'utf8' }).trim(); } catch { return null; } };
  let built = null;
  try { built = statSync(callboxd).mtime.toISOString(); } catch {}
  return {
    date: new Date().toISOString(), hostname: hostname(), nproc: cpus().length, cpu_model: cpus()[0]?.model,
    memory_gib: +(totalmem() / 2 ** 30).toFixed(1), kernel: release(), node: process.version,
    chromium: context?.browser()?.version() ?? sh('/usr/bin/chromium', ['--version']),
    gstreamer: sh('gst-inspect-1.0', ['--version'])?.split('\n')[1] ?? null,
    callboxd, callboxd_mtime: built,
    git: sh('git', ['-C', sourceRoot, 'describe', '--always', '--dirty']),
  };
}
