// Attack: WHEP viewers that post offers and never connect cannot hold the device's calls past [media] max_calls
// (503 + Retry-After) or past whep_connect_timeout; wrong Bearer tokens meet the joins' back-off (429).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture } from '../lib/fixture.mjs';
import { offer } from '../lib/device-offer.mjs';
import { metric } from '../lib/metrics.mjs';

const CODE = '8642';
const CONFIG = `[rooms]\naccess_code=${CODE}\n[server]\nguess_free_tries=2\n`
  + '[media]\nice_addresses=127.0.0.1\nmax_calls=2\nwhep_connect_timeout=5\n';

const post = (d, token = CODE) => fetch(`${d.url}/whep`, {
  method: 'POST', headers: { 'Content-Type': 'application/sdp', Authorization: `Bearer ${token}` }, body: offer(['audio', 'video']),
});
const calls = (d) => metric(d, 'callbox_calls');

test('offers that never connect: at most max_calls, 503 past it, freed after whep_connect_timeout', { timeout: 90000 }, fixture(async (t) => {
  const d = await t.daemon({ config: CONFIG });
  const statuses = [];
  for (let i = 0; i < 12; i++) {
    const r = await post(d);
    statuses.push(r.status);
    if (r.status === 503) assert.match(r.headers.get('retry-after') ?? '', /^\d+$/);
    await r.arrayBuffer();
    assert.ok(await calls(d) <= 2, 'never more than max_calls');
  }
  // The first two take the slots; then viewers are turned away (a slot may come free again
  // meanwhile, once a call's whep_connect_timeout has passed on a slow machine).
  assert.deepEqual(statuses.slice(0, 2), [201, 201], `statuses ${statuses}`);
  assert.ok(statuses.includes(503), `statuses ${statuses}`);
  assert.deepEqual([...new Set(statuses)].sort(), [201, 503], `statuses ${statuses}`);
  // Nobody connects: the calls are given back after whep_connect_timeout (5 s here).
  const deadline = Date.now() + 30000;
  while (await calls(d) !== 0) {
    if (Date.now() > deadline) throw new Error('the unconnected WHEP calls were not freed');
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.match(d.output(), /the WHEP viewer did not connect|no call, capture stopped/);
  const again = await post(d);
  assert.equal(again.status, 201, 'a slot is free again');
  await again.arrayBuffer();
  // A member still chats.
  const c = await d.client();
  await c.join('bystanders', 'normal', { code: CODE });
  const echo = await c.request({ type: 'chat', text: 'still here' }, 'chat');
  assert.equal(echo.text, 'still here');
}));

test('wrong Bearer tokens back off like wrong access codes: 401, then 429 with Retry-After', { timeout: 30000 }, fixture(async (t) => {
  const d = await t.daemon({ config: CONFIG });
  const codes = [];
  let last;
  for (let i = 0; i < 4; i++) {
    last = await post(d, `guess${i}`);
    codes.push(last.status);
    await last.arrayBuffer();
  }
  assert.deepEqual(codes.slice(0, 2), [401, 401]);
  assert.equal(codes.at(-1), 429, `statuses ${codes}`);
  assert.match(last.headers.get('retry-after') ?? '', /^\d+$/);
  // Even the right code waits while the bucket waits (it cannot be told apart by trying).
  const right = await post(d);
  assert.equal(right.status, 429);
  await right.arrayBuffer();
  assert.equal((await fetch(`${d.url}/api/health`)).status, 200, 'the daemon still serves');
}));
