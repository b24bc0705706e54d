// Soak benchmark: one callboxd through N call cycles from headless Chromium and M WebSocket chat cycles; its RSS, open fds and threads sampled along the way, calls left behind, failed cycles; prints a table and writes results-<date>.json.
//
//   node bench/soak/run.mjs [--calls N] [--chat M] [--quick] [--arena-max N] [--out FILE] [--verbose]
//
// The daemon is $CALLBOXD or build/src/callboxd; nothing is built. Like bench/media/run.mjs it
// re-runs itself inside a loopback-only network namespace when the machine has other interfaces.
import { readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { procStat, procStatusKiB, threadCpu, cpuWindow } from '../media/procfs.mjs';
import {
  sourceRoot, sleep, r1, summary, loopbackOnly, privateCallboxd, adminAccess, configText, WarningCounter,
  apiStatus, waitApiStatus, noCall, launchBrowser, call, firstFrame, hangup, machineInfo,
} from '../media/harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));

const { values: opt } = parseArgs({
  options: {
    calls: { type: 'string' },          // call cycles, the warm-up included
    chat: { type: 'string' },           // chat cycles, the warm-up included
    'warmup-calls': { type: 'string' },
    'warmup-chat': { type: 'string' },
    'sample-calls': { type: 'string' }, // a sample every this many call cycles
    'sample-chat': { type: 'string' },
    clients: { type: 'string' },        // chat clients in parallel
    'arena-max': { type: 'string' },    // MALLOC_ARENA_MAX for the daemon
    only: { type: 'string' },           // calls,chat
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
    verbose: { type: 'boolean', default: false },
  },
});
const Q = opt.quick;
const num = (v, dflt) => (v === undefined ? dflt : Number(v));
const P = {
  calls: num(opt.calls, Q ? 10 : 220),
  warmupCalls: num(opt['warmup-calls'], Q ? 3 : 20),
  sampleCalls: num(opt['sample-calls'], Q ? 1 : 10),
  chat: num(opt.chat, Q ? 500 : 11000),
  warmupChat: num(opt['warmup-chat'], Q ? 100 : 1000),
  sampleChat: num(opt['sample-chat'], Q ? 100 : 500),
  clients: num(opt.clients, 8),
  chatRooms: 10,
  videoTimeoutMs: 15000,  // a cycle without the device's video by then failed
  idleTimeoutMs: 15000,   // after the hang-up: /api/status must say no call and capture stopped
  settleMs: 20000,        // after the last cycle, how long threads and fds may take to come back
  pageCycles: 50,         // a fresh page (a fresh renderer) every this many call cycles
  arenaMax: opt['arena-max'] ?? null,
};
const phases = new Set((opt.only ?? 'calls,chat').split(','));
const today = new Date().toISOString().slice(0, 10);
const OUT = opt.out ?? join(here, `results-${today}${Q ? '-quick' : ''}${P.arenaMax ? `-arena${P.arenaMax}` : ''}.json`);
const log = (...a) => console.error(`[soak ${new Date().toISOString().slice(11, 19)}]`, ...a);

loopbackOnly();
const callboxd = await privateCallboxd();
const { startDaemon, openFdCount } = await import('../../tests/lib/daemon.mjs');
const { WsClient } = await import('../../tests/lib/ws-client.mjs');

// ---- The daemon: one for the whole run ----
const ADMIN = adminAccess(callboxd.path);
const warnings = new WarningCounter();
const d = await startDaemon({
  config: configText(ADMIN.hash, {}, { rooms: { rate_limit: 0, max_browsers: 1000 } }),
  env: {
    CALLBOX_PIPELINES_DIR: process.env.CALLBOX_PIPELINES_DIR ?? join(sourceRoot, 'pipelines'),
    GST_DEBUG: process.env.GST_DEBUG ?? '1',
    ...(P.arenaMax ? { MALLOC_ARENA_MAX: P.arenaMax } : {}),
  },
});
const pid = d.child.pid;
log(`callboxd pid ${pid} ${d.url}${P.arenaMax ? ` MALLOC_ARENA_MAX=${P.arenaMax}` : ''}`);
// A connection per request: a kept-alive one would count among the daemon's fds.
const HEADERS = { ...ADMIN.headers, Connection: 'close' };
const status = () => apiStatus(d, HEADERS);
const waitStatus = (pred, what, timeoutMs) => waitApiStatus(d, HEADERS, pred, what, timeoutMs);

// Rejects when `promise` has not settled within `ms` (a page waiting on a hung daemon).
function within(ms, promise, what) {
  let timer;
  return Promise.race([promise, new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms / 1000} s`)), ms); })])
    .finally(() => clearTimeout(timer));
}
// Does the daemon still answer? When it does not, its threads' stacks (gdb, when installed)
// go to a file next to the results, for finding where it hangs.
async function hung(where) {
  try {
    const r = await fetch(d.url + '/api/health', { signal: AbortSignal.timeout(15000) });
    if (r.ok) return false;
  } catch {}
  const file = OUT.replace(/\.json$/, '') + '-hang.txt';
  const gdb = spawnSync('gdb', ['-p', String(pid), '-batch', '-ex', 'thread apply all bt 30'], { encoding: 'utf8', timeout: 120000 });
  writeFileSync(file, `callboxd pid ${pid} stopped answering ${where}\n${gdb.stdout ?? ''}${gdb.stderr ?? ''}${gdb.error ? gdb.error.message : ''}`);
  results.hung = { where, threads_file: file, threads: threadNames().size ? Object.fromEntries(threadNames()) : null };
  note(`callboxd stopped answering ${where}; its threads' stacks are in ${file}`);
  return true;
}

// ---- What is sampled ----
// Thread names with digits blanked ("queue12:src" → "queueN:src"), counted. The kernel keeps
// 15 characters of a name, so a truncated "element:pad" name keeps only "elementN:".
function threadNames() {
  const names = new Map();
  for (const { name } of threadCpu(pid).values()) {
    const n = normalName(name);
    names.set(n, (names.get(n) ?? 0) + 1);
  }
  return names;
}
function normalName(name) {
  return (name.length >= 15 && name.includes(':') ? name.slice(0, name.indexOf(':') + 1) : name).replace(/\d+/g, 'N');
}
// What the open fds are, counted by kind ("socket", "anon_inode:[eventfd]", "/dev/null", "pipe").
function fdKinds() {
  const kinds = new Map();
  let fds = [];
  try { fds = readdirSync(`/proc/${pid}/fd`); } catch {}
  for (const fd of fds) {
    let target;
    try { target = readlinkSync(`/proc/${pid}/fd/${fd}`); } catch { continue; }
    const k = target.replace(/^(socket|pipe):\[\d+\]$/, '$1');
    kinds.set(k, (kinds.get(k) ?? 0) + 1);
  }
  return kinds;
}
// Anonymous reserved (---p) regions of 1 MiB or more: glibc keeps one per malloc arena
// besides the main heap (thread stacks have a 4 KiB guard page, not counted).
function arenaRegions() {
  try {
    return readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n').filter((l) => {
      const f = l.split(/\s+/);
      if (f.length < 5 || f[1] !== '---p' || (f[5] ?? '') !== '') return false;
      const [a, b] = f[0].split('-').map((x) => parseInt(x, 16));
      return b - a >= 1 << 20;
    }).length;
  } catch {
    return null;
  }
}
function sample(phase, cycle) {
  return {
    phase, cycle, at_s: r1((Date.now() - started) / 1000),
    rss_kib: procStatusKiB(pid, 'VmRSS'), rss_anon_kib: procStatusKiB(pid, 'RssAnon'), hwm_kib: procStatusKiB(pid, 'VmHWM'),
    fds: openFdCount(pid), threads: procStat(pid)?.threads ?? null, arena_regions: arenaRegions(),
  };
}
const mib = (kib) => (kib === null || kib === undefined ? null : r1(kib / 1024));
// Entries there are more of in the Map `now` than in `base`, with how many more.
function more(base, now) {
  const out = {};
  for (const [n, c] of now) if (c > (base.get(n) ?? 0)) out[n] = c - (base.get(n) ?? 0);
  return out;
}
// A sample with the names of the threads and the kinds of the fds, for comparing with the end.
// Settles first (see settle()).
async function idleSnapshot(phase, cycle) {
  const settle_s = await settle();
  const names = threadNames(), kinds = fdKinds();
  const cpu = await idleCpu();
  return {
    ...sample(phase, cycle), settle_s, idle_cpu_cores: cpu.cores, busy_threads: cpu.busy_threads,
    names, kinds, thread_names: Object.fromEntries(names), fd_kinds: Object.fromEntries(kinds),
  };
}
// The daemon's CPU while idle, over `seconds`, and its threads that used any (a call left
// running shows here; an idle pool thread keeps the name of the task it ran last).
async function idleCpu(seconds = 3) {
  const w = cpuWindow({ pid });
  const t0 = threadCpu(pid);
  await sleep(seconds * 1000);
  const busy = [];
  for (const [tid, t] of threadCpu(pid)) {
    const cores = (t.cpu - (t0.get(tid)?.cpu ?? 0)) / seconds;
    if (cores >= 0.01) busy.push([t.name, +cores.toFixed(3)]);
  }
  return { cores: w.end().daemon_cores, busy_threads: busy };
}
// Waits until the thread and fd counts have not changed for 3 s (threads of a stopped
// pipeline take a moment to end), at most `maxMs`; returns the seconds waited.
async function settle(maxMs = P.settleMs) {
  const t0 = Date.now();
  let last = sample('settle', 0), since = t0;
  while (Date.now() - t0 < maxMs && Date.now() - since < 3000) {
    await sleep(250);
    const s = sample('settle', 0);
    if (s.threads !== last.threads || s.fds !== last.fds) since = Date.now();
    last = s;
  }
  return r1((Date.now() - t0) / 1000);
}
const started = Date.now();
const results = {
  about: 'callbox soak benchmark (bench/soak/run.mjs): one daemon through call cycles from headless Chromium and WebSocket chat cycles; RSS, fds and threads after a warm-up; see bench/README.md',
  meta: {}, params: P, baseline: null, calls: null, chat: null, end: null, notes: [],
};
const note = (s) => { results.notes.push(s); log(`NOTE: ${s}`); };

