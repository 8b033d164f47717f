import * as fs from 'node:fs/promises';
import { WeightlineError } from '../../../src-shared/errors';
import type { CleanupCommit, CleanupPack, CleanupPlan, CommitId, KeepReason, KeptCommit, ProgressListener } from '../../../src-shared/model';
import { fsyncDir } from '../base/fsutil';
import { findRoute } from '../rebuild/route';
import { HistoryGraph, type GraphCommit } from '../store/graph';
import { linkedObjects, readLinks } from '../store/links';
import { ObjectChecker } from '../store/object-check';
import { withWriteLock } from '../store/lock';
import { keepReasons, keepVerdict, needsDamageCheck } from '../../../src-shared/policy/keep';
import type { Manifest, ManifestFile } from '../base/manifest';
import type { Store, StoreConfig } from '../store/store';
import { storeBytes } from './inspect';
import { measurePacked, packDecodesTo, packFull, packMaxBytes } from './pack';
import { forgetPack } from '../store/packs';
import { PackSizes } from '../store/pack-sizes';
import { quarantineObject, quarantineStamp } from '../store/quarantine';
import * as path from 'node:path';
import { humanBytes } from '../../../src-shared/format';
import { recordSettledOp, settleOps } from '../store/op-recovery';

// Cleanup deletes the full parameters of DELTA commits nobody needs fast, and
// never leaves a commit that cannot be rebuilt: a commit loses its full
// parameters only after its whole delta chain, down to a commit whose full
// parameters stay, has been checked (every delta object present, hash right).
// The preview and the run share this one planner, so they cannot disagree.

export interface CleanupOptions {
  readonly onProgress?: ProgressListener;
  readonly signal?: AbortSignal;
}

interface PackJob {
  readonly id: CommitId;
  /** Files whose raw full object gets a packed form (none that decodes right exists yet). */
  readonly files: readonly ManifestFile[];
  /** Packs on disk that failed their proof (hash or decode): quarantined and forgotten before packing again. */
  readonly badPacks: ReadonlyArray<{ readonly full: string; readonly packed: string }>;
  /** Raw full objects deleted once every file of the commit is packed. */
  readonly deleteRaw: readonly string[];
}

interface Plan extends CleanupPlan {
  /** Objects the run deletes. */
  readonly objects: readonly string[];
  /** CHECKPOINTs the run packs, in order. */
  readonly packJobs: readonly PackJob[];
  /** The objects of `objects` each pruned commit frees (for the operations log's record). */
  readonly objectsOf: ReadonlyMap<CommitId, readonly string[]>;
}

function publicPlan(plan: Plan): CleanupPlan {
  const { objects: _objects, packJobs: _packJobs, objectsOf: _objectsOf, ...rest } = plan;
  return rest;
}

/**
 * What a cleanup would do, exactly: the packed size of every CHECKPOINT it
 * packs is measured by encoding every block (ops/pack.ts, measurePacked;
 * remembered per full object in pack-sizes.json), so the preview states what
 * the run frees. Progress is reported while measuring; `signal` cancels.
 */
export async function cleanupPlan(store: Store, opts: CleanupOptions = {}): Promise<CleanupPlan> {
  return publicPlan(await planCleanup(store, {}, { ...opts, measure: true }));
}

/**
 * The plan a cleanup would make if the store's settings were changed by
 * `override` (the app's settings pane previews a change before saving it).
 * Reads only; the same planner as the run, so preview and run cannot disagree.
 */
export async function cleanupPlanWith(store: Store, override: Partial<Pick<StoreConfig, 'keepFullLatest'>>, opts: CleanupOptions = {}): Promise<CleanupPlan> {
  return publicPlan(await planCleanup(store, override, { ...opts, measure: true }));
}

export async function cleanup(store: Store, opts: CleanupOptions = {}): Promise<CleanupPlan> {
  return withWriteLock(store, 'cleanup', (signal) => cleanupLocked(store, { ...opts, signal }), undefined, { signal: opts.signal });
}

