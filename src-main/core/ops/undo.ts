import { errorPath, mapFsError } from '../base/fsutil';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { WeightlineError } from '../../../src-shared/errors';
import { humanBytes } from '../../../src-shared/format';
import type { CommitId, OpInfo, ProgressListener, TrashInfo, UndoResult } from '../../../src-shared/model';
import { findRoute } from '../rebuild/route';
import { HistoryGraph } from '../store/graph';
import { withWriteLock } from '../store/lock';
import { completeUndo, settleOps, trashExpiries } from '../store/op-recovery';
import type { Store } from '../store/store';
import { linesRecordStale, recordLines } from '../store/tips';
import { listOps, movePaths, TRASH_DIR, trashBytes, writeOp, type OpRecord } from '../store/trash';
import { folderBytes } from './inspect';

// `weightline undo` and `weightline ops` (docs/STORE-FORMAT.md, "Trash and
// the operations log"). An undo puts a forget back exactly: its files were
// renamed into trash/<op>/, never rewritten, so renaming them back restores
// every forgotten manifest and object byte for byte, and every re-based
// commit's old storage (its old route record, or none). Forgets are undone
// newest first: a later forget may have re-based the same commits again, and
// undoing the older one under it would remove the newer one's records.

export interface UndoOptions {
  readonly op?: string | undefined;
  readonly onProgress?: ProgressListener | undefined;
  readonly signal?: AbortSignal | undefined;
}

const day = (iso: string): string => iso.slice(0, 10);

/** Why an operation cannot be undone now, or null when it can. `ops` is the whole log, oldest first. */
export function whyNotUndoable(op: OpRecord, ops: readonly OpRecord[]): string | null {
  switch (op.kind) {
    case 'cleanup': return 'cleanup removes only bytes kept routes rebuild; there is nothing to put back';
    case 'repair': return 'repair deletes nothing: what it set aside stays in .weightline/quarantine';
    case 'undo': return 'an undo is not undone; forget those versions again to remove them';
    case 'trash-purge': return 'emptied trash cannot be brought back';
    case 'forget': break;
  }
  if (op.state === 'undone') {
    const by = ops.find((o) => o.kind === 'undo' && o.undoes === op.id);
    // Undone with no undo record: a forget rolled back by recovery before it removed anything.
    return by ? `already undone on ${day(by.finishedAt ?? by.startedAt)} (operation ${by.id})` : 'it was interrupted before it removed anything, and put back';
  }
  if (op.state !== 'done') return 'it is running, or was interrupted (then the next command that writes to the store finishes it)';
  if (op.purgedAt !== undefined) return `its trash was emptied on ${day(op.purgedAt)}${op.purgeReason ? ` (${op.purgeReason})` : ''}`;
  const newer = [...ops].reverse().find((o) => o.kind === 'forget' && o.id > op.id && o.state === 'done');
  if (newer) {
    return newer.purgedAt === undefined
      ? `the newer forget ${newer.id} must be undone first`
      : `the newer forget ${newer.id} changed the history after it and can no longer be undone (its trash was emptied on ${day(newer.purgedAt)})`;
  }
  return null;
}

function opInfo(op: OpRecord, ops: readonly OpRecord[], expiries: ReadonlyMap<string, Date>): OpInfo {
  const why = whyNotUndoable(op, ops);
  const until = expiries.get(op.id);
  return {
    id: op.id, kind: op.kind, startedAt: op.startedAt, ...(op.finishedAt ? { finishedAt: op.finishedAt } : {}), state: op.state,
    summary: op.summary, commits: op.commits as CommitId[], bytes: op.bytes,
    undoable: why === null, ...(why !== null ? { whyNot: why } : {}),
    ...(until ? { trashUntil: until.toISOString() } : {}),
  };
}

/** What the trash holds: its bytes on disk, the operations whose trash it is, and when the oldest goes at the latest. */
export async function trashInfo(store: Store, ops?: readonly OpRecord[]): Promise<TrashInfo> {
  const list = ops ?? (await listOps(store));
  const expiries = await trashExpiries(store, list);
  const bytes = await folderBytes(path.join(store.dir, TRASH_DIR));
  const first = [...expiries.values()].sort((a, b) => a.getTime() - b.getTime())[0];
  return { bytes, operations: expiries.size, goneBy: first ? first.toISOString() : null };
}

/** The operations log, newest first, each with whether it can still be undone, and what the trash holds. Reads only. */
export async function listOperations(store: Store): Promise<{ ops: OpInfo[]; trash: TrashInfo }> {
  const ops = await listOps(store);
  const expiries = await trashExpiries(store, ops);
  return { ops: [...ops].reverse().map((o) => opInfo(o, ops, expiries)), trash: await trashInfo(store, ops) };
}

