import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import type { Stats } from 'node:fs';
import * as path from 'node:path';
import { WeightlineError, type ErrorCode } from '../../../src-shared/errors';
import { clause } from '../../../src-shared/printable';
import type { BudgetReport, CommitId, CommitMeta, CommitResult, ProgressListener } from '../../../src-shared/model';
import { DeltaWriter } from '../codec/delta-writer';
import { DELTA_ENCODING } from '../codec/encoding';
import { cleanupLocked } from './cleanup';
import { encodeFile, type BaseFile } from '../codec/encode-file';
import { readLayout } from '../formats/detect';
import type { FileLayout } from '../base/layout';
import { NoRouteError, openFileSource, planRoute } from '../rebuild/open';
import { openRoute } from '../rebuild/route';
import { readLinks } from '../store/links';
import { ObjectChecker } from '../store/object-check';
import { FullSource, type FileSource } from '../rebuild/source';
import { errorPath, fsyncDir, fsyncFile, mapFsError, readExactly, sha256File } from '../base/fsutil';
import { pausePoint } from '../base/test-pause';
import { tryReflink } from '../store/place';
import { lineSinceCheckpoint } from '../store/history';
import { checkpointFamily } from '../formats/checkpoint-names';
import { withWriteLock } from '../store/lock';
import { settleOps } from '../store/op-recovery';
import { decideCheckpoint, DELTA_WORTH_IT, type CheckpointDecision } from '../../../src-shared/policy/checkpoint';
import type { Settings } from '../../../src-shared/policy/settings';
import { autoForgetLocked, ensureBudget } from './budget';
import { FORMAT_VERSION, type FileDelta, type Manifest, type ManifestFile } from '../base/manifest';
import { manifestPathProblem } from '../base/manifest-paths';
import { STORE_DIR, type Store } from '../store/store';
import { lineKey, lineTip, recordLines } from '../store/tips';
import { isEmptyMeta } from '../../../src-shared/meta';
import { compareWorkingCopy } from '../../../src-shared/policy/working-copy';
import { listSourceFiles, StatCache, type WorkingFile } from './working-copy';

export interface CommitOptions {
  readonly message: string;
  readonly checkpoint?: boolean;
  /**
   * Make no commit when every file matches the newest commit of the path's
   * line (same bytes at the same place): the result then names that commit,
   * with `unchanged: true`, and HEAD stays where it is. The CLI sets
   * it unless --allow-empty; off, an unchanged model is committed as before.
   */
  readonly skipUnchanged?: boolean;
  /**
   * Read the files from here instead of the target (watch's capture: hard
   * links or copies of a checkpoint taken before the trainer's rotation could
   * delete it); the manifest still records the target as the source, so a
   * restore puts the version back where the trainer wrote it.
   */
  readonly readFrom?: string;
  /** Step, epoch, metrics and run; with `run`, the commit joins the run's line (store/tips.ts). */
  readonly meta?: CommitMeta;
  /**
   * Commit onto this commit instead of the newest of the line (import --base:
   * a run's first checkpoint stored as a sibling of other runs from one base).
   */
  readonly parent?: CommitId;
  readonly onProgress?: ProgressListener;
  readonly signal?: AbortSignal;
}

interface Staged {
  readonly work: WorkingFile;
  readonly layout: FileLayout;
  /** Known before the copy when the stat cache vouched for the file; else null until `done`. */
  readonly knownSha256: string | null;
  /** The copy's sha256, once the copy is whole and the file did not change meanwhile. */
  readonly done: Promise<string>;
  /** Temp copy inside the store; adopted as the object, or dropped when the object already exists. */
  readonly temp: string | null;
  /** True once the copy found the file byte for byte the parent's object of the same hash: no temp was written. */
  readonly heldWhole: () => boolean;
  readonly source: FileSource;
}

/**
 * Commits the model file or folder at `target` on top of the newest commit of
 * that path's line (store/tips.ts: HEAD when HEAD is a commit of this path,
 * else the path's last commit made or restored), so two models committed to
 * one store keep separate chains. Nothing is
 * visible until the manifest is renamed into place, and the commit counts only
 * once HEAD names it: a failure before that leaves the store as it was (the
 * error says so), and if even taking the manifest back fails, the error says
 * exactly what is where.
 */
export async function commit(store: Store, target: string, opts: CommitOptions): Promise<CommitResult> {
  const abs = path.resolve(target);
  await refuseStoreFiles(abs);
  refuseOutside(store, abs);
  const state: Progress = { phase: 'before', result: null };
  const from = opts.readFrom !== undefined ? path.resolve(opts.readFrom) : abs;
  try {
    return await commitLocked(store, abs, from, opts, state);
  } catch (e) {
    // A raw fs error (the lock, a stat, a folder listing) names what the file system refused, not "a bug".
    const err = mapFsError(e, errorPath(e, store.dir));
    if (state.result) throw afterLanding(state.result, 'then releasing the store lock failed', err);
    if (state.phase === 'before') throw nothingCommitted(err);
    throw err;
  }
}

