// Commit's guards (issue 10): the store's own files are never committed as a
// model (item 4 of Why: a committed delta object made cleanup delete a live
// one), and a commit either lands with HEAD moved or says exactly what
// happened (items 7 and 9). Failures the disk hardly ever produces on demand
// (HEAD unwritable while the manifest is already in place, then even its
// removal refused; a cleanup that fails after the commit landed) are injected
// at the fs call, SQLite-style; test/core/disk-errors.test.ts fills a real
// disk instead.

import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { WeightlineError } from '../../src-shared/errors';
import { commit } from '../../src-main/core/ops/commit';
import { log } from '../../src-main/core/ops/inspect';
import { restore } from '../../src-main/core/ops/restore';
import { verify } from '../../src-main/core/ops/verify';
import { Store } from '../../src-main/core/store/store';
import { gaussianF32, nudgeF32, rng, sha256Of, snapshotTree, useScratch, writeSafetensors, type TestTensor } from '../helpers/models';

/** Injected failures: given a path, the errno code to fail with, or null to run the real call. */
const faults = vi.hoisted(() => ({
  open: null as null | ((p: string) => string | null),
  rm: null as null | ((p: string) => string | null),
}));

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const injected = (code: string, p: string, syscall: string): NodeJS.ErrnoException =>
    Object.assign(new Error(`${code}: injected failure, ${syscall} '${p}'`), { code, path: p, syscall, errno: -1 });
  const open = (async (p: Parameters<typeof real.open>[0], ...rest: unknown[]) => {
    const code = faults.open?.(String(p));
    if (code) throw injected(code, String(p), 'open');
    return (real.open as (...a: unknown[]) => unknown)(p, ...rest);
  }) as typeof real.open;
  const rm = (async (p: Parameters<typeof real.rm>[0], opts?: Parameters<typeof real.rm>[1]) => {
    const code = faults.rm?.(String(p));
    if (code) throw injected(code, String(p), 'rm');
    return real.rm(p, opts);
  }) as typeof real.rm;
  return { ...real, open, rm, default: { ...real, open, rm } };
});

const scratch = useScratch();

beforeEach(() => {
  faults.open = null;
  faults.rm = null;
});

function model(seed: number): TestTensor[] {
  const r = rng(seed);
  return [
    { name: 'embed.weight', dtype: 'F32', shape: [64, 64], data: gaussianF32(64 * 64, r) },
    { name: 'head.weight', dtype: 'F32', shape: [4096], data: gaussianF32(4096, r) },
  ];
}

function nudged(m: TestTensor[], seed: number): TestTensor[] {
  return m.map((t) => ({ ...t, data: nudgeF32(t.data, rng(seed)) }));
}

async function storeWithOneCommit(): Promise<{ root: string; store: Store; file: string; first: string }> {
  const root = scratch();
  const store = await Store.init(root);
  const file = path.join(root, 'model.safetensors');
  await writeSafetensors(file, model(1));
  const first = (await commit(store, file, { message: 'first' })).id;
  return { root, store, file, first };
}

/**
 * What a failed commit must leave exactly as it was: every file but the log's
 * index, derived data any reader may refresh (the commit reads the history
 * before it writes anything, which may create it).
 */
async function storeState(store: Store): Promise<{ commits: string[]; head: string | null; tree: Record<string, number> }> {
  const { 'log-index.json': _derived, ...tree } = await snapshotTree(store.dir);
  return { commits: [...(await store.listCommitIds())].sort(), head: await store.readHead(), tree };
}

async function failure(p: Promise<unknown>): Promise<WeightlineError> {
  const e = await p.then(() => null, (err: unknown) => err);
  expect(e).toBeInstanceOf(WeightlineError);
  return e as WeightlineError;
}

describe('commit refuses the store folder', () => {
  it('a delta object inside .weightline is refused (REFUSED) naming it, and the store is unchanged', async () => {
    const { root, store, file } = await storeWithOneCommit();
    await writeSafetensors(file, nudged(model(1), 2));
    await commit(store, file, { message: 'second' });
    const [manifest] = await Promise.all([store.readManifest((await store.readHead())!)]);
    const delta = store.objectPath(manifest.files[0]!.delta!.object!);
    const before = await storeState(store);
    const e = await failure(commit(store, delta, { message: 'oops' }));
    expect(e.code).toBe('REFUSED');
    expect(e.file).toBe(delta);
    expect(e.message).toMatch(/inside a \.weightline folder/);
    // Relative, through "..", and the folder itself or a folder inside it.
    for (const target of [
      path.relative(process.cwd(), delta),
      path.join(root, 'ckpt', '..', '.weightline', 'objects'),
      path.join(root, '.weightline'),
      path.join(store.dir, 'commits'),
    ]) {
      expect((await failure(commit(store, target, { message: 'oops' }))).code).toBe('REFUSED');
    }
    expect(await storeState(store)).toEqual(before);
  });

  it('a symlink that resolves into .weightline is refused too', async () => {
    const { root, store, first } = await storeWithOneCommit();
    const object = store.objectPath((await store.readManifest(first)).files[0]!.sha256);
    const link = path.join(root, 'looks-like-a-model.safetensors');
    await fs.symlink(object, link);
    const before = await storeState(store);
    const e = await failure(commit(store, link, { message: 'oops' }));
    expect(e.code).toBe('REFUSED');
    expect(e.file).toBe(link);
    expect(await storeState(store)).toEqual(before);
  });

  it('a folder that merely contains .weightline commits its model files and skips the store', async () => {
    const root = scratch();
    const store = await Store.init(root);
    await writeSafetensors(path.join(root, 'a.safetensors'), model(3));
    await writeSafetensors(path.join(root, 'sub', 'b.safetensors'), model(4));
    const c = await commit(store, root, { message: 'whole folder' });
    const m = await store.readManifest(c.id);
    expect(m.files.map((f) => f.path)).toEqual(['a.safetensors', 'sub/b.safetensors']);
  });
});

