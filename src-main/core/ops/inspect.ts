import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { CommitId, DiffResult, FileSummary, LogEntry, ShowResult, StatusResult, TensorSummary } from '../../../src-shared/model';
import { encodeFile } from '../codec/encode-file';
import { openFileSource } from '../rebuild/open';
import { logEntries, resolveCommit } from '../store/history';
import { linkProblems } from '../store/links';
import { commitSummaries } from '../store/log-index';
import type { Manifest, ManifestFile, ManifestTensor } from '../base/manifest';
import type { Store } from '../store/store';
import { matchesManifest, StatCache, workingHashes } from './working-copy';

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

export async function log(store: Store): Promise<LogEntry[]> {
  return logEntries(store);
}

export async function show(store: Store, ref: string): Promise<ShowResult> {
  const id = await resolveCommit(store, ref);
  const entry = (await logEntries(store)).find((e) => e.id === id)!;
  const manifest = await store.readManifest(id);
  const files = manifest.files.map((f) => fileSummary(f));
  for (const p of manifest.removedFiles) files.push({ path: p, bytes: 0, sha256: '', format: '', status: 'removed', tensors: [] });
  return { ...entry, files };
}

/** Change figures between any two commits; a commit and its parent reuse the figures stored at commit time. */
export async function diff(store: Store, fromRef: string, toRef: string): Promise<DiffResult> {
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
      const regions = f.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, offset: t.offset, length: t.length, width: t.width, littleEndian: t.le }));
      const encoded = await encodeFile(newSource, regions, { source: oldSource, path: base.path, tensors: base.tensors }, { writer: null });
      files.push(fileSummary(f, encoded.tensors, encoded.removedTensors, encoded.status));
    } finally {
      await oldSource.close();
      await newSource.close();
    }
  }
  return { from, to, files: [...files, ...removedFiles(a, b)] };
}

function removedFiles(a: Manifest, b: Manifest): FileSummary[] {
  if (a.source.kind === 'file' && b.source.kind === 'file') return [];
  return a.files.filter((f) => !b.files.some((x) => x.path === f.path)).map((f) => ({ ...fileSummary(f, [], f.tensors.map((t) => t.name), 'removed') }));
}

// Transient files (the writer's lock, temp files of a running writer) and the
// working-copy stat cache are not store content: counting them would make the
// figure jump while a writer runs.
const NOT_CONTENT = new Set(['lock', 'index.json', 'log-index.json', 'checked.json']);

async function dirBytes(dir: string): Promise<number> {
  const entries = (await fs.readdir(dir, { withFileTypes: true }))
    .filter((e) => !NOT_CONTENT.has(e.name) && !e.name.startsWith('.tmp-') && !e.name.startsWith('lock.'));
  // Concurrent stats: an objects folder of a long history holds tens of thousands of files.
  const sizes = await Promise.all(entries.map(async (e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return dirBytes(p);
    if (!e.isFile()) return 0;
    return (await fs.stat(p).catch(() => null))?.size ?? 0; // deleted meanwhile by a cleanup
  }));
  return sizes.reduce((a, b) => a + b, 0);
}

export async function storeBytes(store: Store): Promise<number> {
  return dirBytes(store.dir);
}

export async function status(store: Store): Promise<StatusResult> {
  const head = await store.readHead();
  const summaries = await commitSummaries(store);
  const logicalBytes = [...summaries.values()].reduce((s, m) => s + m.files.reduce((a, f) => a + f[1], 0), 0);
  let dirty = false;
  let where: string | null = null;
  let links: StatusResult['links'] = [];
  if (head) {
    const manifest = await store.readManifest(head);
    where = manifest.source.path;
    const cache = await StatCache.load(store);
    const hashes = await workingHashes(store, cache, manifest.source.path);
    dirty = !hashes || !matchesManifest(hashes, manifest);
    links = await linkProblems(store, (abs) => cache.hash(abs));
    await cache.save();
  }
  return { head: head as CommitId | null, storeBytes: await storeBytes(store), logicalBytes, dirty, path: where, links };
}

