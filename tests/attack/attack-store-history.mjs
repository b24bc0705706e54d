// Attack: a chat flood must not fill the SD card — each room keeps [storage] history_per_room messages, the history stops at [storage] max_history_mb (and at a full disk) with storage-full, and nothing acknowledged is lost.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fixture } from '../lib/fixture.mjs';
import { eventually } from '../lib/wait.mjs';
import { assertChatRoundTrip, assertRssUnder, vmRssKiB } from '../lib/bounds.mjs';

// SQLite's page cache is 2 MiB and the batch of messages waiting for one commit at most a few
// hundred KiB; the rest is the allocator's slack after thousands of 8 KiB messages. 32 MiB is
// ten times what the store itself may hold.
const ALLOWANCE_KIB = 32 * 1024;
const WHY = 'a 2 MiB SQLite page cache, one batch of messages, allocator slack';
// Message i: 2000 code points, nearly all of 4 bytes in UTF-8 (about 8000 bytes, the largest
// chat message there is).
const big = (i) => `${i} ${'😀'.repeat(2000 - String(i).length - 1)}`;

// Sends `count` big messages from c, each after the answer to the one before, until one is
// refused: the chats it got back (acknowledged) and the refusal (null when none was refused).
async function flood(c, count) {
  const acked = [];
  for (let i = 0; i < count; i++) {
    await c.send({ type: 'chat', text: big(i) });
    const m = await c.next(['chat', 'error'], { timeout: 15000, where: (x) => x.type === 'error' || x.from.id === c.id });
    if (m.type === 'error') return { acked, refusal: m };
    acked.push(m);
  }
  return { acked, refusal: null };
}

const dbFile = (d) => join(d.dataDir, 'chat.sqlite3');

test('a flood in one room keeps only history_per_room messages, and the file stops growing', { timeout: 120000 }, fixture(async (t) => {
  // The flooder reads its own 9 MB of echoes only after sending: past the send queue bound
  // (256 KiB, attack-ws-slow-reader's subject) it would be closed, so it is raised here.
  const d = await t.daemon({ config: '[server]\nsend_queue_kib=65536\n[storage]\nhistory_per_room=100\n[rooms]\nrate_limit=0\n' });
  const [a] = await d.clients(1, 'kitchen', 'flooder');
  const rss = vmRssKiB(d.pid);
  // 1,150 messages of 8 KB (9 MB) sent at once; the room keeps 100 of them (0.8 MB).
  for (let i = 0; i < 1150; i++) await a.send({ type: 'chat', text: big(i) });
  await a.next('chat', { timeout: 90000, where: (m) => m.seq === 1150 });
  assert.deepEqual(a.discard('error'), []);
  // Pages freed by pruning are reused: the database holds about 100 messages, and the log is
  // cut back to 4 MiB at each checkpoint. Without pruning the database alone would be 9 MB.
  const size = statSync(dbFile(d)).size + statSync(`${dbFile(d)}-wal`).size;
  assert.ok(size < 6 * 1024 * 1024, `the chat files take ${size} bytes`);
  t.diagnostic(`chat.sqlite3 and its log: ${size} bytes after 1,150 messages of 8 KB`);
  // What is kept is the latest 100, which a joiner can still read (history_length 50).
  const b = await d.client();
  const joined = await b.join('kitchen', 'late');
  assert.deepEqual(joined.history.map((m) => m.seq), Array.from({ length: 50 }, (_, i) => 1101 + i));
  try {
    const rows = execFileSync('sqlite3', [dbFile(d), "SELECT count(*), min(seq), max(seq) FROM chat WHERE room = 'kitchen'"], { encoding: 'utf8' });
    assert.equal(rows.trim(), '100|1051|1150');
  } catch (e) {
    if (e.code !== 'ENOENT') throw e;
    t.diagnostic('sqlite3 is not installed: the row count is not checked');
  }
  assertRssUnder(t, d, rss, ALLOWANCE_KIB, WHY);
  await assertChatRoundTrip(d);
}));

