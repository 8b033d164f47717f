import { spawn } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { commit } from '../../src-main/core/ops/commit';
import { log } from '../../src-main/core/ops/inspect';
import { setPinned } from '../../src-main/core/ops/pin';
import { verify } from '../../src-main/core/ops/verify';
import { Store } from '../../src-main/core/store/store';
import { TSX_EXEC_ARGV } from '../helpers/tsx';
import { gaussianF32, nudgeF32, rng, sha256Of, snapshotTree, useScratch, writeSafetensors, type TestTensor } from '../helpers/models';

// A commit, cleanup or restore killed at any instant (SIGKILL) must leave the
// store valid and verify-clean. The CLI runs as a real child process and is
// killed after a random delay, many times over; verify runs after each kill.

const scratch = useScratch();
const entry = fileURLToPath(new URL('../helpers/cli-entry.ts', import.meta.url));
const KILL_POINTS = Number(process.env.WEIGHTLINE_CRASH_POINTS ?? 60);

function runCli(cwd: string, args: string[], killAfterMs: number): Promise<{ killed: boolean; code: number | null; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...TSX_EXEC_ARGV, entry, ...args], { cwd, stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('error', reject);
    child.on('exit', (code, signal) => { clearTimeout(timer); resolve({ killed: signal === 'SIGKILL', code, ms: Date.now() - started }); });
  });
}

function bigModel(seed: number): TestTensor[] {
  const r = rng(seed);
  return [
    { name: 'a', dtype: 'F32', shape: [3_000_000], data: gaussianF32(3_000_000, r) },
    { name: 'b', dtype: 'F32', shape: [1_000_000], data: gaussianF32(1_000_000, r) },
  ];
}

describe('crash safety', () => {
  it(`survives SIGKILL at ${KILL_POINTS} random points of commit, cleanup and restore`, async () => {
    const root = scratch();
    const store = await Store.init(root);
    const file = path.join(root, 'model.safetensors');
    let m = bigModel(1);
    const known = new Set<string>();
    await writeSafetensors(file, m);
    known.add(await sha256Of(file));
    await commit(store, file, { message: 'base' });
    const rand = rng(42);
    let killed = 0;
    // How long each operation runs when left alone, so kill points spread over its whole run.
    const duration = [2000, 2000, 2000];
    for (let i = 0; i < KILL_POINTS; i++) {
      const op = i % 3;
      let args: string[];
      if (op === 0) {
        m = m.map((t) => ({ ...t, data: nudgeF32(t.data, rng(i), 1e-3, 0.3) }));
        await writeSafetensors(file, m);
        known.add(await sha256Of(file));
        args = ['commit', 'model.safetensors', '-m', `step ${i}`];
      } else if (op === 1) {
        args = ['cleanup'];
      } else {
        const entries = await log(store);
        const target = entries[Math.floor(rand() * entries.length)]!;
        args = ['restore', target.id, '--force'];
      }
      const res = await runCli(root, args, Math.floor(rand() * duration[op]!));
      if (res.killed) killed++;
      else duration[op] = res.ms;
      const check = await verify(await Store.open(root));
      expect(check.ok, `after ${args[0]} killed at point ${i}: ${JSON.stringify(check.commits.filter((c) => !c.ok))}`).toBe(true);
      // The working copy is always a whole version, never a torn file.
      expect(known.has(await sha256Of(file)), `working copy after ${args[0]} at point ${i}`).toBe(true);
    }
    // Most runs must die mid-way for the test to mean anything (the rest ran to completion).
    expect(killed).toBeGreaterThan(KILL_POINTS / 3);
    console.log(`crash test: ${killed} of ${KILL_POINTS} runs killed mid-operation`);
    // The next writer sweeps what the killed ones left behind.
    await setPinned(store, 'HEAD', true);
    const leftovers = Object.keys(await snapshotTree(store.dir)).filter((p) => path.basename(p).startsWith('.tmp-'));
    expect(leftovers).toEqual([]);
  }, 300_000);
});

describe('disk full', () => {
  it('aborts a commit on a full disk, says so, and leaves the store as it was', async (ctx) => {
    const mnt = scratch();
    const { execFileSync } = await import('node:child_process');
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', mnt], { stdio: 'ignore' });
    } catch {
      ctx.skip('mounting a small tmpfs needs root (CAP_SYS_ADMIN); this machine refused, so a full disk cannot be simulated here');
      return;
    }
    try {
      const store = await Store.init(mnt);
      const file = path.join(mnt, 'm.safetensors');
      await writeSafetensors(file, [{ name: 'w', dtype: 'F32', shape: [100_000], data: gaussianF32(100_000, rng(1)) }]);
      await commit(store, file, { message: 'fits' });
      const before = await snapshotTree(store.dir);
      const big = path.join(mnt, 'big.safetensors');
      await writeSafetensors(big, [{ name: 'w', dtype: 'F32', shape: [300_000], data: gaussianF32(300_000, rng(2)) }]);
      await expect(commit(store, big, { message: 'too big' })).rejects.toMatchObject({ code: 'DISK_FULL', message: expect.stringMatching(/disk is full/) });
      expect(await snapshotTree(store.dir)).toEqual(before);
      expect((await verify(store)).ok).toBe(true);
    } finally {
      execFileSync('umount', [mnt]);
      await fs.rm(mnt, { recursive: true, force: true }).catch(() => undefined);
    }
  });
});
