// What the daemon keeps resident before any call: transparent huge pages off, no
// PulseAudio/DeckLink/PipeWire device providers (read from /proc).
import { readFileSync, readdirSync } from 'node:fs';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture } from '../lib/fixture.mjs';
import { eventually } from '../lib/wait.mjs';
import { skipFile } from '../lib/skip.mjs';

// GStreamer's plug-in folder, if this machine has one with the plug-ins a call needs.
const pluginDir = ['/usr/lib/x86_64-linux-gnu/gstreamer-1.0', '/usr/lib/aarch64-linux-gnu/gstreamer-1.0', '/usr/lib/arm-linux-gnueabihf/gstreamer-1.0']
  .find((dir) => { try { return readdirSync(dir).includes('libgstwebrtc.so'); } catch { return false; } });
if (process.platform !== 'linux' || !pluginDir) skipFile('needs Linux /proc and GStreamer\'s webrtc plug-in');
const installed = new Set(readdirSync(pluginDir));

const CONFIG = '[media]\nice_addresses=127.0.0.1\n';
const maps = (pid) => readFileSync(`/proc/${pid}/maps`, 'utf8');
const mapped = (pid, lib) => maps(pid).includes(`/gstreamer-1.0/${lib}`);

test('transparent huge pages are off for the daemon', { timeout: 30000 }, fixture(async (t) => {
  const d = await t.daemon({ config: CONFIG });
  const status = readFileSync(`/proc/${d.pid}/status`, 'utf8');
  const m = /^THP_enabled:\s+(\d)/m.exec(status);
  if (!m) return t.nodeTest.skip('this kernel does not report THP_enabled');
  assert.equal(m[1], '0');
}));

test('unused device providers stay unloaded', { timeout: 60000 }, fixture(async (t) => {
  const d = await t.daemon({ config: CONFIG });
  const pid = d.pid;
  // Once the device monitor has loaded the providers it uses, it has passed over the others.
  for (const lib of ['libgstalsa.so', 'libgstvideo4linux2.so'].filter((l) => installed.has(l)))
    await eventually(() => mapped(pid, lib), { timeout: 30000, what: `${lib} (a device provider callboxd uses) mapped` });
  for (const lib of ['libgstpulseaudio.so', 'libgstdecklink.so', 'libgstpipewire.so'])
    assert.ok(!mapped(pid, lib), `${lib} is not loaded`);
}));
