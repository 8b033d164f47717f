import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { WeightlineError } from '../../../src-shared/errors';
import type { CommitId, LogEntry, PinResult, ProgressListener } from '../../../src-shared/model';
import type { FileSource } from '../base/file-source';
import { fsyncFile, mapFsError } from '../base/fsutil';
import type { ManifestFile } from '../base/manifest';
import { readVersion } from '../rebuild/open';
import { HistoryGraph } from '../store/graph';
import { logEntries, resolveCommit } from '../store/history';
import { readLinks } from '../store/links';
import { withWriteLock } from '../store/lock';
import { ObjectChecker } from '../store/object-check';
import type { Store } from '../store/store';

// Pins keep a commit's full parameters through cleanups (fast restore of a
// favourite version). A commit a cleanup has already pruned has no full
// parameters left to keep: `pin` rebuilds them through the verified read path
// and stores them again, so "pinned" always means "restores from its own full
// copy". `setPinned` only writes the pin (quick; it keeps whatever full
// parameters are there from the next cleanup on).

export interface PinOptions {
  readonly onProgress?: ProgressListener;
  readonly signal?: AbortSignal;
}

/** Writes or removes the pin only; see `pin` for the verb that also brings pruned full parameters back. */
export async function setPinned(store: Store, ref: string, pinned: boolean): Promise<CommitId> {
  return withWriteLock(store, pinned ? 'pin' : 'unpin', async () => {
    const id = await resolveCommit(store, ref);
    await writePin(store, id, pinned);
    return id;
  });
}

/**
 * Pins (or unpins) a commit. Pinning a commit whose full parameters a cleanup
 * removed rebuilds them first, each file checked against its sha256, and only
 * then writes the pin: a version that cannot be rebuilt is not pinned, and the
 * error says why.
 */
export async function pin(store: Store, ref: string, pinned: boolean, opts: PinOptions = {}): Promise<PinResult> {
  return withWriteLock(store, pinned ? 'pin' : 'unpin', async (signal) => {
    const id = await resolveCommit(store, ref);
    const wasPinned = (await store.readPins()).has(id);
    let rebuiltFiles = 0;
    let rebuiltBytes = 0;
    if (pinned) {
      const manifest = await store.readManifest(id);
      const graph = await HistoryGraph.load(store);
      const missing = new Map<string, ManifestFile>();
      for (const f of manifest.files) if (graph.objectSize(f.sha256) === null && !missing.has(f.sha256)) missing.set(f.sha256, f);
      const total = [...missing.values()].reduce((s, f) => s + f.bytes, 0);
      let done = 0;
      const checker = missing.size > 0 ? await ObjectChecker.load(store, new Set(Object.values(await readLinks(store)).map((r) => r.sha256))) : null;
      const bad = new Set<string>();
      for (const file of missing.values()) {
        const temp = store.tempPath('pin');
        try {
          const before = done;
          await readVersion(store, id, file, (source) => {
            done = before; // a retry by another route starts this file over
            return writeTemp(source, temp, file, (n) => { done += n; opts.onProgress?.({ phase: 'rebuilding', bytesDone: done, bytesTotal: total }); }, signal);
          }, { graph, bad });
          await fsyncFile(temp).catch((e: unknown) => { throw mapFsError(e, path.dirname(temp)); });
          await store.adoptObject(temp, file.sha256);
          await checker!.record(file.sha256);
        } catch (e) {
          await fs.rm(temp, { force: true });
          if (e instanceof WeightlineError && e.code !== 'CANCELLED') {
            throw new WeightlineError(e.code, `not pinned: the full parameters of ${id.slice(0, 12)} were removed by a cleanup and rebuilding them failed: ${e.message}`);
          }
          throw e;
        }
        rebuiltFiles++;
        rebuiltBytes += file.bytes;
      }
      await checker?.save();
    }
    // Pinned already (or unpinned already) with nothing rebuilt: pins.json stays as it is.
    if (wasPinned !== pinned) await writePin(store, id, pinned);
    return { id, pinned, rebuiltFiles, rebuiltBytes, wasPinned };
  }, undefined, { signal: opts.signal });
}

/** The pinned commits, newest first, with their log lines (what `pin --list` prints). */
export async function listPins(store: Store): Promise<LogEntry[]> {
  const pins = await store.readPins();
  if (pins.size === 0) return [];
  return (await logEntries(store)).filter((e) => pins.has(e.id));
}

async function writePin(store: Store, id: CommitId, pinned: boolean): Promise<void> {
  const pins = new Set(await store.readPins());
  if (pinned) pins.add(id); else pins.delete(id);
  await store.writePins(pins);
}

/** Writes a rebuilt version into temp, hashing it; readVersion makes it count only if the hash is the file's. */
async function writeTemp(source: FileSource, temp: string, file: ManifestFile, onBytes: (n: number) => void, signal: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  const out = await fs.open(temp, 'w', 0o644).catch((e: unknown) => { throw mapFsError(e, path.dirname(temp)); });
  let n = 0;
  try {
    for await (const chunk of source.chunks()) {
      if (signal.aborted) throw new WeightlineError('CANCELLED', 'pin was cancelled while rebuilding the full parameters; nothing was pinned, the store is as before');
      hash.update(chunk);
      n += chunk.length;
      let w = 0;
      try {
        while (w < chunk.length) w += (await out.write(chunk, w, chunk.length - w)).bytesWritten;
      } catch (e) {
        throw mapFsError(e, path.dirname(temp));
      }
      onBytes(chunk.length);
    }
  } finally {
    await out.close().catch(() => undefined);
  }
  return n === file.bytes ? hash.digest('hex') : `length-${n}`;
}
