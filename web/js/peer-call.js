// One RTCPeerConnection with one other peer (a browser or the device): offer or answer, trickle ICE with buffering, a state for the UI.

const KINDS = ['audio', 'video'];
const CONNECT_TIMEOUT_MS = 20000;
// A connection `disconnected` this long (a phone leaving Wi-Fi for mobile data) is restarted: the
// offerer restarts ICE and offers again, on the same connection.
export const ICE_RESTART_AFTER_MS = 3000;
const RECONNECTING = 'Connection lost, reconnecting…';

// pc.connectionState -> the state shown to the user.
const STATE_OF = Object.freeze({
  new: 'connecting',
  connecting: 'connecting',
  disconnected: 'connecting',
  connected: 'connected',
  failed: 'failed',
  closed: 'ended',
});

// States: 'connecting' | 'connected' | 'failed' | 'ended'; `reason` says why in words when failed or ended.
export class PeerCall {
  #send;
  #onChange;
  #pendingIce = [];   // remote candidates that arrived before the remote description
  #outgoingIce = [];  // local candidates gathered before our description was sent
  #sdpSent = false;
  #senders = new Map(); // kind -> RTCRtpSender that carries our track of that kind
  #timer = null;
  #restartTimer = null;
  #reoffering = false;
  #restarting = false; // an ICE restart not yet connected: the tile says so

  // send(data) sends signal `data` to the peer; onChange(call) is called on every state or track change.
  // `ice` is {iceServers, iceTransportPolicy} from the server's `joined` (STUN/TURN servers).
  constructor({ peerId, local, send, onChange, ice = {} }) {
    this.peerId = peerId;
    this.local = local;
    this.#send = send;
    this.#onChange = onChange;
    this.state = 'connecting';
    this.reason = '';
    this.detail = '';             // extra words while connecting (e.g. "connection interrupted")
    this.offerer = false;
    this.remoteStream = new MediaStream();
    this.pc = new RTCPeerConnection({
      iceServers: ice.iceServers ?? [],
      iceTransportPolicy: ice.iceTransportPolicy ?? 'all',
      bundlePolicy: 'max-bundle',
    });
    this.turnError = ''; // why a TURN server refused us, said when the call fails
    this.pc.addEventListener('icecandidateerror', (ev) => {
      if (ev.errorCode === 401) this.turnError = 'the TURN server refused the credentials';
      else if (ev.errorCode === 701 && !this.turnError) this.turnError = 'the TURN server could not be reached';
    });
    this.pc.addEventListener('icecandidate', (ev) => this.#localCandidate(ev.candidate));
    this.pc.addEventListener('track', (ev) => {
      this.remoteStream.addTrack(ev.track);
      ev.track.addEventListener('ended', () => this.remoteStream.removeTrack(ev.track));
      this.#changed();
    });
    this.pc.addEventListener('connectionstatechange', () => this.#pcStateChanged());
    // After the first offer, renegotiation (an ICE restart, here or by the page's own code) is
    // offered again on this connection.
    this.pc.addEventListener('negotiationneeded', () => {
      if (this.offerer && this.pc.localDescription) this.#reoffer();
    });
    this.restarts = 0; // ICE restarts so far
    this.#timer = setTimeout(() => {
      if (this.state === 'connecting') this.fail('no connection could be made in time');
    }, CONNECT_TIMEOUT_MS);
  }

  get hasAnswer() {
    return this.pc.remoteDescription !== null;
  }

  get signalingState() {
    return this.pc.signalingState;
  }

  // As the offerer: one transceiver per kind, sending our track when we have one, otherwise receive-only.
  async offer() {
    this.offerer = true;
    try {
      for (const kind of KINDS) {
        const track = this.local.track(kind);
        if (track) {
          const t = this.pc.addTransceiver(track, { direction: 'sendrecv', streams: [this.local.stream] });
          this.#senders.set(kind, t.sender);
        } else {
          this.pc.addTransceiver(kind, { direction: 'recvonly' });
        }
      }
      await this.pc.setLocalDescription(await this.pc.createOffer());
      this.#sendDescription();
    } catch (e) {
      this.fail(`could not make an offer (${e.message})`);
    }
  }

