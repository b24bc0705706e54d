// bench/media/page.js: the in-page half of the media benchmark (signalling with callboxd, one call at a time, clock-pattern reading and drawing); run.mjs injects it into every page.
(() => {
  'use strict';

  // ---- The clock pattern (shared/CLOCKPATTERN.md, version 1) ----
  const BLOCKS = 74;
  const luma = (r, g, b) => 0.257 * r + 0.504 * g + 0.098 * b + 16;

  // Reads the strip from RGBA pixels of the top B rows (row length `stride` px).
  // Returns { timeMs, counter } or { reject: 'marker' | 'xor' }.
  function decodeStrip(px, stride, B) {
    const lum = new Array(BLOCKS);
    const lo = Math.floor(B / 4), hi = Math.floor((3 * B) / 4);
    for (let k = 0; k < BLOCKS; k++) {
      let sum = 0, n = 0;
      for (let y = lo; y < hi; y++) {
        for (let x = k * B + lo; x < k * B + hi; x++) {
          const i = (y * stride + x) * 4;
          sum += luma(px[i], px[i + 1], px[i + 2]);
          n++;
        }
      }
      lum[k] = sum / n;
    }
    if (lum[0] - lum[1] < 60) return { reject: 'marker' };
    const threshold = (lum[0] + lum[1]) / 2;
    const bit = (k) => (lum[k] > threshold ? 1 : 0);
    let timeMs = 0;
    for (let k = 2; k < 50; k++) timeMs = timeMs * 2 + bit(k);
    let counter = 0;
    for (let k = 50; k < 66; k++) counter = counter * 2 + bit(k);
    let check = 0;
    for (let k = 66; k < 74; k++) check = check * 2 + bit(k);
    let xor = (counter >> 8) ^ (counter & 0xff);
    for (let i = 0; i < 6; i++) xor ^= Math.floor(timeMs / 2 ** (8 * i)) & 0xff;
    if (xor !== check) return { reject: 'xor' };
    return { timeMs, counter };
  }

  // Draws the strip for (timeMs, counter) into a 2D context of a frame `width` px wide.
  function drawStrip(ctx, width, timeMs, counter) {
    const B = Math.floor(width / 80);
    const bits = [1, 0];
    for (let k = 47; k >= 0; k--) bits.push(Math.floor(timeMs / 2 ** k) % 2);
    for (let k = 15; k >= 0; k--) bits.push((counter >> k) & 1);
    let xor = (counter >> 8) ^ (counter & 0xff);
    for (let i = 0; i < 6; i++) xor ^= Math.floor(timeMs / 2 ** (8 * i)) & 0xff;
    for (let k = 7; k >= 0; k--) bits.push((xor >> k) & 1);
    for (let k = 0; k < BLOCKS; k++) {
      ctx.fillStyle = bits[k] ? '#ffffff' : '#000000'; // luma 235 / 16, grey chroma
      ctx.fillRect(k * B, 0, B, B);
    }
  }

  // ---- Signalling: one WebSocket per page, one call with the device at a time ----
  let ws = null;
  let call = null; // the current call: { pc, pending[], remoteSet, t: {...} }
  const events = []; // call-states and errors, for the report

  function send(obj) { ws.send(JSON.stringify(obj)); }

  async function onMessage(ev) {
    const m = JSON.parse(ev.data);
    const c = call;
    if (m.type === 'error') events.push(`error:${m.code}:${m.message}`);
    if (m.type === 'call-state' && m.peer === 'device') {
      events.push(`call-state:${m.state}`);
      if (c && m.state === 'connected' && c.t.callConnected === undefined) c.t.callConnected = performance.now();
      if (c && m.state === 'failed') c.failed = m.state;
    }
    if (m.type !== 'signal' || m.from !== 'device' || !c) return;
    if (m.data.sdp) {
      c.t.answer = performance.now();
      await c.pc.setRemoteDescription(m.data.sdp);
      c.remoteSet = true;
      for (const cand of c.pending.splice(0)) await c.pc.addIceCandidate(cand);
    } else if (m.data.ice) {
      if (c.remoteSet) await c.pc.addIceCandidate(m.data.ice);
      else c.pending.push(m.data.ice);
    }
  }

  // The next message of `type` on socket `w` (an `error` instead rejects).
  function nextMessage(w, type, timeoutMs = 5000) {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no ${type}`)), timeoutMs);
      w.addEventListener('message', function once(ev) {
        const m = JSON.parse(ev.data);
        if (m.type !== type && m.type !== 'error') return;
        clearTimeout(t);
        w.removeEventListener('message', once);
        if (m.type === 'error') reject(new Error(`${m.code}: ${m.message}`));
        else resolve(m);
      });
    });
  }

  let rtcConfig = {};
  async function connect(wsUrl, room, nick) {
    ws = new WebSocket(wsUrl);
    await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = () => reject(new Error('ws error')); });
    const joined = nextMessage(ws, 'joined');
    ws.onmessage = (ev) => { onMessage(ev).catch((e) => events.push(`page:${e.message}`)); };
    send({ type: 'join', room, nick });
    const m = await joined;
    // The STUN/TURN servers the daemon gives members ([ice]), as the app uses them.
    rtcConfig = { iceServers: m.ice_servers ?? [], iceTransportPolicy: m.ice_transport_policy ?? 'all' };
  }

  // Leaves the room (after a hang-up) and closes the WebSocket.
  async function leave() {
    const w = ws;
    if (!w) return;
    const left = nextMessage(w, 'left');
    send({ type: 'leave' });
    await left;
    ws = null;
    const closed = new Promise((resolve) => { w.onclose = resolve; });
    w.close();
    await closed;
  }

  let fakeCamera = null; // getUserMedia stream, kept across calls (its start-up is not the device's)
  let canvasSource = null;

  // A canvas at width×height, redrawn `fps` times a second with the clock pattern stamped
  // Date.now() + offsetMs; its captureStream is the page's camera.
  function startCanvas(width, height, fps, offsetMs) {
    const canvas = document.createElement('canvas');
    canvas.width = width; canvas.height = height;
    const ctx = canvas.getContext('2d');
    let counter = 0;
    const draw = () => {
      ctx.fillStyle = '#203040';
      ctx.fillRect(0, 0, width, height);
      ctx.fillStyle = '#c0a040'; // something that moves, so the encoder has work
      ctx.fillRect((counter * 8) % (width - 120), height / 2 - 60, 120, 120);
      drawStrip(ctx, width, Date.now() + offsetMs, counter & 0xffff);
      counter++;
    };
    draw();
    const timer = setInterval(draw, 1000 / fps);
    const stream = canvas.captureStream(fps);
    return { stream, offsetMs, stop() { clearInterval(timer); stream.getTracks().forEach((t) => t.stop()); }, frames: () => counter };
  }

  // Starts a call. send: 'none' (recvonly viewer; audio: false leaves audio out) | 'camera'
  // (fake camera + mic; audio: false, the camera only) | 'canvas' (clock-pattern canvas, 1280×720 at 30 fps, audio
  // recvonly). mic: send audio-page.js's synthesized microphone instead of receiving audio only. video: attach a <video> and watch for the first frame. Resolves once the
  // offer is sent. play: 'video' shows the video track alone, muted; 'app' plays every track received in one
  // element with the sound on, as the app's call tile does (web/js/call-view.js), so Chromium's
  // audio/video sync works on a stream that is really played out.
  async function startCall({ send: sending = 'none', video = true, audio = true, canvas = {}, mic = false, play = 'video' } = {}) {
    if (call) hangup();
    const pc = new RTCPeerConnection(rtcConfig);
    const c = { pc, pending: [], remoteSet: false, t: {}, video: null, audioTrack: null, received: new MediaStream() };
    call = c;
    // mic: the audio benchmark's synthesized microphone (audio-page.js) instead of receiving only
    const addAudio = () => {
      const m = mic && window.cbAudio?.micTrack();
      if (m) pc.addTrack(m.track, m.stream);
      else pc.addTransceiver('audio', { direction: 'recvonly' });
    };
    if (sending === 'none') {
      if (audio) addAudio();
      pc.addTransceiver('video', { direction: 'recvonly' });
    } else if (sending === 'camera') {
      fakeCamera ??= await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
      fakeCamera.getTracks().filter((t) => audio || t.kind === 'video').forEach((t) => pc.addTrack(t, fakeCamera));
    } else if (sending === 'canvas') {
      const offset = canvas.offsetMs ?? 0;
      if (canvasSource && canvasSource.offsetMs !== offset) { canvasSource.stop(); canvasSource = null; }
      canvasSource ??= startCanvas(canvas.width ?? 1280, canvas.height ?? 720, canvas.fps ?? 30, offset);
      addAudio();
      canvasSource.stream.getVideoTracks().forEach((t) => pc.addTrack(t, canvasSource.stream));
    }
    pc.onicecandidate = (e) => send({ type: 'signal', to: 'device', data: { ice: e.candidate ? e.candidate.toJSON() : { candidate: '' } } });
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === 'connected' && c.t.pcConnected === undefined) c.t.pcConnected = performance.now();
    };
    pc.ontrack = (e) => {
      if (e.track.kind === 'audio') c.audioTrack = e.track;
      c.received.addTrack(e.track);
      if (e.track.kind !== 'video') return;
      c.t.track = performance.now();
      if (!video) return;
      const v = document.createElement('video');
      v.muted = play !== 'app'; v.autoplay = true; v.playsInline = true;
      v.srcObject = play === 'app' ? c.received : new MediaStream([e.track]);
      document.body.append(v);
      c.video = v;
      v.requestVideoFrameCallback(() => { c.t.firstFrame = performance.now(); });
    };
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    c.t.offer = performance.now();
    send({ type: 'signal', to: 'device', data: { sdp: { type: 'offer', sdp: offer.sdp } } });
  }

  // Waits for the first decoded frame; returns the call's timeline in ms after the offer.
  async function firstFrame(timeoutMs = 10000) {
    const c = call;
    const until = performance.now() + timeoutMs;
    while (c.t.firstFrame === undefined && !c.failed && performance.now() < until) await new Promise((r) => setTimeout(r, 5));
    const rel = (k) => (c.t[k] === undefined ? null : +(c.t[k] - c.t.offer).toFixed(1));
    return { firstFrame: rel('firstFrame'), answer: rel('answer'), pcConnected: rel('pcConnected'), callConnected: rel('callConnected'), track: rel('track'), failed: c.failed ?? null };
  }

  function hangup() {
    const c = call;
    if (!c) return;
    call = null;
    if (c.video) { c.video.srcObject = null; c.video.remove(); }
    c.pc.close();
    send({ type: 'signal', to: 'device', data: { bye: true } });
  }

  // ---- Reading the device's clock pattern from every frame shown ----
  let reader = null;
  // Reads `v` (the current call's video unless another element is given, e.g. the web app's).
  function startReading(v = call.video) {
    // inBrowser: from the frame's last packet received to its expected display (rVFC metadata)
    const st = { samples: [], inBrowser: [], rejects: { marker: 0, xor: 0, implausible: 0 }, callbacks: 0, lastCounter: null, gaps: 0, width: 0, height: 0 };
    const cnv = document.createElement('canvas');
    const ctx = cnv.getContext('2d', { willReadFrequently: true });
    let stopped = false;
    const onFrame = (now, meta) => {
      if (stopped) return;
      st.callbacks++;
      const W = meta.width, B = Math.floor(W / 80);
      st.width = W; st.height = meta.height;
      const stripW = BLOCKS * B;
      if (cnv.width !== stripW || cnv.height !== B) { cnv.width = stripW; cnv.height = B; }
      // The video's top B rows, unscaled (the source rectangle is in video pixels).
      ctx.drawImage(v, 0, 0, stripW, B, 0, 0, stripW, B);
      const r = decodeStrip(ctx.getImageData(0, 0, stripW, B).data, stripW, B);
      const glass = Date.now() + (meta.expectedDisplayTime - performance.now());
      if (r.reject) st.rejects[r.reject]++;
      else if (Math.abs(glass - r.timeMs) > 10000) st.rejects.implausible++;
      else {
        st.samples.push(+(glass - r.timeMs).toFixed(2));
        if (meta.receiveTime !== undefined) st.inBrowser.push(+(meta.expectedDisplayTime - meta.receiveTime).toFixed(2));
        if (st.lastCounter !== null && ((r.counter - st.lastCounter) & 0xffff) !== 1) st.gaps++;
        st.lastCounter = r.counter;
      }
      v.requestVideoFrameCallback(onFrame);
    };
    v.requestVideoFrameCallback(onFrame);
    reader = { st, stop() { stopped = true; return st; } };
  }
  function stopReading() { const r = reader; reader = null; return r ? r.stop() : null; }

  // A self-test of the reader and the drawer (no video involved): draw, read back.
  function selfTest() {
    const cnv = document.createElement('canvas');
    cnv.width = 1280; cnv.height = 16;
    const ctx = cnv.getContext('2d', { willReadFrequently: true });
    const t = Date.now();
    drawStrip(ctx, 1280, t, 0xbeef);
    const r = decodeStrip(ctx.getImageData(0, 0, 74 * 16, 16).data, 74 * 16, 16);
    return r.timeMs === t && r.counter === 0xbeef;
  }

  // inbound/outbound video statistics of the current call.
  async function stats() {
    const out = {};
    if (!call) return out;
    (await call.pc.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') Object.assign(out, { framesDecoded: s.framesDecoded, framesDropped: s.framesDropped, inWidth: s.frameWidth, inHeight: s.frameHeight, inFps: s.framesPerSecond, jitterBufferDelay: s.jitterBufferDelay, jitterBufferEmittedCount: s.jitterBufferEmittedCount, jitterBufferTargetDelay: s.jitterBufferTargetDelay, jitterBufferMinimumDelay: s.jitterBufferMinimumDelay, totalDecodeTime: s.totalDecodeTime });
      if (s.type === 'inbound-rtp' && s.kind === 'audio') Object.assign(out, { audioPackets: s.packetsReceived, audioJitterBufferDelay: s.jitterBufferDelay, audioJitterBufferEmittedCount: s.jitterBufferEmittedCount });
      if (s.type === 'outbound-rtp' && s.kind === 'video') Object.assign(out, { framesSent: s.framesSent, outWidth: s.frameWidth, outHeight: s.frameHeight, outFps: s.framesPerSecond, qualityLimitation: s.qualityLimitationReason });
    });
    return out;
  }

  window.cb = { remoteAudio: () => call?.audioTrack ?? null, connect, leave, startCall, firstFrame, hangup, startReading, stopReading, selfTest, stats, events, visibility: () => document.visibilityState };
})();
