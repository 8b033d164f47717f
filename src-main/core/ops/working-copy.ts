import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { WeightlineError } from '../../../src-shared/errors';
import { mapFsError, sha256File, writeFileAtomic } from '../base/fsutil';
import type { Manifest } from '../base/manifest';
import { reservedName, reservedPath } from '../base/manifest-paths';
import type { Store } from '../store/store';
import { readStatCacheFile } from '../store/store-files';
import { currentLines, lineKey } from '../store/tips';
import type { CommitSummary } from '../store/log-index';
import type { CommitId } from '../../../src-shared/model';
import { compareWorkingCopy, type CommittedSide, type PathWorkingCopy } from '../../../src-shared/policy/working-copy';

// The working copy: the model file or folder a commit came from. Hashing a
// multi-GB model on every `status` would be slow, so like git's index we keep
// (size, mtime, inode) → sha256 and trust it while the stat is unchanged.

export interface WorkingFile {
  /** posix path inside the source (for a single file: its base name). */
  readonly rel: string;
  readonly abs: string;
}

export async function listSourceFiles(abs: string): Promise<{ kind: 'file' | 'folder'; files: WorkingFile[] }> {
  let st;
  try { st = await fs.stat(abs); } catch (e) { throw mapFsError(e, abs); }
  if (st.isFile()) return { kind: 'file', files: [{ rel: path.basename(abs), abs }] };
  if (!st.isDirectory()) throw new WeightlineError('REFUSED', 'expected a model file or a folder, found something else (a device or socket?)', abs);
  const files: WorkingFile[] = [];
  const walk = async (dir: string, prefix: string): Promise<void> => {
    const entries = await fs.readdir(dir, { withFileTypes: true });
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      // The store's own folder, and .git/.hg (in any spelling a file system reads as them), are not the model: never committed, so never restored.
      if (reservedName(e.name) !== null || e.name.startsWith('.tmp-')) continue;
      const full = path.join(dir, e.name);
      const rel = prefix ? `${prefix}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(full, rel);
      else if (e.isFile()) files.push({ rel, abs: full });
      else if (e.isSymbolicLink()) {
        const target = await fs.stat(full).catch(() => null);
        if (target?.isFile()) files.push({ rel, abs: full });
      }
    }
  };
  await walk(abs, '');
  return { kind: 'folder', files };
}

interface IndexEntry { readonly size: number; readonly mtimeMs: number; readonly ino: number; readonly sha256: string; readonly seenAt?: number }

// "Racy git": a file rewritten within the file system's timestamp granularity
// keeps its mtime, so an entry recorded right after a write cannot tell that
// write from a later one. Such entries are trusted only once they are older
// than any timestamp granularity we know of (2 s, FAT's).
const RACY_MS = 2000;

type StatLike = { size: number; mtimeMs: number; ino: number };

function sameStat(known: IndexEntry | undefined, st: StatLike): known is IndexEntry {
  return !!known && known.size === st.size && known.mtimeMs === st.mtimeMs && known.ino === st.ino;
}

function trusted(known: IndexEntry | undefined, st: StatLike): known is IndexEntry {
  return sameStat(known, st) && (known.seenAt ?? 0) - known.mtimeMs > RACY_MS;
}

export class StatCache {
  private entries: Record<string, IndexEntry> = {};
  private dirty = false;

  private constructor(private readonly file: string) {}

  static async load(store: Store): Promise<StatCache> {
    const cache = new StatCache(path.join(store.dir, 'index.json'));
    // Missing (first use) or damaged reads as empty: a cache is rebuilt, never an error.
    cache.entries = await readStatCacheFile(store.dir);
    return cache;
  }

  async hash(abs: string): Promise<string> {
    const st = await fs.stat(abs);
    const known = this.entries[abs];
    if (trusted(known, st)) return known.sha256;
    const sha = await sha256File(abs);
    this.remember(abs, sha, st);
    return sha;
  }

  /**
   * The cached sha256 if size, mtime and inode match, racy or not: only for
   * callers that confirm it by hashing anyway, where a wrong guess costs time,
   * never correctness.
   */
  hint(abs: string, st: StatLike): string | null {
    const known = this.entries[abs];
    return sameStat(known, st) ? known.sha256 : null;
  }

  remember(abs: string, sha256: string, st: StatLike): void {
    this.entries[abs] = { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, sha256, seenAt: Date.now() };
    this.dirty = true;
  }

  /** Drops the entries of files under a folder (a watch's captures, gone once committed). */
  forgetUnder(dir: string): void {
    const prefix = dir.endsWith(path.sep) ? dir : `${dir}${path.sep}`;
    for (const key of Object.keys(this.entries)) if (key.startsWith(prefix)) { delete this.entries[key]; this.dirty = true; }
  }

  /** Saving is best effort: the cache only saves time, losing it loses nothing. */
  async save(): Promise<void> {
    if (!this.dirty) return;
    try { await writeFileAtomic(this.file, JSON.stringify(this.entries)); } catch { /* read-only store or full disk */ }
    this.dirty = false;
  }
}

/** sha256 of each file of the working copy at a source path, or null when nothing is there. */
export async function workingHashes(store: Store, cache: StatCache, sourcePath: string): Promise<Map<string, string> | null> {
  const abs = store.resolveSource(sourcePath);
  try { await fs.stat(abs); } catch { return null; }
  const { files } = await listSourceFiles(abs);
  const out = new Map<string, string>();
  for (const f of files) out.set(f.rel, await cache.hash(f.abs));
  return out;
}

/** True when the hashed working copy is this manifest's version (the policy's comparison; restore asks it of every commit). */
export function matchesManifest(hashes: ReadonlyMap<string, string>, manifest: Manifest): boolean {
  const kind = manifest.source.kind === 'file' && hashes.size === 1 ? 'file' : 'folder';
  return compareWorkingCopy(committedSide(manifest), { kind, files: [...hashes].map(([p, sha256]) => ({ path: p, sha256 })) }).verdict === 'matches';
}

/** A commit's files as the working copy should hold them: files of reserved folders an older version took along are never listed in a working copy (listSourceFiles skips them). */
function committedSide(manifest: Manifest): CommittedSide {
  return { kind: manifest.source.kind, files: manifest.source.kind === 'file' ? manifest.files : manifest.files.filter((f) => reservedPath(f.path) === null) };
}

type StatLikeFile = WorkingFile & { readonly st: StatLike };

/** What is at a commit's path now, from stat data only; null when nothing is. */
export interface LocatedWorkingCopy {
  readonly commit: CommitId;
  readonly manifest: Manifest;
  readonly path: string;
  readonly absPath: string;
  readonly kind: 'file' | 'folder';
  readonly files: readonly StatLikeFile[];
}

export async function locateWorkingCopy(store: Store, commit: CommitId, manifest: Manifest): Promise<LocatedWorkingCopy | { readonly commit: CommitId; readonly manifest: Manifest; readonly path: string; readonly absPath: string; readonly kind: null }> {
  const absPath = store.resolveSource(manifest.source.path);
  const base = { commit, manifest, path: lineKey(store, manifest.source.path), absPath };
  const listed = await listSourceFiles(absPath).catch(() => null);
  if (!listed) return { ...base, kind: null };
  const files: StatLikeFile[] = [];
  for (const f of listed.files) {
    const st = await fs.stat(f.abs).catch(() => null); // removed meanwhile: not there
    if (st) files.push({ ...f, st: { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino } });
  }
  return { ...base, kind: listed.kind, files };
}

/**
 * The working copy against a commit: stat first; a file whose stat matches
 * what the stat cache last hashed is judged by that hash; any other file is
 * hashed when `hash` is set (recorded in the cache), else left unknown
 * ("probably-changed"). The one comparison status, the app's working-copy
 * state and its hashing job share.
 */
export async function judgeWorkingCopy(
  located: Awaited<ReturnType<typeof locateWorkingCopy>>, cache: StatCache,
  how: { readonly hash: boolean; readonly onBytes?: (n: number) => void; readonly signal?: AbortSignal },
): Promise<PathWorkingCopy> {
  const base = { path: located.path, absPath: located.absPath, commit: located.commit, kind: located.manifest.source.kind };
  if (located.kind === null) return { ...base, ...compareWorkingCopy(committedSide(located.manifest), null), state: 'missing', files: 0, bytes: 0 };
  const files: Array<{ path: string; sha256: string | null }> = [];
  for (const f of located.files) {
    if (how.signal?.aborted) throw new WeightlineError('CANCELLED', 'the working-copy check was cancelled; nothing changed');
    // StatCache.hash trusts an entry only when it is not "racy", else hashes and remembers; a file gone meanwhile is unknown.
    files.push({ path: f.rel, sha256: how.hash ? await cache.hash(f.abs).catch(() => null) : cache.hint(f.abs, f.st) });
    if (how.hash) how.onBytes?.(f.st.size);
  }
  const compared = compareWorkingCopy(committedSide(located.manifest), { kind: located.kind, files });
  return {
    ...base, state: compared.verdict, changes: compared.changes, unknown: compared.unknown,
    files: located.files.length, bytes: located.files.reduce((s, f) => s + f.st.size, 0),
  };
}

/** One path's working copy against a commit (see judgeWorkingCopy). */
export async function compareWithCommit(store: Store, cache: StatCache, commit: CommitId, manifest: Manifest, how: { readonly hash: boolean; readonly signal?: AbortSignal }): Promise<PathWorkingCopy> {
  return judgeWorkingCopy(await locateWorkingCopy(store, commit, manifest), cache, how);
}

/**
 * Every path that has commits, located against the newest commit of its line
 * (store/tips.ts), HEAD's path first, then by path. A manifest that cannot be
 * read leaves its path out (verify names it).
 */
export async function locateAllWorkingCopies(store: Store, head: CommitId | null, summaries?: ReadonlyMap<string, CommitSummary>): Promise<Array<Awaited<ReturnType<typeof locateWorkingCopy>>>> {
  const lines = await currentLines(store, { head, ...(summaries ? { summaries } : {}) });
  const headKey = head ? [...lines].find(([, id]) => id === head)?.[0] : undefined;
  const keys = [...lines.keys()].sort((a, b) => (a === headKey ? -1 : b === headKey ? 1 : a < b ? -1 : a > b ? 1 : 0));
  const out = [];
  for (const key of keys) {
    const id = lines.get(key)!;
    const manifest = await store.readManifest(id).catch(() => null);
    if (manifest) out.push(await locateWorkingCopy(store, id, manifest));
  }
  return out;
}

/** Every path's working copy (HEAD's first), hashed where stat changed when `hash` is set. */
export async function compareAllWorkingCopies(store: Store, cache: StatCache, head: CommitId | null, how: { readonly hash: boolean; readonly signal?: AbortSignal }): Promise<PathWorkingCopy[]> {
  const out: PathWorkingCopy[] = [];
  for (const located of await locateAllWorkingCopies(store, head)) out.push(await judgeWorkingCopy(located, cache, how));
  return out;
}
