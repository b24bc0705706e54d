// Attacks on the outgoing queue: a client that stops reading while a room talks to it is closed (1008) and everything it held is freed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture } from '../lib/fixture.mjs';
import { delay } from '../lib/wait.mjs';
import { assertRssGrowth, bystander, watchRss } from './attack-lib.mjs';

const TEXT = 'é'.repeat(2000); // the longest whisper: about 4 KB in each frame

// Whispers from `sender` to `target` until `done` resolves (or `maxBytes` have gone), `batch` at a
// time, each batch answered (the sender reads its echoes) and followed by `pauseMs` of quiet.
// Returns the bytes sent.
async function flood(sender, target, done, { maxBytes = 400e6, batch = 64, pauseMs = 0 } = {}) {
  let stop = false;
  done.then(() => { stop = true; });
  let sent = 0;
  while (!stop && sent < maxBytes) {
    const sends = [];
    for (let i = 0; i < batch; i++) sends.push(sender.send({ type: 'whisper', to: target, text: TEXT }));
    await Promise.all(sends);
    for (let i = 0; i < batch && !stop; i++) {
      await Promise.race([sender.next('whisper', { timeout: 30000 }), done]);
    }
    sender.discard('whisper');
    sent += batch * TEXT.length * 2;
    if (pauseMs) await Promise.race([delay(pauseMs), done]);
  }
  return sent;
}

// The victim stops reading; the daemon must drop it from its room (the others see peer-left)
// and, once it reads again, it finds the close frame with 1008 and `reason`.
async function slowReaderIsClosed(t, d, reason, pace) {
  const normal = await bystander(t, d);
  const [victim, sender] = await d.clients(2, 'kitchen', 'v');
  victim.ws._socket.pause(); // nothing more is read from the socket
  const base = d.rssKib();
  const rss = watchRss(d);
  const left = sender.next('peer-left', { timeout: 90000, where: (m) => m.peer.id === victim.id });
  const sent = await flood(sender, victim.id, left, pace);
  await left;
  const peak = rss.stop();
  t.diagnostic(`${(sent / 1e6).toFixed(1)} MB of whispers sent to the victim before it was dropped`);
  await normal.check('a client that does not read');
  victim.ws._socket.resume();
  const closed = await victim.closed;
  assert.equal(closed.code, 1008, `close code (${JSON.stringify(closed)})`);
  assert.equal(closed.reason, reason);
  assert.deepEqual(await d.api('/api/rooms'), { rooms: [{ name: 'kitchen', count: 1 }] });
  await sender.assertAlive();
  const m = await d.get('/metrics');
  assert.match(m.body, /^callbox_slow_peers_closed_total 1$/m);
  return { base, peak };
}

test('a client that does not read is closed (1008) once send_queue_kib wait for it', { timeout: 180000 }, fixture(async (t) => {
  const d = await t.daemon({ config: '[server]\nsend_queue_kib = 64\nsend_timeout = 3600\n[rooms]\nrate_limit = 0\n' });
  const { base, peak } = await slowReaderIsClosed(t, d, 'not reading: too much waiting to be sent');
  // The daemon holds at most 64 KiB (+ one frame) for the victim, and the sender's own frames
  // leave as fast as it reads them. 16 MiB leaves room for the allocator, SQLite and the
  // bystanders; without the cap libsoup queues everything that is sent (hundreds of MB here).
  assertRssGrowth(t, base, peak, 16 * 1024, 'send_queue_kib caps what waits for one client');
}));

test('a client whose socket takes nothing for send_timeout is closed (1008)', { timeout: 180000 }, fixture(async (t) => {
  // The queue may hold 64 MiB, so only the time limit can close it.
  const d = await t.daemon({ config: '[server]\nsend_queue_kib = 65536\nsend_timeout = 2\n[rooms]\nrate_limit = 0\n' });
  // About 1.3 MB/s, so that the 64 MiB are not reached before the time limit.
  const { base, peak } = await slowReaderIsClosed(t, d, 'not reading: nothing sent for send_timeout',
    { batch: 16, pauseMs: 50 });
  // What was sent in the 2 s (+ up to 1 s until the once-a-second sweep) after the socket filled
  // waits for the victim: about 4 MB at this pace. 32 MiB leaves room for the allocator.
  assertRssGrowth(t, base, peak, 32 * 1024, 'send_timeout frees a client that takes nothing');
}));
