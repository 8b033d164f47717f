import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { WeightlineError } from '../../../src-shared/errors';
import { clause } from '../../../src-shared/printable';
import type { CommitId, LinkMode, Note, ProgressListener, RestoreHead, RestoreResult } from '../../../src-shared/model';
import type { FileSource } from '../base/file-source';
import { readVersion, type VerifiedRead } from '../rebuild/open';
import { HistoryGraph } from '../store/graph';
import { exists, fsyncDir, fsyncFile, mapFsError, sha256File, tempPathFor } from '../base/fsutil';
import { resolveCommit } from '../store/history';
import { withWriteLock } from '../store/lock';
import { readLinks, writeLinks } from '../store/links';
import type { Manifest, ManifestFile } from '../base/manifest';
import { place, tryReflink } from '../store/place';
import type { Store } from '../store/store';
import { isOutsideSource, quote, reservedName, reservedPath, safeJoin } from '../base/manifest-paths';
import { readFetchedOutsideFile } from '../store/store-files';
import { matchesManifest, StatCache, workingHashes } from './working-copy';
import { recordLines } from '../store/tips';
import { HashThread, SLOT_BYTES } from './hash-thread';

export interface RestoreOptions {
  /** Where to put the version; its own path when absent. */
  readonly to?: string;
  /** Overwrite a working copy that holds uncommitted work. */
  readonly force?: boolean;
  /** How to put bytes the store already holds in place; 'auto' = reflink where possible, else copy. */
  readonly link?: LinkMode;
  readonly onProgress?: ProgressListener;
  readonly signal?: AbortSignal;
  /**
   * Brings objects the store lacks into objects/ before the version is read
   * (a remote's: remote/lazy.ts); true when it added some. Absent:
   * the store's own objects only.
   */
  readonly fetchObjects?: (id: string, manifest: Manifest, graph: HistoryGraph, signal?: AbortSignal) => Promise<{ readonly added: boolean; readonly notes: readonly Note[] }>;
}

export const LINK_WARNING = 'the restored files share their bytes with the store: a program that writes into a linked file in place (torch.save or cp to the same path do) changes the stored version; "weightline status" and "weightline verify" detect it and "weightline repair" rebuilds it where the history allows. Use --link auto (reflink or copy) unless you need the disk space';


export async function restore(store: Store, ref: string, opts: RestoreOptions = {}): Promise<RestoreResult> {
  const mode = opts.link ?? 'auto';
  const id = await resolveCommit(store, ref);
  const manifest = await store.readManifest(id);
  const { target, ownPath } = await restoreTarget(store, id, manifest, opts.to);
  // Restoring to the commit's own path moves HEAD, and links are recorded in
  // links.json: both are writes and take the lock. A copy to another place
  // only reads the store, so it works on a read-only store too (a lock it
  // cannot take there is no reason to refuse).
  const writes = target === ownPath || mode === 'hardlink' || mode === 'symlink';
  try {
    return await withWriteLock(store, 'restore', (signal) => restoreLocked(store, id, manifest, target, ownPath, { ...opts, signal }), undefined, { signal: opts.signal });
  } catch (e) {
    if (!writes && (e as WeightlineError).code === 'PERMISSION' && (e as WeightlineError).file?.startsWith(store.dir)) {
      return restoreLocked(store, id, manifest, target, ownPath, opts, { readOnlyStore: true });
    }
    throw e;
  }
}

/**
 * Where the version goes. A single file goes to --to, or inside it when --to
 * is an existing folder or ends with a slash; its name always passes the same
 * safe join as a folder's files, so a manifest cannot steer it elsewhere.
 */
