import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, readlinkSync, lstatSync, unlinkSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { WeightlineError } from '../../../src-shared/errors';
import type { Store } from './store';
import { fsyncDir, TMP_PREFIX } from '../base/fsutil';
import { openStoreFile, readOpened, STORE_FILE_LIMITS, type StoreFileRead } from '../base/bounded-read';

// One writer at a time, across processes and hosts sharing a store. Readers
// never lock: every file they read is immutable once renamed into place.
//
// The lock file `.weightline/lock` names its holder: host, pid, a random token,
// the command, when it started, and (Linux) the process's own start time, so a
// pid reused by an unrelated process is not mistaken for the holder. Its mtime
// is the holder's last refresh: the holder touches it (utimes, after checking
// the token is still its own) every REFRESH_MS. A touch needs no free disk
// space, which a rewrite of the file would, and cleanup must work on a full
// disk. Clocks of hosts sharing a store must agree to well within STALE_MS.
//
// A lock is stale, and may be taken over, only when
//   - it is on this host (a lock without a host, written by an older version,
//     counts as this host) and its pid is dead, or alive with a start time other
//     than the one recorded; or
//   - its holder cannot be checked (another host, no start time recorded, or a
//     damaged file that names no holder) and its mtime is older than STALE_MS.
// A lock on this host whose holder is provably alive is never stale, however
// old: a holder stopped with Ctrl+Z is still the holder.

const WAIT_MS = 3000;
const POLL_MS = 50;
/** How often a holder touches its lock. */
export const REFRESH_MS = 30_000;
/** A lock whose holder cannot be checked is stale once untouched this long. */
export const STALE_MS = 5 * 60_000;

const HOST = os.hostname();
const LOCK_READ: StoreFileRead = {
  expected: 'the store\'s write lock (a small file naming the process that holds it)',
  next: 'no Weightline command writes that; if no Weightline command is running, move it away or delete it, then run the command again',
  maxBytes: STORE_FILE_LIMITS.lock,
  noFollow: true,
};
const LOCK_NAME = 'lock';
// `.tmp-lock-<pid>-…`: staged locks and stale locks being taken over. The sweep
// spares them while their pid runs (a waiting writer's staged lock is not debris).
const OWN_TMP = `${TMP_PREFIX}lock-${process.pid}-`;
// `.tmp-lockbreak-<identity>-<generation>`: who may take a given stale lock over.
const BREAK_TMP = `${TMP_PREFIX}lockbreak-`;

/** The holder a lock file names, as written (legacy locks have only pid, command and since). */
export interface LockInfo {
  readonly host?: string;
  readonly pid: number;
  readonly token?: string;
  readonly command: string;
  readonly since: string;
  /** The holder's start time in clock ticks since boot (/proc/<pid>/stat field 22); Linux only. */
  readonly start?: number;
}

export interface WriteLockOptions {
  /** Aborting it stops the wait for the lock, and is passed on to fn through the signal fn gets. */
  readonly signal?: AbortSignal;
  /** For tests; the defaults are REFRESH_MS and STALE_MS. */
  readonly refreshMs?: number;
  readonly staleMs?: number;
}

/** Locks this process holds, so a forced exit can drop them synchronously (releaseHeldLocksSync). */
const held = new Map<string, { token: string; ino: number }>();
let acquiring = 0;

/**
 * Whether this process holds a write lock or is taking one. An interrupted
 * command that does neither has nothing to undo and may exit at once.
 */
export function lockActivity(): boolean {
  return held.size > 0 || acquiring > 0;
}

/**
 * Runs fn as work a Ctrl+C must unwind even while it holds no lock (counted
 * as taking one): a clone between its steps has a folder to remove.
 */
export async function unwinding<T>(fn: () => Promise<T>): Promise<T> {
  acquiring++;
  try { return await fn(); } finally { acquiring--; }
}

/**
 * Runs fn while holding the store's write lock. fn gets a signal that aborts
 * when options.signal does, or when a refresh finds the lock gone or someone
 * else's (fn must then stop writing); in the latter case LOCKED is thrown once
 * fn has returned or failed, whatever it returned.
 */