/** For callers that already hold the write lock (a commit with autoCleanup). */
export async function cleanupLocked(store: Store, opts: CleanupOptions = {}): Promise<CleanupPlan> {
  // An interrupted forget or undo is finished first, and trash whose time is up emptied (store/op-recovery.ts).
  await settleOps(store);
  const startedAt = new Date();
  // The run does not measure ahead: packing itself says what a pack costs
  // (and whether it is worth keeping), by the same deterministic encoding.
  const plan = await planCleanup(store, {}, { signal: opts.signal, measure: false });
  const sizes = await PackSizes.load(store);
  const stamp = quarantineStamp();
  const total = plan.bytesFreed + plan.packs.reduce((s, p) => s + p.rawBytes, 0);
  let done = 0;
  const dirs = new Set<string>();
  const remove = async (sha: string): Promise<void> => {
    const p = store.objectPath(sha);
    const size = (await fs.stat(p).catch(() => null))?.size ?? 0;
    await fs.rm(p, { force: true });
    dirs.add(path.dirname(p));
    done += size;
    opts.onProgress?.({ phase: 'cleaning', bytesDone: done, bytesTotal: total });
  };
  const cancelled = (): WeightlineError => new WeightlineError('CANCELLED', `cleanup was cancelled after ${done} of ${total} bytes; every version is still restorable; run cleanup again to finish`);
  // Packs first: a raw object goes only once its packed form is in the store,
  // decoded and hash-checked (packFull). The deletions below were proved
  // against routes that may start at these CHECKPOINTs, raw or packed.
  const packs: CleanupPack[] = [];
  for (const job of plan.packJobs) {
    if (opts.signal?.aborted) break;
    let packedBytes = 0;
    let worth = true;
    try {
      // A pack beside its raw copy that failed its proof (a flipped bit, a
      // wrong table): set aside, never trusted to replace the raw copy.
      for (const { full, packed } of job.badPacks) {
        if (await store.hasObject(packed)) await quarantineObject(store, packed, stamp);
        await forgetPack(store, full, packed);
      }
      for (const f of job.files) {
        const packed = await packFull(store, f, { ...(opts.signal ? { signal: opts.signal } : {}), maxBytes: packMaxBytes(f.bytes) });
        if (!packed) { worth = false; break; }
        sizes.set(f.sha256, { bytes: packed.bytes, sha256: packed.object });
        // An intact object of that name was already there (adopting it added nothing).
        if (packed.added) packedBytes += packed.bytes;
      }
    } catch (e) {
      if ((e as WeightlineError).code === 'CANCELLED') break;
      // No room for the packed copy (the disk a cleanup is run to free): the raw objects stay, the deletions below still run.
      if ((e as WeightlineError).code === 'DISK_FULL') continue;
      throw e;
    }
    // Incompressible: the raw objects stay.
    if (!worth) continue;
    for (const sha of job.deleteRaw) await remove(sha);
    const estimate = plan.packs.find((p) => p.id === job.id);
    packs.push({ id: job.id, rawBytes: estimate?.rawBytes ?? 0, packedBytes });
  }
  const deleted = new Set<string>();
  const before = done;
  for (const sha of plan.objects) {
    if (opts.signal?.aborted) break; // what is deleted so far is consistent: each deletion was planned on its own merits
    await remove(sha);
    deleted.add(sha);
  }
  for (const d of dirs) await fsyncDir(d).catch(() => undefined);
  await sizes.save();
  await recordCleanup(store, startedAt, plan, deleted, done - before, packs, !!opts.signal?.aborted);
  if (opts.signal?.aborted) throw cancelled();
  const after = await storeBytes(store);
  return { ...publicPlan(plan), packs, bytesPackSaved: packs.reduce((s, p) => s + p.rawBytes - p.packedBytes, 0), storeBytesAfter: after };
}

/**
 * The operations log's record of a cleanup that deleted or packed something
 * (kind `cleanup`, never undoable: every version still restores from the
 * routes it kept). Written after the work, and only then.
 */
