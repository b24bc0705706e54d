// callbox web app entry point: wires the connection to the lobby, room and call views and keeps the join state.
import { Connection } from './js/connection.js';
import { LobbyView, remember } from './js/lobby.js';
import { RoomView } from './js/chat.js';
import { CallController } from './js/call.js';
import { friendlyError, JOIN_ERROR_CODES } from './js/errors.js';
import { byId, show } from './js/dom.js';

const REJOIN_RETRY_MS = 3000;
const REJOIN_MAX_TRIES = 15; // the server drops a dead old connection after ~30 s
const ERROR_SHOW_MS = 10000;

const conn = new Connection();

const state = {
  want: null,        // { room, nick, code }: the room we want to be in (rejoined after a reconnect)
  pending: null,     // { room, nick, code, auto }: a join sent and not answered yet
  room: null,        // the room shown in the room view
  welcomed: false,   // got `welcome` on the current socket
  everConnected: false,
  rejoinTries: 0,
  rejoinTimer: null,
};

// ---- error banner ----
const errorBox = byId('error');
const errorText = byId('error-text');
let errorTimer = null;

function showError(sentence) {
  if (!sentence) return;
  errorText.textContent = sentence;
  show(errorBox, true);
  clearTimeout(errorTimer);
  errorTimer = setTimeout(hideError, ERROR_SHOW_MS);
}

function hideError() {
  clearTimeout(errorTimer);
  show(errorBox, false);
  errorText.textContent = '';
}

byId('error-close').addEventListener('click', hideError);

// ---- views ----
const lobby = new LobbyView({
  onError: showError,
  onJoin: ({ room, nick, code }) => {
    hideError();
    state.want = { room, nick, code };
    state.rejoinTries = 0;
    sendJoin(false);
  },
});

const roomView = new RoomView({
  onError: showError,
  onChat: (text) => conn.send({ type: 'chat', text }),
  onWhisper: (to, text) => conn.send({ type: 'whisper', to, text }),
  onNick: (nick) => conn.send({ type: 'nick', nick }),
  onLeave: () => leaveRoom(),
});

const call = new CallController({ send: (msg) => conn.send(msg) });
window.callbox = call.debugHooks();

function showLobby() {
  roomView.showView(false);
  lobby.showView(true);
  document.title = 'callbox';
  document.body.dataset.view = 'lobby';
}

function showRoom() {
  lobby.showView(false);
  roomView.showView(true);
  document.title = `${state.room} · callbox`;
  document.body.dataset.view = 'room';
}

function sendJoin(auto) {
  clearTimeout(state.rejoinTimer);
  state.rejoinTimer = null;
  if (!state.want) return;
  const { room, nick, code } = state.want;
  const msg = { type: 'join', room, nick };
  if (code) msg.code = code;
  if (!conn.send(msg)) {
    if (!auto) showError('Not connected yet. You will join as soon as the connection is back.');
    return;
  }
  state.pending = { room, nick, code, auto };
  lobby.setBusy(!auto);
  renderStatus();
}

function leaveRoom() {
  conn.send({ type: 'leave' });
  clearTimeout(state.rejoinTimer);
  state.want = null;
  state.pending = null;
  state.room = null;
  lobby.setBusy(false);
  roomView.reset();
  call.leaveRoom();
  showLobby();
  renderStatus();
}

// ---- connection status ----
const statusBox = byId('conn-status');
const statusText = byId('conn-text');
const retryButton = byId('conn-retry');
let statusTicker = null;

retryButton.addEventListener('click', () => conn.reconnectNow(true));

function renderStatus() {
  let text;
  let kind = conn.state;
  if (conn.state === 'open' && state.welcomed) {
    if (state.pending?.auto) {
      text = `Connected. Rejoining ${state.pending.room}…`;
      kind = 'rejoining';
    } else {
      text = 'Connected';
    }
  } else if (conn.state === 'removed') {
    text = 'The admin removed you from this device. Reconnect when you are welcome back.';
  } else if (conn.state === 'waiting') {
    const secs = Math.max(0, Math.ceil((conn.retryAt - Date.now()) / 1000));
    text = state.everConnected
      ? `Connection lost. Reconnecting in ${secs} s…`
      : `Cannot reach the box. Trying again in ${secs} s…`;
  } else {
    text = state.everConnected ? 'Reconnecting…' : 'Connecting…';
    kind = 'connecting';
  }
  statusBox.dataset.state = kind;
  statusText.textContent = text;
  show(retryButton, conn.state === 'waiting' || conn.state === 'removed');
  if (conn.state === 'waiting' && !statusTicker) {
    statusTicker = setInterval(renderStatus, 1000);
  } else if (conn.state !== 'waiting' && statusTicker) {
    clearInterval(statusTicker);
    statusTicker = null;
  }
}

