// Delay and jitter for a call with the device: a UDP relay in the test's own process that every packet of the call (ICE checks, RTP, RTCP, DTLS) passes through, each way, and the page script that routes the call through it.
//
// This kernel has no sch_netem, and Chromium 156 did not apply its WebRTC-FakeNetwork field
// trials (calls-shaped skipped on that for sessions), so the delay is made here: each packet is
// held `oneWayMs` plus a normally distributed jitter (standard deviation `jitterMs`, clipped at
// zero), in order — Wi-Fi's jitter comes from queueing and link-layer retries, which keep
// packets in order, so a packet never overtakes the one before it.
//
// Routing: the page rewrites each of the device's ICE candidates to a relay of its own on the
// same address (the relay forwards to the candidate's port), and sends the device none of its
// own candidates, so the device learns the page's address only from the checks that reach it
// through the relay (a peer-reflexive candidate) and cannot reach the page around it.
import dgram from 'node:dgram';

// Packets of one direction, sent in order once their time comes.
class Lane {
  #queue = [];
  #timer = null;

  constructor(delay) {
    this.delay = delay; // () => ms for the next packet
    this.last = 0;      // when the last packet queued goes out (ms, performance clock)
  }

  push(send) {
    const due = Math.max(this.last, performance.now() + this.delay());
    this.last = due;
    this.#queue.push({ due, send });
    if (!this.#timer) this.#arm();
  }

  #arm() {
    this.#timer = setTimeout(() => {
      this.#timer = null;
      const now = performance.now();
      while (this.#queue.length && this.#queue[0].due <= now + 0.5) this.#queue.shift().send();
      if (this.#queue.length) this.#arm();
    }, Math.max(0, this.#queue[0].due - performance.now()));
  }

  stop() {
    clearTimeout(this.#timer);
    this.#queue = [];
  }
}

// A standard normal sample (Box–Muller).
function gaussian() {
  const u = 1 - Math.random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * Math.random());
}

export class DelayRelay {
  #relays = new Map(); // "address port" of a device candidate → { socket, lanes }

  constructor(oneWayMs, jitterMs) {
    this.oneWayMs = oneWayMs;
    this.jitterMs = jitterMs;
    this.packets = 0; // relayed, both ways
  }

  #delay = () => Math.max(0, this.oneWayMs + this.jitterMs * gaussian());

  // A relay in front of the device's UDP candidate at `address`:`port` (loopback only); resolves
  // to the relay's port on the same address.
  async relayFor(address, port) {
    const key = `${address} ${port}`;
    const known = this.#relays.get(key);
    if (known) return known.port;
    if (address !== '127.0.0.1' && address !== '::1') throw new Error(`not a loopback address: ${address}`);
    const socket = dgram.createSocket(address.includes(':') ? 'udp6' : 'udp4');
    await new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, address, resolve);
    });
    const relay = { socket, port: socket.address().port, toDevice: new Lane(this.#delay), toPage: new Lane(this.#delay) };
    let page = null; // where the page's packets come from (its one bundled socket)
    socket.on('message', (msg, from) => {
      const fromDevice = from.address === address && from.port === port;
      if (!fromDevice) page = { address: from.address, port: from.port };
      const to = fromDevice ? page : { address, port };
      if (!to) return;
      this.packets++;
      (fromDevice ? relay.toPage : relay.toDevice).push(() => socket.send(msg, to.port, to.address, () => {}));
    });
    socket.on('error', () => {});
    this.#relays.set(key, relay);
    return relay.port;
  }

  // Lets `context`'s pages route their calls through this relay (before the pages open);
  // `relayInitScript` is then their init script.
  async expose(context) {
    await context.exposeFunction('callboxRelayFor', (address, port) => this.relayFor(address, port));
  }

  close() {
    for (const { socket, toDevice, toPage } of this.#relays.values()) {
      toDevice.stop();
      toPage.stop();
      socket.close();
    }
    this.#relays.clear();
  }
}

// The page's side (an init script, before the app runs): the device's UDP candidates go through
// the relay (others are dropped), and none of the page's own candidates reach the app to be sent.
export function relayInitScript() {
  const addIceCandidate = RTCPeerConnection.prototype.addIceCandidate;
  RTCPeerConnection.prototype.addIceCandidate = async function (ice) {
    if (ice?.candidate) {
      // candidate:<foundation> <component> <protocol> <priority> <address> <port> typ ...
      const f = ice.candidate.split(' ');
      if (f[2].toLowerCase() !== 'udp') return undefined;
      f[5] = String(await window.callboxRelayFor(f[4], Number(f[5])));
      ice = { ...(ice.toJSON?.() ?? ice), candidate: f.join(' ') };
    }
    return addIceCandidate.call(this, ice);
  };
  const setRemoteDescription = RTCPeerConnection.prototype.setRemoteDescription;
  RTCPeerConnection.prototype.setRemoteDescription = function (description) {
    const sdp = description?.sdp?.replace(/^a=candidate:.*\r\n/gm, '');
    return setRemoteDescription.call(this, sdp === undefined ? description : { type: description.type, sdp });
  };
  const addEventListener = RTCPeerConnection.prototype.addEventListener;
  RTCPeerConnection.prototype.addEventListener = function (type, listener, options) {
    const only = type === 'icecandidate' ? (ev) => { if (!ev.candidate) listener.call(this, ev); } : listener;
    return addEventListener.call(this, type, only, options);
  };
}