/** The operation an undo acts on: the one named (its id or a unique prefix), else the newest forget done. */
function pick(ops: readonly OpRecord[], wanted: string | undefined): OpRecord {
  if (wanted !== undefined) {
    const exact = ops.find((o) => o.id === wanted);
    const matches = exact ? [exact] : ops.filter((o) => o.id.startsWith(wanted));
    if (matches.length === 0) throw new WeightlineError('NOT_FOUND', `no operation ${wanted} in the operations log (\`weightline ops\` lists them)`);
    if (matches.length > 1) throw new WeightlineError('AMBIGUOUS', `"${wanted}" matches ${matches.length} operations (${matches.slice(0, 3).map((o) => o.id).join(', ')}); give more characters`);
    const op = matches[0]!;
    const why = whyNotUndoable(op, ops);
    if (why) throw new WeightlineError('REFUSED', `operation ${op.id} (${op.kind}: ${op.summary}) cannot be undone: ${why}`);
    return op;
  }
  const last = [...ops].reverse().find((o) => o.kind === 'forget' && o.state === 'done');
  if (!last) {
    const undone = [...ops].reverse().find((o) => o.kind === 'forget');
    throw new WeightlineError('REFUSED', `nothing to undo: ${undone ? `the last forget (${undone.id}) is already undone` : 'this store has no forget in its operations log'} (cleanup and repair are not undone; \`weightline ops\` lists the log)`);
  }
  const why = whyNotUndoable(last, ops);
  if (why) throw new WeightlineError('REFUSED', `the last forget (${last.id}: ${last.summary}) cannot be undone: ${why}`);
  return last;
}

/** Files of a forget that are neither in its trash nor in the store: an undo would put back less than it removed. */
async function missingFromTrash(store: Store, op: OpRecord): Promise<string[]> {
  const out: string[] = [];
  for (const m of op.moves) {
    const { live, trashed } = movePaths(store, op.id, m);
    if (await fs.lstat(trashed).then(() => true, () => false)) continue;
    if (await fs.lstat(live).then(() => true, () => false)) continue;
    out.push(path.relative(store.dir, trashed));
  }
  return out;
}

/**
 * Puts back the newest forget (or the one named): state `undoing`, its moves
 * reversed, route records it wrote for commits that had none removed,
 * objects it created that nothing needs removed, an `undo` record written,
 * state `undone`. A kill at any point is finished by the next writer
 * (recoverOps). Then every put-back and re-based commit is checked to have a
 * route over the objects on disk (no hashing: nothing was rewritten).
 */
export async function undoOperation(store: Store, opts: UndoOptions): Promise<UndoResult> {
  // A full or read-only disk met below is an expected failure naming its file (what was moved, recovery finishes).
  return undoLocked(store, opts).catch((e: unknown) => { throw mapFsError(e, errorPath(e, store.dir)); });
}

async function undoLocked(store: Store, opts: UndoOptions): Promise<UndoResult> {
  return withWriteLock(store, 'undo', async (signal) => {
    const notes = await settleOps(store);
    const ops = await listOps(store);
    const op = pick(ops, opts.op);
    const missing = await missingFromTrash(store, op);
    if (missing.length > 0) {
      throw new WeightlineError('REFUSED', `operation ${op.id} cannot be undone: its trash is not whole (${missing.length} of ${op.moves.length} file(s) are in neither the trash nor the store, e.g. ${missing.slice(0, 3).join(', ')}); putting back part of it would leave versions that do not restore`);
    }
    // Renames, not copies: the figure says how much comes back, not how long it takes.
    const total = await trashBytes(store, op.id);
    opts.onProgress?.({ phase: 'putting back', bytesDone: 0, bytesTotal: total });
    const undoing: OpRecord = { ...op, state: 'undoing' };
    await writeOp(store, undoing);
    const done = await completeUndo(store, undoing, {
      pause: 'undo.moving', signal,
      summary: (bytes) => `put back ${op.commits.length} version(s) forgotten by ${op.id} (${humanBytes(bytes)} out of the trash)`,
    });
    opts.onProgress?.({ phase: 'putting back', bytesDone: total, bytesTotal: total });
    notes.push(...done.notes, ...(await routeProblems(store, [...op.commits, ...Object.keys(op.rebased)])));
    // A forget keeps every line's tip, so lines rarely move; a damaged HEAD leaves the record for the restore that mends it.
    if (await linesRecordStale(store).catch(() => false)) await recordLines(store).catch(() => undefined);
    const after = await listOps(store);
    const expiries = await trashExpiries(store, after);
    const undone = after.find((o) => o.id === op.id) ?? { ...op, state: 'undone' as const };
    return {
      undone: opInfo(undone, after, expiries), restored: op.commits as CommitId[], op: done.undoRecord.id,
      ...(notes.length ? { notes } : {}),
    };
  }, undefined, { ...(opts.signal ? { signal: opts.signal } : {}) });
}

/**
 * Every commit given has a route over the objects on disk: the files came
 * back by rename, so presence is the question (verify hashes). A commit with
 * none (a cleanup between the forget and the undo removed full parameters
 * only the put-back commits needed) is named, with what to run.
 */
async function routeProblems(store: Store, ids: readonly string[]): Promise<string[]> {
  const graph = await HistoryGraph.load(store);
  const out: string[] = [];
  for (const id of new Set(ids)) {
    if (!graph.has(id)) {
      const why = graph.unreadable.get(id);
      out.push(`commit ${id.slice(0, 12)} ${why ? `cannot be read: ${why.message}` : 'is not in the store after the undo'}`);
      continue;
    }
    const manifest = await store.readManifest(id);
    for (const file of manifest.files) {
      const route = await findRoute(store, graph, id, file, { usable: (sha) => graph.objectSize(sha) !== null });
      if (!route) out.push(`commit ${id.slice(0, 12)}: no route over the objects on disk rebuilds ${file.path}; \`weightline repair\` says what can be rebuilt`);
    }
  }
  return out;
}
