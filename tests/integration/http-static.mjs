// Static files: the index at / as text/html, and no way out of the web dir (.., %2e%2e, symlinks).
import { mkdirSync, writeFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture } from '../lib/fixture.mjs';

const INDEX = '<!doctype html>\n<title>callbox test index</title>\n';

// A web dir with an index and links out, next to a secret that must never be served.
function makeSite(t) {
  const root = t.tempDir('callbox-web-');
  const web = join(root, 'web');
  const secret = `TOP-SECRET-${randomBytes(8).toString('hex')}`;
  mkdirSync(join(web, 'sub'), { recursive: true });
  writeFileSync(join(web, 'index.html'), INDEX);
  writeFileSync(join(web, 'sub', 'app.js'), 'console.log("app");\n');
  writeFileSync(join(root, 'secret.txt'), secret);
  symlinkSync(join(root, 'secret.txt'), join(web, 'leak.txt'));
  symlinkSync('../secret.txt', join(web, 'sub', 'relative-leak.txt'));
  symlinkSync(root, join(web, 'leakdir'));
  symlinkSync('/etc', join(web, 'etc'));
  return { web, secret };
}

async function siteDaemon(t) {
  const site = makeSite(t);
  const d = await t.daemon({ args: ['--web-dir', site.web] });
  return { d, ...site };
}

test('GET / serves the index as text/html; other files and 404s', { timeout: 30000 }, fixture(async (t) => {
  const { d } = await siteDaemon(t);
  for (const path of ['/', '/index.html']) {
    const r = await d.get(path);
    assert.equal(r.status, 200, `GET ${path}`);
    assert.match(r.headers['content-type'] ?? '', /^text\/html\b/, `content-type of ${path}`);
    assert.equal(r.body, INDEX, `body of ${path}`);
  }
  const js = await d.get('/sub/app.js');
  assert.equal(js.status, 200);
  assert.match(js.headers['content-type'] ?? '', /^(text|application)\/javascript\b/);
  assert.equal((await d.get('/no-such-file.html')).status, 404);
}));

test('paths escaping the web dir with .. or %2e%2e are refused', { timeout: 30000 }, fixture(async (t) => {
  const { d, secret } = await siteDaemon(t);
  const paths = [
    '/../secret.txt', '/sub/../../secret.txt', '/%2e%2e/secret.txt', '/%2E%2E/secret.txt', '/sub/%2e%2e/%2e%2e/secret.txt',
    '/..%2fsecret.txt', '/%2e%2e%2fsecret.txt', '/sub%2f..%2f..%2fsecret.txt', '/.%2e/secret.txt', '/%2e./secret.txt',
    '/..\\secret.txt', '/..%5csecret.txt', '/%252e%252e/secret.txt', '/../../../../../../etc/passwd',
    '/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd', '//etc/passwd', '/%2fetc%2fpasswd', '/sub/../index.html/../../secret.txt',
  ];
  const served = [];
  for (const path of paths) {
    const r = await d.get(path);
    if (![400, 403, 404].includes(r.status) || r.body.includes(secret) || r.body.includes('root:x:0:0')) {
      served.push(`${path} -> ${r.status} ${JSON.stringify(r.body.slice(0, 80))}`);
    }
  }
  assert.deepEqual(served, [], 'requests outside the web dir must be refused');
}));

test('symlinks pointing outside the web dir are refused', { timeout: 30000 }, fixture(async (t) => {
  const { d, secret } = await siteDaemon(t);
  const served = [];
  for (const path of ['/leak.txt', '/sub/relative-leak.txt', '/leakdir/secret.txt', '/etc/passwd', '/etc/hostname']) {
    const r = await d.get(path);
    if (![403, 404].includes(r.status) || r.body.includes(secret) || r.body.includes('root:x:0:0')) {
      served.push(`${path} -> ${r.status} ${JSON.stringify(r.body.slice(0, 80))}`);
    }
  }
  assert.deepEqual(served, [], 'symlinks out of the web dir must be refused');
  // The daemon still serves what it should.
  assert.equal((await d.get('/')).status, 200);
}));
