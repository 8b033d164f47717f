import { createHash, type Hash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { mapFsError } from '../base/fsutil';

// Writes the stored blocks of one delta object (a temp file until the commit
// adopts it under its sha256) in the order they were reserved, whatever order
// the encoder's workers finish them in. The caller reserves a place for each
// block in block order (`reserve`) and hands the payload in when it is ready
// (`place`); a payload that arrives ahead of an earlier one waits here until
// its turn. So the object's bytes, and every block's offset, depend only on
// the blocks, never on which worker was faster: a delta can be encoded again
// to its own name (docs/STORE-FORMAT.md, "Deterministic encoding"). The
// caller bounds how many reserved blocks may be outstanding (encode-file.ts),
// which bounds the payloads held here.
//
// A failed write leaves a hole at its offset while the hash already covers its
// bytes, so the writer is dead from then on (restic's rule: a writer that hit
// an error refuses to write more): every later place and finish() throws that
// first error, whether or not anyone awaited the write that failed. An object
// can never be finished over a hole. A block that will never come (its encode
// failed) kills the writer the same way (`abort`): nothing after it could be
// placed.

/** A reserved place in the object, in block order. */
export type BlockTicket = number & { readonly brand: 'BlockTicket' };

interface Held {
  /** The block's bytes, possibly in parts (a header and its planes) written one after another. */
  readonly data: readonly Uint8Array[];
  readonly resolve: (at: number) => void;
  readonly reject: (e: unknown) => void;
}

export class DeltaWriter {
  private opening: Promise<fs.FileHandle> | undefined;
  private readonly hash: Hash = createHash('sha256');
  private size = 0;
  private readonly writes = new Set<Promise<void>>();
  /** The first failure, boxed so that any thrown value (even undefined) counts. */
  private failure: { readonly error: unknown } | null = null;
  private finished = false;
  private reserved = 0;
  /** The next ticket whose bytes go into the object. */
  private next = 0;
  /** Payloads that arrived before an earlier ticket's. */
  private readonly held = new Map<number, Held>();

  /** `file` null: nothing is written, the object is only measured and hashed (a dry run's rebuild). */
  constructor(private readonly file: string | null) {}

  /** Measures and hashes an object without writing it anywhere. */
  static hashOnly(): DeltaWriter {
    return new DeltaWriter(null);
  }

  get tempFile(): string {
    if (this.file === null) throw new Error('DeltaWriter: a hash-only writer has no file');
    return this.file;
  }

  /** Reserves the next place in the object; reserve in block order, from one thread of control. */
  reserve(): BlockTicket {
    if (this.finished) throw new Error(`DeltaWriter: reserve after finish (${this.file ?? 'hash only'})`);
    return this.reserved++ as BlockTicket;
  }

  /**
   * Hands in a reserved block's bytes, whole or in parts to be joined.
   * Resolves to the block's offset once it is written, which happens after
   * every earlier ticket's bytes were placed; the caller may reuse the
   * buffers after that, not before.
   */
  place(ticket: BlockTicket, data: Uint8Array | readonly Uint8Array[]): Promise<number> {
    if (this.failure) return Promise.reject(this.failure.error);
    if (this.finished) return Promise.reject(new Error(`DeltaWriter: place after finish (${this.file ?? 'hash only'})`));
    if (ticket < this.next || ticket >= this.reserved || this.held.has(ticket)) {
      return Promise.reject(new Error(`DeltaWriter: ticket ${ticket} was not reserved or was placed already`));
    }
    return new Promise<number>((resolve, reject) => {
      this.held.set(ticket, { data: data instanceof Uint8Array ? [data] : data, resolve, reject });
      this.drain();
    });
  }

  /** Reserves a place at the end and writes `data` there (for bytes that need no encoding, e.g. a pack's table). */
  append(data: Uint8Array): Promise<number> {
    if (this.failure) return Promise.reject(this.failure.error);
    if (this.finished) return Promise.reject(new Error(`DeltaWriter: append after finish (${this.file ?? 'hash only'})`));
    return this.place(this.reserve(), data);
  }

  /** A reserved block will never be placed: the object can never be whole, so the writer fails with `error`. */
  abort(error: unknown): void {
    this.fail(error);
  }

  /** Flushes to disk; returns the object's sha256 and size, or null when nothing was written. Throws the first failure of any write. */
  async finish(): Promise<{ sha256: string; bytes: number } | null> {
    this.throwIfFailed();
    if (this.finished) throw new Error(`DeltaWriter: finish called twice (${this.file ?? 'hash only'})`);
    if (this.next !== this.reserved) throw new Error(`DeltaWriter: finish with ${this.reserved - this.next} reserved block(s) not placed (${this.file ?? 'hash only'})`);
    if (this.reserved === 0) { this.finished = true; return null; }
    // Every write settles first (a rejection must not let finish race past the others).
    await Promise.allSettled([...this.writes]);
    this.throwIfFailed();
    if (this.opening) {
      try {
        const handle = await this.opening;
        await handle.sync();
        await handle.close();
      } catch (e) {
        throw this.fail(mapFsError(e, this.folder));
      }
      this.opening = undefined;
    }
    this.finished = true;
    return { sha256: this.hash.digest('hex'), bytes: this.size };
  }

  async discard(): Promise<void> {
    // Blocks still being encoded must not write into (or recreate) a file that is going away.
    this.fail(new Error(`DeltaWriter: discarded (${this.file ?? 'hash only'})`));
    await Promise.allSettled([...this.writes]);
    if (this.opening) await (await this.opening.catch(() => null))?.close().catch(() => undefined);
    this.opening = undefined;
    if (this.file) await fs.rm(this.file, { force: true });
  }

  /** Writes every held payload whose turn has come, in ticket order. */
  private drain(): void {
    for (let h = this.held.get(this.next); h; h = this.held.get(this.next)) {
      this.held.delete(this.next);
      this.next++;
      if (this.failure) { h.reject(this.failure.error); continue; }
      const at = this.size;
      for (const part of h.data) {
        this.size += part.length;
        this.hash.update(part);
      }
      this.write(h.data, at).then(() => h.resolve(at), h.reject);
    }
  }

  private write(data: readonly Uint8Array[], at: number): Promise<void> {
    if (this.file === null) return Promise.resolve();
    const file = this.file;
    this.opening ??= fs.open(file, 'w', 0o644);
    const write = (async () => {
      try {
        const handle = await this.opening!;
        // One writev for a block's parts; a short write goes on from where it stopped.
        let parts = data.filter((p) => p.length > 0);
        let pos = at;
        while (parts.length > 0) {
          let n = (await handle.writev(parts, pos)).bytesWritten;
          pos += n;
          while (parts.length > 0 && n >= parts[0]!.length) { n -= parts[0]!.length; parts = parts.slice(1); }
          if (n > 0) parts = [parts[0]!.subarray(n), ...parts.slice(1)];
        }
      } catch (e) {
        throw this.fail(mapFsError(e, this.folder));
      }
    })();
    this.writes.add(write);
    // Settled writes leave the set; a failed one stays recorded in `failure`.
    void write.then(() => this.writes.delete(write), () => this.writes.delete(write));
    return write;
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }

  /** Errors name the folder being written: the temp file's own name means nothing to a user. */
  private get folder(): string {
    return path.dirname(this.file ?? '.');
  }

  private fail(error: unknown): unknown {
    this.failure ??= { error };
    // Payloads waiting for their turn will never be written.
    for (const h of this.held.values()) h.reject(this.failure.error);
    this.held.clear();
    return this.failure.error;
  }
}
