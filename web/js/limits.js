// Client-side checks for room names, nicknames and chat text (the server enforces the same limits).

export const LIMITS = Object.freeze({ room: 32, nick: 24, text: 2000 });

// Lengths are counted in Unicode code points, after trimming, like the server does.
export function codePoints(s) {
  return [...s].length;
}

const ROOM_RE = /^[\p{L}\p{N} _-]+$/u;
const CONTROL_RE = /\p{Cc}/u;

// Each check returns { value } with the trimmed value, or { error } with a sentence for the user.
export function checkRoom(raw) {
  const value = String(raw ?? '').trim();
  if (!value) return { error: 'Please pick a room or type a room name.' };
  if (codePoints(value) > LIMITS.room) return { error: `Room names can be at most ${LIMITS.room} characters long.` };
  if (!ROOM_RE.test(value)) return { error: 'Room names may only use letters, digits, spaces, - and _.' };
  return { value };
}

export function checkNick(raw) {
  const value = String(raw ?? '').trim();
  if (!value) return { error: 'Please enter your name.' };
  if (codePoints(value) > LIMITS.nick) return { error: `Names can be at most ${LIMITS.nick} characters long.` };
  if (CONTROL_RE.test(value)) return { error: 'Names cannot contain control characters.' };
  return { value };
}

export function checkText(raw) {
  const value = String(raw ?? '').trim();
  if (!value) return { error: null }; // nothing to send; not worth a message
  if (codePoints(value) > LIMITS.text) return { error: `Messages can be at most ${LIMITS.text} characters long.` };
  return { value };
}
