// Attack: guessing the access code and the admin password from many addresses. Each client
// bucket (an IPv4 address; an IPv6 /64) waits after its free tries; once the device-wide
// budget of wrong guesses is used up, every further wrong guess waits the longest at once. A
// user on another address is still heard at once: the attacker slows guesses, locks nobody out.
// The attacker's addresses are loopback ones (127.0.0.2 …), which Linux binds without set-up.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { fixture } from '../lib/fixture.mjs';
import { WsClient } from '../lib/ws-client.mjs';
import { assertServed, rawRequest, rssCeiling } from '../lib/attack-http.mjs';

const CODE = '2468';
const PASSWORD = 'attack-backoff-pw';
// A hash of the password with 1,000 iterations: a hash keeps the iterations it was made with,
// and these tests are about counting guesses, not about the cost of one.
const salt = randomBytes(16);
const CHEAP_HASH = `$pbkdf2-sha256$1000$${salt.toString('base64')}$${pbkdf2Sync(PASSWORD, salt, 1000, 32, 'sha256').toString('base64')}`;
// Free tries 3, waits up to 600 s (longer than the test: a bucket that waits, waits till the
// end), and a budget of 6 wrong guesses a minute (one more every 10 s: the steps that rely on
// it being used up take milliseconds).
const POLICY = 'guess_free_tries=3\nguess_max_wait=600\nguess_budget_per_minute=6\n';
const config = `[server]\nadmin_password_hash=${CHEAP_HASH}\n${POLICY}[rooms]\naccess_code=${CODE}\n`;
const basic = (password) => `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;

// One join with `code` from `localAddress`: the answer ('joined' or the error's message).
async function joinFrom(d, localAddress, code) {
  const c = await WsClient.connect(d.wsUrl, { localAddress, label: `from-${localAddress}`, timeout: 60000 });
  try {
    c.send({ type: 'join', room: 'kitchen', nick: `n${Math.random().toString(36).slice(2, 8)}`, code });
    const m = await c.next(['joined', 'error'], { timeout: 60000 });
    return m.type === 'joined' ? 'joined' : m.message;
  } finally {
    await c.terminate();
  }
}

function adminFrom(d, localAddress, password) {
  return rawRequest(d, `GET /api/status HTTP/1.1\r\nHost: x\r\nAuthorization: ${basic(password)}\r\nConnection: close\r\n\r\n`,
    { localAddress, timeout: 60000 });
}

test('wrong access codes: per-address waits, a device-wide budget, and nobody locked out', { timeout: 180000 }, fixture(async (t) => {
  const d = await t.daemon({ config });
  const rss = rssCeiling(d, 16);
  // One address: three free wrong codes, the fourth starts a wait that even the right code meets.
  for (let i = 0; i < 4; ++i) assert.match(await joinFrom(d, '127.0.0.2', '0000'), /access code is wrong/);
  assert.match(await joinFrom(d, '127.0.0.2', CODE), /too many wrong access codes; try again in \d+ s/);
  // Another address is not held up.
  assert.equal(await joinFrom(d, '127.0.0.3', CODE), 'joined');
  // Two more wrong codes from two more addresses use up the budget of 6...
  assert.match(await joinFrom(d, '127.0.0.10', '1111'), /access code is wrong/);
  assert.match(await joinFrom(d, '127.0.0.11', '2222'), /access code is wrong/);
  // ...so a wrong code from a fresh address waits the longest at once, without free tries.
  assert.match(await joinFrom(d, '127.0.0.12', '3333'), /access code is wrong/);
  assert.match(await joinFrom(d, '127.0.0.12', CODE), /try again in (59\d|600) s/);
  // An attacker who keeps guessing from 50 addresses at once...
  let stop = false;
  let guesses = 0;
  let refused = 0;
  const attacker = (async () => {
    for (let round = 0; !stop; ++round) {
      await Promise.all(Array.from({ length: 50 }, async (_, i) => {
        const answer = await joinFrom(d, `127.0.1.${i + 1}`, String(1000 + round * 100 + i).padStart(4, '0'));
        guesses += 1;
        if (/try again/.test(answer)) refused += 1;
      }));
    }
  })();
  // ...does not keep a user on another address out: the right code joins at once.
  assert.equal(await joinFrom(d, '127.0.0.20', CODE), 'joined');
  const served = await assertServed(d, { code: CODE });
  stop = true;
  await attacker;
  t.diagnostic(`the attacker made ${guesses} tries from 50 addresses meanwhile; ${refused} were told to wait`);
  t.diagnostic(`normal client during the attack: health ${served.healthMs.toFixed(0)} ms, chat ${served.chatMs.toFixed(0)} ms`);
  // Every one of those addresses now waits: in slow mode one wrong guess is enough.
  assert.match(await joinFrom(d, '127.0.1.1', CODE), /try again in/);
  rss.check(t, 'access-code guesses');
}));

test('wrong admin passwords: per-address waits, a device-wide budget, and nobody locked out', { timeout: 180000 }, fixture(async (t) => {
  const d = await t.daemon({ config });
  const rss = rssCeiling(d, 16);
  for (let i = 0; i < 4; ++i) assert.equal((await adminFrom(d, '127.0.0.2', `nope${i}`)).status, 401);
  const waiting = await adminFrom(d, '127.0.0.2', PASSWORD);
  assert.equal(waiting.status, 429, waiting.text.slice(0, 160));
  assert.match(waiting.text, /Retry-After: \d+/i);
  assert.equal((await adminFrom(d, '127.0.0.10', 'nope')).status, 401);
  assert.equal((await adminFrom(d, '127.0.0.11', 'nope')).status, 401);
  // The budget (6) is used up: one wrong password from a fresh address and it waits 600 s.
  assert.equal((await adminFrom(d, '127.0.0.12', 'nope')).status, 401);
  const slowed = await adminFrom(d, '127.0.0.12', PASSWORD);
  assert.equal(slowed.status, 429);
  assert.match(slowed.text, /Retry-After: (59\d|600)\r\n/i);
  // An attacker on 50 addresses keeps guessing; the admin on another address logs in.
  let stop = false;
  let guesses = 0;
  const attacker = (async () => {
    for (let round = 0; !stop; ++round) {
      await Promise.all(Array.from({ length: 50 }, async (_, i) => {
        await adminFrom(d, `127.0.2.${i + 1}`, `guess-${round}-${i}`);
        guesses += 1;
      }));
    }
  })();
  const admin = await adminFrom(d, '127.0.0.20', PASSWORD);
  assert.equal(admin.status, 200, admin.text.slice(0, 160));
  const served = await assertServed(d, { code: CODE });
  stop = true;
  await attacker;
  t.diagnostic(`the attacker made ${guesses} tries from 50 addresses meanwhile`);
  t.diagnostic(`normal client during the attack: health ${served.healthMs.toFixed(0)} ms, chat ${served.chatMs.toFixed(0)} ms`);
  rss.check(t, 'admin password guesses');
}));
