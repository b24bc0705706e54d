// What every attack test checks after its attack: the daemon's resident memory against a ceiling, and a normal client's chat round trip.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

// A "Name:   123 kB"-style line of /proc/PID/status as a number (KiB, or a count for Threads).
export function procStatus(pid, key) {
  const m = new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(m, `/proc/${pid}/status has no ${key}`);
  return Number(m[1]);
}

export const vmRssKiB = (pid) => procStatus(pid, 'VmRSS');
export const threadCount = (pid) => procStatus(pid, 'Threads');

// Fails unless the daemon's VmRSS is at most `baselineKiB + allowanceKiB`; `why` says what the
// allowance covers (it is printed with the figures).
export function assertRssUnder(t, d, baselineKiB, allowanceKiB, why) {
  const rss = vmRssKiB(d.pid);
  t.diagnostic(`VmRSS ${rss} KiB after the attack; baseline ${baselineKiB} KiB, ceiling ${baselineKiB + allowanceKiB} KiB (${why})`);
  assert.ok(rss <= baselineKiB + allowanceKiB,
    `callboxd's VmRSS is ${rss} KiB, over the ceiling of ${baselineKiB} + ${allowanceKiB} KiB (${why})`);
}

// A fresh client joins its own room and gets its own chat message back: the daemon still serves.
export async function assertChatRoundTrip(d, room = 'bystanders', nick = 'normal') {
  const c = await d.client({ label: nick });
  await c.join(room, nick);
  const text = `still here ${Date.now()}`;
  const echo = await c.request({ type: 'chat', text }, 'chat', { timeout: 15000 });
  assert.equal(echo.text, text);
  assert.equal(echo.from.id, c.id);
  return c;
}