async function recordCleanup(store: Store, startedAt: Date, plan: Plan, deleted: ReadonlySet<string>, deletedBytes: number, packs: readonly CleanupPack[], cancelled: boolean): Promise<void> {
  if (deleted.size === 0 && packs.length === 0) return;
  const pruned = plan.commits.filter((c) => plan.objectsOf.get(c.id)?.some((sha) => deleted.has(sha))).map((c) => c.id);
  const saved = packs.reduce((s, p) => s + p.rawBytes - p.packedBytes, 0);
  const parts = [
    ...(pruned.length ? [`deleted the full parameters of ${pruned.length} commit(s) (${humanBytes(deletedBytes)})`] : []),
    ...(packs.length ? [`packed ${packs.length} CHECKPOINT(s) (${humanBytes(saved)} saved)`] : []),
  ];
  const summary = `${parts.join(' and ') || 'freed nothing'}${cancelled ? ', then was cancelled' : ''}; every version still restores from the routes it kept`;
  await recordSettledOp(store, 'cleanup', startedAt, summary, [...pruned, ...packs.map((p) => p.id)], deletedBytes + saved);
}

interface PlanOptions extends CleanupOptions {
  /** Measure the packs the plan makes (a preview); the run lets packing measure them. */
  readonly measure: boolean;
}

async function planCleanup(store: Store, override: Partial<Pick<StoreConfig, 'keepFullLatest'>>, opts: PlanOptions): Promise<Plan> {
  // Refuse to act on damaged settings, pins or links (each reader throws
  // CORRUPT naming its file): guessing there is how pinned or linked full
  // parameters would be deleted.
  const config = { ...(await store.readConfig()), ...override };
  await store.readHead();
  const pins = await store.readPins();
  const linkTable = await readLinks(store);
  const linked = await linkedObjects(store);
  const graph = await HistoryGraph.load(store);
  // Which raw copies have a pack is unknown: packing again would write beside packs it cannot see.
  if (graph.packIndexDamage) throw graph.packIndexDamage;
  if (graph.unreadable.size > 0) {
    // Its objects are unknown: deleting anything could take bytes it (or a commit rebuilt through it) needs.
    const [id, e] = [...graph.unreadable][0]!;
    throw new WeightlineError('CORRUPT', `cleanup will not delete anything while a commit cannot be read (${graph.unreadable.size} cannot; ${id.slice(0, 12)}: ${e.message}). "weightline repair" moves damaged commits into quarantine and says what they cost; then run cleanup again`);
  }
  // Objects a restore linked somewhere are hashed every time, never trusted from the cache.
  const checker = await ObjectChecker.load(store, new Set(Object.values(linkTable).map((r) => r.sha256)));
  const sizes = await PackSizes.load(store);
  try {
    return await planWith(store, graph, config.keepFullLatest, pins, linked, checker, { ...opts, sizes });
  } finally {
    await checker.save();
    await sizes.save();
  }
}

