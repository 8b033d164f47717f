import * as fs from 'node:fs/promises';
import { WeightlineError } from '../../../src-shared/errors';
import { openObjectFile } from './bounded-read';
import { mapFsError, readExactly } from './fsutil';
import { BLOCK_SIZE } from './manifest';
import { regionAt, streamMap, type LayoutLike, type StreamMap } from './streams';

// A FileSource reads any byte range of one version of one file, whether its
// full parameters are on disk or it must be rebuilt from a chain of deltas
// (rebuild/source.ts). The abstract reader lives in the bottom layer because
// the encoder reads a commit's base through it without knowing how it is made.

/**
 * A block as join(planes) ^ bytes, either part possibly absent (zero). XOR
 * deltas fold into `planes` level by level; the full parameters at the bottom
 * of the chain stay `bytes`. Interleaving commutes with XOR, so planes are
 * joined once per block and the base is never split, whatever the chain length.
 * Neither buffer may be written to: both can be another level's cache.
 */
export interface ChainBlock {
  readonly planes: Buffer | null;
  readonly bytes: Buffer | null;
}

export abstract class FileSource {
  readonly streams: StreamMap;

  constructor(readonly layout: LayoutLike, readonly label: string) {
    this.streams = streamMap(layout);
  }

  abstract read(offset: number, length: number): Promise<Buffer>;
  abstract close(): Promise<void>;

  /** Block k of stream idx, in the split form a chain of deltas folds into (see ChainBlock). */
  async chainBlock(idx: number, k: number): Promise<ChainBlock> {
    const len = Math.min(BLOCK_SIZE, this.streams.lengths[idx]! - k * BLOCK_SIZE);
    return { planes: null, bytes: await this.readStream(idx, k * BLOCK_SIZE, len) };
  }

  /**
   * The whole file in order, in pieces of at most 4 MiB. Readers that want
   * every byte (restore, verify) use this rather than read(): a rebuilt
   * source hands out its decoded blocks as they are, without copying them
   * into file-aligned chunks. A piece must not be written to.
   */
  async *chunks(): AsyncGenerator<Buffer> {
    for (let off = 0; off < this.layout.bytes; off += BLOCK_SIZE) yield await this.read(off, Math.min(BLOCK_SIZE, this.layout.bytes - off));
  }

  /**
   * Bytes [offset, offset+into.length) of stream idx, into `into`: a reader
   * that reuses its buffers (the encoder, codec/block-buffers.ts) allocates
   * nothing per block. A source that reads in place overrides `readInto`.
   */
  async readStreamInto(idx: number, offset: number, into: Buffer): Promise<Buffer> {
    if (idx > 0) {
      await this.readInto(this.layout.tensors[idx - 1]!.offset + offset, into);
      return into;
    }
    const res = this.streams.residual;
    let done = 0;
    for (let i = regionAt(res, offset, 'streamOffset'); done < into.length && i < res.length; i++) {
      const r = res[i]!;
      const from = offset + done - r.streamOffset;
      const n = Math.min(r.length - from, into.length - done);
      await this.readInto(r.fileOffset + from, into.subarray(done, done + n));
      done += n;
    }
    return into;
  }

  /** Bytes [offset, offset+into.length) of the file into `into`. */
  protected async readInto(offset: number, into: Buffer): Promise<void> {
    (await this.read(offset, into.length)).copy(into);
  }

  /** Bytes [offset, offset+length) of stream idx (0 = residual, i+1 = tensor i). */
  async readStream(idx: number, offset: number, length: number): Promise<Buffer> {
    if (idx > 0) return this.read(this.layout.tensors[idx - 1]!.offset + offset, length);
    const out = Buffer.allocUnsafe(length);
    const res = this.streams.residual;
    let done = 0;
    for (let i = regionAt(res, offset, 'streamOffset'); done < length && i < res.length; i++) {
      const r = res[i]!;
      const from = offset + done - r.streamOffset;
      const n = Math.min(r.length - from, length - done);
      (await this.read(r.fileOffset + from, n)).copy(out, done);
      done += n;
    }
    return out;
  }
}

/** A version whose bytes are a file on disk: a full object, or a working file being committed. */
export class FullSource extends FileSource {
  private handle: fs.FileHandle | undefined;

  constructor(private readonly file: string, layout: LayoutLike, label: string) {
    super(layout, label);
  }

  /**
   * Opens the file now, or returns null if it is gone. Holding the descriptor
   * keeps the bytes readable even if a cleanup deletes the object meanwhile.
   */
  static async tryOpen(file: string, layout: LayoutLike, label: string): Promise<FullSource | null> {
    const source = new FullSource(file, layout, label);
    // A folder in the object's place is CORRUPT naming it, not EISDIR from the first read (base/bounded-read.ts).
    const handle = await openObjectFile(file);
    if (!handle) return null;
    // Its manifest names its size: a file of another size is not this version (a manifest
    // claiming 1e15 bytes for a 3-byte object, say), and is refused before a rebuild reads it.
    const size = (await handle.stat()).size;
    if (size !== layout.bytes) {
      await handle.close();
      throw new WeightlineError('CORRUPT', `${label}: expected ${layout.bytes} bytes as its manifest says, found an object of ${size} bytes; \`weightline verify\` lists the commits it affects`, file);
    }
    source.handle = handle;
    return source;
  }

  async read(offset: number, length: number): Promise<Buffer> {
    return readExactly(await this.opened(), offset, length, this.file);
  }

  protected override async readInto(offset: number, into: Buffer): Promise<void> {
    await readExactly(await this.opened(), offset, into.length, this.file, into);
  }

  private async opened(): Promise<fs.FileHandle> {
    this.handle ??= (await openObjectFile(this.file)) ?? undefined;
    if (!this.handle) throw mapFsError(Object.assign(new Error('ENOENT'), { code: 'ENOENT' }), this.file);
    return this.handle;
  }

  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
  }
}
