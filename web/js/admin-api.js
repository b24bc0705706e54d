// The admin HTTP API as the admin page uses it: JSON in and out, errors turned into sentences.
// The browser sends the Basic-auth credentials it asked for when /admin was opened.

const TIMEOUT_MS = 8000;

// An API failure: status is the HTTP status (0 when the device could not be reached).
export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

// The sentence to show for a failed response: the server's {"error":"..."} or its text, else a fallback by status.
async function failureOf(res, what) {
  let body = '';
  try { body = await res.text(); } catch { /* nothing readable */ }
  let message = '';
  try {
    const json = JSON.parse(body);
    if (typeof json?.error === 'string') message = json.error;
    else if (typeof json?.message === 'string') message = json.message;
  } catch {
    message = body.trim().slice(0, 300);
  }
  if (!message) {
    if (res.status === 401) message = 'Not signed in: reload the page and enter the admin password.';
    else if (res.status === 403) message = 'The admin page is turned off: set an admin password with callboxd --hash-password.';
    else if (res.status === 404) message = `${what}: this device does not offer that yet.`;
    else message = `${what} failed (HTTP ${res.status}).`;
  }
  return new ApiError(message, res.status);
}

async function request(method, path, body, what, timeoutMs = TIMEOUT_MS) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  let res;
  try {
    res = await fetch(path, {
      method,
      credentials: 'same-origin',
      cache: 'no-store',
      headers: body === undefined ? { Accept: 'application/json' } : { Accept: 'application/json', 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: controller.signal,
    });
  } catch (e) {
    throw new ApiError(e?.name === 'AbortError' ? 'The device did not answer in time.' : 'Cannot reach the device.', 0);
  } finally {
    clearTimeout(timer);
  }
  if (!res.ok) throw await failureOf(res, what);
  if (res.status === 204) return null;
  const text = await res.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(`${what}: the device sent something that is not JSON.`, res.status);
  }
}

export const api = {
  status: () => request('GET', '/api/status', undefined, 'Reading the status'),
  health: () => request('GET', '/api/health', undefined, 'Reading the health'),
  devices: () => request('GET', '/api/admin/devices', undefined, 'Listing cameras and microphones'),
  kick: (id) => request('POST', '/api/admin/kick', { id }, 'Disconnecting'),
  large: (room, large) => request('POST', '/api/admin/large', { room, large }, 'Moving the room'),
  mute: (audio, video) => request('POST', '/api/admin/mute', { audio, video }, 'Muting'),
  echoCancel: (enabled) => request('POST', '/api/admin/echo-cancel', { enabled }, 'Switching echo cancellation'),
  useCamera: (id) => request('POST', '/api/admin/device', { camera: id }, 'Switching the camera'),
  useMicrophone: (id) => request('POST', '/api/admin/device', { microphone: id }, 'Switching the microphone'),
  // The device's self-test takes about fifteen seconds (a minute at most on a busy board).
  selfTest: () => request('POST', '/api/admin/self-test', {}, 'The self-test', 90000),
};

// The device's name from the WebSocket welcome, for daemons whose /api/status has no device_name.
// Opens one socket, reads the welcome and closes again; resolves to '' when that does not work.
export function deviceNameFromWelcome(timeoutMs = 4000) {
  return new Promise((resolve) => {
    let ws;
    let done = false;
    const finish = (name) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      try { ws?.close(1000); } catch { /* already closed */ }
      resolve(name);
    };
    const timer = setTimeout(() => finish(''), timeoutMs);
    try {
      ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`);
    } catch {
      finish('');
      return;
    }
    ws.addEventListener('message', (ev) => {
      try {
        const msg = JSON.parse(ev.data);
        if (msg?.type === 'welcome') finish(typeof msg.device?.name === 'string' ? msg.device.name : '');
      } catch {
        finish('');
      }
    });
    ws.addEventListener('error', () => finish(''));
    ws.addEventListener('close', () => finish(''));
  });
}