conn.onState((s) => {
  if (s !== 'open') {
    state.welcomed = false;
    state.pending = null;
    clearTimeout(state.rejoinTimer);
    lobby.setBusy(false);
    call.leaveRoom('The connection to the box was lost, so the call ended. Call again once it is back.');
  }
  const usable = s === 'open' && state.welcomed;
  lobby.setConnected(usable);
  roomView.setConnected(usable && state.room !== null && !state.pending);
  renderStatus();
});

// ---- server messages ----
conn.on('welcome', (msg) => {
  state.welcomed = true;
  state.everConnected = true;
  const deviceName = msg.device && typeof msg.device.name === 'string' ? msg.device.name : '';
  const deviceBox = byId('device-name');
  deviceBox.textContent = deviceName;
  show(deviceBox, deviceName !== '');
  lobby.renderRooms(msg.rooms);
  lobby.setConnected(true);
  if (state.want) sendJoin(true);
  renderStatus();
});

conn.on('rooms', (msg) => lobby.renderRooms(msg.rooms));

conn.on('joined', (msg) => {
  if (!state.want) {
    // The user left while the join was on its way.
    conn.send({ type: 'leave' });
    return;
  }
  state.pending = null;
  state.rejoinTries = 0;
  state.want = { room: msg.room, nick: msg.nick, code: state.want.code };
  state.room = msg.room;
  remember(msg.nick, msg.room);
  lobby.nickInput.value = msg.nick;
  lobby.roomInput.value = msg.room;
  lobby.setBusy(false);
  roomView.enter(msg);
  roomView.setConnected(true);
  call.enterRoom(msg);
  showRoom();
  roomView.focusComposer();
  renderStatus();
});

conn.on('left', (msg) => {
  // A move to another room sends `left` first; only a plain leave shows the lobby.
  if (state.pending || msg.room !== state.room) return;
  state.want = null;
  state.room = null;
  roomView.reset();
  call.leaveRoom();
  showLobby();
});

function inMyRoom(msg) {
  return state.room !== null && msg.room === state.room && !state.pending;
}

conn.on('peer-joined', (msg) => {
  if (!inMyRoom(msg)) return;
  roomView.peerJoined(msg.peer);
  call.peerJoined(msg.peer);
});
conn.on('peer-left', (msg) => {
  if (!inMyRoom(msg)) return;
  roomView.peerLeft(msg.peer);
  call.peerLeft(msg.peer);
});
conn.on('chat', (msg) => { if (inMyRoom(msg)) roomView.addChat(msg); });
conn.on('whisper', (msg) => { if (state.room !== null && !state.pending) roomView.addWhisper(msg); });

conn.on('nick-changed', (msg) => {
  if (!inMyRoom(msg)) return;
  if (msg.id === roomView.me && state.want) {
    state.want.nick = msg.nick;
    remember(msg.nick, null);
    lobby.nickInput.value = msg.nick;
  }
  roomView.nickChanged(msg);
  call.nickChanged(msg);
});

conn.on('error', (msg) => {
  if (call.handleError(msg)) return;
  const code = msg.code;
  const aboutJoin = msg.re === 'join'
    || (!msg.re && state.pending && (JOIN_ERROR_CODES.has(code) || code === 'rate-limited' || code === 'bad-message'));
  if (aboutJoin && state.pending) {
    const failed = state.pending;
    state.pending = null;
    lobby.setBusy(false);
    if (failed.auto && (code === 'nick-taken' || code === 'rate-limited') && state.rejoinTries < REJOIN_MAX_TRIES) {
      // Our previous connection may still hold the name until the server notices it is gone.
      state.rejoinTries += 1;
      state.rejoinTimer = setTimeout(() => sendJoin(true), REJOIN_RETRY_MS);
      statusText.textContent = `Connected. Waiting to rejoin ${failed.room}…`;
      return;
    }
    state.want = null;
    if (state.room !== null) {
      state.room = null;
      roomView.reset();
      showLobby();
    }
    if (code === 'forbidden') lobby.askForCode();
    else if (code === 'nick-taken' || code === 'bad-nick') lobby.focusNick();
    renderStatus();
  } else if (code === 'not-in-room' && state.room !== null && conn.isOpen && state.want && !state.pending) {
    // The server no longer has us in the room: join again quietly.
    sendJoin(true);
    return;
  }
  showError(friendlyError(msg));
});

// Calls: signalling, the device's call state and mute announcements (only while in a room).
const inRoomNow = () => state.room !== null && !state.pending;
conn.on('signal', (msg) => { if (inRoomNow()) call.onSignal(msg); });
conn.on('call-state', (msg) => { if (inRoomNow()) call.onCallState(msg); });
conn.on('media', (msg) => { if (inRoomNow()) call.onMedia(msg); });
conn.on('sfu', (msg) => { if (inMyRoom(msg)) call.onSfu(msg); });

showLobby();
renderStatus();
conn.start();
