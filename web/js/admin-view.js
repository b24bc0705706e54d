// The admin page's sections: rooms with members (kick with a confirm step), calls, the device's toggles and
// pickers, and health. Each render() takes the latest /api/status (or device list) and updates the DOM in place,
// keyed by id, so a refresh every 2 s neither loses focus nor a half-done confirm.
import { el, byId, show } from './dom.js';
import * as fmt from './admin-format.js';

// Makes container's children match items (in order): reuses the child whose data-key is key(item),
// creates missing ones with create(item), calls update(node, item) on each, and drops the rest.
function syncChildren(container, items, key, create, update) {
  const existing = new Map();
  for (const node of container.children) existing.set(node.dataset.key, node);
  let cursor = container.firstElementChild;
  for (const item of items) {
    const k = String(key(item));
    let node = existing.get(k);
    if (node) existing.delete(k);
    else {
      node = create(item);
      node.dataset.key = k;
    }
    update(node, item);
    if (node !== cursor) container.insertBefore(node, cursor);
    else cursor = cursor.nextElementSibling;
  }
  for (const node of existing.values()) node.remove();
}

function setText(node, value) {
  if (node.textContent !== value) node.textContent = value;
}

const isDeviceMember = (m) => m?.device === true || m?.id === 'device';

// ---------------------------------------------------------------------------------------
// Connections & rooms

export class RoomsView {
  // onKick(member) returns a promise; it settles when the kick was sent (or failed).
  // onLarge(room, large) moves a room to the media server (Janus) or back; returns a promise.
  constructor({ onKick, onLarge }) {
    this.onKick = onKick;
    this.onLarge = onLarge;
    this.list = byId('admin-rooms');
    this.empty = byId('admin-rooms-empty');
    this.stats = {
      connections: byId('stat-connections'),
      rooms: byId('stat-rooms'),
      framesIn: byId('stat-frames-in'),
      framesOut: byId('stat-frames-out'),
    };
    this.confirming = new Set(); // member ids whose Kick is waiting for a confirm
    this.kicking = new Set();    // member ids with a kick request in flight
  }

  render(status) {
    const rooms = (Array.isArray(status?.rooms) ? status.rooms : [])
      .filter((r) => r && typeof r.name === 'string')
      .sort((a, b) => a.name.localeCompare(b.name));
    setText(this.stats.connections, fmt.count(status?.connections));
    setText(this.stats.rooms, Array.isArray(status?.rooms) ? String(rooms.length) : fmt.NONE);
    setText(this.stats.framesIn, fmt.count(status?.frames_in));
    setText(this.stats.framesOut, fmt.count(status?.frames_out));

    const present = new Set();
    for (const r of rooms) for (const m of Array.isArray(r.members) ? r.members : []) if (m?.id) present.add(String(m.id));
    for (const id of [...this.confirming]) if (!present.has(id)) this.confirming.delete(id);

    this.sfu = status?.sfu ?? null;
    syncChildren(this.list, rooms, (r) => r.name, (r) => this.#createRoom(r), (node, r) => this.#updateRoom(node, r));
    show(this.empty, Array.isArray(status?.rooms) && rooms.length === 0);
  }

  // Nicknames by member id, for the calls table.
  static nicks(status) {
    const out = new Map();
    for (const r of Array.isArray(status?.rooms) ? status.rooms : []) {
      for (const m of Array.isArray(r?.members) ? r.members : []) {
        if (m?.id && typeof m.nick === 'string') out.set(String(m.id), m.nick);
      }
    }
    return out;
  }

  #createRoom(room) {
    const name = el('h3', { class: 'admin-room-name', 'data-testid': 'admin-room-name', text: room.name });
    const count = el('span', { class: 'room-item-count', 'data-testid': 'admin-room-count' });
    const members = el('ul', { class: 'admin-members', 'data-testid': 'admin-members' });
    const unknown = el('p', { class: 'hint', text: 'This device does not list who is in the room.', hidden: true });
    // Where the room's media flows, and the admin's switch to the media server (Janus).
    const route = el('p', { class: 'hint', 'data-testid': 'admin-room-media' });
    const large = el('button', {
      class: 'secondary', 'data-testid': 'admin-room-large', type: 'button',
      onclick: () => this.onLarge(room.name, large.dataset.large !== 'true').catch(() => {}),
    });
    const li = el('li', { class: 'admin-room', 'data-testid': 'admin-room', dataset: { room: room.name } },
      el('div', { class: 'admin-room-head' }, name, count), route, large, members, unknown);
    li.refs = { count, members, unknown, route, large };
    return li;
  }

