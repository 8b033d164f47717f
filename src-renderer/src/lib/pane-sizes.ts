// The resizable panes' sizes: the commit list's share of the window's width
// (so a resize keeps the proportion) and the storage chart's height in pixels.
// Both are remembered in localStorage; every value read back is clamped, so a
// stale or hand-edited entry can never hide a pane.

export interface StoredSize {
  readonly key: string;
  readonly fallback: number;
  readonly min: number;
  readonly max: number;
}

/** The commit list's fraction of the workspace width (the details pane takes the rest). */
export const LIST_FRACTION: StoredSize = { key: 'weightline.layout.listFraction', fallback: 0.56, min: 0.2, max: 0.8 };
/** The storage chart's height under the commit list, in CSS pixels. */
export const CHART_HEIGHT: StoredSize = { key: 'weightline.layout.chartHeight', fallback: 180, min: 110, max: 520 };

/** Narrowest the list and the details pane may get; styles.css uses the same figures. */
export const MIN_LIST_PX = 340;
export const MIN_DETAILS_PX = 380;
/** The least height the commit list keeps above the chart. */
export const MIN_GRAPH_PX = 160;
/** The drag handles' thickness (styles.css: the 7px grid tracks). */
export const HANDLE_PX = 7;

export function clampNumber(v: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, v));
}

export function parseStoredSize(raw: string | null | undefined, size: StoredSize): number {
  const v = raw == null ? NaN : Number(raw);
  return Number.isFinite(v) ? clampNumber(v, size.min, size.max) : size.fallback;
}

/**
 * The list's fraction for a pointer at `x` pixels from the workspace's left
 * edge, kept where both panes stay at least their minimum width.
 */
export function listFractionAt(x: number, total: number): number {
  if (total <= 0) return LIST_FRACTION.fallback;
  const lo = Math.min(MIN_LIST_PX, total / 2) / total;
  const hi = Math.max(lo, (total - MIN_DETAILS_PX - HANDLE_PX) / total);
  return clampNumber(clampNumber(x / total, lo, hi), LIST_FRACTION.min, LIST_FRACTION.max);
}

/** The chart's height for a pointer `fromBottom` pixels above the history's bottom edge. */
export function chartHeightAt(fromBottom: number, total: number): number {
  const hi = Math.max(CHART_HEIGHT.min, Math.min(CHART_HEIGHT.max, total - MIN_GRAPH_PX - HANDLE_PX));
  return Math.round(clampNumber(fromBottom, CHART_HEIGHT.min, hi));
}

export function readStoredSize(size: StoredSize, storage: Pick<Storage, 'getItem'> | null = safeStorage()): number {
  try { return parseStoredSize(storage?.getItem(size.key), size); } catch { return size.fallback; }
}

export function writeStoredSize(size: StoredSize, value: number, storage: Pick<Storage, 'setItem'> | null = safeStorage()): void {
  try { storage?.setItem(size.key, String(clampNumber(value, size.min, size.max))); } catch { /* not remembered, still applied */ }
}

function safeStorage(): Storage | null {
  try { return typeof localStorage === 'undefined' ? null : localStorage; } catch { return null; }
}
