import * as fs from 'node:fs/promises';
import { WeightlineError } from '../../../src-shared/errors';
import { decodePlanes } from '../codec/block-codec';
import { joinPlanes, joinPlanesXor } from '../codec/planes';
import { xorBytes, xorInto } from '../codec/xor';
import { blockChecksum, readExactly } from '../base/fsutil';
import { BLOCK_SIZE, BlockMode, type FileDelta } from '../base/manifest';
import { regionAt, type LayoutLike } from '../base/streams';
import { FileSource, type ChainBlock } from '../base/file-source';
import { openObjectFile } from '../base/bounded-read';
import { chainChunks } from './chain';

export { FileSource, FullSource, type ChainBlock } from '../base/file-source';

// A FileSource reads any byte range of one version of one file, whether its
// full parameters are on disk or it must be rebuilt from a chain of deltas.
// Rebuilding is lazy and block-wise: each level of the chain holds at most one
// decoded block, so memory is bounded by chain length × block size, never by
// model size, and verify can stream a rebuild without writing a file.

/** A version rebuilt from its parent's version and a delta object. */
export class DeltaSource extends FileSource {
  private bytesKey = -1;
  private bytesBlock: Buffer | undefined;
  private handle: fs.FileHandle | undefined;

  /**
   * Whether each stored block's checksum is checked as it is read. Only a
   * reader that checks the sha256 of everything it read before making it
   * visible, and reads again with checks on a mismatch to name the damaged
   * object, may turn this off (rebuild/open.ts readVersion's fast attempt).
   */
  blockChecks = true;

  constructor(
    layout: LayoutLike,
    label: string,
    readonly delta: FileDelta,
    readonly base: FileSource | null,
    readonly deltaFile: string | null,
  ) {
    super(layout, label);
  }

  async read(offset: number, length: number): Promise<Buffer> {
    const regions = this.streams.regions;
    const out = Buffer.allocUnsafe(length);
    let done = 0;
    for (let i = regionAt(regions, offset, 'fileOffset'); done < length && i < regions.length; i++) {
      const r = regions[i]!;
      const from = offset + done - r.fileOffset;
      const n = Math.min(r.length - from, length - done);
      (await this.readStream(r.stream, r.streamOffset + from, n)).copy(out, done);
      done += n;
    }
    if (done < length) throw new WeightlineError('CORRUPT', `read past the end of ${this.label}: wanted ${length} bytes at ${offset}`);
    return out;
  }

  /** The whole file in one pass over the chain (rebuild/chain.ts): every block folded level by level into one accumulator. */
  override chunks(): AsyncGenerator<Buffer> {
    return chainChunks(this);
  }

  override async readStream(idx: number, offset: number, length: number): Promise<Buffer> {
    const first = Math.floor(offset / BLOCK_SIZE);
    const last = Math.floor((offset + length - 1) / BLOCK_SIZE);
    if (first === last) {
      const block = await this.block(idx, first);
      const start = offset - first * BLOCK_SIZE;
      return block.subarray(start, start + length);
    }
    const out = Buffer.allocUnsafe(length);
    let done = 0;
    for (let k = first; k <= last; k++) {
      const block = await this.block(idx, k);
      const start = k === first ? offset - k * BLOCK_SIZE : 0;
      const n = Math.min(block.length - start, length - done);
      block.copy(out, done, start, start + n);
      done += n;
    }
    return out;
  }

  /** Decoded block k of stream idx; one block is cached, which serves sequential reads. */
  private async block(idx: number, k: number): Promise<Buffer> {
    const key = idx * 0x100000 + k;
    if (key === this.bytesKey && this.bytesBlock) return this.bytesBlock;
    const { planes, bytes } = await this.chainBlock(idx, k);
    let block: Buffer;
    if (!planes) block = bytes!;
    else {
      const width = this.streams.widths[idx]!;
      // At width 1 joinPlanes returns a view of `planes`, a cached buffer nobody may write into.
      if (width <= 1) block = bytes ? xorBytes(planes, bytes) : planes;
      else block = bytes ? joinPlanesXor(planes, width, bytes) : joinPlanes(planes, width);
    }
    this.bytesKey = key;
    this.bytesBlock = block;
    return block;
  }

