// Starts Debian's coturn (turnserver) on loopback for a test: listening on 127.0.0.1, relaying
// from a second loopback address (127.0.0.2) so relay and host candidates differ; shared-secret
// auth (use-auth-secret). Its own log is kept to check allocations.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const TURNSERVER = process.env.CALLBOX_TURNSERVER || '/usr/bin/turnserver';

export function haveCoturn() {
  return spawnSync(TURNSERVER, ['--help'], { stdio: 'ignore' }).error === undefined;
}

// { url, secret, relayAddress, log(), allocations(), stop() }; rejects when it does not start.
export async function startCoturn({ secret = 'callbox-test-secret', port, relayAddress = '127.0.0.2' } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'callbox-coturn-'));
  port ??= 20000 + Math.floor(Math.random() * 20000);
  const relayMin = 45000 + Math.floor(Math.random() * 200) * 50;
  const args = [
    '-n', '--listening-ip=127.0.0.1', `--relay-ip=${relayAddress}`, `--listening-port=${port}`,
    `--min-port=${relayMin}`, `--max-port=${relayMin + 49}`,
    '--use-auth-secret', `--static-auth-secret=${secret}`, '--realm=callbox.test',
    '--allow-loopback-peers', '--no-cli', '--no-tls', '--no-dtls', '--no-tcp-relay', '--fingerprint',
    '--log-file=stdout', '--simple-log', '--verbose', `--db=${join(dir, 'turndb')}`,
    `--pidfile=${join(dir, 'turnserver.pid')}`,
  ];
  const child = spawn(TURNSERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c) => { output += c; });
  child.stderr.on('data', (c) => { output += c; });
  const exited = new Promise((resolve) => child.on('close', resolve));
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`coturn did not start:\n${output}`)), 15000);
    const check = () => {
      if (output.includes(`UDP listener opened on: 127.0.0.1:${port}`)) { clearTimeout(timer); resolve(); }
    };
    child.stdout.on('data', check);
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`coturn exited (${code}):\n${output}`)); });
  });
  return {
    url: `turn:127.0.0.1:${port}?transport=udp`,
    secret,
    relayAddress,
    log: () => output,
    // Usernames whose ALLOCATE coturn logged as successful.
    allocations() {
      const names = new Set();
      for (const m of output.matchAll(/user <([^>]*)>: incoming packet ALLOCATE processed, success/g)) names.add(m[1]);
      return [...names];
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
