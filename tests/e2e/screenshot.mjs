// Takes docs/screenshot-room.png: the room page on a 390x844 phone viewport with two members chatting (run by hand).
// Usage: CALLBOXD=build/src/callboxd node tests/e2e/screenshot.mjs [output.png]
import { join } from 'node:path';
import { test } from 'node:test';
import { startDaemon, sourceRoot } from '../lib/daemon.mjs';
import { requireChromium, launchBrowser, click, openApp, joinRoom, sendChat, messageShown, membersAre, waitFor } from './browser.mjs';

requireChromium();
const out = process.argv[2] ?? join(sourceRoot, 'docs', 'screenshot-room.png');

test('screenshot', { timeout: 120000 }, async (t) => {
  let daemon;
  let browser;
  try {
    daemon = await startDaemon({ args: ['--device-name', 'Living room'] });
    browser = await launchBrowser({ viewport: { width: 390, height: 844 } });
    const { context } = browser;
    const maya = await openApp(context, daemon.url, 'maya');
    await joinRoom(maya, 'Maya', 'Family');
    const grandpa = await openApp(context, daemon.url, 'grandpa');
    await joinRoom(grandpa, 'Grandpa Joe', 'Family', { viaList: true });
    await membersAre(maya, ['Maya', 'Grandpa Joe']);

    const lines = [
      [maya, 'Hi Grandpa! Are you in front of the TV?'],
      [grandpa, 'Yes, I can see the camera light is on.'],
      [maya, 'Great, we will call you after dinner, around 7.'],
      [grandpa, 'Perfect. I will make some tea ☕'],
    ];
    for (const [page, text] of lines) {
      await sendChat(page, text);
      await messageShown(maya, 'chat', text);
      await messageShown(grandpa, 'chat', text);
    }
    await click(grandpa, '#member-list li[data-nick="Maya"] button');
    await sendChat(grandpa, 'Don\'t tell Grandma, it is a surprise!');
    await messageShown(maya, 'whisper', 'Don\'t tell Grandma, it is a surprise!');
    await waitFor(maya, () => document.activeElement?.id === 'chat-input', undefined, 'composer focused');
    await maya.evaluate(() => document.activeElement.blur());
    await maya.bringToFront();
    await maya.screenshot({ path: out });
    t.diagnostic(`wrote ${out}`);
  } finally {
    await browser?.close().catch(() => {});
    await daemon?.stop();
  }
});
