// A forget on a full disk: it must rebuild full parameters (the oldest kept
// version becomes a CHECKPOINT after a cleanup removed its raw copy) and has
// no room to write them. Found by the forget chaos test as an internal error;
// it is DISK_FULL naming the store, and nothing changes.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cliOk, cliRun } from '../helpers/cli';
import { fillDisk } from '../helpers/fill-disk';
import { gaussianF32, nudgeF32, rng, sha256Of, snapshotTree, useScratch, writeSafetensors } from '../helpers/models';

const scratch = useScratch();
const mounted: string[] = [];
afterEach(() => { while (mounted.length) execFileSync('umount', [mounted.pop()!]); });

describe('forget on a full disk', () => {
  it('is DISK_FULL naming the store, not an internal error, and leaves every file as it was; with room again it runs', async (ctx) => {
    const mnt = scratch();
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=32m', 'tmpfs', mnt], { stdio: 'ignore' });
    } catch {
      ctx.skip('mounting a small tmpfs needs root (CAP_SYS_ADMIN); this machine refused, so a full disk cannot be simulated here');
      return;
    }
    mounted.push(mnt);
    const root = path.join(mnt, 's');
    await fs.mkdir(root);
    await cliOk(root, 'init');
    const r = rng(3);
    let w = gaussianF32(400_000, r);
    const ids: string[] = [];
    const shas: string[] = [];
    const model = path.join(root, 'model.safetensors');
    for (let i = 0; i < 5; i++) {
      await writeSafetensors(model, [{ name: 'w', dtype: 'F32', shape: [w.length / 4], data: w }]);
      ids.push((await cliOk<{ id: string }>(root, 'commit', 'model.safetensors', '-m', `v${i}`, '--step', String(i + 1), '--json')).id);
      shas.push(await sha256Of(model));
      w = nudgeF32(w, r, 1e-3, 1);
    }
    await cliOk(root, 'cleanup');
    await fillDisk(root, 0);
    const before = await snapshotTree(path.join(root, '.weightline'));
    // Keeps steps 2 and 4 and the newest: step 2 has no kept ancestor and its raw copy is gone, so it is rebuilt whole.
    const run = await cliRun(root, 'forget', '--keep-every', '2', '--json');
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain('DISK_FULL');
    expect(run.stderr).not.toMatch(/internal error/iu);
    expect(await snapshotTree(path.join(root, '.weightline'))).toEqual(before);

    await fillDisk(root, null);
    const done = await cliOk<{ forgotten: number }>(root, 'forget', '--keep-every', '2', '--json');
    expect(done.forgotten).toBe(2);
    for (const i of [1, 3, 4]) {
      const to = path.join(root, 'out', `v${i}.safetensors`);
      await cliOk(root, 'restore', ids[i]!, '--to', to);
      expect(await sha256Of(to)).toBe(shas[i]);
    }
  }, 120_000);
});
