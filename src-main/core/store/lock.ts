import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { WeightlineError } from '../../../src-shared/errors';
import type { Store } from './store';
import { TMP_PREFIX } from '../base/fsutil';

// One writer at a time. The lock file holds the owner's pid; a lock whose pid
// no longer runs was left by a crash and is taken over. Readers never lock:
// every file they read is immutable once renamed into place.

const WAIT_MS = 3000;
const POLL_MS = 50;

export interface LockInfo { readonly pid: number; readonly command: string; readonly since: string }

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}

export async function withWriteLock<T>(store: Store, command: string, fn: () => Promise<T>, waitMs = WAIT_MS): Promise<T> {
  const lockFile = path.join(store.dir, 'lock');
  const info: LockInfo = { pid: process.pid, command, since: new Date().toISOString() };
  const deadline = Date.now() + waitMs;
  // The lock appears with its content or not at all: written under a temp
  // name, then hard-linked into place (link fails if the lock exists). A
  // writer killed between creating and filling the lock would otherwise leave
  // an empty lock that names no holder and could never be taken over.
  const staged = path.join(store.dir, `${TMP_PREFIX}lock-${process.pid}-${Math.random().toString(16).slice(2, 10)}`);
  const h = await fs.open(staged, 'w');
  try { await h.writeFile(JSON.stringify(info)); await h.sync(); } finally { await h.close(); }
  try {
    for (;;) {
      try {
        await fs.link(staged, lockFile);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        let holder: LockInfo | undefined;
        try { holder = JSON.parse(await fs.readFile(lockFile, 'utf8')) as LockInfo; } catch { /* just removed */ }
        if (holder && !alive(holder.pid)) {
          // Stale lock: rename it away first so two processes cannot both take it over.
          const stale = `${lockFile}.stale-${process.pid}`;
          try {
            await fs.rename(lockFile, stale);
            // Between reading the dead holder and the rename, another process
            // may have taken the lock over: if what was moved is not the dead
            // holder's, put it back.
            const moved = JSON.parse(await fs.readFile(stale, 'utf8')) as LockInfo;
            if (moved.pid !== holder.pid) await fs.link(stale, lockFile).catch(() => undefined);
            await fs.rm(stale, { force: true });
          } catch { /* another process won */ }
          continue;
        }
        if (Date.now() > deadline) {
          const who = holder ? `process ${holder.pid} (weightline ${holder.command}, since ${holder.since})` : 'another process';
          throw new WeightlineError('LOCKED', `the store is locked by ${who}; wait for it to finish, or stop that process`, lockFile);
        }
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    }
  } finally {
    await fs.rm(staged, { force: true });
  }
  try {
    await sweepTemps(store);
    return await fn();
  } finally {
    await fs.rm(lockFile, { force: true });
  }
}

/** Removes temp files left by a writer that died; safe only while holding the lock. */
async function sweepTemps(store: Store): Promise<void> {
  const dirs = [store.dir, path.join(store.dir, 'commits')];
  try {
    for (const sub of await fs.readdir(path.join(store.dir, 'objects'))) dirs.push(path.join(store.dir, 'objects', sub));
  } catch { /* no objects yet */ }
  for (const dir of dirs) {
    let names: string[];
    try { names = await fs.readdir(dir); } catch { continue; }
    for (const n of names) {
      if (!n.startsWith(TMP_PREFIX)) continue;
      // A staged lock of a process still waiting for the lock is not debris.
      const waiting = /^\.tmp-lock-(\d+)-/.exec(n);
      if (waiting && alive(Number(waiting[1]))) continue;
      await fs.rm(path.join(dir, n), { force: true, recursive: true });
    }
  }
}