/** How far a commit got: that decides what its error may claim. */
interface Progress {
  phase: 'before' | 'landing' | 'landed';
  result: CommitResult | null;
}

function commitLocked(store: Store, abs: string, from: string, opts: CommitOptions, reached: Progress): Promise<CommitResult> {
  return withWriteLock(store, 'commit', async (signal) => {
    // An interrupted forget or undo is finished first, and expired trash emptied (one readdir when there is none).
    await settleOps(store);
    const { kind, files } = await listSourceFiles(from);
    if (files.length === 0) throw new WeightlineError('REFUSED', 'the folder holds no files to commit', from);
    // The paths pass the gate restore and fetch use, before anything is written: a name no restore would write is not recorded.
    const unsafe = manifestPathProblem({ source: { path: store.sourcePathFor(abs), kind }, files: files.map((f) => ({ path: f.rel })), removedFiles: [] });
    if (unsafe) throw new WeightlineError('UNSAFE_PATH', `cannot commit this: its ${unsafe}; rename it (docs/STORE-FORMAT.md, "Path rules", says what a path may be)`, abs);
    // Parse every file before writing anything: a bad file changes nothing.
    const layouts: FileLayout[] = [];
    for (const f of files) {
      const layout = await readLayout(f.abs);
      // In a folder an empty file is just a file; alone it is almost surely a save that has not happened yet.
      if (layout.size === 0 && kind === 'file') throw new WeightlineError('BAD_FORMAT', 'empty file (0 bytes): there is nothing to commit; if a training script is still saving it, commit once it has finished', f.abs);
      layouts.push(layout);
    }
    const total = layouts.reduce((s, l) => s + l.size, 0);
    // Copying and diffing run side by side, the diff reading right behind the
    // copy: each phase counts its own bytes against the model's size, and the
    // one shown is the one still going (the copy, then what is left of the diff).
    let copied = 0;
    let diffed = 0;
    const progress = (phase: 'copying' | 'diffing', n: number): void => {
      if (phase === 'copying') copied += n; else diffed += n;
      if (copied < total) opts.onProgress?.({ phase: 'copying', bytesDone: copied, bytesTotal: total });
      else opts.onProgress?.({ phase: 'diffing', bytesDone: Math.min(diffed, total), bytesTotal: total });
    };

    const config = await store.readConfig();
    // Read (and checked) first: a damaged HEAD refuses the commit, as it always did.
    const headBefore = await store.readHead();
    const meta = opts.meta && !isEmptyMeta(opts.meta) ? opts.meta : undefined;
    const parentId = opts.parent ?? await lineTip(store, meta?.run !== undefined ? store.sourcePathFor(store.resolveSource(meta.run)) : store.sourcePathFor(abs), { head: headBefore });
    const cache = await StatCache.load(store);
    // The disk budget, before a byte is written (docs/STORE-FORMAT.md, "Disk
    // budget"). A forget it runs keeps the parent (a line's tip is always
    // kept) but may re-base it, so the parent and its line are read after.
    let budget: BudgetReport | undefined;
    if (config.maxStoreBytes > 0 || config.minFreeBytes > 0) {
      const need = await commitNeed(store, files, layouts, cache, parentId, kind, !!opts.checkpoint, config);
      budget = await ensureBudget(store, config, need, { signal, commits: (await store.listCommitIds()).length });
    }
    const parent = parentId ? await store.readManifest(parentId) : null;
    // A rebuild from the last CHECKPOINT replays the line's deltas: bound what
    // it reads (maxRouteRead × the model's size) and how many it replays
    // (maxChainLength). docs/STORE-FORMAT.md "Commit types".
    const line = parentId ? await lineSinceCheckpoint(store, parentId) : { deltas: 0, deltaBytes: 0 };
    // The rule is the policy's (src-shared/policy/checkpoint.ts), which the settings pane's estimate plays too.
    const decide = (deltaBytes: number | null): CheckpointDecision => decideCheckpoint({ requested: !!opts.checkpoint, hasParent: !!parentId, line, modelBytes: total, deltaBytes, settings: config });
    let decision = decide(null);
    let checkpoint = decision.type === 'CHECKPOINT';

    let objectChecker: ObjectChecker | undefined;
    const checker = async (): Promise<ObjectChecker> => {
      objectChecker ??= await ObjectChecker.load(store, new Set(Object.values(await readLinks(store)).map((r) => r.sha256)));
      return objectChecker;
    };
    const staged: Staged[] = [];
    const writers: DeltaWriter[] = [];
    // Objects this commit adds (not those the store held already): taken out
    // again if the commit does not land, so a failure leaves the store as it was.
    const added: string[] = [];
    /** Puts a temp file this commit wrote and hashed in place as object `sha`, and records the hash; true when the object is new. */
    const adopt = async (temp: string, sha: string): Promise<boolean> => {
      const isNew = !(await store.hasObject(sha));
      let replaced = false;
      if (isNew) added.push(sha);
      else if ((await (await checker()).state(sha)) === 'damaged') {
        // The store holds these bytes damaged (an older commit's, or another path's with the same
        // content): this commit has them whole, so it mends the object rather than naming damaged bytes.
        await store.replaceDamagedObject(temp, sha);
        (await checker()).forget(sha);
        replaced = true;
      }
      if (!replaced) await store.adoptObject(temp, sha);
      // Hashed as it was written: a later cleanup or commit trusts it while its stat is unchanged,
      // at once when this commit wrote the object (object-check.ts, WROTE); an object that was
      // there already was just checked by state() and is recorded as any check.
      await (await checker()).record(sha, { wrote: isNew || replaced });
      return isNew;
    };
    let fullBytesAdded = 0;
    let visible = false;
    try {
      // Copies run one after another in the background; encoding reads each
      // copy right behind its writer, so copying and diffing overlap.
      let previous: Promise<unknown> = Promise.resolve();
      for (let i = 0; i < files.length; i++) {
        const twinFile = parent ? pickBase(parent, kind, files[i]!.rel) : null;
        const twin = twinFile && twinFile.bytes === layouts[i]!.size ? { path: store.objectPath(twinFile.sha256), sha256: twinFile.sha256 } : null;
        const s = await stage(store, files[i]!, layouts[i]!, cache, previous, (n) => progress('copying', n), signal, twin);
        staged.push(s);
        previous = s.done.catch(() => undefined);
      }

      // An unchanged model known from the stat cache (and confirmed by hashing) stops here, before any diffing.
      if (opts.skipUnchanged && parent && parentId && staged.every((s) => s.knownSha256 !== null)
        && sameAsParent(store, abs, kind, parent, staged.map((s) => ({ path: s.work.rel, sha256: s.knownSha256! })))) {
        await cache.save();
        return { ...unchangedResult(parentId, parent), ...(budget ? { budget } : {}) };
      }

      const entries: ManifestFile[] = [];
      let deltaBytes = 0;
      for (const s of staged) {
        const baseFile = parent ? pickBase(parent, kind, s.work.rel) : null;
        const identical = s.knownSha256 !== null && baseFile?.sha256 === s.knownSha256;
        let base: BaseFile | null = null;
        if (baseFile && parentId) {
          // The delta is only as good as the base it is taken against: open
          // the parent's file by a route whose objects are proved intact (a
          // hard-linked restore may have been written into its full object).
          const source = identical ? await openFileSource(store, parentId, baseFile) : await openProvedBase(store, parentId, baseFile, await checker(), !!opts.checkpoint);
          base = source ? { source, path: baseFile.path, tensors: baseFile.tensors } : null;
        }
        const writer = checkpoint ? null : new DeltaWriter(store.tempPath('delta'));
        if (writer) writers.push(writer);
        try {
          const encoded = await encodeFile(s.source, s.layout.tensors, base, { writer, identical, onBytes: (n) => progress('diffing', n), signal });
          const sha256 = await s.done;
          const object = writer ? await writer.finish() : null;
          const delta: FileDelta | null = checkpoint ? null : {
            object: object?.sha256 ?? null,
            bytes: object?.bytes ?? 0,
            basePath: base ? base.path : null,
            streams: encoded.streams,
            encoding: DELTA_ENCODING,
          };
          deltaBytes += delta?.bytes ?? 0;
          entries.push({
            path: s.work.rel, bytes: s.layout.size, sha256, format: s.layout.format,
            status: encoded.status, tensors: encoded.tensors, removedTensors: encoded.removedTensors, delta,
          });
        } finally {
          await base?.source.close();
        }
      }
      if (opts.skipUnchanged && parent && parentId && sameAsParent(store, abs, kind, parent, entries)) {
        // Hashed now: the next commit of the same bytes takes the quick way above.
        await cache.save();
        await objectChecker?.save();
        return { ...unchangedResult(parentId, parent), ...(budget ? { budget } : {}) };
      }
      if (!checkpoint) {
        decision = decide(deltaBytes);
        checkpoint = decision.type === 'CHECKPOINT';
      }
      const checkpointReason = decision.type === 'CHECKPOINT' ? decision.reason : undefined;
      const removedFiles = parent && kind === 'folder' && parent.source.kind === 'folder'
        ? parent.files.map((f) => f.path).filter((p) => !files.some((f) => f.rel === p))
        : [];
      const manifest: Manifest = {
        formatVersion: FORMAT_VERSION,
        parent: parentId,
        type: checkpoint ? 'CHECKPOINT' : 'DELTA',
        message: opts.message,
        createdAt: new Date().toISOString(),
        source: { path: store.sourcePathFor(abs), kind },
        files: checkpoint ? entries.map((e) => ({ ...e, delta: null })) : entries,
        removedFiles,
        // Recorded so `show` can say later why this commit keeps full parameters.
        ...(checkpointReason ? { checkpointReason } : {}),
        ...(meta ? { meta } : {}),
      };
      opts.onProgress?.({ phase: 'writing', bytesDone: 0, bytesTotal: 0 });
      for (const [i, s] of staged.entries()) {
        if (!s.temp || s.heldWhole()) continue;
        const sha256 = manifest.files[i]!.sha256;
        await s.source.close();
        if (await adopt(s.temp, sha256)) fullBytesAdded += s.layout.size;
      }
      if (!checkpoint) {
        for (const [i, w] of writers.entries()) {
          const sha = manifest.files[i]?.delta?.object;
          if (sha) await adopt(w.tempFile, sha);
        }
      }
      await pausePoint('commit.before-manifest', signal);
      // The last moment a stop leaves no commit behind: after the manifest is written the commit stands.
      if (signal?.aborted) throw new WeightlineError('CANCELLED', 'the commit was cancelled before its manifest was written; nothing was committed and HEAD is as before');
      const known = new Set(await store.listCommitIds());
      let id: CommitId;
      try {
        id = await store.writeManifest(manifest); // the commit point
      } catch (e) {
        // A write that got as far as the rename (only flushing the folder
        // failed) left the manifest visible: take it back out.
        for (const c of await store.listCommitIds()) if (!known.has(c)) await removeManifest(store, c);
        throw e;
      }
      visible = true;
      reached.phase = 'landing';
      await moveHead(store, id, headBefore, parentId, added);
      reached.phase = 'landed';
      await cache.save();
      await objectChecker?.save();
      let result: CommitResult = { id, type: manifest.type, parent: parentId as CommitId | null, logicalBytes: total, deltaBytes: checkpoint ? 0 : deltaBytes, fullBytesAdded, unchanged: false, ...(checkpointReason ? { checkpointReason } : {}), ...(budget ? { budget } : {}) };
      try {
        await recordLines(store);
      } catch (e) {
        // HEAD names the commit, so the next commit of this path still finds it (rule 1); only another path's restored place may be lost.
        throw afterLanding(result, 'then recording the newest commit of each path in tips.json failed', mapFsError(e, errorPath(e, store.dir)));
      }
      // A training loop that commits every epoch wants the disk kept in check as it goes.
      if (config.autoCleanup) {
        try {
          // What it did is part of the commit's result: its full parameters may be among what it freed.
          const done = await cleanupLocked(store, { signal });
          // autoForget runs the stored policy after every cleanup; the commit just made is its line's tip, always kept.
          const forgot = await autoForgetLocked(store, config, signal);
          result = { ...result, autoCleanup: { bytesFreed: done.bytesFreed, packs: done.packs.length, bytesPackSaved: done.bytesPackSaved, commits: done.commits.map((c) => c.id), ...(forgot ? { autoForget: forgot } : {}) } };
        } catch (e) {
          throw afterLanding(result, 'the automatic cleanup after it failed (the store may hold more than it needs; run "weightline cleanup" later)', mapFsError(e, errorPath(e, store.dir)));
        }
      }
      reached.result = result;
      return result;
    } catch (e) {
      if (!visible) await dropObjects(store, added);
      throw e;
    } finally {
      // A failed commit may leave copies running: let them stop before their temp files go.
      await Promise.allSettled(staged.map((s) => s.done));
      for (const s of staged) { await s.source.close(); if (s.temp) await fs.rm(s.temp, { force: true }); }
      for (const w of writers) await w.discard();
    }
  }, undefined, { signal: opts.signal });
}

