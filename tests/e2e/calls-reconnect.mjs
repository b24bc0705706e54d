// E2E (loopback-only netns): losing callboxd mid-call ends the call cleanly with a reason, and after the automatic rejoin a new call works.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requireChromium, waitFor, openJoined, withRestartableDaemon } from './browser.mjs';
import { requireLoopbackOnly, launchMediaBrowser, myId, startCall, tileState, expectMediaFrom, problemsOf } from './calls.mjs';

requireChromium();
requireLoopbackOnly();

const ROOM = 'porch';

test('calls-reconnect', { timeout: 110000 }, () => withRestartableDaemon(launchMediaBrowser, async (box) => {
  const pages = await openJoined(box.browser.context, box.daemon.url, ['alice', 'bob'], ROOM, startCall);
  const { alice, bob } = pages;
  await tileState(alice, await myId(bob), 'connected', 'alice is connected with bob');

  // The box goes away: the call ends, the page says why, and Call waits for the connection.
  await box.stop();
  for (const [name, page] of Object.entries(pages)) {
    await waitFor(page, () => document.getElementById('call').dataset.phase === 'idle'
      && Object.keys(window.callbox.calls()).length === 0
      && document.getElementById('call-button').disabled
      && document.getElementById('call-status').textContent.includes('connection to the box was lost'),
    undefined, `${name}: the call ended with a reason`);
    assert.equal((await page.evaluate(() => window.callbox.local())).videoTrackId, null, `${name} released the camera`);
  }

  // It comes back: both rejoin by themselves and can call again.
  await box.restart();
  for (const [name, page] of Object.entries(pages)) {
    await waitFor(page, () => !document.getElementById('call-button').disabled, undefined, `${name} may call again`, 40000);
  }
  await startCall(alice, 'alice');
  await startCall(bob, 'bob');
  await expectMediaFrom(alice, 'alice', [await myId(bob)]);
  await expectMediaFrom(bob, 'bob', [await myId(alice)]);
  assert.deepEqual(await problemsOf(Object.values(pages)), [], 'no dialogs or page errors');
}));
