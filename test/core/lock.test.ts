import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { commit } from '../../src-main/core/ops/commit';
import { cleanup } from '../../src-main/core/ops/cleanup';
import { log } from '../../src-main/core/ops/inspect';
import { verify } from '../../src-main/core/ops/verify';
import { withWriteLock } from '../../src-main/core/store/lock';
import { Store } from '../../src-main/core/store/store';
import { TSX_EXEC_ARGV } from '../helpers/tsx';
import { gaussianF32, nudgeF32, rng, useScratch, writeSafetensors } from '../helpers/models';

// The write lock: one holder at a time however many processes race for it,
// stale locks taken over (and only stale ones), damaged ones reported with what
// to do, and a lock on a full or read-only disk. Real processes throughout.

const scratch = useScratch();
const helper = (name: string): string => fileURLToPath(new URL(`../helpers/${name}`, import.meta.url));
const HOST = os.hostname();
const old = (): Date => new Date(Date.now() - 10 * 60_000);

function procStart(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
}

function runNode(script: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...TSX_EXEC_ARGV, script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

async function race(processes: number, iterations: number, plant: boolean): Promise<void> {
  const root = scratch();
  const store = await Store.init(root);
  await fs.writeFile(path.join(root, 'counter'), '0');
  const runs = await Promise.all(Array.from({ length: processes }, (_, id) => runNode(helper('lock-racer.ts'), [JSON.stringify({ root, iterations, plant, id })])));
  for (const r of runs) expect(r.code, r.stderr).toBe(0);
  const reports = runs.map((r) => JSON.parse(r.stdout) as { violations: number; planted: number });
  expect(reports.reduce((s, r) => s + r.violations, 0), 'two holders at once').toBe(0);
  expect(Number(await fs.readFile(path.join(root, 'counter'), 'utf8'))).toBe(processes * iterations);
  if (plant) expect(reports.reduce((s, r) => s + r.planted, 0)).toBeGreaterThan(processes * iterations / 4);
  // The last holder may have planted a stale lock; nothing else may remain.
  const left = (await fs.readdir(store.dir)).filter((n) => n.startsWith('.tmp-'));
  expect(left).toEqual([]);
}

async function plantLock(store: Store, content: string, mtime?: Date): Promise<string> {
  const file = path.join(store.dir, 'lock');
  await fs.writeFile(file, content);
  if (mtime) await fs.utimes(file, mtime, mtime);
  return file;
}

describe('write lock', () => {
  it('(a) keeps mutual exclusion among 8 processes racing for it', async () => {
    await race(8, 20, false);
  }, 60_000);

  it('(b) keeps mutual exclusion while stale locks (dead pid, other host, damaged, legacy, symlink) are taken over in a race', async () => {
    await race(10, 15, true);
  }, 60_000);

  it('records host, pid, token, command, since and the process start time', async () => {
    const store = await Store.init(scratch());
    const rec = await withWriteLock(store, 'commit', async () => JSON.parse(await fs.readFile(path.join(store.dir, 'lock'), 'utf8')) as Record<string, unknown>);
    expect(rec).toMatchObject({ host: HOST, pid: process.pid, command: 'commit', start: procStart(process.pid) });
    expect(rec.token).toMatch(/^[0-9a-f]{16}$/);
    expect(new Date(rec.since as string).getTime()).toBeGreaterThan(Date.now() - 60_000);
    await expect(fs.lstat(path.join(store.dir, 'lock'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('(c) takes over a lock naming a live but unrelated pid (pid 1, our own pid with another start time)', async () => {
    const store = await Store.init(scratch());
    for (const pid of [1, process.pid]) {
      await plantLock(store, JSON.stringify({ host: HOST, pid, token: 'x', command: 'commit', since: new Date().toISOString(), start: procStart(pid) + 12345 }));
      expect(await withWriteLock(store, 'pin', async () => 'ran', 500)).toBe('ran');
    }
    // A lock on another host is judged by its refresh time alone.
    await plantLock(store, JSON.stringify({ host: 'elsewhere', pid: 1, token: 'y', command: 'commit', since: '2020-01-01' }), old());
    expect(await withWriteLock(store, 'pin', async () => 'ran', 500)).toBe('ran');
    await plantLock(store, JSON.stringify({ host: 'elsewhere', pid: 1, token: 'y', command: 'commit', since: '2020-01-01' }));
    await expect(withWriteLock(store, 'pin', async () => 'ran', 200)).rejects.toMatchObject({ code: 'LOCKED', message: expect.stringContaining('process 1 on elsewhere (weightline commit, since 2020-01-01)') });
  });

  it('(c) does not take over a live holder with the right start time, and names it', async () => {
    const root = scratch();
    const store = await Store.init(root);
    const child = spawn(process.execPath, [...TSX_EXEC_ARGV, helper('lock-holder.ts'), root], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => { child.stdout.once('data', () => resolve()); child.once('exit', (c) => reject(new Error(`holder exited ${c}`))); });
      // Old, too: a holder on this host that provably runs is never stale (a Ctrl+Z'd writer is still the writer).
      await fs.utimes(path.join(store.dir, 'lock'), old(), old());
      const err = await withWriteLock(store, 'commit', async () => 'ran', 300).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'LOCKED', message: expect.stringContaining(`process ${child.pid} on ${HOST} (weightline hold, since `) });
    } finally {
      child.stdin.end();
      await new Promise((r) => child.once('exit', r));
    }
    await expect(fs.lstat(path.join(store.dir, 'lock'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('(d) release leaves a lock whose token is not ours', async () => {
    const store = await Store.init(scratch());
    const foreign = JSON.stringify({ host: HOST, pid: process.pid, token: 'someone-else', command: 'commit', since: new Date().toISOString(), start: procStart(process.pid) });
    await withWriteLock(store, 'pin', async () => {
      const tmp = path.join(store.dir, 'x');
      await fs.writeFile(tmp, foreign);
      await fs.rename(tmp, path.join(store.dir, 'lock'));
    });
    expect(await fs.readFile(path.join(store.dir, 'lock'), 'utf8')).toBe(foreign);
  });

  it('(e) reports a fresh damaged lock with its path and the way out; takes an old one over', async () => {
    const store = await Store.init(scratch());
    for (const content of ['', 'garbage{', '{"pid":"twelve"}', '[1,2]']) {
      const file = await plantLock(store, content);
      const err = await withWriteLock(store, 'commit', async () => 'ran', 150).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'LOCKED', file });
      expect((err as Error).message).toContain('the lock file is damaged');
      expect((err as Error).message).toContain(`if no Weightline command is using this store on any machine, delete ${file}`);
      await fs.utimes(file, old(), old());
      expect(await withWriteLock(store, 'commit', async () => 'ran', 150)).toBe('ran');
    }
  });

  it('takes over a legacy lock {pid, command, since} whose pid is dead', async () => {
    const store = await Store.init(scratch());
    const dead = execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    await plantLock(store, JSON.stringify({ pid: Number(dead), command: 'commit', since: new Date().toISOString() }));
    expect(await withWriteLock(store, 'pin', async () => 'ran', 300)).toBe('ran');
  });

  it('a holder whose lock is taken from it is stopped: its signal aborts and LOCKED is thrown', async () => {
    const store = await Store.init(scratch());
    const lockFile = path.join(store.dir, 'lock');
    const run = withWriteLock(store, 'commit', async (signal) => {
      await fs.writeFile(path.join(store.dir, 'y'), JSON.stringify({ host: 'elsewhere', pid: 1, token: 'thief', command: 'commit', since: 'now' }));
      await fs.rename(path.join(store.dir, 'y'), lockFile);
      await new Promise((r) => signal.addEventListener('abort', r));
      return 'finished';
    }, 3000, { refreshMs: 30 });
    await expect(run).rejects.toMatchObject({ code: 'LOCKED', message: expect.stringContaining('taken over by another process') });
    expect(JSON.parse(await fs.readFile(lockFile, 'utf8'))).toMatchObject({ token: 'thief' });
  });

  it('refreshes its lock while held (mtime moves)', async () => {
    const store = await Store.init(scratch());
    const lockFile = path.join(store.dir, 'lock');
    await withWriteLock(store, 'commit', async () => {
      const stale = old();
      await fs.utimes(lockFile, stale, stale);
      // Refreshes come every 30 ms: wait for the mtime to move (a failure is this test's timeout).
      while ((await fs.stat(lockFile)).mtimeMs < stale.getTime() + 60_000) await new Promise((r) => setTimeout(r, 10));
      expect((await fs.stat(lockFile)).mtimeMs).toBeGreaterThan(stale.getTime() + 60_000);
    }, 3000, { refreshMs: 30 });
  });

  it('stops waiting for the lock when its signal aborts', async () => {
    const store = await Store.init(scratch());
    await plantLock(store, JSON.stringify({ host: 'elsewhere', pid: 1, token: 'z', command: 'commit', since: 'now' }));
    const ac = new AbortController();
    const run = withWriteLock(store, 'pin', async () => 'ran', 10_000, { signal: ac.signal });
    // Aborted once it is waiting (its staged lock is there), not before it starts.
    while (!(await fs.readdir(store.dir)).some((n) => n.startsWith(`.tmp-lock-${process.pid}-`))) await new Promise((r) => setTimeout(r, 5));
    ac.abort();
    // CANCELLED, not LOCKED: it stopped on the abort rather than at the end of its 10 s wait.
    await expect(run).rejects.toMatchObject({ code: 'CANCELLED' });
    expect((await fs.readdir(store.dir)).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
  });
});

/** A small tmpfs mounted for the test, or a skip saying why there is none. */
async function withTmpfs(ctx: { skip: (note: string) => void }, size: string, body: (mnt: string) => Promise<void>): Promise<void> {
  if (process.getuid?.() !== 0) { ctx.skip('mounting a small tmpfs needs root; not root here, so a full or read-only disk cannot be simulated'); return; }
  const mnt = scratch();
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', mnt], { stdio: 'ignore' });
  } catch {
    ctx.skip('mount -t tmpfs failed (no CAP_SYS_ADMIN in this container?), so a full or read-only disk cannot be simulated');
    return;
  }
  try { await body(mnt); } finally { execFileSync('umount', ['-l', mnt]); }
}

/** Fills the file system holding dir to the last byte: a big file until ENOSPC, then small ones. */
async function fill(dir: string): Promise<void> {
  const chunk = Buffer.alloc(1 << 16, 1);
  const h = await fs.open(path.join(dir, 'filler'), 'w');
  try {
    for (let size = chunk.length; size >= 1; size = Math.floor(size / 2)) {
      for (;;) {
        try { await h.write(chunk, 0, size); } catch (e) { if ((e as NodeJS.ErrnoException).code === 'ENOSPC') break; throw e; }
      }
    }
  } finally { await h.close(); }
  await expect(fs.writeFile(path.join(dir, 'one-byte'), 'x')).rejects.toMatchObject({ code: 'ENOSPC' });
  await fs.rm(path.join(dir, 'one-byte'), { force: true });
}

describe('write lock on a full or read-only disk', () => {
  it('(g) cleanup works on a full disk (a symlink lock), leaving no lock or temp file', async (ctx) => {
    await withTmpfs(ctx, '4m', async (mnt) => {
      const store = await Store.init(mnt);
      const file = path.join(mnt, 'm.safetensors');
      let w = gaussianF32(120_000, rng(1));
      for (let i = 0; i < 4; i++) {
        await writeSafetensors(file, [{ name: 'w', dtype: 'F32', shape: [120_000], data: w }]);
        await commit(store, file, { message: `step ${i}` });
        w = nudgeF32(w, rng(i + 2), 1e-3, 0.05);
      }
      await fill(mnt);
      const kind = await withWriteLock(store, 'probe', async () => (await fs.lstat(path.join(store.dir, 'lock'))).isSymbolicLink());
      expect(kind, 'a full disk takes a symlink lock').toBe(true);
      const plan = await cleanup(store);
      expect(plan.commits.length).toBeGreaterThan(0);
      expect(plan.bytesFreed).toBeGreaterThan(0);
      const names = await fs.readdir(store.dir);
      expect(names.filter((n) => n.startsWith('.tmp-') || n === 'lock')).toEqual([]);
      // Freed space: a file lock again.
      expect(await withWriteLock(store, 'probe', async () => (await fs.lstat(path.join(store.dir, 'lock'))).isFile())).toBe(true);
      expect((await verify(store)).ok).toBe(true);
      expect((await log(store)).length).toBe(4);
    });
  });

  it('a symlink lock of another live holder is honoured, and a dead one taken over', async (ctx) => {
    await withTmpfs(ctx, '1m', async (mnt) => {
      const store = await Store.init(mnt);
      const lockFile = path.join(store.dir, 'lock');
      await fs.symlink(JSON.stringify({ h: HOST, p: process.pid, t: 'other', c: 'commit', s: 'now', b: procStart(process.pid) }), lockFile);
      await expect(withWriteLock(store, 'pin', async () => 'ran', 150)).rejects.toMatchObject({ code: 'LOCKED', message: expect.stringContaining(`process ${process.pid} on ${HOST} (weightline commit, since now)`) });
      await fs.rm(lockFile);
      await fs.symlink(JSON.stringify({ h: HOST, p: process.pid, t: 'other', c: 'commit', s: 'now', b: procStart(process.pid) + 1 }), lockFile);
      expect(await withWriteLock(store, 'pin', async () => 'ran', 150)).toBe('ran');
    });
  });

  it('a read-only store gives PERMISSION naming the lock, not an internal error', async (ctx) => {
    await withTmpfs(ctx, '1m', async (mnt) => {
      const store = await Store.init(mnt);
      execFileSync('mount', ['-o', 'remount,ro', mnt]);
      const err = await withWriteLock(store, 'commit', async () => 'ran').catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'PERMISSION', file: path.join(store.dir, 'lock'), message: expect.stringContaining('read-only for this user') });
    });
  });
});