/**
 * The most a commit of these files can add to the store, known before a byte
 * is written: the full objects it adopts (none for a file the stat cache
 * says the store holds already: its copy is skipped), the delta it may keep
 * (none for a CHECKPOINT; else less than DELTA_WORTH_IT of the model, within
 * what maxRouteRead leaves the line, and nothing for files the stat cache
 * says are the parent's own bytes), and the manifest. The commit's temp
 * copies are those same bytes before they are adopted; a delta encoded only
 * to be dropped (it came out too large) is transient and not counted.
 */
async function commitNeed(
  store: Store, files: readonly WorkingFile[], layouts: readonly FileLayout[], cache: StatCache, parentId: CommitId | null,
  kind: 'file' | 'folder', requested: boolean, config: Pick<Settings, 'maxChainLength' | 'maxRouteRead'>,
): Promise<number> {
  const total = layouts.reduce((s, l) => s + l.size, 0);
  const parent = parentId ? await store.readManifest(parentId) : null;
  const line = parentId ? await lineSinceCheckpoint(store, parentId) : { deltas: 0, deltaBytes: 0 };
  const sure = decideCheckpoint({ requested, hasParent: !!parentId, line, modelBytes: total, deltaBytes: null, settings: config });
  let full = 0;
  let changed = 0;
  for (const [i, f] of files.entries()) {
    const size = layouts[i]!.size;
    const st = await fs.stat(f.abs).catch(() => null);
    const known = st ? cache.hint(f.abs, st) : null;
    if (!(known && (await store.hasObject(known)))) full += size;
    const base = parent ? pickBase(parent, kind, f.rel) : null;
    if (!(known && base?.sha256 === known)) changed += size;
  }
  const delta = sure.type === 'CHECKPOINT' ? 0 : Math.min(changed, DELTA_WORTH_IT * total, Math.max(0, config.maxRouteRead * total - line.deltaBytes));
  // A manifest weighs about 190 bytes per file and 280 per tensor (docs/STORE-FORMAT.md, "Remote limits"); twice that, to be safe.
  const manifest = 4096 + files.length * 400 + layouts.reduce((s, l) => s + l.tensors.length, 0) * 600;
  return Math.ceil(full + delta + manifest);
}

