// Message matchers and assertions for the protocol: assertShape() templates, is.*, room lists, peers, error replies.
import assert from 'node:assert/strict';

// Number of Unicode code points in a string (what the protocol's limits count).
export const codePoints = (s) => [...s].length;

// A template is a literal (compared with ===), a plain object (same keys, each member
// matched), an array (same length, element by element) or a function (a matcher: it
// returns false or throws when the value does not fit).
export function assertShape(actual, expected, path = 'message') {
  if (typeof expected === 'function') {
    let ok;
    try {
      ok = expected(actual, path);
    } catch (e) {
      throw new assert.AssertionError({ message: `${path}: ${e.message}`, actual, expected: expected.label ?? expected.name });
    }
    if (ok === false) {
      throw new assert.AssertionError({
        message: `${path}: ${JSON.stringify(actual)} is not ${expected.label ?? expected.name ?? 'as expected'}`,
        actual, expected: expected.label ?? expected.name, operator: 'matches',
      });
    }
    return;
  }
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${path}: expected an array, got ${JSON.stringify(actual)}`);
    assert.equal(actual.length, expected.length,
      `${path}: expected ${expected.length} elements, got ${actual.length}: ${JSON.stringify(actual)}`);
    expected.forEach((e, i) => assertShape(actual[i], e, `${path}[${i}]`));
    return;
  }
  if (expected !== null && typeof expected === 'object') {
    assert.ok(actual !== null && typeof actual === 'object' && !Array.isArray(actual),
      `${path}: expected an object, got ${JSON.stringify(actual)}`);
    const want = Object.keys(expected).sort();
    const got = Object.keys(actual).sort();
    const missing = want.filter((k) => !(k in actual));
    const extra = got.filter((k) => !(k in expected));
    assert.ok(missing.length === 0 && extra.length === 0,
      `${path}: members differ (missing: ${JSON.stringify(missing)}, unexpected: ${JSON.stringify(extra)}) in ${JSON.stringify(actual)}`);
    for (const k of want) assertShape(actual[k], expected[k], `${path}.${k}`);
    return;
  }
  assert.ok(Object.is(actual, expected), `${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

function named(label, fn) {
  fn.label = label;
  return fn;
}

export const is = {
  // A server timestamp in ms since the epoch, taken between `from` and now (with slack).
  ts: (from = Date.now() - 60000, slack = 2000) =>
    named(`a ms timestamp after ${from}`, (v) =>
      Number.isInteger(v) && v >= from - slack && v <= Date.now() + slack),
  int: (min = -Infinity, max = Infinity) =>
    named(`an integer in [${min}, ${max}]`, (v) => Number.isInteger(v) && v >= min && v <= max),
  string: named('a non-empty string', (v) => typeof v === 'string' && v.length > 0),
  browserId: named('a browser id "p<N>"', (v) => typeof v === 'string' && /^p\d+$/.test(v)),
  oneOf: (...values) => named(`one of ${JSON.stringify(values)}`, (v) => values.includes(v)),
  // An array holding the templates in any order (elements identified by keyFn).
  unordered: (templates, keyFn = (x) => x.id ?? x.name) =>
    named('the same set of elements', (v, path) => {
      assert.ok(Array.isArray(v), `expected an array, got ${JSON.stringify(v)}`);
      const sortedActual = [...v].sort((a, b) => String(keyFn(a)).localeCompare(String(keyFn(b))));
      const sortedWant = [...templates].sort((a, b) => String(keyFn(a)).localeCompare(String(keyFn(b))));
      assertShape(sortedActual, sortedWant, `${path} (sorted)`);
      return true;
    }),
};

// The server's room list, as sent in `welcome`, `rooms` and /api/rooms.
export const roomList = (rooms) => is.unordered(rooms.map(([name, count]) => ({ name, count })), (r) => r.name);

// True when a `rooms` array equals the given [[name, count], ...] in any order.
export function sameRooms(actual, rooms) {
  try {
    assertShape(actual, roomList(rooms));
    return true;
  } catch {
    return false;
  }
}

// The device as listed in a room's peers.
export const devicePeer = (name = 'callbox') => ({ id: 'device', nick: name, device: true });

// A browser as {id, nick}, as in peer-joined, chat `from` and so on.
export const peerOf = (c) => ({ id: c.id, nick: c.nick });

const ERROR_MEMBERS = new Set(['type', 'code', 'message', 're']);
// assertError()'s `re` that accepts any value.
export const ANY = Symbol('any re');

// An `error` reply: this code, a message, no other members, and `re` as given (undefined: none; ANY: any).
export function assertError(err, code, re, context = '') {
  const where = context ? ` (after ${context})` : '';
  assert.equal(err.type, 'error');
  const extra = Object.keys(err).filter((k) => !ERROR_MEMBERS.has(k));
  assert.deepEqual(extra, [], `error has unexpected members${where}: ${JSON.stringify(err)}`);
  assert.equal(err.code, code, `expected error code "${code}"${where}, got ${JSON.stringify(err)}`);
  assert.ok(typeof err.message === 'string' && err.message.length > 0,
    `error without a human-readable message${where}: ${JSON.stringify(err)}`);
  if (re === ANY) return;
  if (re === undefined) {
    assert.ok(!('re' in err), `error has "re" although the offending type is unknown${where}: ${JSON.stringify(err)}`);
  } else {
    assert.equal(err.re, re, `error "re" should be "${re}"${where}: ${JSON.stringify(err)}`);
  }
}
