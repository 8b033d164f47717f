import type { Dtype } from '../formats/layout';
import { BlockMode } from '../base/manifest';
import { encodeBlock } from './block-codec';
import { FiguresAccumulator, type FigureSums } from './figures';

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
}

export interface BlockResult {
  readonly mode: BlockMode.Xor | BlockMode.Raw;
  readonly payload: Uint8Array;
  readonly sums: FigureSums | null;
}

// XOR usually wins by far; trying the plain encoding too costs a second
// compression, so do it only where XOR did poorly.
const TRY_RAW_ABOVE = 0.5;

export function encodeChangedBlock(job: BlockJob): BlockResult {
  let sums: FigureSums | null = null;
  if (job.figures && job.old) {
    const acc = new FiguresAccumulator(job.figures.dtype, job.width, job.figures.littleEndian);
    acc.add(job.old, job.fresh, false);
    sums = acc.sums();
  }
  let mode: BlockMode.Xor | BlockMode.Raw = BlockMode.Raw;
  let payload: Buffer | null = null;
  if (job.old) {
    payload = encodeBlock(job.fresh, job.width, job.old);
    mode = BlockMode.Xor;
  }
  if (!payload || payload.length > job.fresh.length * TRY_RAW_ABOVE) {
    const raw = encodeBlock(job.fresh, job.width);
    if (!payload || raw.length < payload.length) { payload = raw; mode = BlockMode.Raw; }
  }
  return { mode, payload, sums };
}
