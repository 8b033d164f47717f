import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { WeightlineError } from '../../../src-shared/errors';
import type { CommitId, LinkMode, ProgressListener, RestoreResult } from '../../../src-shared/model';
import { openFileSource } from '../rebuild/open';
import { fsyncDir, fsyncFile, mapFsError, sha256File, tempPathFor } from '../base/fsutil';
import { allCommits, resolveCommit } from '../store/history';
import { withWriteLock } from '../store/lock';
import { readLinks, writeLinks } from '../store/links';
import type { Manifest, ManifestFile } from '../base/manifest';
import { place, tryReflink } from '../store/place';
import type { Store } from '../store/store';
import { safeJoin } from './safe-path';
import { matchesManifest, StatCache, workingHashes } from './working-copy';

export interface RestoreOptions {
  /** Where to put the version; its own path when absent. */
  readonly to?: string;
  /** Overwrite a working copy that holds uncommitted work. */
  readonly force?: boolean;
  /** How to put bytes the store already holds in place; 'auto' = reflink where possible, else copy. */
  readonly link?: LinkMode;
  readonly onProgress?: ProgressListener;
  readonly signal?: AbortSignal;
}

export const LINK_WARNING = 'the restored files share their bytes with the store: a program that writes into a linked file in place (torch.save to the same path does) would change the stored version; "weightline verify" detects it';


export async function restore(store: Store, ref: string, opts: RestoreOptions = {}): Promise<RestoreResult> {
  // Restoring to the commit's own path moves HEAD, which is a write.
  return withWriteLock(store, 'restore', async () => {
    const id = await resolveCommit(store, ref);
    const manifest = await store.readManifest(id);
    const ownPath = store.resolveSource(manifest.source.path);
    let target = opts.to ? path.resolve(opts.to) : ownPath;
    if (manifest.source.kind === 'file' && opts.to) {
      const st = await fs.stat(target).catch(() => null);
      if (st?.isDirectory()) target = path.join(target, manifest.files[0]!.path);
    }
    const cache = await StatCache.load(store);
    const here = await workingHashes(store, cache, store.sourcePathFor(target));
    // What is there now must be a version the store holds, or the user's
    // uncommitted work would be lost.
    let tracked: Manifest | null = null;
    if (here && here.size > 0) {
      for (const c of await allCommits(store)) {
        if (c.manifest.source.kind === manifest.source.kind && matchesManifest(here, c.manifest)) { tracked = c.manifest; break; }
      }
      if (!tracked && !opts.force) {
        throw new WeightlineError('DIRTY', `holds changes that no commit has; commit them first (weightline commit ${path.relative(process.cwd(), target) || '.'} -m "...") or restore with --force to overwrite them`, target);
      }
    }

    const total = manifest.files.reduce((s, f) => s + f.bytes, 0);
    const mode = opts.link ?? 'auto';
    const links = await readLinks(store);
    let done = 0;
    let linked = 0;
    let bytesNotCopied = 0;
    const onBytes = (n: number): void => { done += n; opts.onProgress?.({ phase: 'restoring', bytesDone: done, bytesTotal: total }); };
    for (const file of manifest.files) {
      const dest = manifest.source.kind === 'file' ? target : safeJoin(target, file.path);
      if (here && (manifest.source.kind === 'file' ? [...here.values()][0] : here.get(file.path)) === file.sha256 && !(mode === 'hardlink' || mode === 'symlink')) {
        onBytes(file.bytes); // already there, byte for byte
        continue;
      }
      delete links[dest];
      // From the full object when it is on disk: a link, else a kernel copy
      // (auto falls back to it where the file system cannot reflink).
      const onDisk = await store.hasObject(file.sha256);
      let how = onDisk ? await placeObject(store, id, file, dest, mode) : null;
      if (how === null && onDisk && mode === 'auto') how = await placeObject(store, id, file, dest, 'copy');
      if (how === null) {
        // Rebuilt (or the object went away meanwhile): streamed, hashed as it is written.
        await writeVersion(store, id, file, dest, onBytes, opts.signal);
      } else if (how === 'copy') {
        onBytes(file.bytes);
      } else {
        linked++;
        bytesNotCopied += file.bytes;
        links[dest] = { commit: id, sha256: file.sha256, mode: how };
        onBytes(file.bytes);
      }
      cache.remember(dest, file.sha256, await fs.stat(dest));
    }
    await writeLinks(store, links);
    // Files of the version that was there and not of this one were committed, so removing them loses nothing.
    if (tracked && manifest.source.kind === 'folder') {
      const keep = new Set(manifest.files.map((f) => f.path));
      for (const f of tracked.files) if (!keep.has(f.path)) await fs.rm(safeJoin(target, f.path), { force: true });
    }
    if (target === ownPath) await store.writeHead(id);
    await cache.save();
    const warning = linked > 0 && (mode === 'hardlink' || mode === 'symlink') ? LINK_WARNING : null;
    return { id, target, files: manifest.files.length, bytes: total, link: { linked, bytesNotCopied, mode, warning } };
  });
}