async function restoreTarget(store: Store, id: CommitId, manifest: Manifest, to: string | undefined): Promise<{ target: string; ownPath: string }> {
  const src = manifest.source.path;
  // The manifest reader's gate has passed every path; these are restore's own rules on where it writes.
  if (isOutsideSource(src)) {
    if (!to) await refuseOutsideTarget(store, id, src);
  } else if (src !== '.') {
    safeJoin(store.root, src);
  }
  const ownPath = store.resolveSource(src);
  if (manifest.source.kind === 'file') {
    const name = manifest.files[0]!.path;
    safeJoin(ownPath, name); // refuses a name with a folder part or ".."
    if (name.includes('/')) throw new WeightlineError('UNSAFE_PATH', `refusing the file name ${quote(name)} of a single-file commit: it names a folder`);
  }
  if (!to) return { target: ownPath, ownPath };
  let target = path.resolve(to);
  if (manifest.source.kind === 'file') {
    const st = await fs.stat(target).catch(() => null);
    if (st?.isDirectory() || /[\\/]$/.test(to)) target = safeJoin(target, manifest.files[0]!.path);
  }
  return { target, ownPath };
}

/**
 * A commit recorded outside the store's folder (an absolute source.path, as
 * older versions wrote for a model outside it) goes back there only when it
 * was made here: a remote's commit never chooses where on this machine it is
 * written (a forged commit's source.path would otherwise make the next plain
 * restore write to, say, `/some/where/pwned.txt`). Fetch records such commits in fetched-outside.json
 * before they land; while that file is damaged, every such commit needs --to.
 */
async function refuseOutsideTarget(store: Store, id: CommitId, src: string): Promise<void> {
  const withTo = `restore it with --to <path> to choose where it goes`;
  if (!path.isAbsolute(src)) {
    throw new WeightlineError('UNSAFE_PATH', `commit ${id.slice(0, 12)} records its path as ${quote(src)}, an absolute path of another platform; ${withTo}`);
  }
  const reserved = src.split(/[\\/]/u).find((part) => reservedName(part) !== null);
  if (reserved !== undefined) {
    throw new WeightlineError('UNSAFE_PATH', `commit ${id.slice(0, 12)} records its path as ${quote(src)}, inside ${quote(reserved)}, a folder whose files another program runs or the store reads as its own; ${withTo}`);
  }
  let fetched: ReadonlySet<string>;
  try {
    fetched = await readFetchedOutsideFile(store.dir);
  } catch (e) {
    throw new WeightlineError('UNSAFE_PATH', `commit ${id.slice(0, 12)} records its path as ${quote(src)}, outside the store's folder ${store.root}, and the record of commits fetched from remotes cannot be read (${clause((e as Error).message)}); ${withTo}`);
  }
  if (fetched.has(id)) {
    throw new WeightlineError('UNSAFE_PATH', `commit ${id.slice(0, 12)} came from a remote and records its path as ${quote(src)}, outside the store's folder ${store.root}; a remote's commit never chooses where on this machine it is written: ${withTo}`);
  }
}

