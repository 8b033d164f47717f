import * as fs from 'node:fs/promises';
import { WeightlineError } from '../../../src-shared/errors';
import type { CleanupCommit, CleanupPlan, CommitId, KeepReason, KeptCommit, ProgressListener } from '../../../src-shared/model';
import { fsyncDir, sha256File } from '../base/fsutil';
import { allCommits } from '../store/history';
import { linkedObjects } from '../store/links';
import { withWriteLock } from '../store/lock';
import type { Manifest } from '../base/manifest';
import type { Store } from '../store/store';
import { storeBytes } from './inspect';
import * as path from 'node:path';

// Cleanup deletes the full parameters of DELTA commits nobody needs fast, and
// never leaves a commit that cannot be rebuilt: a commit loses its full
// parameters only after its whole delta chain, down to a commit whose full
// parameters stay, has been checked (every delta object present, hash right).
// The preview and the run share this one planner, so they cannot disagree.

export interface CleanupOptions {
  readonly onProgress?: ProgressListener;
  readonly signal?: AbortSignal;
}

interface Plan extends CleanupPlan {
  /** Objects the run deletes. */
  readonly objects: readonly string[];
}

export async function cleanupPlan(store: Store): Promise<CleanupPlan> {
  const { objects: _objects, ...plan } = await planCleanup(store);
  return plan;
}

export async function cleanup(store: Store, opts: CleanupOptions = {}): Promise<CleanupPlan> {
  return withWriteLock(store, 'cleanup', () => cleanupLocked(store, opts));
}

/** For callers that already hold the write lock (a commit with autoCleanup). */
export async function cleanupLocked(store: Store, opts: CleanupOptions = {}): Promise<CleanupPlan> {
  const plan = await planCleanup(store);
  let done = 0;
  const dirs = new Set<string>();
  for (const sha of plan.objects) {
    if (opts.signal?.aborted) break; // what is deleted so far is consistent: each deletion was planned on its own merits
    const p = store.objectPath(sha);
    const size = (await fs.stat(p).catch(() => null))?.size ?? 0;
    await fs.rm(p, { force: true });
    dirs.add(path.dirname(p));
    done += size;
    opts.onProgress?.({ phase: 'cleaning', bytesDone: done, bytesTotal: plan.bytesFreed });
  }
  for (const d of dirs) await fsyncDir(d).catch(() => undefined);
  const { objects: _objects, ...result } = plan;
  return { ...result, storeBytesAfter: await storeBytes(store) };
}

