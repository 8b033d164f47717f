import { blockChecksumOf } from '../base/fsutil';
import type { Dtype } from '../base/layout';
import { BlockMode } from '../base/manifest';
import { encodeBlock, encodePlaneParts } from './block-codec';
import { FiguresAccumulator, type FigureSums } from './figures';
import { splitPlanesInto } from './planes';

// The CPU-heavy part of storing one changed block: XOR with the base, byte
// planes, zstd, and the change figures. Pure, so it runs the same inline or in
// a worker thread (codec/encode-pool.ts).

export interface BlockJob {
  readonly fresh: Uint8Array;
  /** The base block, or null for a block stored on its own. */
  readonly old: Uint8Array | null;
  readonly width: number;
  /** Set when the block belongs to a tensor whose figures are gathered. */
  readonly figures: { readonly dtype: Dtype; readonly littleEndian: boolean } | null;
  /**
   * Where to put the block's byte planes: the payload's raw planes are then
   * views into it, so the caller keeps it untouched until they are written.
   * Without it, planes go to this thread's scratch and the payload is one
   * buffer of its own.
   */
  readonly planes?: Uint8Array;
  /** The delta encoding whose rules store the planes (encoding.ts); this Weightline's when absent. */
  readonly encoding?: number;
}

export interface BlockResult {
  readonly mode: BlockMode.Xor | BlockMode.Raw;
  /** The payload in order (header, then each plane's stored bytes), to be written one after another. */
  readonly parts: readonly Uint8Array[];
  /** The payload's length in bytes. */
  readonly length: number;
  /** The payload's block checksum, taken where it was made: a worker's core, not the main thread's. */
  readonly checksum: string;
  readonly sums: FigureSums | null;
}

// XOR usually wins by far; trying the plain encoding too costs a second
// compression, so do it only where XOR did poorly. Measured on 4 MiB f32
// blocks: a dense fine-tune step XORs to 0.53 of the block and the plain floats
// compress to 0.84, so a threshold of 0.5 compressed every such block twice
// (half the encode time) for nothing; plain only wins near a re-initialised
// tensor (XOR 0.85 vs plain 0.84). An XOR block also keeps the backward route
// (rebuilding the parent from the child, rebuild/route.ts), which a Raw block
// cuts, so plain must save a clear margin to be chosen.
const TRY_RAW_ABOVE = 0.8;
const RAW_MUST_SAVE = 0.02;

// The planes of one block, reused by every block this thread encodes: a fresh
// 4 MiB buffer per block costs its page faults each time (measured: copying
// into a new buffer runs at half the speed of copying into a reused one).
let scratch: Buffer | null = null;
function planesScratch(length: number): Buffer {
  if (!scratch || scratch.length < length) scratch = Buffer.allocUnsafeSlow(Math.max(length, 4 * 1024 * 1024));
  return scratch;
}

export function encodeChangedBlock(job: BlockJob): BlockResult {
  let sums: FigureSums | null = null;
  let mode: BlockMode.Xor | BlockMode.Raw = BlockMode.Raw;
  let parts: Uint8Array[] | null = null;
  if (job.old) {
    const old = job.old;
    const into = job.planes ?? planesScratch(job.fresh.length);
    // XOR, byte planes and change figures in one pass over the two blocks
    // (figures.ts, kernels/), then compressed plane by plane.
    let planes: Buffer;
    if (job.figures) {
      const acc = new FiguresAccumulator(job.figures.dtype, job.width, job.figures.littleEndian);
      planes = acc.addWithPlanes(old, job.fresh, into);
      sums = acc.sums();
    } else {
      planes = splitPlanesInto(job.fresh, job.width, old, into);
    }
    parts = encodePlaneParts(planes, job.width, job.encoding);
    // Raw planes in this thread's scratch would be overwritten by the next block.
    if (!job.planes) parts = [Buffer.concat(parts)];
    mode = BlockMode.Xor;
  }
  let length = parts ? sizeOf(parts) : 0;
  if (!parts || length > job.fresh.length * TRY_RAW_ABOVE) {
    const raw = encodeBlock(job.fresh, job.width, undefined, job.encoding);
    if (!parts || raw.length < length * (1 - RAW_MUST_SAVE)) { parts = [raw]; length = raw.length; mode = BlockMode.Raw; }
  }
  return { mode, parts, length, checksum: blockChecksumOf(parts), sums };
}

function sizeOf(parts: readonly Uint8Array[]): number {
  let n = 0;
  for (const p of parts) n += p.length;
  return n;
}