/**
 * Moves HEAD to the new commit. If HEAD cannot be written, the manifest (and
 * the objects only it needs) are taken back out, so the commit did not happen;
 * a retry then commits onto the same parent instead of starting a sibling.
 */
async function moveHead(store: Store, id: CommitId, headBefore: CommitId | null, parentId: CommitId | null, added: readonly string[]): Promise<void> {
  let failure: unknown;
  try {
    await store.writeHead(id);
    return;
  } catch (e) {
    failure = mapFsError(e, errorPath(e, store.dir));
  }
  // Renamed into place with only the folder flush failing: HEAD did move.
  if ((await store.readHead().catch(() => null)) === id) return;
  const why = reason(failure);
  try {
    await removeManifest(store, id);
  } catch (e) {
    const removal = reason(mapFsError(e, errorPath(e, store.dir)));
    throw new WeightlineError(codeOf(failure), `commit ${id} was written but HEAD still points to ${headBefore ?? 'no commit'}; run \`weightline restore ${id}\` to move HEAD to it once the disk allows (the model at its path is that version); otherwise the next commit starts a second branch from ${parentId ? parentId.slice(0, 12) : 'nothing'}. Writing HEAD failed: ${why}; taking the commit back out failed too: ${removal}`, path.join(store.dir, 'HEAD'));
  }
  await dropObjects(store, added);
  throw new WeightlineError(codeOf(failure), `${why}; HEAD could not be written, so the new commit ${id.slice(0, 12)} was taken back out: nothing was committed, the store is as before and HEAD still points to ${headBefore ? headBefore.slice(0, 12) : 'no commit'}`, fileOf(failure) ?? path.join(store.dir, 'HEAD'));
}

