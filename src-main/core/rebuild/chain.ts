import { WeightlineError } from '../../../src-shared/errors';
import { blockChecksum } from '../base/fsutil';
import { FullSource, type FileSource } from '../base/file-source';
import { BLOCK_SIZE, BlockMode, type BlockRef, type FileDelta } from '../base/manifest';
import { visitPlanes } from '../codec/block-codec';
import { joinPlanes, joinPlanesXorInto } from '../codec/planes';
import { releaseXorTarget, takeXorTarget, type XorTarget } from '../codec/xor';

// A whole file rebuilt in one pass over its chain of deltas. Block by block,
// the chain is resolved first (which levels store this block, which stream
// each reads from, where the full object's bytes come in), then every stored
// block is read into one read buffer and folded into one accumulator of
// planes, deepest level first: RAW planes are XORed straight from the read
// buffer, other kinds decoded (decodeStoredPlane) and XORed in. The planes
// are joined once, with the full object's block, into that block's buffer.
//
// Nested DeltaSource.chainBlock calls did the same level by level, but each
// level decoded into fresh buffers that lived across the awaits of the levels
// below it, so the garbage collector promoted them and a level cost more the
// longer the chain (+17 deltas: 13.6 s of GC in 30 s). Here a block allocates
// only its output (the full object's block, read and joined into in place) and
// whatever a compressed plane decodes to; the accumulator and the read buffer
// are one arena reused for every block (in wasm memory, XORed by SIMD).
//
// The bytes are those of DeltaSource.chainBlock level by level, checked by a
// property test against decodeBlock (test/core/chain-rebuild.test.ts); the
// errors are the same, deepest level first, as that path throws them.

/** Room for one stored block: its planes and headers, up to 16 planes of 5 bytes (a legacy frame larger than this is read aside). */
const READ_BYTES = BLOCK_SIZE + 64 * 1024;
/**
 * Stored blocks read ahead while one is folded: the levels of a block lie in
 * different objects, and waiting on each read in turn left the rebuild idle a
 * quarter of its time (+17). Four keep the disk queue busy for 4 × 4 MiB.
 */
const READS_IN_FLIGHT = 4;

/** What the rebuild needs of one level of the chain (a DeltaSource, source.ts, which imports this file). */
interface Level extends FileSource {
  readonly delta: FileDelta;
  readonly base: FileSource | null;
  readonly deltaFile: string | null;
  readonly blockChecks: boolean;
  readDelta(at: number, len: number, into?: Uint8Array): Promise<Uint8Array>;
}

function isLevel(s: FileSource | null): s is Level {
  return s !== null && 'delta' in s && 'deltaFile' in s;
}

/** The file's bytes in order, in pieces of at most one block; each piece is a buffer of its own nobody else writes. */
export async function* chainChunks(top: Level): AsyncGenerator<Buffer> {
  const levels: Level[] = [];
  let bottom: FileSource | null = top;
  while (isLevel(bottom)) { levels.push(bottom); bottom = bottom.base; }
  const arena = takeXorTarget(BLOCK_SIZE, READ_BYTES, READS_IN_FLIGHT);
  try {
    const rebuild = (idx: number, k: number): Promise<Buffer> => rebuildBlock(levels, bottom, arena, idx, k);
    const streams = top.streams;
    // The residual stream (0) is cut into regions between tensors; its current block is kept while they are cut from it.
    let resKey = -1;
    let resBlock: Buffer | null = null;
    for (const r of streams.regions) {
      if (r.stream !== 0) {
        // A tensor region is its whole stream: one piece per block.
        for (let k = 0; k * BLOCK_SIZE < r.length; k++) yield await rebuild(r.stream, k);
        continue;
      }
      for (let pos = r.streamOffset, end = r.streamOffset + r.length; pos < end;) {
        const k = Math.floor(pos / BLOCK_SIZE);
        if (k !== resKey || !resBlock) { resBlock = await rebuild(0, k); resKey = k; }
        const from = pos - k * BLOCK_SIZE;
        const n = Math.min(end - pos, resBlock.length - from);
        yield resBlock.subarray(from, from + n);
        pos += n;
      }
    }
  } finally {
    releaseXorTarget(arena);
  }
}

