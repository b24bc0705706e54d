// The local camera and microphone for calls: getUserMedia with a receive-only fallback, and mute/camera-off choices that survive device switches.

const VIDEO = Object.freeze({ width: { ideal: 640 }, height: { ideal: 480 } });
const KIND_INPUT = Object.freeze({ audio: 'audioinput', video: 'videoinput' });

// Why nothing can be sent, in words, for an error from getUserMedia.
function refusalReason(error) {
  switch (error?.name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'Camera and microphone access was refused, so you take part without sending picture or sound. '
        + 'Allow them in the browser settings and call again to be seen and heard.';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'No camera or microphone was found, so you take part without sending picture or sound.';
    case 'NotReadableError':
    case 'AbortError':
      return 'The camera and microphone are in use by another app, so you take part without sending picture or sound.';
    default:
      return 'The camera and microphone could not be started, so you take part without sending picture or sound.';
  }
}

export class LocalMedia {
  stream = null;      // MediaStream with our current tracks (none when receive-only)
  audioOn = true;     // the user's choice (mute button); applied to every track we get
  videoOn = true;     // the user's choice (camera button)
  reason = '';        // why we send nothing, or only sound, in words ('' when all is well)

  track(kind) {
    return this.stream?.getTracks().find((t) => t.kind === kind && t.readyState === 'live') ?? null;
  }

  get receiveOnly() {
    return !this.track('audio') && !this.track('video');
  }

  // Asks for camera and microphone; on refusal or without getUserMedia (no secure context), we receive only.
  async start() {
    this.stop();
    this.stream = new MediaStream();
    this.reason = '';
    if (!navigator.mediaDevices?.getUserMedia) {
      this.reason = window.isSecureContext
        ? 'This browser cannot use a camera or microphone, so you take part without sending picture or sound.'
        : 'This page was not opened over a secure (https) connection, so the browser does not allow the camera and microphone. '
          + 'You can still see and hear the others.';
      return;
    }
    let error = null;
    // Both first; when that fails for a reason other than a refusal, try each alone (e.g. no camera).
    for (const constraints of [{ audio: true, video: VIDEO }, { video: VIDEO }, { audio: true }]) {
      try {
        const got = await navigator.mediaDevices.getUserMedia(constraints);
        for (const t of got.getTracks()) this.#adopt(t);
        break;
      } catch (e) {
        error = e;
        if (e?.name === 'NotAllowedError' || e?.name === 'SecurityError') break;
      }
    }
    if (this.receiveOnly) this.reason = refusalReason(error);
    else if (!this.track('video')) this.reason = 'No camera could be used: the others hear you but do not see you.';
    else if (!this.track('audio')) this.reason = 'No microphone could be used: the others see you but do not hear you.';
  }

  stop() {
    for (const t of this.stream?.getTracks() ?? []) t.stop();
    this.stream = null;
  }

  // Mute / camera off: only track.enabled changes, so the connections stay as they are.
  setOn(kind, on) {
    if (kind === 'audio') this.audioOn = on;
    else this.videoOn = on;
    const t = this.track(kind);
    if (t) t.enabled = on;
  }

  isOn(kind) {
    return kind === 'audio' ? this.audioOn : this.videoOn;
  }

  // The inputs of `kind` the browser offers, as [{ deviceId, label }].
  async devices(kind) {
    if (!navigator.mediaDevices?.enumerateDevices) return [];
    const all = await navigator.mediaDevices.enumerateDevices();
    return all.filter((d) => d.kind === KIND_INPUT[kind] && d.deviceId)
      .map((d, i) => ({ deviceId: d.deviceId, label: d.label || `${kind === 'audio' ? 'Microphone' : 'Camera'} ${i + 1}` }));
  }

  currentDevice(kind) {
    return this.track(kind)?.getSettings().deviceId ?? '';
  }

  // Opens `deviceId` for `kind`, hands the new track to replace(track) (which swaps it into every call),
  // then stops the old one. The new track keeps the user's mute / camera-off choice.
  async switchDevice(kind, deviceId, replace) {
    const old = this.track(kind);
    if (!old) return;
    const constraints = kind === 'audio'
      ? { audio: { deviceId: { exact: deviceId } } }
      : { video: { ...VIDEO, deviceId: { exact: deviceId } } };
    const got = await navigator.mediaDevices.getUserMedia(constraints);
    const fresh = got.getTracks().find((t) => t.kind === kind);
    for (const t of got.getTracks()) if (t !== fresh) t.stop();
    if (!fresh) throw new Error(`no ${kind} track from the chosen device`);
    fresh.enabled = this.isOn(kind);
    await replace(fresh);
    this.stream.removeTrack(old);
    old.stop();
    this.stream.addTrack(fresh);
  }

  #adopt(track) {
    track.enabled = this.isOn(track.kind);
    this.stream.addTrack(track);
  }
}
