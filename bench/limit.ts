// This machine's limit for a DELTA commit and for a restore, as arithmetic
// over kernel costs measured in the same run (ns of CPU per byte, one core):
// the least work each operation must do per byte of the checkpoint, summed,
// spread over the cores with perfect overlap. Pure, so a test pins the sums.

export interface KernelNs {
  /** Reading pages already in the page cache (read(2) into a reused buffer). */
  readonly read: number;
  /** Writing new pages into the page cache and flushing them (a fresh file, fsync included, wall). */
  readonly write: number;
  /** Writing with O_DIRECT (no page cache), wall; null where it could not be measured. */
  readonly writeDirect: number | null;
  readonly sha256: number;
  /** XOR of two versions + byte planes + change figures, the codec's fastest path. */
  readonly xorPlanesFigures: number;
  /** zstd level 1 of the sign/exponent plane (plane 3) and of the next plane (plane 2), per plane byte. */
  readonly zstdPlane3: number;
  readonly zstdPlane2: number;
  readonly unzstdPlane3: number;
  readonly unzstdPlane2: number;
  /** Plane join + XOR onto the base, the codec's fastest path. */
  readonly joinXor: number;
}

export interface WorkItem { readonly item: string; readonly ns: number }

export interface Limit {
  readonly items: readonly WorkItem[];
  /** Sum of the items: ns of CPU per byte of the checkpoint. */
  readonly nsPerByte: number;
  /** MB/s with every core busy and the items overlapping perfectly. */
  readonly mbs: number;
}

function limit(items: WorkItem[], cores: number): Limit {
  const nsPerByte = items.reduce((a, i) => a + i.ns, 0);
  return { items, nsPerByte, mbs: (cores * 1e3) / nsPerByte };
}

/**
 * A DELTA commit of an f32 checkpoint: read the new file and the base, XOR +
 * planes + figures, zstd of the two high planes (a quarter of the bytes each;
 * the low planes are stored raw), sha256 once, write the delta
 * (`deltaRatio` of the bytes) and the full copy the store keeps.
 */
export function commitLimit(k: KernelNs, deltaRatio: number, cores: number, direct = false): Limit {
  const w = direct && k.writeDirect !== null ? k.writeDirect : k.write;
  const how = direct && k.writeDirect !== null ? 'O_DIRECT' : 'page cache';
  return limit([
    { item: 'read new version (page cache)', ns: k.read },
    { item: 'read base (page cache)', ns: k.read },
    { item: 'XOR + planes + figures', ns: k.xorPlanesFigures },
    { item: 'zstd -1 of plane 3 (¼ of the bytes)', ns: 0.25 * k.zstdPlane3 },
    { item: 'zstd -1 of plane 2 (¼ of the bytes)', ns: 0.25 * k.zstdPlane2 },
    { item: 'sha256 once', ns: k.sha256 },
    { item: `write delta bytes (${(deltaRatio * 100).toFixed(0)}% of the file, ${how})`, ns: deltaRatio * w },
    { item: `write full copy (${how})`, ns: w },
  ], cores);
}

/**
 * A restore through `k` deltas from a raw full object: read the full once,
 * per level read the delta, unzstd its two high planes and join + XOR it;
 * sha256 of the result once; write it once. k = 0 is a raw full restore.
 */
export function restoreLimit(k: KernelNs, deltaRatio: number, levels: number, cores: number): Limit {
  const items: WorkItem[] = [{ item: 'read full object (page cache)', ns: k.read }];
  if (levels > 0) {
    items.push({ item: `${levels} × read delta (${(deltaRatio * 100).toFixed(0)}% of the bytes)`, ns: levels * deltaRatio * k.read });
    items.push({ item: `${levels} × unzstd planes 2 and 3 (¼ each)`, ns: levels * 0.25 * (k.unzstdPlane3 + k.unzstdPlane2) });
    items.push({ item: `${levels} × plane join + XOR`, ns: levels * k.joinXor });
  }
  items.push({ item: 'sha256 once', ns: k.sha256 });
  items.push({ item: 'write the output (page cache)', ns: k.write });
  return limit(items, cores);
}

/**
 * A restore of a packed CHECKPOINT: the packed object read (`packedRatio` of
 * the bytes), its high planes decompressed, the planes joined, sha256, write.
 */
export function packedLimit(k: KernelNs, packedRatio: number, cores: number): Limit {
  return limit([
    { item: `read packed object (${(packedRatio * 100).toFixed(0)}% of the bytes)`, ns: packedRatio * k.read },
    { item: 'unzstd planes 2 and 3 (¼ each)', ns: 0.25 * (k.unzstdPlane3 + k.unzstdPlane2) },
    { item: 'plane join', ns: k.joinXor },
    { item: 'sha256 once', ns: k.sha256 },
    { item: 'write the output (page cache)', ns: k.write },
  ], cores);
}

/** Min and median of a list of timings. */
export function minMedian(xs: readonly number[]): { min: number; median: number } {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return { min: NaN, median: NaN };
  const m = s.length >> 1;
  return { min: s[0]!, median: s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2 };
}