  // As the answerer: take the offer, send our tracks on the offered transceivers, answer.
  async answer(sdp) {
    try {
      await this.pc.setRemoteDescription(sdp);
      for (const t of this.pc.getTransceivers()) {
        const kind = t.receiver.track.kind;
        if (this.#senders.get(kind) === t.sender) continue; // a renegotiation: already sending
        const track = this.local.track(kind);
        if (track && !this.#senders.has(kind)) {
          await t.sender.replaceTrack(track);
          t.sender.setStreams?.(this.local.stream);
          t.direction = 'sendrecv';
          this.#senders.set(kind, t.sender);
        } else {
          t.direction = 'recvonly';
        }
      }
      await this.pc.setLocalDescription(await this.pc.createAnswer());
      this.#sendDescription();
      await this.#flushRemoteIce();
    } catch (e) {
      this.fail(`could not answer the call (${e.message})`);
    }
  }

  // An answer or an ICE candidate from the peer (offers are dispatched by the controller).
  async handle(data) {
    if (this.state === 'ended') return;
    if (data.sdp?.type === 'answer') {
      if (this.pc.signalingState !== 'have-local-offer') return; // a stale or duplicate answer
      try {
        await this.pc.setRemoteDescription(data.sdp);
        await this.#flushRemoteIce();
        if (this.detail && this.pc.connectionState === 'connected') {
          this.#restarting = false;
          this.detail = ''; // a restart answered while the connection held
          this.#changed();
        }
      } catch (e) {
        this.fail(`the answer could not be used (${e.message})`);
      }
    } else if (data.ice && typeof data.ice === 'object') {
      if (this.pc.remoteDescription) await this.#addIce(data.ice);
      else this.#pendingIce.push(data.ice);
    }
  }

  // Swaps the track we send for `kind` without renegotiating (null sends nothing).
  async replaceTrack(kind, track) {
    const sender = this.#senders.get(kind);
    if (sender && this.state !== 'ended') await sender.replaceTrack(track);
  }

  // Marks the call failed (the UI then offers Retry); `reason` says why in words.
  fail(reason) {
    if (this.state === 'ended' || this.state === 'failed') return;
    this.reason = this.turnError ? `${reason}; ${this.turnError}` : reason;
    this.#setState('failed');
  }

  // Restarts ICE (the offerer offers again with new credentials); the call and its tracks stay.
  restartIce() {
    if (!this.offerer || this.state === 'ended' || this.pc.signalingState === 'closed') return;
    this.restarts += 1;
    this.#restarting = true;
    this.detail = RECONNECTING;
    this.#changed();
    this.pc.restartIce(); // fires negotiationneeded → #reoffer()
  }

  async #reoffer() {
    if (this.#reoffering || this.pc.signalingState !== 'stable') return;
    this.#reoffering = true;
    try {
      await this.pc.setLocalDescription(await this.pc.createOffer());
      this.#sendDescription();
    } catch (e) {
      console.warn(`callbox: could not offer again to ${this.peerId}: ${e.message}`);
    } finally {
      this.#reoffering = false;
    }
  }

  // Closes the connection; `reason` is what the user is told (empty: nothing to explain).
  close(reason = '') {
    if (this.state === 'ended') return;
    clearTimeout(this.#timer);
    clearTimeout(this.#restartTimer);
    this.reason = reason;
    this.pc.close();
    this.#setState('ended');
  }

  #setState(state) {
    if (state !== 'connecting') clearTimeout(this.#timer);
    if (state === this.state && state !== 'connecting') return;
    this.state = state;
    this.#changed();
  }

  #changed() {
    this.#onChange(this);
  }

  #pcStateChanged() {
    if (this.state === 'ended') return;
    const s = this.pc.connectionState;
    if (s === 'connected') this.#restarting = false;
    this.detail = this.#restarting ? RECONNECTING
      : s === 'disconnected' ? 'Connection interrupted, trying to recover…' : '';
    clearTimeout(this.#restartTimer);
    if (s === 'disconnected' && this.offerer) {
      this.#restartTimer = setTimeout(() => {
        if (this.pc.connectionState === 'disconnected') this.restartIce();
      }, ICE_RESTART_AFTER_MS);
    }
    if (s === 'failed') this.fail('the network connection failed');
    else if (s === 'closed') this.close();
    else if (this.state !== 'failed' || s === 'connected') this.#setState(STATE_OF[s] ?? 'connecting');
  }

  #sendDescription() {
    const d = this.pc.localDescription;
    this.#send({ sdp: { type: d.type, sdp: d.sdp } });
    this.#sdpSent = true;
    for (const ice of this.#outgoingIce.splice(0)) this.#send({ ice });
  }

  // A null candidate ends gathering: sent as an empty `candidate` string.
  #localCandidate(candidate) {
    const mid = this.pc.getTransceivers()[0]?.mid ?? '0';
    const ice = candidate ? candidate.toJSON() : { candidate: '', sdpMid: mid, sdpMLineIndex: 0 };
    if (this.#sdpSent) this.#send({ ice });
    else this.#outgoingIce.push(ice);
  }

  async #flushRemoteIce() {
    for (const ice of this.#pendingIce.splice(0)) await this.#addIce(ice);
  }

  async #addIce(ice) {
    if (this.pc.signalingState === 'closed') return;
    try {
      await this.pc.addIceCandidate(ice);
    } catch (e) {
      // A candidate we cannot use (e.g. an unreachable address family) is not an error worth showing.
      console.warn(`callbox: ignored an ICE candidate from ${this.peerId}: ${e.message}`);
    }
  }
}
