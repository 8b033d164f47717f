// Full and read-only disks, for real (issue 10, items 7 and 9): a store on a
// small tmpfs filled to every level a commit can run out at, and a store on a
// tmpfs remounted read-only. Needs root (mount); skipped with the reason
// otherwise. Injected failures the kernel will not produce on demand are in
// test/core/commit-guards.test.ts.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WeightlineError } from '../../src-shared/errors';
import { mapFsError } from '../../src-main/core/base/fsutil';
import { commit } from '../../src-main/core/ops/commit';
import { log, show, status } from '../../src-main/core/ops/inspect';
import { repair } from '../../src-main/core/ops/repair';
import { restore } from '../../src-main/core/ops/restore';
import { verify } from '../../src-main/core/ops/verify';
import { place } from '../../src-main/core/store/place';
import { Store } from '../../src-main/core/store/store';
import { makeHistory } from '../helpers/history';
import { gaussianF32, nudgeF32, rng, sha256Of, snapshotTree, useScratch, writeSafetensors, type TestTensor } from '../helpers/models';

const scratch = useScratch();
const PAGE = 4096;

/** Mounts tmpfs file systems for this file's tests and unmounts them afterwards. */
const mounts: string[] = [];
let mountProblem: string | null = null;

function mountTmpfs(sizeKiB: number): string | null {
  if (mountProblem) return null;
  if (process.getuid?.() !== 0) { mountProblem = 'needs root to mount a tmpfs (mount -t tmpfs)'; return null; }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wl-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKiB}k`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    mountProblem = `mount -t tmpfs failed here: ${(e as Error).message.split('\n')[0]}`;
    return null;
  }
  mounts.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of mounts.splice(0)) {
    try { execFileSync('umount', [dir], { stdio: 'pipe' }); } catch { execFileSync('umount', ['-l', dir], { stdio: 'pipe' }); }
    rmSync(dir, { recursive: true, force: true });
  }
});

function model(seed: number): TestTensor[] {
  const r = rng(seed);
  return [
    { name: 'embed.weight', dtype: 'F32', shape: [128, 128], data: gaussianF32(128 * 128, r) },
    { name: 'layer.0.weight', dtype: 'F32', shape: [64, 128], data: gaussianF32(64 * 128, r) },
    { name: 'layer.0.bias', dtype: 'F32', shape: [128], data: gaussianF32(128, r) },
  ];
}

function trained(m: TestTensor[], seed: number): TestTensor[] {
  const r = rng(seed);
  return m.map((t) => ({ ...t, data: nudgeF32(t.data, r) }));
}

async function freeBytes(dir: string): Promise<number> {
  const s = await fs.statfs(dir);
  return s.bavail * s.bsize;
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(() => null, (e: unknown) => e);
}

/** Everything a failed commit must leave as it was; the log's index is derived data any reader may refresh. */
async function storeState(storeDir: string): Promise<{ commits: string[]; head: string; tree: Record<string, number> }> {
  const { 'log-index.json': _derived, ...tree } = await snapshotTree(storeDir);
  const commits = (await fs.readdir(path.join(storeDir, 'commits'))).sort();
  return { commits, head: await fs.readFile(path.join(storeDir, 'HEAD'), 'utf8'), tree };
}

describe('mapFsError', () => {
  it('turns EACCES, EPERM and EROFS into PERMISSION naming the path, and no fs error claims what its caller left', () => {
    for (const code of ['EACCES', 'EPERM', 'EROFS']) {
      const e = mapFsError(Object.assign(new Error(code), { code }), '/some/where') as WeightlineError;
      expect(e).toBeInstanceOf(WeightlineError);
      expect(e.code).toBe('PERMISSION');
      expect(e.file).toBe('/some/where');
      expect(e.message).toContain(code);
    }
    for (const code of ['ENOSPC', 'EDQUOT']) {
      const e = mapFsError(Object.assign(new Error(code), { code }), '/x') as WeightlineError;
      expect(e.code).toBe('DISK_FULL');
      expect(e.message).not.toMatch(/nothing was changed/);
    }
    const typed = new WeightlineError('CORRUPT', 'bad', '/y');
    expect(mapFsError(typed, '/z')).toBe(typed);
  });
});

describe('place: a link the file system cannot make', () => {
  it('a reflink on tmpfs is UNSUPPORTED (exit 1, not a usage error) naming the target, and leaves nothing behind', async (ctx) => {
    const dir = mountTmpfs(1024);
    if (!dir) { ctx.skip(mountProblem!); return; }
    const src = path.join(dir, 'object');
    await fs.writeFile(src, 'bytes');
    const temp = path.join(dir, '.tmp-restore-123');
    const target = path.join(dir, 'model.safetensors');
    const e = await failure(place(src, temp, 'reflink', target)) as WeightlineError;
    expect(e).toBeInstanceOf(WeightlineError);
    expect(e.code).toBe('UNSUPPORTED');
    expect(e.file).toBe(target);
    expect(e.message).toMatch(/--link auto/);
    expect(e.message).not.toContain('.tmp-');
    expect(await fs.readdir(dir)).toEqual(['object']);
  });

  it('a hard link across file systems is UNSUPPORTED naming the target, with the --link copy hint', async (ctx) => {
    const dir = mountTmpfs(1024);
    if (!dir) { ctx.skip(mountProblem!); return; }
    const elsewhere = scratch();
    if (statSync(elsewhere).dev === statSync(dir).dev) { ctx.skip('the scratch folder is on the same file system as the tmpfs'); return; }
    const src = path.join(dir, 'object');
    await fs.writeFile(src, 'bytes');
    const target = path.join(elsewhere, 'model.safetensors');
    const e = await failure(place(src, path.join(elsewhere, '.tmp-x'), 'hardlink', target)) as WeightlineError;
    expect(e).toBeInstanceOf(WeightlineError);
    expect(e.code).toBe('UNSUPPORTED');
    expect(e.file).toBe(target);
    expect(e.message).toMatch(/EXDEV/);
    expect(e.message).toMatch(/--link copy/);
  });
});

describe('a commit on a disk that fills up', () => {
  // The store and its model on a 4 MiB tmpfs (a commit takes only files in
  // the store's folder), the pristine copy and restores on the ordinary disk;
  // a filler file leaves exactly N free pages, for every N from none to enough.
  // After each attempt: either the commit landed whole (HEAD moved to it, it
  // restores bit-exact), or commits, HEAD and every store file are as before,
  // no temp file or lock is left, and the error is DISK_FULL naming a path
  // the user knows (never a temp file, never "internal error").
  it('leaves the store as before or lands whole, at every fill level', async (ctx) => {
    const disk = mountTmpfs(4096);
    if (!disk) { ctx.skip(mountProblem!); return; }
    const root = path.join(disk, 'project');
    const outside = scratch();
    const file = path.join(root, 'model.safetensors');
    const m1 = model(1);
    await writeSafetensors(file, m1);
    const first = (await commit(await Store.init(root), file, { message: 'epoch 1' })).id;
    // The pristine store, kept off the tmpfs, to start every level from.
    const pristine = path.join(outside, 'pristine');
    await fs.cp(path.join(root, '.weightline'), pristine, { recursive: true });
    await writeSafetensors(file, trained(m1, 2));
    const wanted = await sha256Of(file);
    const storeDir = path.join(root, '.weightline');
    const filler = path.join(disk, 'filler');
    const reset = async (): Promise<void> => {
      await fs.rm(storeDir, { recursive: true, force: true });
      await fs.cp(pristine, storeDir, { recursive: true });
    };

    const seen = { landed: 0, beforeCommitPoint: 0, atManifest: 0, atHead: 0 };
    let landedInARow = 0;
    for (let pages = 0; landedInARow < 3; pages++) {
      expect(pages, 'a commit of a ~100 KB model should fit in 200 free pages').toBeLessThan(200);
      await reset();
      const free = await freeBytes(disk);
      await fs.writeFile(filler, Buffer.alloc(Math.max(0, free - pages * PAGE)));
      expect(await freeBytes(disk)).toBe(Math.min(free, pages * PAGE));
      const before = await storeState(storeDir);
      const store = await Store.open(root);
      const e = await failure(commit(store, file, { message: 'epoch 2' }));
      await fs.rm(filler);
      if (e === null) {
        landedInARow++;
        seen.landed++;
        const after = await storeState(storeDir);
        const id = (JSON.parse(after.head) as { commit: string }).commit;
        expect(after.commits).toEqual([...before.commits, `${id}.json`].sort());
        expect((await store.readManifest(id)).parent).toBe(first);
        const out = path.join(outside, `landed-${pages}.safetensors`);
        await restore(store, id, { to: out });
        expect(await sha256Of(out)).toBe(wanted);
        continue;
      }
      expect(landedInARow, `a commit failed with ${pages} free pages after landing with fewer`).toBe(0);
      expect(e, `with ${pages} free pages: ${String(e)}`).toBeInstanceOf(WeightlineError);
      const err = e as WeightlineError;
      expect(err.code, `with ${pages} free pages: ${err.message}`).toBe('DISK_FULL');
      expect(err.message).toMatch(/nothing was committed, the store is as before/);
      expect(err.file).toBeDefined();
      expect(err.file!).not.toContain('.tmp-');
      if (path.basename(err.file!) === 'HEAD') seen.atHead++;
      else if (path.dirname(err.file!) === path.join(storeDir, 'commits')) seen.atManifest++;
      else seen.beforeCommitPoint++;
      // Exactly as before: commits, HEAD, every file (objects, index.json), no temp file, no lock.
      expect(await storeState(storeDir), `with ${pages} free pages`).toEqual(before);
      // A retry with space continues the same branch.
      const again = await commit(await Store.open(root), file, { message: 'epoch 2' });
      expect(again.parent).toBe(first);
    }
    // Every stage ran out at least once: the copy or the delta, the manifest, HEAD.
    expect(seen.beforeCommitPoint).toBeGreaterThan(0);
    expect(seen.atManifest).toBeGreaterThan(0);
    expect(seen.atHead).toBeGreaterThan(0);
  });
});

describe('a store on a read-only file system', () => {
  it('log, show, status and verify work; commit is PERMISSION naming the store, and nothing changes', async (ctx) => {
    const disk = mountTmpfs(8192);
    if (!disk) { ctx.skip(mountProblem!); return; }
    const file = path.join(disk, 'model.safetensors');
    let m = model(7);
    const ids: string[] = [];
    const store = await Store.init(disk);
    for (let i = 0; i < 3; i++) {
      await writeSafetensors(file, m);
      ids.push((await commit(store, file, { message: `epoch ${i}` })).id);
      m = trained(m, 20 + i);
    }
    execFileSync('mount', ['-o', 'remount,ro', disk], { stdio: 'pipe' });
    try {
      const ro = await Store.open(disk);
      expect((await log(ro)).map((e) => e.id)).toEqual([...ids].reverse());
      expect((await show(ro, 'HEAD')).files[0]!.path).toBe('model.safetensors');
      const st = await status(ro);
      expect(st.head).toBe(ids[2]);
      expect(st.dirty).toBe(false);
      const checked = await verify(ro);
      expect(checked.ok).toBe(true);
      expect(checked.commits).toHaveLength(3);

      const before = await storeState(ro.dir);
      const e = await failure(commit(ro, file, { message: 'cannot' })) as WeightlineError;
      expect(e).toBeInstanceOf(WeightlineError);
      expect(e.code).toBe('PERMISSION');
      expect(e.file).toBeDefined();
      expect(e.file!.startsWith(ro.dir)).toBe(true);
      expect(e.file!).not.toContain('.tmp-');
      expect(e.message).toMatch(/read-only/);
      expect(await storeState(ro.dir)).toEqual(before);

      // Restoring to another disk only reads the store: it works, for a full object and a rebuilt delta alike.
      const out = scratch();
      for (const id of ids) {
        const res = await restore(ro, id, { to: path.join(out, `${id}.safetensors`) });
        expect(res.target).toBe(path.join(out, `${id}.safetensors`));
      }
      expect(await storeState(ro.dir)).toEqual(before);
      // A restore that must write into the store (HEAD at the commit's own path) says why it cannot.
      await expect(restore(ro, ids[0]!, { force: true })).rejects.toMatchObject({ code: 'PERMISSION' });
      // So does repair; its dry run reads only and works.
      expect((await repair(ro, { dryRun: true })).ok).toBe(true);
      await expect(repair(ro)).rejects.toMatchObject({ code: 'PERMISSION' });
    } finally {
      execFileSync('mount', ['-o', 'remount,rw', disk], { stdio: 'pipe' });
    }
  });
});

describe('restore onto a disk that fills up', () => {
  it('a rebuilt version whose write runs out of space is DISK_FULL, leaves nothing behind, and raises no unhandled rejection', async (ctx) => {
    const dir = mountTmpfs(2048);
    if (!dir) { ctx.skip(mountProblem!); return; }
    // Two 5 MB versions; the newest without its full object, so the restore
    // rebuilds it block by block and writes while it decodes the next block.
    const h = await makeHistory(scratch(), 2);
    const newest = (await h.store.readManifest(h.ids[1]!)).files[0]!;
    await fs.rm(h.store.objectPath(newest.sha256));
    const e = await failure(restore(h.store, h.ids[1]!, { to: path.join(dir, 'model.safetensors'), link: 'copy' })) as WeightlineError;
    expect(e).toBeInstanceOf(WeightlineError);
    expect(e.code).toBe('DISK_FULL');
    expect(await fs.readdir(dir)).toEqual([]);
  });
});
