import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { WeightlineError } from '../../../src-shared/errors';
import { sha256, writeFileAtomic } from '../base/fsutil';
import type { FileDelta, Manifest } from '../base/manifest';
import { readStoreFile, STORE_FILE_LIMITS } from '../base/bounded-read';
import { checkRoutedFile, formatFileContent, parseRouteRecord, readFormatFile, STORE_FORMAT_FORGET, type RouteRecordData } from './store-files';

// Identity and storage, separated. A commit's id is the sha256 of its
// manifest, so the manifest never changes; but a forget removes commits a
// kept commit's delta is based on, and that commit must then be stored
// another way (a delta against its nearest kept ancestor, or whole as a
// CHECKPOINT). The new storage is a route record, routes/<id>.json: the
// parent, type and per-file deltas that replace the manifest's. Store.readManifest
// applies it, so every reader (graph, routes, restore, cleanup, verify,
// repair, push, the log) sees the storage as it is now, and the id, the
// files and their sha256 stay what was committed. Format: docs/STORE-FORMAT.md, "Forget".

export const ROUTES_DIR = 'routes';

export type RouteRecord = RouteRecordData;

export function routeRecordPath(storeDir: string, id: string): string {
  return path.join(storeDir, ROUTES_DIR, `${id}.json`);
}

/** The route record of a commit, or undefined when it has none; CORRUPT naming the file when damaged or not this commit's. */
export async function readRouteRecord(storeDir: string, id: string): Promise<{ record: RouteRecord; stamp: string } | undefined> {
  const file = routeRecordPath(storeDir, id);
  const bytes = await readStoreFile(file, {
    expected: 'a route record (a file)',
    next: 'move it out of .weightline/routes; `weightline verify` then lists the commits it affects',
    maxBytes: STORE_FILE_LIMITS.manifest,
  }).catch((e: unknown) => {
    if (e instanceof WeightlineError) throw e;
    return null;
  });
  if (!bytes) return undefined;
  const record = parseRouteRecord(file, bytes);
  if (record.commit !== id) {
    throw new WeightlineError('CORRUPT', `damaged ${id}.json: expected the route record of commit ${id.slice(0, 12)}, found one for ${record.commit.slice(0, 12)}; move it out of .weightline/routes`, file);
  }
  return { record, stamp: sha256(bytes).slice(0, 16) };
}

/**
 * The manifest as stored now: the record's parent, type and deltas over the
 * manifest's. The record must describe the same files, in the same order,
 * each delta consistent with the file's tensors (the manifest's own rules),
 * else it is CORRUPT naming the record.
 */
export function applyRouteRecord(storeDir: string, manifest: Manifest, record: RouteRecord): Manifest {
  const file = routeRecordPath(storeDir, record.commit);
  if (record.files.length !== manifest.files.length || record.files.some((f, i) => f.path !== manifest.files[i]!.path)) {
    throw new WeightlineError('CORRUPT', `damaged ${record.commit}.json: expected a route for each of the commit's ${manifest.files.length} file(s) (${manifest.files.map((f) => f.path).slice(0, 3).join(', ')}${manifest.files.length > 3 ? ', …' : ''}), found ${record.files.map((f) => f.path).slice(0, 3).join(', ')}; move it out of .weightline/routes`, file);
  }
  const files = manifest.files.map((f, i) => {
    const routed = { ...f, delta: record.files[i]!.delta as FileDelta | null };
    checkRoutedFile(file, routed);
    return routed;
  });
  return {
    ...manifest,
    parent: record.parent,
    type: record.type,
    files,
    rebased: { recordedParent: manifest.rebased?.recordedParent ?? manifest.parent, recordedType: manifest.rebased?.recordedType ?? manifest.type, forgotten: record.forgotten },
  };
}

/** Writes a commit's route record (temp file, fsync, rename): from then on the commit is stored this way. */
export async function writeRouteRecord(storeDir: string, record: RouteRecord): Promise<void> {
  await fs.mkdir(path.join(storeDir, ROUTES_DIR), { recursive: true });
  await writeFileAtomic(routeRecordPath(storeDir, record.commit), JSON.stringify(record) + '\n');
}

/**
 * The format step a forget needs (docs/STORE-FORMAT.md, "Forget"): version 2
 * in format.json, written before the first route record, so a version that
 * does not read route records stops with STORE_VERSION instead of reading a
 * re-based commit as a broken chain. Idempotent and crash-safe: format.json
 * is replaced atomically and nothing else changes; a crash before the rename
 * leaves a version 1 store that every version reads.
 */
export async function migrateForForget(storeDir: string): Promise<'migrated' | 'already'> {
  const version = await readFormatFile(storeDir);
  if (version === STORE_FORMAT_FORGET) return 'already';
  await writeFileAtomic(path.join(storeDir, 'format.json'), formatFileContent(STORE_FORMAT_FORGET));
  return 'migrated';
}