  #updateRoute(li, room) {
    const { route, large } = li.refs;
    const sfu = this.sfu;
    const state = (Array.isArray(sfu?.rooms) ? sfu.rooms : []).find((r) => r?.room === room.name);
    show(large, Boolean(sfu) && sfu.state !== 'off');
    large.dataset.large = String(state?.large === true);
    large.textContent = state?.large === true ? 'Back to peer to peer' : 'Move to the media server';
    let text = 'Media: peer to peer.';
    if (state?.mode === 'janus') text = `Media: through the media server (Janus)${state.device ? `; the device's stream is ${state.device}` : ''}.`;
    else if (state?.mode === 'moving') text = 'Media: moving to the media server (Janus)…';
    else if (state?.reason) text = `Media: peer to peer, because ${state.reason}.`;
    setText(route, text);
  }

  #updateRoom(li, room) {
    const { count, members, unknown } = li.refs;
    const n = fmt.isNum(room.count) ? room.count : (Array.isArray(room.members) ? room.members.length : null);
    setText(count, n === null ? fmt.NONE : String(n));
    count.title = n === 1 ? '1 person' : `${n ?? 'unknown number of'} people`;
    const list = (Array.isArray(room.members) ? room.members : [])
      .filter((m) => m && m.id !== undefined)
      .sort((a, b) => Number(isDeviceMember(b)) - Number(isDeviceMember(a))
        || String(a.nick ?? '').localeCompare(String(b.nick ?? '')));
    show(unknown, !Array.isArray(room.members));
    this.#updateRoute(li, room);
    syncChildren(members, list, (m) => m.id, (m) => this.#createMember(m), (node, m) => this.#updateMember(node, m));
  }

  #createMember(member) {
    const id = String(member.id);
    const avatar = el('span', { class: 'avatar', 'aria-hidden': 'true' });
    const nick = el('span', { class: 'admin-member-nick', 'data-testid': 'admin-member-nick' });
    const idTag = el('span', { class: 'member-tag', 'data-testid': 'admin-member-id', text: id });
    const kick = el('button', {
      class: 'secondary admin-kick', 'data-testid': 'admin-kick', type: 'button',
      onclick: () => { this.confirming.add(id); this.#refreshMember(li); confirm.focus(); },
    }, 'Kick');
    const question = el('span', { class: 'admin-kick-question', 'data-testid': 'admin-kick-question' });
    const confirm = el('button', {
      class: 'danger', 'data-testid': 'admin-kick-confirm', type: 'button',
      onclick: () => this.#kick(li).catch(() => {}), // onKick reports failures
    }, 'Disconnect');
    const cancel = el('button', {
      class: 'secondary', 'data-testid': 'admin-kick-cancel', type: 'button',
      onclick: () => { this.confirming.delete(id); this.#refreshMember(li); kick.focus(); },
    }, 'Cancel');
    const confirmBox = el('div', { class: 'admin-kick-confirm', role: 'group', 'aria-label': 'Confirm disconnecting' },
      question, confirm, cancel);
    const li = el('li', { class: 'admin-member', 'data-testid': 'admin-member', dataset: { id } },
      el('div', { class: 'admin-member-who' }, avatar, nick, idTag), kick, confirmBox);
    li.refs = { avatar, nick, idTag, kick, question, confirm, cancel, confirmBox };
    return li;
  }

  #updateMember(li, member) {
    const { avatar, nick } = li.refs;
    const name = typeof member.nick === 'string' && member.nick ? member.nick : String(member.id);
    li.member = member;
    li.dataset.nick = name;
    li.classList.toggle('member-device', isDeviceMember(member));
    setText(nick, name);
    setText(avatar, isDeviceMember(member) ? '' : ([...name][0] ?? '?').toUpperCase());
    avatar.classList.toggle('device-icon', isDeviceMember(member));
    avatar.classList.toggle('avatar', !isDeviceMember(member));
    this.#refreshMember(li);
  }

  #refreshMember(li) {
    const { kick, question, confirm, cancel, confirmBox } = li.refs;
    const id = li.dataset.id;
    const device = isDeviceMember(li.member);
    const confirming = !device && this.confirming.has(id);
    const busy = this.kicking.has(id);
    show(kick, !device && !confirming);
    kick.setAttribute('aria-label', `Kick ${li.dataset.nick}`);
    show(confirmBox, confirming);
    setText(question, `Disconnect ${li.dataset.nick}?`);
    confirm.disabled = busy;
    cancel.disabled = busy;
    setText(confirm, busy ? 'Disconnecting…' : 'Disconnect');
  }

  async #kick(li) {
    const id = li.dataset.id;
    if (this.kicking.has(id)) return;
    this.kicking.add(id);
    this.#refreshMember(li);
    try {
      await this.onKick(li.member);
      this.confirming.delete(id);
    } finally {
      this.kicking.delete(id);
      if (li.isConnected) this.#refreshMember(li);
    }
  }
}