export async function withWriteLock<T>(
  store: Store, command: string, fn: (signal: AbortSignal) => Promise<T>, waitMs = WAIT_MS, options: WriteLockOptions = {},
): Promise<T> {
  const lockFile = path.join(store.dir, LOCK_NAME);
  const staleMs = options.staleMs ?? STALE_MS;
  const refreshMs = options.refreshMs ?? REFRESH_MS;
  const mine: LockInfo = { host: HOST, pid: process.pid, token: randomBytes(8).toString('hex'), command, since: new Date().toISOString(), ...(selfStart() !== null ? { start: selfStart()! } : {}) };
  acquiring++;
  let ino: number;
  try { ino = await acquire(store.dir, lockFile, mine, waitMs, staleMs, options.signal); } finally { acquiring--; }

  const controller = new AbortController();
  const onOuterAbort = (): void => controller.abort(options.signal?.reason);
  if (options.signal?.aborted) onOuterAbort();
  else options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  let lost: WeightlineError | null = null;
  let lastRefresh = Date.now();
  let refreshing: Promise<void> = Promise.resolve();
  const refresh = async (): Promise<void> => {
    if (lost) return;
    const late = Date.now() - lastRefresh;
    const seen = await readLock(lockFile).catch(() => null);
    const ours = seen?.kind === 'lock' && seen.holder?.token === mine.token;
    if (!ours) {
      lost = new WeightlineError('LOCKED', `the write lock of this ${command} was removed or taken over by another process while it ran (found ${seen?.kind === 'lock' ? describe(seen) : 'no lock'}); it stopped, and what it had finished may be in the store; run "weightline verify"`, lockFile);
    } else if (late > staleMs) {
      // Unrefreshed this long (the machine slept, or the process was stopped),
      // the lock looked stale to other hosts, which may be writing now.
      lost = new WeightlineError('LOCKED', `the write lock of this ${command} went ${Math.round(late / 1000)} s without a refresh (the machine slept or the process was stopped), so another process may have taken the store over; it stopped, and what it had finished may be in the store; run "weightline verify"`, lockFile);
    } else {
      const now = new Date();
      // lutimes: a symlink lock's own time, not its (nonexistent) target's.
      await fs.lutimes(lockFile, now, now).then(() => { lastRefresh = Date.now(); }, () => undefined);
      return;
    }
    controller.abort(lost);
  };
  const timer = setInterval(() => { refreshing = refreshing.then(refresh); }, refreshMs);
  // A timer alone must not keep a process alive whose work has ended.
  timer.unref();
  try {
    await sweepTemps(store);
    const result = await fn(controller.signal);
    if (lost) throw lost;
    return result;
  } catch (e) {
    if (lost) throw lost;
    throw e;
  } finally {
    clearInterval(timer);
    await refreshing;
    options.signal?.removeEventListener('abort', onOuterAbort);
    held.delete(lockFile);
    await release(lockFile, mine.token!, ino);
  }
}

/**
 * Drops every lock this process holds, synchronously, checking each is still
 * its own: for an exit that cannot wait for the operation to unwind (a second
 * Ctrl+C). Temp files stay behind for the next writer's sweep.
 */
export function releaseHeldLocksSync(): void {
  for (const [lockFile, { token }] of held) {
    held.delete(lockFile);
    try {
      const st = lstatSync(lockFile);
      // Not a lock this process could have written (a folder, a huge file): not ours, left alone and unread.
      if (!st.isSymbolicLink() && (!st.isFile() || st.size > STORE_FILE_LIMITS.lock)) continue;
      const raw = st.isSymbolicLink() ? readlinkSync(lockFile) : readFileSync(lockFile, 'utf8');
      if (parseLock(raw)?.token === token) unlinkSync(lockFile);
    } catch { /* gone already */ }
  }
}

// ---- taking the lock ----