async function planWith(
  store: Store, graph: HistoryGraph, keepFullLatest: number, pins: ReadonlySet<string>,
  linked: ReadonlyMap<string, string[]>, checker: ObjectChecker, opts: PlanOptions & { readonly sizes: PackSizes },
): Promise<Plan> {
  const oldestFirst = [...graph.commits].reverse();
  // Which commits keep their raw full parameters, and why: the policy's rule
  // (src-shared/policy/keep.ts), the one the status line's estimate applies.
  const reasonsOf = keepReasons(graph.commits.map((c) => ({
    id: c.id, parent: c.parent, type: c.type, hasRawFull: graph.hasRawFull(c.id),
    pinned: pins.has(c.id), linked: c.files.some((f) => linked.has(f.sha256)),
  })), { keepFullLatest });
  // Full objects and delta objects share one namespace: an object some commit
  // names as its delta is never deleted as anyone's full parameters.
  const deltaObjects = graph.deltaObjects();

  const kept: KeptCommit[] = [];
  const candidates = new Set<CommitId>();
  // CHECKPOINTs out of the hot set: their full parameters stay, packed.
  const packing = new Set<CommitId>();
  for (const c of oldestFirst) {
    const reasons: readonly KeepReason[] | undefined = reasonsOf.get(c.id);
    if (!reasons) continue; // no raw full parameters: nothing to free
    // Hashed only where the verdict depends on it: a candidate, or a CHECKPOINT about to be packed.
    const damaged = [];
    if (needsDamageCheck(reasons)) {
      for (const f of c.files) if ((await checker.state(f.sha256)) === 'damaged') damaged.push(f);
    }
    const v = keepVerdict(reasons, damaged.length > 0);
    if (v.verdict === 'prune') { candidates.add(c.id); continue; }
    if (v.verdict === 'pack') packing.add(c.id);
    kept.push(v.reasons.includes('broken-chain')
      ? { id: c.id, reasons: v.reasons, detail: `its full parameters are damaged (${damaged.map((f) => `${f.path}: object ${f.sha256.slice(0, 12)}`).join(', ')}); run "weightline repair"` }
      : { id: c.id, reasons: v.reasons });
  }

  // Prove, from the bytes on disk now, that every commit keeps a route whose
  // objects all hash to their names once the candidates' full objects are
  // gone. A commit that had such a route before and would have none after
  // keeps the full parameters its old route started from; then prove again.
  const manifests = new Map<string, Manifest>();
  const manifest = async (id: string): Promise<Manifest | null> => {
    if (!manifests.has(id)) manifests.set(id, await store.readManifest(id).catch(() => null as unknown as Manifest));
    return manifests.get(id) ?? null;
  };
  const owners = (sha: string): CommitId[] => [...candidates].filter((id) => graph.get(id)!.files.some((f) => f.sha256 === sha));
  for (;;) {
    const deleting = deletable(graph, candidates, linked, deltaObjects);
    let changed = false;
    for (const c of oldestFirst) {
      const m = await manifest(c.id);
      if (!m) continue; // an unreadable manifest: verify reports it; its objects are not ours to judge
      for (const file of m.files) {
        // After: the usual kind of route (its own full parameters, or deltas
        // forward from an ancestor's). A commit whose own delta is damaged keeps
        // its full parameters rather than hang on a backward route through others.
        const after = await findRoute(store, graph, c.id, file, { usable: async (sha) => !deleting.has(sha) && (await checker.intact(sha)), allowBackward: false });
        if (after) continue;
        const before = await findRoute(store, graph, c.id, file, { usable: (sha) => checker.intact(sha) });
        if (!before) continue; // already beyond rebuilding: cleanup changes nothing for it (repair reports it)
        const keepNow = before.objects.filter((o) => deleting.has(o)).flatMap(owners);
        if (keepNow.length === 0) continue;
        for (const id of new Set(keepNow)) {
          candidates.delete(id);
          kept.push({ id, reasons: ['broken-chain'], detail: id === c.id
            ? `without its full parameters ${file.path} would have no intact route (${await describeFailure(store, graph, checker, c.id, file)})`
            : `${file.path} of ${c.id.slice(0, 12)} would have no intact route without them` });
        }
        changed = true;
        break;
      }
      if (changed) break;
    }
    if (!changed) break;
  }

  const deleting = deletable(graph, candidates, linked, deltaObjects);
  // Raw objects the packed CHECKPOINTs let go: those no commit that stays raw
  // needs, no link points to, and no manifest names as a delta.
  const keepsRaw = (id: CommitId): boolean => graph.hasRawFull(id) && !candidates.has(id) && !packing.has(id);
  const rawNeeded = new Set<string>();
  for (const c of graph.commits) if (keepsRaw(c.id)) for (const f of c.files) rawNeeded.add(f.sha256);
  const packJobs: PackJob[] = [];
  const packs: CleanupPack[] = [];
  const measuring = packMeasurer(store, graph, packing, opts);
  const releasing = new Set<string>();
  for (const c of oldestFirst) {
    if (!packing.has(c.id)) continue;
    const m = await manifest(c.id);
    if (!m) continue;
    const deleteRaw = m.files.map((f) => f.sha256).filter((sha) => !rawNeeded.has(sha) && !linked.has(sha) && !deltaObjects.has(sha) && !deleting.has(sha) && !releasing.has(sha));
    if (deleteRaw.length === 0) continue;
    deleteRaw.forEach((sha) => releasing.add(sha));
    const proof = await provePacks(store, graph, checker, m.files.filter((f) => deleteRaw.includes(f.sha256)), opts);
    let rawBytes = 0, packedBytes = 0;
    for (const sha of deleteRaw) rawBytes += graph.objectSize(sha) ?? 0;
    let worth = true;
    for (const f of proof.files) {
      const measured = opts.sizes.get(f.sha256) ?? (opts.measure ? await measuring.measure(f) : null);
      if (!measured) continue; // the run: packing measures it
      opts.sizes.set(f.sha256, measured);
      if (measured.bytes >= packMaxBytes(f.bytes)) worth = false;
      // Adopting a packed object whose intact twin is already on disk adds nothing.
      if (!(await checker.intact(measured.sha256))) packedBytes += measured.bytes;
    }
    // Incompressible parameters stay raw: a pack would cost a decode on every restore and save nothing.
    if (!worth) { deleteRaw.forEach((sha) => releasing.delete(sha)); continue; }
    packJobs.push({ id: c.id, files: proof.files, badPacks: proof.bad, deleteRaw });
    packs.push({ id: c.id, rawBytes, packedBytes });
  }
  const objects: string[] = [];
  const objectsOf = new Map<CommitId, string[]>();
  const attributed = new Set<string>();
  const out: CleanupCommit[] = [];
  const logical = (c: GraphCommit): number => c.files.reduce((s, f) => s + f.bytes, 0);
  const deltaBytes = (c: GraphCommit): number => c.files.reduce((s, f) => s + f.deltaBytes, 0);
  const remainsFull = (id: string): boolean => graph.hasFull(id) && !candidates.has(id as CommitId);
  for (const c of oldestFirst) {
    if (!candidates.has(c.id)) continue;
    let freed = 0;
    for (const f of c.files) {
      if (!deleting.has(f.sha256) || attributed.has(f.sha256)) continue;
      attributed.add(f.sha256);
      objects.push(f.sha256);
      objectsOf.set(c.id, [...(objectsOf.get(c.id) ?? []), f.sha256]);
      freed += graph.objectSize(f.sha256) ?? 0;
    }
    // Restore cost after: replay deltas up to the nearest commit that keeps its full parameters.
    let chain = 0, read = 0;
    let cur: string | null = c.id;
    while (cur && graph.has(cur) && !remainsFull(cur)) {
      const g: GraphCommit = graph.get(cur)!;
      chain++;
      read += deltaBytes(g);
      cur = g.parent;
    }
    if (cur && graph.has(cur)) read += logical(graph.get(cur)!);
    out.push({ id: c.id, bytesFreed: freed, chainBefore: 0, chainAfter: chain, readBytesBefore: logical(c), readBytesAfter: read });
  }
  const before = await storeBytes(store);
  const bytesFreed = out.reduce((s, c) => s + c.bytesFreed, 0);
  if (bytesFreed > before) throw new WeightlineError('CORRUPT', `cleanup planned to free ${bytesFreed} bytes of a store holding ${before}`);
  const bytesPackSaved = packs.reduce((s, p) => s + p.rawBytes - p.packedBytes, 0);
  return {
    commits: out,
    kept: kept.sort((a, b) => graph.commits.findIndex((c) => c.id === b.id) - graph.commits.findIndex((c) => c.id === a.id)),
    bytesFreed, packs, bytesPackSaved,
    storeBytesBefore: before, storeBytesAfter: before - bytesFreed - bytesPackSaved, objects, packJobs, objectsOf,
  };
}

