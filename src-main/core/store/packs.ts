import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { WeightlineError } from '../../../src-shared/errors';
import { fsyncDir, mapFsError } from '../base/fsutil';
import type { Store } from './store';

// Which full objects also exist in packed form (byte planes + zstd, see
// rebuild/packed.ts and docs/STORE-FORMAT.md "Packed full parameters").
// The index is a folder of empty files named `<full sha256>.<packed sha256>`:
// the name is the whole record, so it is written once (create + fsync the
// folder) and has no content to damage; one readdir lists every pack. A name
// that does not have that shape is not ours to guess at: reading the index
// stops with CORRUPT naming it.

export const PACK_NAME = /^([0-9a-f]{64})\.([0-9a-f]{64})$/;

export function packsDir(store: Store): string {
  return path.join(store.dir, 'packs');
}

/** full sha256 → sha256s of its packed objects, for every pack recorded (whether a packed object is on disk is the caller's question). */
export async function readPacks(store: Store): Promise<Map<string, string[]>> {
  const dir = packsDir(store);
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return new Map();
    if (code === 'ENOTDIR') {
      throw new WeightlineError('CORRUPT', `the pack index ${dir} is a file, expected a folder (of empty files named <full sha256>.<packed sha256>); run "weightline repair": it moves the file into quarantine and rebuilds the index from the packed objects' own tables`, dir);
    }
    throw mapFsError(e, dir);
  }
  const out = new Map<string, string[]>();
  for (const name of names) {
    if (name.startsWith('.tmp-')) continue;
    const m = PACK_NAME.exec(name);
    if (!m) {
      throw new WeightlineError(
        'CORRUPT',
        `the pack index holds "${name}", expected names of the form <full sha256>.<packed sha256>; move it out of the folder, or run "weightline repair" (it moves it into quarantine and rebuilds the index from the packed objects' own tables)`,
        path.join(dir, name),
      );
    }
    // Two packs of one full object (a pack quarantined by repair, then packed
    // again): any of them decodes to the same bytes.
    out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!]);
  }
  return out;
}

/**
 * The recorded packs, or none and the error when the index cannot be read (a
 * file where its folder belongs, a name Weightline did not write): readers
 * route around it (raw objects and deltas), verbs that delete refuse, and
 * repair rebuilds it.
 */
export async function readPacksOrDamage(store: Store): Promise<{ packs: Map<string, string[]>; damage: WeightlineError | null }> {
  try {
    return { packs: await readPacks(store), damage: null };
  } catch (e) {
    if (e instanceof WeightlineError && e.code === 'CORRUPT') return { packs: new Map(), damage: e };
    throw e;
  }
}

/** Records that `packed` is the packed form of full object `full` (idempotent). */
export async function recordPack(store: Store, full: string, packed: string): Promise<void> {
  const dir = packsDir(store);
  const file = path.join(dir, `${full}.${packed}`);
  try {
    await fs.mkdir(dir, { recursive: true });
    const handle = await fs.open(file, 'a');
    await handle.sync();
    await handle.close();
    await fsyncDir(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') await readPacks(store); // throws the CORRUPT that says what is in the way
    throw mapFsError(e, file);
  }
}

/** Forgets a pack whose packed object is damaged or gone (repair). */
export async function forgetPack(store: Store, full: string, packed: string): Promise<void> {
  const dir = packsDir(store);
  await fs.rm(path.join(dir, `${full}.${packed}`), { force: true });
  await fsyncDir(dir).catch(() => undefined);
}
