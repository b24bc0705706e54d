// The lobby: nickname and room entry (remembered in localStorage) and the live room list.
import { el, byId, show, clear } from './dom.js';
import { checkNick, checkRoom } from './limits.js';

const STORE_NICK = 'callbox.nick';
const STORE_ROOM = 'callbox.room';

function load(key) {
  try { return localStorage.getItem(key) ?? ''; } catch { return ''; }
}

export function remember(nick, room) {
  try {
    if (nick) localStorage.setItem(STORE_NICK, nick);
    if (room) localStorage.setItem(STORE_ROOM, room);
  } catch { /* private mode: nothing to remember */ }
}

export class LobbyView {
  // onJoin({ room, nick, code }) is called with checked, trimmed values.
  constructor({ onJoin, onError }) {
    this.onJoin = onJoin;
    this.onError = onError;
    this.section = byId('lobby');
    this.form = byId('join-form');
    this.nickInput = byId('nick-input');
    this.roomInput = byId('room-input');
    this.codeRow = byId('code-row');
    this.codeInput = byId('code-input');
    this.joinButton = byId('join-button');
    this.list = byId('room-list');
    this.empty = byId('room-list-empty');
    this.busy = false;
    this.connected = false;

    this.nickInput.value = load(STORE_NICK);
    this.roomInput.value = load(STORE_ROOM);

    this.form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.#submit(this.roomInput.value);
    });
    this.list.addEventListener('click', (ev) => {
      const button = ev.target.closest('button[data-room]');
      if (!button) return;
      this.roomInput.value = button.dataset.room;
      this.#submit(button.dataset.room);
    });
  }

  #submit(rawRoom) {
    if (this.busy) return;
    const nick = checkNick(this.nickInput.value);
    if (nick.error) {
      this.onError(nick.error);
      this.nickInput.focus();
      return;
    }
    const room = checkRoom(rawRoom);
    if (room.error) {
      this.onError(room.error);
      this.roomInput.focus();
      return;
    }
    const code = this.codeInput.value.trim();
    this.onJoin({ room: room.value, nick: nick.value, code: code || undefined });
  }

  showView(visible) {
    show(this.section, visible);
    if (visible) this.#updateButton();
  }

  setConnected(connected) {
    this.connected = connected;
    this.#updateButton();
  }

  setBusy(busy) {
    this.busy = busy;
    this.#updateButton();
  }

  #updateButton() {
    this.joinButton.disabled = this.busy || !this.connected;
    this.joinButton.textContent = this.busy ? 'Joining…' : 'Join';
    for (const b of this.list.querySelectorAll('button[data-room]')) b.disabled = this.busy || !this.connected;
  }

  // The server wants an access code: reveal the field and put the cursor there.
  askForCode() {
    show(this.codeRow, true);
    this.codeInput.focus();
    this.codeInput.select();
  }

  focusNick() {
    this.nickInput.focus();
    this.nickInput.select();
  }

  renderRooms(rooms) {
    const sorted = (Array.isArray(rooms) ? rooms : [])
      .filter((r) => r && typeof r.name === 'string')
      .sort((a, b) => a.name.localeCompare(b.name));
    clear(this.list);
    for (const room of sorted) {
      const count = Number.isFinite(room.count) ? room.count : 0;
      const label = count === 1 ? '1 person' : `${count} people`;
      this.list.append(el('li', { class: 'room-item', 'data-testid': 'room-item', dataset: { room: room.name } },
        el('button', {
          type: 'button',
          class: 'room-button',
          'data-testid': 'room-button',
          dataset: { room: room.name },
          'aria-label': `Join ${room.name} (${label})`,
        },
        el('span', { class: 'room-item-name', 'data-testid': 'room-item-name', text: room.name }),
        el('span', { class: 'room-item-count', 'data-testid': 'room-count', title: label, text: String(count) }))));
    }
    show(this.empty, sorted.length === 0);
    this.#updateButton();
  }
}
