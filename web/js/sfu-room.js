// A large room's media through Janus's VideoRoom (its HTTP API, as callboxd's `sfu` message says):
// publish our camera and microphone once, subscribe to every other publisher (the device among them).

const PLUGIN = 'janus.plugin.videoroom';
const REQUEST_TIMEOUT_MS = 10000;
// How often the room's publishers are listed again, so a missed notification costs at most this.
const RECONCILE_MS = 4000;

let transactions = 0;
const transaction = () => `w${Date.now().toString(36)}${(transactions += 1)}`;

// One subscription: a feed of the VideoRoom (a publisher), seen as `display` (a callbox peer id).
class Feed {
  constructor(id, display) {
    this.id = id;
    this.display = display;
    this.handle = null;
    this.pc = null;
    this.stream = new MediaStream();
  }
}

export class SfuRoom {
  #url;
  #room;
  #pin;
  #display;
  #local;
  #cb;
  #session = null;
  #handles = new Map(); // Janus handle id -> event handler
  #closed = false;
  #publisher = null;    // { handle, pc }
  #feeds = new Map();   // feed id -> Feed
  #reconciler = null;

  // cb: onFeed(feed) when a feed's stream or state changes, onFeedGone(feed), onFailed(reason).
  constructor({ url, room, pin, display, local, ...cb }) {
    this.#url = url.replace(/\/+$/, '');
    this.#room = room;
    this.#pin = pin;
    this.#display = display;
    this.#local = local;
    this.#cb = cb;
  }

  get feeds() {
    return [...this.#feeds.values()];
  }

  get publisherPc() {
    return this.#publisher?.pc ?? null;
  }

  async start() {
    try {
      const created = await this.#post('', { janus: 'create' });
      this.#session = created.data.id;
      this.#poll();
      const handle = await this.#attach((ev) => this.#publisherEvent(ev));
      this.#publisher = { handle, pc: null };
      const joined = await this.#message(handle, {
        request: 'join', ptype: 'publisher', room: this.#room, pin: this.#pin, display: this.#display,
      });
      for (const p of joined.data?.publishers ?? []) this.#subscribe(p);
      this.#reconciler = setInterval(() => this.#reconcile(handle), RECONCILE_MS);
      if (!this.#local.receiveOnly) await this.#publish(handle);
    } catch (e) {
      this.#fail(`the media server could not be used (${e.message})`);
    }
  }

