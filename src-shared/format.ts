// Human units shared by the CLI and the UI, so the numbers a person reads in the
// terminal and in the app are the same strings: 1000-based sizes with one
// decimal, relative times with the exact time available on hover.

export function humanBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n, u = 0;
  // Compare the value as it will be printed: 999,999,999 B is "1.0 GB", not "1,000.0 MB".
  while (Math.abs(Math.round(v * 10) / 10) >= 1000 && u < units.length - 1) { v /= 1000; u++; }
  return u === 0 ? `${n} B` : `${v.toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 })} ${units[u]}`;
}

export function shortId(id: string): string {
  return id.slice(0, 12);
}

export function relativeTime(iso: string, now = Date.now()): string {
  const s = Math.round((now - Date.parse(iso)) / 1000);
  if (!Number.isFinite(s)) return '';
  if (s < 5) return 'just now';
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.round(s / 60)}m ago`;
  if (s < 86400) return `${Math.round(s / 3600)}h ago`;
  if (s < 86400 * 60) return `${Math.round(s / 86400)}d ago`;
  return new Date(iso).toISOString().slice(0, 10);
}

/** The exact local time for tooltips: "2025-11-23 11:20:05". */
export function exactTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (x: number): string => String(x).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** Saving of `stored` against `full`, as a whole-number percentage (0 when nothing is stored). */
export function savingPercent(full: number, stored: number): number {
  if (full <= 0) return 0;
  return Math.round((1 - stored / full) * 100);
}

/** "1m 05s", "12s", "2h 03m": a duration a person reads at a glance. */
export function humanDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const p = (x: number): string => String(x).padStart(2, '0');
  if (s < 3600) return `${Math.floor(s / 60)}m ${p(s % 60)}s`;
  return `${Math.floor(s / 3600)}h ${p(Math.floor((s % 3600) / 60))}m`;
}
