import { createHash, type Hash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import { mapFsError } from '../base/fsutil';

// Appends stored blocks to one delta object (a temp file until the commit
// adopts it under its sha256). The offset is reserved, and the bytes hashed,
// the moment a block is handed in, so blocks finished out of order by worker
// threads land at distinct offsets and the hash follows file order.

export class DeltaWriter {
  private opening: Promise<fs.FileHandle> | undefined;
  private readonly hash: Hash = createHash('sha256');
  private size = 0;
  private readonly writes = new Set<Promise<void>>();

  constructor(readonly tempFile: string) {}

  /** Reserves the next offset for data and starts writing it there; resolves to the offset once written. */
  append(data: Uint8Array): Promise<number> {
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
        throw mapFsError(e, this.tempFile);
      }
    })();
    this.writes.add(write);
    void write.finally(() => this.writes.delete(write)).catch(() => undefined);
    return write.then(() => at);
  }

  /** Flushes to disk; returns the object's sha256 and size, or null when nothing was written. */
  async finish(): Promise<{ sha256: string; bytes: number } | null> {
    if (!this.opening) return null;
    await Promise.all(this.writes);
    try {
      const handle = await this.opening;
      await handle.sync();
      await handle.close();
    } catch (e) {
      throw mapFsError(e, this.tempFile);
    }
    this.opening = undefined;
    return { sha256: this.hash.digest('hex'), bytes: this.size };
  }

  async discard(): Promise<void> {
    await Promise.allSettled(this.writes);
    if (this.opening) await (await this.opening.catch(() => null))?.close().catch(() => undefined);
    this.opening = undefined;
    await fs.rm(this.tempFile, { force: true });
  }
}
