// Calls: the device call and the browser mesh (who offers to whom, signalling, media announcements), driving CallView and LocalMedia.
//
// Who offers to whom (one rule, so there is no glare in the normal case):
// * The device never offers: pressing Call always sends an offer to "device".
// * A browser is "in the call" from pressing Call until hanging up, and says so with a `media`
//   announcement (sent on joining the call, on every toggle, and again whenever someone enters the room,
//   so a newcomer to the room learns who is in the call).
// * The newcomer offers: pressing Call offers to every browser that has announced media. A browser
//   already in the call never offers to someone new; it answers the newcomer's offer. A browser that is
//   not in the call answers an offer with `bye`.
// * Two people pressing Call at the same moment may each miss the other's announcement. So when a
//   browser in the call hears an announcement from someone it has no connection with, it waits
//   FALLBACK_OFFER_MS for their offer and then offers itself. If two offers still cross, the peer whose
//   id sorts first gives way (drops its own offer and answers).
// * `bye`, `peer-left`, hanging up, leaving the room or losing the server connection end connections.
import { LocalMedia } from './local-media.js';
import { PeerCall } from './peer-call.js';
import { CallView } from './call-view.js';
import { friendlyError } from './errors.js';
import { SfuRoom } from './sfu-room.js';

const DEVICE = 'device';
const FALLBACK_OFFER_MS = 2500;
const CALL_ERROR_CODES = new Set(['busy', 'media-error']);

export class CallController {
  #send;
  #timers = new Map(); // peer id -> fallback offer timer

  // send(message) sends to the server and returns false when not connected.
  constructor({ send }) {
    this.#send = send;
    this.local = new LocalMedia();
    this.view = new CallView({
      onCall: () => this.join(),
      onHangUp: () => this.hangUp(),
      onToggle: (kind) => this.toggle(kind),
      onSelectDevice: (kind, id) => this.switchDevice(kind, id),
      onRetry: (peerId) => this.retry(peerId),
    });
    this.me = null;
    this.ice = {};                // STUN/TURN servers from `joined`
    this.phase = 'idle';          // 'idle' | 'starting' | 'in-call'
    this.members = new Map();     // peer id -> { nick, device }
    this.announced = new Map();   // peer id -> { audio, video }: browsers in the call, and the device's state
    this.calls = new Map();       // peer id -> PeerCall
    this.sfu = null;              // { url, videoroom, pin, device_feed } while the room's media goes through Janus
    this.sfuRoom = null;          // our SfuRoom while in the call in such a room
    this.route = '';              // why the room meshes although it is large, in words
    this.view.setPhase('idle');
    navigator.mediaDevices?.addEventListener?.('devicechange', () => {
      if (this.phase === 'in-call') this.#refreshDevices();
    });
  }

  // ---- room membership (from app.js) ----

  enterRoom(joined) {
    if (this.phase !== 'idle' || this.me !== null) this.leaveRoom();
    this.me = joined.id;
    // STUN/TURN servers for every call in this room (absent: host candidates only).
    this.ice = {
      iceServers: Array.isArray(joined.ice_servers) ? joined.ice_servers : [],
      iceTransportPolicy: joined.ice_transport_policy === 'relay' ? 'relay' : 'all',
    };
    for (const p of Array.isArray(joined.peers) ? joined.peers : []) this.#addMember(p);
    this.view.setCallEnabled(true);
    this.view.showView(true);
  }

  // Leaving the room ends the call. With a `reason` (the connection was lost) the call bar stays,
  // saying why, with Call disabled until the room is joined again.
  leaveRoom(reason = '') {
    if (this.phase !== 'idle') this.#endAll(false, reason);
    this.members.clear();
    this.announced.clear();
    this.me = null;
    this.sfu = null;
    this.route = '';
    this.view.setRoute('');
    this.view.setCallEnabled(false);
    if (!reason) this.view.showView(false);
  }

  peerJoined(peer) {
    this.#addMember(peer);
    // A newcomer to the room cannot know who is in the call: tell it again.
    if (this.phase === 'in-call') this.#announce();
  }

  peerLeft(peer) {
    const id = peer?.id;
    if (typeof id !== 'string') return;
    this.members.delete(id);
    this.announced.delete(id);
    this.#drop(id);
  }

  nickChanged(msg) {
    const m = this.members.get(msg.id);
    if (!m) return;
    m.nick = msg.nick;
    this.view.setTileName(msg.id, msg.nick);
  }

  // ---- server messages ----