async function restoreLocked(
  store: Store, id: CommitId, manifest: Manifest, target: string, ownPath: string, opts: RestoreOptions,
  how: { readOnlyStore?: boolean } = {},
): Promise<RestoreResult> {
  const cache = await StatCache.load(store);
  const here = await workingHashes(store, cache, store.sourcePathFor(target));
  // From the log index: a restore parses the manifests its routes read, not every one (readVersion confirms the rest).
  let graph = await HistoryGraph.loadIndexed(store);
  const guard = await guardWorkingCopy(store, graph, manifest, target, here, !!opts.force);
  const tracked = guard.tracked?.manifest ?? null;

  // Objects only a remote holds: downloaded (hash-checked) before anything is read or written here.
  const fetched = opts.fetchObjects ? await opts.fetchObjects(id, manifest, graph, opts.signal) : null;
  if (fetched?.added) graph = await HistoryGraph.loadIndexed(store);
  // A folder commit of an older version may hold a `.git` (or `.hg`, `.weightline`) the folder had:
  // kept in the store, never written back, since its files are another program's (a git config runs commands).
  const leftOut = manifest.source.kind === 'folder' ? manifest.files.filter((f) => reservedPath(f.path) !== null) : [];
  const total = manifest.files.reduce((s, f) => s + (leftOut.includes(f) ? 0 : f.bytes), 0);
  const mode = opts.link ?? 'auto';
  // A copy restore needs links.json only to drop a stale entry for its
  // target, so a damaged links.json does not stop it (the file is left alone,
  // as it is; cleanup and status still refuse it). A link restore must record
  // its link, so there the damage stops it.
  let linksUsable = !how.readOnlyStore;
  let links: Awaited<ReturnType<typeof readLinks>> = {};
  if (linksUsable) {
    try {
      links = await readLinks(store);
    } catch (e) {
      if (mode === 'hardlink' || mode === 'symlink' || (e as WeightlineError).code !== 'CORRUPT') throw e;
      linksUsable = false;
    }
  }
  // links.json is written only when this restore changes it: a copy to
  // another disk must work on a full or read-only store.
  let linksChanged = false;
  const bad = new Set<string>();
  const notes: Note[] = [...(fetched?.notes ?? [])];
  const notLinked: string[] = [];
  let done = 0;
  let linked = 0;
  let bytesNotCopied = 0;
  const onBytes = (n: number): void => { done += n; opts.onProgress?.({ phase: 'restoring', bytesDone: done, bytesTotal: total }); };
  // Files of the version that was there and not of this one were committed,
  // so removing them loses nothing. Removed first, with the folders they
  // leave empty: this version may have a file where that one had a folder
  // (`a/b`, now `a`), or the reverse.
  if (tracked && manifest.source.kind === 'folder') await removeStale(target, tracked, manifest);
  if (leftOut.length > 0) {
    const folders = [...new Set(leftOut.map((f) => reservedPath(f.path)!))].join(', ');
    notes.push({
      code: 'LEFT_OUT',
      message: `left out ${leftOut.length} file(s) inside ${folders}: this commit of an older version holds them, and Weightline never writes into a folder another program runs from or reads as its store (they stay in the store)`,
      files: leftOut.map((f) => f.path),
    });
  }
  for (const file of manifest.files) {
    if (opts.signal?.aborted) throw new WeightlineError('CANCELLED', 'the restore was cancelled; files restored so far are whole, the rest untouched');
    if (leftOut.includes(file)) continue;
    const dest = manifest.source.kind === 'file' ? target : safeJoin(target, file.path);
    if (here && (manifest.source.kind === 'file' ? [...here.values()][0] : here.get(file.path)) === file.sha256 && !(mode === 'hardlink' || mode === 'symlink')) {
      onBytes(file.bytes); // already there, byte for byte
      continue;
    }
    if (links[dest]) { delete links[dest]; linksChanged = true; }
    // From the full object when it is on disk: a link, else a kernel copy
    // (auto falls back to it where the file system cannot reflink). A full
    // object found damaged is set aside and the version rebuilt by another route.
    const onDisk = graph.objectSize(file.sha256) !== null;
    let placed = onDisk ? await placeObject(store, id, file, dest, mode) : null;
    if (placed === null && onDisk && mode === 'auto') placed = await placeObject(store, id, file, dest, 'copy');
    if (placed === 'damaged') { bad.add(file.sha256); placed = null; }
    if (placed === null) {
      // Rebuilt (or the object went away meanwhile): streamed, hashed as it is written.
      const read = await writeVersion(store, id, file, dest, onBytes, opts.signal, { graph, bad });
      if (read.note) notes.push({ code: 'REBUILT_AROUND_DAMAGE', message: `${file.path}: ${read.note}`, next: 'repair', files: [file.path] });
      for (const d of read.damaged) notes.push({ code: 'OBJECT_DAMAGED', message: `object ${d.slice(0, 12)} is damaged; run "weightline repair"`, next: 'repair', files: [file.path] });
      if (bad.has(file.sha256)) notes.push({ code: 'REBUILT_AROUND_DAMAGE', message: `${file.path}: the stored full parameters are damaged (object ${file.sha256.slice(0, 12)}); rebuilt from intact deltas instead; run "weightline repair"`, next: 'repair', files: [file.path] });
      if (mode === 'hardlink' || mode === 'symlink') notLinked.push(file.path);
    } else if (placed === 'copy') {
      onBytes(file.bytes);
    } else {
      linked++;
      bytesNotCopied += file.bytes;
      links[dest] = { commit: id, sha256: file.sha256, mode: placed };
      linksChanged = true;
      onBytes(file.bytes);
    }
    cache.remember(dest, file.sha256, await fs.stat(dest));
  }
  if (linksUsable && linksChanged) await writeLinks(store, links);
  if (notLinked.length > 0) {
    notes.push({
      code: 'NOT_LINKED',
      message: `${notLinked.length} file(s) written as copies, not ${mode}s: the store keeps no full parameters of ${id.slice(0, 12)} to link to (a cleanup removed them), so they were rebuilt from deltas; "weightline pin ${id.slice(0, 12)}" stores them again, and a later restore --link ${mode} links them`,
      files: notLinked,
    });
  }
  if (guard.replaced) notes.push(guard.replaced);
  const head = await moveHead(store, graph, id, target === ownPath);
  if (head.note) notes.push(head.note);
  // The next commit of this path branches from here, even after commits of other paths (store/tips.ts).
  if (target === ownPath) await recordLines(store);
  await cache.save();
  const warning = linked > 0 && (mode === 'hardlink' || mode === 'symlink') ? LINK_WARNING : null;
  return { id, target, files: manifest.files.length - leftOut.length, bytes: total, link: { linked, bytesNotCopied, mode, warning }, head: head.head, ...(notes.length ? { notes } : {}) };
}

