import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fsyncDir, mapFsError, writeFileAtomic } from '../base/fsutil';
import { opRecordContent, readOpRecordFile, type OpRecordData } from './store-files';
import { ROUTES_DIR } from './routes';
import type { Store } from './store';

// The trash and the operations log (docs/STORE-FORMAT.md, "Trash and the
// operations log"). A destructive operation (a forget) first writes its
// record, ops/<id>.json, listing every file it will move into trash/<id>/;
// the moves are renames, so bytes are never copied and a kill at any point
// leaves each file either where it was or in the trash, and the record says
// which way to finish: an operation left in state `moving` is rolled forward
// (its remaining moves made), one left `planned` is rolled back (it moved
// nothing but route records), one left `undoing` has its undo finished
// (recoverOps, run by every writer that touches these files before it acts).
// `weightline undo` moves the files back in reverse order.

export const TRASH_DIR = 'trash';
export const OPS_DIR = 'ops';

export type OpRecord = OpRecordData;
export type OpMove = OpRecord['moves'][number];

/** A new operation id: its UTC start time (so names sort by time) and 8 random hex digits. */
export function newOpId(now: Date = new Date()): string {
  const t = now.toISOString().replace(/[-:]/gu, '').replace('.', ''); // 20261207T213000123Z
  return `${t}-${randomBytes(4).toString('hex')}`;
}

export function opRecordPath(store: Store, id: string): string {
  return path.join(store.dir, OPS_DIR, `${id}.json`);
}

export function trashDir(store: Store, opId: string): string {
  return path.join(store.dir, TRASH_DIR, opId);
}

/** Writes (or rewrites) an operation's record atomically: what a crash recovery and `weightline ops` read. */
export async function writeOp(store: Store, op: OpRecord): Promise<void> {
  await fs.mkdir(path.join(store.dir, OPS_DIR), { recursive: true });
  await writeFileAtomic(opRecordPath(store, op.id), opRecordContent(op));
}

export async function readOp(store: Store, id: string): Promise<OpRecord | undefined> {
  return readOpRecordFile(opRecordPath(store, id));
}

const OP_NAME = /^\d{8}T\d{9}Z-[0-9a-f]{8}\.json$/u;

/**
 * Every operation record, oldest first. A damaged record is CORRUPT naming
 * it (thrown): nothing decides over an operation it cannot read.
 */
export async function listOps(store: Store): Promise<OpRecord[]> {
  const dir = path.join(store.dir, OPS_DIR);
  const names = await fs.readdir(dir).catch((e: unknown) => {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [] as string[];
    throw mapFsError(e, dir);
  });
  const out: OpRecord[] = [];
  for (const n of names.filter((x) => OP_NAME.test(x)).sort()) {
    const op = await readOpRecordFile(path.join(dir, n));
    if (op) out.push(op);
  }
  return out;
}

/** Where a moved file lives in the store, and where it lives in the operation's trash. */
export function movePaths(store: Store, opId: string, [kind, name]: OpMove): { live: string; trashed: string } {
  const trash = trashDir(store, opId);
  switch (kind) {
    case 'commit': return { live: path.join(store.dir, 'commits', `${name}.json`), trashed: path.join(trash, 'commits', `${name}.json`) };
    case 'object': return { live: store.objectPath(name), trashed: path.join(trash, 'objects', name) };
    case 'route': return { live: path.join(store.dir, ROUTES_DIR, `${name}.json`), trashed: path.join(trash, 'routes', `${name}.json`) };
    case 'pack': return { live: path.join(store.dir, 'packs', name), trashed: path.join(trash, 'packs', name) };
  }
}

/**
 * Makes the moves into the trash that are not made yet (idempotent: a move
 * whose file is already in the trash, or gone from both places, is skipped;
 * so calling it with every move after the re-based commits' new route
 * records are written leaves their old records in the trash).
 * Each folder is fsynced after its renames, so a move that returned stays made.
 */
export async function moveIntoTrash(store: Store, op: OpRecord, moves: readonly OpMove[] = op.moves): Promise<void> {
  await moveAll(store, op.id, moves, 'forward');
}

/** Moves the files back out of the trash, in reverse order (idempotent like moveIntoTrash). */
export async function moveOutOfTrash(store: Store, op: OpRecord, moves: readonly OpMove[] = op.moves): Promise<void> {
  await moveAll(store, op.id, [...moves].reverse(), 'back');
}

async function moveAll(store: Store, opId: string, moves: readonly OpMove[], way: 'forward' | 'back'): Promise<void> {
  const touched = new Set<string>();
  for (const m of moves) {
    const { live, trashed } = movePaths(store, opId, m);
    const [from, to] = way === 'forward' ? [live, trashed] : [trashed, live];
    const there = await fs.lstat(from).catch(() => null);
    if (!there) continue; // moved before a crash, or never there
    // Into the trash, a file already there was moved before: what stands at
    // its old place now is new (a re-based commit's new route record, written
    // after its old one went to the trash) and must not replace it. Back out
    // of the trash the old file always wins: that is what an undo is.
    if (way === 'forward' && (await fs.lstat(to).catch(() => null))) continue;
    await fs.mkdir(path.dirname(to), { recursive: true });
    try {
      await fs.rename(from, to);
    } catch (e) {
      throw mapFsError(e, from);
    }
    touched.add(path.dirname(from));
    touched.add(path.dirname(to));
  }
  for (const d of touched) await fsyncDir(d).catch(() => undefined);
}

/** Bytes an operation's trash holds now (0 once emptied). */
export async function trashBytes(store: Store, opId: string): Promise<number> {
  return folderBytes(trashDir(store, opId));
}

async function folderBytes(dir: string): Promise<number> {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  let total = 0;
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += await folderBytes(p);
    else total += (await fs.lstat(p).catch(() => null))?.size ?? 0;
  }
  return total;
}
