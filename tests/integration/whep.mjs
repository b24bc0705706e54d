// WHEP (RFC 9725) with curl: POST an offer → 201, answer with candidates, Location; PATCH trickles; DELETE ends;
// the access code as Bearer token (401), 415, 400, 405, 413, 503 + Retry-After past max_calls; and the ICE
// servers reach members in `joined` only, never in `welcome`.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { fixture } from '../lib/fixture.mjs';
import { offer } from '../lib/device-offer.mjs';
import { skipFile } from '../lib/skip.mjs';

await new Promise((resolve) => execFile('curl', ['--version'], (err) => {
  if (err) skipFile('no curl');
  resolve();
}));

const CODE = '2468';
const CONFIG = `[rooms]\naccess_code=${CODE}\n[media]\nice_addresses=127.0.0.1\nmax_calls=1\n`
  + '[ice]\nstun=stun:127.0.0.1:3478\nturn=turn:127.0.0.1:3478?transport=udp\nturn_secret=whep-secret\n';

// curl, as a WHEP client: { status, headers (lower-case names; repeated ones joined with ", "), body }.
function curl(args) {
  return new Promise((resolve, reject) => {
    execFile('curl', ['-sS', '-i', '--max-time', '30', ...args], { maxBuffer: 1 << 20 }, (err, stdout) => {
      if (err) return reject(err);
      const [head, ...rest] = stdout.split('\r\n\r\n');
      const lines = head.split('\r\n');
      const headers = {};
      for (const l of lines.slice(1)) {
        const i = l.indexOf(':');
        const k = l.slice(0, i).toLowerCase();
        const v = l.slice(i + 1).trim();
        headers[k] = headers[k] ? `${headers[k]}, ${v}` : v;
      }
      resolve({ status: Number(lines[0].split(' ')[1]), headers, body: rest.join('\r\n\r\n') });
    });
  });
}

const post = (d, body, { token = CODE, type = 'application/sdp' } = {}) => curl([
  '-X', 'POST', '-H', `Content-Type: ${type}`, ...(token ? ['-H', `Authorization: Bearer ${token}`] : []),
  '--data-binary', body, `${d.url}/whep`]);

test('WHEP with curl: answer, trickle, delete; token, type, SDP and size checks; max_calls', { timeout: 120000 }, fixture(async (t) => {
  const d = await t.daemon({ config: CONFIG });
  const sdp = offer(['audio', 'video']);

  assert.equal((await post(d, sdp, { token: null })).status, 401, 'no token');
  const wrong = await post(d, sdp, { token: '1111' });
  assert.equal(wrong.status, 401, 'wrong token');
  assert.match(wrong.headers['www-authenticate'], /^Bearer/);
  assert.equal((await post(d, sdp, { type: 'text/plain' })).status, 415, 'wrong content type');
  assert.equal((await post(d, 'v=0\r\nthis is not sdp\r\n')).status, 400, 'bad SDP');
  assert.equal((await post(d, sdp.replace(/a=recvonly/g, 'a=sendrecv'))).status, 400, 'a viewer only receives');
  assert.equal((await post(d, offer(['audio', 'video'], 20000))).status, 413, 'past max_sdp_bytes');
  assert.equal((await curl([`${d.url}/whep`])).status, 405, 'GET /whep');

  const ok = await post(d, sdp);
  assert.equal(ok.status, 201, ok.body);
  assert.match(ok.headers['content-type'], /^application\/sdp/);
  assert.match(ok.headers.location, /^\/whep\/[0-9a-f-]{36}$/);
  assert.match(ok.body, /^v=0\r\n/);
  assert.match(ok.body, /^a=candidate:.* 127\.0\.0\.1 \d+ typ host/m, 'the device\'s candidates are in the answer');
  assert.match(ok.body, /^a=end-of-candidates\r$/m);
  assert.match(ok.body, /^a=sendonly\r$/m, 'the device sends');
  // The ICE servers as Link headers, TURN with credentials minted from the shared secret.
  const links = ok.headers.link;
  assert.match(links, /<stun:127\.0\.0\.1:3478>; rel="ice-server"/);
  const m = /<turn:127\.0\.0\.1:3478\?transport=udp>; rel="ice-server"; username="([^"]+)"; credential="([^"]+)"/.exec(links);
  assert.ok(m, links);
  assert.equal(m[2], createHmac('sha1', 'whep-secret').update(m[1]).digest('base64'));

  // One call is max_calls here: the next viewer is told to come back.
  const busy = await post(d, sdp);
  assert.equal(busy.status, 503);
  assert.match(busy.headers['retry-after'], /^\d+$/);

  const resource = `${d.url}${ok.headers.location}`;
  const frag = 'a=ice-ufrag:atk0\r\na=ice-pwd:attackattackattackattack\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n'
    + 'a=candidate:1 1 udp 2122260223 127.0.0.1 40000 typ host\r\na=end-of-candidates\r\n';
  const patch = (args) => curl(['-X', 'PATCH', '-H', `Authorization: Bearer ${CODE}`, ...args, resource]);
  assert.equal((await patch(['-H', 'Content-Type: application/trickle-ice-sdpfrag', '--data-binary', frag])).status, 204);
  assert.equal((await patch(['-H', 'Content-Type: application/sdp', '--data-binary', frag])).status, 415);
  assert.equal((await curl(['-X', 'DELETE', resource])).status, 401, 'DELETE needs the token too');
  assert.equal((await curl(['-X', 'DELETE', '-H', `Authorization: Bearer ${CODE}`, resource])).status, 200);
  assert.equal((await curl(['-X', 'DELETE', '-H', `Authorization: Bearer ${CODE}`, resource])).status, 404, 'gone');
  // The slot is free again.
  const again = await post(d, sdp);
  assert.equal(again.status, 201, again.body);
  assert.equal((await curl(['-X', 'DELETE', '-H', `Authorization: Bearer ${CODE}`, `${d.url}${again.headers.location}`])).status, 200);
}));

test('the ICE servers are in joined (with minted TURN credentials), never in welcome', { timeout: 30000 }, fixture(async (t) => {
  const d = await t.daemon({ config: CONFIG });
  const c = await d.client();
  assert.equal(JSON.stringify(c.welcome).includes('turn'), false, 'welcome says nothing of ICE servers');
  const joined = await c.join('kitchen', 'alice', { code: CODE });
  assert.equal(joined.ice_transport_policy, 'all');
  assert.deepEqual(joined.ice_servers[0], { urls: ['stun:127.0.0.1:3478'] });
  const turn = joined.ice_servers[1];
  assert.deepEqual(turn.urls, ['turn:127.0.0.1:3478?transport=udp']);
  const [expiry, who] = turn.username.split(':');
  assert.equal(who, joined.id);
  assert.ok(Number(expiry) > Date.now() / 1000 + 3600, 'valid for a day by default');
  assert.equal(turn.credential, createHmac('sha1', 'whep-secret').update(turn.username).digest('base64'));
}));