/**
 * Puts a full object at dest through a temp name, by a link or by a kernel
 * copy (copy_file_range, as cp does: the bytes never pass through this
 * process). Null when mode is auto and the file system cannot reflink, or when
 * a copy finds the object gone (a cleanup ran meanwhile); the caller then
 * copies or rebuilds. The result is hashed before the rename: a hard-linked
 * restore may have been written into, and a restore must never hand out
 * bytes that are not the commit's.
 */
async function placeObject(store: Store, id: CommitId, file: ManifestFile, dest: string, mode: LinkMode): Promise<'reflink' | 'hardlink' | 'symlink' | 'copy' | null> {
  const object = store.objectPath(file.sha256);
  await fs.mkdir(path.dirname(dest), { recursive: true });
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
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') { await fs.rm(temp, { force: true }); return null; }
        throw e;
      }
      how = 'copy';
    } else {
      how = await place(object, temp, mode) as typeof how;
    }
    const actual = await sha256File(temp);
    if (actual !== file.sha256) {
      throw new WeightlineError('CORRUPT', `the stored full parameters of ${file.path} in commit ${id.slice(0, 12)} changed on disk (sha256 ${actual.slice(0, 12)}, expected ${file.sha256.slice(0, 12)}); run "weightline verify"`, object);
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
    throw mapFsError(e, dest);
  }
}
/** Rebuilds one file into dest through a temp file, checking its sha256 before the rename makes it visible. */
export async function writeVersion(store: Store, id: string, file: ManifestFile, dest: string, onBytes: (n: number) => void, signal?: AbortSignal): Promise<void> {
  await fs.mkdir(path.dirname(dest), { recursive: true });
  const temp = tempPathFor(dest);
  const source = await openFileSource(store, id, file);
  const hash = createHash('sha256');
  let out: fs.FileHandle | undefined;
  try {
    out = await fs.open(temp, 'w', 0o644);
    const handle = out;
    // One write in flight while the next chunk is read (or rebuilt) and
    // hashed: disk and CPU overlap instead of taking turns.
    let writing: Promise<void> = Promise.resolve();
    const writeAll = async (chunk: Buffer): Promise<void> => {
      let w = 0;
      while (w < chunk.length) w += (await handle.write(chunk, w, chunk.length - w)).bytesWritten;
      onBytes(chunk.length);
    };
    try {
      let written = 0;
      for await (const chunk of source.chunks()) {
        if (signal?.aborted) throw new WeightlineError('CANCELLED', 'the restore was cancelled; nothing was changed');
        written += chunk.length;
        hash.update(chunk);
        await writing;
        writing = writeAll(chunk);
      }
      if (written !== file.bytes) throw new WeightlineError('CORRUPT', `rebuilt ${file.path} of commit ${id.slice(0, 12)} has ${written} bytes, expected ${file.bytes}`);
    } finally {
      // Never leave a write running against a handle about to be closed.
      await writing.catch(() => undefined);
    }
    await writing;
    const actual = hash.digest('hex');
    if (actual !== file.sha256) {
      throw new WeightlineError('CORRUPT', `rebuilt ${file.path} of commit ${id.slice(0, 12)} has sha256 ${actual.slice(0, 12)}, expected ${file.sha256.slice(0, 12)}; run "weightline verify"`);
    }
    await out.sync();
    await out.close();
    out = undefined;
    await fs.rename(temp, dest);
    await fsyncDir(path.dirname(dest));
  } catch (e) {
    await out?.close().catch(() => undefined);
    await fs.rm(temp, { force: true });
    throw mapFsError(e, dest);
  } finally {
    await source.close();
  }
}
