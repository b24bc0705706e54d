// Unit tests of web/js/admin-format.js: how the admin page shows numbers, durations and flags, and "—" for anything missing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NONE, isNum, count, decimal, loss, duration, yesNo, text, clock } from '../../web/js/admin-format.js';

// Values a daemon may leave out or send in the wrong type.
const MISSING = [undefined, null, '12', '', NaN, Infinity, -Infinity, true, {}, []];

test('a missing value is shown as an em dash by every number formatter', () => {
  assert.equal(NONE, '\u2014');
  for (const format of [count, decimal, loss, duration]) {
    for (const v of MISSING) assert.equal(format(v), NONE, `${format.name}(${String(v)})`);
  }
});

test('isNum is true for finite numbers only', () => {
  for (const v of [0, -0, 1, -1.5, 1e300, Number.MAX_SAFE_INTEGER]) assert.equal(isNum(v), true, String(v));
  for (const v of MISSING) assert.equal(isNum(v), false, String(v));
});

// Checks what `format` shows for each [value, shown] pair.
function shows(format, cases) {
  for (const [value, shown] of cases) assert.equal(format(value), shown, `${format.name}(${value})`);
}

test('count rounds to a whole number with thousands separators', () => {
  shows(count, [[0, '0'], [999, '999'], [1234567, '1,234,567'], [2.5, '3'], [2.4, '2'], [-1234, '-1,234']]);
});

test('decimal shows up to the given decimals, and none from 100 on', () => {
  shows(decimal, [
    [3.14159, '3.1'], [2, '2'], [0.05, '0.1'], [99.94, '99.9'], [99.96, '100'],
    [100.7, '101'], [1234.5, '1,235'], [-150.4, '-150'], [-12.34, '-12.3'],
  ]);
  assert.equal(decimal(3.14159, 2), '3.14');
  assert.equal(decimal(3.14159, 0), '3');
  assert.equal(decimal(120.5, 2), '121', 'no decimals from 100 on, whatever was asked');
});

test('loss turns a fraction into a percentage: one decimal under 10 %, none from 10 % on', () => {
  shows(loss, [[0, '0 %'], [0.0123, '1.2 %'], [0.05, '5 %'], [0.0996, '10 %'], [0.123, '12 %'], [0.5, '50 %'], [1, '100 %']]);
});

test('duration counts whole seconds up into minutes, hours and days', () => {
  shows(duration, [
    [0, '0 s'], [59, '59 s'], [59.9, '59 s'], [60, '1 min 0 s'], [3599, '59 min 59 s'], [3600, '1 h 0 min'],
    [86399, '23 h 59 min'], [86400, '1 d 0 h 0 min'], [93784, '1 d 2 h 3 min'], [-1, NONE],
  ]);
});

test('yesNo shows booleans only', () => {
  assert.equal(yesNo(true), 'yes');
  assert.equal(yesNo(false), 'no');
  for (const v of [undefined, null, 0, 1, 'true', 'yes']) assert.equal(yesNo(v), NONE, String(v));
});

test('text shows non-empty strings as they are', () => {
  assert.equal(text('Living room'), 'Living room');
  assert.equal(text(' '), ' ');
  assert.equal(text('<b>x</b>'), '<b>x</b>');
  for (const v of [undefined, null, '', 0, 42, false]) assert.equal(text(v), NONE, String(v));
});

test('clock shows the local time of day as hh:mm:ss on a 24-hour clock', () => {
  assert.equal(clock(new Date(2026, 0, 2, 3, 4, 5)), '03:04:05');
  assert.equal(clock(new Date(2026, 6, 31, 23, 59, 59)), '23:59:59');
  assert.equal(clock(new Date(2026, 6, 31, 12, 0, 0)), '12:00:00');
  assert.match(clock(), /^\d\d:\d\d:\d\d$/, 'now, by default');
});
