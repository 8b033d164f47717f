import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { WeightlineError } from '../../../src-shared/errors';
import { humanBytes } from '../../../src-shared/format';
import type { PausePoint } from '../base/test-pause';
import { pausePoint } from '../base/test-pause';
import { fsyncDir, mapFsError } from '../base/fsutil';
import { linkedObjects } from './links';
import { readPacksOrDamage } from './packs';
import { routeRecordPath } from './routes';
import type { Store } from './store';
import {
  listOps, moveIntoTrash, moveOutOfTrash, movePaths, newOpId, OPS_DIR, opRecordPath, TRASH_DIR, trashBytes, trashDir, writeOp, type OpRecord,
} from './trash';

// Finishing what an interrupted operation left, and emptying the trash
// (docs/STORE-FORMAT.md, "Trash and the operations log"). Every writer that
// acts on the history (commit, cleanup, repair, forget, undo) calls
// settleOps under its write lock before it reads anything: an operation
// record not in a final state means a writer was killed mid-way, and the
// record says which way to finish. With no ops/ folder this costs one
// readdir, so a commit on a store that never forgot pays nothing more.
//
//   planned  a forget that has moved nothing but the old route records of the
//            commits it re-bases (and written their new records, and objects):
//            rolled BACK, since its proof may not have run.
//   moving   a forget whose new routes were written and proved: rolled FORWARD
//            (the remaining moves into the trash), then done.
//   undoing  an undo: finished (the remaining moves back, then undone).

const DAY_MS = 24 * 60 * 60 * 1000;

/** How many settled records without trash the log keeps (older ones are deleted by the next writer). */
export const OPS_LOG_KEEP = 200;

/**
 * Finishes every interrupted operation. Returns one sentence per operation
 * finished (for the writer to pass on as a note). Call under the write lock.
 * A damaged record is CORRUPT naming it (listOps): nothing decides over an
 * operation it cannot read.
 */
export async function recoverOps(store: Store, given?: readonly OpRecord[]): Promise<string[]> {
  const ops = given ?? (await listOps(store));
  const said: string[] = [];
  for (const op of ops) {
    switch (op.state) {
      case 'planned': {
        const outcome = await putBack(store, op);
        await writeOp(store, {
          ...op, state: 'undone', finishedAt: new Date().toISOString(),
          summary: `a forget of ${op.commits.length} version(s), interrupted before it removed anything; put back`,
        });
        said.push(`a forget interrupted before it removed anything (operation ${op.id}) was rolled back: every version is as before${outcome.notes.length ? ` (${outcome.notes.join('; ')})` : ''}`);
        break;
      }
      case 'moving': {
        await moveIntoTrash(store, op);
        const finishedAt = op.finishedAt ?? new Date().toISOString();
        await writeOp(store, { ...op, state: 'done', finishedAt, trashUntil: op.trashUntil ?? new Date(Date.parse(finishedAt) + (await trashDays(store)) * DAY_MS).toISOString() });
        said.push(`a forget interrupted while moving versions into the trash (operation ${op.id}) was finished: ${op.commits.length} version(s) forgotten (\`weightline undo\` puts them back)`);
        break;
      }
      case 'undoing': {
        const { notes } = await completeUndo(store, op);
        said.push(`an undo interrupted while putting back operation ${op.id} was finished: ${op.commits.length} version(s) are back${notes.length ? ` (${notes.join('; ')})` : ''}`);
        break;
      }
      case 'done':
      case 'undone':
        break;
    }
  }
  return said;
}

/**
 * What every writer runs first under its lock: recoverOps, then the trash
 * whose time is up is emptied, and the log is trimmed. One readdir when the
 * store has no operations log.
 */
export async function settleOps(store: Store, now: Date = new Date()): Promise<string[]> {
  if (!(await hasOpsOrTrash(store))) return [];
  // One listing serves the three steps; it is read again only after a step changed records.
  let ops = await listOps(store);
  const said = await recoverOps(store, ops);
  if (said.length > 0) ops = await listOps(store);
  const purged = await purgeExpiredTrash(store, now, ops);
  said.push(...purged);
  if (purged.length > 0) ops = await listOps(store);
  await trimOpsLog(store, OPS_LOG_KEEP, ops);
  return said;
}

async function hasOpsOrTrash(store: Store): Promise<boolean> {
  const names = await fs.readdir(store.dir).catch((e: unknown) => { throw mapFsError(e, store.dir); });
  return names.includes(OPS_DIR) || names.includes(TRASH_DIR);
}

