import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { WeightlineError } from '../../../src-shared/errors';
import { mapFsError, sha256File, writeFileAtomic } from '../base/fsutil';
import type { Manifest } from '../base/manifest';
import { reservedName, reservedPath } from '../base/manifest-paths';
import type { Store } from '../store/store';
import { readStatCacheFile } from '../store/store-files';

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
  if (!st.isDirectory()) throw new WeightlineError('BAD_USAGE', 'expected a model file or a folder, found something else (a device or socket?)', abs);
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

export function matchesManifest(hashes: ReadonlyMap<string, string>, manifest: Manifest): boolean {
  if (manifest.source.kind === 'file') return hashes.size === 1 && manifest.files[0]!.sha256 === [...hashes.values()][0];
  // Files of reserved folders an older version's commit took along are never listed in a working copy (listSourceFiles skips them).
  const files = manifest.files.filter((f) => reservedPath(f.path) === null);
  return hashes.size === files.length && files.every((f) => hashes.get(f.path) === f.sha256);
}
