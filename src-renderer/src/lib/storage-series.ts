import { scaleBand, type ScaleBand } from 'd3-scale';

// The storage-over-time series: commits in the order they were made, each with
// the bytes of full parameters and of delta it keeps on disk now.
export interface StoragePoint {
  readonly id: string;
  readonly index: number;
  readonly full: number;
  readonly delta: number;
  readonly total: number;
}

export function storageSeries(commits: readonly { id: string; createdAt: string; fullBytes: number; deltaBytes: number }[]): StoragePoint[] {
  // The list is newest first (by graph order); time order is what "over time" means.
  const ordered = commits.map((c, i) => ({ c, i, t: Date.parse(c.createdAt) }))
    .sort((a, b) => (a.t - b.t) || (b.i - a.i));
  return ordered.map(({ c }, index) => ({ id: c.id, index, full: c.fullBytes, delta: c.deltaBytes, total: c.fullBytes + c.deltaBytes }));
}

/** One bar of the chart: a single commit, or the mean of consecutive commits when there are too many to draw one each. */
export interface StorageBar {
  readonly index: number;
  /** Commit ids in this bar, oldest first. */
  readonly ids: readonly string[];
  readonly full: number;
  readonly delta: number;
  readonly total: number;
}

export function storageBars(series: readonly StoragePoint[], maxBars: number): StorageBar[] {
  const per = Math.max(1, Math.ceil(series.length / Math.max(1, maxBars)));
  const bars: StorageBar[] = [];
  for (let start = 0; start < series.length; start += per) {
    const chunk = series.slice(start, start + per);
    let full = 0, delta = 0;
    for (const p of chunk) { full += p.full; delta += p.delta; }
    // The mean keeps the axis meaning "bytes per commit" whatever the zoom.
    full /= chunk.length;
    delta /= chunk.length;
    bars.push({ index: bars.length, ids: chunk.map((p) => p.id), full, delta, total: full + delta });
  }
  return bars;
}

/** "8,650,752 bytes": the exact figure behind a rounded "8.7 MB". */
export function exactBytes(n: number): string {
  const r = Math.round(n);
  return `${r.toLocaleString('en-US')} byte${r === 1 ? '' : 's'}`;
}

/** The lines of a bar's tooltip: which commit(s), then exact bytes of full parameters, delta and both. */
export function barLines(
  bar: StorageBar,
  firstNumber: number,
  describe: (id: string) => string,
): { readonly title: string; readonly rows: readonly (readonly [string, string])[] } {
  const n = bar.ids.length;
  const title = n === 1
    ? `#${firstNumber} ${describe(bar.ids[0]!)}`
    : `#${firstNumber}–#${firstNumber + n - 1}: ${n} commits, per commit on average`;
  return {
    title,
    rows: [
      ['full parameters', exactBytes(bar.full)],
      ['delta', exactBytes(bar.delta)],
      ['on disk', exactBytes(bar.total)],
    ],
  };
}

/** Commit numbers (1 = oldest) to label under the bars: at most `max`, evenly spread, always the newest. */
export function tickBars(bars: readonly StorageBar[], max: number): number[] {
  if (bars.length === 0) return [];
  const every = Math.max(1, Math.ceil(bars.length / Math.max(1, max)));
  const out: number[] = [];
  for (let i = bars.length - 1; i >= 0; i -= every) out.push(i);
  return out.reverse();
}

/**
 * The x scale of the storage chart, one band per bar: the metric chart below
 * it draws with this same scale over the same bars, so a commit sits at the
 * same x in both.
 */
export function barScale(bars: readonly StorageBar[], innerW: number): ScaleBand<number> {
  return scaleBand<number>().domain(bars.map((d) => d.index)).range([0, innerW]).paddingInner(bars.length > 60 ? 0.15 : 0.25);
}

/** The chart's margins (axis room), shared by the storage and metric charts so their plots line up. */
export const CHART_MARGIN = { top: 10, right: 12, bottom: 34, left: 66 } as const;
/** Narrowest bar worth drawing; more commits than fit are averaged per bar. */
export const MIN_BAR_PX = 4;
