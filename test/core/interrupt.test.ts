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
import type { PausePoint } from '../../src-main/core/base/test-pause';
import { pauses } from '../helpers/pause';
import { TSX_EXEC_ARGV } from '../helpers/tsx';
import { rng, safetensorsBytes, useScratch } from '../helpers/models';

// Ctrl+C and SIGTERM on the CLI: the command stops, removes its temp files and
// its lock, says the store is as before, and exits 130 / 143; or it had
// finished, and exits 0 with its commit whole. The CLI runs as a real child
// process from source, signalled at named pause points of a commit.

const scratch = useScratch();
const entry = fileURLToPath(new URL('../helpers/cli-entry.ts', import.meta.url));
const holder = fileURLToPath(new URL('../helpers/lock-holder.ts', import.meta.url));
const MB = 1 << 20;

interface Run { readonly code: number | null; readonly signal: NodeJS.Signals | null; readonly stderr: string }

/** Runs the CLI from source with extra environment (the pause points); `exit` settles when it ends. */
function startCli(cwd: string, args: string[], env: Record<string, string> = {}): { child: ChildProcess; exit: Promise<Run> } {
  const child = spawn(process.execPath, [...TSX_EXEC_ARGV, entry, ...args], { cwd, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<Run>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
  return { child, exit };
}

async function tempFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(dir, { withFileTypes: true, recursive: true })) if (e.name.startsWith('.tmp-')) out.push(path.join(e.parentPath, e.name));
  return out;
}

describe('interrupts', () => {
  // Where a signal lands decides what must happen: before the commit point
  // the command stops and the store is as before; once objects are adopted it
  // still stops before writing the manifest, or finishes with its commit
  // whole; either way no temp file and no lock remain.
  it.each<{ point: PausePoint; sig: NodeJS.Signals }>([
    { point: 'commit.copying', sig: 'SIGINT' },
    { point: 'commit.copying', sig: 'SIGTERM' },
    { point: 'commit.before-manifest', sig: 'SIGINT' },
    { point: 'commit.before-manifest', sig: 'SIGTERM' },
  ])('(f) $sig at $point of a DELTA commit: 130 / 143 or done, no temp file, no lock, store verifies', async ({ point, sig }) => {
    const root = scratch();
    const store = await Store.init(root);
    const file = path.join(root, 'model.safetensors');
    // Three 4 MiB copy chunks: paused after the first, the copy is truly half done.
    const bytes = safetensorsBytes([{ name: 'w', dtype: 'U8', shape: [12 * MB], data: randomBytes(12 * MB) }]);
    await fs.writeFile(file, bytes);
    await commit(store, file, { message: 'base' });
    // A few bytes changed in a few blocks: a training step.
    const rand = rng(7);
    for (let k = 0; k < 4; k++) {
      const at = Math.floor(rand() * bytes.length / 2) + bytes.length / 4;
      bytes[at] = bytes[at]! ^ 0xff;
    }
    await fs.writeFile(file, bytes);
    const before = await store.listCommitIds();
    const p = await pauses(point);
    try {
      const { child, exit } = startCli(root, ['commit', 'model.safetensors', '-m', 'step'], p.env);
      await p.reached(point, exit);
      child.kill(sig);
      const res = await exit;
      const after = await store.listCommitIds();
      const what = `${sig} at ${point}: ${res.stderr}`;
      if (point === 'commit.copying') {
        expect(res.code, what).toBe(sig === 'SIGINT' ? 130 : 143);
        expect(res.stderr, what).toContain(INTERRUPTED);
        expect([...after].sort(), what).toEqual([...before].sort());
      } else if (res.code === 0) {
        // What commit does today: past adopting its objects it writes the manifest and says the result stands.
        expect(after.length, what).toBe(before.length + 1);
        expect(res.stderr, what).toContain('already finished; its result stands');
      } else {
        expect(res.code, what).toBe(sig === 'SIGINT' ? 130 : 143);
        expect([...after].sort(), what).toEqual([...before].sort());
      }
      expect(await tempFiles(root), what).toEqual([]);
      await expect(fs.lstat(path.join(store.dir, 'lock')), what).rejects.toMatchObject({ code: 'ENOENT' });
      const check = await verify(store);
      expect(check.ok, JSON.stringify(check.commits.filter((c) => !c.ok))).toBe(true);
    } finally {
      await p.dispose();
    }
  });

  it('a second SIGINT exits at once, dropping its own lock; the next writer sweeps its temp files', async () => {
    const root = scratch();
    const store = await Store.init(root);
    const file = path.join(root, 'model.safetensors');
    await fs.writeFile(file, safetensorsBytes([{ name: 'w', dtype: 'U8', shape: [12 * MB], data: randomBytes(12 * MB) }]));
    const p = await pauses('commit.copying');
    try {
      const { child, exit } = startCli(root, ['commit', 'model.safetensors', '-m', 'x'], p.env);
      await p.reached('commit.copying', exit);
      child.kill('SIGINT');
      child.kill('SIGINT');
      const res = await exit;
      expect(res.code, res.stderr).toBe(130);
    } finally {
      await p.dispose();
    }
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
      // Stopped by the signal, not by the wait running out (3 s), which fails with status 1 naming the holder.
      expect(stderr).not.toContain('the store is locked by');
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
    let forced!: () => void;
    const exited = new Promise<void>((r) => { forced = r; });
    const intr = installInterrupt({ stderr: { write: (s: string) => (stderr += s) }, graceMs: 100, exit: (c) => { exits.push(c); forced(); } });
    try {
      await withWriteLock(store, 'commit', async () => {
        process.kill(process.pid, 'SIGTERM');
        // An operation that ignores the signal: it goes on until the grace period ends it.
        await exited;
        // Forced: the lock is gone while the operation still runs.
        await expect(fs.lstat(lockFile)).rejects.toMatchObject({ code: 'ENOENT' });
      });
    } finally { intr.dispose(); }
    expect(intr.signal.aborted).toBe(true);
    expect(exits).toEqual([143]);
    expect(stderr).toContain('still running');
  });
});
