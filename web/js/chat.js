// The room view: member list (device shown as a device), chat and whisper messages, notices, composer, nick change.
import { el, byId, show, clear } from './dom.js';
import { checkNick, checkText, codePoints, LIMITS } from './limits.js';

function timeOf(ts) {
  if (!Number.isFinite(ts)) return null;
  const d = new Date(ts);
  return el('time', { class: 'msg-time', datetime: d.toISOString(), text: d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) });
}

function nickOf(peer) {
  return peer && typeof peer.nick === 'string' ? peer.nick : '?';
}

export class RoomView {
  // callbacks: onChat(text), onWhisper(toId, text), onNick(nick), onLeave(), onError(sentence)
  constructor(callbacks) {
    this.cb = callbacks;
    this.section = byId('room-view');
    this.roomName = byId('room-name');
    this.myNick = byId('my-nick');
    this.memberList = byId('member-list');
    this.memberCount = byId('member-count');
    this.messages = byId('messages');
    this.chatForm = byId('chat-form');
    this.chatInput = byId('chat-input');
    this.sendButton = byId('send-button');
    this.counter = byId('chat-counter');
    this.whisperBox = byId('whisper-target');
    this.whisperName = byId('whisper-target-name');
    this.nickButton = byId('nick-button');
    this.nickForm = byId('nick-form');
    this.nickInput = byId('nick-change-input');

    this.me = null;           // my peer id
    this.members = new Map(); // id -> { id, nick, device }
    this.whisperTo = null;    // peer id or null
    this.connected = false;

    byId('leave-button').addEventListener('click', () => this.cb.onLeave());
    byId('whisper-cancel').addEventListener('click', () => this.setWhisperTarget(null));
    this.chatForm.addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.#send();
    });
    this.chatInput.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
        ev.preventDefault();
        this.#send();
      }
    });
    this.chatInput.addEventListener('input', () => this.#updateCounter());
    this.memberList.addEventListener('click', (ev) => {
      const button = ev.target.closest('button[data-peer-id]');
      if (button) this.setWhisperTarget(button.dataset.peerId);
    });
    this.nickButton.addEventListener('click', () => this.#toggleNickForm(this.nickForm.hidden));
    byId('nick-change-cancel').addEventListener('click', () => this.#toggleNickForm(false));
    this.nickForm.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const nick = checkNick(this.nickInput.value);
      if (nick.error) {
        this.cb.onError(nick.error);
        return;
      }
      if (nick.value === this.members.get(this.me)?.nick) {
        this.#toggleNickForm(false);
        return;
      }
      this.cb.onNick(nick.value);
    });
  }

  showView(visible) {
    show(this.section, visible);
  }

  setConnected(connected) {
    this.connected = connected;
    this.section.classList.toggle('offline', !connected);
    this.sendButton.disabled = !connected;
    byId('nick-change-submit').disabled = !connected;
  }

  // A `joined` message: start over with its member list and history.
  enter(msg) {
    this.me = msg.id;
    this.roomName.textContent = msg.room;
    this.members.clear();
    for (const p of Array.isArray(msg.peers) ? msg.peers : []) {
      if (p && typeof p.id === 'string') this.members.set(p.id, { id: p.id, nick: nickOf(p), device: p.device === true });
    }
    this.members.set(msg.id, { id: msg.id, nick: msg.nick, device: false });
    if (this.whisperTo && !this.members.has(this.whisperTo)) this.setWhisperTarget(null);
    else this.setWhisperTarget(this.whisperTo);
    this.#toggleNickForm(false);
    this.#renderMembers();
    clear(this.messages);
    const history = Array.isArray(msg.history) ? msg.history : [];
    if (history.length) this.addNotice(`Earlier messages (${history.length})`, 'history-start');
    for (const m of history) this.addChat(m, true);
    this.addNotice(`You joined ${msg.room} as ${msg.nick}.`, 'self-joined');
    this.#scrollToEnd(true);
  }

  reset() {
    this.me = null;
    this.members.clear();
    this.setWhisperTarget(null);
    this.#toggleNickForm(false);
    clear(this.messages);
    clear(this.memberList);
    this.chatInput.value = '';
    this.#updateCounter();
  }

  focusComposer() {
    this.chatInput.focus();
  }

  peerJoined(peer) {
    if (!peer || typeof peer.id !== 'string') return;
    this.members.set(peer.id, { id: peer.id, nick: nickOf(peer), device: peer.device === true });
    this.#renderMembers();
    this.addNotice(`${nickOf(peer)} joined.`, 'joined');
  }

  peerLeft(peer) {
    if (!peer || typeof peer.id !== 'string') return;
    const known = this.members.get(peer.id);
    this.members.delete(peer.id);
    if (this.whisperTo === peer.id) this.setWhisperTarget(null);
    this.#renderMembers();
    this.addNotice(`${known?.nick ?? nickOf(peer)} left.`, 'left');
  }

  nickChanged(msg) {
    const member = this.members.get(msg.id);
    if (member) member.nick = msg.nick;
    this.#renderMembers();
    if (msg.id === this.me) {
      this.#toggleNickForm(false);
      this.addNotice(`You are now ${msg.nick}.`, 'nick');
    } else {
      this.addNotice(`${msg.old} is now ${msg.nick}.`, 'nick');
    }
    if (this.whisperTo === msg.id) this.setWhisperTarget(msg.id);
  }

  get myNickValue() {
    return this.members.get(this.me)?.nick ?? '';
  }

  setWhisperTarget(id) {
    const target = id ? this.members.get(id) : null;
    this.whisperTo = target && !target.device && id !== this.me ? id : null;
    show(this.whisperBox, this.whisperTo !== null);
    this.chatForm.classList.toggle('whispering', this.whisperTo !== null);
    this.whisperName.textContent = this.whisperTo ? this.members.get(this.whisperTo).nick : '';
    this.chatInput.placeholder = this.whisperTo ? `Whisper to ${this.whisperName.textContent}` : 'Message';
    for (const li of this.memberList.children) li.classList.toggle('selected', li.dataset.peerId === this.whisperTo);
    if (this.whisperTo) this.chatInput.focus();
  }

  addChat(msg, fromHistory = false) {
    const from = msg.from ?? {};
    const mine = from.id === this.me && !fromHistory;
    const li = el('li', {
      class: `msg msg-chat${mine ? ' mine' : ''}${fromHistory ? ' from-history' : ''}`,
      'data-testid': 'message',
      dataset: { kind: 'chat', seq: Number.isFinite(msg.seq) ? String(msg.seq) : undefined, fromId: from.id ?? '' },
    },
    el('div', { class: 'msg-meta' },
      el('span', { class: 'msg-from', 'data-testid': 'message-from', text: nickOf(from) }),
      timeOf(msg.ts)),
    el('div', { class: 'msg-text', 'data-testid': 'message-text', text: String(msg.text ?? '') }));
    this.#append(li, mine);
  }

  addWhisper(msg) {
    const from = msg.from ?? {};
    const to = msg.to ?? {};
    const sent = from.id === this.me;
    const label = sent ? `You whispered to ${nickOf(to)}` : `${nickOf(from)} whispered to you`;
    const li = el('li', {
      class: `msg msg-whisper${sent ? ' mine' : ''}`,
      'data-testid': 'message',
      dataset: { kind: 'whisper', fromId: from.id ?? '', toId: to.id ?? '', direction: sent ? 'sent' : 'received' },
    },
    el('div', { class: 'msg-meta' },
      el('span', { class: 'whisper-badge', 'aria-hidden': 'true', text: 'whisper' }),
      el('span', { class: 'msg-from', 'data-testid': 'message-from', text: label }),
      timeOf(msg.ts)),
    el('div', { class: 'msg-text', 'data-testid': 'message-text', text: String(msg.text ?? '') }));
    if (!sent && from.id && this.members.has(from.id)) {
      li.append(el('button', {
        type: 'button', class: 'link-button reply', 'data-testid': 'whisper-reply',
        text: `Whisper back to ${nickOf(from)}`,
        onclick: () => this.setWhisperTarget(from.id),
      }));
    }
    this.#append(li, sent);
  }

  addNotice(text, kind = 'info') {
    this.#append(el('li', { class: `notice notice-${kind}`, 'data-testid': 'notice', dataset: { kind: 'notice', notice: kind }, text }), false);
  }

  #append(node, forceScroll) {
    const nearEnd = this.messages.scrollHeight - this.messages.scrollTop - this.messages.clientHeight < 80;
    this.messages.append(node);
    this.#scrollToEnd(forceScroll || nearEnd);
  }

  #scrollToEnd(really) {
    if (really) this.messages.scrollTop = this.messages.scrollHeight;
  }

  #send() {
    if (!this.connected) {
      this.cb.onError('Not connected. Your message was not sent; it will be possible again once the connection is back.');
      return;
    }
    const text = checkText(this.chatInput.value);
    if (text.error) this.cb.onError(text.error);
    if (!text.value) return;
    const ok = this.whisperTo ? this.cb.onWhisper(this.whisperTo, text.value) : this.cb.onChat(text.value);
    if (ok !== false) {
      this.chatInput.value = '';
      this.#updateCounter();
    }
    this.chatInput.focus();
  }

  #updateCounter() {
    const n = codePoints(this.chatInput.value.trim());
    const near = n > LIMITS.text - 200;
    show(this.counter, near);
    this.counter.textContent = near ? `${n} / ${LIMITS.text}` : '';
    this.counter.classList.toggle('over', n > LIMITS.text);
  }

  #toggleNickForm(open) {
    show(this.nickForm, open);
    this.nickButton.setAttribute('aria-expanded', String(open));
    if (open) {
      this.nickInput.value = this.myNickValue;
      this.nickInput.focus();
      this.nickInput.select();
    }
  }

  #renderMembers() {
    const list = [...this.members.values()].sort((a, b) => {
      if (a.device !== b.device) return a.device ? -1 : 1;      // the device first
      if ((a.id === this.me) !== (b.id === this.me)) return a.id === this.me ? -1 : 1; // then me
      return a.nick.localeCompare(b.nick);
    });
    clear(this.memberList);
    for (const m of list) {
      const isMe = m.id === this.me;
      const li = el('li', {
        class: `member${m.device ? ' member-device' : ''}${isMe ? ' member-me' : ''}${m.id === this.whisperTo ? ' selected' : ''}`,
        'data-testid': m.device ? 'member-device' : 'member',
        dataset: { peerId: m.id, nick: m.nick, device: m.device ? 'true' : 'false' },
      });
      const icon = m.device
        ? el('span', { class: 'device-icon', 'aria-hidden': 'true' })
        : el('span', { class: 'avatar', 'aria-hidden': 'true', text: [...m.nick][0]?.toUpperCase() ?? '?' });
      const name = el('span', { class: 'member-name', 'data-testid': 'member-name', text: m.nick });
      const tag = m.device
        ? el('span', { class: 'member-tag', text: 'device' })
        : isMe ? el('span', { class: 'member-tag', text: 'you' }) : null;
      if (m.device || isMe) {
        li.append(el('span', { class: 'member-body', title: m.device ? 'The callbox device' : 'You' }, icon, name, tag));
      } else {
        li.append(el('button', {
          type: 'button', class: 'member-body', 'data-testid': 'member-button',
          dataset: { peerId: m.id }, 'aria-label': `Whisper to ${m.nick}`, title: `Whisper to ${m.nick}`,
        }, icon, name));
      }
      this.memberList.append(li);
    }
    const people = list.filter((m) => !m.device).length;
    this.memberCount.textContent = `(${people})`;
    this.myNick.textContent = this.myNickValue;
  }
}
