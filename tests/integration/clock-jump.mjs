// A board without a real-time clock: callboxd started years ahead of and behind the real time
// (libfaketime shifts the wall clock only, as fake-hwclock and a late NTP sync do), then at the
// real time on the same data: the certificate is valid for the clock that checks it, and chat
// works with stamps that never go back.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fixture } from '../lib/fixture.mjs';
import { skipFile } from '../lib/skip.mjs';
import { WsClient } from '../lib/ws-client.mjs';

const lib = ['x86_64-linux-gnu', 'aarch64-linux-gnu'].map((a) => `/usr/lib/${a}/faketime/libfaketime.so.1`).find(existsSync);
if (!lib) skipFile('libfaketime is not installed (Debian package faketime)');
if (process.env.ASAN_OPTIONS) skipFile('libfaketime cannot be preloaded ahead of the sanitizer runtime');

const DAY = 86400e3;
// The wall clock shifted by `days`; the monotonic clock left alone.
const shifted = (days) => ({ LD_PRELOAD: lib, FAKETIME: `${days >= 0 ? '+' : ''}${days}d`, FAKETIME_DONT_FAKE_MONOTONIC: '1' });

function certificate(d) {
  return new X509Certificate(readFileSync(join(d.dataDir, 'tls', 'cert.pem'), 'utf8'));
}

// The certificate is valid at `now` and was made at about `now` (from a year back, 825 days).
function assertValidAt(cert, now, what) {
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  assert.ok(from <= now && now <= to, `${what}: ${cert.validFrom} – ${cert.validTo} holds ${new Date(now).toISOString()}`);
  assert.ok(Math.abs(now - 365 * DAY - from) < 2 * DAY, `${what}: starts a year back (${cert.validFrom})`);
  assert.ok(Math.abs(to - from - 825 * DAY) < 1000, `${what}: 825 days in all`);
}

async function chat(d, text) {
  const c = await WsClient.connect(d.wsUrl, { rejectUnauthorized: false });
  await c.join('kitchen', 'alice');
  const m = await c.request({ type: 'chat', text }, 'chat');
  await c.close?.();
  return m;
}

for (const days of [3 * 365, -2 * 365]) {
  test(`started ${days > 0 ? 'three years ahead' : 'two years behind'}, then at the real time`, { timeout: 60000 }, fixture(async (t) => {
    const fake = await t.daemon({ tls: true, env: shifted(days) });
    const fakeNow = Date.now() + days * DAY;
    const first = certificate(fake);
    assertValidAt(first, fakeNow, 'made at the shifted time');
    const before = await chat(fake, 'from the shifted clock');
    assert.ok(Math.abs(before.ts - fakeNow) < DAY, `stamped with the shifted clock: ${new Date(before.ts).toISOString()}`);
    await fake.stop();

    // NTP synced: the same box at the real time. The old certificate does not hold now; a new
    // one is made at start.
    const real = await t.daemon({ tls: true, dataDir: fake.dataDir });
    const second = certificate(real);
    assert.notEqual(second.fingerprint256, first.fingerprint256, 'a new certificate');
    assertValidAt(second, Date.now(), 'made anew at the real time');
    assert.match(real.output(), /making a new self-signed TLS certificate: /);
    const after = await chat(real, 'after the jump');
    assert.equal(after.seq, before.seq + 1, 'the history goes on');
    if (days > 0) assert.ok(after.ts >= before.ts, `never earlier than the last stamp (${after.ts} < ${before.ts})`);
    else assert.ok(Math.abs(after.ts - Date.now()) < DAY, 'a forward jump is followed');
  }));
}
