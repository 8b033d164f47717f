import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { CleanupEstimate, CommitId, DiffResult, FileSummary, LogEntry, RestoredLinkProblem, ShowResult, StatusResult, TensorSummary } from '../../../src-shared/model';
import { encodeFile } from '../codec/encode-file';
import { openFileSource } from '../rebuild/open';
import { newestFirst } from '../store/graph';
import { readPacksOrDamage } from '../store/packs';
import { aheadOfHead, indexedGraph, logEntries, resolveCommit, tagNamesByCommit } from '../store/history';
import { linkProblems, linkStillShares, readLinks } from '../store/links';
import { commitSummaries, summarize, type CommitSummary } from '../store/log-index';
import { tensorRegions, type Manifest, type ManifestFile, type ManifestTensor } from '../base/manifest';
import { knownCheckpointReason } from '../../../src-shared/policy/checkpoint';
import type { Store } from '../store/store';
import { compareAllWorkingCopies, StatCache } from './working-copy';
import { lineKey } from '../store/tips';
import { combinedVerdict, type PathWorkingCopy } from '../../../src-shared/policy/working-copy';
import { WeightlineError } from '../../../src-shared/errors';
import { applyKeepPolicy } from '../../../src-shared/policy/keep';
import { WORKING } from '../../../src-shared/model';
import { quote, reservedPath } from '../base/manifest-paths';
import { readLayout } from '../formats/detect';
import { FullSource } from '../rebuild/source';
import { listSourceFiles, workingHashes } from './working-copy';

// Read-only questions: log, show, diff, status. None of them takes the lock.

function tensorSummary(t: ManifestTensor): TensorSummary {
  return {
    name: t.name, dtype: t.dtype, shape: t.shape, bytes: t.length, status: t.status,
    changedFraction: t.changedFraction, maxAbsDiff: t.maxAbsDiff, relChange: t.relChange,
  };
}

function removedSummary(name: string): TensorSummary {
  return { name, dtype: '', shape: [], bytes: 0, status: 'removed', changedFraction: null, maxAbsDiff: null, relChange: null };
}

function fileSummary(f: ManifestFile, tensors: readonly ManifestTensor[] = f.tensors, removed: readonly string[] = f.removedTensors, status = f.status): FileSummary {
  return { path: f.path, bytes: f.bytes, sha256: f.sha256, format: f.format, status, tensors: [...tensors.map(tensorSummary), ...removed.map(removedSummary)] };
}

/** The log, newest first; with `path` (absolute), only the commits of that model file or folder: its own line of history. */
export async function log(store: Store, summaries?: ReadonlyMap<string, CommitSummary>, opts: { readonly path?: string } = {}): Promise<LogEntry[]> {
  const entries = await logEntries(store, summaries);
  if (opts.path === undefined) return entries;
  const key = store.sourcePathFor(path.resolve(opts.path));
  // A run's checkpoints (each its own folder) are asked for by the run's folder.
  return entries.filter((e) => lineKey(store, e.path) === key || (e.meta?.run !== undefined && lineKey(store, e.meta.run) === key));
}

/**
 * One commit's details. Its log line is worked out from the summaries (the log
 * index: one read, or the caller's copy) and the stats of the objects its own
 * line of history names, never by building the whole log.
 */
export async function show(store: Store, ref = 'HEAD', summaries?: ReadonlyMap<string, CommitSummary>): Promise<ShowResult> {
  const id = await resolveCommit(store, ref);
  const entry = await logEntry(store, id, summaries ?? (await commitSummaries(store)));
  const manifest = await store.readManifest(id);
  const files = manifest.files.map((f) => fileSummary(f));
  for (const p of manifest.removedFiles) files.push({ path: p, bytes: 0, sha256: '', format: '', status: 'removed', tensors: [] });
  const reason = manifest.type === 'CHECKPOINT' ? knownCheckpointReason(manifest.checkpointReason) : undefined;
  return { ...entry, files, ...(reason ? { checkpointReason: reason } : {}) };
}

