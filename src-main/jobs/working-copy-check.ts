// The working copy HEAD came from, against HEAD, in two speeds:
// - quickWorkingCopy: stat only, answered on the main side on every refresh.
//   A file whose (size, mtime, inode) matches what the stat cache last hashed
//   is judged by that hash; any other file makes the answer "probably-changed",
//   never a hash of a multi-GB model on the main side.
// - hashWorkingCopy: the `workingCopy` job, hashing the files the quick answer
//   could not judge, off the main side. It records the hashes in the stat
//   cache, so the next quick answer is definite.
// Both live here (the app imports jobs, never the other way round) so they
// read the working copy the same way.
import * as fs from 'node:fs/promises';
import type { WorkingCopyState } from '../../src-shared/contract';
import { WeightlineError } from '../../src-shared/errors';
import type { CommitId, ProgressListener } from '../../src-shared/model';
import type { Manifest } from '../core/base/manifest';
import { listSourceFiles, StatCache, type WorkingFile } from '../core/ops/working-copy';
import type { Store } from '../core/store/store';

interface Located {
  readonly head: CommitId;
  readonly manifest: Manifest;
  readonly absPath: string;
  readonly files: readonly (WorkingFile & { readonly st: { size: number; mtimeMs: number; ino: number } })[];
}

type Early = WorkingCopyState & { readonly state: 'no-head' | 'missing' };

async function locate(store: Store): Promise<Located | Early> {
  const headState = await store.headState();
  const head = headState.ok ? headState.commit : null;
  if (!head) return { state: 'no-head', head: null, path: null, absPath: null, files: 0, bytes: 0, changedFiles: [], signature: '' };
  const manifest = await store.readManifest(head);
  const absPath = store.resolveSource(manifest.source.path);
  const missing: Early = { state: 'missing', head, path: manifest.source.path, absPath, files: 0, bytes: 0, changedFiles: [], signature: `${head}|missing` };
  try { await fs.stat(absPath); } catch { return missing; }
  const listed = await listSourceFiles(absPath).catch(() => null);
  if (!listed) return missing;
  const files = [];
  for (const f of listed.files) {
    const st = await fs.stat(f.abs).catch(() => null);
    if (st) files.push({ ...f, st: { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino } });
  }
  return { head, manifest, absPath, files };
}

function expectedHash(manifest: Manifest, rel: string): string | undefined {
  // A single-file source is matched by content whatever its name (as matchesManifest does).
  if (manifest.source.kind === 'file') return manifest.files[0]?.sha256;
  return manifest.files.find((f) => f.path === rel)?.sha256;
}

function judge(loc: Located, hashes: ReadonlyMap<string, string | null>): WorkingCopyState {
  const { head, manifest, absPath, files } = loc;
  const bytes = files.reduce((s, f) => s + f.st.size, 0);
  const signature = `${head}|${files.map((f) => `${f.rel}:${f.st.size}:${f.st.mtimeMs}:${f.st.ino}`).join('|')}`;
  const base = { head, path: manifest.source.path, absPath, files: files.length, bytes, signature };
  const relOf = (f: { path: string }): string => f.path;
  // Files added or removed: changed, whatever the hashes say.
  const names = new Set(files.map((f) => f.rel));
  const gone = manifest.source.kind === 'file' ? [] : manifest.files.map(relOf).filter((p) => !names.has(p));
  const added = manifest.source.kind === 'file' ? [] : files.map((f) => f.rel).filter((p) => expectedHash(manifest, p) === undefined);
  const differing = files.filter((f) => { const h = hashes.get(f.rel); return h != null && h !== expectedHash(manifest, f.rel); }).map((f) => f.rel);
  const definite = [...gone, ...added, ...differing];
  if (definite.length > 0 || files.length !== manifest.files.length) return { ...base, state: 'changed', changedFiles: definite };
  const unknown = files.filter((f) => hashes.get(f.rel) == null).map((f) => f.rel);
  if (unknown.length > 0) return { ...base, state: 'probably-changed', changedFiles: unknown };
  return { ...base, state: 'matches', changedFiles: [] };
}

/** Stat only: never reads a model file's bytes. */
export async function quickWorkingCopy(store: Store): Promise<WorkingCopyState> {
  const loc = await locate(store);
  if ('state' in loc) return loc;
  const cache = await StatCache.load(store);
  const hashes = new Map<string, string | null>(loc.files.map((f) => [f.rel, cache.hint(f.abs, f.st)]));
  return judge(loc, hashes);
}

/** The workingCopy job: hashes what the stat cache cannot vouch for, with progress; cancellable between files. */
export async function hashWorkingCopy(store: Store, opts: { onProgress?: ProgressListener; signal?: AbortSignal } = {}): Promise<WorkingCopyState> {
  const loc = await locate(store);
  if ('state' in loc) return loc;
  const cache = await StatCache.load(store);
  const bytesTotal = loc.files.reduce((s, f) => s + f.st.size, 0);
  let bytesDone = 0;
  const hashes = new Map<string, string | null>();
  opts.onProgress?.({ phase: 'hashing', bytesDone, bytesTotal });
  try {
    for (const f of loc.files) {
      if (opts.signal?.aborted) throw new WeightlineError('CANCELLED', 'the working-copy check was cancelled; nothing changed');
      // StatCache.hash trusts an entry only when it is not "racy", else hashes and remembers.
      hashes.set(f.rel, await cache.hash(f.abs).catch(() => null));
      bytesDone += f.st.size;
      opts.onProgress?.({ phase: 'hashing', bytesDone, bytesTotal });
    }
  } finally {
    await cache.save();
  }
  const judged = judge(loc, hashes);
  // A file that vanished while hashing: say so rather than "probably".
  return judged.state === 'probably-changed' ? { ...judged, state: 'changed' } : judged;
}
