// Unit tests of web/js/errors.js: the sentence the app shows for each error code the server sends, and the fallbacks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { friendlyError, JOIN_ERROR_CODES } from '../../web/js/errors.js';
import { LIMITS } from '../../web/js/limits.js';

// The protocol's error codes (docs/protocol.md), each with a sentence in errors.js.
const CODES = [
  'bad-json', 'bad-message', 'too-large', 'rate-limited', 'not-in-room', 'bad-room', 'bad-nick',
  'nick-taken', 'bad-text', 'unknown-peer', 'room-full', 'forbidden', 'busy', 'media-error',
  'storage-error', 'already-in-room', 'storage-full',
];
const SERVER_WORDS = 'the server\'s own words';
const GENERIC = 'Something went wrong. Please try again.';
const error = (code, message = SERVER_WORDS) => ({ type: 'error', code, message });

test('every code has a sentence of its own, not the server\'s words', () => {
  const sentences = new Map();
  for (const code of CODES.filter((c) => c !== 'media-error')) {
    const sentence = friendlyError(error(code));
    assert.equal(typeof sentence, 'string', code);
    assert.match(sentence, /^[A-Z].*\.$/, `${code}: a sentence`);
    assert.ok(!sentence.includes(SERVER_WORDS) && !sentence.startsWith('Something went wrong'), `${code}: ${sentence}`);
    assert.equal(friendlyError(error(code, '')), sentence, `${code}: the same without a server message`);
    sentences.set(sentence, code);
  }
  assert.equal(sentences.size, CODES.length - 1, 'no two codes share a sentence');
});

test('the sentences say what the user can do', () => {
  assert.match(friendlyError(error('nick-taken')), /already uses this name/);
  assert.match(friendlyError(error('forbidden')), /access code/);
  assert.match(friendlyError(error('room-full')), /full/);
  assert.match(friendlyError(error('rate-limited')), /too fast/);
  assert.match(friendlyError(error('bad-json')), /reload/);
});

test('the limits in the sentences are the ones the app checks', () => {
  assert.ok(friendlyError(error('bad-room')).includes(`1 to ${LIMITS.room} letters`));
  assert.ok(friendlyError(error('bad-nick')).includes(`1 to ${LIMITS.nick} characters`));
  assert.ok(friendlyError(error('bad-text')).includes(`between 1 and ${LIMITS.text} characters`));
});

test('media-error adds the device\'s reason when there is one', () => {
  const plain = friendlyError(error('media-error', ''));
  assert.equal(plain, 'The device could not start the call.');
  assert.equal(friendlyError(error('media-error', 'no camera')), `${plain} (no camera)`);
  assert.equal(friendlyError({ type: 'error', code: 'media-error' }), plain);
  assert.equal(friendlyError({ type: 'error', code: 'media-error', message: 42 }), plain);
});

test('an unknown code shows the server\'s message, or a generic sentence without one', () => {
  assert.equal(friendlyError(error('from-a-newer-server')), `Something went wrong: ${SERVER_WORDS}`);
  for (const msg of [error('from-a-newer-server', ''), { type: 'error', code: 'x' }, { type: 'error', code: 'x', message: 7 }]) {
    assert.equal(friendlyError(msg), GENERIC, JSON.stringify(msg));
  }
});

test('a missing or malformed error gets the generic sentence', () => {
  for (const msg of [undefined, null, {}, 'bad-room', { code: 42 }, { code: null }, { code: ['bad-room'] }]) {
    assert.equal(friendlyError(msg), GENERIC, JSON.stringify(msg));
  }
  assert.equal(friendlyError({ code: 42, message: SERVER_WORDS }), `Something went wrong: ${SERVER_WORDS}`);
});

test('an unknown code named like an Object member gets the fallback too', () => {
  for (const code of ['toString', 'constructor', 'hasOwnProperty', '__proto__']) {
    assert.equal(friendlyError(error(code, '')), GENERIC, code);
  }
});

test('the join errors are the protocol\'s, each with its own sentence', () => {
  assert.deepEqual([...JOIN_ERROR_CODES].sort(), ['bad-nick', 'bad-room', 'forbidden', 'nick-taken', 'room-full']);
  for (const code of JOIN_ERROR_CODES) assert.ok(CODES.includes(code), code);
});
