import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import { WeightlineError } from '../../../src-shared/errors';
import type { CommitId, ProgressListener, VerifyCommit, VerifyResult } from '../../../src-shared/model';
import { openFileSource } from '../rebuild/open';
import { FullSource } from '../rebuild/source';
import { sha256File } from '../base/fsutil';
import type { ManifestFile } from '../base/manifest';
import type { Store } from '../store/store';

// Trust nothing: rebuild every file of every commit in streaming mode (no file
// written) and compare its sha256 with the manifest. A commit whose full
// parameters are on disk is checked through them, and its delta object is
// hashed too, since a later cleanup will rely on it.

export interface VerifyOptions {
  readonly onProgress?: ProgressListener;
  readonly signal?: AbortSignal;
}


export async function verify(store: Store, opts: VerifyOptions = {}): Promise<VerifyResult> {
  const ids = [...(await store.listCommitIds())];
  const manifests = new Map<string, Awaited<ReturnType<Store['readManifest']>> | Error>();
  for (const id of ids) manifests.set(id, await store.readManifest(id).catch((e: Error) => e));
  const total = [...manifests.values()].reduce((s, m) => s + (m instanceof Error ? 0 : m.files.reduce((a, f) => a + f.bytes, 0)), 0);
  let done = 0;
  const commits: VerifyCommit[] = [];
  // Oldest first, so a broken base is reported where it breaks.
  const order = ids.sort((a, b) => {
    const ma = manifests.get(a), mb = manifests.get(b);
    const ta = ma instanceof Error || !ma ? '' : ma.createdAt, tb = mb instanceof Error || !mb ? '' : mb.createdAt;
    return ta < tb ? -1 : ta > tb ? 1 : 0;
  });
  for (const id of order) {
    if (opts.signal?.aborted) throw new WeightlineError('CANCELLED', 'verify was cancelled');
    const manifest = manifests.get(id)!;
    if (manifest instanceof Error) { commits.push({ id: id as CommitId, ok: false, error: manifest.message, restorable: false, route: null }); continue; }
    try {
      if (manifest.parent && !manifests.has(manifest.parent)) {
        throw new WeightlineError('BROKEN_CHAIN', `its parent commit ${manifest.parent.slice(0, 12)} does not exist`);
      }
      for (const file of manifest.files) {
        await verifyFile(store, id, file, (n) => { done += n; opts.onProgress?.({ phase: 'verifying', bytesDone: done, bytesTotal: total }); }, opts.signal);
      }
      commits.push({ id: id as CommitId, ok: true, error: null, restorable: true, route: null });
    } catch (e) {
      if ((e as WeightlineError).code === 'CANCELLED') throw e;
      commits.push({ id: id as CommitId, ok: false, error: e instanceof Error ? e.message : String(e), restorable: false, route: null });
    }
  }
  return { ok: commits.every((c) => c.ok), commits };
}

async function verifyFile(store: Store, id: string, file: ManifestFile, onBytes: (n: number) => void, signal?: AbortSignal): Promise<void> {
  if (file.delta?.object) {
    const deltaPath = store.objectPath(file.delta.object);
    const actual = await sha256File(deltaPath).catch(() => null);
    if (actual === null) throw new WeightlineError('BROKEN_CHAIN', `${file.path}: its delta object ${file.delta.object.slice(0, 12)} is missing`, deltaPath);
    if (actual !== file.delta.object) throw new WeightlineError('CORRUPT', `${file.path}: its delta object is corrupt (sha256 ${actual.slice(0, 12)}, expected ${file.delta.object.slice(0, 12)})`, deltaPath);
  }
  const source = await openFileSource(store, id, file);
  const fromFull = source instanceof FullSource;
  try {
    const hash = createHash('sha256');
    let read = 0;
    for await (const chunk of source.chunks()) {
      if (signal?.aborted) throw new WeightlineError('CANCELLED', 'verify was cancelled');
      hash.update(chunk);
      read += chunk.length;
      onBytes(chunk.length);
    }
    if (read !== file.bytes) throw new WeightlineError('CORRUPT', `${file.path}: rebuilt ${read} bytes, expected ${file.bytes}`);
    const actual = hash.digest('hex');
    if (actual !== file.sha256) {
      const what = fromFull ? 'its full parameters changed on disk' : 'the rebuilt bytes differ from the committed file';
      throw new WeightlineError('CORRUPT', `${file.path}: ${what} (sha256 ${actual.slice(0, 12)}, expected ${file.sha256.slice(0, 12)})`, fromFull ? store.objectPath(file.sha256) : undefined);
    }
    if (fromFull) {
      // The object may be longer than the manifest says (appended to in place).
      const size = (await fs.stat(store.objectPath(file.sha256))).size;
      if (size !== file.bytes) throw new WeightlineError('CORRUPT', `${file.path}: its full parameters changed on disk (they hold ${size} bytes, expected ${file.bytes})`, store.objectPath(file.sha256));
    }
  } finally {
    await source.close();
  }
}