/** The log line of one commit, as logEntries would give it (the same figures), for the cost of one commit's chain. */
export async function logEntry(store: Store, id: CommitId, summaries: ReadonlyMap<string, CommitSummary>): Promise<LogEntry> {
  const own = summaries.get(id);
  const summary = own ?? summarize(await store.readManifest(id));
  const sizes = new Map<string, number | null>();
  const sizeOf = async (sha: string): Promise<number | null> => {
    if (!sizes.has(sha)) sizes.set(sha, await store.objectSize(sha));
    return sizes.get(sha)!;
  };
  // Packed full parameters count as full parameters (a rebuild starts there), on disk once for their full object.
  // A damaged index counts no packs (as every reader does; verify and repair report it).
  const recorded = (await readPacksOrDamage(store)).packs;
  const packedOf = async (sha: string): Promise<{ object: string; size: number } | null> => {
    for (const object of recorded.get(sha) ?? []) {
      const size = await sizeOf(object);
      if (size !== null) return { object, size };
    }
    return null;
  };
  const hasFull = async (s: CommitSummary): Promise<boolean> => {
    for (const [sha] of s.files) if ((await sizeOf(sha)) === null && !(await packedOf(sha))) return false;
    return true;
  };
  const hasRawFull = async (s: CommitSummary): Promise<boolean> => {
    for (const [sha] of s.files) if ((await sizeOf(sha)) === null) return false;
    return true;
  };
  // Deltas a usual rebuild replays: up the parents to the nearest commit with full parameters (graph.chainLength).
  let chainLength = 0;
  const walked = new Set<string>();
  for (let cur: string | null = id, s = summary as CommitSummary | undefined; cur && s && !walked.has(cur); cur = s.parent, s = cur ? summaries.get(cur) : undefined) {
    walked.add(cur); // a route record leading back to a walked commit (forged) ends the walk, never loops
    if (await hasFull(s)) break;
    chainLength++;
  }
  // An object several commits name is counted for the oldest of them (as the log does), so the figures add up.
  const me = { id, createdAt: summary.createdAt };
  let fullBytes = 0;
  // A file named twice in one commit counts once (as in the log).
  for (const sha of new Set(summary.files.map((f) => f[0]))) {
    const size = ((await sizeOf(sha)) ?? 0) + ((await packedOf(sha))?.size ?? 0);
    if (size === 0) continue;
    let older = false;
    for (const [other, s] of summaries) {
      if (other !== id && newestFirst(me, { id: other, createdAt: s.createdAt }) < 0 && s.files.some((f) => f[0] === sha)) { older = true; break; }
    }
    if (!older) fullBytes += size;
  }
  return {
    id, parent: summary.parent as CommitId | null, type: summary.type, message: summary.message, createdAt: summary.createdAt,
    logicalBytes: summary.files.reduce((a, f) => a + f[1], 0), fullBytes, deltaBytes: summary.files.reduce((a, f) => a + f[2], 0),
    path: summary.path, ...(summary.meta ? { meta: summary.meta } : {}), hasFull: await hasFull(summary), chainLength, pinned: (await store.readPins()).has(id),
    ...(await tagsOf(store, id)),
    ...((await aheadOfHead(store, [...summaries].map(([c, s]) => ({ id: c as CommitId, parent: s.parent as CommitId | null })))).has(id) ? { aheadOfHead: true as const } : {}),
    // As the log says it (graph.hasRawFull): full parameters on disk in packed form only.
    ...((await hasFull(summary)) && !(await hasRawFull(summary)) ? { packed: true as const } : {}),
  };
}

async function tagsOf(store: Store, id: CommitId): Promise<{ tags?: readonly string[] }> {
  const names = (await tagNamesByCommit(store)).get(id);
  return names ? { tags: names } : {};
}

/**
 * Change figures between any two commits; a commit and its parent reuse the
 * figures stored at commit time. With `WORKING` as the second ref (what the
 * CLI passes when given one commit), against the files at the commit's path now.
 */
export async function diff(store: Store, fromRef: string, toRef: string = WORKING): Promise<DiffResult> {
  if (toRef === WORKING) return diffWorking(store, fromRef);
  const from = await resolveCommit(store, fromRef);
  const to = await resolveCommit(store, toRef);
  const a = await store.readManifest(from);
  const b = await store.readManifest(to);
  if (b.parent === from) return { from, to, files: [...b.files.map((f) => fileSummary(f)), ...removedFiles(a, b)] };
  const files: FileSummary[] = [];
  for (const f of b.files) {
    const base = a.source.kind === 'file' && b.source.kind === 'file' ? a.files[0] : a.files.find((x) => x.path === f.path);
    if (!base) { files.push(fileSummary(f, f.tensors.map((t) => ({ ...t, status: 'added' as const })), [], 'added')); continue; }
    if (base.sha256 === f.sha256) {
      files.push(fileSummary(f, f.tensors.map((t) => ({ ...t, status: 'unchanged' as const, changedFraction: 0, relChange: t.relChange === null ? null : 0, maxAbsDiff: t.maxAbsDiff === null ? null : 0 })), [], 'unchanged'));
      continue;
    }
    const oldSource = await openFileSource(store, from, base);
    const newSource = await openFileSource(store, to, f);
    try {
      const encoded = await encodeFile(newSource, tensorRegions(f), { source: oldSource, path: base.path, tensors: base.tensors }, { writer: null });
      files.push(fileSummary(f, encoded.tensors, encoded.removedTensors, encoded.status));
    } finally {
      await oldSource.close();
      await newSource.close();
    }
  }
  return { from, to, files: [...files, ...removedFiles(a, b)] };
}

