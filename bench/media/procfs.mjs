// bench/media/procfs.mjs: CPU and memory readings from /proc for the media benchmark (a process, a process tree, the whole machine).
import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

export const CLK_TCK = (() => {
  try { return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100; } catch { return 100; }
})();

// { cpu: utime+stime in seconds, ppid, threads } of one process, or null when it is gone.
export function procStat(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { cpu: (Number(f[11]) + Number(f[12])) / CLK_TCK, ppid: Number(f[1]), threads: Number(f[17]) };
  } catch {
    return null;
  }
}

// A "VmRSS"-style line of /proc/PID/status, in KiB.
export function procStatusKiB(pid, key) {
  try {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

// CPU seconds of every descendant of `root`, minus the subtrees rooted at `exclude` pids.
// Returns a Map pid → cpu seconds (so a window can count only processes alive at both ends).
export function treeCpu(root, exclude = []) {
  const parent = new Map();
  const cpu = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const st = procStat(Number(name));
    if (!st) continue;
    parent.set(Number(name), st.ppid);
    cpu.set(Number(name), st.cpu);
  }
  const skip = new Set(exclude);
  const out = new Map();
  for (const [pid, c] of cpu) {
    let inside = false;
    for (let q = pid; q !== undefined && q > 1; q = parent.get(q)) {
      if (skip.has(q)) break;
      if (q === root && q !== pid) { inside = true; break; }
    }
    if (inside) out.set(pid, c);
  }
  return out;
}

// Busy CPU seconds of the whole machine (all cores), from /proc/stat.
export function machineBusy() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = f;
  return (user + nice + system + irq + softirq + (steal ?? 0)) / CLK_TCK;
}

// Starts a measurement window; end() returns the CPU used in it, in cores (1 = one full core).
// `pid`: the process measured; `treeRoot`/`treeExclude`: a process tree measured as well
// (the browser); everything else the machine did is "other".
export function cpuWindow({ pid, treeRoot, treeExclude = [] }) {
  const t0 = performance.now();
  const p0 = procStat(pid);
  const tree0 = treeRoot ? treeCpu(treeRoot, treeExclude) : new Map();
  const self0 = process.cpuUsage();
  const m0 = machineBusy();
  return {
    end() {
      const secs = (performance.now() - t0) / 1000;
      const p1 = procStat(pid);
      const tree1 = treeRoot ? treeCpu(treeRoot, treeExclude) : new Map();
      const self1 = process.cpuUsage(self0);
      const m1 = machineBusy();
      let tree = 0;
      for (const [q, c] of tree1) if (tree0.has(q)) tree += c - tree0.get(q);
      const daemon = p0 && p1 ? p1.cpu - p0.cpu : null;
      const node = (self1.user + self1.system) / 1e6;
      const machine = m1 - m0;
      return {
        seconds: +secs.toFixed(2),
        daemon_cores: daemon === null ? null : +(daemon / secs).toFixed(3),
        browser_cores: +(tree / secs).toFixed(3),
        bench_cores: +(node / secs).toFixed(3),
        other_cores: +(Math.max(0, machine - (daemon ?? 0) - tree - node) / secs).toFixed(3),
        rss_kib: procStatusKiB(pid, 'VmRSS'),
        threads: p1?.threads ?? null,
      };
    },
  };
}

// CPU seconds of each thread of `pid`: Map tid → { name, cpu }.
export function threadCpu(pid) {
  const out = new Map();
  let tids = [];
  try { tids = readdirSync(`/proc/${pid}/task`); } catch { return out; }
  for (const tid of tids) {
    try {
      const s = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = s.slice(s.indexOf('(') + 1, s.lastIndexOf(')'));
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      out.set(tid, { name, cpu: (Number(f[11]) + Number(f[12])) / CLK_TCK });
    } catch { /* thread ended */ }
  }
  return out;
}

// The busiest threads between two threadCpu() readings, as [name, cores] (names with
// digits blanked are summed: "queue3:src" and "queue7:src" count together).
export function busiestThreads(before, after, seconds, top = 8) {
  const byName = new Map();
  for (const [tid, t] of after) {
    const d = t.cpu - (before.get(tid)?.cpu ?? 0);
    const name = t.name.replace(/\d+/g, 'N');
    byName.set(name, (byName.get(name) ?? 0) + d);
  }
  return [...byName].filter(([, c]) => c > 0).sort((a, b) => b[1] - a[1]).slice(0, top)
    .map(([n, c]) => [n, +(c / seconds).toFixed(3)]);
}

// Where a process's resident memory is: /proc/PID/smaps summed by what is mapped (a file's
// base name, "[heap]", "[anon]" for nameless anonymous mappings, "[stack]"...), in KiB, the
// largest first; { total_kib, by: [[name, kib], ...] }, or null when the process is gone.
export function smapsSummary(pid, top = 25) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  } catch {
    return null;
  }
  const by = new Map();
  let name = null;
  let total = 0;
  for (const line of text.split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      const path = head[1].trim();
      name = path === '' ? '[anon]' : path.startsWith('[') ? path : path.slice(path.lastIndexOf('/') + 1);
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss && name) {
      by.set(name, (by.get(name) ?? 0) + Number(rss[1]));
      total += Number(rss[1]);
    }
  }
  return { total_kib: total, by: [...by].sort((a, b) => b[1] - a[1]).slice(0, top) };
}