interface Guard {
  /** The commit whose files the working copy holds (all of them, byte for byte; other files may be there too), or null. */
  readonly tracked: { readonly id: CommitId; readonly manifest: Manifest } | null;
  /** Said when files that differ from HEAD were replaced because a commit holds their bytes. */
  readonly replaced: Note | null;
}

/**
 * What is at the target may be replaced only where nothing is lost: a file
 * restore writes over must hold bytes some commit has (any commit, not only
 * HEAD: those bytes stay restorable). Files restore does not write (an added
 * README.md the version lacks) never block. The refusal names each file that
 * blocks and the command that keeps it; with --force they are overwritten.
 */
async function guardWorkingCopy(
  store: Store, graph: HistoryGraph, manifest: Manifest, target: string, here: ReadonlyMap<string, string> | null, force: boolean,
): Promise<Guard> {
  if (!here || here.size === 0) return { tracked: null, replaced: null };
  const single = manifest.source.kind === 'file';
  // What restore writes over: the single file, or the version's paths the folder holds with other bytes.
  const overwritten: Array<{ path: string; sha256: string }> = [];
  for (const [rel, sha256] of here) {
    const mine = single ? manifest.files[0]! : manifest.files.find((f) => f.path === rel);
    if (mine && mine.sha256 !== sha256) overwritten.push({ path: rel, sha256 });
  }
  // Which commits hold each sha256, by the graph; what lets a file be overwritten is confirmed by a manifest
  // (the graph may come from the log index, a cache that must never be the reason uncommitted work is lost).
  const holders = new Map<string, CommitId[]>();
  for (const c of graph.commits) for (const f of c.files) holders.set(f.sha256, [...(holders.get(f.sha256) ?? []), c.id]);
  const held = new Set<string>();
  for (const f of overwritten) if (await heldByManifest(store, holders.get(f.sha256) ?? [], f.sha256)) held.add(f.sha256);
  const blocking = overwritten.filter((f) => !held.has(f.sha256));
  if (blocking.length > 0 && !force) {
    // A single-file version whose place holds a folder names the place once (writing there then fails as DIRTY anyway).
    const named = [...new Set(blocking.map((f) => (single ? path.basename(target) : f.path)))];
    const names = named.slice(0, 5).map(quote).join(', ') + (named.length > 5 ? ` and ${named.length - 5} more` : '');
    const one = named.length === 1;
    throw new WeightlineError('DIRTY', `${names} ${one ? 'holds' : 'hold'} changes that no commit has, and this restore would overwrite ${one ? 'it' : 'them'}; ${keepAdvice(store, target)}, or restore with --force to overwrite ${one ? 'it' : 'them'}`, target);
  }
  // The version that is there (HEAD's first), whose files a folder restore may remove: every one of them is committed.
  const headId = await store.readHead().catch(() => null);
  // Only a commit naming some of the bytes here can be the version that is there: the others' manifests are not read.
  const here256 = new Set(here.values());
  const ordered = graph.commits.filter((c) => c.id === headId || c.files.some((f) => here256.has(f.sha256)))
    .sort((a, b) => Number(b.id === headId) - Number(a.id === headId));
  let tracked: Guard['tracked'] = null;
  for (const c of ordered) {
    const m = await store.readManifest(c.id).catch(() => null);
    if (!m || m.source.kind !== manifest.source.kind) continue;
    if (matchesManifest(here, m)) { tracked = { id: c.id, manifest: m }; break; }
    if (!single && !tracked && coveredBy(here, m)) tracked = { id: c.id, manifest: m };
  }
  let replaced: Note | null = null;
  // Only where HEAD's version lives: a file elsewhere (--to) is not "changed since HEAD".
  const headManifest = headId ? await store.readManifest(headId).then((m) => (m.source.path === manifest.source.path ? m : null)).catch(() => null) : null;
  const fromHead = overwritten.filter((f) => {
    const h = headManifest ? (single ? headManifest.files[0] : headManifest.files.find((x) => x.path === f.path)) : undefined;
    return h !== undefined && h.sha256 !== f.sha256 && held.has(f.sha256);
  });
  if (fromHead.length > 0) {
    const other = tracked && tracked.id !== headId ? ` (they are commit ${tracked.id.slice(0, 12)}'s; "weightline restore ${tracked.id.slice(0, 12)}" brings them back)` : '';
    replaced = {
      code: 'REPLACED_COMMITTED',
      message: `replaced ${fromHead.length} file(s) that differed from HEAD without --force: a commit holds their bytes, so nothing is lost${other}`,
      files: fromHead.map((f) => (single ? path.basename(target) : f.path)),
    };
  }
  return { tracked, replaced };
}