async function removeManifest(store: Store, id: string): Promise<void> {
  const dir = path.join(store.dir, 'commits');
  await fs.rm(path.join(dir, `${id}.json`), { force: true });
  // The removal is what makes the store as before; a folder that cannot be
  // flushed still shows it to every reader, so this is best effort.
  await fsyncDir(dir).catch(() => undefined);
}

/** Best effort: an object no commit names is harmless (cleanup removes it), only wasted space. */
async function dropObjects(store: Store, shas: readonly string[]): Promise<void> {
  for (const sha of shas) {
    const object = store.objectPath(sha);
    await fs.rm(object, { force: true }).catch(() => undefined);
    // Its fan-out folder too, if this commit made it (rmdir refuses a folder that holds anything).
    await fs.rmdir(path.dirname(object)).catch(() => undefined);
  }
}

/**
 * Refuses a path outside the store's folder: manifests record paths relative
 * to the store, so the history moves with its folder (older stores may hold
 * absolute paths; they are still read, see Store.resolveSource).
 */
function refuseOutside(store: Store, abs: string): void {
  const rel = path.relative(store.root, abs);
  if (rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) {
    throw new WeightlineError('REFUSED', `${abs} is outside the store's folder ${store.root}; run \`weightline init\` in a folder that holds it, or use -C`);
  }
}

/** True when the files are the parent's files, at the same place: committing them would record nothing new. */
function sameAsParent(store: Store, abs: string, kind: 'file' | 'folder', parent: Manifest, files: ReadonlyArray<{ readonly path: string; readonly sha256: string }>): boolean {
  if (parent.source.kind !== kind || lineKey(store, parent.source.path) !== store.sourcePathFor(abs)) return false;
  return compareWorkingCopy({ kind: parent.source.kind, files: parent.files }, { kind, files }).verdict === 'matches';
}

/** What a commit of an unchanged model answers: the newest commit of its line, and that nothing was made. */
function unchangedResult(headId: CommitId, head: Manifest): CommitResult {
  return {
    id: headId, type: head.type, parent: head.parent as CommitId | null,
    logicalBytes: head.files.reduce((s, f) => s + f.bytes, 0), deltaBytes: 0, fullBytesAdded: 0, unchanged: true,
  };
}

