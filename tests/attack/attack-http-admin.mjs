// Attack: the admin API from a foreign page (a cross-site form POST with the browser's cached
// Basic credentials), passwords far longer than any real one, and wrong passwords sent to
// stall the main loop. Passwords are checked on a worker thread, one at a time; a normal
// client is served while a check runs, and callboxd's RSS stays under a ceiling.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fixture } from '../lib/fixture.mjs';
import { callboxdPath } from '../lib/daemon.mjs';
import { assertServed, rawRequest, rssCeiling } from '../lib/attack-http.mjs';

const PASSWORD = 'attack-admin-pw';
const HASH_LINE = spawnSync(callboxdPath(), ['--hash-password'], { input: `${PASSWORD}\n` }).stdout.toString().trim();
const basic = (password) => `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;
// A hash no password matches, whose check takes 10,000,000 PBKDF2 iterations (the most
// callboxd accepts): seconds of a core, so a request that waits for it is long outstanding.
const SLOW_HASH = `$pbkdf2-sha256$10000000$${randomBytes(16).toString('base64')}$${randomBytes(32).toString('base64')}`;
// The back-off stays out of the way here (attack-http-backoff.mjs tests it).
// The back-off and the per-address connection limit (32, tried by attack-ws-connections) are
// not what these tests are about: their clients all come from 127.0.0.1, up to 50 at once.
const LENIENT = 'guess_free_tries=100\nguess_budget_per_minute=100000\nmax_connections_per_address=100\n';

function adminRequest(d, path, { method = 'GET', headers = {}, body, localAddress } = {}) {
  const host = new URL(d.url).host;
  const lines = [`${method} ${path} HTTP/1.1`, `Host: ${host}`, 'Connection: close'];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  if (body !== undefined) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return rawRequest(d, `${lines.join('\r\n')}\r\n\r\n${body ?? ''}`, { localAddress, timeout: 120000 });
}

test('a cross-site form POST with cached credentials gets 403, a POST that is not JSON 415', { timeout: 60000 }, fixture(async (t) => {
  const d = await t.daemon({ config: `[server]\n${HASH_LINE}\n` });
  const host = new URL(d.url).host;
  const victim = await d.client();
  const auth = { Authorization: basic(PASSWORD) };
  // The browser has the credentials cached (a login happened).
  assert.equal((await adminRequest(d, '/api/status', { headers: auth })).status, 200);
  const kick = JSON.stringify({ id: victim.id });
  const form = `{"id":"${victim.id}","x":"`; // what an HTML form with enctype=text/plain can send
  const cases = [
    ['a form on another site (text/plain)', { Origin: 'http://evil.example', 'Content-Type': 'text/plain' }, form, 403],
    ['another site with JSON', { Origin: 'http://evil.example', 'Content-Type': 'application/json' }, kick, 403],
    ['a look-alike host', { Origin: `http://${host}.evil.example`, 'Content-Type': 'application/json' }, kick, 403],
    ['a form with no Origin', { 'Content-Type': 'text/plain' }, form, 415],
    ['a urlencoded form', { 'Content-Type': 'application/x-www-form-urlencoded' }, `id=${victim.id}`, 415],
    ['no content type', {}, kick, 415],
  ];
  for (const [what, headers, body, want] of cases) {
    const r = await adminRequest(d, '/api/admin/kick', { method: 'POST', headers: { ...auth, ...headers }, body });
    assert.equal(r.status, want, `${what}: ${r.text.slice(0, 200)}`);
  }
  await victim.assertAlive(); // nothing was done
  // The refusals come before the password: no credentials, same answers.
  assert.equal((await adminRequest(d, '/api/admin/kick', { method: 'POST', headers: { Origin: 'http://evil.example', 'Content-Type': 'text/plain' }, body: form })).status, 403);
  // The admin page's own request: same origin, JSON.
  const own = await adminRequest(d, '/api/admin/kick', { method: 'POST', headers: { ...auth, Origin: `http://${host}`, 'Content-Type': 'application/json; charset=utf-8' }, body: kick });
  assert.equal(own.status, 204, own.text.slice(0, 200));
  assert.equal((await victim.closed).code, 4001);
}));