  close() {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#reconciler);
    this.#publisher?.pc?.close();
    for (const f of this.#feeds.values()) f.pc?.close();
    this.#feeds.clear();
    if (this.#session) this.#post(`/${this.#session}`, { janus: 'destroy' }).catch(() => {});
  }

  // ---- Janus's API ----

  async #post(path, body) {
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(), REQUEST_TIMEOUT_MS);
    try {
      const res = await fetch(this.#url + path, {
        method: 'POST', body: JSON.stringify({ ...body, transaction: transaction() }), signal: ctrl.signal,
      });
      const reply = await res.json();
      if (reply.janus === 'error') throw new Error(reply.error?.reason ?? 'Janus refused');
      return reply;
    } finally {
      clearTimeout(timer);
    }
  }

  async #attach(onEvent) {
    const reply = await this.#post(`/${this.#session}`, { janus: 'attach', plugin: PLUGIN });
    this.#handles.set(reply.data.id, onEvent);
    return reply.data.id;
  }

  // A plugin request; resolves with the plugin's answer (at once, or the event that follows an ack).
  #message(handle, body, jsep) {
    return new Promise((resolve, reject) => {
      const msg = { janus: 'message', body };
      if (jsep) msg.jsep = jsep;
      const tx = transaction();
      const waiting = { tx, resolve, reject };
      this.#waiting.set(tx, waiting);
      fetch(`${this.#url}/${this.#session}/${handle}`, { method: 'POST', body: JSON.stringify({ ...msg, transaction: tx }) })
        .then((r) => r.json())
        .then((reply) => {
          if (reply.janus === 'ack') return;
          this.#waiting.delete(tx);
          this.#settle(reply, resolve, reject);
        })
        .catch((e) => { this.#waiting.delete(tx); reject(e); });
    });
  }

  #waiting = new Map(); // transaction -> { resolve, reject }

  #settle(reply, resolve, reject) {
    const data = reply.plugindata?.data;
    if (reply.janus === 'error') reject(new Error(reply.error?.reason ?? 'Janus refused'));
    else if (data?.error) reject(new Error(data.error));
    else resolve({ data, jsep: reply.jsep });
  }

  #trickle(handle, candidate) {
    const c = candidate ? { candidate: candidate.candidate, sdpMid: candidate.sdpMid, sdpMLineIndex: candidate.sdpMLineIndex } : { completed: true };
    this.#post(`/${this.#session}/${handle}`, { janus: 'trickle', candidate: c }).catch(() => {});
  }

  async #poll() {
    while (!this.#closed) {
      let events;
      try {
        const res = await fetch(`${this.#url}/${this.#session}?maxev=10&rid=${Date.now()}`);
        events = await res.json();
      } catch (e) {
        if (!this.#closed) this.#fail(`the media server stopped answering (${e.message})`);
        return;
      }
      if (!Array.isArray(events)) {
        if (events?.janus === 'error') {
          this.#fail(`the media server forgot us (${events.error?.reason ?? 'no session'})`);
          return;
        }
        events = [events];
      }
      for (const ev of events) this.#event(ev);
    }
  }

  #event(ev) {
    const waiting = ev.transaction && this.#waiting.get(ev.transaction);
    if (waiting && ev.janus === 'event') {
      this.#waiting.delete(ev.transaction);
      this.#settle(ev, waiting.resolve, waiting.reject);
      return;
    }
    this.#handles.get(ev.sender)?.(ev);
  }

  #fail(reason) {
    if (this.#closed) return;
    this.close();
    this.#cb.onFailed?.(reason);
  }

  // ---- publishing ----

  async #publish(handle) {
    const pc = new RTCPeerConnection({ iceServers: [], bundlePolicy: 'max-bundle' });
    this.#publisher.pc = pc;
    pc.addEventListener('icecandidate', (ev) => this.#trickle(handle, ev.candidate));
    for (const kind of ['audio', 'video']) {
      const track = this.#local.track(kind);
      if (track) pc.addTransceiver(track, { direction: 'sendonly', streams: [this.#local.stream] });
    }
    await pc.setLocalDescription(await pc.createOffer());
    const { jsep } = await this.#message(handle, { request: 'publish' }, { type: 'offer', sdp: pc.localDescription.sdp });
    if (!jsep) throw new Error('Janus did not answer our offer');
    await pc.setRemoteDescription(jsep);
  }

  // The track to send for `kind` changed (a device switch).
  async replaceTrack(kind, track) {
    const sender = this.#publisher?.pc?.getSenders().find((s) => s.track?.kind === kind);
    if (sender) await sender.replaceTrack(track);
  }

  #publisherEvent(ev) {
    const data = ev.plugindata?.data;
    if (!data) return;
    for (const p of data.publishers ?? []) this.#subscribe(p);
    const gone = data.unpublished ?? data.leaving;
    if (gone !== undefined && gone !== 'ok') this.#unsubscribe(gone);
  }

  // Subscribes to publishers we have no subscription for, and drops those that left.
  async #reconcile(handle) {
    try {
      const { data } = await this.#message(handle, { request: 'listparticipants', room: this.#room });
      const publishing = (data?.participants ?? []).filter((p) => p.publisher);
      for (const p of publishing) this.#subscribe(p);
      const ids = new Set(publishing.map((p) => p.id));
      for (const id of [...this.#feeds.keys()]) if (!ids.has(id)) this.#unsubscribe(id);
    } catch {
      // the long poll notices a Janus that is gone
    }
  }

  // ---- subscribing ----

  async #subscribe(publisher) {
    if (this.#closed || this.#feeds.has(publisher.id) || publisher.display === this.#display) return;
    const feed = new Feed(publisher.id, typeof publisher.display === 'string' ? publisher.display : String(publisher.id));
    this.#feeds.set(feed.id, feed);
    try {
      feed.handle = await this.#attach((ev) => {
        if (ev.janus === 'hangup') this.#unsubscribe(feed.id);
        if (ev.janus === 'trickle' && ev.candidate && !ev.candidate.completed) feed.pc?.addIceCandidate(ev.candidate).catch(() => {});
      });
      const { jsep } = await this.#message(feed.handle, {
        request: 'join', ptype: 'subscriber', room: this.#room, pin: this.#pin, streams: [{ feed: feed.id }],
      });
      if (!jsep) throw new Error('no offer for the subscription');
      const pc = new RTCPeerConnection({ iceServers: [], bundlePolicy: 'max-bundle' });
      feed.pc = pc;
      pc.addEventListener('icecandidate', (ev) => this.#trickle(feed.handle, ev.candidate));
      pc.addEventListener('track', (ev) => {
        feed.stream.addTrack(ev.track);
        this.#cb.onFeed?.(feed);
      });
      pc.addEventListener('connectionstatechange', () => {
        // A subscription whose ICE failed is dropped; the next listing of publishers makes a new one.
        if (pc.connectionState === 'failed') this.#unsubscribe(feed.id);
        else this.#cb.onFeed?.(feed);
      });
      await pc.setRemoteDescription(jsep);
      await pc.setLocalDescription(await pc.createAnswer());
      await this.#message(feed.handle, { request: 'start', room: this.#room }, { type: 'answer', sdp: pc.localDescription.sdp });
      this.#cb.onFeed?.(feed);
    } catch (e) {
      if (this.#closed) return;
      // Forgotten: the next listing of the room's publishers subscribes again.
      this.#unsubscribe(feed.id);
    }
  }

  #unsubscribe(id) {
    const feed = this.#feeds.get(id);
    if (!feed) return;
    this.#feeds.delete(id);
    feed.pc?.close();
    if (feed.handle) this.#post(`/${this.#session}/${feed.handle}`, { janus: 'detach' }).catch(() => {});
    this.#cb.onFeedGone?.(feed);
  }
}
