import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { WeightlineError } from '../../../src-shared/errors';
import { humanBytes } from '../../../src-shared/format';
import type { CommitId, ForgetCommit, ForgetPlan, ProgressListener } from '../../../src-shared/model';
import {
  applyRetention, isEmptyPolicy, policyText, retentionReasonText, type RetentionCommit, type RetentionPolicy,
} from '../../../src-shared/policy/retention';
import { pausePoint } from '../base/test-pause';
import { errorPath, fsyncDir, mapFsError, writeFileAtomic } from '../base/fsutil';
import type { FileSource } from '../base/file-source';
import { tensorRegions, type FileDelta, type Manifest, type ManifestFile } from '../base/manifest';
import { DeltaWriter } from '../codec/delta-writer';
import { encodeFile } from '../codec/encode-file';
import { DELTA_ENCODING } from '../codec/encoding';
import { fileLabel, readVersion } from '../rebuild/open';
import { findRoute, openRoute, type Route } from '../rebuild/route';
import { graphCommitOf, HistoryGraph, newestFirst, objectSizesWithPacks } from '../store/graph';
import { resolveCommit, tagNamesByCommit } from '../store/history';
import { readLinks } from '../store/links';
import { withWriteLock } from '../store/lock';
import { readPacksOrDamage } from '../store/packs';
import { migrateForForget, routeRecordPath, writeRouteRecord, type RouteRecord } from '../store/routes';
import { readRetentionFile, readTipsFile, tipsFileContent } from '../store/store-files';
import type { Store } from '../store/store';
import { summaryLine } from '../store/tips';
import { purgeOpTrash, putBack, settleOps } from '../store/op-recovery';
import { listOps, moveIntoTrash, newOpId, opRecordPath, writeOp, type OpMove, type OpRecord } from '../store/trash';
import { storeBytes } from './inspect';

// Forgetting versions (docs/STORE-FORMAT.md, "Forget"). The retention rule
// (src-shared/policy/retention.ts) says which commits go; this file makes it
// safe: every kept commit whose delta was based on a forgotten one is encoded
// again against its nearest kept ancestor (or stored whole, a CHECKPOINT, when
// it has none) and given a route record; the new routes are proved by
// rebuilding and hashing every re-based file through a history that no longer
// holds the forgotten commits; only then is anything moved, into the trash,
// by renames listed beforehand in an operation record (store/trash.ts). The
// preview runs the same planner and encodes every re-based delta too (hashing
// only), so the bytes it states are the run's to the byte.

