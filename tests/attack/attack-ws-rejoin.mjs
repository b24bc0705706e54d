// Attack on the join history: joining one's own room again and again must not replay the history each time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture } from '../lib/fixture.mjs';
import { assertRssGrowth, bystander, watchRss } from './attack-lib.mjs';

const JOINS = 500;

test('joining one\'s own room again gets already-in-room, not the history again', { timeout: 120000 }, fixture(async (t) => {
  const d = await t.daemon({ config: '[rooms]\nrate_limit = 0\nhistory_length = 50\n' });
  const normal = await bystander(t, d);
  const [writer, other] = await d.clients(2, 'kitchen', 'w');
  for (let i = 0; i < 50; i++) await writer.request({ type: 'chat', text: `${i} ${'h'.repeat(1990)}` }, 'chat');
  const attacker = await d.client({ label: 'rejoiner' });
  const joined = await attacker.join('kitchen', 'rejoiner');
  assert.equal(joined.history.length, 50, 'a real join replays the history');
  await other.next('peer-joined', { where: (m) => m.peer.id === attacker.id });
  let received = 0;
  attacker.ws.on('message', (data) => { received += data.length; });
  const base = d.rssKib();
  const rss = watchRss(d);
  for (let i = 0; i < JOINS; i++) attacker.send({ type: 'join', room: 'kitchen', nick: 'rejoiner' });
  for (let i = 0; i < JOINS; i++) {
    const err = await attacker.next('error', { timeout: 30000 });
    assert.equal(err.code, 'already-in-room', JSON.stringify(err));
  }
  await normal.check(`${JOINS} joins of one's own room`);
  // 500 answers of ~150 bytes; replaying the history would be 500 × 100 KB = 50 MB.
  t.diagnostic(`${received} bytes sent to the client for ${JOINS} joins`);
  assert.ok(received < JOINS * 300, `${received} bytes for ${JOINS} joins`);
  await other.expectNone(['peer-left', 'peer-joined'], 0);
  assertRssGrowth(t, base, rss.stop(), 8 * 1024, 'a refused join holds nothing');
}));