test('past max_history_mb chat gets storage-full, nothing acknowledged is lost, and a bigger cap (SIGHUP) lets chat go on', { timeout: 120000 }, fixture(async (t) => {
  const conf = (mb) => `[storage]\nmax_history_mb=${mb}\n[rooms]\nrate_limit=0\nhistory_length=1000\n`;
  const d = await t.daemon({ config: conf(1) });
  const rss = vmRssKiB(d.pid);
  // Many rooms, so that pruning per room does not keep the file small.
  const acked = [];
  let refusal = null;
  for (let room = 0; room < 40 && !refusal; room++) {
    const c = await d.client();
    await c.join(`room ${room}`, 'flooder');
    ({ refusal } = await flood(c, 20).then((r) => { acked.push(...r.acked); return r; }));
  }
  assert.ok(refusal, `1 MiB of history never filled up (${acked.length} messages stored)`);
  assert.equal(refusal.code, 'storage-full');
  assert.equal(refusal.re, 'chat');
  assert.ok(acked.length >= 60 && acked.length <= 140, `${acked.length} messages of 8 KB in 1 MiB`);

  // A normal client: its chat is refused too (the history is full), everything else works.
  const n = await d.client({ label: 'normal' });
  await n.join('bystanders', 'normal');
  await n.expectError({ type: 'chat', text: 'hello?' }, 'storage-full');
  const w = await n.request({ type: 'whisper', to: n.id, text: 'psst' }, 'whisper');
  assert.equal(w.text, 'psst');
  assertRssUnder(t, d, rss, ALLOWANCE_KIB, WHY);

  // The owner raises the cap; the daemon takes it live.
  writeFileSync(join(d.dataDir, 'test.conf'), conf(64));
  d.handle.child.kill('SIGHUP');
  await eventually(() => /reloaded the config/.test(d.output()), { timeout: 10000, what: 'the reload' });
  await assertChatRoundTrip(d, 'after the reload', 'owner');

  // Every acknowledged message is still there, with its seq and text.
  for (const room of new Set(acked.map((m) => m.room))) {
    const c = await d.client();
    const { history } = await c.join(room, 'reader');
    for (const m of acked.filter((x) => x.room === room)) {
      assert.ok(history.some((h) => h.seq === m.seq && h.text === m.text), `${room} #${m.seq} is gone`);
    }
  }
}));

test('a full disk gets storage-full and loses nothing acknowledged (a 256 KiB tmpfs)', { timeout: 120000 }, fixture(async (t) => {
  const mountPoint = t.tempDir('tiny-disk-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0750', 'callbox-test', mountPoint], { stdio: 'pipe' });
  } catch (e) {
    t.nodeTest.skip(`cannot mount a tmpfs here (${String(e.stderr || e.message).trim()})`);
    return;
  }
  t.defer(() => execFileSync('umount', [mountPoint]));
  const dataDir = join(mountPoint, 'data');
  mkdirSync(dataDir);
  const d = await t.daemon({ dataDir, config: '[rooms]\nrate_limit=0\nhistory_length=1000\n' });
  const rss = vmRssKiB(d.pid);
  const [a] = await d.clients(1, 'kitchen', 'flooder');
  const { acked, refusal } = await flood(a, 200);
  assert.ok(refusal, `a 256 KiB disk took ${acked.length} messages of 8 KB`);
  assert.equal(refusal.code, 'storage-full');
  assert.match(refusal.message, /disk is full/);
  assertRssUnder(t, d, rss, ALLOWANCE_KIB, WHY);
  const w = await a.request({ type: 'whisper', to: a.id, text: 'psst' }, 'whisper');
  assert.equal(w.text, 'psst');
  assert.equal((await d.stop('SIGTERM')).code, 0);

  // On a disk with room, the same files hold every acknowledged message.
  const copy = t.tempDir('copied-data-');
  cpSync(dataDir, copy, { recursive: true });
  const d2 = await t.daemon({ dataDir: copy, config: '[rooms]\nhistory_length=1000\n' });
  const c = await d2.client();
  const { history } = await c.join('kitchen', 'reader');
  assert.deepEqual(history.map((m) => [m.seq, m.text]), acked.map((m) => [m.seq, m.text]));
  await assertChatRoundTrip(d2);
}));