// ---------------------------------------------------------------------------------------
// Calls

const CALL_COLUMNS = [
  ['peer', 'Peer'], ['state', 'State'], ['codec', 'Codec'], ['layer', 'Layer'], ['in', 'In kbit/s'], ['out', 'Out kbit/s'],
  ['rtt', 'RTT ms'], ['loss', 'Loss'], ['fps', 'fps in/out'], ['latency', 'Latency ms'],
];

export class CallsView {
  constructor() {
    this.body = byId('calls-body');
    this.empty = byId('calls-empty');
  }

  render(status) {
    const media = status?.media;
    const calls = (Array.isArray(media?.calls) ? media.calls : []).filter((c) => c && c.peer !== undefined);
    const nicks = RoomsView.nicks(status);
    syncChildren(this.body, calls, (c) => c.peer, () => this.#createRow(), (tr, c) => this.#updateRow(tr, c, nicks));
    show(this.empty, calls.length === 0);
    setText(this.empty, media ? 'No calls with the device right now.' : 'This device reports no media status.');
  }

  #createRow() {
    const cells = {};
    const tr = el('tr', { 'data-testid': 'call-row' });
    for (const [key, label] of CALL_COLUMNS) {
      cells[key] = el(key === 'peer' ? 'th' : 'td', {
        'data-label': label, 'data-testid': `call-${key}`, scope: key === 'peer' ? 'row' : undefined,
      });
      tr.append(cells[key]);
    }
    tr.refs = cells;
    return tr;
  }

  #updateRow(tr, call, nicks) {
    const c = tr.refs;
    const s = call.stats && typeof call.stats === 'object' ? call.stats : {};
    const peer = String(call.peer);
    const nick = nicks.get(peer);
    tr.dataset.peer = peer;
    tr.dataset.state = typeof call.state === 'string' ? call.state : '';
    setText(c.peer, nick ? `${nick} (${peer})` : peer);
    setText(c.state, fmt.text(call.state));
    setText(c.codec, fmt.text(s.codec ?? call.video_codec));
    setText(c.layer, fmt.text(call.layer));
    setText(c.in, fmt.decimal(s.bitrate_in_kbps, 0));
    setText(c.out, fmt.decimal(s.bitrate_out_kbps, 0));
    setText(c.rtt, fmt.decimal(s.rtt_ms, 0));
    setText(c.loss, fmt.loss(s.packet_loss));
    setText(c.fps, fmt.isNum(s.fps_in) || fmt.isNum(s.fps_out) ? `${fmt.decimal(s.fps_in)} / ${fmt.decimal(s.fps_out)}` : fmt.NONE);
    const lat = call.clock_latency_ms;
    setText(c.latency, fmt.isNum(lat?.median) && lat.samples !== 0
      ? `${fmt.decimal(lat.median, 0)} (p95 ${fmt.decimal(lat.p95, 0)})` : fmt.NONE);
  }
}

// ---------------------------------------------------------------------------------------
// Echo cancellation: on or off (the admin's switch), and whether it runs now (in a call)

