// HTTP helpers: a GET that sends the path exactly as given, and a GET that expects JSON.
import assert from 'node:assert/strict';
import http from 'node:http';

// GET with the path sent exactly as given (no URL normalisation).
// localAddress: the loopback address to connect from (127.0.0.2 and so on).
export function httpGet(baseUrl, path, { timeout = 5000, method = 'GET', localAddress } = {}) {
  const u = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path, method, agent: false, timeout, localAddress }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`HTTP ${method} ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

export async function getJson(baseUrl, path) {
  const r = await httpGet(baseUrl, path);
  assert.equal(r.status, 200, `GET ${path}: status ${r.status}: ${r.body.slice(0, 200)}`);
  assert.match(r.headers['content-type'] ?? '', /^application\/json\b/, `GET ${path}: content-type`);
  try {
    return JSON.parse(r.body);
  } catch {
    throw new Error(`GET ${path}: body is not JSON: ${r.body.slice(0, 200)}`);
  }
}
