// Issue 11, item 3: the working copy against HEAD in two speeds. The quick
// call (workingCopy.get, on the main side) answers from stats only and never
// reads a model's bytes; a workingCopy job hashes what it cannot vouch for.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { JobEvent, WorkingCopyState } from '../../src-shared/contract';
import { ApiService } from '../../src-main/app/api-service';
import * as fsutil from '../../src-main/core/base/fsutil';
import { commit } from '../../src-main/core/ops/commit';
import { Store } from '../../src-main/core/store/store';
import { hashWorkingCopy, quickWorkingCopy } from '../../src-main/core/ops/working-copy-check';
import { finalOf, Recorder } from '../helpers/app';
import { gaussianF32, nudgeF32, rng, useScratch, writeSafetensors } from '../helpers/models';

const scratch = useScratch();

async function storeWithCommit(): Promise<{ store: Store; root: string; model: string; data: Buffer }> {
  const root = scratch();
  const store = await Store.init(root);
  const model = path.join(root, 'model.safetensors');
  const data = gaussianF32(20_000, rng(1));
  await writeSafetensors(model, [{ name: 'w', dtype: 'F32', shape: [20_000], data }]);
  await commit(store, model, { message: 'one' });
  return { store: await Store.open(root), root, model, data };
}

/** Moves a file's mtime without changing its bytes. */
async function touch(file: string, secondsAhead: number): Promise<void> {
  const t = new Date(Date.now() + secondsAhead * 1000);
  await fs.utimes(file, t, t);
}

describe('quickWorkingCopy / hashWorkingCopy', () => {
  afterEach(() => { vi.restoreAllMocks(); });

  it('answers "matches" from the stat cache after a commit, without hashing', async () => {
    const { store, model } = await storeWithCommit();
    const hashing = vi.spyOn(fsutil, 'sha256File');
    const st = await quickWorkingCopy(store);
    expect(st).toMatchObject({ state: 'matches', path: 'model.safetensors', absPath: model, files: 1, changedFiles: [] });
    expect(st.bytes).toBe((await fs.stat(model)).size);
    expect(hashing).not.toHaveBeenCalled();
  });

  it('says "probably-changed" when the stat moved, never hashing on the quick path; the job confirms either way', async () => {
    const { store, model, data } = await storeWithCommit();
    const hashing = vi.spyOn(fsutil, 'sha256File');

    // Same bytes, new mtime: the quick call cannot tell, the job can.
    await touch(model, 10);
    const quick = await quickWorkingCopy(store);
    expect(quick.state).toBe('probably-changed');
    expect(quick.changedFiles).toEqual(['model.safetensors']);
    expect(hashing).not.toHaveBeenCalled();
    const progress: number[] = [];
    const confirmed = await hashWorkingCopy(store, { onProgress: (p) => progress.push(p.bytesDone) });
    expect(confirmed.state).toBe('matches');
    // The spy sees hashing where it happens (so its silence above means something).
    expect(hashing).toHaveBeenCalledWith(model);
    expect(confirmed.signature).toBe(quick.signature);
    expect(progress.at(-1)).toBe(quick.bytes);
    // The job saved what it learnt: the next quick answer is definite.
    expect((await quickWorkingCopy(store)).state).toBe('matches');

    // Changed bytes: "probably" at once, "changed" after hashing, then "changed" from stats alone.
    await writeSafetensors(model, [{ name: 'w', dtype: 'F32', shape: [20_000], data: nudgeF32(data, rng(2)) }]);
    await touch(model, 20);
    hashing.mockClear();
    expect((await quickWorkingCopy(store)).state).toBe('probably-changed');
    expect(hashing).not.toHaveBeenCalled();
    expect((await hashWorkingCopy(store)).state).toBe('changed');
    expect(await quickWorkingCopy(store)).toMatchObject({ state: 'changed', changedFiles: ['model.safetensors'] });
  });

  it('reports a missing working copy and an empty store', async () => {
    const { store, model } = await storeWithCommit();
    await fs.rm(model);
    expect(await quickWorkingCopy(store)).toMatchObject({ state: 'missing', absPath: model, files: 0 });
    expect(await hashWorkingCopy(store)).toMatchObject({ state: 'missing' });
    const empty = await Store.init(scratch());
    expect(await quickWorkingCopy(empty)).toMatchObject({ state: 'no-head', head: null, path: null });
  });

  it('a folder: an added file is "changed" from stats alone', async () => {
    const root = scratch();
    const store = await Store.init(root);
    const dir = path.join(root, 'ckpt');
    await fs.mkdir(dir);
    await writeSafetensors(path.join(dir, 'a.safetensors'), [{ name: 'a', dtype: 'F32', shape: [1000], data: gaussianF32(1000, rng(3)) }]);
    await commit(store, dir, { message: 'folder' });
    const again = await Store.open(root);
    expect((await quickWorkingCopy(again)).state).toBe('matches');
    await fs.writeFile(path.join(dir, 'notes.txt'), 'hello');
    expect(await quickWorkingCopy(again)).toMatchObject({ state: 'changed', files: 2, changedFiles: ['notes.txt'] });
  });

  it('a cancelled job stops between files', async () => {
    const { store, model } = await storeWithCommit();
    await touch(model, 10);
    const controller = new AbortController();
    controller.abort();
    await expect(hashWorkingCopy(store, { signal: controller.signal })).rejects.toMatchObject({ code: 'CANCELLED' });
  });
});

describe('the contract: workingCopy.get and the workingCopy job', () => {
  let service: ApiService;
  const jobs = new Recorder<JobEvent>();
  beforeEach(() => {
    service = new ApiService({ configDir: scratch(), pollMs: 200 });
    jobs.seen.length = 0;
    service.on('job', jobs.push);
  });
  afterEach(async () => { await service.dispose(); });

  it('the quick call says "probably-changed"; the job (a reader, beside any writer) says "changed"', async () => {
    const { root, model, data } = await storeWithCommit();
    await service.openStore(root);
    const first = await service.call('workingCopy.get', {});
    expect(first).toMatchObject({ ok: true, value: { state: 'matches' } });

    await writeSafetensors(model, [{ name: 'w', dtype: 'F32', shape: [20_000], data: nudgeF32(data, rng(5)) }]);
    await touch(model, 10);
    const quick = await service.call('workingCopy.get', {});
    expect(quick).toMatchObject({ ok: true, value: { state: 'probably-changed' } });

    const started = await service.call('jobs.start', { kind: 'workingCopy' });
    expect(started.ok).toBe(true);
    const jobId = (started as { ok: true; value: { jobId: string } }).value.jobId;
    const done = await jobs.waitFor(finalOf(jobId), 30_000, 'workingCopy job end');
    expect(done).toMatchObject({ state: 'done', kind: 'workingCopy', result: { kind: 'workingCopy', value: { state: 'changed' } } });
    expect((done.result!.value as WorkingCopyState).signature).toBe((quick as { ok: true; value: WorkingCopyState }).value.signature);
    expect(await service.call('workingCopy.get', {})).toMatchObject({ ok: true, value: { state: 'changed' } });
  });
});