// ---- 1. Call cycles: join → call → video → hang up → leave, against the one daemon ----
async function callCycles(browser) {
  const out = { cycles: [], samples: [], failed_no_video: 0, failed_error: 0, left_behind: 0 };
  let page = null;
  for (let i = 1; i <= P.calls; i++) {
    if (!page || (i - 1) % P.pageCycles === 0) {
      await page?.close();
      page = await browser.openPage(d, null);
    }
    const send = i % 2 ? 'camera' : 'none'; // two-way and receive-only, alternately
    const t0 = Date.now();
    const c = { i, send, first_frame_ms: null, error: null, idle_ms: null, left_behind: false };
    try {
      await within(20000, page.evaluate(([u, r, n]) => window.cb.connect(u, r, n), [d.wsUrl, `soak${i % 3}`, `caller${i}`]), 'join');
      await within(20000, call(page, { send, video: true }), 'offer');
      const t = await within(P.videoTimeoutMs + 10000, firstFrame(page, P.videoTimeoutMs), 'first frame');
      c.first_frame_ms = t.firstFrame;
      if (t.firstFrame === null) {
        out.failed_no_video++;
        c.error = `no video in ${P.videoTimeoutMs / 1000} s: ${JSON.stringify(t)} ${JSON.stringify(await page.evaluate(() => window.cb.events.slice(-5)))}`;
      }
    } catch (e) {
      out.failed_error++;
      c.error = e.message.split('\n')[0].slice(0, 300);
    }
    try {
      await within(20000, hangup(page), 'hang-up');
      await within(20000, page.evaluate(() => window.cb.leave()), 'leave');
    } catch (e) {
      c.error ??= `leaving: ${e.message.split('\n')[0].slice(0, 200)}`;
    }
    const t1 = Date.now();
    try {
      await waitStatus(noCall, 'no call and capture stopped', P.idleTimeoutMs);
      c.idle_ms = Date.now() - t1;
    } catch (e) {
      c.left_behind = true;
      out.left_behind++;
      c.error ??= e.message.slice(0, 300);
    }
    c.cycle_ms = Date.now() - t0;
    if (c.error && await hung(`after call cycle ${i}`)) {
      c.hung = true;
      out.cycles.push(c);
      log(`call cycle ${i} (${send}): ${c.error}`);
      break;
    }
    out.cycles.push(c);
    if (c.error) log(`call cycle ${i} (${send}): ${c.error}`);
    if (i === P.warmupCalls) out.warmup_idle = await idleSnapshot('calls', i);
    if (i === P.warmupCalls || (i > P.warmupCalls && (i - P.warmupCalls) % P.sampleCalls === 0) || i === P.calls) {
      const s = sample('calls', i);
      out.samples.push(s);
      log(`call ${i}/${P.calls}: RSS ${mib(s.rss_kib)} MiB, fds ${s.fds}, threads ${s.threads}, arenas ~${s.arena_regions}, first frame ${c.first_frame_ms} ms, cycle ${c.cycle_ms} ms`);
    }
  }
  await page?.close();
  const measured = out.cycles.filter((c) => c.i > P.warmupCalls);
  out.first_frame_ms = summary(measured.map((c) => c.first_frame_ms));
  out.cycle_ms = summary(out.cycles.map((c) => c.cycle_ms));
  out.idle_after_hangup_ms = summary(out.cycles.map((c) => c.idle_ms));
  out.failed = out.cycles.filter((c) => c.error).length;
  return out;
}

