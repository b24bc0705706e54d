// Heavy chat load: above 1000 msg/s the hub batches (one write per socket per batch), loses and reorders nothing, and stops when the load ends.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture, watchdog } from '../lib/fixture.mjs';
import { eventually } from '../lib/wait.mjs';
import { metrics } from '../lib/metrics.mjs';


// Four senders in a room of eight send `perSender` messages each as fast as the socket takes
// them; returns the clients and what each received, once every message has reached everyone.
async function burst(d, perSender) {
  const clients = await d.clients(8, 'kitchen');
  const received = clients.map(() => []);
  const total = 4 * perSender;
  const done = clients.map((c, k) => (async () => {
    while (received[k].length < total) received[k].push(await c.next('chat', { timeout: watchdog(20000) }));
  })());
  const started = performance.now();
  for (let i = 0; i < perSender; i++)
    for (let s = 0; s < 4; s++) clients[s].send({ type: 'chat', text: `s${s} m${i}` });
  await Promise.all(done);
  // The rate the daemon took the burst at, from the first send to the last delivery.
  const rate = Math.round(total / ((performance.now() - started) / 1000));
  return { clients, received, rate };
}

// The daemon batches from 1,000 chat messages a second that it handles (docs/configuration.md,
// batch_delay_ms). A daemon that cannot handle that many here (a sanitized build on a busy
// machine) never becomes busy: the burst's premise does not hold, and the test says so.
const BUSY_RATE = 1000;
// The rate below is the burst's average; the daemon judges its own short windows, so an average
// just above the threshold may have no window above it (a sanitized daemon in CI: 1170 msg/s on
// average, no batch). The premise is taken to hold from twice the threshold.
const SURELY_BUSY_RATE = 2 * BUSY_RATE;

// Everyone got every message once, each sender's in the order sent, and all in seq order.
function assertComplete(received, perSender) {
  const first = received[0].map((m) => m.seq);
  assert.deepEqual(first, first.map((_, i) => first[0] + i), 'seq has no gaps and no reordering');
  for (const list of received) {
    assert.deepEqual(list.map((m) => m.seq), first, 'every member sees the same messages in the same order');
    for (let s = 0; s < 4; s++) {
      const texts = list.filter((m) => m.text.startsWith(`s${s} `)).map((m) => m.text);
      assert.deepEqual(texts, Array.from({ length: perSender }, (_, i) => `s${s} m${i}`));
    }
  }
}

const config = '[rooms]\nrate_limit=0\nhistory_length=50\n';

test('a burst above 1000 msg/s is batched, nothing is lost or reordered, and batching stops after it', { timeout: watchdog(30000) }, fixture(async (t) => {
  const d = await t.daemon({ config: `[server]\nbatch_delay_ms=20\n${config}` });
  const before = await metrics(d);
  assert.equal(before.get('callbox_chat_batch_milliseconds'), 0);
  const { received, rate } = await burst(d, 1500);
  assertComplete(received, 1500);
  const after = await metrics(d);
  if (after.get('callbox_chat_batches_total') === 0 && rate < SURELY_BUSY_RATE) {
    t.nodeTest.skip(`this daemon took the burst at ${rate} msg/s on average, too close to the ${BUSY_RATE} msg/s where batching starts to be sure it was busy (nothing lost or reordered)`);
    return;
  }
  assert.ok(after.get('callbox_chat_batches_total') > 0, `the burst (${rate} msg/s) was handled in batches`);
  const frames = after.get('callbox_messages_sent_total') - before.get('callbox_messages_sent_total');
  const writes = after.get('callbox_socket_writes_total') - before.get('callbox_socket_writes_total');
  assert.ok(frames >= 8 * 6000, `${frames} frames sent`);
  assert.ok(writes * 4 < frames, `${writes} socket writes carried ${frames} frames`);
  await eventually(async () => (await metrics(d)).get('callbox_chat_batch_milliseconds') === 0,
    { what: 'batching to stop once the burst is over' });
  // And a lone message afterwards is not held for a batch that will not fill.
  const [a, b] = await d.clients(2, 'porch', 'late');
  const batchesBefore = (await metrics(d)).get('callbox_chat_batches_total');
  a.send({ type: 'chat', text: 'quiet again' });
  assert.equal((await b.next('chat')).text, 'quiet again');
  assert.equal((await metrics(d)).get('callbox_chat_batches_total'), batchesBefore);
}));

test('batch_delay_ms = 0 turns batching off', { timeout: watchdog(30000) }, fixture(async (t) => {
  const d = await t.daemon({ config: `[server]\nbatch_delay_ms=0\n${config}` });
  const { received } = await burst(d, 1500);
  assertComplete(received, 1500);
  const m = await metrics(d);
  assert.equal(m.get('callbox_chat_batches_total'), 0);
  assert.equal(m.get('callbox_chat_batch_milliseconds'), 0);
}));
