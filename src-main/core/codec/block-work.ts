import type { Dtype } from '../base/layout';
import { BlockMode } from '../base/manifest';
import { encodeBlock, encodePlanes } from './block-codec';
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
  /** The delta encoding whose rules store the planes (encoding.ts); this Weightline's when absent. */
  readonly encoding?: number;
}

export interface BlockResult {
  readonly mode: BlockMode.Xor | BlockMode.Raw;
  readonly payload: Uint8Array;
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
  let payload: Buffer | null = null;
  if (job.old) {
    const old = job.old;
    // XOR, byte planes and change figures in one pass over the two blocks
    // (figures.ts, kernels/), then compressed plane by plane.
    let planes: Buffer;
    if (job.figures) {
      const acc = new FiguresAccumulator(job.figures.dtype, job.width, job.figures.littleEndian);
      planes = acc.addWithPlanes(old, job.fresh, planesScratch(job.fresh.length));
      sums = acc.sums();
    } else {
      planes = splitPlanesInto(job.fresh, job.width, old, planesScratch(job.fresh.length));
    }
    payload = encodePlanes(planes, job.width, job.encoding);
    mode = BlockMode.Xor;
  }
  if (!payload || payload.length > job.fresh.length * TRY_RAW_ABOVE) {
    const raw = encodeBlock(job.fresh, job.width, undefined, job.encoding);
    if (!payload || raw.length < payload.length * (1 - RAW_MUST_SAVE)) { payload = raw; mode = BlockMode.Raw; }
  }
  return { mode, payload, sums };
}
