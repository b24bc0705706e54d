// Shaping the path a call takes inside a test's own loopback-only network namespace: random or bursty UDP loss (nftables) and rate caps on UDP (tc htb + tbf on lo) (delay and jitter: tests/lib/delay-relay.mjs). Each says why it cannot run here, for a skip.
import { spawnSync } from 'node:child_process';

const run = (cmd, args) => spawnSync(cmd, args, { encoding: 'utf8' });
const failure = (r) => (r.error ? r.error.message : r.status !== 0 ? (r.stderr || r.stdout).trim() : null);

// ---- Loss: one nftables table whose rule drops `percent` of UDP packets on loopback's output
// (both directions of a call pass there). The kernel here has no sch_netem; numgen does it.
export class UdpLoss {
  constructor(table = 'callbox_loss') {
    this.table = table;
    this.percent = 0;
    this.droppedBefore = 0; // by the tables set() deleted: each burst has a table of its own
  }

  static unavailable() {
    return failure(run('nft', ['list', 'tables'])) && 'nftables (nft) is not available here: install the nftables package';
  }

  // Sets the loss (0 removes the rule); returns null or why it failed.
  set(percent) {
    this.droppedBefore += this.#counted();
    run('nft', ['delete', 'table', 'inet', this.table]);
    this.percent = percent;
    if (percent <= 0) return null;
    const steps = [
      ['add', 'table', 'inet', this.table],
      ['add', 'chain', 'inet', this.table, 'out', '{ type filter hook output priority 0; }'],
      ['add', 'rule', 'inet', this.table, 'out', 'meta', 'l4proto', 'udp', 'numgen', 'random', 'mod', '100', '<',
        String(percent), 'counter', 'drop'],
    ];
    for (const args of steps) {
      const why = failure(run('nft', args));
      if (why) return why;
    }
    return null;
  }

  // Packets dropped since this object was made, over every burst so far.
  dropped() {
    return this.droppedBefore + this.#counted();
  }

  // What the table there is now has dropped (0 without one).
  #counted() {
    return Number(/counter packets (\d+)/.exec(run('nft', ['list', 'table', 'inet', this.table]).stdout)?.[1] ?? 0);
  }

  // Loss in bursts: `percent` for `onMs`, none for `offMs`, again and again until stop().
  bursts(percent, onMs, offMs) {
    let on = false;
    this.burstCount = 0;
    const flip = () => {
      on = !on;
      if (on) this.burstCount += 1;
      this.set(on ? percent : 0);
      this.timer = setTimeout(flip, on ? onMs : offMs);
    };
    flip();
  }

  stop() {
    clearTimeout(this.timer);
    this.set(0);
  }
}

// ---- Rate: a token bucket on lo for UDP only (the calls' media, STUN and DTLS), so that the
// test's own TCP (HTTP, /metrics, the WebSocket) is never queued or dropped behind the cap: an
// htb root whose unclassified packets pass at once (default 0), one class that a u32 filter
// sends UDP to, and under it the tbf that caps it. lo's MTU is 64 KiB, more than any sane
// bucket: it is set to 1500 first, as on a real link.
export class RateCap {
  // `dport`: only UDP sent to that port (one browser's path among several); all UDP without.
  constructor({ dport = 0 } = {}) {
    this.dport = dport;
  }

  static unavailable() {
    const r = run('tc', ['qdisc', 'show', 'dev', 'lo']);
    return failure(r) && `tc is not available here (${failure(r)}): install the iproute2 package`;
  }

  // Caps the namespace's loopback UDP at `kbit` kbit/s (0 lifts the cap); null or why it failed.
  set(kbit) {
    if (kbit <= 0) {
      run('tc', ['qdisc', 'del', 'dev', 'lo', 'root']);
      this.kbit = 0;
      return null;
    }
    // A bucket of 100 ms at the rate (at least two packets) and at most 200 ms of queue.
    const burst = Math.max(3000, Math.round((kbit * 1000) / 8 / 10));
    const tbf = ['tbf', 'rate', `${kbit}kbit`, 'burst', String(burst), 'latency', '200ms'];
    const port = (family) => (this.dport ? ['match', family, 'dport', String(this.dport), '0xffff'] : []);
    const steps = this.kbit
      ? [['qdisc', 'change', 'dev', 'lo', 'parent', '1:1', 'handle', '10:', ...tbf]]
      : [
        ['qdisc', 'add', 'dev', 'lo', 'root', 'handle', '1:', 'htb', 'default', '0'],
        ['class', 'add', 'dev', 'lo', 'parent', '1:', 'classid', '1:1', 'htb', 'rate', '10gbit', 'quantum', '60000'],
        ['qdisc', 'add', 'dev', 'lo', 'parent', '1:1', 'handle', '10:', ...tbf],
        ['filter', 'add', 'dev', 'lo', 'parent', '1:', 'protocol', 'ip', 'prio', '1', 'u32', 'match', 'ip', 'protocol', '17', '0xff', ...port('ip'), 'flowid', '1:1'],
        ['filter', 'add', 'dev', 'lo', 'parent', '1:', 'protocol', 'ipv6', 'prio', '2', 'u32', 'match', 'ip6', 'protocol', '17', '0xff', ...port('ip6'), 'flowid', '1:1'],
      ];
    const why = failure(run('ip', ['link', 'set', 'lo', 'mtu', '1500'])) ??
      steps.reduce((err, args) => err ?? failure(run('tc', args)), null);
    if (why) {
      if (!this.kbit) run('tc', ['qdisc', 'del', 'dev', 'lo', 'root']);
      return why;
    }
    this.kbit = kbit;
    return null;
  }
}
