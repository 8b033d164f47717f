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