/** What putting an operation's files back found: objects it removed, and anything a person should know. */
export interface PutBackOutcome {
  readonly removedCreated: readonly string[];
  readonly notes: readonly string[];
}

/**
 * Reverses a forget's moves (its files back from trash/<id>/ in reverse
 * order), removes the route records it wrote for commits that had none
 * (`rebased[id] === false`; for `true` the old record came back over the new
 * one by the rename), then removes the objects it created that nothing needs
 * any more. Idempotent, so an interrupted undo or roll-back is finished by
 * running it again. `pause` is a test's pause point after part of the moves.
 */
export async function putBack(store: Store, op: OpRecord, opts: { readonly pause?: PausePoint; readonly signal?: AbortSignal } = {}): Promise<PutBackOutcome> {
  if (opts.pause) {
    // Half the moves first (the newest, as an undo goes), so a kill at the pause leaves a truly half-undone state.
    await moveOutOfTrash(store, op, op.moves.slice(Math.floor(op.moves.length / 2)));
    await pausePoint(opts.pause, opts.signal);
  }
  await moveOutOfTrash(store, op);
  const routesDir = path.dirname(routeRecordPath(store.dir, 'x'));
  let removedRoute = false;
  for (const [id, had] of Object.entries(op.rebased)) {
    if (had) continue;
    const file = routeRecordPath(store.dir, id);
    // A record still in the trash would mean the forget moved one it said the commit did not have: leave the store's as it is.
    const stillTrashed = await fs.lstat(movePaths(store, op.id, ['route', id]).trashed).catch(() => null);
    if (stillTrashed) continue;
    try { await fs.rm(file, { force: true }); removedRoute = true; } catch (e) { throw mapFsError(e, file); }
  }
  if (removedRoute) await fsyncDir(routesDir).catch(() => undefined);
  const notes: string[] = [];
  const removedCreated = await removeUnnamed(store, op.created, op.startedAt, notes);
  await removeEmptyTrash(store, op.id);
  return { removedCreated, notes };
}

/**
 * Objects of `candidates` (written by the operation, none of them on disk
 * before it) that nothing needs now, removed, so the store is as before it.
 * Needed: a delta object of any manifest (as committed or with its route
 * record); the full object of a commit whose storage now starts there (a
 * CHECKPOINT with no packed form of it); any file of a commit made since the
 * operation started (a new commit of the same bytes landed on the object);
 * a packed object the pack index names; an object a link points at. A DELTA
 * commit's file sha256 alone does not keep an object: its route goes through
 * deltas, as before the operation. When a manifest or the pack index cannot
 * be read, nothing is removed (what they need is unknown), and a note says so.
 */
async function removeUnnamed(store: Store, candidates: readonly string[], since: string, notes: string[]): Promise<string[]> {
  const present: string[] = [];
  for (const sha of new Set(candidates)) if (await store.hasObject(sha)) present.push(sha);
  if (present.length === 0) return [];
  const { packs, damage } = await readPacksOrDamage(store);
  if (damage) {
    notes.push(`${present.length} object(s) it wrote were left in place because the pack index cannot be read (${damage.message})`);
    return [];
  }
  const packedFulls = new Set(packs.keys());
  const needed = new Set<string>();
  for (const packed of packs.values()) for (const p of packed) needed.add(p);
  const startedAt = Date.parse(since);
  for (const id of await store.listCommitIds()) {
    try {
      const recorded = await store.readRecordedManifest(id);
      const now = await store.readManifest(id);
      for (const m of [recorded, now]) for (const f of m.files) if (f.delta?.object) needed.add(f.delta.object);
      const madeSince = !(Date.parse(recorded.createdAt) < startedAt);
      for (const f of now.files) if (madeSince || (now.type === 'CHECKPOINT' && !packedFulls.has(f.sha256))) needed.add(f.sha256);
    } catch (e) {
      if (!(e instanceof WeightlineError)) throw e;
      notes.push(`${present.length} object(s) it wrote were left in place because commit ${id.slice(0, 12)} cannot be read (${e.message})`);
      return [];
    }
  }
  let linked: ReadonlyMap<string, string[]>;
  try {
    linked = await linkedObjects(store);
  } catch (e) {
    if (!(e instanceof WeightlineError)) throw e;
    notes.push(`${present.length} object(s) it wrote were left in place because links.json cannot be read (${e.message})`);
    return [];
  }
  for (const sha of linked.keys()) needed.add(sha);
  const removed: string[] = [];
  const dirs = new Set<string>();
  for (const sha of present) {
    if (needed.has(sha)) continue;
    const file = store.objectPath(sha);
    try { await fs.rm(file, { force: true }); } catch (e) { throw mapFsError(e, file); }
    dirs.add(path.dirname(file));
    removed.push(sha);
  }
  for (const d of dirs) await fsyncDir(d).catch(() => undefined);
  return removed;
}

