// An admin password for a test's daemon: the [server] line `callboxd --hash-password` prints for it, and the Basic authorization header that opens /api/status with it.
import { spawnSync } from 'node:child_process';
import { callboxdPath } from './daemon.mjs';

export function adminAuth(password) {
  const r = spawnSync(callboxdPath(), ['--hash-password'], { input: `${password}\n` });
  const hashLine = r.stdout?.toString().trim();
  if (!hashLine) throw new Error(`callboxd --hash-password failed: ${r.error?.message ?? r.stderr?.toString()}`);
  return { hashLine, headers: { Authorization: `Basic ${Buffer.from(`admin:${password}`).toString('base64')}` } };
}