/** Block k of stream idx of the top level, rebuilt. */
async function rebuildBlock(levels: readonly Level[], bottom: FileSource | null, arena: XorTarget, idx: number, k: number): Promise<Buffer> {
  const top = levels[0]!;
  const blockLen = Math.min(BLOCK_SIZE, top.streams.lengths[idx]! - k * BLOCK_SIZE);
  const width = top.streams.widths[idx]!;
  // Which levels store this block (top first) and whether the full object's block is under them.
  const stored: Array<{ level: Level; ref: Exclude<BlockRef, 0>; stream: number }> = [];
  let s = idx;
  let fromBottom = -1;
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!;
    const stream = level.delta.streams[s];
    const ref = stream?.blocks[k];
    if (!stream || ref === undefined) throw new WeightlineError('CORRUPT', `${level.label}: the delta has no block ${k} of stream ${s}`);
    if (ref !== 0) stored.push({ level, ref, stream: s });
    if (ref !== 0 && ref[0] !== BlockMode.Xor) break;
    if (stream.base === null || !level.base) throw new WeightlineError('CORRUPT', `${level.label}: block ${k} of stream ${s} needs a base the delta does not name`);
    s = stream.base;
    if (i === levels.length - 1) fromBottom = s;
  }
  // The deepest first, as the nested reads did: the full object's block, then
  // each level's stored block. Reads start ahead, in that order, each into a
  // buffer of its own; a buffer is reused once its block has been folded.
  const order = stored.reverse();
  const reads: Array<Promise<Uint8Array> | undefined> = [];
  const startRead = (j: number): void => {
    const e = order[j];
    if (!e) return;
    const p = e.level.readDelta(e.ref[1], e.ref[2], arena.reads[j % arena.reads.length]!);
    // Awaited in order below; one failing while an earlier one is folded must not count as unhandled.
    p.catch(() => undefined);
    reads[j] = p;
  };
  for (let j = 0; j < arena.reads.length; j++) startRead(j);
  let bytes: Buffer | null = null;
  let own = false;
  let folded = false;
  try {
    if (fromBottom >= 0) {
      const b = await bottom!.chainBlock(fromBottom, k);
      bytes = b.bytes;
      // A full object's block is read into a buffer of its own: joined into in place.
      own = bottom instanceof FullSource;
      if (b.planes) { arena.acc.set(b.planes); folded = true; }
    }
    for (let j = 0; j < order.length; j++) {
      const { level, ref, stream } = order[j]!;
      const sum = ref[3];
      const payload = await reads[j]!;
      if (level.blockChecks && blockChecksum(payload) !== sum) {
        throw new WeightlineError('CORRUPT', `${level.label}: delta block ${k} of stream ${stream} is corrupt (checksum ${blockChecksum(payload)}, expected ${sum})`, level.deltaFile ?? undefined);
      }
      const first = !folded;
      visitPlanes(payload, width, blockLen, `${level.label}: delta block ${k} of stream ${stream}`, (plane, off) => {
        if (first) arena.acc.set(plane, off); else arena.xorAt(off, plane);
      });
      folded = true;
      startRead(j + arena.reads.length);
    }
  } finally {
    // No read may still be writing into the arena when the next block (or another file) takes it.
    await Promise.allSettled(reads);
  }
  if (!folded) return bytes!;
  const planes = arena.acc.subarray(0, blockLen);
  if (!bytes) {
    // joinPlanes at width 1 is a view of the accumulator, which the next block reuses.
    return width > 1 ? joinPlanes(planes, width) : Buffer.from(planes);
  }
  const out = own ? bytes : Buffer.allocUnsafe(blockLen);
  joinPlanesXorInto(planes, width, bytes, out);
  return out;
}