/** Removes an operation's trash folder once no file is left in it (an undo moved them all back). */
async function removeEmptyTrash(store: Store, opId: string): Promise<void> {
  const dir = trashDir(store, opId);
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true }).catch(() => null);
  if (!entries || entries.some((e) => !e.isDirectory())) return;
  await fs.rm(dir, { recursive: true, force: true });
  await fsyncDir(path.dirname(dir)).catch(() => undefined);
}

/**
 * Finishes an undo of `op` (state `undoing`): everything put back, the
 * undo's own record written (once: an `undo` record naming this operation is
 * looked for first), then `op` marked undone. The undo record goes before
 * the state change, so a kill between them leaves `undoing` (finished again,
 * idempotently) rather than an undone operation whose undo has no record.
 */
export async function completeUndo(
  store: Store, op: OpRecord, opts: { readonly undoId?: string; readonly pause?: PausePoint; readonly signal?: AbortSignal; readonly summary?: (bytes: number) => string } = {},
): Promise<PutBackOutcome & { readonly undoRecord: OpRecord }> {
  const bytes = await trashBytes(store, op.id);
  const outcome = await putBack(store, op, opts);
  const now = new Date();
  const existing = (await listOps(store)).find((o) => o.kind === 'undo' && o.undoes === op.id);
  const undoRecord: OpRecord = existing ?? {
    version: 1, id: opts.undoId ?? newOpId(now), kind: 'undo', startedAt: now.toISOString(), finishedAt: now.toISOString(), state: 'done',
    summary: opts.summary?.(bytes) ?? `put back ${op.commits.length} version(s) that operation ${op.id} forgot (${humanBytes(bytes)} out of the trash)`,
    commits: op.commits, bytes, moves: [], rebased: {}, created: [], undoes: op.id,
  };
  if (!existing) await writeOp(store, { ...undoRecord, finishedAt: new Date().toISOString() });
  await writeOp(store, { ...op, state: 'undone', finishedAt: op.finishedAt ?? now.toISOString() });
  return { ...outcome, undoRecord };
}

// ---- the trash's time, and space ----

async function trashDays(store: Store): Promise<number> {
  // A damaged config must not stop a recovery: the default is what the trash was promised.
  return (await store.readConfig().catch(() => null))?.trashDays ?? 7;
}

/** Whether an operation's trash still holds what it removed (a forget, done, not emptied). */
export function holdsTrash(op: OpRecord): boolean {
  return op.kind === 'forget' && op.state === 'done' && op.purgedAt === undefined;
}

/**
 * When an operation's trash is emptied at the latest: `trashDays` (the
 * setting now, so lowering it empties older trash sooner) after it finished.
 */
export function trashExpiry(op: OpRecord, days: number): Date {
  const finished = Date.parse(op.finishedAt ?? op.startedAt);
  return new Date((Number.isNaN(finished) ? 0 : finished) + days * DAY_MS);
}

/** The expiry of every operation that holds trash, with the setting read once. */
export async function trashExpiries(store: Store, ops: readonly OpRecord[]): Promise<Map<string, Date>> {
  const days = await trashDays(store);
  return new Map(ops.filter(holdsTrash).map((o) => [o.id, trashExpiry(o, days)]));
}

/**
 * Empties the trash of one operation: the record says so first (purgedAt and
 * why), then trash/<id>/ is deleted, so a kill in between leaves a record
 * that no longer offers an undo and a folder the next purge removes.
 */
export async function purgeOpTrash(store: Store, op: OpRecord, reason: string, now: Date = new Date()): Promise<{ record: OpRecord; freed: number }> {
  const freed = await trashBytes(store, op.id);
  const record: OpRecord = { ...op, purgedAt: op.purgedAt ?? now.toISOString(), purgeReason: op.purgeReason ?? reason };
  await writeOp(store, record);
  const dir = trashDir(store, op.id);
  try { await fs.rm(dir, { recursive: true, force: true }); } catch (e) { throw mapFsError(e, dir); }
  await fsyncDir(path.dirname(dir)).catch(() => undefined);
  return { record, freed };
}

