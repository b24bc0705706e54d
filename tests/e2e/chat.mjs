// E2E: lobby, room list counts, members, chat both ways, whispers, nick change, errors, HTML-as-text and leaving, in Chromium.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startDaemon } from '../lib/daemon.mjs';
import {
  requireChromium, launchBrowser, click, openApp, waitFor, joinRoom, sendChat, roomCountIs,
  messageShown, noticeShown, membersAre,
} from './browser.mjs';

requireChromium();

const ROOM = 'kitchen';
const EVIL = '<img src=x onerror=alert(1)>';

async function messagesInOrder(page) {
  return page.evaluate(() => [...document.querySelectorAll('#messages [data-testid=message]')]
    .map((li) => li.querySelector('[data-testid=message-text]').textContent));
}

async function errorShown(page, fragment, what) {
  return waitFor(page, ([f]) => !document.getElementById('error').hidden
    && document.getElementById('error-text').textContent.includes(f), [fragment], what);
}

async function leave(page, name) {
  await click(page, '#leave-button');
  await waitFor(page, () => document.body.dataset.view === 'lobby', undefined, `${name} back in the lobby`);
}

test('chat', { timeout: 170000 }, async () => {
  let daemon;
  let browser;
  const pages = [];
  try {
    daemon = await startDaemon();
    browser = await launchBrowser();
    const { context } = browser;

    // alice starts the room by typing its name.
    const alice = await openApp(context, daemon.url, 'alice');
    pages.push(alice);
    await roomCountIs(alice, ROOM, null, 'no kitchen before anyone joined');
    await joinRoom(alice, 'alice', ROOM);
    assert.equal(await alice.evaluate(() => localStorage.getItem('callbox.nick')), 'alice');
    assert.equal(await alice.evaluate(() => localStorage.getItem('callbox.room')), ROOM);

    // bob sees it in the list with 1 person and picks it from the list.
    const bob = await openApp(context, daemon.url, 'bob');
    pages.push(bob);
    await roomCountIs(bob, ROOM, 1, 'bob sees kitchen with 1 person');
    await joinRoom(bob, 'bob', ROOM, { viaList: true });

    // carol, still in the lobby, sees the count go to 2.
    const carol = await openApp(context, daemon.url, 'carol');
    pages.push(carol);
    await roomCountIs(carol, ROOM, 2, 'a lobby page sees kitchen with 2 people');

    await membersAre(alice, ['alice', 'bob'], 'alice sees alice and bob as members');
    await membersAre(bob, ['alice', 'bob'], 'bob sees alice and bob as members');
    await noticeShown(alice, 'bob joined.');

    // If media is on, the device is a member and is shown as a device (not a whisper target).
    const device = await bob.evaluate(() => {
      const li = document.querySelector('#member-list [data-testid=member-device]');
      return li ? { tag: li.querySelector('.member-tag')?.textContent, button: !!li.querySelector('button') } : null;
    });
    if (device) {
      assert.equal(device.tag, 'device');
      assert.equal(device.button, false, 'the device is not offered as a whisper target');
    }

    // Chat both ways.
    await sendChat(alice, 'hello bob');
    assert.equal((await messageShown(bob, 'chat', 'hello bob')).from, 'alice');
    assert.equal((await messageShown(alice, 'chat', 'hello bob')).from, 'alice');
    await sendChat(bob, 'hi alice');
    assert.equal((await messageShown(alice, 'chat', 'hi alice')).from, 'bob');
    await messageShown(bob, 'chat', 'hi alice');

    // carol joins and gets the history, oldest first.
    await joinRoom(carol, 'carol', ROOM);
    await messageShown(carol, 'chat', 'hi alice', 'carol got the history');
    assert.deepEqual(await messagesInOrder(carol), ['hello bob', 'hi alice'], 'history is oldest first');
    await membersAre(alice, ['alice', 'bob', 'carol']);

    // alice whispers to bob by picking him in the member list.
    await click(alice, '#member-list li[data-nick="bob"] button');
    await waitFor(alice, () => document.getElementById('whisper-target-name').textContent === 'bob'
      && !document.getElementById('whisper-target').hidden, undefined, 'whisper target is bob');
    await sendChat(alice, 'psst bob');
    const got = await messageShown(bob, 'whisper', 'psst bob', 'bob receives the whisper');
    assert.equal(got.direction, 'received');
    assert.equal(got.from, 'alice whispered to you');
    const sent = await messageShown(alice, 'whisper', 'psst bob', 'alice sees her whisper');
    assert.equal(sent.direction, 'sent');
    assert.equal(sent.from, 'You whispered to bob');
    // Whispers look different from chat.
    const looks = await bob.evaluate(() => {
      const w = document.querySelector('#messages [data-kind=whisper]');
      const c = document.querySelector('#messages [data-kind=chat]');
      return [getComputedStyle(w).backgroundColor, getComputedStyle(c).backgroundColor, getComputedStyle(w).borderStyle];
    });
    assert.notEqual(looks[0], looks[1], 'whispers have their own background');
    // Back to everyone; a later chat reaches carol, so the whisper (sent before it) would have too.
    await click(alice, '#whisper-cancel');
    await sendChat(alice, 'after the whisper');
    await messageShown(carol, 'chat', 'after the whisper');
    await messageShown(bob, 'chat', 'after the whisper');
    assert.equal(await carol.evaluate(() => document.getElementById('messages').textContent.includes('psst')), false,
      'carol must not see the whisper');
    assert.equal(await carol.locator('#messages [data-kind=whisper]').count(), 0);

    // On a phone-sized screen (360 px) nothing sticks out sideways and the composer stays usable.
    await bob.setViewportSize({ width: 360, height: 640 });
    const fit = await bob.evaluate(() => ({
      width: document.documentElement.scrollWidth,
      send: document.getElementById('send-button').getBoundingClientRect().right,
    }));
    assert.ok(fit.width <= 360, `page is ${fit.width}px wide at 360px`);
    assert.ok(fit.send <= 360, 'send button is on screen');
    await bob.setViewportSize({ width: 1000, height: 800 });

    // bob changes his nickname in the room.
    await click(bob, '#nick-button');
    await bob.fill('#nick-change-input', 'bobby');
    await click(bob, '#nick-change-submit');
    await noticeShown(bob, 'You are now bobby.');
    await noticeShown(alice, 'bob is now bobby.');
    await noticeShown(carol, 'bob is now bobby.');
    await membersAre(alice, ['alice', 'bobby', 'carol']);
    await waitFor(bob, () => document.getElementById('my-nick').textContent === 'bobby', undefined, 'bob shows his new nick');
    assert.equal(await bob.evaluate(() => localStorage.getItem('callbox.nick')), 'bobby');

    // HTML typed by a user is shown as text, never parsed.
    await sendChat(carol, EVIL);
    for (const [p, name] of [[alice, 'alice'], [bob, 'bob'], [carol, 'carol']]) {
      assert.equal((await messageShown(p, 'chat', EVIL, `${name} shows the HTML as text`)).from, 'carol');
      assert.equal(await p.locator('#messages img').count(), 0, `${name}: no <img> was created`);
    }
    await click(carol, '#nick-button');
    await carol.fill('#nick-change-input', '<b>carol</b>');
    await click(carol, '#nick-change-submit');
    await noticeShown(alice, 'carol is now <b>carol</b>.');
    await membersAre(alice, ['alice', 'bobby', '<b>carol</b>']);
    assert.equal(await alice.locator('#member-list b, #messages b').count(), 0, 'no <b> element from a nick');

    // Errors from the server are shown in plain words: dave tries alice's name (case-insensitively).
    const dave = await openApp(context, daemon.url, 'dave');
    pages.push(dave);
    await roomCountIs(dave, ROOM, 3, 'dave sees kitchen with 3 people');
    await dave.fill('#nick-input', 'ALICE');
    await dave.fill('#room-input', ROOM);
    await click(dave, '#join-button');
    await errorShown(dave, 'already uses this name', 'dave is told the name is taken');
    assert.equal(await dave.evaluate(() => document.body.dataset.view), 'lobby');
    // A bad room name is caught before it is sent.
    await dave.fill('#nick-input', 'dave');
    await dave.fill('#room-input', 'no/slashes');
    await click(dave, '#join-button');
    await errorShown(dave, 'Room names may only use', 'dave is told the room name is bad');

    // Leaving: counts drop for everyone in the lobby.
    await leave(carol, 'carol');
    await roomCountIs(dave, ROOM, 2, 'count drops to 2 after carol leaves');
    await roomCountIs(carol, ROOM, 2, 'carol sees 2 after leaving');
    await noticeShown(alice, '<b>carol</b> left.');
    await membersAre(alice, ['alice', 'bobby']);
    await leave(bob, 'bob');
    await roomCountIs(dave, ROOM, 1, 'count drops to 1 after bob leaves');
    await membersAre(alice, ['alice']);
    await leave(alice, 'alice');
    await roomCountIs(dave, ROOM, null, 'kitchen vanishes when the last browser leaves');
    await roomCountIs(alice, ROOM, null, 'alice sees kitchen gone');

    // The lobby remembers the last nick and room.
    assert.equal(await alice.inputValue('#nick-input'), 'alice');
    assert.equal(await alice.inputValue('#room-input'), ROOM);

    const problems = pages.flatMap((p) => p.problems);
    assert.deepEqual(problems, [], 'no dialogs or page errors');
  } finally {
    await browser?.close().catch((e) => console.error('closing the browser:', e));
    const r = await daemon?.stop();
    if (r && r.code !== 0 && r.signal === null) console.error(`callboxd exited with ${r.code}:\n${daemon.output()}`);
  }
});
