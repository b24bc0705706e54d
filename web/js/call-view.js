// The call UI inside section#call: call/hang-up, mute and camera toggles, device lists, the video grid with per-call states, tap-to-unmute.
import { el, byId, show, clear } from './dom.js';

const STATUS_TEXT = Object.freeze({
  connecting: 'Connecting…',
  connected: 'Connected',
  failed: 'Call failed',
  ended: 'Call ended',
});

function trackIds(stream) {
  return stream ? stream.getTracks().map((t) => t.id).sort().join(' ') : '';
}

// Re-assigning srcObject restarts playback, so it is done only when the set of tracks changed.
function sameTracks(a, b) {
  return a !== null && trackIds(a) === trackIds(b);
}

export class CallView {
  // callbacks: onCall(), onHangUp(), onToggle(kind), onSelectDevice(kind, deviceId), onRetry(peerId)
  constructor(callbacks) {
    this.cb = callbacks;
    this.section = byId('call');
    this.callButton = byId('call-button');
    this.hangupButton = byId('hangup-button');
    this.toggles = { audio: byId('mute-button'), video: byId('camera-button') };
    this.selects = { audio: byId('mic-select'), video: byId('camera-select') };
    this.devicesBox = byId('call-devices');
    this.note = byId('call-note');
    this.status = byId('call-status');
    this.route = byId('media-route');
    this.stage = byId('call-stage');
    this.grid = byId('call-grid');
    this.unmuteButton = byId('unmute-overlay');
    this.tiles = new Map(); // peer id ('self' for the local preview) -> tile element

    this.callButton.addEventListener('click', () => this.cb.onCall());
    this.hangupButton.addEventListener('click', () => this.cb.onHangUp());
    for (const [kind, button] of Object.entries(this.toggles)) {
      button.addEventListener('click', () => this.cb.onToggle(kind));
    }
    for (const [kind, select] of Object.entries(this.selects)) {
      select.addEventListener('change', () => this.cb.onSelectDevice(kind, select.value));
    }
    this.grid.addEventListener('click', (ev) => {
      const retry = ev.target.closest('button[data-retry]');
      if (retry) this.cb.onRetry(retry.dataset.retry);
    });
    this.unmuteButton.addEventListener('click', () => this.#unmuteAll());
  }

  showView(visible) {
    show(this.section, visible);
  }

  // phase: 'idle' (not in the call), 'starting' (asking for the camera), 'in-call'.
  setPhase(phase) {
    this.section.dataset.phase = phase;
    show(this.callButton, phase !== 'in-call');
    this.callButton.disabled = phase === 'starting';
    this.callButton.textContent = phase === 'starting' ? 'Starting…' : 'Call';
    show(this.hangupButton, phase === 'in-call');
    show(this.stage, phase === 'in-call');
    if (phase !== 'in-call') {
      for (const b of Object.values(this.toggles)) show(b, false);
      show(this.devicesBox, false);
      this.showUnmute(false);
    }
  }

  setCallEnabled(enabled) {
    this.callButton.disabled = !enabled;
  }

  setStatus(text) {
    this.status.textContent = text;
  }

  // Where the room's media flows ('sfu' through Janus, 'mesh' peer to peer), in words.
  setRoute(text, kind = '') {
    this.route.textContent = text;
    this.route.dataset.route = kind;
    show(this.route, text !== '');
  }

  setNote(text) {
    this.note.textContent = text;
    show(this.note, text !== '');
  }

  // The mute and camera buttons: hidden for a kind we do not send; pressed means muted / camera off.
  setLocalControls({ audio, video }) {
    for (const [kind, { has, on }] of Object.entries({ audio, video })) {
      const button = this.toggles[kind];
      show(button, has);
      button.setAttribute('aria-pressed', String(!on));
      button.dataset.on = String(on);
      button.textContent = kind === 'audio' ? (on ? 'Mute' : 'Unmute') : (on ? 'Camera off' : 'Camera on');
    }
  }

  // devices: [{ deviceId, label }]; the list is hidden when there is nothing to choose from.
  setDevices(kind, devices, current) {
    const select = this.selects[kind];
    clear(select);
    for (const d of devices) select.append(el('option', { value: d.deviceId, text: d.label }));
    select.value = current;
    select.closest('.device-choice').hidden = devices.length === 0;
    show(this.devicesBox, [...Object.values(this.selects)].some((s) => s.options.length > 0));
  }

  // kind: 'self' | 'device' | 'peer'
  ensureTile(peerId, kind, name) {
    let tile = this.tiles.get(peerId);
    if (!tile) {
      const video = el('video', { class: 'tile-video', autoplay: true, playsinline: true, 'data-testid': 'tile-video' });
      if (kind === 'self') video.muted = true;
      tile = el('figure', {
        class: `tile tile-${kind}`, 'data-testid': 'tile', dataset: { peerId, kind, state: kind === 'self' ? 'connected' : 'connecting' },
      },
      video,
      el('div', { class: 'tile-placeholder', 'aria-hidden': 'true' }, el('span', { class: 'tile-initial' })),
      el('figcaption', { class: 'tile-caption' },
        el('span', { class: 'tile-name', 'data-testid': 'tile-name' }),
        el('span', { class: 'tile-flag', 'data-testid': 'tile-muted', dataset: { flag: 'audio' }, text: 'muted', hidden: true }),
        el('span', { class: 'tile-flag', 'data-testid': 'tile-camera-off', dataset: { flag: 'video' }, text: 'camera off', hidden: true })),
      el('div', { class: 'tile-status', 'data-testid': 'tile-status', role: 'status' },
        el('span', { class: 'tile-status-text', 'data-testid': 'tile-status-text' }),
        el('span', { class: 'tile-reason', 'data-testid': 'tile-reason' }),
        el('button', { type: 'button', class: 'primary tile-retry', 'data-testid': 'tile-retry', dataset: { retry: peerId }, text: 'Retry', hidden: true })));
      this.tiles.set(peerId, tile);
      if (kind === 'self') this.grid.prepend(tile);
      else this.grid.append(tile);
    }
    this.setTileName(peerId, name);
    return tile;
  }

  setTileName(peerId, name) {
    const tile = this.tiles.get(peerId);
    if (!tile) return;
    tile.querySelector('.tile-name').textContent = name;
    tile.querySelector('.tile-initial').textContent = [...name][0]?.toUpperCase() ?? '?';
  }

  // The announced (or, for 'self', chosen) sound and picture state.
  setTileMedia(peerId, { audio, video }) {
    const tile = this.tiles.get(peerId);
    if (!tile) return;
    tile.dataset.audio = String(audio);
    tile.dataset.video = String(video);
    show(tile.querySelector('[data-flag=audio]'), audio === false);
    show(tile.querySelector('[data-flag=video]'), video === false);
  }

  // state: 'connecting' | 'connected' | 'failed' | 'ended'; reason in words; retry offers the Retry button.
  setTileState(peerId, state, reason = '', retryLabel = '') {
    const tile = this.tiles.get(peerId);
    if (!tile) return;
    tile.dataset.state = state;
    tile.querySelector('.tile-status-text').textContent = STATUS_TEXT[state] ?? state;
    tile.querySelector('.tile-reason').textContent = reason;
    const retry = tile.querySelector('.tile-retry');
    retry.textContent = retryLabel || 'Retry';
    show(retry, retryLabel !== '');
  }

  // Shows `stream` in the tile. Remote sound that the browser refuses to autoplay starts muted; a tap unmutes it.
  setTileStream(peerId, stream) {
    const tile = this.tiles.get(peerId);
    if (!tile) return;
    const video = tile.querySelector('video');
    tile.classList.toggle('has-video', stream.getVideoTracks().length > 0);
    if (sameTracks(video.srcObject, stream)) return;
    video.srcObject = stream;
    video.play().catch((e) => {
      if (e.name !== 'NotAllowedError' || video.muted) return;
      video.muted = true;
      video.dataset.autoMuted = 'true';
      video.play().catch(() => {});
      this.showUnmute(true);
    });
  }

  removeTile(peerId) {
    const tile = this.tiles.get(peerId);
    if (!tile) return;
    const video = tile.querySelector('video');
    video.srcObject = null;
    tile.remove();
    this.tiles.delete(peerId);
    if (!this.grid.querySelector('video[data-auto-muted]')) this.showUnmute(false);
  }

  clearTiles() {
    for (const id of [...this.tiles.keys()]) this.removeTile(id);
  }

  showUnmute(visible) {
    show(this.unmuteButton, visible);
  }

  #unmuteAll() {
    for (const video of this.grid.querySelectorAll('video[data-auto-muted]')) {
      video.muted = false;
      delete video.dataset.autoMuted;
      video.play().catch(() => {});
    }
    this.showUnmute(false);
  }
}
