// 100 clients that vanish without a close frame (a stopped process): the daemon drops them by ping timeout and the counts recover.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture } from '../lib/fixture.mjs';
import { WsClient } from '../lib/ws-client.mjs';
import { assertShape, roomList } from '../lib/match.mjs';
import { eventually, withTimeout } from '../lib/wait.mjs';

const ROOMS = 25;
const PER_ROOM = 4;

// Child mode: open ROOMS*PER_ROOM connections, join them, say "ready", then idle.
async function childMain(wsUrl) {
  const clients = [];
  for (let r = 0; r < ROOMS; r++) {
    for (let i = 0; i < PER_ROOM; i++) {
      const c = await WsClient.connect(wsUrl, { label: `v${r}-${i}` });
      await c.join(`v${r}`, `ghost${i}`);
      clients.push(c);
    }
  }
  process.stdout.write(`ready ${clients.length}\n`);
  setInterval(() => {}, 1 << 30);
}

// Run with --child, this file is the child that holds the connections; otherwise it is the test.
if (process.argv[2] === '--child') await childMain(process.argv[3]);
else test('clients that stop answering pings are dropped and the counts recover within 40 s', { timeout: 150000 }, fixture(async (t) => {
  // 100 connections from one address: more than max_connections_per_address allows by default.
  const d = await t.daemon({ config: '[server]\nmax_connections_per_address = 200\n' });
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', d.wsUrl], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.defer(() => {
    child.kill('SIGKILL');
  });
  const lines = createInterface({ input: child.stdout });
  const ready = await withTimeout(new Promise((resolve, reject) => {
    lines.on('line', (l) => l.startsWith('ready') && resolve(l));
    child.on('exit', (code) => reject(new Error(`child exited (${code}) before it was ready`)));
  }), 30000, 'opening 100 connections');
  assert.equal(ready, `ready ${ROOMS * PER_ROOM}`);

  const [survivor] = await d.clients(1, 'v0', 'alive');
  const all = Array.from({ length: ROOMS }, (_, r) => [`v${r}`, r === 0 ? PER_ROOM + 1 : PER_ROOM]);
  assertShape(await d.api('/api/rooms'), { rooms: roomList(all) }, '/api/rooms with 100 ghosts');

  child.kill('SIGSTOP');
  const stoppedAt = Date.now();
  await eventually(async () => {
    assertShape(await d.api('/api/rooms'), { rooms: roomList([['v0', 1]]) }, '/api/rooms');
    return true;
  }, { timeout: 40000, interval: 500, what: 'counts back to only the live client' });
  t.diagnostic(`ghosts dropped after ${((Date.now() - stoppedAt) / 1000).toFixed(1)} s`);

  // The live client answered every ping: still connected, told about each ghost leaving.
  for (let i = 0; i < PER_ROOM; i++) await survivor.next('peer-left', { timeout: 1000 });
  await survivor.assertAlive();
  assert.equal((await survivor.request({ type: 'chat', text: 'still here' }, 'chat')).seq, 1);
  await (await d.client()).assertAlive();
}));

