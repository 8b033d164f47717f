// The one way the store opens its own files for reading: a file
// is checked to be a regular file, and no larger than its kind ever is,
// before a byte of it is read. A folder where a file belongs (or a file where
// a folder belongs), or a lock file of 200 MB, is damage: a CORRUPT error
// naming the file, what was expected, what was found, and the next step;
// never "internal error (a bug)" from EISDIR, and never a read of the whole
// thing into memory. docs/STORE-FORMAT.md, "Size bounds and file kinds".

import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { WeightlineError } from '../../../src-shared/errors';
import { mapFsError } from './fsutil';

const KiB = 1024;
const MiB = 1024 * KiB;

/** The largest each store file may be; a larger one is CORRUPT, and is never read. */
export const STORE_FILE_LIMITS = {
  lock: 64 * KiB, // a record of a few hundred bytes
  'format.json': 64 * KiB,
  HEAD: 64 * KiB,
  'config.json': 1 * MiB,
  'remotes.json': 1 * MiB,
  'pins.json': 64 * MiB, // ~70 bytes a pin: about a million pins
  'links.json': 256 * MiB,
  manifest: 256 * MiB, // commits/<id>.json: hundreds of bytes a tensor, so millions of tensors
  cache: 256 * MiB, // index.json, log-index.json, checked.json, remote-cache/<name>.json: larger reads as damaged and is rebuilt
} as const;

/** "damaged <name>: expected …, found …; <next>", the form every store file error takes. */
export function storeFileError(file: string, expected: string, found: string, next: string): WeightlineError {
  return new WeightlineError('CORRUPT', `damaged ${path.basename(file)}: expected ${expected}, found ${found}; ${next}`, file);
}

export interface StoreFileRead {
  /** What the file is, for the message: "the store's write lock (a file naming its holder)". */
  readonly expected: string;
  /** The next step the message gives for a file of the wrong kind or size. */
  readonly next: string;
  readonly maxBytes: number;
  /** Open with O_NOFOLLOW (the lock may be a symlink, which is read with readlink). */
  readonly noFollow?: boolean;
}

function kindOf(st: { isDirectory(): boolean; isFile(): boolean; isSymbolicLink(): boolean }): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'something that is not a regular file (a device, socket or pipe)';
}

/**
 * A path below the store whose parent is not a folder (ENOTDIR): the nearest
 * ancestor that is a file is the damage, and the error names it.
 */
async function notADirectory(file: string, next: string): Promise<WeightlineError> {
  for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const st = await fs.lstat(dir).catch(() => null);
    if (st && !st.isDirectory()) return storeFileError(dir, 'a folder', st.isFile() ? 'a file' : kindOf(st), next);
  }
  return storeFileError(file, 'a file inside a folder', 'a parent that is not a folder', next);
}

/**
 * Opens a store file: null when it does not exist; CORRUPT when it (or a
 * folder above it) is of the wrong kind, or larger than opts.maxBytes.
 */
export async function openStoreFile(file: string, opts: StoreFileRead): Promise<{ handle: fs.FileHandle; size: number } | null> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, fs.constants.O_RDONLY | (opts.noFollow ? fs.constants.O_NOFOLLOW : 0) | fs.constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'ENOTDIR') throw await notADirectory(file, opts.next);
    if (code === 'EISDIR') throw storeFileError(file, opts.expected, 'a folder', opts.next);
    throw mapFsError(e, file);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw storeFileError(file, opts.expected, kindOf(st), opts.next);
    if (st.size > opts.maxBytes) {
      throw storeFileError(file, `${opts.expected}, at most ${opts.maxBytes} bytes`, `a file of ${st.size} bytes`, opts.next);
    }
    return { handle, size: st.size };
  } catch (e) {
    await handle.close();
    throw e;
  }
}

/** The bytes of a store file, read only after openStoreFile's checks; null when it does not exist. */
export async function readStoreFile(file: string, opts: StoreFileRead): Promise<Buffer | null> {
  const opened = await openStoreFile(file, opts);
  if (!opened) return null;
  try {
    return await readOpened(file, opened.handle, opened.size, opts);
  } finally {
    await opened.handle.close();
  }
}

/** The whole of a file openStoreFile opened (size as it found it), refusing one that grew past opts.maxBytes since. */
export async function readOpened(file: string, handle: fs.FileHandle, size: number, opts: StoreFileRead): Promise<Buffer> {
  // Read up to one byte past the bound: a file that grew since the stat is refused too, not read on.
  const buf = Buffer.alloc(Math.min(size, opts.maxBytes) + 1);
  let done = 0;
  try {
    for (;;) {
      const { bytesRead } = await handle.read(buf, done, buf.length - done, done);
      if (bytesRead === 0) break;
      done += bytesRead;
      if (done === buf.length) break;
    }
  } catch (e) {
    throw mapFsError(e, file);
  }
  if (done > opts.maxBytes) throw storeFileError(file, `${opts.expected}, at most ${opts.maxBytes} bytes`, 'a file that kept growing while read', opts.next);
  return buf.subarray(0, done);
}

const OBJECT_EXPECTED = 'an object (a file)';
const OBJECT_NEXT = 'move it out of .weightline/objects and run `weightline repair`, which rebuilds what it can from other routes';

/**
 * A file the store reads in pieces (an object, whole or delta), opened only if
 * it is a regular file; null when it does not exist. No size bound: objects
 * are as large as models, and are read a block at a time.
 */
export async function openObjectFile(file: string): Promise<fs.FileHandle | null> {
  const opened = await openStoreFile(file, { expected: OBJECT_EXPECTED, next: OBJECT_NEXT, maxBytes: Number.MAX_SAFE_INTEGER });
  return opened?.handle ?? null;
}