/**
 * A commit against the files at its path now: unchanged files by their hash
 * (from the stat cache where the stat is unchanged), changed ones parsed and
 * diffed tensor by tensor against the commit's version; nothing is written.
 */
export async function diffWorking(store: Store, ref: string): Promise<DiffResult> {
  const from = await resolveCommit(store, ref);
  const a = await store.readManifest(from);
  const abs = store.resolveSource(a.source.path);
  const cache = await StatCache.load(store);
  const here = await workingHashes(store, cache, a.source.path);
  if (!here) throw new WeightlineError('NOT_FOUND', `nothing is at ${quote(a.source.path)}, the path commit ${from.slice(0, 12)} records; "weightline restore ${from.slice(0, 12)}" puts it back`, abs);
  const { kind, files: working } = await listSourceFiles(abs);
  const files: FileSummary[] = [];
  for (const w of working) {
    const sha256 = here.get(w.rel)!;
    const base = a.source.kind === 'file' && kind === 'file' ? a.files[0] : a.files.find((x) => x.path === w.rel);
    const layout = await readLayout(w.abs);
    const tensors = layout.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, length: t.length }));
    const summary = (status: FileSummary['status'], t: readonly TensorSummary[]): FileSummary => ({ path: w.rel, bytes: layout.size, sha256, format: layout.format, status, tensors: t });
    if (!base) { files.push(summary('added', tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, bytes: t.length, status: 'added', changedFraction: null, maxAbsDiff: null, relChange: null })))); continue; }
    if (base.sha256 === sha256) {
      files.push(fileSummary(base, base.tensors.map((t) => ({ ...t, status: 'unchanged' as const, changedFraction: 0, relChange: t.relChange === null ? null : 0, maxAbsDiff: t.maxAbsDiff === null ? null : 0 })), [], 'unchanged'));
      continue;
    }
    const oldSource = await openFileSource(store, from, base);
    const newSource = new FullSource(w.abs, { bytes: layout.size, tensors: layout.tensors }, w.rel);
    try {
      const encoded = await encodeFile(newSource, layout.tensors, { source: oldSource, path: base.path, tensors: base.tensors }, { writer: null });
      files.push({ ...summary(encoded.status, [...encoded.tensors.map(tensorSummary), ...encoded.removedTensors.map(removedSummary)]) });
    } finally {
      await oldSource.close();
      await newSource.close();
    }
  }
  await cache.save();
  const gone = a.source.kind === 'folder' && kind === 'folder' ? a.files.filter((f) => !here.has(f.path) && reservedPath(f.path) === null) : [];
  return { from, to: WORKING, files: [...files, ...gone.map((f) => fileSummary(f, [], f.tensors.map((t) => t.name), 'removed'))] };
}

function removedFiles(a: Manifest, b: Manifest): FileSummary[] {
  if (a.source.kind === 'file' && b.source.kind === 'file') return [];
  return a.files.filter((f) => !b.files.some((x) => x.path === f.path)).map((f) => ({ ...fileSummary(f, [], f.tensors.map((t) => t.name), 'removed') }));
}

// Transient files (the writer's lock, temp files of a running writer) and the
// working-copy stat cache are not store content: counting them would make the
// figure jump while a writer runs. Nor are the other caches: a cleanup preview
// writes checked.json and pack-sizes.json, and must not change the figure it
// previews.
// `staging` holds a running watch's captures: hard links to a trainer's files, gone once committed.
// `ops` is the operations log, a record of what was done (a few hundred bytes
// an operation): a cleanup writes its record after freeing exactly what it
// previewed, and the disk budget counts objects, manifests, route records and
// trash (docs/STORE-FORMAT.md, "Disk budget"), not the log.
const NOT_CONTENT = new Set(['lock', 'index.json', 'log-index.json', 'checked.json', 'pack-sizes.json', 'staging', 'ops']);