export class EchoView {
  // onSwitch(enabled) returns a promise.
  constructor({ onSwitch }) {
    this.onSwitch = onSwitch;
    this.button = byId('admin-echo');
    this.note = byId('echo-note');
    this.state = null; // the status's media.echo_cancel, or null: not reported
    this.pending = false;
    this.button.addEventListener('click', () => this.#toggle().catch(() => {}));
  }

  render(status) {
    const echo = status?.media?.echo_cancel;
    if (!this.pending) this.state = echo && typeof echo.active === 'boolean' ? echo : null;
    const on = this.state?.active;
    this.button.setAttribute('aria-pressed', on === true ? 'true' : 'false');
    this.button.dataset.state = on === undefined ? 'unknown' : on ? 'on' : 'off';
    this.button.disabled = on === undefined || this.pending;
    setText(this.button, on === false ? 'Echo cancellation off' : 'Echo cancellation on');
    setText(this.note, on === undefined ? 'Echo cancellation: not reported'
      : `Echo cancellation ${on ? 'on' : 'off'} (${this.state.mode}); ${this.state.running ? 'running in the call now' : 'not running: no call'}`);
  }

  async #toggle() {
    if (this.pending || !this.state) return;
    const want = !this.state.active;
    this.pending = true;
    this.render(null);
    try {
      await this.onSwitch(want);
      this.state = { ...this.state, active: want, mode: want ? 'on' : 'off' };
    } finally {
      this.pending = false;
      this.render({ media: { echo_cancel: this.state } });
    }
  }
}

// ---------------------------------------------------------------------------------------
// Device: the mute toggles and the camera / microphone pickers

const toggleLabels = {
  audio: ['Mute microphone', 'Microphone muted'],
  video: ['Camera off', 'Camera is off'],
};

