// The admin page's self-test card: runs POST /api/admin/self-test and shows its rows; shows the
// camera mode and the H.264 encoder the device chose (from /api/status).
import { api } from './admin-api.js';

const byId = (id) => document.getElementById(id);

export function renderStatus(status) {
  const media = status?.media ?? {};
  byId('stat-camera-mode').textContent = media.camera_mode || '—';
  byId('stat-video-encoder').textContent = media.video_encoder || '—';
}

function renderReport(report) {
  const body = byId('self-test-body');
  body.replaceChildren();
  for (const row of report.rows ?? []) {
    const tr = document.createElement('tr');
    tr.dataset.result = row.result;
    for (const text of [row.check, row.result + (row.required ? '' : ' (optional)'), row.chose, row.detail, row.package]) {
      const td = document.createElement('td');
      td.textContent = text ?? '';
      tr.append(td);
    }
    body.append(tr);
  }
  byId('self-test-table').hidden = false;
}

byId('self-test-run').addEventListener('click', async () => {
  const button = byId('self-test-run');
  const note = byId('self-test-note');
  button.disabled = true;
  note.textContent = 'Running the self-test…';
  try {
    const report = await api.selfTest();
    renderReport(report);
    note.textContent = report.ok ? 'Everything required works.' : 'A required check failed: see the rows marked FAILED or missing.';
  } catch (e) {
    note.textContent = e.message;
  } finally {
    button.disabled = false;
  }
});
