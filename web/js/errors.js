// Turns the server's error codes into plain sentences for the user.

const FRIENDLY = Object.freeze({
  'bad-json': 'The app sent something the server could not read. Please reload the page.',
  'bad-message': 'The server did not understand a request from the app. Please reload the page.',
  'too-large': 'That was too big to send, so the connection was reset.',
  'rate-limited': 'You are sending too fast. Please wait a moment and try again.',
  'not-in-room': 'You are not in a room right now. Join a room first.',
  'bad-room': 'That room name is not allowed. Use 1 to 32 letters, digits, spaces, - or _.',
  'bad-nick': 'That name is not allowed. Use 1 to 24 characters, without control characters.',
  'nick-taken': 'Someone in that room already uses this name. Please pick another one.',
  'bad-text': 'Messages must be between 1 and 2000 characters long.',
  'unknown-peer': 'That person is not in the room any more.',
  'room-full': 'That room is full. Try again later or pick another room.',
  'forbidden': 'This box needs an access code. Please enter the right code.',
  'busy': 'The device is busy with other calls right now. Please try again later.',
  'media-error': 'The device could not start the call.',
  'storage-error': 'The box could not save your message, so it was not sent. Please try again.',
  'already-in-room': 'You are already in that room.',
  'storage-full': 'The box has no room left to save messages, so yours was not sent. Ask whoever looks after the box to make room.',
});

export const JOIN_ERROR_CODES = new Set(['forbidden', 'bad-room', 'bad-nick', 'room-full', 'nick-taken']);

export function friendlyError(msg) {
  const code = typeof msg?.code === 'string' ? msg.code : '';
  const text = Object.hasOwn(FRIENDLY, code) ? FRIENDLY[code] : undefined;
  if (code === 'media-error' && typeof msg.message === 'string' && msg.message) {
    return `${text} (${msg.message})`;
  }
  if (text) return text;
  // An unknown code from a newer server: its own message is the best we have.
  if (typeof msg?.message === 'string' && msg.message) return `Something went wrong: ${msg.message}`;
  return 'Something went wrong. Please try again.';
}
