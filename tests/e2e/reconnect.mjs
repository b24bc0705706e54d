// E2E: when callboxd goes away the page says so, reconnects by itself with backoff, and rejoins its room.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  requireChromium, launchBrowser, waitFor, sendChat, messageShown, membersAre, openJoined, withRestartableDaemon,
} from './browser.mjs';

requireChromium();

const ROOM = 'porch';

test('reconnect', { timeout: 110000 }, () => withRestartableDaemon(launchBrowser, async (box) => {
  const { alice, bob } = await openJoined(box.browser.context, box.daemon.url, ['alice', 'bob'], ROOM);
  await sendChat(alice, 'before the restart');
  await messageShown(bob, 'chat', 'before the restart');

  // The daemon goes away: the loss is visible and sending is disabled.
  await box.stop();
  for (const [p, name] of [[alice, 'alice'], [bob, 'bob']]) {
    await waitFor(p, () => document.getElementById('conn-status').dataset.state === 'waiting'
      && document.getElementById('conn-text').textContent.startsWith('Connection lost')
      && document.getElementById('send-button').disabled, undefined, `${name} shows the connection is lost`);
    assert.equal(await p.evaluate(() => document.body.dataset.view), 'room', `${name} stays on the room page`);
  }

  // It comes back on the same port with the same data: both pages rejoin by themselves.
  await box.restart();
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
}));