  // No cache at this level: the level above asks for each block once (its
  // block() or its own chainBlock caller caches the result), and a cache per
  // level held a 4 MiB buffer per delta of the chain: memory grew with the
  // chain's length. Uncached, a rebuild holds about two blocks whatever the
  // length, which is what lets maxRouteRead, not the number of hops, decide
  // where CHECKPOINTs go (docs/STORE-FORMAT.md "Commit types").
  override async chainBlock(idx: number, k: number): Promise<ChainBlock> {
    const stream = this.delta.streams[idx];
    const ref = stream?.blocks[k];
    if (!stream || ref === undefined) throw new WeightlineError('CORRUPT', `${this.label}: the delta has no block ${k} of stream ${idx}`);
    const blockLen = Math.min(BLOCK_SIZE, this.streams.lengths[idx]! - k * BLOCK_SIZE);
    const baseBlock = async (): Promise<ChainBlock> => {
      if (stream.base === null || !this.base) throw new WeightlineError('CORRUPT', `${this.label}: block ${k} of stream ${idx} needs a base the delta does not name`);
      // Same element width on both sides: a base is matched by dtype and length.
      return this.base.chainBlock(stream.base, k);
    };
    if (ref === 0) return baseBlock();
    const [mode, at, len, sum] = ref;
    // The base first: this level holds nothing while the levels below work.
    const base = mode === BlockMode.Xor ? await baseBlock() : null;
    const stored = await this.readDelta(at, len);
    if (this.blockChecks && blockChecksum(stored) !== sum) {
      throw new WeightlineError('CORRUPT', `${this.label}: delta block ${k} of stream ${idx} is corrupt (checksum ${blockChecksum(stored)}, expected ${sum})`, this.deltaFile ?? undefined);
    }
    // A fresh buffer, ours to fold the base's planes into.
    const own = decodePlanes(stored, this.streams.widths[idx]!, blockLen, `${this.label}: delta block ${k} of stream ${idx}`);
    if (!base) return { planes: own, bytes: null };
    return { planes: base.planes ? xorInto(own, base.planes) : own, bytes: base.bytes };
  }

  /**
   * Stored bytes [at, at + len) of the delta object, into `into` when it is
   * large enough (a chain rebuild's read buffer), else a new buffer.
   */
  async readDelta(at: number, len: number, into?: Uint8Array): Promise<Uint8Array> {
    const handle = await this.deltaHandle();
    if (!into || into.length < len) return readExactly(handle, at, len, this.deltaFile!);
    let done = 0;
    while (done < len) {
      const { bytesRead } = await handle.read(into, done, len - done, at + done);
      if (bytesRead === 0) throw new WeightlineError('CORRUPT', `expected ${len} bytes at offset ${at}, the file ends after ${done}`, this.deltaFile!);
      done += bytesRead;
    }
    return into.subarray(0, len);
  }

  private async deltaHandle(): Promise<fs.FileHandle> {
    if (!this.deltaFile) throw new WeightlineError('CORRUPT', `${this.label}: a stored block but no delta object`);
    if (!this.handle) {
      // A folder in its place is CORRUPT naming it (base/bounded-read.ts).
      const handle = await openObjectFile(this.deltaFile);
      // No size check here: a pack being proved is read as a delta before its size is recorded; a block past the
      // object's end fails readExactly as CORRUPT, and every block carries its checksum.
      if (!handle) throw new WeightlineError('BROKEN_CHAIN', `${this.label}: its delta object is missing`, this.deltaFile);
      this.handle = handle;
    }
    return this.handle;
  }

  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
    await this.base?.close();
  }
}
