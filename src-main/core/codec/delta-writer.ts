import { createHash, type Hash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { mapFsError } from '../base/fsutil';

// Appends stored blocks to one delta object (a temp file until the commit
// adopts it under its sha256). The offset is reserved, and the bytes hashed,
// the moment a block is handed in, so blocks finished out of order by worker
// threads land at distinct offsets and the hash follows file order.
//
// A failed write leaves a hole at its reserved offset while the hash already
// covers its bytes, so the writer is dead from then on (restic's rule: a
// writer that hit an error refuses to write more): every later append and
// finish() throws that first error, whether or not anyone awaited the append
// that failed. An object can never be finished over a hole.

export class DeltaWriter {
  private opening: Promise<fs.FileHandle> | undefined;
  private readonly hash: Hash = createHash('sha256');
  private size = 0;
  private readonly writes = new Set<Promise<void>>();
  /** The first failure, boxed so that any thrown value (even undefined) counts. */
  private failure: { readonly error: unknown } | null = null;
  private finished = false;

  constructor(readonly tempFile: string) {}

  /** Reserves the next offset for data and starts writing it there; resolves to the offset once written. */
  append(data: Uint8Array): Promise<number> {
    if (this.failure) return Promise.reject(this.failure.error);
    if (this.finished) return Promise.reject(new Error(`DeltaWriter: append after finish (${this.tempFile})`));
    const at = this.size;
    this.size += data.length;
    this.hash.update(data);
    this.opening ??= fs.open(this.tempFile, 'w', 0o644);
    const write = (async () => {
      try {
        const handle = await this.opening!;
        let done = 0;
        while (done < data.length) done += (await handle.write(data, done, data.length - done, at + done)).bytesWritten;
      } catch (e) {
        throw this.fail(mapFsError(e, this.folder));
      }
    })();
    this.writes.add(write);
    // Settled writes leave the set; a failed one stays recorded in `failure`.
    void write.then(() => this.writes.delete(write), () => this.writes.delete(write));
    return write.then(() => at);
  }

  /** Flushes to disk; returns the object's sha256 and size, or null when nothing was written. Throws the first failure of any write. */
  async finish(): Promise<{ sha256: string; bytes: number } | null> {
    this.throwIfFailed();
    if (this.finished) throw new Error(`DeltaWriter: finish called twice (${this.tempFile})`);
    if (!this.opening) { this.finished = true; return null; }
    // Every write settles first (a rejection must not let finish race past the others).
    await Promise.allSettled([...this.writes]);
    this.throwIfFailed();
    try {
      const handle = await this.opening;
      await handle.sync();
      await handle.close();
    } catch (e) {
      throw this.fail(mapFsError(e, this.folder));
    }
    this.opening = undefined;
    this.finished = true;
    return { sha256: this.hash.digest('hex'), bytes: this.size };
  }

  async discard(): Promise<void> {
    await Promise.allSettled([...this.writes]);
    if (this.opening) await (await this.opening.catch(() => null))?.close().catch(() => undefined);
    this.opening = undefined;
    await fs.rm(this.tempFile, { force: true });
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }

  /** Errors name the folder being written: the temp file's own name means nothing to a user. */
  private get folder(): string {
    return path.dirname(this.tempFile);
  }

  private fail(error: unknown): unknown {
    this.failure ??= { error };
    return this.failure.error;
  }
}
