import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { installInterrupt, INTERRUPTED } from '../../src-main/cli/interrupt';
import { commit } from '../../src-main/core/ops/commit';
import { verify } from '../../src-main/core/ops/verify';
import { withWriteLock } from '../../src-main/core/store/lock';
import { Store } from '../../src-main/core/store/store';
import { TSX_EXEC_ARGV } from '../helpers/tsx';
import { rng, safetensorsBytes, useScratch } from '../helpers/models';

// Ctrl+C and SIGTERM on the CLI: the command stops, removes its temp files and
// its lock, says the store is as before, and exits 130 / 143; or it had
// finished, and exits 0 with its commit whole. The CLI runs as a real child
// process from source, signalled at random points of a commit.

const scratch = useScratch();
const entry = fileURLToPath(new URL('../helpers/cli-entry.ts', import.meta.url));
const holder = fileURLToPath(new URL('../helpers/lock-holder.ts', import.meta.url));
const MB = 1 << 20;

interface Run { readonly code: number | null; readonly signal: NodeJS.Signals | null; readonly stderr: string; readonly lockAtMs: number | null; readonly ms: number }

/** Runs the CLI; `after(ms)` is called once its lock appears, to time a signal from there. */
function runCli(cwd: string, args: string[], onLock?: (child: ChildProcess) => void): Promise<Run> {
  const started = Date.now();
  const lockFile = path.join(cwd, '.weightline', 'lock');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...TSX_EXEC_ARGV, entry, ...args], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let lockAtMs: number | null = null;
    let exited = false;
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const watch = async (): Promise<void> => {
      while (!exited && lockAtMs === null) {
        if (await fs.lstat(lockFile).then(() => true, () => false)) { lockAtMs = Date.now() - started; onLock?.(child); return; }
        await new Promise((r) => setTimeout(r, 2));
      }
    };
    void watch();
    child.on('error', reject);
    child.on('exit', (code, signal) => { exited = true; resolve({ code, signal, stderr, lockAtMs, ms: Date.now() - started }); });
  });
}

async function tempFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(dir, { withFileTypes: true, recursive: true })) if (e.name.startsWith('.tmp-')) out.push(path.join(e.parentPath, e.name));
  return out;
}