/** True when one of the commits' manifests names the bytes: the graph's word, checked where it decides an overwrite. */
async function heldByManifest(store: Store, commits: readonly CommitId[], sha256: string): Promise<boolean> {
  for (const id of commits) if ((await store.readManifest(id).catch(() => null))?.files.some((f) => f.sha256 === sha256)) return true;
  return false;
}

/** Every file of a folder commit (but those restore never writes) is in the working copy with its bytes. */
function coveredBy(here: ReadonlyMap<string, string>, m: Manifest): boolean {
  const files = m.files.filter((f) => reservedPath(f.path) === null);
  return files.length > 0 && files.every((f) => here.get(f.path) === f.sha256);
}

/**
 * How to keep what blocks: a commit where the target lies inside the store's
 * folder (where `commit` takes it), else moving it away; never a command that
 * would fail.
 */
function keepAdvice(store: Store, target: string): string {
  const rel = path.relative(store.root, target);
  const inside = rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel) && !rel.split(path.sep).some((p) => reservedName(p) !== null));
  if (!inside) return `it lies outside the store's folder ${store.root}, where no commit can take it: move it away first`;
  return `commit first (weightline commit ${path.relative(process.cwd(), target) || '.'} -m "...")`;
}

/**
 * Moves HEAD to the restored commit when it went to its own path, and says
 * what the next commit does: with newer commits after the restored one, it
 * starts a new branch from it (as git says of a detached HEAD).
 */