/** Refuses to commit the store's own files: a delta object committed as a model would share its name with a full object. */
async function refuseStoreFiles(abs: string): Promise<void> {
  const real = await fs.realpath(abs).catch(() => abs);
  for (const p of new Set([abs, real])) {
    if (p.split(path.sep).includes(STORE_DIR)) {
      throw new WeightlineError('REFUSED', `this is inside a ${STORE_DIR} folder, which holds Weightline's own files, not a model; commit the model file or folder instead`, abs);
    }
  }
}

function codeOf(e: unknown): ErrorCode {
  return e instanceof WeightlineError ? e.code : 'INTERNAL';
}

function fileOf(e: unknown): string | undefined {
  return e instanceof WeightlineError ? e.file : undefined;
}

/** An error's own words, without the "file: " prefix WeightlineError adds. */
function reason(e: unknown): string {
  if (e instanceof WeightlineError) return clause(e.file && e.message.startsWith(`${e.file}: `) ? e.message.slice(e.file.length + 2) : e.message);
  return clause(e instanceof Error ? `internal error (a bug, please report it): ${e.message}` : String(e));
}

/** A failure before the commit point: the store is as it was, and a full or read-only disk's error says so. */
function nothingCommitted(e: unknown): unknown {
  if (!(e instanceof WeightlineError) || (e.code !== 'DISK_FULL' && e.code !== 'PERMISSION')) return e;
  return new WeightlineError(e.code, `${reason(e)}; nothing was committed, the store is as before`, e.file);
}

/** A failure after the commit landed must not read as a failed commit. */
function afterLanding(result: CommitResult, what: string, e: unknown): WeightlineError {
  return new WeightlineError(codeOf(e), `commit ${result.id} was made and HEAD points to it; ${what}: ${reason(e)}`, fileOf(e));
}

/**
 * The parent's file a new file is diffed against: same path; for single-file
 * sources the one file, whatever its name; else, for a numbered checkpoint
 * file (TensorFlow's `ckpt-2.index` after `ckpt-1.index`), the one parent file
 * of the same family, so a save under a new number is still a delta.
 */
function pickBase(parent: Manifest, kind: 'file' | 'folder', rel: string): ManifestFile | null {
  if (kind === 'file' && parent.source.kind === 'file') return parent.files[0] ?? null;
  const same = parent.files.find((f) => f.path === rel);
  if (same) return same;
  const family = checkpointFamily(rel);
  if (!family) return null;
  const kin = parent.files.filter((f) => checkpointFamily(f.path) === family);
  return kin.length === 1 ? kin[0]! : null;
}

/**
 * Copies a working file into the store while hashing it, so the bytes that
 * are diffed and stored are exactly the bytes that were hashed, even if the
 * training script rewrites the file meanwhile. The copy starts once `after`
 * settles and runs in the background; the returned source reads the copy as
 * far as it has got, waiting for the rest.
 */
async function stage(store: Store, work: WorkingFile, layout: FileLayout, cache: StatCache, after: Promise<unknown>, onBytes: (n: number) => void, signal?: AbortSignal, twin: Twin | null = null): Promise<Staged> {
  const before = await fs.stat(work.abs);
  // Racy entries too: the guess is confirmed by hashing before it is used.
  const known = cache.hint(work.abs, before);
  if (known && (await store.hasObject(known))) {
    // Probably committed before (an unchanged model): confirm by hashing, and
    // skip the copy; the bytes are read from the store's own object.
    const sha256 = await sha256File(work.abs);
    onBytes(before.size);
    if (sha256 === known) {
      // Recorded again now, so the entry stops being racy.
      cache.remember(work.abs, sha256, before);
      const source = new FullSource(store.objectPath(sha256), { bytes: layout.size, tensors: layout.tensors }, work.rel);
      return { work, layout, knownSha256: sha256, done: Promise.resolve(sha256), temp: null, heldWhole: () => false, source };
    }
  }
  const temp = store.tempPath('full');
  const progress = new CopyProgress();
  const held = await openTwin(twin, before);
  const done = (async (): Promise<string> => {
    await after;
    let sha256: string;
    if (await tryReflink(work.abs, temp)) {
      await held?.handle.close();
      // A copy-on-write clone costs no data writes; hashing the clone is the only read.
      progress.advance(layout.size);
      await pausePoint('commit.copying', signal);
      sha256 = await sha256File(temp);
      onBytes(before.size);
    } else {
      sha256 = await copyHashing(work.abs, temp, (n) => { progress.advance(n); onBytes(n); }, signal, held && { ...held, progress });
      // Flushed only if it is new: an unchanged model's copy is dropped, and
      // need not wait for the disk (adoptObject keeps the existing object).
      if (!(await store.hasObject(sha256))) await fsyncFile(temp).catch((e: unknown) => { throw mapFsError(e, path.dirname(temp)); });
    }
    const now = await fs.stat(work.abs);
    if (progress.bytes !== layout.size || now.size !== before.size || now.mtimeMs !== before.mtimeMs || now.size !== layout.size) {
      throw new WeightlineError('CHANGED_DURING', 'the file changed while it was being committed; commit again once the writer has finished', work.abs);
    }
    cache.remember(work.abs, sha256, now);
    return sha256;
  })();
  done.catch((e: unknown) => progress.fail(e));
  const source = new GrowingSource(temp, { bytes: layout.size, tensors: layout.tensors }, work.rel, progress, held && { handle: held.reader, path: held.path });
  return { work, layout, knownSha256: null, done, temp, heldWhole: () => progress.heldWhole, source };
}