describe('interrupts', () => {
  it('(f) SIGINT / SIGTERM at random points of a 100 MB commit: 130 / 143 or done, no temp file, no lock, store verifies', async () => {
    const root = scratch();
    const store = await Store.init(root);
    const file = path.join(root, 'model.safetensors');
    const bytes = safetensorsBytes([{ name: 'w', dtype: 'U8', shape: [100 * MB], data: randomBytes(100 * MB) }]);
    await fs.writeFile(file, bytes);
    await commit(store, file, { message: 'base' });
    const rand = rng(7);
    const step = async (): Promise<void> => {
      // A few bytes changed in a few blocks: a training step, cheap to diff.
      for (let k = 0; k < 4; k++) {
        const at = Math.floor(rand() * bytes.length / 2) + bytes.length / 4;
        bytes[at] = bytes[at]! ^ 0xff;
      }
      await fs.writeFile(file, bytes);
    };
    // An uninterrupted run: how long a commit holds its lock, so signals land all over it.
    await step();
    const calm = await runCli(root, ['commit', 'model.safetensors', '-m', 'calm']);
    expect(calm.code, calm.stderr).toBe(0);
    const held = calm.ms - (calm.lockAtMs ?? 0);
    let interrupted = 0;
    for (let i = 0; i < 6; i++) {
      const sig: NodeJS.Signals = i % 2 === 0 ? 'SIGINT' : 'SIGTERM';
      await step();
      const before = await store.listCommitIds();
      const delay = Math.floor(rand() * held * 1.1);
      const res = await runCli(root, ['commit', 'model.safetensors', '-m', `step ${i}`], (child) => { setTimeout(() => child.kill(sig), delay); });
      const after = await store.listCommitIds();
      const what = `${sig} ${delay} ms after the lock (commit holds it ~${held} ms): ${res.stderr}`;
      if (res.code === 0) {
        expect(after.length, what).toBe(before.length + 1);
      } else {
        expect(res.code, what).toBe(sig === 'SIGINT' ? 130 : 143);
        expect(res.stderr, what).toContain(INTERRUPTED);
        expect([...after].sort(), what).toEqual([...before].sort());
        interrupted++;
      }
      expect(await tempFiles(root), what).toEqual([]);
      await expect(fs.lstat(path.join(store.dir, 'lock')), what).rejects.toMatchObject({ code: 'ENOENT' });
    }
    console.log(`interrupt test: ${interrupted} of 6 commits interrupted, the rest had finished`);
    expect(interrupted, 'most signals must land mid-commit for the test to mean anything').toBeGreaterThanOrEqual(3);
    const check = await verify(store);
    expect(check.ok, JSON.stringify(check.commits.filter((c) => !c.ok))).toBe(true);
  }, 60_000);

  it('a second SIGINT exits at once, dropping its own lock; the next writer sweeps its temp files', async () => {
    const root = scratch();
    const store = await Store.init(root);
    const file = path.join(root, 'model.safetensors');
    await fs.writeFile(file, safetensorsBytes([{ name: 'w', dtype: 'U8', shape: [64 * MB], data: randomBytes(64 * MB) }]));
    const res = await runCli(root, ['commit', 'model.safetensors', '-m', 'x'], (child) => {
      setTimeout(() => { child.kill('SIGINT'); child.kill('SIGINT'); }, 30);
    });
    expect(res.code, res.stderr).toBe(130);
    await expect(fs.lstat(path.join(store.dir, 'lock'))).rejects.toMatchObject({ code: 'ENOENT' });
    await withWriteLock(store, 'pin', async () => undefined);
    expect(await tempFiles(root)).toEqual([]);
    expect((await verify(store)).ok).toBe(true);
  });

  it('Ctrl+C while waiting for another writer stops at once, leaving no staged lock', async () => {
    const root = scratch();
    const store = await Store.init(root);
    const other = spawn(process.execPath, [...TSX_EXEC_ARGV, holder, root], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve) => other.stdout.once('data', () => resolve()));
      const started = Date.now();
      // config passes the CLI's signal to withWriteLock; commit, restore and cleanup do once their ops pass theirs on.
      const child = spawn(process.execPath, [...TSX_EXEC_ARGV, entry, 'config', 'maxChainLength', '5'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      // Its staged lock shows it is waiting.
      while (!(await fs.readdir(store.dir)).some((n) => n.startsWith(`.tmp-lock-${child.pid}-`))) await new Promise((r) => setTimeout(r, 5));
      child.kill('SIGINT');
      const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
      expect(code, stderr).toBe(130);
      expect(stderr).toContain(INTERRUPTED);
      expect(Date.now() - started).toBeLessThan(2900); // stopped, not timed out waiting (3 s)
      expect((await fs.readdir(store.dir)).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
    } finally {
      other.stdin.end();
      await new Promise((r) => other.once('exit', r));
    }
  });

  it('an operation that ignores the signal is ended after the grace period, its lock dropped (token checked)', async () => {
    const store = await Store.init(scratch());
    const lockFile = path.join(store.dir, 'lock');
    let stderr = '';
    const exits: number[] = [];
    const intr = installInterrupt({ stderr: { write: (s: string) => (stderr += s) }, graceMs: 100, exit: (c) => { exits.push(c); } });
    try {
      await withWriteLock(store, 'commit', async () => {
        process.kill(process.pid, 'SIGTERM');
        await new Promise((r) => setTimeout(r, 300));
        // Forced: the lock is gone while the operation still runs.
        await expect(fs.lstat(lockFile)).rejects.toMatchObject({ code: 'ENOENT' });
      });
    } finally { intr.dispose(); }
    expect(intr.signal.aborted).toBe(true);
    expect(exits).toEqual([143]);
    expect(stderr).toContain('still running');
  });
});
