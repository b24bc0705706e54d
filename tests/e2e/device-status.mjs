// The device's own view of its calls for the browser tests: /api/status (admin) polled until calls appear, go, or report frames from a browser.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Helpers bound to an admin password: hashLine (the [server] config line that sets it), getJson,
// daemonCalls, callsBecome, deviceReceivesFrom.
export function deviceStatus(password) {
  const hashLine = spawnSync(process.env.CALLBOXD, ['--hash-password'], { input: `${password}\n` }).stdout.toString().trim();
  const auth = { Authorization: `Basic ${Buffer.from(`admin:${password}`).toString('base64')}` };

  async function getJson(daemon, path) {
    const res = await fetch(daemon.url + path, { headers: auth });
    if (!res.ok) return null;
    return res.json().catch(() => null);
  }

  // The daemon's calls, from /api/status (admin).
  async function daemonCalls(daemon) {
    const status = await getJson(daemon, '/api/status');
    const calls = status?.media?.calls;
    if (Array.isArray(calls)) return { count: calls.length, list: calls };
    throw new Error(`the daemon reports no calls: /api/status has no media.calls (${JSON.stringify(status)})`);
  }

  async function callsBecome(daemon, count, what, timeout = 10000) {
    const deadline = Date.now() + timeout;
    let last;
    for (;;) {
      last = await daemonCalls(daemon);
      if (last.count === count) return last;
      if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what} (daemon reports ${JSON.stringify(last)})`);
      await sleep(200);
    }
  }

  // With /api/status, the daemon's own view of the call: connected and receiving our video frames.
  async function deviceReceivesFrom(daemon, peer) {
    const { list } = await daemonCalls(daemon);
    assert.ok(list, 'the daemon lists its calls');
    const framesOf = async () => (await daemonCalls(daemon)).list.find((c) => c.peer === peer);
    const first = await framesOf();
    assert.ok(first, `/api/status lists the call with ${peer}`);
    const deadline = Date.now() + 10000;
    for (;;) {
      const now = await framesOf();
      if (now?.state === 'connected' && now.video_frames_in > first.video_frames_in && now.video_frames_in > 0) return;
      if (Date.now() > deadline) throw new Error(`the device does not report frames from ${peer}: ${JSON.stringify([first, now])}`);
      await sleep(300);
    }
  }

  return { hashLine, getJson, daemonCalls, callsBecome, deviceReceivesFrom };
}