/** Full objects the candidates' pruning deletes: those no remaining commit, link or delta needs. */
function deletable(graph: HistoryGraph, candidates: ReadonlySet<string>, linked: ReadonlyMap<string, string[]>, deltaObjects: ReadonlySet<string>): Set<string> {
  const needed = new Set<string>();
  for (const c of graph.commits) if (!candidates.has(c.id) && graph.hasFull(c.id)) for (const f of c.files) needed.add(f.sha256);
  const out = new Set<string>();
  for (const id of candidates) {
    for (const f of graph.get(id)!.files) {
      if (!needed.has(f.sha256) && !linked.has(f.sha256) && !deltaObjects.has(f.sha256)) out.add(f.sha256);
    }
  }
  return out;
}

/** Why the forward route of a file fails: the first object up its chain that is corrupt or missing. */
async function describeFailure(store: Store, graph: HistoryGraph, checker: ObjectChecker, id: string, file: ManifestFile): Promise<string> {
  let cur = id;
  let f = file;
  for (;;) {
    if (!f.delta) return `${f.path} in ${cur.slice(0, 12)} has no delta`;
    if (f.delta.object) {
      const st = await checker.state(f.delta.object);
      if (st !== 'intact') return `the delta object of ${f.path} in ${cur.slice(0, 12)} is ${st === 'damaged' ? 'corrupt' : 'missing'}`;
    }
    if (f.delta.basePath === null) return 'its chain is intact, yet no route was found';
    const parentId = graph.get(cur)?.parent;
    const parent = parentId ? await store.readManifest(parentId).catch(() => null) : null;
    const pf = parent?.files.find((x) => x.path === f.delta!.basePath);
    if (!parentId || !pf) return `the parent of ${cur.slice(0, 12)} or its ${f.delta.basePath} cannot be read`;
    if (graph.objectSize(pf.sha256) !== null) {
      const st = await checker.state(pf.sha256);
      if (st === 'damaged') return `the full parameters it is rebuilt from (${pf.path} in ${parentId.slice(0, 12)}) are corrupt`;
    }
    cur = parentId;
    f = pf;
  }
}

