// Captures of a training run's checkpoints: the moment a checkpoint is
// complete its files are hard-linked (else copied) into a staging folder
// inside the store, so the trainer's rotation can delete its own copy before
// the commit has read it. A capture is removed when its commit lands or fails;
// a dead watch's leftover staging folders are swept when the next watch
// starts. Nothing in staging/ is part of the store's state: no store file
// names it, and verify, restore and cleanup never read it.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { WeightlineError } from '../../../src-shared/errors';
import { mapFsError } from '../base/fsutil';
import type { CheckpointFound } from '../trainers/checkpoint';
import type { Store } from '../store/store';

export const STAGING_DIR = 'staging';

/** What a file looked like: a capture is trusted only while its files keep this look. */
export interface FileLook { readonly file: string; readonly size: number; readonly mtimeMs: number; readonly ino: number }

/** The files' sizes, mtimes and inodes in one comparable string; null when one is gone. */
export async function lookOf(files: readonly string[]): Promise<{ sig: string; looks: FileLook[] } | null> {
  const looks: FileLook[] = [];
  for (const file of [...files].sort()) {
    const st = await fs.stat(file).catch(() => null);
    if (!st?.isFile()) return null;
    looks.push({ file, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino });
  }
  return { sig: looks.map((l) => `${l.file}\0${l.size}\0${l.mtimeMs}\0${l.ino}`).join('\n'), looks };
}

/** The name a checkpoint's file has inside its commit: relative to its folder, or its own name. */
export function relativeName(c: CheckpointFound, file: string): string {
  return c.kind === 'folder' ? path.relative(c.path, file).split(path.sep).join('/') : path.basename(file);
}

export interface Capture {
  readonly checkpoint: CheckpointFound;
  /** What the commit reads: the captured file (kind 'file') or folder. */
  readonly readFrom: string;
  /** The captured files, by the trainer's path. */
  readonly files: ReadonlyMap<string, string>;
  /** The trainer's files as they were when captured. */
  readonly source: string;
  /** The captured files' own look (a hard link shares the trainer's inode; a copy has its own). */
  readonly own: string;
  /** True when every file is a hard link (its bytes change if the trainer writes into the file in place). */
  readonly linked: boolean;
  readonly at: number;
}

export class Staging {
  private seq = 0;
  private constructor(readonly dir: string) {}

  /** This watch's own staging folder, after sweeping those of watches no longer running. */
  static async open(store: Store): Promise<Staging> {
    const root = path.join(store.dir, STAGING_DIR);
    await fs.mkdir(root, { recursive: true }).catch((e: unknown) => { throw mapFsError(e, root); });
    await sweepDead(root);
    const dir = path.join(root, `${process.pid}-${Math.random().toString(16).slice(2, 10)}`);
    await fs.mkdir(dir).catch((e: unknown) => { throw mapFsError(e, dir); });
    return new Staging(dir);
  }

  /**
   * Hard-links the checkpoint's files into a new capture (a copy where a link
   * is refused: another file system, a file system without links; and always
   * for a name the trainer writes over in place, whose link would change with
   * the next save). Returns null when a file changed or vanished meanwhile
   * (the caller looks again later).
   */
  async capture(c: CheckpointFound, before: string): Promise<Capture | null> {
    const slot = path.join(this.dir, String(++this.seq).padStart(6, '0'));
    await fs.mkdir(slot, { recursive: true }).catch((e: unknown) => { throw mapFsError(e, slot); });
    const root = c.kind === 'file' ? slot : path.join(slot, path.basename(c.path));
    const files = new Map<string, string>();
    let linked = true;
    try {
      for (const file of c.files) {
        const to = path.join(root, ...relativeName(c, file).split('/'));
        await fs.mkdir(path.dirname(to), { recursive: true });
        if (!c.rewritten && (await link(file, to))) { files.set(file, to); continue; }
        linked = false;
        await fs.copyFile(file, to);
        files.set(file, to);
      }
    } catch (e) {
      await fs.rm(slot, { recursive: true, force: true }).catch(() => undefined);
      const code = (e as NodeJS.ErrnoException).code;
      // Deleted by its trainer mid-capture: gone, not a failure of ours.
      if (code === 'ENOENT') return null;
      throw mapFsError(e, (e as NodeJS.ErrnoException).path ?? slot);
    }
    // A copy is only the checkpoint's bytes if nothing wrote into the file while it ran.
    const after = await lookOf(c.files);
    const own = await lookOf([...files.values()]);
    if (after?.sig !== before || !own) {
      await fs.rm(slot, { recursive: true, force: true }).catch(() => undefined);
      return null;
    }
    return { checkpoint: c, readFrom: c.kind === 'file' ? files.get(c.files[0]!)! : root, files, source: before, own: own.sig, linked, at: Date.now() };
  }

  /** Removes a capture (its commit landed or failed): best effort, the next watch sweeps what is left. */
  async drop(capture: Capture): Promise<void> {
    const slot = path.relative(this.dir, capture.readFrom).split(path.sep)[0]!;
    await fs.rm(path.join(this.dir, slot), { recursive: true, force: true }).catch(() => undefined);
  }

  async close(): Promise<void> {
    await fs.rm(this.dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

async function link(from: string, to: string): Promise<boolean> {
  try {
    await fs.link(from, to);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // Another file system, or one without hard links: a copy does.
    if (code === 'EXDEV' || code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'EMLINK') return false;
    throw e;
  }
}

/** Staging folders of watches whose process is gone (`<pid>-<random>`); one of a live watch is left alone. */
async function sweepDead(root: string): Promise<void> {
  for (const name of await fs.readdir(root).catch(() => [] as string[])) {
    const pid = Number(/^(\d+)-/u.exec(name)?.[1] ?? NaN);
    if (Number.isInteger(pid) && (pid === process.pid || alive(pid))) continue;
    await fs.rm(path.join(root, name), { recursive: true, force: true }).catch(() => undefined);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Every file some process has open, by its real path (Linux: /proc/<pid>/fd); null where /proc is missing. */
export async function openFiles(): Promise<Set<string> | null> {
  let pids: string[];
  try { pids = (await fs.readdir('/proc')).filter((n) => /^\d+$/u.test(n)); } catch { return null; }
  const open = new Set<string>();
  for (const pid of pids) {
    const fdDir = `/proc/${pid}/fd`;
    let fds: string[];
    try { fds = await fs.readdir(fdDir); } catch { continue; } // gone, or another user's
    for (const fd of fds) {
      const target = await fs.readlink(`${fdDir}/${fd}`).catch(() => null);
      if (target?.startsWith('/')) open.add(target.replace(/ \(deleted\)$/u, ''));
    }
  }
  return open;
}

export function notARun(dir: string, found: string): WeightlineError {
  return new WeightlineError('NOT_FOUND', `expected a training run's output folder, found ${found}`, dir);
}
