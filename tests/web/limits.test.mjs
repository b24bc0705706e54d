// Unit tests of web/js/limits.js: the app's own checks of room names, nicknames and chat text before it sends them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LIMITS, codePoints, checkRoom, checkNick, checkText } from '../../web/js/limits.js';

// A letter outside the Basic Multilingual Plane: one code point, two UTF-16 units.
const ASTRAL_LETTER = '\u{1D49C}';
const EMOJI = '\u{1F600}';

test('the limits are the protocol\'s, and cannot be changed', () => {
  assert.deepEqual({ ...LIMITS }, { room: 32, nick: 24, text: 2000 });
  assert.ok(Object.isFrozen(LIMITS));
});

test('codePoints counts code points, not UTF-16 units', () => {
  assert.equal(codePoints(''), 0);
  assert.equal(codePoints('abc'), 3);
  assert.equal(codePoints(EMOJI), 1);
  assert.equal(EMOJI.length, 2);
  assert.equal(codePoints(`${ASTRAL_LETTER}${EMOJI}x`), 3);
  assert.equal(codePoints('e\u0301'), 2, 'a combining accent is a code point of its own');
});

test('checkRoom trims and accepts letters of any script, digits, spaces, - and _', () => {
  for (const name of ['kitchen', 'Living room', 'K\u00fcche', '\u53a8\u623f', '\u043a\u0443\u0445\u043d\u044f', 'room_2-b', '42']) {
    assert.deepEqual(checkRoom(name), { value: name }, name);
  }
  assert.deepEqual(checkRoom('  porch \t\n'), { value: 'porch' });
  assert.deepEqual(checkRoom(7), { value: '7' }, 'a number is taken as its text');
});

test('checkRoom refuses an empty name, with or without white space', () => {
  for (const raw of ['', '   ', '\n\t', null, undefined]) {
    assert.deepEqual(checkRoom(raw), { error: 'Please pick a room or type a room name.' }, JSON.stringify(raw));
  }
});

test('checkRoom allows 32 code points after trimming, and refuses 33', () => {
  assert.deepEqual(checkRoom('r'.repeat(32)), { value: 'r'.repeat(32) });
  assert.deepEqual(checkRoom(ASTRAL_LETTER.repeat(32)), { value: ASTRAL_LETTER.repeat(32) }, '32 code points in 64 UTF-16 units');
  assert.deepEqual(checkRoom(`  ${'r'.repeat(32)}  `), { value: 'r'.repeat(32) }, 'the spaces around do not count');
  const tooLong = { error: 'Room names can be at most 32 characters long.' };
  assert.deepEqual(checkRoom('r'.repeat(33)), tooLong);
  assert.deepEqual(checkRoom(ASTRAL_LETTER.repeat(33)), tooLong);
  assert.deepEqual(checkRoom('/'.repeat(33)), tooLong, 'the length is checked before the characters');
});

test('checkRoom refuses other characters', () => {
  for (const name of ['no/slashes', 'a.b', 'semi;colon', `smile${EMOJI}`, 'tab\there', '<b>']) {
    assert.deepEqual(checkRoom(name), { error: 'Room names may only use letters, digits, spaces, - and _.' }, JSON.stringify(name));
  }
});

test('checkNick trims and accepts any text without control characters', () => {
  for (const nick of ['bob', 'Grandpa Joe', '<b>carol</b>', `${EMOJI} dave`, 'o\'neil & co.']) {
    assert.deepEqual(checkNick(nick), { value: nick }, nick);
  }
  assert.deepEqual(checkNick('  alice\n'), { value: 'alice' });
});

test('checkNick refuses an empty name', () => {
  for (const raw of ['', '  ', null, undefined]) {
    assert.deepEqual(checkNick(raw), { error: 'Please enter your name.' }, JSON.stringify(raw));
  }
});

test('checkNick allows 24 code points after trimming, and refuses 25', () => {
  assert.deepEqual(checkNick('n'.repeat(24)), { value: 'n'.repeat(24) });
  assert.deepEqual(checkNick(EMOJI.repeat(24)), { value: EMOJI.repeat(24) }, '24 emoji are 48 UTF-16 units');
  assert.deepEqual(checkNick(` ${'n'.repeat(24)} `), { value: 'n'.repeat(24) });
  const tooLong = { error: 'Names can be at most 24 characters long.' };
  assert.deepEqual(checkNick('n'.repeat(25)), tooLong);
  assert.deepEqual(checkNick(EMOJI.repeat(25)), tooLong);
});

test('checkNick refuses control characters inside the name', () => {
  for (const nick of ['bell\u0007', 'a\tb', 'line\nbreak', 'nul\u0000', 'del\u007f', 'c1\u0085x']) {
    assert.deepEqual(checkNick(nick), { error: 'Names cannot contain control characters.' }, JSON.stringify(nick));
  }
});

test('checkText trims, keeps inner white space, and has nothing to say about empty text', () => {
  assert.deepEqual(checkText('  hi  '), { value: 'hi' });
  assert.deepEqual(checkText('\n\tline one\nline two \t'), { value: 'line one\nline two' });
  for (const raw of ['', '   ', '\n', null, undefined]) {
    assert.deepEqual(checkText(raw), { error: null }, JSON.stringify(raw));
  }
});

test('checkText allows 2000 code points after trimming, and refuses 2001', () => {
  assert.deepEqual(checkText('x'.repeat(2000)), { value: 'x'.repeat(2000) });
  assert.deepEqual(checkText(EMOJI.repeat(2000)), { value: EMOJI.repeat(2000) });
  assert.deepEqual(checkText(`\n${'x'.repeat(2000)}  `), { value: 'x'.repeat(2000) });
  const tooLong = { error: 'Messages can be at most 2000 characters long.' };
  assert.deepEqual(checkText('x'.repeat(2001)), tooLong);
  assert.deepEqual(checkText(EMOJI.repeat(2001)), tooLong);
});
