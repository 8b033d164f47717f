// A main side that never blocks (issue 11, item 9): every call of the contract
// is classified quick or job; status.get is stat only (a changed model is not
// hashed on the main side, a `status` job confirms); the cached store size
// equals a walk of every file; `show` gives the log's own figures; the
// watcher's cheap signature still sees every change the UI shows.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

// Counts every sha256 of a file taken in this process (the main side): status.get must take none.
const hashed = vi.hoisted(() => ({ files: [] as string[] }));
vi.mock('../../src-main/core/base/fsutil', async (importOriginal) => {
  const orig = await importOriginal<typeof import('../../src-main/core/base/fsutil')>();
  return { ...orig, sha256File: async (p: string, ...rest: unknown[]) => { hashed.files.push(p); return (orig.sha256File as (...a: unknown[]) => Promise<string>)(p, ...rest); } };
});

import { calls, CALL_KINDS, isWritingJob, jobRequest, QUICK_CALLS, type CallName, type JobEvent } from '../../src-shared/contract';
import { ApiService } from '../../src-main/app/api-service';
import { dataDir } from '../../src-main/app/config-dir';
import { signature, type SignatureState } from '../../src-main/app/store-watcher';
import { cleanup } from '../../src-main/core/ops/cleanup';
import { commit } from '../../src-main/core/ops/commit';
import { createDemoStore } from '../../src-main/core/ops/demo';
import { log, show, storeBytes, storeBytesWalk } from '../../src-main/core/ops/inspect';
import { Store } from '../../src-main/core/store/store';
import { finalOf, Recorder } from '../helpers/app';
import { gaussianF32, rng, useScratch, writeSafetensors } from '../helpers/models';

const scratch = useScratch();
const services: ApiService[] = [];
afterEach(async () => { for (const s of services.splice(0)) await s.dispose(); });

function service(): ApiService {
  const s = new ApiService({ configDir: scratch(), pollMs: 60_000 });
  services.push(s);
  return s;
}

async function value<N extends CallName>(api: ApiService, name: N, args: unknown = {}): Promise<import('../../src-shared/contract').CallResults[N]> {
  const out = await api.call(name, args);
  if (!out.ok) throw new Error(`${name}: ${out.error.code}: ${out.error.message}`);
  return out.value as import('../../src-shared/contract').CallResults[N];
}

describe('every call is classified', () => {
  it('CALL_KINDS names exactly the calls of the contract', () => {
    expect(Object.keys(CALL_KINDS).sort()).toEqual(Object.keys(calls).sort());
    for (const n of QUICK_CALLS) expect(CALL_KINDS[n]).toBe('quick');
    // The heavy ones: starting jobs, the sample history, the cleanup planner (which hashes objects).
    for (const n of ['jobs.start', 'store.openSample', 'cleanup.preview'] as const) expect(CALL_KINDS[n]).toBe('job');
    expect(QUICK_CALLS).toContain('status.get');
    expect(QUICK_CALLS).toContain('commits.get');
  });

  it('the job kinds that back quick answers only read the open store', () => {
    for (const kind of ['status', 'cleanupPreview', 'sample'] as const) {
      expect(isWritingJob(jobRequest.parse({ kind }))).toBe(false);
    }
  });
});

describe('status.get is stat only', () => {
  it('a rewritten 200 MB model is "probably-changed" without being read; a status job hashes it, then the quick answer is definite', async () => {
    const root = scratch();
    const model = path.join(root, 'model.safetensors');
    await Store.init(root);
    await writeSafetensors(model, [{ name: 'w', dtype: 'F32', shape: [4096], data: gaussianF32(4096, rng(1)) }]);
    await commit(await Store.open(root), model, { message: 'small' });
    const api = service();
    await value(api, 'store.open', { path: root });
    const clean = await value(api, 'status.get');
    expect(clean).toMatchObject({ dirty: false, workingCopy: 'matches', path: 'model.safetensors' });

    // Training wrote a 200 MB model (real bytes) over it.
    await writeSafetensors(model, [{ name: 'w', dtype: 'F32', shape: [50_000_000], data: Buffer.alloc(200_000_000, 7) }]);
    hashed.files.length = 0;
    const quick = await value(api, 'status.get');
    expect(quick).toMatchObject({ dirty: true, workingCopy: 'probably-changed' });
    // Nothing was hashed: that is what makes it quick (its time is in scripts/responsiveness.mjs).
    expect(hashed.files).toEqual([]);

    // The confirming job hashes in its own process and records it in the stat cache.
    const jobs = new Recorder<JobEvent>();
    api.on('job', jobs.push);
    const { jobId } = await value(api, 'jobs.start', { kind: 'status' });
    const end = await jobs.waitFor(finalOf(jobId), 60_000, 'the status job');
    expect(end).toMatchObject({ state: 'done', result: { kind: 'status', value: { dirty: true, workingCopy: 'changed' } } });
    expect(await value(api, 'status.get')).toMatchObject({ dirty: true, workingCopy: 'changed' });
    expect(hashed.files).toEqual([]);
  }, 120_000);
});

