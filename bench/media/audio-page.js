// bench/media/audio-page.js: the in-page half of the audio benchmark — a synthesized microphone (a far-end talker, the audio clock) and an AudioWorklet that reads what the device sends (levels, the near-end tone, the audio clock); audio.mjs injects it beside page.js.
(() => {
  'use strict';

  // Both worklets run on the audio thread. Sample times are wall-clock times (Date.now(), the
  // clock the device's audio clock uses too): the audio context's time plus an offset, the
  // smallest Date.now() − currentTime seen (rising by at most 1 ms a second, for drift). The
  // audio thread renders in bursts (headless Chromium's output pulls about 10 ms at once), so
  // Date.now() at each block would jitter by a burst; the smallest offset is the burst's last
  // block, when every sample before it has been rendered: a sample is "said" (generator) or
  // "heard" (reader) when the audio graph has rendered it.
  const WORKLETS = `
    class WallClock {
      constructor() { this.off = null; this.at = 0; }
      // wall-clock ms of context time t (s), updated once per block
      update() {
        const now = Date.now(), o = now - currentTime * 1000;
        const grown = this.off === null ? o : this.off + (currentTime - this.at) * 1;
        this.off = Math.min(grown, o); this.at = currentTime;
      }
      wall(t) { return this.off + t * 1000; }
    }
    // The far-end talker: pink noise (Paul Kellet's filter) at 'level' of full scale while
    // talk(wall) is true; and the audio clock (docs/audio-clock.md, version 1): a 1 kHz burst
    // of 40 ms at 0.251 with 2 ms raised-cosine ramps, starting on every whole second.
    class Generator extends AudioWorkletProcessor {
      constructor(options) {
        super();
        const o = options.processorOptions;
        this.level = o.level; this.clock = o.clock; this.t0 = o.t0; this.onMs = o.onMs; this.offMs = o.offMs;
        this.b = [0, 0, 0, 0, 0, 0, 0];
        this.clk = new WallClock();
        this.port.onmessage = (e) => Object.assign(this, e.data);
      }
      talking(wall) {
        if (this.level <= 0 || wall < this.t0) return false;
        if (!this.offMs) return true;
        return (wall - this.t0) % (this.onMs + this.offMs) < this.onMs;
      }
      pink() {
        const b = this.b, w = Math.random() * 2 - 1;
        b[0] = 0.99886 * b[0] + w * 0.0555179; b[1] = 0.99332 * b[1] + w * 0.0750759;
        b[2] = 0.969 * b[2] + w * 0.153852; b[3] = 0.8665 * b[3] + w * 0.3104856;
        b[4] = 0.55 * b[4] + w * 0.5329522; b[5] = -0.7616 * b[5] - w * 0.016898;
        const y = b[0] + b[1] + b[2] + b[3] + b[4] + b[5] + b[6] + w * 0.5362;
        b[6] = w * 0.115926;
        return y * 0.11; // about ±1 peak
      }
      process(inputs, outputs) {
        const out = outputs[0][0];
        const n = out.length;
        this.clk.update();
        for (let i = 0; i < n; i++) {
          const wall = this.clk.wall(currentTime + i / sampleRate);
          let v = this.talking(wall) ? this.pink() * this.level : 0;
          if (this.clock) {
            const into = wall - Math.floor(wall / 1000) * 1000; // ms into this second
            if (into < 40) {
              const ramp = Math.min(1, into / 2, (40 - into) / 2);
              const env = 0.5 - 0.5 * Math.cos(Math.PI * ramp);
              v += 0.251 * env * Math.sin(2 * Math.PI * 1000 * (into / 1000));
            }
          }
          out[i] = v;
        }
        return true;
      }
    }
    registerProcessor('cb-generator', Generator);

    // The reader: 100 ms windows (RMS in dBFS, and by Goertzel, as dBFS of a sine, the level at
    // the near-end talker's frequency and at one of the far end's only) and the audio clock's onsets (1 ms blocks, as
    // docs/audio-clock.md reads them).
    class Reader extends AudioWorkletProcessor {
      constructor(options) {
        super();
        const o = options.processorOptions;
        this.tone = o.toneHz;
        this.band = o.bandHz; // a frequency of the far end's talker but not of the near end's
        this.winN = Math.round(sampleRate / 10);
        this.blockN = Math.round(sampleRate / 1000);
        this.resetWindow();
        this.blockSum = 0; this.blockCount = 0; this.blockStart = 0;
        this.quietMs = 0; this.floor = null;
        this.clk = new WallClock();
        this.windows = []; this.onsets = [];
        this.port.onmessage = () => {
          this.port.postMessage({ windows: this.windows, onsets: this.onsets });
          this.windows = []; this.onsets = [];
        };
      }
      resetWindow() { this.sq = 0; this.count = 0; this.s1 = 0; this.s2 = 0; this.b1 = 0; this.b2 = 0; this.winStart = null; }
      // Goertzel: the amplitude of a sine at the filter's frequency over the window
      amplitude(s1, s2, k) { return (2 * Math.sqrt(Math.max(s1 * s1 + s2 * s2 - k * s1 * s2, 0))) / this.winN; }
      process(inputs) {
        const input = inputs[0];
        const x = input && input[0];
        this.clk.update();
        const n = x ? x.length : 128;
        const k = 2 * Math.cos(2 * Math.PI * this.tone / sampleRate);
        const kb = 2 * Math.cos(2 * Math.PI * this.band / sampleRate);
        for (let i = 0; i < n; i++) {
          const v = x ? x[i] : 0;
          const wall = this.clk.wall(currentTime + i / sampleRate);
          if (this.winStart === null) this.winStart = wall;
          this.sq += v * v;
          const s = v + k * this.s1 - this.s2; this.s2 = this.s1; this.s1 = s;
          const b = v + kb * this.b1 - this.b2; this.b2 = this.b1; this.b1 = b;
          if (++this.count === this.winN) {
            // levels under −100 dBFS (under 16-bit noise; Opus sends digital silence) read −100
            const db = (x) => +Math.max(-100, 20 * Math.log10(x + 1e-9)).toFixed(2);
            const rms = Math.sqrt(this.sq / this.winN);
            this.windows.push([Math.round(this.winStart), db(rms), db(this.amplitude(this.s1, this.s2, k)), db(this.amplitude(this.b1, this.b2, kb))]);
            this.resetWindow();
          }
          if (this.blockCount === 0) this.blockStart = wall;
          this.blockSum += Math.abs(v);
          if (++this.blockCount === this.blockN) {
            const mean = this.blockSum / this.blockN;
            const burstMean = 0.251 * 2 / Math.PI;
            const quiet = mean < burstMean / 16 && (this.floor === null || mean < 4 * Math.max(this.floor, 1e-5));
            if (quiet) {
              this.floor = this.floor === null ? mean : 0.99 * this.floor + 0.01 * mean;
              this.quietMs++;
            } else {
              if (this.quietMs >= 200) this.onsets.push(+this.blockStart.toFixed(2));
              this.quietMs = 0;
            }
            this.blockSum = 0; this.blockCount = 0;
          }
        }
        return true;
      }
    }
    registerProcessor('cb-reader', Reader);
  `;

  // One audio context with both worklets loaded (the promise, so concurrent callers wait too).
  let ready = null;
  function context() {
    ready ??= (async () => {
      const c = new AudioContext({ sampleRate: 48000, latencyHint: 'interactive' });
      const url = URL.createObjectURL(new Blob([WORKLETS], { type: 'application/javascript' }));
      await c.audioWorklet.addModule(url);
      await c.resume();
      return c;
    })();
    return ready;
  }

  // The page's microphone: { level: far-end talker's scale (0 = silent), clock: the audio
  // clock, t0: wall time the talker starts, onMs/offMs: talk and pause (offMs 0: talks
  // throughout), notchHz: a notch that keeps the talker off the near-end tone's frequency }.
  let mic = null;
  async function startMic(o) {
    const c = await context();
    const gen = new AudioWorkletNode(c, 'cb-generator', { numberOfInputs: 0, outputChannelCount: [1], processorOptions: { level: 0, clock: false, t0: 0, onMs: 0, offMs: 0, ...o } });
    const dest = c.createMediaStreamDestination();
    dest.channelCount = 1;
    let node = gen;
    if (o.notchHz) {
      // two notches in series: the talker 40 dB or more below itself at the tone's frequency
      for (let i = 0; i < 2; i++) {
        const f = c.createBiquadFilter();
        f.type = 'notch'; f.frequency.value = o.notchHz; f.Q.value = 2;
        node.connect(f); node = f;
      }
    }
    node.connect(dest);
    mic = { gen, dest, track: dest.stream.getAudioTracks()[0], stream: dest.stream, options: o };
    return true;
  }
  function setMic(o) { Object.assign(mic.options, o); mic.gen.port.postMessage(o); }
  const micTrack = () => mic && { track: mic.track, stream: mic.stream };

  // Reads `track` (the device's audio, received): Chromium renders a remote track into Web
  // Audio only while a media element plays it too, so a muted <audio> plays it.
  let reader = null;
  async function startReading(track, toneHz = 330, bandHz = 1500) {
    const c = await context();
    const el = new Audio();
    el.muted = true; el.autoplay = true;
    el.srcObject = new MediaStream([track]);
    await el.play().catch(() => {});
    const src = c.createMediaStreamSource(new MediaStream([track]));
    const node = new AudioWorkletNode(c, 'cb-reader', { numberOfOutputs: 1, outputChannelCount: [1], processorOptions: { toneHz, bandHz } });
    src.connect(node);
    // a worklet is processed only when it reaches the destination: a silent gain
    const mute = c.createGain();
    mute.gain.value = 0;
    node.connect(mute).connect(c.destination);
    reader = { el, src, node, mute, windows: [], onsets: [] };
    return true;
  }
  // Everything read since the last call (100 ms windows [wall, rmsDb, toneDb, bandDb], onsets [wall]).
  function drain() {
    const r = reader;
    if (!r) return null;
    return new Promise((resolve) => {
      r.node.port.onmessage = (e) => resolve(e.data);
      r.node.port.postMessage('drain');
    });
  }
  function stopReading() {
    const r = reader;
    reader = null;
    if (!r) return;
    r.src.disconnect(); r.node.disconnect(); r.mute.disconnect();
    r.el.srcObject = null;
  }

  // A self-check of the reader (no call involved): the generator's clock fed straight into the
  // reader must read back within a few ms of zero latency.
  async function selfCheck(seconds = 3) {
    const c = await context();
    const gen = new AudioWorkletNode(c, 'cb-generator', { numberOfInputs: 0, outputChannelCount: [1], processorOptions: { level: 0, clock: true, t0: 0, onMs: 0, offMs: 0 } });
    const node = new AudioWorkletNode(c, 'cb-reader', { numberOfOutputs: 1, outputChannelCount: [1], processorOptions: { toneHz: 330, bandHz: 1500 } });
    const mute = c.createGain();
    mute.gain.value = 0;
    gen.connect(node).connect(mute).connect(c.destination);
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const got = await new Promise((resolve) => { node.port.onmessage = (e) => resolve(e.data); node.port.postMessage('drain'); });
    gen.disconnect(); node.disconnect(); mute.disconnect();
    return got.onsets.map((t) => +(t - Math.floor(t / 1000) * 1000).toFixed(2)).map((ms) => (ms > 500 ? ms - 1000 : ms));
  }

  window.cbAudio = { startMic, setMic, micTrack, startReading, drain, stopReading, selfCheck };
})();
