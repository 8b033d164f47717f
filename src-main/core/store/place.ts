import { constants } from 'node:fs';
import * as fs from 'node:fs/promises';
import type { LinkMode } from '../../../src-shared/model';
import { WeightlineError } from '../../../src-shared/errors';
import { mapFsError } from '../base/fsutil';

// Putting bytes that already sit in the store somewhere else without copying
// them: a reflink (copy-on-write clone) where the file system can, else a
// hard link or symlink when the user asked for one, else a copy.

export type Placed = 'reflink' | 'hardlink' | 'symlink' | 'copy';

/**
 * Places src's bytes at dest (which must not exist). Returns how it was done.
 * Errors name `shownAs`: a caller that places into a temp file first passes
 * the target the user asked for, since the temp name means nothing to them.
 * A link the file system cannot make is `UNSUPPORTED` (a fact about the disk,
 * not a mistake in the command line); a refusal is `PERMISSION`.
 */
export async function place(src: string, dest: string, mode: LinkMode, shownAs: string = dest): Promise<Placed> {
  try {
    switch (mode) {
      case 'hardlink':
        await fs.link(src, dest);
        return 'hardlink';
      case 'symlink':
        await fs.symlink(src, dest);
        return 'symlink';
      case 'reflink':
        await fs.copyFile(src, dest, constants.COPYFILE_FICLONE_FORCE);
        return 'reflink';
      case 'auto':
        if (await tryReflink(src, dest)) return 'reflink';
        await fs.copyFile(src, dest);
        return 'copy';
      case 'copy':
        await fs.copyFile(src, dest);
        return 'copy';
    }
  } catch (e) {
    // A failed clone or copy may have created dest; it must not stay behind.
    if (mode === 'reflink' || mode === 'auto' || mode === 'copy') await fs.rm(dest, { force: true }).catch(() => undefined);
    throw placeError(e, mode, src, shownAs);
  }
}

function placeError(e: unknown, mode: LinkMode, src: string, shownAs: string): unknown {
  const err = e as NodeJS.ErrnoException;
  const code = err?.code;
  // The store's object went away (a cleanup meanwhile, or damage): name it, not the target.
  if (code === 'ENOENT' && err.path === src) return mapFsError(e, src);
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EROFS' || code === 'EACCES' || code === 'ENOENT') return mapFsError(e, shownAs);
  switch (mode) {
    case 'hardlink':
      // link(2): EXDEV across file systems; EPERM where the file system has no hard links; EMLINK at its link limit.
      if (code === 'EXDEV') return new WeightlineError('UNSUPPORTED', 'cannot hard-link: the store and this target are on different file systems (EXDEV); use --link copy (or --link auto)', shownAs);
      if (code === 'EPERM' || code === 'EMLINK' || code === 'EOPNOTSUPP' || code === 'ENOTSUP') {
        return new WeightlineError('UNSUPPORTED', `this file system cannot hard-link here (${code}); use --link copy (or --link auto)`, shownAs);
      }
      break;
    case 'symlink':
      if (code === 'EPERM' || code === 'EOPNOTSUPP' || code === 'ENOTSUP') {
        return new WeightlineError('UNSUPPORTED', `this file system cannot make symbolic links (${code}); use --link copy (or --link auto)`, shownAs);
      }
      break;
    case 'reflink':
      // FICLONE: EOPNOTSUPP/ENOTSUP/EINVAL where the file system has no reflinks, EXDEV across file systems.
      if (code === 'EOPNOTSUPP' || code === 'ENOTSUP' || code === 'EINVAL' || code === 'EXDEV' || code === 'ENOSYS' || code === 'ENOTTY') {
        const where = code === 'EXDEV' ? 'the store and this target are on different file systems' : 'this file system cannot make reflinks';
        return new WeightlineError('UNSUPPORTED', `cannot reflink: ${where} (${code}); use --link auto to fall back to a copy`, shownAs);
      }
      break;
    case 'auto':
    case 'copy':
      break;
  }
  return mapFsError(e, shownAs);
}

/** A reflink if the file system supports it; false (and nothing left at dest) if not. */
export async function tryReflink(src: string, dest: string): Promise<boolean> {
  try {
    await fs.copyFile(src, dest, constants.COPYFILE_FICLONE_FORCE);
    return true;
  } catch {
    await fs.rm(dest, { force: true }).catch(() => undefined);
    return false;
  }
}
