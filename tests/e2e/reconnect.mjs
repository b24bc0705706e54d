// E2E: when callboxd goes away the page says so, reconnects by itself with backoff, and rejoins its room.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { test } from 'node:test';
import { startDaemon, makeTempDir } from '../lib/daemon.mjs';
import {
  requireChromium, launchBrowser, openApp, waitFor, joinRoom, sendChat, messageShown, membersAre,
} from './browser.mjs';

requireChromium();

const ROOM = 'porch';

test('reconnect', { timeout: 110000 }, async () => {
  const dataDir = makeTempDir();
  let daemon;
  let browser;
  try {
    daemon = await startDaemon({ dataDir });
    const port = new URL(daemon.url).port;
    browser = await launchBrowser();
    const { context } = browser;
    const alice = await openApp(context, daemon.url, 'alice');
    await joinRoom(alice, 'alice', ROOM);
    const bob = await openApp(context, daemon.url, 'bob');
    await joinRoom(bob, 'bob', ROOM);
    await sendChat(alice, 'before the restart');
    await messageShown(bob, 'chat', 'before the restart');

    // The daemon goes away: the loss is visible and sending is disabled.
    await daemon.stop();
    daemon = null;
    for (const [p, name] of [[alice, 'alice'], [bob, 'bob']]) {
      await waitFor(p, () => document.getElementById('conn-status').dataset.state === 'waiting'
        && document.getElementById('conn-text').textContent.startsWith('Connection lost')
        && document.getElementById('send-button').disabled, undefined, `${name} shows the connection is lost`);
      assert.equal(await p.evaluate(() => document.body.dataset.view), 'room', `${name} stays on the room page`);
    }

    // It comes back on the same port with the same data: both pages rejoin by themselves.
    daemon = await startDaemon({ dataDir, args: ['--port', port] });
    assert.equal(new URL(daemon.url).port, port, 'restarted daemon listens on the same port');
    for (const [p, name] of [[alice, 'alice'], [bob, 'bob']]) {
      await waitFor(p, ([r]) => document.getElementById('conn-status').dataset.state === 'open'
        && document.getElementById('room-name').textContent === r
        && !document.getElementById('send-button').disabled, [ROOM], `${name} reconnected and rejoined`, 40000);
    }
    await membersAre(alice, ['alice', 'bob']);
    await membersAre(bob, ['alice', 'bob']);
    // History survived the restart and was replayed once, not duplicated.
    await messageShown(bob, 'chat', 'before the restart', 'history replayed after the rejoin');
    assert.equal(await bob.locator('#messages [data-kind=chat]').count(), 1);
    await sendChat(bob, 'after the restart');
    assert.equal((await messageShown(alice, 'chat', 'after the restart')).from, 'bob');
  } finally {
    await browser?.close().catch((e) => console.error('closing the browser:', e));
    await daemon?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
