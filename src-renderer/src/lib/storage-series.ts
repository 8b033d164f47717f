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
