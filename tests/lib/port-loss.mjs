// Random UDP loss on one port only, inside a test's own loopback-only network namespace: what is sent to that port (its UDP destination) loses `percent` % (an nftables rule; tests/lib/shaping.mjs' UdpLoss drops on every port). For one browser's path among several.
import { spawnSync } from 'node:child_process';

export class PortLoss {
  constructor(percent, table = 'callbox_port_loss') {
    this.table = table;
    this.percent = percent;
    this.port = 0;
  }

  // Drops on `port` from now on; returns null or why nft failed.
  start(port) {
    this.stop();
    this.port = port;
    for (const args of [
      ['add', 'table', 'inet', this.table],
      ['add', 'chain', 'inet', this.table, 'out', '{ type filter hook output priority 0; }'],
      ['add', 'rule', 'inet', this.table, 'out', 'udp', 'dport', String(port), 'numgen', 'random', 'mod', '100', '<',
        String(this.percent), 'counter', 'drop'],
    ]) {
      const r = spawnSync('nft', args, { encoding: 'utf8' });
      if (r.error || r.status !== 0) return `nft ${args.join(' ')}: ${r.error?.message ?? r.stderr.trim()}`;
    }
    return null;
  }

  dropped() {
    const r = spawnSync('nft', ['list', 'table', 'inet', this.table], { encoding: 'utf8' });
    return Number(/counter packets (\d+)/.exec(r.stdout ?? '')?.[1] ?? 0);
  }

  stop() {
    spawnSync('nft', ['delete', 'table', 'inet', this.table]);
  }
}