/**
 * Proves the packs that would replace raw copies: an existing packed object
 * counts only if it hashes to its name and decodes to the full object's bytes
 * (a pinned-then-unpinned CHECKPOINT has its raw copy back beside the pack,
 * and the pack may have been damaged meanwhile; a crash between recording a
 * pack and deleting the raw copy leaves the same state). Files with no proven
 * pack are packed again; failed packs are listed for quarantine.
 */
async function provePacks(
  store: Store, graph: HistoryGraph, checker: ObjectChecker, files: readonly ManifestFile[], opts: CleanupOptions,
): Promise<{ files: ManifestFile[]; bad: Array<{ full: string; packed: string }> }> {
  const out: ManifestFile[] = [];
  const bad: Array<{ full: string; packed: string }> = [];
  const seen = new Set<string>();
  for (const f of files) {
    if (seen.has(f.sha256)) continue;
    seen.add(f.sha256);
    const packed = graph.packedObject(f.sha256);
    if (packed && (await checker.intact(packed)) && (await packDecodesTo(store, packed, f, opts.signal))) continue;
    if (packed) bad.push({ full: f.sha256, packed });
    out.push(f);
  }
  return { files: out, bad };
}

/** Measures packs for a preview, reporting progress over every raw byte it will encode. */
function packMeasurer(store: Store, graph: HistoryGraph, packing: ReadonlySet<CommitId>, opts: PlanOptions & { readonly sizes: PackSizes }): { measure: (f: ManifestFile) => Promise<{ bytes: number; sha256: string }> } {
  // An upper bound of the work: every raw full object of a CHECKPOINT being packed that is not measured yet.
  const pending = new Set<string>();
  for (const id of packing) for (const f of graph.get(id)?.files ?? []) if (!opts.sizes.get(f.sha256)) pending.add(`${f.sha256}:${f.bytes}`);
  const total = [...pending].reduce((s, k) => s + Number(k.split(':')[1]), 0);
  let done = 0;
  return {
    measure: async (f) => {
      const onBytes = (n: number): void => { done += n; opts.onProgress?.({ phase: 'measuring packs', bytesDone: done, bytesTotal: Math.max(total, done) }); };
      try {
        return await measurePacked(store, f, { onBytes, ...(opts.signal ? { signal: opts.signal } : {}) });
      } catch (e) {
        if ((e as WeightlineError).code === 'CANCELLED') throw new WeightlineError('CANCELLED', 'the cleanup preview was cancelled; nothing was changed');
        throw e;
      }
    },
  };
}