// ---- 2. Chat cycles: connect → join → chat → leave → close, several clients at once ----
async function chatCycles() {
  const out = { samples: [], failed: 0, errors: [] };
  let next = 1, done = 0;
  let nextSample = P.warmupChat;
  const t0 = Date.now();
  const worker = async (w) => {
    for (let i = next++; i <= P.chat; i = next++) {
      let c = null;
      try {
        c = await WsClient.connect(d.wsUrl, { label: `chat${i}` });
        await c.join(`chat${i % P.chatRooms}`, `w${w}-${i}`);
        await c.send({ type: 'chat', text: `soak ${i}` });
        await c.next('chat', { where: (m) => m.text === `soak ${i}` });
        await c.request({ type: 'leave' }, 'left');
      } catch (e) {
        out.failed++;
        if (out.errors.length < 20) out.errors.push(`${i}: ${e.message.split('\n')[0].slice(0, 200)}`);
      }
      await c?.close();
      done++;
      while (done >= nextSample) {
        const s = sample('chat', nextSample);
        out.samples.push(s);
        if (opt.verbose || nextSample % (P.sampleChat * 4) === 0 || nextSample === P.warmupChat) log(`chat ${nextSample}/${P.chat}: RSS ${mib(s.rss_kib)} MiB, fds ${s.fds}, threads ${s.threads}`);
        nextSample = nextSample === P.chat ? Infinity : Math.min(P.chat, nextSample + P.sampleChat);
      }
    }
  };
  await Promise.all(Array.from({ length: P.clients }, (_, w) => worker(w)));
  out.seconds = r1((Date.now() - t0) / 1000);
  out.cycles_per_s = r1(P.chat / out.seconds);
  // Every connection closed: the last sample, with none open.
  await waitStatus((s) => s.connections === 0 && s.rooms.length === 0, 'every chat connection to close', 10000)
    .catch((e) => note(`chat: ${e.message.slice(0, 200)}`));
  out.samples.push(sample('chat', P.chat));
  return out;
}