async function moveHead(store: Store, graph: HistoryGraph, id: CommitId, own: boolean): Promise<{ head: RestoreHead; note: Note | null }> {
  const before = await store.headState();
  const from = before.ok ? before.commit : null;
  if (own) await store.writeHead(id);
  const to = own ? id : from;
  const moved = own && from !== id;
  const after = descendantsOf(graph, id);
  const head: RestoreHead = { moved, from, to, descendants: after.length, newestDescendant: after[0] ?? null };
  if (!moved || after.length === 0) return { head, note: null };
  const newest = after[0]!.slice(0, 12);
  return {
    head,
    note: {
      code: 'HEAD_MOVED',
      message: `HEAD is now at ${id.slice(0, 12)}${from ? ` (was ${from.slice(0, 12)})` : ''}, which has ${after.length} newer commit(s) after it: the next commit starts a new branch from ${id.slice(0, 12)}; the newer commits stay in the log, and "weightline restore ${newest}" goes back to the newest`,
      next: 'restore',
    },
  };
}

/** Commits that descend from id, newest first. */
function descendantsOf(graph: HistoryGraph, id: CommitId): CommitId[] {
  const children = new Map<string, CommitId[]>();
  for (const c of graph.commits) if (c.parent) children.set(c.parent, [...(children.get(c.parent) ?? []), c.id]);
  const seen = new Set<CommitId>();
  const todo = [...(children.get(id) ?? [])];
  while (todo.length) {
    const c = todo.pop()!;
    if (seen.has(c)) continue;
    seen.add(c);
    todo.push(...(children.get(c) ?? []));
  }
  // graph.commits is newest first.
  return graph.commits.filter((c) => seen.has(c.id)).map((c) => c.id);
}

/** Removes the tracked version's files this version lacks, and every folder that leaves empty (never the target itself). */
async function removeStale(target: string, tracked: Manifest, manifest: Manifest): Promise<void> {
  const keep = new Set(manifest.files.map((f) => f.path));
  const folders = new Set<string>();
  for (const f of tracked.files) {
    // Never a file of a reserved folder: the user's own .git is not restore's to delete.
    if (keep.has(f.path) || reservedPath(f.path) !== null) continue;
    await fs.rm(safeJoin(target, f.path), { force: true }).catch((e: unknown) => { throw targetFsError(e, safeJoin(target, f.path)); });
    const parts = f.path.split('/');
    for (let i = parts.length - 1; i > 0; i--) folders.add(parts.slice(0, i).join('/'));
  }
  // Deepest first; rmdir refuses a folder that still holds anything (the user's own files stay).
  for (const dir of [...folders].sort((a, b) => b.split('/').length - a.split('/').length)) {
    await fs.rmdir(safeJoin(target, dir)).catch(() => undefined);
  }
}

/**
 * A file system error at a restore's target, in words: what stands in the
 * way (a file where the version has a folder, or the reverse; a name longer
 * than the disk takes) is the target's state, not a bug.
 */
function targetFsError(e: unknown, file: string): unknown {
  switch ((e as NodeJS.ErrnoException)?.code) {
    case 'ENOTDIR':
    case 'EEXIST':
      return new WeightlineError('DIRTY', 'a file stands where this version has a folder; move it away, or restore with --to another folder', file);
    case 'EISDIR':
    case 'ENOTEMPTY':
      return new WeightlineError('DIRTY', 'a folder stands where this version has a file; move it away, or restore with --to another folder', file);
    case 'ENAMETOOLONG':
      return new WeightlineError('UNSUPPORTED', 'this path is longer than the file system takes (ENAMETOOLONG); restore with --to a folder with a shorter path', file);
    default:
      return mapFsError(e, file);
  }
}

