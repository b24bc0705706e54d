// Runs Debian's Janus for the tests: a copy of tests/janus/ (loopback only, HTTP API, VideoRoom)
// on a free 127.0.0.1 port; resolves once its API answers. Skips the file without /usr/bin/janus.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { makeTempDir, sourceRoot } from './daemon.mjs';
import { skipFile } from './skip.mjs';

export const JANUS = process.env.CALLBOX_JANUS || '/usr/bin/janus';

export function requireJanus() {
  if (!existsSync(JANUS)) skipFile(`${JANUS} not found (install Debian's janus)`);
}

// A port nobody listens on now (the kernel picks it), for Janus or for a Janus that is not there.
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Janus gathers ICE candidates only on interfaces that are not loopback: inside the test's
// loopback-only namespace, a veth pair (both ends in the namespace) holds 127.0.0.2 for it.
export const JANUS_ICE_ADDRESS = '127.0.0.2';
function addJanusInterface() {
  const have = spawnSync('ip', ['-br', 'addr', 'show', 'dev', 'cbjanus0']);
  if (have.status === 0 && have.stdout.toString().includes(JANUS_ICE_ADDRESS)) return;
  for (const args of [
    ['link', 'add', 'cbjanus0', 'type', 'veth', 'peer', 'name', 'cbjanus1'],
    ['addr', 'add', `${JANUS_ICE_ADDRESS}/32`, 'dev', 'cbjanus0'],
    ['link', 'set', 'cbjanus0', 'up'],
    ['link', 'set', 'cbjanus1', 'up'],
  ]) {
    const r = spawnSync('ip', args);
    if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
  }
}

// Starts Janus; { url, log(), stop() }. Its log goes to a file in its folder (log() reads it).
export async function startJanus({ timeout = 20000 } = {}) {
  addJanusInterface();
  const dir = makeTempDir('janus-');
  const port = await freePort();
  for (const f of readdirSync(join(sourceRoot, 'tests', 'janus'))) copyFileSync(join(sourceRoot, 'tests', 'janus', f), join(dir, f));
  const adminPort = await freePort();
  const adminSecret = randomBytes(12).toString('hex');
  const fill = (name, values) => {
    const file = join(dir, name);
    let text = readFileSync(file, 'utf8');
    for (const [key, value] of Object.entries(values)) text = text.replace(key, value);
    writeFileSync(file, text);
  };
  fill('janus.transport.http.jcfg', { '@PORT@': String(port), '@ADMIN_PORT@': String(adminPort) });
  fill('janus.jcfg', { '@ADMIN_SECRET@': adminSecret });
  const logFile = join(dir, 'janus.log');
  // -N: no colours; -L: a log file next to the config.
  const child = spawn(JANUS, ['-F', dir, '-C', join(dir, 'janus.jcfg'), '-L', logFile, '-N'], { stdio: 'ignore' });
  let exited = null;
  child.on('exit', (code, signal) => { exited = { code, signal }; });
  const url = `http://127.0.0.1:${port}/janus`;
  const log = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  const deadline = Date.now() + timeout;
  for (;;) {
    if (exited) throw new Error(`janus exited (${JSON.stringify(exited)}):\n${log()}`);
    const ok = await fetch(url, { method: 'POST', body: '{"janus":"info","transaction":"t"}' })
      .then((r) => r.ok).catch(() => false);
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`janus did not answer at ${url}:\n${log()}`);
    }
    await sleep(200);
  }
  const adminUrl = `http://127.0.0.1:${adminPort}/admin`;
  return {
    url,
    port,
    log,
    // One request to Janus's admin API at `path` (e.g. `/${session}/${handle}`); its JSON reply.
    async admin(path, request) {
      const res = await fetch(adminUrl + path, {
        method: 'POST', body: JSON.stringify({ ...request, transaction: randomBytes(6).toString('hex'), admin_secret: adminSecret }),
      });
      const reply = await res.json();
      if (reply.janus === 'error') throw new Error(`Janus admin ${request.janus}: ${JSON.stringify(reply.error)}`);
      return reply;
    },
    async stop() {
      if (exited) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(timer);
    },
  };
}