test('passwords over 256 bytes are refused without being hashed', { timeout: 120000 }, fixture(async (t) => {
  const d = await t.daemon({ config: `[server]\nadmin_password_hash=${SLOW_HASH}\n${LENIENT}` });
  const rss = rssCeiling(d, 32);
  // A wrong password of ordinary length occupies the one password worker for seconds...
  const slow = adminRequest(d, '/api/status', { headers: { Authorization: basic('wrong-but-short') }, localAddress: '127.0.0.2' })
    .then((r) => ({ ...r, at: performance.now() }));
  // ...a long one is answered meanwhile: it never reaches the hashing queue. The longest that
  // fits into libsoup's 64 KiB of headers (as base64) is about 47 KiB.
  const answers = [];
  for (const size of [257, 4096, 45 * 1024]) {
    const r = await adminRequest(d, '/api/status', { headers: { Authorization: basic('x'.repeat(size)) }, localAddress: '127.0.0.3' });
    assert.equal(r.status, 401, `a ${size}-byte password: ${r.text.slice(0, 120)}`);
    answers.push(performance.now());
  }
  const first = await slow;
  assert.equal(first.status, 401);
  assert.ok(answers.every((at) => at < first.at), 'a long password waited for the running check (it was hashed)');
  t.diagnostic(`the wrong short password took ${(first.at - answers[0]).toFixed(0)} ms more than the long ones`);
  rss.check(t, 'long passwords');
  await assertServed(d);
}));

test('a password check runs off the main loop: chat goes on while it runs', { timeout: 120000 }, fixture(async (t) => {
  const d = await t.daemon({ config: `[server]\nadmin_password_hash=${SLOW_HASH}\n${LENIENT}` });
  const rss = rssCeiling(d, 32);
  const started = performance.now();
  let answeredAt = null;
  // Four wrong passwords from four addresses: the checks queue and run one at a time.
  const guesses = [2, 3, 4, 5].map((n) => adminRequest(d, '/admin', { headers: { Authorization: basic(`guess-${n}`) }, localAddress: `127.0.0.${n}` })
    .then((r) => { answeredAt ??= performance.now(); return r; }));
  const served = await assertServed(d);
  const servedAt = performance.now();
  assert.equal(answeredAt, null, 'a password check was answered before a chat message could go round: the main loop waited for it');
  const results = await Promise.all(guesses);
  for (const r of results) assert.equal(r.status, 401, r.text.slice(0, 120));
  t.diagnostic(`during the checks: health ${served.healthMs.toFixed(0)} ms, chat ${served.chatMs.toFixed(0)} ms; ` +
    `served after ${(servedAt - started).toFixed(0)} ms, first check answered after ${(answeredAt - started).toFixed(0)} ms, ` +
    `all four after ${(performance.now() - started).toFixed(0)} ms`);
  // Two different passwords at once from one address: one is checked, the other is not queued
  // behind it (429), whichever the daemon reads first.
  const pair = await Promise.all(['one', 'two'].map((pw) =>
    adminRequest(d, '/admin', { headers: { Authorization: basic(pw) }, localAddress: '127.0.0.6' })));
  assert.deepEqual(pair.map((r) => r.status).sort(), [401, 429], pair.map((r) => r.text.slice(0, 80)).join(' / '));
  rss.check(t, 'password checks');
}));

test('remembered logins stay cheap: 50 requests at once with verified credentials', { timeout: 60000 }, fixture(async (t) => {
  const d = await t.daemon({ config: `[server]\n${HASH_LINE}\n${LENIENT}` });
  const auth = { Authorization: basic(PASSWORD) };
  // The same credentials sent by several requests before the first check is done share it.
  const first = await Promise.all(Array.from({ length: 4 }, () => adminRequest(d, '/api/status', { headers: auth })));
  for (const r of first) assert.equal(r.status, 200, r.text.slice(0, 120));
  const started = performance.now();
  const all = await Promise.all(Array.from({ length: 50 }, () => adminRequest(d, '/api/status', { headers: auth })));
  for (const r of all) assert.equal(r.status, 200);
  t.diagnostic(`50 remembered logins in ${(performance.now() - started).toFixed(0)} ms`);
}));