/**
 * Puts a full object at dest through a temp name, by a link or by a kernel
 * copy (copy_file_range, as cp does: the bytes never pass through this
 * process). Null when mode is auto and the file system cannot reflink, or when
 * a copy finds the object gone (a cleanup ran meanwhile); 'damaged' when the
 * object does not hash to its name (a hard-linked restore was written into):
 * the caller then rebuilds by another route. The result is hashed before the
 * rename: a restore must never hand out bytes that are not the commit's.
 */
async function placeObject(store: Store, id: CommitId, file: ManifestFile, dest: string, mode: LinkMode): Promise<'reflink' | 'hardlink' | 'symlink' | 'copy' | 'damaged' | null> {
  const object = store.objectPath(file.sha256);
  // A folder (or anything but a file) in the object's place is damage: rebuilt by another route, like a damaged object.
  const kind = await fs.lstat(object).catch(() => null);
  if (kind && !kind.isFile()) return 'damaged';
  // A size other than the manifest's: either the object was written into, or the manifest lies about it (say,
  // 1e15 bytes claimed for a 3-byte object restored as "1,000.0 TB"). Either way it is not this version's bytes:
  // another route is tried, and with none the error names the object.
  if (kind && kind.size !== file.bytes) return 'damaged';
  await fs.mkdir(path.dirname(dest), { recursive: true }).catch((e: unknown) => { throw targetFsError(e, path.dirname(dest)); });
  const temp = tempPathFor(dest);
  try {
    let how: 'reflink' | 'hardlink' | 'symlink' | 'copy';
    if (mode === 'auto') {
      if (!(await tryReflink(object, temp))) return null;
      how = 'reflink';
    } else if (mode === 'copy') {
      try {
        await fs.copyFile(object, temp);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT' && !(await exists(object))) { await fs.rm(temp, { force: true }); return null; }
        throw e;
      }
      how = 'copy';
    } else {
      if (!(await exists(object))) return null;
      how = await place(object, temp, mode, dest) as typeof how;
    }
    const actual = await sha256File(temp);
    if (actual !== file.sha256) {
      await fs.rm(temp, { force: true });
      return 'damaged';
    }
    if (how === 'reflink' || how === 'copy') {
      // A clone or copy is the user's own file: writable (not the object's
      // read-only mode, which both carry over), and durable before the rename.
      await fs.chmod(temp, 0o644);
      await fsyncFile(temp);
    }
    await fs.rename(temp, dest);
    await fsyncDir(path.dirname(dest));
    return how;
  } catch (e) {
    await fs.rm(temp, { force: true });
    if (e instanceof WeightlineError) throw e;
    throw targetFsError(e, dest);
  }
}

/**
 * Rebuilds one file into dest through a temp file, by the cheapest intact
 * route (see rebuild/open.ts), checking its sha256 before the rename makes it
 * visible. A route that gives wrong bytes leaves nothing behind; the next is tried.
 */
export async function writeVersion(
  store: Store, id: string, file: ManifestFile, dest: string, onBytes: (n: number) => void, signal?: AbortSignal,
  opts: { graph?: HistoryGraph; bad?: Set<string> } = {},
): Promise<VerifiedRead> {
  await fs.mkdir(path.dirname(dest), { recursive: true }).catch((e: unknown) => { throw targetFsError(e, path.dirname(dest)); });
  return readVersion(store, id, file, (source) => writeFromSource(source, id, file, dest, onBytes, signal), { ...opts, hashFirst: true });
}

/** Files at least this large are hashed on a thread of their own (starting one costs a few tens of ms). */
const HASH_THREAD_MIN_BYTES = 64 * 1024 * 1024;