/**
 * Empties the trash of every forget whose time is up (trashDays after it
 * finished), and trash folders left behind: one whose record says it was
 * emptied (a kill mid-purge), or one with no record at all whose time (read
 * from its name) is up. The records stay listed, marked purged.
 */
export async function purgeExpiredTrash(store: Store, now: Date = new Date(), given?: readonly OpRecord[]): Promise<string[]> {
  const ops = given ?? (await listOps(store));
  const days = await trashDays(store);
  const said: string[] = [];
  for (const op of ops) {
    if (!holdsTrash(op)) continue;
    const until = trashExpiry(op, days);
    if (until.getTime() > now.getTime()) continue;
    const { freed } = await purgeOpTrash(store, op, `its ${days} day(s) in the trash ended on ${until.toISOString().slice(0, 10)}`, now);
    said.push(`emptied the trash of operation ${op.id} (${humanBytes(freed)}): its ${days} day(s) ended`);
  }
  const byId = new Map(ops.map((o) => [o.id, o]));
  const folders = await fs.readdir(path.join(store.dir, TRASH_DIR)).catch(() => [] as string[]);
  for (const name of folders) {
    const op = byId.get(name);
    const started = opIdTime(name);
    const leftover = op ? op.purgedAt !== undefined || op.state === 'undone' : started !== null && started + days * DAY_MS <= now.getTime();
    if (!leftover) continue;
    // An undone operation's folder holds nothing but empty folders unless a move back failed: never delete files it still holds.
    if (op?.state === 'undone') { await removeEmptyTrash(store, name); continue; }
    await fs.rm(path.join(store.dir, TRASH_DIR, name), { recursive: true, force: true });
  }
  return said;
}

/** The start time an operation id carries (ms), or null for a name of another shape. */
export function opIdTime(id: string): number | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z-[0-9a-f]{8}$/u.exec(id);
  if (!m) return null;
  const t = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${m[7]}Z`);
  return Number.isNaN(t) ? null : t;
}

/**
 * Empties trash, oldest operation first, until `bytesNeeded` are freed or
 * none is left: what a commit does before refusing for space (the disk
 * budget). Returns what it freed and whose trash it emptied; the reason is
 * recorded in each operation (`weightline ops` shows it).
 */
export async function purgeTrashForSpace(store: Store, bytesNeeded: number, reason = 'a commit needed the space'): Promise<{ freed: number; ops: string[] }> {
  let freed = 0;
  const emptied: string[] = [];
  for (const op of await listOps(store)) {
    if (freed >= bytesNeeded) break;
    if (!holdsTrash(op)) continue;
    freed += (await purgeOpTrash(store, op, reason)).freed;
    emptied.push(op.id);
  }
  return { freed, ops: emptied };
}

/**
 * Keeps the log from growing without end (every cleanup adds a record):
 * beyond the newest OPS_LOG_KEEP records, settled ones that hold no trash
 * are deleted. A forget that still holds trash, or is not settled, stays
 * whatever its age.
 */
export async function trimOpsLog(store: Store, keep = OPS_LOG_KEEP, given?: readonly OpRecord[]): Promise<number> {
  const ops = given ?? (await listOps(store));
  if (ops.length <= keep) return 0;
  let removed = 0;
  for (const op of ops.slice(0, ops.length - keep)) {
    const settled = op.state === 'done' || op.state === 'undone';
    if (!settled || holdsTrash(op)) continue;
    // An undone forget's undo record points at it; both go together once old enough.
    await fs.rm(opRecordPath(store, op.id), { force: true });
    removed++;
  }
  if (removed) await fsyncDir(path.join(store.dir, OPS_DIR)).catch(() => undefined);
  return removed;
}

/**
 * Writes the record of an operation that removed or set aside bytes but
 * moved nothing into the trash (cleanup, repair): listed by `weightline ops`,
 * never undoable. Best effort: the work is done and stands whether or not its
 * record could be written (a full disk), so a failure here is not the
 * operation's failure.
 */
export async function recordSettledOp(store: Store, kind: 'cleanup' | 'repair', startedAt: Date, summary: string, commits: readonly string[], bytes: number): Promise<string | null> {
  const op: OpRecord = {
    version: 1, id: newOpId(startedAt), kind, startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(), state: 'done',
    summary: summary.slice(0, 10_000), commits: [...new Set(commits)], bytes: Math.max(0, Math.round(bytes)), moves: [], rebased: {}, created: [],
  };
  try {
    await writeOp(store, op);
    return op.id;
  } catch {
    return null;
  }
}