  onMedia(msg) {
    const id = msg.id;
    if (typeof id !== 'string' || id === this.me) return;
    const state = { audio: msg.audio !== false, video: msg.video !== false };
    this.announced.set(id, state);
    this.view.setTileMedia(id, state);
    if (this.phase === 'in-call' && !this.sfu && id !== DEVICE && !this.calls.has(id) && !this.#timers.has(id)) {
      this.#timers.set(id, setTimeout(() => {
        this.#timers.delete(id);
        if (this.phase === 'in-call' && !this.calls.has(id) && this.announced.has(id)) this.#startCall(id);
      }, FALLBACK_OFFER_MS));
    }
  }

  onSignal(msg) {
    const from = msg.from;
    const data = msg.data;
    if (typeof from !== 'string' || !data || typeof data !== 'object') return;
    const call = this.calls.get(from);
    if (data.bye === true) {
      // A goodbye in reply to our offer: they are not in the call (any more).
      if (call?.offerer && !call.hasAnswer) this.announced.delete(from);
      this.#endCall(from, from === DEVICE ? 'The device ended the call.' : 'They hung up.');
      return;
    }
    if (data.sdp?.type === 'offer') {
      this.#offerFrom(from, data.sdp, call);
      return;
    }
    call?.handle(data);
  }

  // How the device sees our call with it.
  onCallState(msg) {
    if (msg.peer !== DEVICE) return;
    const call = this.calls.get(DEVICE);
    if (!call) return;
    if (msg.state === 'failed') call.fail('the device could not connect');
    // An `ended` before the device answered belongs to a previous call (e.g. one replaced by Retry).
    else if (msg.state === 'ended' && call.hasAnswer) this.#endCall(DEVICE, 'The device ended the call.', true);
  }

  // Errors about calls; returns true when handled here (app.js then shows no banner).
  handleError(msg) {
    if (CALL_ERROR_CODES.has(msg.code)) {
      const call = this.calls.get(DEVICE);
      if (!call || call.state === 'ended') return false;
      call.fail(friendlyError(msg));
      return true;
    }
    // A signal to someone who just left: their peer-left cleans up.
    return msg.code === 'unknown-peer' && msg.re === 'signal';
  }

  // ---- user actions ----

  async join() {
    if (this.phase !== 'idle' || this.me === null) return;
    this.#setPhase('starting');
    await this.local.start();
    if (this.phase !== 'starting') { // left the room meanwhile
      this.local.stop();
      return;
    }
    this.#setPhase('in-call');
    this.view.setNote(this.local.reason);
    this.#renderLocal();
    this.#refreshDevices();
    this.#announce();
    this.#connectAll();
  }

  // Connects to everyone: through the room's Janus when it has one, else peer to peer.
  #connectAll() {
    if (this.sfu) {
      this.#startSfu();
    } else {
      if (this.members.has(DEVICE)) this.#startCall(DEVICE);
      for (const id of this.announced.keys()) {
        if (id !== DEVICE && this.members.has(id)) this.#startCall(id);
      }
    }
    this.#renderStatus();
  }

  // ---- large rooms (the `sfu` message) ----

  // The server moved the room's media to Janus, or back to peer to peer: switch without asking.
  onSfu(msg) {
    const janus = msg.mode === 'janus' && typeof msg.url === 'string' && Number.isSafeInteger(msg.videoroom);
    if (janus && this.sfu?.videoroom === msg.videoroom && this.sfu.url === msg.url) return; // no change
    this.sfu = janus ? { url: msg.url, videoroom: msg.videoroom, pin: String(msg.pin ?? ''), deviceFeed: msg.device_feed } : null;
    this.route = janus ? '' : String(msg.reason ?? '');
    this.#renderRoute();
    if (this.phase !== 'in-call') return;
    // Close what carried media until now (peers are told, so they drop theirs too), then reconnect.
    for (const id of [...this.calls.keys()]) {
      if (this.calls.get(id).state !== 'ended') this.#send({ type: 'signal', to: id, data: { bye: true } });
      this.#drop(id);
    }
    this.#stopSfu();
    this.#connectAll();
  }

  #renderRoute() {
    if (this.sfu) this.view.setRoute('Media goes through the media server (Janus): this room is large.', 'sfu');
    else if (this.route) this.view.setRoute(`Media goes peer to peer: ${this.route}`, 'mesh');
    else this.view.setRoute('Media goes peer to peer.', 'mesh');
  }

  #startSfu() {
    this.#stopSfu();
    const room = new SfuRoom({
      url: this.sfu.url,
      room: this.sfu.videoroom,
      pin: this.sfu.pin,
      display: this.me,
      local: this.local,
      onFeed: (feed) => this.#feedChanged(feed),
      onFeedGone: (feed) => this.view.removeTile(feed.display),
      onFailed: (reason) => {
        if (this.sfuRoom !== room) return;
        this.view.setStatus(`The media server failed: ${reason}.`);
      },
    });
    this.sfuRoom = room;
    room.start();
  }

  #stopSfu() {
    if (!this.sfuRoom) return;
    for (const feed of this.sfuRoom.feeds) this.view.removeTile(feed.display);
    this.sfuRoom.close();
    this.sfuRoom = null;
  }

  #feedChanged(feed) {
    if (!this.sfuRoom?.feeds.includes(feed)) return;
    const id = feed.display;
    this.view.ensureTile(id, id === DEVICE ? 'device' : 'peer', this.#nameOf(id));
    const state = this.announced.get(id);
    if (state) this.view.setTileMedia(id, state);
    const pcState = feed.pc?.connectionState;
    this.view.setTileState(id, pcState === 'connected' ? 'connected' : pcState === 'failed' ? 'failed' : 'connecting', '');
    this.view.setTileStream(id, feed.stream);
    this.#renderStatus();
  }

  hangUp() {
    this.#endAll(true, 'You left the call.');
  }

  toggle(kind) {
    if (!this.local.track(kind)) return;
    this.local.setOn(kind, !this.local.isOn(kind));
    this.#renderLocal();
    this.#announce();
  }

  async switchDevice(kind, deviceId) {
    try {
      await this.local.switchDevice(kind, deviceId, (track) => Promise.all(
        [...this.calls.values()].map((c) => c.replaceTrack(kind, track))
          .concat(this.sfuRoom ? [this.sfuRoom.replaceTrack(kind, track)] : [])));
    } catch (e) {
      this.view.setNote(`That ${kind === 'audio' ? 'microphone' : 'camera'} could not be used (${e.message}).`);
    }
    this.#renderLocal();
    this.#refreshDevices();
  }

  // Starts a fresh connection with the peer; the old one (failed or ended) is told goodbye.
  retry(peerId) {
    if (this.phase !== 'in-call' || !this.members.has(peerId)) return;
    this.#startCall(peerId);
  }

  // ---- internals ----

  #setPhase(phase) {
    this.phase = phase;
    this.view.setPhase(phase);
  }

  #addMember(p) {
    if (!p || typeof p.id !== 'string') return;
    this.members.set(p.id, { nick: typeof p.nick === 'string' ? p.nick : '?', device: p.device === true });
  }

  #nameOf(id) {
    return this.members.get(id)?.nick ?? id;
  }

  // What we send, as the others should show it (a receive-only page announces false, false).
  #announce() {
    this.#send({ type: 'media', audio: this.#sending('audio'), video: this.#sending('video') });
  }

  #sending(kind) {
    return this.local.track(kind) !== null && this.local.isOn(kind);
  }

  #renderLocal() {
    const audio = { has: this.local.track('audio') !== null, on: this.local.isOn('audio') };
    const video = { has: this.local.track('video') !== null, on: this.local.isOn('video') };
    this.view.setLocalControls({ audio, video });
    this.view.ensureTile('self', 'self', 'You');
    this.view.setTileMedia('self', { audio: this.#sending('audio'), video: this.#sending('video') });
    const camera = this.local.track('video');
    this.view.setTileStream('self', new MediaStream(camera ? [camera] : []));
  }

  async #refreshDevices() {
    for (const kind of ['audio', 'video']) {
      const list = this.local.track(kind) ? await this.local.devices(kind).catch(() => []) : [];
      this.view.setDevices(kind, list, this.local.currentDevice(kind));
    }
  }

  // Creates the connection with `id` and offers.
  #startCall(id) {
    this.#replace(id, true);
    const call = this.#newCall(id);
    call.offer();
  }

  #offerFrom(id, sdp, existing) {
    if (this.phase !== 'in-call' || id === DEVICE || this.sfu) {
      this.#send({ type: 'signal', to: id, data: { bye: true } });
      return;
    }
    // Crossed offers: the peer whose id sorts first gives way and answers; the other ignores this offer.
    if (existing && existing.offerer && existing.signalingState === 'have-local-offer' && this.me > id) return;
    this.#replace(id, false);
    this.#newCall(id).answer(sdp);
  }

  #newCall(id) {
    clearTimeout(this.#timers.get(id));
    this.#timers.delete(id);
    const kind = id === DEVICE ? 'device' : 'peer';
    this.view.ensureTile(id, kind, this.#nameOf(id));
    const state = this.announced.get(id);
    if (state) this.view.setTileMedia(id, state);
    const call = new PeerCall({
      peerId: id,
      local: this.local,
      send: (data) => this.#send({ type: 'signal', to: id, data }),
      onChange: (c) => this.#callChanged(c),
      ice: this.ice,
    });
    this.calls.set(id, call);
    this.#callChanged(call);
    return call;
  }

  // Closes the connection with `id` (if any) before a new one replaces it; `bye` tells the peer.
  #replace(id, bye) {
    const old = this.calls.get(id);
    if (!old) return;
    this.calls.delete(id);
    if (bye && old.state !== 'ended') this.#send({ type: 'signal', to: id, data: { bye: true } });
    old.close();
  }

  #callChanged(call) {
    if (this.calls.get(call.peerId) !== call) return; // a replaced connection
    const id = call.peerId;
    if (call.state === 'failed') {
      this.view.setTileState(id, 'failed', call.reason ? capitalise(call.reason) : '', 'Retry');
    } else if (call.state === 'ended') {
      this.view.setTileState(id, 'ended', call.reason, id === DEVICE ? 'Call again' : '');
    } else {
      this.view.setTileState(id, call.state, call.detail);
    }
    this.view.setTileStream(id, call.remoteStream);
    this.#renderStatus();
  }

  // The peer said goodbye (or ended the call): the device's tile stays with "Call again", a browser's goes.
  #endCall(id, reason, keepTile = id === DEVICE) {
    const call = this.calls.get(id);
    if (!call) return;
    call.close(reason);
    if (!keepTile) this.#drop(id);
  }

  #drop(id) {
    clearTimeout(this.#timers.get(id));
    this.#timers.delete(id);
    const call = this.calls.get(id);
    this.calls.delete(id);
    call?.close();
    this.view.removeTile(id);
    this.#renderStatus();
  }

  // Ends every connection (with `bye` the peers are told) and releases camera and microphone.
  #endAll(bye, reason) {
    for (const id of [...this.calls.keys()]) {
      const call = this.calls.get(id);
      if (bye && call.state !== 'ended') this.#send({ type: 'signal', to: id, data: { bye: true } });
      this.#drop(id);
    }
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
    this.#stopSfu();
    this.local.stop();
    this.view.clearTiles();
    this.view.setNote('');
    this.#setPhase('idle');
    this.view.setStatus(reason);
  }

  #renderStatus() {
    if (this.phase !== 'in-call') return;
    const calls = [...this.calls.values(), ...(this.sfuRoom?.feeds ?? []).map((f) => ({ state: f.pc?.connectionState === 'connected' ? 'connected' : 'connecting' }))];
    const connected = calls.filter((c) => c.state === 'connected').length;
    const connecting = calls.filter((c) => c.state === 'connecting').length;
    const parts = [`In the call: ${connected} connected`];
    if (connecting) parts.push(`${connecting} connecting`);
    const failed = calls.filter((c) => c.state === 'failed').length;
    if (failed) parts.push(`${failed} failed`);
    this.view.setStatus(`${parts.join(', ')}.`);
  }

  // Test and debugging hooks (window.callbox).
  debugHooks() {
    return {
      me: () => this.me,
      // In a large room, the subscriptions to each publisher of the VideoRoom, by callbox peer id.
      calls: () => Object.fromEntries([...this.calls].map(([id, c]) => [id, c.pc])
        .concat((this.sfuRoom?.feeds ?? []).filter((f) => f.pc).map((f) => [f.display, f.pc]))),
      sfu: () => ({ sfu: this.sfu, route: this.route, publishing: this.sfuRoom?.publisherPc?.connectionState ?? null }),
      states: () => Object.fromEntries([...this.calls].map(([id, c]) => [id, c.state])),
      roles: () => Object.fromEntries([...this.calls].map(([id, c]) => [id, c.offerer ? 'offerer' : 'answerer'])),
      restarts: () => Object.fromEntries([...this.calls].map(([id, c]) => [id, c.restarts])),
      local: () => ({
        phase: this.phase,
        receiveOnly: this.local.receiveOnly,
        audioOn: this.local.audioOn,
        videoOn: this.local.videoOn,
        audioEnabled: this.local.track('audio')?.enabled ?? null,
        videoEnabled: this.local.track('video')?.enabled ?? null,
        audioDevice: this.local.currentDevice('audio'),
        videoDevice: this.local.currentDevice('video'),
        audioTrackId: this.local.track('audio')?.id ?? null,
        videoTrackId: this.local.track('video')?.id ?? null,
      }),
      announced: () => Object.fromEntries(this.announced),
    };
  }
}

function capitalise(s) {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
