import * as fs from 'node:fs/promises';
import * as path from 'node:path';

/**
 * Fills the disk under `root` with a filler file (another program's file,
 * never committed) until `leaveKb` KB are left, or removes it (null). Returns
 * what it did, for a chaos step's log.
 */
export async function fillDisk(root: string, leaveKb: number | null): Promise<string> {
  const filler = path.join(root, 'chaos-filler.bin');
  await fs.rm(filler, { force: true });
  if (leaveKb === null) return 'freed';
  const h = await fs.open(filler, 'w');
  const chunk = Buffer.alloc(1 << 16, 7);
  let size = 0;
  try {
    for (;;) size += (await h.write(chunk)).bytesWritten;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  } finally {
    await h.close();
  }
  await fs.truncate(filler, Math.max(0, size - leaveKb * 1024));
  return `filled (${Math.round(size / 1024)} KB were free, ${leaveKb} KB left)`;
}
