// The WebSocket to callboxd: JSON messages, a dispatcher by "type", and reconnection with backoff.

const MIN_DELAY_MS = 500;
const MAX_DELAY_MS = 15000;

// Same-origin endpoint: ws:// for http pages, wss:// for https pages.
export function defaultUrl(loc = window.location) {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/ws`;
}

// States: 'connecting' (socket opening), 'open', 'waiting' (lost; retry scheduled at retryAt).
export class Connection {
  #url;
  #ws = null;
  #handlers = new Map();
  #stateListeners = [];
  #attempt = 0;
  #timer = null;
  #started = false;

  state = 'connecting';
  retryAt = 0;
  lastCloseCode = 0;

  constructor(url = defaultUrl()) {
    this.#url = url;
  }

  // on('chat', fn) calls fn(message) for every message of that type; on('*', fn) for all.
  on(type, fn) {
    if (!this.#handlers.has(type)) this.#handlers.set(type, []);
    this.#handlers.get(type).push(fn);
    return this;
  }

  onState(fn) {
    this.#stateListeners.push(fn);
    return this;
  }

  start() {
    if (this.#started) return;
    this.#started = true;
    window.addEventListener('online', () => this.reconnectNow());
    this.#open();
  }

  // Skips the rest of the backoff wait; `byUser` (the "Retry now" button) also comes back
  // after the admin removed this browser.
  reconnectNow(byUser = false) {
    if (this.state === 'waiting' || (byUser && this.state === 'removed')) this.#open();
  }

  get isOpen() {
    return this.#ws !== null && this.#ws.readyState === WebSocket.OPEN;
  }

  // Returns false when not connected; the message is then dropped.
  send(message) {
    if (!this.isOpen) return false;
    this.#ws.send(JSON.stringify(message));
    return true;
  }

  #setState(state) {
    this.state = state;
    for (const fn of this.#stateListeners) {
      try { fn(state, this); } catch (e) { console.error(e); }
    }
  }

  #open() {
    clearTimeout(this.#timer);
    this.#timer = null;
    this.#setState('connecting');
    let ws;
    try {
      ws = new WebSocket(this.#url);
    } catch (e) {
      console.error('callbox: cannot open WebSocket', e);
      this.#scheduleRetry();
      return;
    }
    this.#ws = ws;
    ws.addEventListener('open', () => {
      if (ws === this.#ws) this.#setState('open');
    });
    ws.addEventListener('message', (ev) => {
      if (ws === this.#ws) this.#dispatch(ev.data);
    });
    // 'error' is always followed by 'close'; reconnecting happens there.
    ws.addEventListener('close', (ev) => {
      if (ws !== this.#ws) return;
      this.#ws = null;
      this.lastCloseCode = ev.code;
      // 4001: the admin removed this browser; coming straight back would undo that.
      if (ev.code === 4001) {
        this.#setState('removed');
        return;
      }
      this.#scheduleRetry();
    });
  }

  #dispatch(data) {
    if (typeof data !== 'string') return;
    let msg;
    try {
      msg = JSON.parse(data);
    } catch {
      console.warn('callbox: ignoring a frame that is not JSON');
      return;
    }
    if (msg === null || typeof msg !== 'object' || typeof msg.type !== 'string') return;
    if (msg.type === 'welcome') this.#attempt = 0; // a healthy server: next loss retries fast
    const fns = [...(this.#handlers.get(msg.type) ?? []), ...(this.#handlers.get('*') ?? [])];
    for (const fn of fns) {
      try { fn(msg); } catch (e) { console.error(`callbox: handler for ${msg.type} failed`, e); }
    }
  }

  #scheduleRetry() {
    const base = Math.min(MAX_DELAY_MS, MIN_DELAY_MS * 2 ** this.#attempt);
    this.#attempt += 1;
    const delay = Math.round(base * (0.8 + Math.random() * 0.4)); // jitter so clients spread out
    this.retryAt = Date.now() + delay;
    this.#timer = setTimeout(() => this.#open(), delay);
    this.#setState('waiting');
  }
}