/** The parent's full object of the same path and size: a copy compares against it before writing anything. */
interface Twin { readonly path: string; readonly sha256: string }

interface OpenTwin {
  readonly path: string;
  readonly sha256: string;
  /** The copy's own descriptor on the object. */
  readonly handle: fs.FileHandle;
  /** The encoder's: bytes the copy held back are read from here. */
  readonly reader: fs.FileHandle;
}

/**
 * Opens the twin, or null when it cannot be trusted to stay as it is while
 * compared: an object with other hard links (a hard-linked restore, written
 * into by whoever edits that file), or the model file itself.
 */
async function openTwin(twin: Twin | null, file: Stats): Promise<OpenTwin | null> {
  if (!twin) return null;
  const handle = await fs.open(twin.path, 'r').catch(() => null);
  if (!handle) return null;
  const st = await handle.stat().catch(() => null);
  if (!st || !st.isFile() || st.nlink !== 1 || st.size !== file.size || (st.ino === file.ino && st.dev === file.dev)) {
    await handle.close();
    return null;
  }
  const reader = await fs.open(twin.path, 'r').catch(() => null);
  if (!reader) {
    await handle.close();
    return null;
  }
  return { ...twin, handle, reader };
}

/** How far a background copy has got; readers wait here for bytes not yet written. */
class CopyProgress {
  /** Bytes from the start equal to the twin's: read from the twin, since the copy may not have written them. */
  equal = 0;
  /** The whole file equalled the twin and hashed to its name: nothing was written. */
  heldWhole = false;
  private written = 0;
  private failure: unknown = null;
  private waiters: Array<{ upto: number; resolve: () => void; reject: (e: unknown) => void }> = [];

  get bytes(): number { return this.written; }

  advance(n: number): void {
    this.written += n;
    this.waiters = this.waiters.filter((w) => (w.upto <= this.written ? (w.resolve(), false) : true));
  }

  fail(e: unknown): void {
    this.failure = e;
    for (const w of this.waiters) w.reject(e);
    this.waiters = [];
  }

  until(upto: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (upto <= this.written) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ upto, resolve, reject }));
  }
}

/** The temp copy being written: reads wait until the copy has passed them. */
class GrowingSource extends FullSource {
  constructor(file: string, layout: { bytes: number; tensors: FileLayout['tensors'] }, label: string, private readonly progress: CopyProgress, private readonly twin: { readonly handle: fs.FileHandle; readonly path: string } | null) {
    super(file, layout, label);
  }

  override async read(offset: number, length: number): Promise<Buffer> {
    const into = Buffer.allocUnsafe(length);
    await this.readInto(offset, into);
    return into;
  }

  protected override async readInto(offset: number, into: Buffer): Promise<void> {
    await this.progress.until(offset + into.length);
    const head = this.twin ? Math.max(0, Math.min(into.length, this.progress.equal - offset)) : 0;
    if (head > 0) await readExactly(this.twin!.handle, offset, head, this.twin!.path, into.subarray(0, head));
    if (head < into.length) await super.readInto(offset + head, into.subarray(head));
  }

  override async close(): Promise<void> {
    await super.close();
    await this.twin?.handle.close();
  }
}

/**
 * Copies `src` to `temp` and hashes it. With a twin (the parent's object of
 * the same size) it first compares instead of writing: a model saved again
 * with the same bytes is then read twice from the page cache and written
 * never, and the hash of what was read proves it is the twin's object. At
 * the first chunk that differs the equal prefix is copied from the twin and
 * the copy goes on as without one (a delta commit pays one chunk's compare).
 */
