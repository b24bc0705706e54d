// Number formatting for the admin page: every value may be missing while the daemon grows, and shows as "—" then.

export const NONE = '—';

export const isNum = (v) => typeof v === 'number' && Number.isFinite(v);

export function count(v) {
  return isNum(v) ? Math.round(v).toLocaleString('en') : NONE;
}

// A measurement with up to `digits` decimals (fewer for large values).
export function decimal(v, digits = 1) {
  if (!isNum(v)) return NONE;
  const d = Math.abs(v) >= 100 ? 0 : digits;
  return v.toLocaleString('en', { minimumFractionDigits: 0, maximumFractionDigits: d });
}

// Packet loss as a percentage; the daemon reports a fraction between 0 and 1.
export function loss(v) {
  if (!isNum(v)) return NONE;
  const pct = v * 100;
  return `${pct.toLocaleString('en', { maximumFractionDigits: pct < 10 ? 1 : 0 })} %`;
}

// 93784 -> "1 d 2 h 3 min"; 59 -> "59 s".
export function duration(seconds) {
  if (!isNum(seconds) || seconds < 0) return NONE;
  const s = Math.floor(seconds);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d} d ${h} h ${m} min`;
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min ${s % 60} s`;
  return `${s} s`;
}

export function yesNo(v) {
  return typeof v === 'boolean' ? (v ? 'yes' : 'no') : NONE;
}

export function text(v) {
  return typeof v === 'string' && v ? v : NONE;
}

export function clock(date = new Date()) {
  return date.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}
