// A camera and a microphone that can be unplugged: another process (gst-launch-1.0 … ! shmsink) owns each "device" and callboxd reads it with shmsrc (pipeline files in a test pipelines dir); killing that process is the unplug, starting it again the return.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const GST_LAUNCH = process.env.CALLBOX_GST_LAUNCH || 'gst-launch-1.0';

// Why shared-memory devices cannot run here (no gst-launch-1.0 or no shm elements), or null.
export function shmUnavailable() {
  const r = spawnSync('gst-inspect-1.0', ['--exists', 'shmsrc'], { encoding: 'utf8' });
  if (r.error) return `gst-inspect-1.0: ${r.error.message}`;
  if (r.status !== 0) return 'GStreamer has no shmsrc/shmsink (gstreamer1.0-plugins-bad)';
  if (spawnSync(GST_LAUNCH, ['--version']).status !== 0) return `${GST_LAUNCH} is not available`;
  return null;
}

const AUDIO_CAPS = 'audio/x-raw,format=S16LE,rate=48000,channels=1,layout=interleaved';

// The pipelines dir callboxd gets: the source tree's files, with the "test" camera and/or
// microphone reading the sockets in `dir`; the daemon's test source rules stay (the clock
// pattern is drawn on live frames).
export function shmPipelinesDir(sourcePipelines, dir, { camera = true, microphone = true } = {}) {
  const out = join(dir, 'pipelines');
  cpSync(sourcePipelines, out, { recursive: true });
  if (camera) writeFileSync(join(out, 'video-source-test.pipeline'), '# A camera in another process (tests/lib/shm-device.mjs).\n'
    + `shmsrc socket-path="${join(dir, 'camera.sock')}" is-live=true do-timestamp=true\n`
    + '  ! capsfilter caps="video/x-raw,format=I420,width=@WIDTH@,height=@HEIGHT@,framerate=@FRAMERATE@/1,pixel-aspect-ratio=1/1,interlace-mode=progressive,colorimetry=bt601"\n');
  if (microphone) writeFileSync(join(out, 'audio-source-test.pipeline'), '# A microphone in another process (tests/lib/shm-device.mjs).\n'
    + `shmsrc socket-path="${join(dir, 'microphone.sock')}" is-live=true do-timestamp=true ! capsfilter caps="${AUDIO_CAPS}"\n`
    // shmsrc stamps arrival times; a microphone's are its sample count: gapless makes them so.
    + '  ! audiobuffersplit output-buffer-duration=1/50 gapless=true\n');
  return out;
}

// One device: start() plugs it in (resolves once its socket exists), unplug() kills its process.
export class ShmDevice {
  constructor(dir, kind, { width = 640, height = 480, framerate = 30 } = {}) {
    this.kind = kind;
    this.socket = join(dir, `${kind}.sock`);
    const source = kind === 'camera'
      ? ['videotestsrc', 'is-live=true', 'pattern=ball', 'motion=sweep', 'background-color=0xff204060', '!',
        `video/x-raw,format=I420,width=${width},height=${height},framerate=${framerate}/1`]
      : ['audiotestsrc', 'is-live=true', 'wave=sine', 'freq=440', 'volume=0.05', '!', AUDIO_CAPS];
    const frameBytes = (width * height * 3) / 2;
    this.args = ['-q', ...source, '!', 'shmsink', `socket-path=${this.socket}`, 'wait-for-connection=false',
      'sync=true', `shm-size=${kind === 'camera' ? frameBytes * 48 : 1 << 22}`];
    this.child = null;
    this.output = '';
  }

  async start(timeoutMs = 10000) {
    rmSync(this.socket, { force: true });
    const child = spawn(GST_LAUNCH, this.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout.on('data', (d) => { this.output += d; });
    child.stderr.on('data', (d) => { this.output += d; });
    const deadline = Date.now() + timeoutMs;
    while (!existsSync(this.socket)) {
      if (child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`the ${this.kind} process did not start (exit ${child.exitCode}): ${this.output}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    return Date.now();
  }

  // Kills the process as an unplug does to a camera: no goodbye. Resolves when it is gone.
  async unplug() {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await gone;
    this.child = null;
    rmSync(this.socket, { force: true });
    // shmsink's memory area outlives a killed writer.
    for (const f of readdirSync('/dev/shm').filter((n) => n.startsWith(`shmpipe.${child.pid}.`))) {
      rmSync(join('/dev/shm', f), { force: true });
    }
  }
}

// In the page: sorts every frame of the device's video into "live" (the clock pattern's
// markers: block 0 white, block 1 black), "placeholder" (no pattern, the placeholder's dark red
// under the strip) or "other", and keeps when each kind was last and first seen.
export function watchFrames() {
  const video = document.createElement('video');
  const canvas = document.createElement('canvas');
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  const seen = { live: 0, placeholder: 0, other: 0, kinds: [] };
  window.deviceFrames = seen;
  const luma = (d, i) => 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2];
  function onFrame() {
    const w = video.videoWidth;
    const h = video.videoHeight;
    if (w >= 320) {
      canvas.width = w;
      canvas.height = h;
      ctx.drawImage(video, 0, 0, w, h);
      const B = Math.floor(w / 80);
      const px = (x, y) => ctx.getImageData(x, y, 1, 1).data;
      const white = luma(px(B / 2, B / 2), 0);
      const black = luma(px(B + B / 2, B / 2), 0);
      const [r, g, b] = px(w / 10, h - h / 10);
      let kind = 'other';
      if (white - black >= 60) kind = 'live';
      else if (r > g + 40 && r > b + 40) kind = 'placeholder';
      seen[kind] += 1;
      const last = seen.kinds.at(-1);
      if (last?.kind !== kind) seen.kinds.push({ kind, at: Date.now(), frames: 1 });
      else last.frames += 1;
    }
    video.requestVideoFrameCallback(onFrame);
  }
  // A video element of its own, with only the device's video track: what the device sends,
  // whatever the app's tile does with the sound beside it.
  const track = window.callbox.calls().device.getReceivers().find((r) => r.track?.kind === 'video').track;

  video.muted = true;
  video.autoplay = true;
  video.playsInline = true;
  video.srcObject = new MediaStream([track]);
  document.body.append(video);
  video.play().catch(() => {});
  video.requestVideoFrameCallback(onFrame);
}