async function planCleanup(store: Store): Promise<Plan> {
  const commits = [...(await allCommits(store))].reverse(); // oldest first
  const byId = new Map<string, Manifest>(commits.map((c) => [c.id, c.manifest]));
  const config = await store.readConfig();
  const pins = await store.readPins();
  const linked = await linkedObjects(store);
  const children = new Map<string, string[]>();
  for (const c of commits) if (c.manifest.parent) children.set(c.manifest.parent, [...(children.get(c.manifest.parent) ?? []), c.id]);

  // The newest keepFullLatest commits of every line of history.
  const tips = commits.filter((c) => !children.has(c.id)).map((c) => c.id);
  const newest = new Set<string>();
  for (const tip of tips) {
    let cur: string | null = tip;
    for (let i = 0; i < config.keepFullLatest && cur; i++) { newest.add(cur); cur = byId.get(cur)?.parent ?? null; }
  }

  const present = new Map<string, number>();
  const objectSize = async (sha: string): Promise<number | null> => {
    if (!present.has(sha)) present.set(sha, (await fs.stat(store.objectPath(sha)).catch(() => null))?.size ?? -1);
    const v = present.get(sha)!;
    return v < 0 ? null : v;
  };
  const hasFull = async (m: Manifest): Promise<boolean> => {
    for (const f of m.files) if ((await objectSize(f.sha256)) === null) return false;
    return true;
  };

  const goodDelta = new Map<string, string | null>(); // delta object → problem, or null when sound
  const checkDelta = async (sha: string): Promise<string | null> => {
    if (!goodDelta.has(sha)) {
      const actual = await sha256File(store.objectPath(sha)).catch(() => null);
      goodDelta.set(sha, actual === null ? `delta object ${sha.slice(0, 12)} is missing` : actual !== sha ? `delta object ${sha.slice(0, 12)} is corrupt` : null);
    }
    return goodDelta.get(sha)!;
  };

  const remainsFull = new Set<string>();
  const pruned: string[] = [];
  const kept: KeptCommit[] = [];

  /** What is wrong with the chain that rebuilds commit id once it loses its full parameters, or null. */
  const chainProblem = async (id: string): Promise<string | null> => {
    for (const file of byId.get(id)!.files) {
      let cur = id;
      let f = file;
      for (;;) {
        const m = byId.get(cur)!;
        if (!f.delta) return `${f.path} in ${cur.slice(0, 12)} has no delta`;
        if (f.delta.object) {
          const problem = await checkDelta(f.delta.object);
          if (problem) return `${f.path} in ${cur.slice(0, 12)}: ${problem}`;
        }
        if (f.delta.basePath === null) break; // a file new in this commit needs no base
        const parentId = m.parent;
        const parent = parentId ? byId.get(parentId) : undefined;
        if (!parentId || !parent) return `${f.path} in ${cur.slice(0, 12)}: its parent commit is missing`;
        const pf = parent.files.find((x) => x.path === f.delta!.basePath);
        if (!pf) return `${f.path} in ${cur.slice(0, 12)}: its parent has no ${f.delta.basePath}`;
        if (remainsFull.has(parentId) && (await objectSize(pf.sha256)) !== null) break;
        cur = parentId;
        f = pf;
      }
    }
    return null;
  };

  for (const { id, manifest } of commits) {
    if (!(await hasFull(manifest))) continue; // nothing to free
    const reasons: KeepReason[] = [];
    if (manifest.type === 'CHECKPOINT') reasons.push('checkpoint');
    if (tips.includes(id)) reasons.push('branch-tip');
    else if (newest.has(id)) reasons.push('newest');
    if (pins.has(id)) reasons.push('pinned');
    if (manifest.files.some((f) => linked.has(f.sha256))) reasons.push('linked');
    if (reasons.length === 0) {
      const problem = await chainProblem(id);
      if (problem) { kept.push({ id: id as CommitId, reasons: ['broken-chain'], detail: problem }); remainsFull.add(id); continue; }
      pruned.push(id);
      continue;
    }
    kept.push({ id: id as CommitId, reasons });
    remainsFull.add(id);
  }

  // An object is freed only if no commit that keeps its full parameters shares it, and no link points to it.
  const needed = new Set<string>();
  for (const id of remainsFull) for (const f of byId.get(id)!.files) needed.add(f.sha256);
  const objects: string[] = [];
  const attributed = new Set<string>();
  const out: CleanupCommit[] = [];
  const logical = (m: Manifest): number => m.files.reduce((s, f) => s + f.bytes, 0);
  const deltaBytes = (m: Manifest): number => m.files.reduce((s, f) => s + (f.delta?.bytes ?? 0), 0);
  const prunedSet = new Set(pruned);
  for (const id of pruned) {
    const m = byId.get(id)!;
    let freed = 0;
    for (const f of m.files) {
      if (needed.has(f.sha256) || linked.has(f.sha256) || attributed.has(f.sha256)) continue;
      attributed.add(f.sha256);
      objects.push(f.sha256);
      freed += (await objectSize(f.sha256)) ?? 0;
    }
    // Restore cost after: replay deltas up to the nearest commit that keeps (or already lost) nothing.
    let chain = 0, read = 0;
    let cur: string | null = id;
    while (cur && (prunedSet.has(cur) || !remainsFull.has(cur))) {
      const cm: Manifest = byId.get(cur)!;
      chain++;
      read += deltaBytes(cm);
      cur = cm.parent;
    }
    if (cur) read += logical(byId.get(cur)!);
    out.push({ id: id as CommitId, bytesFreed: freed, chainBefore: 0, chainAfter: chain, readBytesBefore: logical(m), readBytesAfter: read });
  }
  const before = await storeBytes(store);
  const bytesFreed = out.reduce((s, c) => s + c.bytesFreed, 0);
  if (bytesFreed > before) throw new WeightlineError('CORRUPT', `cleanup planned to free ${bytesFreed} bytes of a store holding ${before}`);
  return { commits: out, kept, bytesFreed, storeBytesBefore: before, storeBytesAfter: before - bytesFreed, objects };
}
