import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { fsyncDir, mapFsError } from '../base/fsutil';
import type { Store } from './store';

// Damaged or misplaced store files are moved into .weightline/quarantine/,
// never deleted: they may hold the only copy of bytes someone wrote through a
// link, or be an intact object under the wrong name (repair looks there for
// names a route needs). A rename keeps the inode, so a hard-linked file the
// user wrote into keeps its bytes.

export const QUARANTINE_DIR = 'quarantine';

export function quarantineDir(store: Store): string {
  return path.join(store.dir, QUARANTINE_DIR);
}

/** A time stamp for quarantine names: one per verb run, so its moves sort together. */
export function quarantineStamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-');
}

/** Moves `from` (a file or folder inside the store) to quarantine/<name>.<stamp>; returns where it went. */
export async function quarantineFile(store: Store, from: string, name: string, stamp = quarantineStamp()): Promise<string> {
  const dest = path.join(quarantineDir(store), `${name}.${stamp}`);
  try {
    await fs.mkdir(path.dirname(dest), { recursive: true });
    await fs.rename(from, dest);
    await fsyncDir(path.dirname(dest));
    await fsyncDir(path.dirname(from));
  } catch (e) {
    throw mapFsError(e, from);
  }
  return dest;
}

/** Moves object `sha` into quarantine. */
export async function quarantineObject(store: Store, sha: string, stamp = quarantineStamp()): Promise<string> {
  return quarantineFile(store, store.objectPath(sha), sha, stamp);
}