describe('figures from indexes equal the full computation', () => {
  const sample = async (): Promise<string> => (await createDemoStore(path.join(scratch(), 'sample'))).root;

  it('storeBytes (cached by folder mtimes) equals a walk of every file, before and after a commit and a cleanup', async () => {
    const root = await sample();
    const store = await Store.open(root);
    const walk = async (): Promise<number> => storeBytesWalk(store);
    expect(await storeBytes(store)).toBe(await walk());
    expect(await storeBytes(store)).toBe(await walk()); // from the cache

    const model = path.join(root, 'run', 'model.safetensors');
    const bytes = await fs.readFile(model);
    bytes[bytes.length - 8] = bytes[bytes.length - 8]! ^ 0x40;
    await fs.writeFile(model, bytes);
    await commit(store, model, { message: 'one more' });
    expect(await storeBytes(store)).toBe(await walk());
    await cleanup(store);
    expect(await storeBytes(store)).toBe(await walk());
    // An object deleted behind the store's back (its folder's mtime moves).
    const objects = path.join(store.dir, 'objects');
    const sub = (await fs.readdir(objects))[0]!;
    const victim = (await fs.readdir(path.join(objects, sub)))[0]!;
    await fs.rm(path.join(objects, sub, victim));
    expect(await storeBytes(store)).toBe(await walk());
  }, 120_000);

  it('show gives each commit the figures of its log line, without building the log', async () => {
    const root = await sample();
    await cleanup(await Store.open(root)); // some commits rebuilt from deltas: chain lengths > 0
    const store = await Store.open(root);
    for (const entry of await log(store)) {
      // files and the CHECKPOINT's rule come from the manifest, which the log (an index) does not read.
      const { files: _files, checkpointReason: _why, ...line } = await show(await Store.open(root), entry.id);
      expect(line).toEqual(entry);
    }
  }, 60_000);
});

describe('the store watcher', () => {
  it('its signature changes with a commit, a pin, a cleanup and an object deleted by hand; not with derived files', async () => {
    const root = path.join(scratch(), 'sample');
    await createDemoStore(root);
    const store = await Store.open(root);
    const state: SignatureState = { polls: 0 };
    const sig = async (): Promise<string> => signature(store.dir, state);
    let last = await sig();
    const changed = async (): Promise<boolean> => { const now = await sig(); const c = now !== last; last = now; return c; };

    // Derived files (the stat cache, the log index) are no news.
    await fs.writeFile(path.join(store.dir, 'index.json'), '{}');
    await fs.rm(path.join(store.dir, 'log-index.json'), { force: true });
    expect(await changed()).toBe(false);

    const model = path.join(root, 'run', 'model.safetensors');
    const bytes = await fs.readFile(model);
    bytes[bytes.length - 8] = bytes[bytes.length - 8]! ^ 0x40;
    await fs.writeFile(model, bytes);
    await commit(store, model, { message: 'seen by the watcher' });
    expect(await changed()).toBe(true);
    expect(await changed()).toBe(false);

    await store.writePins(new Set([(await store.readHead())!]));
    expect(await changed()).toBe(true);

    // A tag set from the CLI relabels a commit in the UI.
    await (await import('../../src-main/core/store/tags')).setTag(store, 'best', 'HEAD');
    expect(await changed()).toBe(true);

    const plan = await cleanup(store);
    expect(plan.commits.length).toBeGreaterThan(0);
    expect(await changed()).toBe(true);

    // By hand: no lock, no temp file; seen at the latest by the periodic look at the objects subfolders.
    const objects = path.join(store.dir, 'objects');
    const sub = (await fs.readdir(objects)).sort().at(-1)!;
    await fs.rm(path.join(objects, sub, (await fs.readdir(path.join(objects, sub)))[0]!));
    let seen = false;
    for (let i = 0; i < 16 && !seen; i++) seen = await changed();
    expect(seen).toBe(true);
  }, 120_000);

  it('store.openSample answers at once with a sample job; the store opens when it is done', async () => {
    const api = service();
    const changes = new Recorder<{ root: string }>();
    api.on('storeChanged', changes.push);
    const jobs = new Recorder<JobEvent>();
    api.on('job', jobs.push);
    const dir = path.join(scratch(), 'sample');
    const info = await value(api, 'store.openSample', { path: dir });
    expect(info).toMatchObject({ root: dir, head: null, jobId: expect.any(String) });
    // At once: the answer came before its job ended (the times are in scripts/responsiveness.mjs).
    expect(jobs.seen.filter(finalOf(info.jobId!))).toEqual([]);
    // A second caller joins the same job.
    expect((await value(api, 'store.openSample', { path: dir })).jobId).toBe(info.jobId);
    await changes.waitFor((c) => c.root === dir, 120_000, 'the sample store opening');
    expect((await value(api, 'commits.list')).commits.length).toBeGreaterThanOrEqual(8);
    expect(await value(api, 'store.openSample', { path: dir })).toMatchObject({ root: dir, head: expect.any(String) });
  }, 150_000);

  it('the sample history lives in the app-data folder, not the config folder', () => {
    expect(dataDir({ XDG_DATA_HOME: '/x/data' }, 'linux')).toBe('/x/data/weightline');
    expect(dataDir({ WEIGHTLINE_DATA_DIR: '/d' }, 'linux')).toBe('/d');
    expect(dataDir({ LOCALAPPDATA: 'C:\\L' }, 'win32')).toMatch(/Weightline$/);
    expect(dataDir({}, 'linux')).toMatch(/\.local[\\/]share[\\/]weightline$/);
  });
});