async function copyHashing(src: string, temp: string, onBytes: (n: number) => void, signal?: AbortSignal, twin?: (OpenTwin & { progress: CopyProgress }) | null): Promise<string> {
  const hash = createHash('sha256');
  let out: fs.FileHandle | undefined;
  let input: fs.FileHandle | undefined;
  let holding = !!twin;
  let pos = 0;
  const theirs = twin ? Buffer.allocUnsafeSlow(1 << 22) : null;
  const writeOut = async (chunk: Buffer): Promise<void> => {
    out ??= await fs.open(temp, 'w', 0o644);
    let off = 0;
    try {
      while (off < chunk.length) off += (await out.write(chunk, off, chunk.length - off)).bytesWritten;
    } catch (e) {
      // The store's disk refused, not the model file: name the folder being written.
      throw mapFsError(e, path.dirname(temp));
    }
  };
  /** Writes the bytes held back so far: the twin's, which compared equal to what was hashed. */
  const writeHeld = async (): Promise<void> => {
    out ??= await fs.open(temp, 'w', 0o644);
    for (let at = 0; at < pos;) {
      const { bytesRead } = await twin!.handle.read(theirs!, 0, Math.min(theirs!.length, pos - at), at);
      if (bytesRead === 0) throw new WeightlineError('CORRUPT', `the parent's object ended at ${at} bytes while being copied; expected ${pos}`, twin!.path);
      await writeOut(theirs!.subarray(0, bytesRead));
      at += bytesRead;
    }
  };
  try {
    input = await fs.open(src, 'r');
    // Two buffers, reused, taking turns: the next chunk is read while this one
    // is hashed and written (one at a time, the main thread waited on each
    // read and each write in turn). A fresh 4 MiB chunk per read was garbage
    // V8 collected late (measured: +20-30 MB of peak RSS on a 4 GB commit).
    const bufs = [Buffer.allocUnsafeSlow(1 << 22), Buffer.allocUnsafeSlow(1 << 22)];
    const readInto = (b: Buffer): Promise<number> => {
      const r = input!.read(b, 0, b.length, null).then((x) => x.bytesRead);
      r.catch(() => undefined); // awaited next turn; a write failing first must not leave it unhandled
      return r;
    };
    let reading = readInto(bufs[0]!);
    for (let turn = 0; ; turn++) {
      if (signal?.aborted) throw new WeightlineError('CANCELLED', 'the commit was cancelled; the store is unchanged');
      const bytesRead = await reading;
      if (bytesRead === 0) break;
      const chunk = bufs[turn % 2]!.subarray(0, bytesRead);
      // The other buffer's write finished last turn: read ahead into it.
      reading = readInto(bufs[(turn + 1) % 2]!);
      hash.update(chunk);
      if (holding) {
        const { bytesRead: got } = await twin!.handle.read(theirs!, 0, chunk.length, pos);
        if (got === chunk.length && theirs!.subarray(0, got).equals(chunk)) {
          // Before onBytes: readers of these bytes go to the twin, as none are written.
          twin!.progress.equal += chunk.length;
          pos += chunk.length;
          onBytes(chunk.length);
          await pausePoint('commit.copying', signal);
          continue;
        }
        holding = false;
        await writeHeld();
      }
      await writeOut(chunk);
      pos += chunk.length;
      onBytes(chunk.length);
      await pausePoint('commit.copying', signal);
    }
    const sha256 = hash.digest('hex');
    if (holding) {
      // Equal to the end: the twin is this object unless the twin is damaged, when the copy is written after all (and mends it).
      if (sha256 === twin!.sha256) twin!.progress.heldWhole = true;
      else await writeHeld();
    }
    // An empty file writes no chunk, but its temp copy must exist to be adopted.
    if (!twin?.progress.heldWhole) out ??= await fs.open(temp, 'w', 0o644);
    await input.close();
    await out?.close();
    return sha256;
  } catch (e) {
    await input?.close().catch(() => undefined);
    await out?.close().catch(() => undefined);
    await fs.rm(temp, { force: true });
    throw mapFsError(e, src);
  } finally {
    await twin?.handle.close().catch(() => undefined);
  }
}

/**
 * The parent's file for a delta, by the cheapest route whose objects all hash
 * to their names (cached by stat; objects a link exposes are always hashed).
 * A damaged object is set aside and another route taken. With none left, the
 * commit refuses, naming the way out; a CHECKPOINT needs no base and goes on
 * without one (its change figures then compare against nothing).
 */
async function openProvedBase(store: Store, parentId: string, file: ManifestFile, checker: ObjectChecker, checkpoint: boolean): Promise<FileSource | null> {
  const bad = new Set<string>();
  for (;;) {
    let route;
    try {
      ({ route } = await planRoute(store, parentId, file, { bad }));
    } catch (e) {
      if (!(e instanceof WeightlineError) || (e.code !== 'CORRUPT' && e.code !== 'BROKEN_CHAIN')) throw e;
      if (checkpoint) return null;
      const reason = e instanceof NoRouteError ? `${e.file ? `${e.file}: ` : ''}${e.reason}` : e.message;
      throw new WeightlineError(e.code, `cannot take a delta against the parent commit: ${reason}. Run "weightline repair" (it sets damaged objects aside and rebuilds what it can), or commit with --checkpoint (full parameters, no base needed)`);
    }
    const damaged: string[] = [];
    for (const o of route.objects) if (!(await checker.intact(o))) damaged.push(o);
    if (damaged.length === 0) return openRoute(store, route);
    for (const o of damaged) bad.add(o);
  }
}
