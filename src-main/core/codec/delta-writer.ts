import { createHash, type Hash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import { mapFsError } from '../store/fsutil';

// Appends compressed blocks to one delta object (a temp file until the commit
// adopts it under its sha256). Offsets handed back go into the manifest.

export class DeltaWriter {
  private handle: fs.FileHandle | undefined;
  private readonly hash: Hash = createHash('sha256');
  private size = 0;

  constructor(readonly tempFile: string) {}

  async append(data: Uint8Array): Promise<number> {
    const at = this.size;
    try {
      this.handle ??= await fs.open(this.tempFile, 'w', 0o644);
      let done = 0;
      while (done < data.length) {
        const { bytesWritten } = await this.handle.write(data, done, data.length - done, at + done);
        done += bytesWritten;
      }
    } catch (e) {
      throw mapFsError(e, this.tempFile);
    }
    this.hash.update(data);
    this.size += data.length;
    return at;
  }

  /** Flushes to disk; returns the object's sha256 and size, or null when nothing was written. */
  async finish(): Promise<{ sha256: string; bytes: number } | null> {
    if (!this.handle) return null;
    try {
      await this.handle.sync();
      await this.handle.close();
    } catch (e) {
      throw mapFsError(e, this.tempFile);
    }
    this.handle = undefined;
    return { sha256: this.hash.digest('hex'), bytes: this.size };
  }

  async discard(): Promise<void> {
    await this.handle?.close().catch(() => undefined);
    this.handle = undefined;
    await fs.rm(this.tempFile, { force: true });
  }
}