export interface ForgetOptions {
  readonly policy?: RetentionPolicy | undefined;
  readonly refs?: readonly string[] | undefined;
  readonly dryRun: boolean;
  readonly onProgress?: ProgressListener | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** A new object a re-based route needs (a delta, or a new CHECKPOINT's full object). */
interface NewObject {
  readonly sha: string;
  readonly bytes: number;
  /** The run's temp file holding it until it is adopted; null in a preview, or when the store holds it already. */
  readonly temp: string | null;
}

/** One kept commit whose delta base is forgotten. */
interface Rebase {
  readonly id: CommitId;
  /** Its nearest kept ancestor, null when it has none (it becomes a CHECKPOINT). */
  readonly onto: CommitId | null;
  readonly record: RouteRecord;
  /** Bytes of the record file as written (JSON + newline). */
  readonly recordBytes: number;
  /** Whether it has a route record now (an earlier forget's), which moves to the trash. */
  readonly hadRecord: boolean;
  readonly objects: readonly NewObject[];
  /** What its new storage holds: its deltas' bytes, or (a CHECKPOINT) its full parameters' (bytesAdded counts only those not in the store already). */
  readonly bytes: number;
}

interface Plan {
  readonly commits: ForgetCommit[];
  readonly forgotten: readonly CommitId[];
  readonly rebases: readonly Rebase[];
  /** Moves into the trash after the proof (old route records of re-based commits excluded: they move first). */
  readonly moves: readonly OpMove[];
  /** The old route records of re-based commits, moved before the new ones are written. */
  readonly routeMoves: readonly OpMove[];
  /** Objects the run adds that the store does not hold yet. */
  readonly created: readonly string[];
  readonly bytesRemoved: number;
  readonly bytesAdded: number;
  readonly storeBytesBefore: number;
  readonly policy: string;
  /** Every kept commit. */
  readonly kept: ReadonlySet<string>;
}

/** The figures every door shows, from the internal plan. */
function publicPlan(plan: Plan, dryRun: boolean, extra: { op?: string; trashUntil?: string } = {}): ForgetPlan {
  const bytesFreed = plan.bytesRemoved - plan.bytesAdded;
  return {
    commits: plan.commits,
    forgotten: plan.forgotten.length,
    kept: plan.commits.length - plan.forgotten.length,
    bytesRemoved: plan.bytesRemoved,
    bytesAdded: plan.bytesAdded,
    bytesFreed,
    storeBytesBefore: plan.storeBytesBefore,
    storeBytesAfter: plan.storeBytesBefore - bytesFreed,
    policy: plan.policy,
    dryRun,
    ...extra,
  };
}

/**
 * Applies a retention policy (or forgets the commits named) and says what
 * went, or, with dryRun, exactly what would: the same planner encodes every
 * re-based delta in both, so the preview's bytes are the run's.
 */
export async function forgetVersions(store: Store, opts: ForgetOptions): Promise<ForgetPlan> {
  // A full disk (or a read-only one) met anywhere below, a temp file of a rebuilt version, an encoded delta, a
  // record, is an expected failure that names its file, as in every other writer; the steps put back what they did.
  return forgetOrPreview(store, opts).catch((e: unknown) => { throw mapFsError(e, errorPath(e, store.dir)); });
}

async function forgetOrPreview(store: Store, opts: ForgetOptions): Promise<ForgetPlan> {
  if (opts.dryRun) {
    // A forget or undo left half done is finished by the next writer, which the preview is not: what it would plan on is not what the run will see.
    const pending = (await listOps(store)).find((o) => o.state === 'planned' || o.state === 'moving' || o.state === 'undoing');
    if (pending) {
      throw new WeightlineError('REFUSED', `a ${pending.kind} (operation ${pending.id}, state ${pending.state}) is running or was interrupted; its writer, or the next command that writes to the store, finishes it: preview again after that`, opRecordPath(store, pending.id));
    }
    const plan = await planForget(store, opts, false);
    return publicPlan(plan, true);
  }
  return withWriteLock(store, 'forget', (signal) => forgetVersionsLocked(store, { ...opts, dryRun: false, signal }), undefined, { signal: opts.signal });
}

/**
 * The run, for a caller that holds the write lock already (a commit that
 * makes room under autoForget): settles interrupted operations, then forgets.
 */
export async function forgetVersionsLocked(store: Store, opts: ForgetOptions & { readonly signal: AbortSignal }): Promise<ForgetPlan> {
  // An interrupted forget or undo is finished (or rolled back) first, and trash whose time is up emptied: the plan sees the store as it stands.
  await settleOps(store);
  const plan = await planForget(store, opts, true);
  if (plan.forgotten.length === 0) return publicPlan(plan, false);
  const temps = plan.rebases.flatMap((r) => r.objects.map((o) => o.temp).filter((t): t is string => t !== null));
  let op: OpRecord;
  try {
    if (opts.signal.aborted) throw cancelled('nothing was changed');
    await migrateForForget(store.dir);
    const config = await store.readConfig();
    const now = new Date();
    op = {
      version: 1,
      id: newOpId(now),
      kind: 'forget',
      startedAt: now.toISOString(),
      state: 'planned',
      summary: summaryOf(plan),
      commits: [...plan.forgotten],
      // A count in the record: a forget whose re-based routes cost more than what goes frees nothing (the summary says how much it grows).
      bytes: Math.max(0, plan.bytesRemoved - plan.bytesAdded),
      moves: [...plan.routeMoves, ...plan.moves],
      rebased: Object.fromEntries(plan.rebases.map((r) => [r.id, r.hadRecord])),
      created: [...plan.created],
      trashUntil: new Date(now.getTime() + config.trashDays * 86_400_000).toISOString(),
    };
    await writeOp(store, op);
  } catch (e) {
    for (const t of temps) await fs.rm(t, { force: true }).catch(() => undefined);
    throw e;
  }
  await pausePoint('forget.planned', opts.signal);

  // From here until the proof, everything is undone by rollBack (and by
  // recoverOps after a crash: the record says `planned`).
  try {
    opts.onProgress?.({ phase: 'writing routes', bytesDone: 0, bytesTotal: 0 });
    await moveIntoTrash(store, op, plan.routeMoves);
    for (const r of plan.rebases) {
      for (const o of r.objects) if (o.temp) await store.adoptObject(o.temp, o.sha);
      await writeRouteRecord(store.dir, r.record);
    }
    await fsyncDir(path.join(store.dir, 'routes')).catch(() => undefined);
    await pausePoint('forget.routes-written', opts.signal);
    await proveRoutes(store, plan, opts);
  } catch (e) {
    for (const t of temps) await fs.rm(t, { force: true }).catch(() => undefined);
    const cancel = e instanceof WeightlineError && e.code === 'CANCELLED';
    await rollBack(store, op, cancel ? 'cancelled' : e instanceof Error ? e.message.slice(0, 500) : String(e));
    if (e instanceof WeightlineError && e.code === 'CANCELLED') throw cancelled('nothing was changed (the re-based routes written so far were taken back)');
    throw e;
  }

  op = { ...op, state: 'moving' };
  await writeOp(store, op);
  await pausePoint('forget.moving', opts.signal);
  opts.onProgress?.({ phase: 'moving to the trash', bytesDone: 0, bytesTotal: plan.bytesRemoved });
  // Past the proof the forget finishes whatever a signal says: stopping now would leave a half-moved history for recovery to finish anyway.
  await moveIntoTrash(store, op, plan.moves);
  const finished = new Date();
  // The trash's days count from when the forget finished (as the purge reads them).
  op = { ...op, state: 'done', finishedAt: finished.toISOString(), trashUntil: new Date(finished.getTime() + (await store.readConfig()).trashDays * 86_400_000).toISOString() };
  await writeOp(store, op);
  await dropForgottenTips(store, new Set(plan.forgotten));
  const config = await store.readConfig();
  if (config.trashDays === 0) {
    // trashDays 0: the space comes back at once, and the forget can no longer be undone.
    op = (await purgeOpTrash(store, op, 'trashDays is 0: emptied as soon as the forget was done')).record;
  }
  opts.onProgress?.({ phase: 'moving to the trash', bytesDone: plan.bytesRemoved, bytesTotal: plan.bytesRemoved });
  return publicPlan(plan, false, { op: op.id, ...(op.purgedAt ? {} : { trashUntil: op.trashUntil! }) });
}

/** A version a forget must re-base does not read: nothing was changed, and the reason says which. */
function cannotRebase(e: unknown, what: string): unknown {
  if (!(e instanceof WeightlineError) || (e.code !== 'CORRUPT' && e.code !== 'BROKEN_CHAIN')) return e;
  return new WeightlineError(e.code, `forget changed nothing: ${what}: ${e.message}`, e.file);
}

function cancelled(what: string): WeightlineError {
  return new WeightlineError('CANCELLED', `forget was cancelled; ${what}`);
}

function summaryOf(plan: Plan): string {
  const rebased = plan.rebases.length;
  const freed = plan.bytesRemoved - plan.bytesAdded;
  const what = freed >= 0 ? `${humanBytes(freed)} (${freed} bytes) freed once the trash is emptied` : `the store grows by ${humanBytes(-freed)} (${-freed} bytes: the re-based routes cost more than what went)`;
  return `forgot ${plan.forgotten.length} version(s) (${plan.policy})${rebased ? `, re-based ${rebased} kept version(s)` : ''}; ${what}`;
}

/**
 * Takes back what a forget in state `planned` did, as recovery would
 * (store/op-recovery.ts putBack): the old route records come back over the
 * new ones, records of commits that had none go, and the objects it created
 * (nothing names them now) go. The record stays, `undone`, saying why.
 */
async function rollBack(store: Store, op: OpRecord, why: string): Promise<void> {
  await putBack(store, op);
  await writeOp(store, { ...op, state: 'undone', finishedAt: new Date().toISOString(), summary: `a forget of ${op.commits.length} version(s) stopped before it removed anything (${why}); put back` });
}

/** tips.json without entries naming a forgotten commit (the line's rule then finds its tip from the history). */
async function dropForgottenTips(store: Store, forgotten: ReadonlySet<string>): Promise<void> {
  const tips = await readTipsFile(store.dir);
  if (!tips) return;
  const entries = Object.entries(tips.paths);
  const kept = entries.filter(([, id]) => !forgotten.has(id));
  if (kept.length === entries.length) return;
  await writeFileAtomic(path.join(store.dir, 'tips.json'), tipsFileContent(new Map(kept)));
}

// ---- planning ----

/** Which commits go: the policy's verdicts, or the commits named (refs and A..B ranges). */
async function verdicts(store: Store, opts: ForgetOptions, commits: readonly RetentionCommit[], parents: ReadonlyMap<string, string | null>): Promise<{ decisions: ReturnType<typeof applyRetention>; policy: string }> {
  const refs = opts.refs ?? [];
  if (opts.policy && refs.length > 0) {
    throw new WeightlineError('BAD_USAGE', `forget takes a policy (--keep-…) or commits to forget by name, not both; found ${policyText(opts.policy) || 'a policy'} and ${refs.join(' ')}`);
  }
  if (refs.length > 0) {
    const named = new Set<string>();
    for (const ref of refs) for (const id of await resolveRefOrRange(store, ref, parents)) named.add(id);
    return { decisions: applyRetention(commits, {}, named), policy: refs.join(' ') };
  }
  let policy = opts.policy;
  if (!policy) {
    policy = await readRetentionFile(store.dir);
    if (!policy) {
      throw new WeightlineError('BAD_USAGE', 'forget needs a policy and this store has none stored: give one (`weightline forget --keep-last 3 --keep-best 3:eval_loss:min`), store one with --save, or name the commits to forget (`weightline forget A..B`)');
    }
  }
  if (isEmptyPolicy(policy)) {
    // restic refuses too: an empty policy would keep only what is always kept, forgetting nearly everything.
    throw new WeightlineError('BAD_USAGE', 'forget refuses an empty policy (it would forget every version that is not HEAD, pinned, linked, tagged or a branch tip); give at least one of --keep-last, --keep-best, --keep-every, --keep-within, --keep-tag, or name the commits to forget');
  }
  return { decisions: applyRetention(commits, policy), policy: policyText(policy) };
}

/** A ref, or a range `A..B` (git's: commits reachable from B by parents, not from A; B included; an empty side is HEAD). */
async function resolveRefOrRange(store: Store, ref: string, parents: ReadonlyMap<string, string | null>): Promise<string[]> {
  const at = ref.indexOf('..');
  if (at < 0) return [await resolveCommit(store, ref)];
  const [a, b] = [ref.slice(0, at) || 'HEAD', ref.slice(at + 2) || 'HEAD'];
  if (b.includes('..')) throw new WeightlineError('BAD_USAGE', `expected a range A..B (two refs), found "${ref}"`);
  const from = await resolveCommit(store, a);
  const to = await resolveCommit(store, b);
  const excluded = new Set<string>();
  for (let cur: string | null = from; cur && !excluded.has(cur); cur = parents.get(cur) ?? null) excluded.add(cur);
  const out: string[] = [];
  const seen = new Set<string>();
  for (let cur: string | null = to; cur && !excluded.has(cur) && !seen.has(cur); cur = parents.get(cur) ?? null) { seen.add(cur); out.push(cur); }
  return out;
}

async function planForget(store: Store, opts: ForgetOptions, write: boolean): Promise<Plan> {
  const signal = opts.signal;
  opts.onProgress?.({ phase: 'planning', bytesDone: 0, bytesTotal: 0 });
  // Refuse on damaged HEAD, pins, links or tags (each reader throws CORRUPT naming its file): guessing there is how a protected commit would go.
  const head = await store.readHead();
  const pins = await store.readPins();
  const links = await readLinks(store);
  const tags = await tagNamesByCommit(store);
  // Every route record is read (a damaged one is CORRUPT naming it) before any manifest.
  const records = await store.routeRecords();
  const graph = await HistoryGraph.load(store);
  if (graph.unreadable.size > 0) {
    const [id, e] = [...graph.unreadable][0]!;
    if (e instanceof WeightlineError) throw e;
    throw new WeightlineError('CORRUPT', `forget will not change the history while a commit cannot be read (${graph.unreadable.size} cannot; ${id.slice(0, 12)}: ${e.message}); run "weightline verify"`);
  }
  if (graph.packIndexDamage) throw graph.packIndexDamage;
  const manifests = new Map<string, Manifest>();
  for (const c of graph.commits) manifests.set(c.id, await store.readManifest(c.id));
  const linkedCommits = new Set(Object.values(links).map((l) => l.commit as string));
  const linkedShas = new Set(Object.values(links).map((l) => l.sha256));
  const parents = new Map(graph.commits.map((c) => [c.id as string, c.parent as string | null]));
  const described: RetentionCommit[] = graph.commits.map((c) => {
    const m = manifests.get(c.id)!;
    return {
      id: c.id, parent: c.parent, createdAt: c.createdAt,
      line: summaryLine(store, { path: m.source.path, ...(m.meta?.run !== undefined ? { meta: { run: m.meta.run } } : {}) }),
      ...(m.meta?.step !== undefined ? { step: m.meta.step } : {}),
      ...(m.meta?.metrics ? { metrics: m.meta.metrics } : {}),
      ...(tags.has(c.id) ? { tags: tags.get(c.id)! } : {}),
      pinned: pins.has(c.id),
      linked: linkedCommits.has(c.id) || c.files.some((f) => linkedShas.has(f.sha256)),
      head: head === c.id,
    };
  });
  const { decisions, policy } = await verdicts(store, opts, described, parents);
  const kept = new Set(decisions.filter((d) => d.verdict === 'keep').map((d) => d.id));
  const forgotten = graph.commits.filter((c) => !kept.has(c.id)).map((c) => c.id);
  const storeBytesBefore = await storeBytes(store);
  const decisionOf = new Map(decisions.map((d) => [d.id, d]));

  // Kept commits whose parent goes, oldest first (an ancestor's new route is written before its descendants').
  const rebasing = [...graph.commits].reverse().filter((c) => kept.has(c.id) && c.parent !== null && !kept.has(c.parent) && graph.has(c.parent));
  const work = rebasing.reduce((s, c) => s + manifests.get(c.id)!.files.reduce((t, f) => t + 2 * f.bytes, 0), 0);
  const progress = { done: 0, total: work };
  const tick = (n: number): void => {
    progress.done += n;
    opts.onProgress?.({ phase: write ? 'encoding re-based routes' : 'measuring re-based routes', bytesDone: progress.done, bytesTotal: Math.max(progress.total, progress.done) });
  };
  const rebases: Rebase[] = [];
  const newObjects = new Map<string, NewObject>();
  try {
    for (const c of rebasing) {
      if (signal?.aborted) throw cancelled('nothing was changed');
      // The nearest kept ancestor, and the forgotten commits walked to reach it.
      const walked: string[] = [];
      const seen = new Set<string>();
      let cur: string | null = c.parent;
      while (cur !== null && graph.has(cur) && !kept.has(cur) && !seen.has(cur)) { seen.add(cur); walked.push(cur); cur = parents.get(cur) ?? null; }
      const onto = cur !== null && kept.has(cur) ? (cur as CommitId) : null;
      const m = manifests.get(c.id)!;
      const files: Array<{ path: string; delta: FileDelta | null }> = [];
      const objects: NewObject[] = [];
      const checkpoint = onto === null || m.type === 'CHECKPOINT';
      for (const file of m.files) {
        if (checkpoint) {
          files.push({ path: file.path, delta: null });
          // A CHECKPOINT's full parameters must be in the store (raw or packed); rebuilt when a cleanup removed them.
          if (graph.objectSize(file.sha256) === null && graph.packedObject(file.sha256) === null && !newObjects.has(file.sha256)) {
            const temp = write ? await rebuildFull(store, graph, c.id, file, signal, tick).catch((e: unknown) => {
              throw cannotRebase(e, `${fileLabel(c.id, file.path)} would become a CHECKPOINT (no kept ancestor) and its full parameters cannot be rebuilt`);
            }) : null;
            if (!write) tick(2 * file.bytes);
            const o: NewObject = { sha: file.sha256, bytes: file.bytes, temp };
            newObjects.set(o.sha, o);
            objects.push(o);
          } else {
            tick(2 * file.bytes);
          }
          continue;
        }
        const base = baseFileOf(file, m, walked, manifests, manifests.get(onto!)!);
        const encoded = await encodeAgainst(store, graph, c.id, file, base ? { commit: onto!, file: base } : null, write, signal, tick).catch((e: unknown) => {
          throw cannotRebase(e, `${fileLabel(c.id, file.path)} cannot be encoded again against ${base ? fileLabel(onto!, base.path) : 'nothing (self-contained)'}`);
        });
        files.push({ path: file.path, delta: encoded.delta });
        if (encoded.delta.object !== null) {
          const sha = encoded.delta.object;
          const onDisk = graph.objectSize(sha) !== null;
          if (!onDisk && !newObjects.has(sha)) {
            const o: NewObject = { sha, bytes: encoded.delta.bytes, temp: encoded.temp };
            newObjects.set(sha, o);
            objects.push(o);
          } else if (encoded.temp) {
            await fs.rm(encoded.temp, { force: true });
          }
        }
      }
      const record: RouteRecord = {
        version: 1, commit: c.id, parent: onto, recordedParent: (await store.readRecordedManifest(c.id)).parent,
        // Counted in the committed history: commits an earlier forget removed between them count too.
        forgotten: walked.reduce((n, w) => n + 1 + (manifests.get(w)!.rebased?.forgotten ?? 0), m.rebased?.forgotten ?? 0),
        type: checkpoint ? 'CHECKPOINT' : 'DELTA', files: files as RouteRecord['files'],
      };
      const bytes = checkpoint ? m.files.reduce((n, f) => n + f.bytes, 0) : files.reduce((n, f) => n + (f.delta?.bytes ?? 0), 0);
      rebases.push({ id: c.id, onto, record, recordBytes: Buffer.byteLength(JSON.stringify(record) + '\n'), hadRecord: records.has(c.id), objects, bytes });
    }
  } catch (e) {
    for (const o of newObjects.values()) if (o.temp) await fs.rm(o.temp, { force: true }).catch(() => undefined);
    throw e;
  }

  // What stays named: every file and delta object of every kept commit's storage after the forget, its packs, and linked objects.
  const rebaseOf = new Map(rebases.map((r) => [r.id as string, r]));
  const named = new Set<string>(linkedShas);
  const keptFulls = new Set<string>();
  for (const id of kept) {
    const m = manifests.get(id)!;
    const r = rebaseOf.get(id);
    m.files.forEach((f, i) => {
      named.add(f.sha256);
      keptFulls.add(f.sha256);
      const delta = r ? r.record.files[i]!.delta : f.delta;
      if (delta?.object) named.add(delta.object);
    });
  }
  const { packs } = await readPacksOrDamage(store);
  for (const full of keptFulls) for (const p of packs.get(full) ?? []) named.add(p);
  // What goes: what the forgotten commits' storage names and the re-based commits' old storage named, unless named above.
  const candidates = new Set<string>();
  for (const id of forgotten) for (const f of manifests.get(id)!.files) { candidates.add(f.sha256); if (f.delta?.object) candidates.add(f.delta.object); }
  for (const r of rebases) for (const f of manifests.get(r.id)!.files) if (f.delta?.object) candidates.add(f.delta.object);
  const objectMoves: OpMove[] = [];
  const packMoves: OpMove[] = [];
  let bytesRemoved = 0;
  const going = new Set<string>();
  for (const sha of [...candidates].sort()) {
    if (named.has(sha)) continue;
    const size = graph.objectSize(sha);
    if (size === null) continue; // not here (a fetched commit's objects stay on its remote; a cleaned-up full object): nothing to move
    going.add(sha);
    objectMoves.push(['object', sha]);
    bytesRemoved += size;
  }
  for (const full of [...candidates].sort()) {
    if (keptFulls.has(full)) continue;
    for (const packed of packs.get(full) ?? []) {
      packMoves.push(['pack', `${full}.${packed}`]);
      if (named.has(packed) || going.has(packed)) continue;
      const size = await store.objectSize(packed);
      if (size === null) continue;
      going.add(packed);
      objectMoves.push(['object', packed]);
      bytesRemoved += size;
    }
  }
  const commitMoves: OpMove[] = [];
  const routeMoves: OpMove[] = [];
  for (const id of [...forgotten].sort()) {
    commitMoves.push(['commit', id]);
    bytesRemoved += (await fs.stat(path.join(store.dir, 'commits', `${id}.json`))).size;
  }
  const forgottenRoutes: OpMove[] = [];
  for (const id of [...forgotten].sort()) {
    if (!records.has(id)) continue;
    forgottenRoutes.push(['route', id]);
    bytesRemoved += (await fs.stat(routeRecordPath(store.dir, id))).size;
  }
  for (const r of rebases) {
    if (!r.hadRecord) continue;
    routeMoves.push(['route', r.id]);
    bytesRemoved += (await fs.stat(routeRecordPath(store.dir, r.id))).size;
  }
  const created = [...newObjects.keys()];
  const bytesAdded = [...newObjects.values()].reduce((s, o) => s + o.bytes, 0) + rebases.reduce((s, r) => s + r.recordBytes, 0);

  const commits: ForgetCommit[] = [...graph.commits].sort(newestFirst).map((c) => {
    const d = decisionOf.get(c.id)!;
    const r = rebaseOf.get(c.id);
    return {
      id: c.id, verdict: d.verdict, reasons: d.reasons.map(retentionReasonText),
      ...(r ? { rebasedOnto: r.onto, rebasedBytes: r.bytes } : {}),
    };
  });
  return {
    commits, forgotten, rebases, moves: [...commitMoves, ...forgottenRoutes, ...objectMoves, ...packMoves], routeMoves,
    created, bytesRemoved, bytesAdded, storeBytesBefore, policy, kept,
  };
}

/**
 * The file of the kept ancestor a re-based file's delta is taken against:
 * the same path; else the file its basePath chain reaches through the
 * forgotten commits (a forgotten CHECKPOINT stores no delta: its file at the
 * same path is taken as the same file's); else, for a single-file source on
 * both sides, the ancestor's one file (what a commit onto it would take);
 * else none (the delta stores every block). Any base gives a correct delta;
 * a closer one a smaller delta.
 */
function baseFileOf(file: ManifestFile, own: Manifest, walked: readonly string[], manifests: ReadonlyMap<string, Manifest>, onto: Manifest): ManifestFile | null {
  const same = onto.files.find((f) => f.path === file.path);
  if (same) return same;
  let at: string | null = file.delta ? file.delta.basePath : file.path;
  for (const id of walked) {
    if (at === null) break;
    const f = manifests.get(id)!.files.find((x) => x.path === at);
    at = !f ? null : f.delta ? f.delta.basePath : f.path;
  }
  const chained = at === null ? undefined : onto.files.find((f) => f.path === at);
  if (chained) return chained;
  if (own.source.kind === 'file' && onto.source.kind === 'file' && onto.files.length === 1) return onto.files[0]!;
  return null;
}

/** Hashes a source's bytes, reporting progress and stopping on cancel. */
async function hashSource(source: FileSource, file: ManifestFile, signal: AbortSignal | undefined, tick: (n: number) => void): Promise<string> {
  const hash = createHash('sha256');
  let n = 0;
  for await (const chunk of source.chunks()) {
    if (signal?.aborted) throw cancelled('nothing was changed');
    hash.update(chunk);
    n += chunk.length;
  }
  tick(n);
  return n === file.bytes ? hash.digest('hex') : `length-${n}`;
}

/** A route whose bytes hash to the version's sha256 now (read once, hashed). */
async function provedRoute(store: Store, graph: HistoryGraph, id: string, file: ManifestFile, signal: AbortSignal | undefined, tick: (n: number) => void): Promise<Route> {
  const read = await readVersion(store, id, file, (source) => hashSource(source, file, signal, () => undefined), { graph });
  tick(file.bytes);
  return read.route;
}

/**
 * Encodes a kept file again against its new base, both read through routes
 * proved bit-exact first: the delta a commit of these two versions would
 * store (deterministic encoding). The run writes it to a temp file.
 */
async function encodeAgainst(
  store: Store, graph: HistoryGraph, id: string, file: ManifestFile, base: { commit: string; file: ManifestFile } | null,
  write: boolean, signal: AbortSignal | undefined, tick: (n: number) => void,
): Promise<{ delta: FileDelta; temp: string | null }> {
  const own = await provedRoute(store, graph, id, file, signal, () => undefined);
  const from = base ? await provedRoute(store, graph, base.commit, base.file, signal, () => undefined) : null;
  tick(file.bytes);
  const writer = write ? new DeltaWriter(store.tempPath('delta')) : DeltaWriter.hashOnly();
  const sources: FileSource[] = [];
  try {
    const fresh = await openRoute(store, own);
    sources.push(fresh);
    const old = from ? await openRoute(store, from) : null;
    if (old) sources.push(old);
    const encoded = await encodeFile(fresh, tensorRegions(file), old && base ? { source: old, path: base.file.path, tensors: base.file.tensors } : null, { writer, signal, onBytes: tick });
    const made = await writer.finish();
    return {
      delta: { object: made?.sha256 ?? null, bytes: made?.bytes ?? 0, basePath: base ? base.file.path : null, streams: encoded.streams, encoding: DELTA_ENCODING },
      temp: write && made ? writer.tempFile : null,
    };
  } catch (e) {
    await writer.discard().catch(() => undefined);
    if (e instanceof WeightlineError && e.code === 'CANCELLED') throw cancelled('nothing was changed');
    throw e;
  } finally {
    for (const s of sources) await s.close();
  }
}

/** A file's full parameters rebuilt into a temp file through a route proved by its sha256 (a new CHECKPOINT's). */
async function rebuildFull(store: Store, graph: HistoryGraph, id: string, file: ManifestFile, signal: AbortSignal | undefined, tick: (n: number) => void): Promise<string> {
  let temp = '';
  await readVersion(store, id, file, async (source) => {
    if (temp) await fs.rm(temp, { force: true });
    temp = store.tempPath('full');
    const handle = await fs.open(temp, 'w');
    const hash = createHash('sha256');
    let n = 0;
    try {
      for await (const chunk of source.chunks()) {
        if (signal?.aborted) throw cancelled('nothing was changed');
        hash.update(chunk);
        await handle.write(chunk);
        n += chunk.length;
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    return n === file.bytes ? hash.digest('hex') : `length-${n}`;
  }, { graph }).catch(async (e: unknown) => {
    if (temp) await fs.rm(temp, { force: true });
    throw e;
  });
  tick(2 * file.bytes);
  return temp;
}

// ---- the proof ----

/**
 * Every kept commit has a route through kept commits only, whose objects
 * all stay; every re-based file is rebuilt through its new route and hashed.
 * The forgotten commits are still on disk, so the proof builds a history
 * without them: a route that would need one of their objects is not found.
 */
async function proveRoutes(store: Store, plan: Plan, opts: ForgetOptions): Promise<void> {
  const keptCommits = [];
  for (const id of plan.kept) keptCommits.push(graphCommitOf(id, await store.readManifest(id)));
  // Only objects the kept commits name (and their packs) are in it: exactly what stays.
  const { sizes, packs } = await objectSizesWithPacks(store, keptCommits);
  const graph = new HistoryGraph(keptCommits, sizes, packs);
  const total = plan.rebases.reduce((s, r) => s + r.record.files.length, 0);
  let done = 0;
  let before: HistoryGraph | null = null;
  for (const c of graph.commits) {
    const m = await store.readManifest(c.id);
    const rebased = plan.rebases.some((r) => r.id === c.id);
    for (const file of m.files) {
      if (opts.signal?.aborted) throw cancelled('nothing was changed');
      const route = await findRoute(store, graph, c.id, file, { usable: (sha) => graph.objectSize(sha) !== null });
      if (!route) {
        // A version with no route before the forget either (verify reports it) is not the forget's to refuse over.
        before ??= await HistoryGraph.load(store);
        const had = await findRoute(store, before, c.id, file, { usable: (sha) => before!.objectSize(sha) !== null });
        if (!had && !rebased) continue;
        throw new WeightlineError('CORRUPT', `forget stopped before removing anything: ${fileLabel(c.id, file.path)} would have no route without the forgotten versions; the store is as before; run "weightline verify"`);
      }
      if (!rebased) continue;
      const source = await openRoute(store, route);
      let sha: string;
      try { sha = await hashSource(source, file, opts.signal, () => undefined); } finally { await source.close(); }
      if (sha !== file.sha256) {
        throw new WeightlineError('CORRUPT', `forget stopped before removing anything: ${fileLabel(c.id, file.path)} rebuilt through its new route gave sha256 ${sha.slice(0, 12)}, expected ${file.sha256.slice(0, 12)}; the store is as before (a bug or damaged bytes: run "weightline verify")`);
      }
      opts.onProgress?.({ phase: 'proving re-based routes', bytesDone: ++done, bytesTotal: total });
    }
  }
}