// Growth between the warm-up sample and the last one of a phase.
function growth(samples, warmup) {
  const first = samples.find((s) => s.cycle === warmup) ?? samples[0];
  const last = samples.at(-1);
  if (!first || !last) return null;
  // A least-squares slope over the samples after the warm-up: MiB per 100 cycles.
  const xs = samples.filter((s) => s.cycle >= warmup);
  const mx = xs.reduce((a, s) => a + s.cycle, 0) / xs.length, my = xs.reduce((a, s) => a + s.rss_kib, 0) / xs.length;
  const sxx = xs.reduce((a, s) => a + (s.cycle - mx) ** 2, 0);
  const slope = sxx ? xs.reduce((a, s) => a + (s.cycle - mx) * (s.rss_kib - my), 0) / sxx : 0;
  return {
    from_cycle: first.cycle, to_cycle: last.cycle,
    rss_mib: [mib(first.rss_kib), mib(last.rss_kib)], rss_growth_mib: mib(last.rss_kib - first.rss_kib),
    rss_growth_mb: +(((last.rss_kib - first.rss_kib) * 1024) / 1e6).toFixed(2),
    rss_slope_mib_per_100: r1((slope * 100) / 1024),
    rss_max_mib: mib(Math.max(...xs.map((s) => s.rss_kib))),
    fds: [first.fds, last.fds], threads: [first.threads, last.threads], arena_regions: [first.arena_regions, last.arena_regions],
  };
}