/** Bytes of one folder's own files, and its subfolders: what is listed and stat'ed once per change of the folder. */
interface FolderSizes { readonly key: string; readonly files: number; readonly subfolders: readonly string[] }

async function listFolder(dir: string, key: string): Promise<FolderSizes> {
  const entries = (await fs.readdir(dir, { withFileTypes: true }))
    .filter((e) => !NOT_CONTENT.has(e.name) && !e.name.startsWith('.tmp-') && !e.name.startsWith('lock.'));
  // Concurrent stats: an objects folder of a long history holds tens of thousands of files.
  const sizes = await Promise.all(entries.map(async (e) => {
    if (!e.isFile()) return 0;
    return (await fs.stat(path.join(dir, e.name)).catch(() => null))?.size ?? 0; // deleted meanwhile by a cleanup
  }));
  return { key, files: sizes.reduce((a, b) => a + b, 0), subfolders: entries.filter((e) => e.isDirectory()).map((e) => e.name) };
}

// Every store file is written once under a temp name and renamed into place,
// and objects are never rewritten, so a folder's own files change only when
// its mtime does. Keyed by folder, so the main side (which asks on every
// refresh) lists only the folders that changed: on a 10,000-commit store that
// is a few hundred stats of folders instead of tens of thousands of files.
const folderCache = new Map<string, FolderSizes>();
// Timestamps as coarse as 2 s (FAT, some network file systems) cannot tell two
// changes within that time apart: a folder changed that recently is listed again.
const RACY_MS = 2000;

async function dirBytes(dir: string, cached: boolean): Promise<number> {
  let folder: FolderSizes;
  if (cached) {
    const st = await fs.stat(dir, { bigint: true });
    const key = `${st.ino}:${st.mtimeNs}`;
    const known = folderCache.get(dir);
    const racy = Date.now() - Number(st.mtimeMs) < RACY_MS;
    folder = known?.key === key && !racy ? known : await listFolder(dir, key);
    if (racy) folderCache.delete(dir); else folderCache.set(dir, folder);
  } else {
    folder = await listFolder(dir, '');
  }
  const subs = await Promise.all(folder.subfolders.map((d) => dirBytes(path.join(dir, d), cached).catch(() => 0))); // removed meanwhile
  return subs.reduce((a, b) => a + b, folder.files);
}

/**
 * Bytes the store holds on disk (its .weightline folder, without transient
 * files). Equal to a walk of every file (storeBytesWalk), but remembers each
 * folder's own files by the folder's mtime, so asking again costs a stat per
 * folder plus a listing of the folders that changed.
 */
export async function storeBytes(store: Store): Promise<number> {
  return dirBytes(store.dir, true);
}

/** Bytes under one folder of the store (the trash), remembered like storeBytes; 0 when it is not there. */
export async function folderBytes(dir: string): Promise<number> {
  return dirBytes(dir, true).catch(() => 0);
}

/** The same figure by listing and stat'ing every file (what storeBytes is checked against). */
export async function storeBytesWalk(store: Store): Promise<number> {
  return dirBytes(store.dir, false);
}

/**
 * Status from stat data and the store's small files only, for the app's main
 * side (status.get): never reads a model file's bytes. Restored links whose
 * stat matches when they were last hashed are judged by that hash; the others
 * are judged from stat (gone: broken; still sharing the store's inode: changed
 * in place; else modified) and listed in linksUnconfirmed, for a `status` job
 * (which hashes, as `status` does) to confirm. The working copy itself is the
 * caller's (workingCopy.get's stat-only judge), so both speak alike.
 */
export async function quickStatus(store: Store, summaries?: ReadonlyMap<string, CommitSummary>): Promise<Omit<StatusResult, 'dirty'>> {
  const head = await store.readHead();
  const all = summaries ?? (await commitSummaries(store));
  const logicalBytes = [...all.values()].reduce((s, m) => s + m.files.reduce((a, f) => a + f[1], 0), 0);
  let where: string | null = null;
  const links: RestoredLinkProblem[] = [];
  const linksUnconfirmed: string[] = [];
  if (head) {
    where = all.get(head)?.path ?? (await store.readManifest(head)).source.path;
    const cache = await StatCache.load(store);
    for (const [target, rec] of Object.entries(await readLinks(store))) {
      const st = await fs.stat(target).catch(() => null);
      if (!st) { links.push({ path: target, commit: rec.commit, problem: 'broken' }); continue; }
      const known = cache.hint(target, st);
      if (known === rec.sha256) continue;
      if (known === null) linksUnconfirmed.push(target);
      const inPlace = rec.mode !== 'reflink' && (await linkStillShares(store, target, rec));
      links.push({ path: target, commit: rec.commit, problem: inPlace ? 'changed-in-place' : 'modified' });
    }
  }
  return {
    head: head as CommitId | null, storeBytes: await storeBytes(store), logicalBytes, path: where, links,
    ...(linksUnconfirmed.length ? { linksUnconfirmed } : {}),
  };
}