export class DeviceView {
  // onMute({audio, video}) and onPick('camera'|'microphone', id) return promises.
  constructor({ onMute, onPick }) {
    this.onMute = onMute;
    this.onPick = onPick;
    this.muteButton = byId('admin-mute');
    this.cameraButton = byId('admin-camera');
    this.note = byId('devices-note');
    this.muted = { audio: null, video: null }; // null: not reported
    this.mutePending = false;
    this.pickers = {
      camera: { select: byId('admin-camera-select'), pending: false, signature: '', current: null, label: 'camera' },
      microphone: { select: byId('admin-mic-select'), pending: false, signature: '', current: null, label: 'microphone' },
    };
    // Failures are reported by the callbacks; here they only undo the optimistic state.
    this.muteButton.addEventListener('click', () => this.#toggle('audio').catch(() => {}));
    this.cameraButton.addEventListener('click', () => this.#toggle('video').catch(() => {}));
    for (const [kind, p] of Object.entries(this.pickers)) {
      p.select.addEventListener('change', () => this.#pick(kind).catch(() => {}));
    }
  }

  renderStatus(status) {
    const media = status?.media;
    if (!this.mutePending) {
      this.muted.audio = typeof media?.audio_muted === 'boolean' ? media.audio_muted : null;
      this.muted.video = typeof media?.video_muted === 'boolean' ? media.video_muted : null;
      this.#renderToggles();
    }
    // What the status says is in use, for pickers whose device list has no "current".
    this.inUse = { camera: typeof media?.camera === 'string' ? media.camera : null,
      microphone: typeof media?.microphone === 'string' ? media.microphone : null };
  }

  #renderToggles() {
    for (const [kind, button] of [['audio', this.muteButton], ['video', this.cameraButton]]) {
      const on = this.muted[kind];
      button.setAttribute('aria-pressed', on === true ? 'true' : 'false');
      button.dataset.state = on === null ? 'unknown' : on ? 'on' : 'off';
      button.disabled = on === null || this.mutePending;
      setText(button, toggleLabels[kind][on === true ? 1 : 0]);
      button.title = on === null ? 'The device does not report this' : '';
    }
  }

  async #toggle(kind) {
    if (this.mutePending || this.muted[kind] === null) return;
    const want = { audio: this.muted.audio === true, video: this.muted.video === true };
    want[kind] = !want[kind];
    this.mutePending = true;
    this.#renderToggles();
    try {
      await this.onMute(want);
      this.muted = { ...want };
    } finally {
      this.mutePending = false;
      this.#renderToggles();
    }
  }

  // devices: the /api/admin/devices answer, or null when it could not be read (error: its sentence).
  renderDevices(devices, error = '') {
    const lists = { camera: devices?.cameras, microphone: devices?.microphones };
    for (const [kind, p] of Object.entries(this.pickers)) {
      const list = (Array.isArray(lists[kind]) ? lists[kind] : []).filter((d) => d && typeof d.id === 'string');
      const current = list.find((d) => d.current === true)?.id ?? this.inUse?.[kind] ?? null;
      const options = list.map((d) => ({ id: d.id, name: typeof d.name === 'string' && d.name ? d.name : d.id }));
      // A source in use that the monitor does not list (the test pattern, a pinned device) still shows as selected.
      if (current !== null && !options.some((o) => o.id === current)) {
        options.unshift({ id: current, name: current === 'test' ? 'Test source' : current, extra: true });
      }
      p.current = current;
      if (p.pending || document.activeElement === p.select) continue; // never pull the list away from a user mid-choice
      const signature = JSON.stringify([options, current, devices ? 1 : 0]);
      if (signature === p.signature) continue;
      p.signature = signature;
      const nodes = options.map((o) => el('option', {
        value: o.id, 'data-testid': `${kind}-option`, dataset: o.extra ? { extra: 'true' } : undefined, text: o.name,
      }));
      if (nodes.length === 0) {
        nodes.push(el('option', { value: '', text: devices ? `No ${p.label} found` : 'Not available' }));
      } else if (current === null) {
        // The device does not say which one it uses: a blank first choice rather than a wrong one.
        nodes.unshift(el('option', { value: '', text: `${fmt.NONE} (current one not reported)` }));
      }
      p.select.replaceChildren(...nodes);
      p.select.value = current ?? '';
      p.select.disabled = options.length === 0;
    }
    setText(this.note, error);
  }

  async #pick(kind) {
    const p = this.pickers[kind];
    const id = p.select.value;
    if (!id || id === p.current || p.pending) return;
    p.pending = true;
    p.select.disabled = true;
    setText(this.note, `Switching the ${p.label}…`);
    try {
      await this.onPick(kind, id);
      p.current = id;
      setText(this.note, '');
    } catch (e) {
      p.select.value = p.current ?? '';
      setText(this.note, '');
      throw e;
    } finally {
      p.pending = false;
      p.select.disabled = false;
      p.signature = ''; // rebuild from the next device list
      p.select.blur();
    }
  }
}

// ---------------------------------------------------------------------------------------
// Health

export class HealthView {
  constructor() {
    this.media = byId('stat-media');
    this.capturing = byId('stat-capturing');
    this.encoders = byId('stat-encoders');
    this.restarts = byId('stat-restarts');
    this.uptime = byId('stat-uptime');
    this.camera = byId('stat-camera');
    this.microphone = byId('stat-microphone');
    this.fingerprint = byId('stat-fingerprint');
  }

  // status from /api/status; health from /api/health (either may be null).
  render(status, health) {
    const media = status?.media;
    const state = typeof media?.state === 'string' ? media.state
      : typeof health?.media === 'string' ? health.media : null;
    setText(this.media, fmt.text(state));
    this.media.dataset.state = state ?? '';
    setText(this.capturing, fmt.yesNo(media?.capturing));
    setText(this.encoders, fmt.count(media?.encoders));
    setText(this.restarts, fmt.count(media?.pipeline_restarts));
    this.restarts.dataset.nonzero = fmt.isNum(media?.pipeline_restarts) && media.pipeline_restarts > 0 ? 'true' : 'false';
    setText(this.uptime, fmt.duration(status?.uptime_s ?? health?.uptime_s));
    setText(this.camera, fmt.text(media?.camera));
    setText(this.microphone, fmt.text(media?.microphone));
    // The browser's certificate warning shows the same fingerprint: the user can compare them.
    setText(this.fingerprint, fmt.text(status?.tls_fingerprint));
  }
}