// ---- Run ----
const browser = phases.has('calls') ? await launchBrowser({ log, verbose: opt.verbose }) : null;
try {
  results.meta = { ...machineInfo({ context: browser?.context, callboxd: callboxd.source }), command: `node bench/soak/run.mjs ${process.argv.slice(2).join(' ')}`.trim(), malloc_arena_max: P.arenaMax };
  log(`machine: ${JSON.stringify(results.meta)}`);
  await sleep(2000); // the DTLS warm-up thread ends, the idle screen runs
  results.start = await idleSnapshot('start', 0);
  log(`start: RSS ${mib(results.start.rss_kib)} MiB, fds ${results.start.fds}, threads ${results.start.threads}`);
  if (phases.has('calls')) {
    log(`1. ${P.calls} call cycles (warm-up ${P.warmupCalls})`);
    results.calls = await callCycles(browser);
    results.calls.growth = growth(results.calls.samples, Math.min(P.warmupCalls, P.calls));
  }
  if (phases.has('chat') && !results.hung) {
    log(`2. ${P.chat} chat cycles, ${P.clients} clients at once (warm-up ${P.warmupChat})`);
    results.chat = await chatCycles();
    results.chat.growth = growth(results.chat.samples, Math.min(P.warmupChat, P.chat));
  }
  // ---- After the last cycle: do fds and threads come back? Is anything still running? ----
  // The baseline is the idle daemon after the warm-up calls: the first calls start what stays
  // for good (GStreamer's clock thread, plugins loaded, the idle screen restarted).
  const base = results.calls?.warmup_idle ?? results.start;
  results.baseline = { phase: base.phase, cycle: base.cycle, fds: base.fds, threads: base.threads, rss_kib: base.rss_kib };
  const st = results.hung ? { media: { calls: [null], capturing: null }, connections: null } : await status();
  const end = await idleSnapshot('end', 0);
  results.end = {
    ...end,
    fds_back: end.fds <= base.fds, threads_back: end.threads <= base.threads,
    extra_threads: more(base.names, end.names), extra_fds: more(base.kinds, end.kinds),
    extra_threads_since_start: more(results.start.names, end.names), extra_fds_since_start: more(results.start.kinds, end.kinds),
    status_calls: st.media.calls.length, status_capturing: st.media.capturing, connections: st.connections,
  };
  // A streaming thread is named after the element and pad it first ran for ("queueN:src",
  // "nicesrcN:src"); GStreamer's pool threads keep that name when they run other tasks later
  // or wait idle, so the names alone do not tell. One that uses CPU now while it did not
  // after the warm-up belongs to something left running.
  const busyNames = (x) => new Set(x.busy_threads.map(([n]) => normalName(n)).filter((n) => n.includes(':')));
  const busyBefore = busyNames(base);
  results.end.left_behind_threads = [...busyNames(end)].filter((n) => !busyBefore.has(n));
} finally {
  await browser?.close();
  await d.stop(results.hung ? 'SIGKILL' : 'SIGTERM');
  warnings.add(d.output());
  writeFileSync(OUT.replace(/\.json$/, '') + '-daemon.log', d.output());
  callboxd.remove();
}
results.meta.duration_s = Math.round((Date.now() - started) / 1000);
results.daemon_warnings = warnings.top();
for (const x of [results.start, results.calls?.warmup_idle, results.end]) if (x) { delete x.names; delete x.kinds; }
writeFileSync(OUT, JSON.stringify(results, null, 1) + '\n');
printTable(results);
log(`wrote ${OUT} (${results.meta.duration_s} s)`);

