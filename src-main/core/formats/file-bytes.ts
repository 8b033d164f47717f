// Bounded random access to a model file for the layout readers that walk
// structures scattered through it (GGUF headers, HDF5 object trees): every
// read is checked against the file size first and goes through a small page
// cache, so a hostile offset costs an error, never a huge allocation, and a
// multi-gigabyte file is never read whole.

import { open, type FileHandle } from 'node:fs/promises';
import { WeightlineError } from '../../../src-shared/errors';

const PAGE = 64 * 1024;
const MAX_PAGES = 64; // 4 MiB of cache
/** No single structure a layout reader asks for may be larger than this. */
export const MAX_READ = 64 * 1024 * 1024;

export class FileBytes {
  private readonly pages = new Map<number, Buffer>();

  private constructor(
    private readonly handle: FileHandle,
    readonly path: string,
    readonly size: number,
  ) {}

  static async open(path: string, size: number): Promise<FileBytes> {
    return new FileBytes(await open(path, 'r'), path, size);
  }

  /** Runs fn on the file opened at path, closing it whatever happens. */
  static async with<T>(path: string, size: number, fn: (bytes: FileBytes) => Promise<T>): Promise<T> {
    const bytes = await FileBytes.open(path, size);
    try {
      return await fn(bytes);
    } finally {
      await bytes.close();
    }
  }

  fail(message: string): never {
    throw new WeightlineError('BAD_FORMAT', message, this.path);
  }

  /** True if [offset, offset + length) lies inside the file. */
  contains(offset: number, length: number): boolean {
    return Number.isSafeInteger(offset) && Number.isSafeInteger(length) && offset >= 0 && length >= 0 && length <= this.size - offset;
  }

  /** Exactly `length` bytes at `offset`, or BAD_FORMAT naming `what` if they are not all in the file. */
  async read(offset: number, length: number, what: string): Promise<Buffer> {
    if (!this.contains(offset, length)) {
      this.fail(`expected ${length} bytes of ${what} at byte ${offset}, found the file ends at byte ${this.size}`);
    }
    if (length > MAX_READ) this.fail(`expected ${what} of at most ${MAX_READ} bytes at byte ${offset}, found ${length}; refusing to read it`);
    if (length > PAGE) return this.readDirect(offset, length);
    const out = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const at = offset + done;
      const index = Math.floor(at / PAGE);
      const page = await this.page(index);
      const from = at - index * PAGE;
      const n = Math.min(length - done, page.length - from);
      page.copy(out, done, from, from + n);
      done += n;
    }
    return out;
  }

  async close(): Promise<void> {
    this.pages.clear();
    await this.handle.close();
  }

  private async page(index: number): Promise<Buffer> {
    const hit = this.pages.get(index);
    if (hit) {
      // Most recently used last, so the first key is the one to evict.
      this.pages.delete(index);
      this.pages.set(index, hit);
      return hit;
    }
    const start = index * PAGE;
    const page = await this.readDirect(start, Math.min(PAGE, this.size - start));
    if (this.pages.size >= MAX_PAGES) this.pages.delete(this.pages.keys().next().value!);
    this.pages.set(index, page);
    return page;
  }

  private async readDirect(offset: number, length: number): Promise<Buffer> {
    const buf = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.handle.read(buf, done, length - done, offset + done);
      if (bytesRead === 0) this.fail(`expected ${length} bytes at byte ${offset}, read ${done}: the file shrank while being read`);
      done += bytesRead;
    }
    return buf;
  }
}
