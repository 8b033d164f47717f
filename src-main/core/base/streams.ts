// A file is cut into streams: stream 0 is the residual (every byte no tensor
// claims, concatenated in file order), stream i+1 is tensor i. Deltas are per
// stream, so headers and zip records are diffed together and tensors by name.

export interface LayoutLike {
  readonly bytes: number;
  readonly tensors: ReadonlyArray<{ readonly offset: number; readonly length: number; readonly width: number }>;
}

export interface Region {
  readonly fileOffset: number;
  readonly length: number;
  readonly stream: number;
  readonly streamOffset: number;
}

export interface StreamMap {
  /** Regions in file order, covering [0, bytes) exactly. */
  readonly regions: readonly Region[];
  /** Residual regions only, in residual-stream order. */
  readonly residual: readonly Region[];
  readonly lengths: readonly number[];
  readonly widths: readonly number[];
}

export function streamMap(file: LayoutLike): StreamMap {
  const regions: Region[] = [];
  const residual: Region[] = [];
  const lengths: number[] = [0];
  const widths: number[] = [1];
  let pos = 0;
  let residualLen = 0;
  const gap = (end: number): void => {
    if (end > pos) {
      const r = { fileOffset: pos, length: end - pos, stream: 0, streamOffset: residualLen };
      regions.push(r);
      residual.push(r);
      residualLen += end - pos;
    }
  };
  file.tensors.forEach((t, i) => {
    gap(t.offset);
    regions.push({ fileOffset: t.offset, length: t.length, stream: i + 1, streamOffset: 0 });
    lengths.push(t.length);
    widths.push(t.width);
    pos = t.offset + t.length;
  });
  gap(file.bytes);
  lengths[0] = residualLen;
  return { regions, residual, lengths, widths };
}

/** Index of the last region whose start is <= offset (regions sorted by start). */
export function regionAt(regions: readonly Region[], offset: number, key: 'fileOffset' | 'streamOffset'): number {
  let lo = 0, hi = regions.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (regions[mid]![key] <= offset) lo = mid; else hi = mid - 1;
  }
  return lo;
}