/**
 * Status as the CLI gives it: every path that has commits, its working copy
 * against the newest commit of its line (hashing each file whose stat
 * changed), and the restored links (the `status` job runs it too). The store
 * matches only when every path does.
 */
export async function status(store: Store): Promise<StatusResult> {
  const head = await store.readHead();
  const summaries = await commitSummaries(store);
  const logicalBytes = [...summaries.values()].reduce((s, m) => s + m.files.reduce((a, f) => a + f[1], 0), 0);
  let where: string | null = null;
  let links: StatusResult['links'] = [];
  let paths: PathWorkingCopy[] = [];
  if (head) {
    where = summaries.get(head)?.path ?? (await store.readManifest(head)).source.path;
    const cache = await StatCache.load(store);
    paths = await compareAllWorkingCopies(store, cache, head, { hash: true });
    links = await linkProblems(store, (abs) => cache.hash(abs));
    await cache.save();
  }
  const workingCopy = head ? combinedVerdict(paths.map((p) => p.state)) : undefined;
  return {
    head: head as CommitId | null, storeBytes: await storeBytes(store), logicalBytes, dirty: !!workingCopy && workingCopy !== 'matches',
    path: where, links, ...(workingCopy ? { workingCopy, paths } : {}), cleanup: await cleanupEstimate(store, summaries),
  };
}

/**
 * What a cleanup at the store's own keepFullLatest would free, by its keep
 * rule (CHECKPOINTs, branch tips, the newest N of each line, pins, linked
 * objects) applied to the log index: no object is read or proved, so it is an
 * estimate (a cleanup also keeps what a damaged route still needs). After a
 * cleanup it is 0, as the dry run says. Null when the settings, pins or links
 * cannot be read (cleanup refuses then too).
 */
export async function cleanupEstimate(store: Store, summaries?: ReadonlyMap<string, CommitSummary>): Promise<CleanupEstimate | null> {
  let keepFullLatest: number, pins: ReadonlySet<string>, linked: Set<string>;
  try {
    keepFullLatest = (await store.readConfig()).keepFullLatest;
    pins = await store.readPins();
    linked = new Set(Object.values(await readLinks(store)).map((r) => r.sha256));
  } catch {
    return null;
  }
  const graph = await indexedGraph(store, summaries);
  // Cleanup's own keep rule (src-shared/policy/keep.ts), without the damage checks only a cleanup's reads can make.
  const decisions = applyKeepPolicy(graph.commits.map((c) => ({
    id: c.id, parent: c.parent, type: c.type, hasRawFull: graph.hasRawFull(c.id), pinned: pins.has(c.id), linked: c.files.some((f) => linked.has(f.sha256)),
  })), { keepFullLatest });
  const candidates = new Set<string>();
  let checkpointsToPack = 0;
  const raw = new Set<string>();
  for (const d of decisions) {
    if (!graph.hasRawFull(d.id)) continue;
    for (const f of graph.get(d.id)!.files) raw.add(f.sha256);
    if (d.verdict === 'pack') checkpointsToPack++;
    if (d.verdict === 'prune') candidates.add(d.id);
  }
  // An object a kept commit also names stays (an unchanged config.json shared along the line).
  const keptObjects = new Set<string>();
  for (const c of graph.commits) if (!candidates.has(c.id)) for (const f of c.files) keptObjects.add(f.sha256);
  const freed = new Set<string>();
  for (const id of candidates) for (const f of graph.get(id)!.files) if (!keptObjects.has(f.sha256)) freed.add(f.sha256);
  const size = (shas: Iterable<string>): number => [...shas].reduce((s, sha) => s + (graph.objectSize(sha) ?? 0), 0);
  return { keepFullLatest, bytesFreeable: size(freed), commits: candidates.size, checkpointsToPack, rawBytes: size(raw), estimated: true };
}