async function acquire(dir: string, lockFile: string, mine: LockInfo, waitMs: number, staleMs: number, signal?: AbortSignal): Promise<number> {
  const deadline = Date.now() + waitMs;
  let staged: string | null = null;
  try {
    for (;;) {
      if (signal?.aborted) throw new WeightlineError('CANCELLED', 'stopped while waiting for the store\'s write lock; nothing was changed', lockFile);
      // The lock appears with its content or not at all: staged under a temp
      // name, then hard-linked into place (link fails if the lock exists). A
      // writer killed between creating and filling the lock would otherwise
      // leave an empty lock. On a full disk the staged file cannot get its data
      // block: the lock is then a symlink whose target is the record, which is
      // created whole by one call and needs no data block (tmpfs keeps targets
      // under 128 bytes in the inode, ext4 under 60).
      let ok: boolean;
      try {
        if (staged === null) staged = await stage(dir, mine);
        ok = staged === '' ? await trySymlink(lockFile, mine) : await tryLink(staged, lockFile);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' && staged) { staged = null; continue; } // a sweep took our staged lock: stage again
        throw lockError(e, lockFile);
      }
      if (ok) {
        const st = await fs.lstat(lockFile);
        held.set(lockFile, { token: mine.token!, ino: st.ino });
        await fsyncDir(dir).catch(() => undefined);
        return st.ino;
      }
      const seen = await readLock(lockFile);
      if (seen.kind === 'none') continue; // released meanwhile
      if (staleReason(seen, staleMs)) {
        await takeOver(dir, lockFile, seen, staleMs);
        continue;
      }
      if (Date.now() > deadline) throw lockedError(lockFile, seen, staleMs);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  } finally {
    if (staged) await fs.rm(staged, { force: true });
  }
}

/** Writes the lock record under a temp name; '' when the disk is full (use a symlink lock). */
async function stage(dir: string, mine: LockInfo): Promise<string> {
  const staged = path.join(dir, `${OWN_TMP}${randomBytes(4).toString('hex')}`);
  try {
    const h = await fs.open(staged, 'wx', 0o644);
    try { await h.writeFile(JSON.stringify(mine)); await h.sync(); } finally { await h.close(); }
    return staged;
  } catch (e) {
    // Never leave a half-made staged lock: it would be an empty `.tmp-lock-*`.
    await fs.rm(staged, { force: true });
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT') return '';
    throw e;
  }
}

async function tryLink(staged: string, lockFile: string): Promise<boolean> {
  try { await fs.link(staged, lockFile); return true; } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

async function trySymlink(lockFile: string, mine: LockInfo): Promise<boolean> {
  try { await fs.symlink(compact(mine), lockFile); return true; } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

/**
 * Removes a stale lock, and only the one judged stale, however many processes
 * race for it. Renaming the lock aside and putting it back when it turns out
 * not to be the stale one has a window: while it is aside, a third process can
 * take the free name, and the live lock that was moved cannot go back (link
 * refuses to clobber; rename would clobber the newcomer's). So the window is
 * closed before it opens:
 *   1. The right to remove one particular stale lock (its identity: device,
 *      inode, mtime and bytes, so a refresh or a replacement is a different
 *      lock) goes to whoever creates `.tmp-lockbreak-<identity>-<g>` first. It
 *      is a symlink, created whole or not at all, naming host, pid and start
 *      time. Generation g+1 may be tried only when g's creator is provably
 *      dead (same rules as a lock), so a breaker that dies does not wedge the
 *      store, and two live breakers never both hold the right.
 *   2. The winner reads the lock again: if it is not the very lock judged
 *      stale, someone else already took it over, and the winner backs off.
 *   3. Only then is it renamed to a name of our own and read once more. Between
 *      2 and 3 the lock can change only if its holder released it itself, which
 *      a dead holder cannot do; if it did happen (a holder on another host,
 *      silent for STALE_MS, waking at that very instant), what was moved is
 *      linked back (never over another lock) and, if that fails, its holder
 *      finds its lock gone at its next refresh and stops.
 */
async function takeOver(dir: string, lockFile: string, judged: SeenLock, staleMs: number): Promise<void> {
  const key = createHash('sha256').update(judged.identity).digest('hex').slice(0, 24);
  const marker = await winBreak(dir, key, staleMs);
  if (!marker) return;
  try {
    const again = await readLock(lockFile);
    if (again.kind !== 'lock' || again.identity !== judged.identity) return;
    const aside = path.join(dir, `${OWN_TMP}stale-${randomBytes(4).toString('hex')}`);
    try { await fs.rename(lockFile, aside); } catch { return; }
    const moved = await readLock(aside).catch(() => ({ kind: 'none' as const }));
    if (moved.kind === 'lock' && moved.identity !== judged.identity) await fs.link(aside, lockFile).catch(() => undefined);
    await fs.rm(aside, { force: true });
    await fsyncDir(dir).catch(() => undefined);
  } finally {
    await fs.rm(marker, { force: true });
  }
}

/** Creates the first free break marker for a stale lock, or null when a live process holds one. */
async function winBreak(dir: string, key: string, staleMs: number): Promise<string | null> {
  const me = `${HOST} ${process.pid} ${selfStart() ?? '-'}`;
  for (let g = 0; g < 64; g++) {
    const marker = path.join(dir, `${BREAK_TMP}${key}-${g}`);
    try {
      await fs.symlink(me, marker);
      return marker;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let raw: string;
    let mtimeMs: number;
    try { raw = await fs.readlink(marker); mtimeMs = (await fs.lstat(marker)).mtimeMs; } catch { return null; } // just removed: the race goes on at the next poll
    const [host, pid, start] = raw.split(' ');
    const holder: Holder = { host: host ?? null, pid: Number(pid), token: null, command: 'takeover', since: '', start: start && start !== '-' ? Number(start) : null };
    if (!staleReason({ kind: 'lock', raw, identity: '', mtimeMs, holder, symlink: true }, staleMs)) return null;
  }
  return null;
}

// ---- reading and judging a lock ----

interface Holder {
  readonly host: string | null;
  readonly pid: number;
  readonly token: string | null;
  readonly command: string;
  readonly since: string;
  readonly start: number | null;
}

interface SeenLock {
  readonly kind: 'lock';
  readonly raw: string;
  /** Which lock this is: a refresh or a replacement makes another identity. */
  readonly identity: string;
  readonly mtimeMs: number;
  /** Null for a damaged file (empty, not JSON, wrong shape). */
  readonly holder: Holder | null;
  readonly symlink: boolean;
}

type Seen = { readonly kind: 'none' } | SeenLock;

/** One consistent look at the lock: the bytes and the stat of the same inode. */
async function readLock(file: string): Promise<Seen> {
  for (let i = 0; ; i++) {
    try {
      // O_NOFOLLOW: a symlink lock fails with ELOOP and is read with readlink.
      // A folder named lock, or a lock file far larger than a record (a 200 MB one was
      // read whole, 1 GB RSS) is CORRUPT before a byte is read (base/bounded-read.ts).
      const opened = await openStoreFile(file, LOCK_READ);
      if (!opened) return { kind: 'none' };
      try {
        const st = await opened.handle.stat();
        const raw = (await readOpened(file, opened.handle, opened.size, LOCK_READ)).toString('utf8');
        return { kind: 'lock', raw, identity: `${st.dev}:${st.ino}:${st.mtimeMs}:${raw}`, mtimeMs: st.mtimeMs, holder: parseLock(raw), symlink: false };
      } finally { await opened.handle.close(); }
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ELOOP' && code !== 'EMLINK') throw e;
    }
    try {
      const before = await fs.lstat(file);
      const raw = await fs.readlink(file);
      const after = await fs.lstat(file);
      // Replaced between the calls: look again.
      if (before.ino !== after.ino || before.mtimeMs !== after.mtimeMs) { if (i < 5) continue; }
      return { kind: 'lock', raw, identity: `${after.dev}:${after.ino}:${after.mtimeMs}:${raw}`, mtimeMs: after.mtimeMs, holder: parseLock(raw), symlink: true };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return { kind: 'none' };
      if (code === 'EINVAL' && i < 5) continue; // a regular file again: look again
      throw e;
    }
  }
}

/** The holder a lock's bytes name (file: JSON with full keys; symlink: JSON with one-letter keys), or null when damaged. */
function parseLock(raw: string): Holder | null {
  let v: unknown;
  try { v = JSON.parse(raw); } catch { return null; }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const o = v as Record<string, unknown>;
  const pick = (long: string, short: string): unknown => (long in o ? o[long] : o[short]);
  const pid = pick('pid', 'p'), host = pick('host', 'h'), token = pick('token', 't'), command = pick('command', 'c'), since = pick('since', 's'), start = pick('start', 'b');
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) return null;
  if (host !== undefined && typeof host !== 'string') return null;
  if (token !== undefined && typeof token !== 'string') return null;
  if (start !== undefined && typeof start !== 'number') return null;
  return {
    host: typeof host === 'string' ? host : null, pid, token: typeof token === 'string' ? token : null,
    command: typeof command === 'string' ? command : '?', since: typeof since === 'string' ? since : '?', start: typeof start === 'number' ? start : null,
  };
}

/** The symlink form: one-letter keys keep the target under tmpfs's 128-byte inline limit. */
function compact(i: LockInfo): string {
  return JSON.stringify({ h: i.host, p: i.pid, t: i.token, c: i.command, s: i.since, ...(i.start !== undefined ? { b: i.start } : {}) });
}

/** Why a lock may be taken over, or null when its holder may be alive. */
function staleReason(seen: SeenLock, staleMs: number): string | null {
  const age = Date.now() - seen.mtimeMs;
  const h = seen.holder;
  if (h && (h.host ?? HOST) === HOST) {
    if (!pidExists(h.pid)) return 'its process is gone';
    if (h.start !== null) {
      const now = procStart(h.pid);
      if (now !== null && now !== h.start) return 'its process id now belongs to another process';
      // Alive, and provably the holder: never stale.
      if (now !== null) return null;
    }
  }
  // Another host, a holder that cannot be checked, or a damaged file.
  return age > staleMs ? `it was last refreshed ${Math.round(age / 1000)} s ago` : null;
}

function pidExists(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}

let ownStart: number | null | undefined;
function selfStart(): number | null {
  if (ownStart === undefined) ownStart = procStart(process.pid);
  return ownStart;
}

/** Field 22 of /proc/<pid>/stat (start time in ticks since boot); null where there is no /proc. */
function procStart(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (the command name) may hold spaces and parentheses: count from its last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const v = Number(rest[22 - 3]);
    return Number.isFinite(v) ? v : null;
  } catch { return null; }
}

function describe(seen: SeenLock): string {
  const h = seen.holder;
  if (!h) return 'a damaged lock file';
  return `process ${h.pid} on ${h.host ?? 'this machine'} (weightline ${h.command}, since ${h.since})`;
}

function lockedError(lockFile: string, seen: SeenLock, staleMs: number): WeightlineError {
  const mins = Math.round(staleMs / 60_000);
  const h = seen.holder;
  if (!h) {
    const what = seen.raw.length === 0 ? 'an empty file' : `${JSON.stringify(seen.raw.slice(0, 60))}${seen.raw.length > 60 ? '…' : ''}`;
    return new WeightlineError('LOCKED', `the lock file is damaged: expected a JSON record naming the writer that holds the store, found ${what}; it is taken over once ${mins} min old; if no Weightline command is using this store on any machine, delete ${lockFile}`, lockFile);
  }
  const who = `process ${h.pid} on ${h.host ?? 'this machine'} (weightline ${h.command}, since ${h.since})`;
  return new WeightlineError('LOCKED', `the store is locked by ${who}; wait for it to finish or stop that process; if no Weightline command is using this store on any machine, delete ${lockFile}`, lockFile);
}

function lockError(e: unknown, lockFile: string): unknown {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM') {
    return new WeightlineError('PERMISSION', `cannot create the write lock (${code}): the store is read-only for this user; commands that change it (commit, cleanup, pin, config, restore to its own path) cannot run, while log, show, status, diff and verify can`, lockFile);
  }
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new WeightlineError('DISK_FULL', `cannot create the write lock: the disk is full (${code}); nothing was changed; free some space on it`, lockFile);
  }
  return e;
}

/** Removes the lock if it is still ours: never another holder's, even one that wrongly took ours over. */
async function release(lockFile: string, token: string, ino: number): Promise<void> {
  const seen = await readLock(lockFile).catch(() => null);
  if (seen?.kind !== 'lock' || seen.holder?.token !== token) return;
  const st = await fs.lstat(lockFile).catch(() => null);
  if (st?.ino !== ino) return;
  await fs.rm(lockFile, { force: true });
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
      // Break markers are: whoever held one has either finished or will find
      // the lock it judged stale gone (ours replaced it) and back off.
      const waiting = /^\.tmp-lock-(\d+)-/.exec(n);
      if (waiting && pidExists(Number(waiting[1]))) continue;
      await fs.rm(path.join(dir, n), { force: true, recursive: true });
    }
  }
}
