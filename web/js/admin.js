// callbox admin page entry point: polls /api/status (every 2 s) and /api/admin/devices (every 5 s), renders the
// sections (js/admin-view.js) and sends the admin actions. The browser asked for the password when /admin opened.
import { api, deviceNameFromWelcome } from './admin-api.js';
import { RoomsView, CallsView, DeviceView, EchoView, HealthView } from './admin-view.js';
import { byId, show } from './dom.js';
import { clock } from './admin-format.js';
import * as selfTest from './admin-self-test.js';

const STATUS_EVERY_MS = 2000;
const DEVICES_EVERY_MS = 5000;
const HEALTH_EVERY_MS = 10000;
const ERROR_SHOW_MS = 10000;

// ---- error banner (as in the app) ----
const errorBox = byId('error');
const errorText = byId('error-text');
let errorTimer = null;

function showError(sentence, { sticky = false } = {}) {
  if (!sentence) return;
  errorText.textContent = sentence;
  show(errorBox, true);
  clearTimeout(errorTimer);
  if (!sticky) errorTimer = setTimeout(hideError, ERROR_SHOW_MS);
}

function hideError() {
  clearTimeout(errorTimer);
  show(errorBox, false);
  errorText.textContent = '';
}

byId('error-close').addEventListener('click', hideError);

// ---- status line in the top bar ----
const statusBox = byId('conn-status');
const statusText = byId('conn-text');

function setLive(state, text) {
  statusBox.dataset.state = state; // open | connecting | waiting (the app's colours)
  statusText.textContent = text;
}

// ---- device name ----
const nameBox = byId('device-name');
let nameAsked = false;

function showDeviceName(name) {
  if (!name || nameBox.textContent === name) return;
  nameBox.textContent = name;
  show(nameBox, true);
  document.title = `${name} · callbox admin`;
}

// ---- sections ----
let lastStatus = null;
let lastHealth = null;
// Bumped after every admin action: a status or device list asked for before it is stale and dropped
// (the action has already asked for a fresh one), so a kicked member or an old mute never flickers back.
let generation = 0;

function acted() {
  generation += 1;
  refreshStatus();
}

const rooms = new RoomsView({
  onKick: async (member) => {
    try {
      await api.kick(member.id);
    } catch (e) {
      showError(`Could not disconnect ${member.nick ?? member.id}: ${e.message}`);
      throw e;
    }
    acted();
  },
  onLarge: async (room, large) => {
    try {
      await api.large(room, large);
    } catch (e) {
      showError(`Could not move ${room}: ${e.message}`);
      throw e;
    }
    acted();
  },
});
const calls = new CallsView();
const device = new DeviceView({
  onMute: async ({ audio, video }) => {
    try {
      await api.mute(audio, video);
    } catch (e) {
      showError(`Could not change the mute: ${e.message}`);
      throw e;
    }
    acted();
  },
  onPick: async (kind, id) => {
    try {
      await (kind === 'camera' ? api.useCamera(id) : api.useMicrophone(id));
    } catch (e) {
      showError(`Could not switch the ${kind}: ${e.message}`);
      throw e;
    }
    acted();
    refreshDevices();
  },
});
const echo = new EchoView({
  onSwitch: async (enabled) => {
    try {
      await api.echoCancel(enabled);
    } catch (e) {
      showError(`Could not switch echo cancellation: ${e.message}`);
      throw e;
    }
    acted();
  },
});
const health = new HealthView();

function render() {
  selfTest.renderStatus(lastStatus);
  rooms.render(lastStatus);
  calls.render(lastStatus);
  device.renderStatus(lastStatus);
  echo.render(lastStatus);
  health.render(lastStatus, lastHealth);
}

// ---- polling ----
// Each poller runs its fetch, then schedules the next run; run() now skips the wait (e.g. after an action).
function poller(everyMs, fetchOnce) {
  let timer = null;
  let running = false;
  let again = false;
  const run = async () => {
    if (running) { again = true; return; }
    running = true;
    clearTimeout(timer);
    try {
      await fetchOnce();
    } finally {
      running = false;
      timer = setTimeout(run, again ? 0 : everyMs);
      again = false;
    }
  };
  return run;
}

let stickyProblem = false;

const refreshStatus = poller(STATUS_EVERY_MS, async () => {
  const asked = generation;
  let status;
  try {
    status = await api.status();
  } catch (e) {
    if (e.status === 401 || e.status === 403) {
      setLive('waiting', e.status === 401 ? 'Not signed in' : 'Admin is turned off');
      showError(e.message, { sticky: true });
      stickyProblem = true;
    } else {
      setLive('waiting', e.status === 0 ? 'Cannot reach the device' : 'Status not available');
      if (e.status !== 0) showError(e.message);
    }
    return;
  }
  if (asked !== generation) return; // stale: a fresh one is on its way
  lastStatus = status;
  if (stickyProblem) { hideError(); stickyProblem = false; }
  setLive('open', `Live · ${clock()}`);
  if (typeof lastStatus?.device_name === 'string' && lastStatus.device_name) showDeviceName(lastStatus.device_name);
  else if (!nameAsked) {
    nameAsked = true;
    deviceNameFromWelcome().then(showDeviceName);
  }
  render();
});

const refreshDevices = poller(DEVICES_EVERY_MS, async () => {
  const asked = generation;
  try {
    const devices = await api.devices();
    if (asked === generation) device.renderDevices(devices);
  } catch (e) {
    device.renderDevices(null, e.status === 0 ? 'Cannot reach the device.' : `Cameras and microphones: ${e.message}`);
  }
});

// /api/health only adds the media state for daemons whose /api/status lacks it.
const refreshHealth = poller(HEALTH_EVERY_MS, async () => {
  try {
    lastHealth = await api.health();
    health.render(lastStatus, lastHealth);
  } catch {
    lastHealth = null;
  }
});

document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') {
    refreshStatus();
    refreshDevices();
  }
});

render();
refreshStatus();
refreshDevices();
refreshHealth();