async function writeFromSource(source: FileSource, id: string, file: ManifestFile, dest: string, onBytes: (n: number) => void, signal?: AbortSignal): Promise<string> {
  const temp = tempPathFor(dest);
  let out: fs.FileHandle | undefined;
  let reported = 0;
  let hasher: HashThread | null = null;
  try {
    out = await fs.open(temp, 'w', 0o644);
    if (file.bytes >= HASH_THREAD_MIN_BYTES) {
      try { hasher = new HashThread(); } catch { hasher = null; }
    }
    const { written, digest } = hasher ? await writeHashedAside(source, out, hasher, (n) => { reported += n; onBytes(n); }, signal)
      : await writeHashedHere(source, out, (n) => { reported += n; onBytes(n); }, signal);
    const actual = written === file.bytes ? digest : `length-${written}`;
    if (actual !== file.sha256) {
      // Wrong bytes: nothing becomes visible; progress goes back for the next route.
      onBytes(-reported);
      await out.close();
      out = undefined;
      await fs.rm(temp, { force: true });
      return actual;
    }
    await out.sync();
    await out.close();
    out = undefined;
    await fs.rename(temp, dest);
    await fsyncDir(path.dirname(dest));
    return actual;
  } catch (e) {
    await out?.close().catch(() => undefined);
    await fs.rm(temp, { force: true });
    if (reported) onBytes(-reported);
    if (e instanceof WeightlineError) throw e;
    throw targetFsError(e, dest);
  } finally {
    await hasher?.close();
  }
}

const cancelled = (): WeightlineError => new WeightlineError('CANCELLED', 'the restore was cancelled; nothing was changed');

/** Writes every chunk at its position with one write in flight while the next chunk is rebuilt; hashes here. */
async function writeHashedHere(source: FileSource, handle: fs.FileHandle, onWritten: (n: number) => void, signal?: AbortSignal): Promise<{ written: number; digest: string }> {
  const hash = createHash('sha256');
  let writing: Promise<void> = Promise.resolve();
  let written = 0;
  try {
    for await (const chunk of source.chunks()) {
      if (signal?.aborted) throw cancelled();
      hash.update(chunk);
      await writing;
      writing = writeAt(handle, chunk, written).then(() => onWritten(chunk.length));
      // Awaited at the next chunk or in finally; until then a failed write
      // (ENOSPC) must not count as an unhandled rejection, which ends the
      // process before the temp file is removed (found by the chaos test's
      // full-disk property).
      writing.catch(() => undefined);
      written += chunk.length;
    }
  } finally {
    // Never leave a write running against a handle about to be closed.
    await writing.catch(() => undefined);
  }
  await writing;
  return { written, digest: hash.digest('hex') };
}

/**
 * The same with the hashing on the hash thread: each piece is copied into one
 * of its slots, hashed there and written from there, up to a slot's count of
 * writes in flight, while this thread rebuilds the next blocks.
 */
async function writeHashedAside(source: FileSource, handle: fs.FileHandle, hasher: HashThread, onWritten: (n: number) => void, signal?: AbortSignal): Promise<{ written: number; digest: string }> {
  const writes = new Set<Promise<void>>();
  let failed: unknown = null;
  let written = 0;
  try {
    for await (const chunk of source.chunks()) {
      for (let off = 0; off < chunk.length; off += SLOT_BYTES) {
        if (signal?.aborted) throw cancelled();
        if (failed) throw failed;
        const piece = chunk.subarray(off, Math.min(chunk.length, off + SLOT_BYTES));
        const { bytes, done } = await hasher.put(piece);
        const w: Promise<void> = writeAt(handle, bytes, written)
          .then(() => onWritten(bytes.length), (e: unknown) => { failed ??= e; })
          .finally(() => { done(); writes.delete(w); });
        writes.add(w);
        written += piece.length;
      }
    }
  } finally {
    // Never leave a write running against a handle about to be closed.
    await Promise.allSettled([...writes]);
  }
  if (failed) throw failed;
  return { written, digest: await hasher.digest() };
}

async function writeAt(handle: fs.FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let w = 0;
  while (w < bytes.length) w += (await handle.write(bytes, w, bytes.length - w, position + w)).bytesWritten;
}