function printTable(r) {
  const lines = [];
  const row = (a, b, c = '') => lines.push(`${a.padEnd(52)} ${String(b ?? '—').padStart(26)}  ${c}`);
  const met = (ok) => (ok ? 'target met' : 'TARGET MISSED');
  const b = r.baseline, e = r.end, s0 = r.start;
  lines.push(`callbox soak — ${r.meta.date} — ${r.meta.nproc} CPUs, ${r.meta.kernel}${r.params.arenaMax ? `, MALLOC_ARENA_MAX=${r.params.arenaMax}` : ''}`);
  row('daemon at start: RSS MiB / fds / threads', `${mib(s0.rss_kib)} / ${s0.fds} / ${s0.threads}`, `idle CPU ${s0.idle_cpu_cores} cores`);
  if (r.calls) {
    const c = r.calls, g = c.growth;
    lines.push('', `1. call cycles: ${c.cycles.length} of ${r.params.calls} (warm-up ${r.params.warmupCalls}), two-way and receive-only alternately`);
    if (g) {
      row('RSS MiB after warm-up → after the last cycle', `${g.rss_mib[0]} → ${g.rss_mib[1]}`, `max ${g.rss_max_mib}`);
      row(`RSS growth over ${g.to_cycle - g.from_cycle} cycles (MB)`, g.rss_growth_mb, `${met(g.rss_growth_mb <= 5)} (≤ 5 MB); slope ${g.rss_slope_mib_per_100} MiB/100 cycles`);
      row('fds / threads after warm-up → after the last cycle', `${g.fds.join(' → ')} / ${g.threads.join(' → ')}`);
      row('malloc arenas (approx.) after warm-up → end', g.arena_regions.join(' → '));
    }
    row('cycles without video within 15 s', c.failed_no_video, met(c.failed_no_video === 0));
    row('cycles with another error', c.failed_error, c.failed_error ? 'FAILURES' : '');
    row('cycles after which a call stayed (/api/status)', c.left_behind, met(c.left_behind === 0));
    row('first frame ms (median / p95 / max)', `${c.first_frame_ms.median} / ${c.first_frame_ms.p95} / ${c.first_frame_ms.max}`);
    row('one cycle ms (median / p95)', `${c.cycle_ms.median} / ${c.cycle_ms.p95}`, `hang-up → capture stopped median ${c.idle_after_hangup_ms.median} ms`);
  }
  if (r.chat) {
    const c = r.chat, g = c.growth;
    lines.push('', `2. chat cycles: ${r.params.chat} (warm-up ${r.params.warmupChat}), ${r.params.clients} clients at once, ${c.cycles_per_s} cycles/s`);
    row('RSS MiB after warm-up → after the last cycle', `${g.rss_mib[0]} → ${g.rss_mib[1]}`, `max ${g.rss_max_mib}`);
    row(`RSS growth over ${g.to_cycle - g.from_cycle} cycles (MB)`, g.rss_growth_mb, `slope ${g.rss_slope_mib_per_100} MiB/100 cycles`);
    row('fds / threads after warm-up → after the last cycle', `${g.fds.join(' → ')} / ${g.threads.join(' → ')}`);
    row('failed chat cycles', c.failed, c.failed ? 'FAILURES' : '');
  }
  lines.push('', `after the last cycle (settled ${e.settle_s} s), against the idle daemon after the warm-up (${b.phase} ${b.cycle})`);
  row('fds: baseline → end', `${b.fds} → ${e.fds}`, met(e.fds_back) + (Object.keys(e.extra_fds).length ? ` more: ${JSON.stringify(e.extra_fds).slice(0, 80)}` : ''));
  row('threads: baseline → end', `${b.threads} → ${e.threads}`, met(e.threads_back) + (Object.keys(e.extra_threads).length ? ` more: ${JSON.stringify(e.extra_threads).slice(0, 80)}` : ''));
  row('RSS MiB: start → baseline → end', `${mib(s0.rss_kib)} → ${mib(b.rss_kib)} → ${mib(e.rss_kib)}`, `peak ${mib(e.hwm_kib)}`);
  row('idle CPU (cores): start → end', `${s0.idle_cpu_cores} → ${e.idle_cpu_cores}`, e.busy_threads.length ? `busy: ${JSON.stringify(e.busy_threads).slice(0, 100)}` : '');
  row('calls in /api/status, capturing', `${e.status_calls}, ${e.status_capturing}`, met(e.status_calls === 0 && !e.status_capturing));
  row('streaming threads busy now, idle after the warm-up', e.left_behind_threads.length ? e.left_behind_threads.join(' ') : 'none', met(e.left_behind_threads.length === 0));
  if (Object.keys(e.extra_threads_since_start).length) row('threads since the start (first calls)', JSON.stringify(e.extra_threads_since_start).slice(0, 120));
  if (Object.keys(e.extra_fds_since_start).length) row('fds since the start (first calls)', JSON.stringify(e.extra_fds_since_start).slice(0, 120));
  if (r.hung) lines.push(`CALLBOXD HUNG ${r.hung.where}: stacks in ${r.hung.threads_file}`);
  for (const n of r.notes) lines.push(`note: ${n}`);
  for (const [w, n] of Object.entries(r.daemon_warnings ?? {})) lines.push(`callboxd printed ${n}×: ${w.slice(0, 200)}`);
  console.log(lines.join('\n'));
}