describe('HEAD cannot be written after the manifest is in place', () => {
  it('takes the commit back out: same commits, same HEAD, same files, no temp files; a retry continues the same branch', async () => {
    const { store, file, first } = await storeWithOneCommit();
    await writeSafetensors(file, nudged(model(1), 2));
    const before = await storeState(store);
    faults.open = (p) => (path.basename(p).startsWith('.tmp-HEAD') ? 'ENOSPC' : null);
    const e = await failure(commit(store, file, { message: 'second' }));
    faults.open = null;
    expect(e.code).toBe('DISK_FULL');
    expect(e.file).toBe(path.join(store.dir, 'HEAD'));
    expect(e.message).toMatch(/HEAD could not be written, so the new commit [0-9a-f]{12} was taken back out: nothing was committed, the store is as before and HEAD still points to/);
    expect(e.message).toContain(first.slice(0, 12));
    expect(await storeState(store)).toEqual(before);

    // Retrying once there is space continues from the same parent: no sibling branch.
    const again = await commit(store, file, { message: 'second' });
    expect(again.parent).toBe(first);
    expect((await log(store)).map((x) => x.id)).toEqual([again.id, first]);
  });

  it('when even the removal fails, says exactly which commit was written and where HEAD points', async () => {
    const { root, store, file, first } = await storeWithOneCommit();
    const wanted = nudged(model(1), 2);
    await writeSafetensors(file, wanted);
    const sha = await sha256Of(file);
    faults.open = (p) => (path.basename(p).startsWith('.tmp-HEAD') ? 'ENOSPC' : null);
    faults.rm = (p) => (path.dirname(p) === path.join(store.dir, 'commits') ? 'EIO' : null);
    const e = await failure(commit(store, file, { message: 'second' }));
    faults.open = null;
    faults.rm = null;
    const written = [...(await store.listCommitIds())].find((id) => id !== first)!;
    expect(written).toBeDefined();
    expect(e.code).toBe('DISK_FULL');
    expect(e.message).toContain(`commit ${written} was written but HEAD still points to ${first}; run \`weightline restore ${written}\``);
    expect(await store.readHead()).toBe(first);
    // What the message says to do works, and the written commit is whole.
    await restore(store, written);
    expect(await store.readHead()).toBe(written);
    expect(await sha256Of(file)).toBe(sha);
    const out = path.join(root, 'out.safetensors');
    await restore(store, written, { to: out });
    expect(await sha256Of(out)).toBe(sha);
    expect((await verify(store)).ok).toBe(true);
  });

  it('a manifest that cannot be written leaves the store as it was, objects included', async () => {
    const { store, file } = await storeWithOneCommit();
    await writeSafetensors(file, nudged(model(1), 2));
    const before = await storeState(store);
    faults.open = (p) => (path.dirname(p) === path.join(store.dir, 'commits') ? 'ENOSPC' : null);
    const e = await failure(commit(store, file, { message: 'second' }));
    faults.open = null;
    expect(e.code).toBe('DISK_FULL');
    expect(e.message).toMatch(/nothing was committed, the store is as before$/);
    expect(await storeState(store)).toEqual(before);
  });
});

describe('after the commit landed', () => {
  it('a failing automatic cleanup reports the commit as made and the cleanup as failed', async () => {
    const root = scratch();
    const store = await Store.init(root);
    await store.writeConfig({ ...(await store.readConfig()), autoCleanup: true });
    const file = path.join(root, 'model.safetensors');
    let m = model(5);
    for (let i = 0; i < 3; i++) {
      await writeSafetensors(file, m);
      await commit(store, file, { message: `${i}` });
      m = nudged(m, 10 + i);
    }
    await writeSafetensors(file, m);
    const sha = await sha256Of(file);
    // The fourth commit's cleanup drops a full object: refuse that removal.
    faults.rm = (p) => (p.startsWith(path.join(store.dir, 'objects')) ? 'EACCES' : null);
    const e = await failure(commit(store, file, { message: '3' }));
    faults.rm = null;
    const head = (await store.readHead())!;
    expect(e.code).toBe('PERMISSION');
    expect(e.message).toContain(`commit ${head} was made and HEAD points to it; the automatic cleanup after it failed`);
    expect(e.message).not.toMatch(/nothing was (changed|committed)/);
    expect((await store.readManifest(head)).files[0]!.sha256).toBe(sha);
  });
});
