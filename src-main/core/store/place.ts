import { constants } from 'node:fs';
import * as fs from 'node:fs/promises';
import type { LinkMode } from '../../../src-shared/model';
import { WeightlineError } from '../../../src-shared/errors';

// Putting bytes that already sit in the store somewhere else without copying
// them: a reflink (copy-on-write clone) where the file system can, else a
// hard link or symlink when the user asked for one, else a copy.

export type Placed = 'reflink' | 'hardlink' | 'symlink' | 'copy';

/** Places src's bytes at dest (which must not exist). Returns how it was done. */
export async function place(src: string, dest: string, mode: LinkMode): Promise<Placed> {
  switch (mode) {
    case 'hardlink':
      try { await fs.link(src, dest); return 'hardlink'; } catch (e) {
        throw new WeightlineError('BAD_USAGE', `cannot hard-link across file systems or here (${(e as NodeJS.ErrnoException).code}); use --link copy or auto`, dest);
      }
    case 'symlink':
      await fs.symlink(src, dest);
      return 'symlink';
    case 'reflink':
      try { await fs.copyFile(src, dest, constants.COPYFILE_FICLONE_FORCE); return 'reflink'; } catch (e) {
        throw new WeightlineError('BAD_USAGE', `this file system cannot make reflinks (${(e as NodeJS.ErrnoException).code}); use --link auto to fall back to a copy`, dest);
      }
    case 'auto':
      if (await tryReflink(src, dest)) return 'reflink';
      await fs.copyFile(src, dest);
      return 'copy';
    case 'copy':
      await fs.copyFile(src, dest);
      return 'copy';
  }
}

/** A reflink if the file system supports it; false (and nothing left at dest) if not. */
export async function tryReflink(src: string, dest: string): Promise<boolean> {
  try {
    await fs.copyFile(src, dest, constants.COPYFILE_FICLONE_FORCE);
    return true;
  } catch {
    await fs.rm(dest, { force: true });
    return false;
  }
}
