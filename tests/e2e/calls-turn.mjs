// E2E (loopback-only netns): calls through a real coturn (Debian's turnserver on 127.0.0.1,
// relaying from 127.0.0.2): the device and the browser relay-only, media flows on a relay pair,
// coturn logs both allocations; then wrong credentials (SIGHUP) fail the next call with a reason.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startDaemon, sourceRoot } from '../lib/daemon.mjs';
import { haveCoturn, startCoturn } from '../lib/coturn.mjs';
import { skipFile } from '../lib/skip.mjs';
import { requireChromium, openApp, waitFor, joinRoom } from './browser.mjs';
import { requireLoopbackOnly, launchMediaBrowser, myId, callDevice, startCall, hangUp, problemsOf } from './calls.mjs';

requireChromium();
requireLoopbackOnly();
if (!haveCoturn()) skipFile('no turnserver (install Debian\'s coturn)');

const ROOM = 'porch';
const ENV = { CALLBOX_PIPELINES_DIR: process.env.CALLBOX_PIPELINES_DIR ?? join(sourceRoot, 'pipelines') };
// The device gathers on 127.0.0.1 and takes the relay candidates coturn hands out on 127.0.0.2.
const config = (turn, secret) => '[media]\nice_addresses=127.0.0.1,127.0.0.2\n'
  + `[ice]\nturn=${turn}\nturn_secret=${secret}\nrelay_only=true\n`;

// The browser's selected candidate pair with the device: types and addresses (getStats).
function selectedPair(page) {
  return page.evaluate(async () => {
    const pc = window.callbox.calls().device;
    if (!pc) return null;
    const stats = await pc.getStats();
    let out = null;
    stats.forEach((s) => {
      if (s.type !== 'transport' || !s.selectedCandidatePairId) return;
      const p = stats.get(s.selectedCandidatePairId);
      const l = p && stats.get(p.localCandidateId);
      const r = p && stats.get(p.remoteCandidateId);
      out = { local: l?.candidateType, remote: r?.candidateType, addresses: [l?.address, r?.address] };
    });
    let frames = 0;
    stats.forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'video') frames += s.framesDecoded ?? 0; });
    return { ...out, frames };
  });
}

test('calls-turn', { timeout: 230000 }, async (t) => {
  let turn;
  let daemon;
  let browser;
  const pages = [];
  try {
    turn = await startCoturn();
    daemon = await startDaemon({ config: config(turn.url, turn.secret), env: ENV });
    browser = await launchMediaBrowser();
    const alice = await openApp(browser.context, daemon.url, 'alice');
    pages.push(alice);
    await joinRoom(alice, 'alice', ROOM);
    const aliceId = await myId(alice);

    await callDevice(alice, 'alice');
    const policy = await alice.evaluate(() => window.callbox.calls().device.getConfiguration().iceTransportPolicy);
    assert.equal(policy, 'relay', 'the browser uses relays only');

    // Media flows, over a relay pair on coturn's relay address.
    let pair;
    const deadline = Date.now() + 30000;
    let base = null;
    for (;;) {
      pair = await selectedPair(alice);
      if (pair?.local && base === null && pair.frames > 0) base = pair.frames;
      if (base !== null && pair.frames > base) break;
      if (Date.now() > deadline) throw new Error(`no video over TURN: ${JSON.stringify(pair)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    t.diagnostic(`selected pair: ${JSON.stringify(pair)}`);
    assert.equal(pair.local, 'relay', 'the browser\'s side of the pair is a relay candidate');
    assert.equal(pair.remote, 'relay', 'the device\'s side of the pair is a relay candidate');
    assert.deepEqual(pair.addresses, [turn.relayAddress, turn.relayAddress], 'both ends on coturn\'s relay address');

    // coturn itself logged an allocation for the device and one for alice (minted usernames).
    const allocations = await (async () => {
      const until = Date.now() + 10000;
      for (;;) {
        const a = turn.allocations();
        if (a.some((u) => u.endsWith(`:${aliceId}`)) && a.some((u) => /:callbox-call-/.test(u))) return a;
        if (Date.now() > until) throw new Error(`coturn logged no allocation for both ends: ${JSON.stringify(a)}\n${turn.log().slice(-4000)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    t.diagnostic(`coturn allocations: ${allocations.join(', ')}`);
    await hangUp(alice, 'alice');

    // Wrong credentials, applied by SIGHUP to the next call: the device says why, and so does the app.
    writeFileSync(join(daemon.dataDir, 'test.conf'), config(turn.url, 'not-the-secret'));
    daemon.child.kill('SIGHUP');
    const reloaded = Date.now() + 10000;
    while (!/reloaded the config.*\[ice\] turn_secret/.test(daemon.output())) {
      if (Date.now() > reloaded) throw new Error(`no reload logged:\n${daemon.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    // A fresh join gets the new (wrong) credentials for the browser as well.
    const bob = await openApp(browser.context, daemon.url, 'bob');
    pages.push(bob);
    await joinRoom(bob, 'bob', 'garden');
    await startCall(bob, 'bob');
    const words = await waitFor(bob, () => {
      const tile = document.querySelector('[data-testid=tile][data-peer-id=device]');
      return tile?.dataset.state === 'failed' ? tile.querySelector('[data-testid=tile-reason]').textContent : null;
    }, undefined, 'the call fails with wrong TURN credentials', 60000);
    t.diagnostic(`the app says: ${words}`);
    assert.match(words, /TURN/, 'the app says the TURN server is the problem');
    assert.match(daemon.output(), /no TURN relay address/);
    assert.deepEqual(await problemsOf(pages), [], 'no dialogs or page errors');
  } finally {
    await browser?.close().catch((e) => console.error('closing the browser:', e));
    await daemon?.stop();
    await turn?.stop();
  }
});
