// watch: each checkpoint a trainer completes becomes one commit on its run's
// line, in order, never a partial one, never one lost to the trainer's
// rotation; restarts find what is already committed by its bytes. Real files
// (safetensors written byte for byte), the real recognizer (trainers/), the
// real store; every commit is restored and compared with the trainer's bytes.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WeightlineError } from '../../src-shared/errors';
import type { RunCheckpointReport, RunFollowResult } from '../../src-shared/model';
import { followRun, type FollowOptions } from '../../src-main/core/ops/run-follow';
import { STAGING_DIR } from '../../src-main/core/ops/run-capture';
import { Store } from '../../src-main/core/store/store';
import { recognition } from '../../src-main/core/trainers/recognize';
import { verbs, type VerbContext } from '../../src-main/core/verbs';
import { gaussianF32, nudgeF32, rng, safetensorsBytes, sha256Of, useScratch, type TestTensor } from '../helpers/models';

const scratch = useScratch();
const SETTLE = 5;

/** A model's successive versions: each a small optimizer step over a tenth of the weights. */
function versions(n: number, seed = 1, size = 60_000): Buffer[] {
  const r = rng(seed);
  let tensors: TestTensor[] = [
    { name: 'w', dtype: 'F32', shape: [size], data: gaussianF32(size, r) },
    { name: 'b', dtype: 'F32', shape: [64], data: gaussianF32(64, r) },
  ];
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    if (i > 0) tensors = tensors.map((t) => ({ ...t, data: nudgeF32(t.data, r, 1e-3, 0.1) }));
    out.push(safetensorsBytes(tensors));
  }
  return out;
}

interface Fixture { root: string; store: Store; run: string; ctx: VerbContext }

async function fixture(): Promise<Fixture> {
  const root = scratch();
  const store = await Store.init(root);
  const run = path.join(root, 'runs', 'a');
  await fs.mkdir(run, { recursive: true });
  return { root, store, run, ctx: { store } };
}

/** An HF Trainer checkpoint folder, in the trainer's order: weights, optimizer, then trainer_state.json last. */
function hfFiles(step: number, model: Buffer, evalLoss: number): Array<[string, Buffer]> {
  const state = { global_step: step, epoch: step / 100, log_history: [{ loss: evalLoss + 0.1, step }, { eval_loss: evalLoss, step }] };
  return [
    ['model.safetensors', model],
    ['scheduler.pt.json', Buffer.from(JSON.stringify({ lr: 0.001, step }))],
    ['trainer_state.json', Buffer.from(JSON.stringify(state))],
  ];
}

async function writeHf(run: string, step: number, model: Buffer, evalLoss: number): Promise<Map<string, string>> {
  const dir = path.join(run, `checkpoint-${step}`);
  await fs.mkdir(dir, { recursive: true });
  const shas = new Map<string, string>();
  for (const [name, bytes] of hfFiles(step, model, evalLoss)) {
    await fs.writeFile(path.join(dir, name), bytes);
    shas.set(name, await sha256Of(path.join(dir, name)));
  }
  return shas;
}

const watchOnce = (f: Fixture, extra: Partial<Parameters<typeof verbs.watch>[1]> = {}): Promise<RunFollowResult> =>
  verbs.watch(f.ctx, { dir: f.run, then: 'keep', keepNewest: 1, once: true, settleMs: SETTLE, ...extra });

/** Restores a commit with the restore verb and gives each file's sha256 (a folder's by relative name). */
async function restoredShas(f: Fixture, id: string): Promise<Map<string, string>> {
  const to = path.join(scratch(), 'out');
  const res = await verbs.restore(f.ctx, { commit: id, to, link: 'copy' });
  const out = new Map<string, string>();
  const st = await fs.stat(res.target);
  if (st.isFile()) { out.set(path.basename(res.target), await sha256Of(res.target)); return out; }
  for (const name of (await fs.readdir(res.target, { recursive: true })).sort()) {
    const p = path.join(res.target, name);
    if ((await fs.stat(p)).isFile()) out.set(name.split(path.sep).join('/'), await sha256Of(p));
  }
  return out;
}

async function runLog(f: Fixture): Promise<Array<{ id: string; checkpoint: string; parent: string | null; type: string; step?: number }>> {
  const log = await verbs.log(f.ctx, {});
  return [...log.commits].reverse().filter((c) => c.meta?.run === 'runs/a')
    .map((c) => ({ id: c.id, checkpoint: c.meta!.checkpoint!, parent: c.parent, type: c.type, ...(c.meta?.step !== undefined ? { step: c.meta.step } : {}) }));
}

function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => { resolve = r; });
  return { promise, resolve };
}

describe('watch --once', () => {
  it('commits exactly the complete checkpoints, in step order, with their metrics, each diffed against the one before', async () => {
    const f = await fixture();
    const models = versions(4);
    const oracle = new Map<string, Map<string, string>>();
    // Written out of order on purpose: the run's order is the step's.
    for (const [i, step] of [[1, 200], [0, 100], [2, 300]] as const) oracle.set(`checkpoint-${step}`, await writeHf(f.run, step, models[i]!, 1 - i / 10));
    // A fourth still being written: weights there, trainer_state.json not yet.
    await fs.mkdir(path.join(f.run, 'checkpoint-400'));
    await fs.writeFile(path.join(f.run, 'checkpoint-400', 'model.safetensors'), models[3]!.subarray(0, 1000));

    const res = await watchOnce(f);
    expect(res.stopped).toBe('done');
    expect(res.trainer).toBe('hf-trainer');
    expect(res.run).toBe('runs/a');
    expect(res.checkpoints.map((c) => c.checkpoint)).toEqual(['checkpoint-100', 'checkpoint-200', 'checkpoint-300']);
    expect(res.checkpoints.map((c) => c.meta?.metrics?.eval_loss)).toEqual([1, 0.9, 0.8]);
    expect(res.checkpoints.map((c) => c.meta?.step)).toEqual([100, 200, 300]);
    expect(res.notes.some((n) => n.message.includes('checkpoint-400'))).toBe(true);

    const line = await runLog(f);
    expect(line.map((c) => c.checkpoint)).toEqual(['checkpoint-100', 'checkpoint-200', 'checkpoint-300']);
    expect(line[1]!.parent).toBe(line[0]!.id);
    expect(line[2]!.parent).toBe(line[1]!.id);
    const second = await f.store.readManifest(line[1]!.id);
    expect(second.type).toBe('DELTA');
    const model = second.files.find((x) => x.path === 'model.safetensors')!;
    // A delta against the previous checkpoint's weights (its base is that file), not a full copy.
    expect(model.delta?.basePath).toBe('model.safetensors');
    expect(model.delta!.bytes).toBeLessThan(models[1]!.length / 4);
    expect(second.message).toBe('checkpoint-200 (step 200)');
    for (const c of line) expect(await restoredShas(f, c.id)).toEqual(oracle.get(c.checkpoint));
    // Nothing left in staging once the watch has stopped.
    expect(await fs.readdir(path.join(f.store.dir, STAGING_DIR))).toEqual([]);
  });

  it('single files with numbered names: a DELTA against the previous file, restored bit-exact to the trainer\'s path', async () => {
    const f = await fixture();
    const models = versions(3, 2);
    const shas: string[] = [];
    for (const [i, m] of models.entries()) {
      await fs.writeFile(path.join(f.run, `step_${(i + 1) * 10}.safetensors`), m);
      shas.push(await sha256Of(path.join(f.run, `step_${(i + 1) * 10}.safetensors`)));
    }
    const res = await watchOnce(f);
    expect(res.checkpoints.map((c) => [c.checkpoint, c.meta?.step])).toEqual([['step_10.safetensors', 10], ['step_20.safetensors', 20], ['step_30.safetensors', 30]]);
    const line = await runLog(f);
    expect(line.map((c) => c.type)).toEqual(['CHECKPOINT', 'DELTA', 'DELTA']);
    const third = await f.store.readManifest(line[2]!.id);
    expect(third.files[0]!.delta!.basePath).toBe('step_20.safetensors');
    expect(third.files[0]!.delta!.bytes).toBeLessThan(models[2]!.length / 4);
    for (const [i, c] of line.entries()) expect([...(await restoredShas(f, c.id)).values()]).toEqual([shas[i]]);
    // restore with no --to puts the version back where the trainer wrote it.
    await fs.rm(path.join(f.run, 'step_20.safetensors'));
    await verbs.restore(f.ctx, { commit: line[1]!.id, link: 'copy' });
    expect(await sha256Of(path.join(f.run, 'step_20.safetensors'))).toBe(shas[1]);
  });

  it('a restart resumes with no duplicates: what is committed is found by name and content; a file saved over in place with new bytes is a new commit', async () => {
    const f = await fixture();
    const models = versions(6, 3);
    for (const i of [0, 1, 2]) await fs.writeFile(path.join(f.run, `step_${i + 1}.safetensors`), models[i]!);
    await fs.writeFile(path.join(f.run, 'model.pt.safetensors'), models[0]!);
    const first = await watchOnce(f);
    expect(first.checkpoints.filter((c) => c.commit && !c.already)).toHaveLength(4);

    for (const i of [3, 4]) await fs.writeFile(path.join(f.run, `step_${i + 1}.safetensors`), models[i]!);
    const second = await watchOnce(f);
    const already = second.checkpoints.filter((c) => c.already).map((c) => c.checkpoint).sort();
    const made = second.checkpoints.filter((c) => c.commit && !c.already).map((c) => c.checkpoint);
    expect(already).toEqual(['model.pt.safetensors', 'step_1.safetensors', 'step_2.safetensors', 'step_3.safetensors']);
    expect(made).toEqual(['step_4.safetensors', 'step_5.safetensors']);
    expect((await runLog(f)).map((c) => c.checkpoint).sort()).toEqual([...already, ...made].sort());

    // The same name saved again with other bytes is another version.
    await fs.writeFile(path.join(f.run, 'model.pt.safetensors'), models[5]!);
    const third = await watchOnce(f);
    expect(third.checkpoints.filter((c) => c.commit && !c.already).map((c) => c.checkpoint)).toEqual(['model.pt.safetensors']);
    const line = await runLog(f);
    expect(line.filter((c) => c.checkpoint === 'model.pt.safetensors')).toHaveLength(2);
    const newest = line.filter((c) => c.checkpoint === 'model.pt.safetensors').at(-1)!;
    expect([...(await restoredShas(f, newest.id)).values()]).toEqual([await sha256Of(path.join(f.run, 'model.pt.safetensors'))]);
  });

  it('a corrupt checkpoint (cut short, and the trainer has since finished a newer one) is skipped with a note; the rest are committed', async () => {
    const f = await fixture();
    const models = versions(3, 4);
    const t0 = Date.now() / 1000 - 100;
    for (const [i, m] of models.entries()) {
      const file = path.join(f.run, `step_${i + 1}.safetensors`);
      await fs.writeFile(file, i === 1 ? m.subarray(0, m.length - 999) : m);
      await fs.utimes(file, t0 + i, t0 + i);
    }
    const res = await watchOnce(f);
    expect(res.checkpoints.filter((c) => c.commit).map((c) => c.checkpoint)).toEqual(['step_1.safetensors', 'step_3.safetensors']);
    const skipped = res.checkpoints.find((c) => c.checkpoint === 'step_2.safetensors');
    expect(skipped?.skipped?.message).toBeTruthy();
    expect(res.notes.some((n) => n.message.startsWith('step_2.safetensors skipped'))).toBe(true);
  });

  it('a full disk stops it cleanly, says so, and a restart resumes', async () => {
    const f = await fixture();
    const models = versions(3, 5);
    for (const [i, m] of models.entries()) await fs.writeFile(path.join(f.run, `step_${i + 1}.safetensors`), m);
    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    let commits = 0;
    // The engine's own hook (ops level): the commit of the second checkpoint fails as a full disk makes it fail.
    const res = await followRun(f.store, f.run, {
      recognition, mode: 'watch', once: true, settleMs: SETTLE,
      hooks: { beforeCommit: () => { if (++commits === 2) throw new WeightlineError('DISK_FULL', `the disk is full (${full.code})`); } },
    });
    expect(res.stopped).toBe('disk-full');
    expect(res.notes.some((n) => /disk is full/.test(n.message) && n.message.includes('step_2.safetensors'))).toBe(true);
    expect(res.checkpoints.filter((c) => c.commit).map((c) => c.checkpoint)).toEqual(['step_1.safetensors']);
    expect(await fs.readdir(path.join(f.store.dir, STAGING_DIR))).toEqual([]);
    expect((await verbs.verify(f.ctx)).ok).toBe(true);

    const again = await watchOnce(f);
    expect(again.stopped).toBe('done');
    expect(again.checkpoints.map((c) => [c.checkpoint, !!c.already])).toEqual([['step_1.safetensors', true], ['step_2.safetensors', false], ['step_3.safetensors', false]]);
    expect(await runLog(f)).toHaveLength(3);
  });

  it('--then remove deletes the trainer\'s copies once their commits rebuild, keeping the newest N and any file a process has open', async () => {
    const f = await fixture();
    const models = versions(5, 6);
    const oracle = new Map<string, Map<string, string>>();
    for (const [i, m] of models.entries()) oracle.set(`checkpoint-${(i + 1) * 10}`, await writeHf(f.run, (i + 1) * 10, m, 1 - i / 10));
    // A trainer still reading checkpoint-20 (resuming from it, say).
    const held = await fs.open(path.join(f.run, 'checkpoint-20', 'model.safetensors'), 'r');
    try {
      const res = await watchOnce(f, { then: 'remove', keepNewest: 2 });
      expect(res.removed.sort()).toEqual(['checkpoint-10', 'checkpoint-30']);
      expect((await fs.readdir(f.run)).sort()).toEqual(['checkpoint-20', 'checkpoint-40', 'checkpoint-50']);
      for (const c of await runLog(f)) expect(await restoredShas(f, c.id)).toEqual(oracle.get(c.checkpoint));
    } finally {
      await held.close();
    }
  });

  it('waits for the store lock another writer holds, then commits', async () => {
    const f = await fixture();
    await fs.writeFile(path.join(f.run, 'step_1.safetensors'), versions(1, 7)[0]!);
    const { withWriteLock } = await import('../../src-main/core/store/lock');
    const release = deferred();
    const holding = deferred();
    const holder = withWriteLock(f.store, 'test holder', async () => { holding.resolve(); await release.promise; });
    await holding.promise;
    let waits = 0;
    const watching = followRun(f.store, f.run, {
      recognition, mode: 'watch', once: true, settleMs: SETTLE,
      // The first attempt meets the lock; the holder lets go once the watch has said it waits.
      hooks: { lockWait: () => { waits++; release.resolve(); } },
    });
    const res = await watching;
    await holder;
    expect(res.checkpoints.map((c) => !!c.commit)).toEqual([true]);
    expect(waits).toBeGreaterThan(0);
  }, 20_000);
});

describe('a writer killed mid-save', () => {
  it('never produces a commit of the partial checkpoint; once the save completes it is committed exactly once (property over kill points)', async () => {
    const f = await fixture();
    const models = versions(2, 8, 20_000);
    const files = hfFiles(7, models[1]!, 0.5);
    const total = files.reduce((s, [, b]) => s + b.length, 0);
    let round = 0;
    await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: total - 1 }), async (killAt) => {
      const run = path.join(f.root, 'runs', `k${round++}`);
      const dir = path.join(run, 'checkpoint-7');
      await fs.mkdir(dir, { recursive: true });
      // The trainer's writes in its order, stopped after killAt bytes.
      let left = killAt;
      for (const [name, bytes] of files) {
        if (left <= 0) break;
        await fs.writeFile(path.join(dir, name), bytes.subarray(0, Math.min(left, bytes.length)));
        left -= bytes.length;
      }
      const ctx = f.ctx;
      const res = await verbs.watch(ctx, { dir: run, then: 'keep', keepNewest: 1, once: true, settleMs: 1 });
      expect(res.checkpoints.filter((c) => c.commit)).toEqual([]);
      // The save completes (the trainer restarted and saved again).
      for (const [name, bytes] of files) await fs.writeFile(path.join(dir, name), bytes);
      const done = await verbs.watch(ctx, { dir: run, then: 'keep', keepNewest: 1, once: true, settleMs: 1 });
      expect(done.checkpoints.filter((c) => c.commit && !c.already).map((c) => c.checkpoint)).toEqual(['checkpoint-7']);
      const again = await verbs.watch(ctx, { dir: run, then: 'keep', keepNewest: 1, once: true, settleMs: 1 });
      expect(again.checkpoints.map((c) => !!c.already)).toEqual([true]);
      const restored = path.join(f.root, 'out', String(round));
      await verbs.restore(ctx, { commit: done.checkpoints[0]!.commit!, to: restored, link: 'copy' });
      for (const [name, bytes] of files) expect(await fs.readFile(path.join(restored, name))).toEqual(bytes);
    }), { numRuns: 12, seed: 20 });
  }, 120_000);
});

describe('watch following a run', () => {
  const follow = (f: Fixture, extra: Partial<FollowOptions>, signal: AbortSignal): Promise<RunFollowResult> =>
    followRun(f.store, f.run, { recognition, mode: 'watch', settleMs: SETTLE, pollMs: 50, signal, ...extra });

  it('loses nothing to a rotation that deletes the previous checkpoint right after the next one completes', async () => {
    const f = await fixture();
    const models = versions(6, 9);
    const oracle = new Map<string, Map<string, string>>();
    const captured = new Map<string, ReturnType<typeof deferred>>();
    const capturedOf = (name: string): ReturnType<typeof deferred> => { if (!captured.has(name)) captured.set(name, deferred()); return captured.get(name)!; };
    const commitsMayGo = deferred();
    const reports: RunCheckpointReport[] = [];
    const allCommitted = deferred();
    const stop = new AbortController();
    const watching = follow(f, {
      hooks: { captured: (c) => capturedOf(c.name).resolve(), beforeCommit: () => commitsMayGo.promise },
      onCheckpoint: (r) => { reports.push(r); if (reports.length === models.length) allCommitted.resolve(); },
    }, stop.signal);
    for (const [i, m] of models.entries()) {
      const step = (i + 1) * 100;
      oracle.set(`checkpoint-${step}`, await writeHf(f.run, step, m, 1 - i / 20));
      await capturedOf(`checkpoint-${step}`).promise;
      // save_total_limit=1: the older folder goes the moment the new one is complete.
      if (i > 0) await fs.rm(path.join(f.run, `checkpoint-${step - 100}`), { recursive: true });
    }
    // Every commit was held back until now: all but the newest were read from their captures alone.
    expect(await fs.readdir(f.run)).toEqual(['checkpoint-600']);
    commitsMayGo.resolve();
    await allCommitted.promise;
    stop.abort();
    const res = await watching;
    expect(res.stopped).toBe('cancelled');
    expect(reports.map((r) => r.checkpoint)).toEqual([...oracle.keys()]);
    for (const c of await runLog(f)) expect(await restoredShas(f, c.id)).toEqual(oracle.get(c.checkpoint));
    expect(await fs.readdir(path.join(f.store.dir, STAGING_DIR))).toEqual([]);
  });

  it('a queue of 20 checkpoints written faster than commits land says it is behind and drains in order', async () => {
    const f = await fixture();
    const models = versions(20, 10, 20_000);
    const shas: string[] = [];
    const commitsMayGo = deferred();
    const behind = deferred();
    const reports: RunCheckpointReport[] = [];
    const details: string[] = [];
    const allCommitted = deferred();
    const stop = new AbortController();
    const watching = follow(f, {
      maxCaptures: 4,
      hooks: { beforeCommit: () => commitsMayGo.promise, looked: (s) => { if (s.behind) behind.resolve(); } },
      onProgress: (p) => { if (p.detail) details.push(p.detail); },
      onCheckpoint: (r) => { reports.push(r); if (reports.length === 20) allCommitted.resolve(); },
    }, stop.signal);
    for (const [i, m] of models.entries()) {
      await fs.writeFile(path.join(f.run, `step_${(i + 1) * 5}.safetensors`), m);
      shas.push(await sha256Of(path.join(f.run, `step_${(i + 1) * 5}.safetensors`)));
    }
    await behind.promise;
    commitsMayGo.resolve();
    await allCommitted.promise;
    stop.abort();
    const res = await watching;
    expect(res.notes.some((n) => /stopped capturing/.test(n.message))).toBe(true);
    expect(details.some((d) => /: \d+ committed, \d+ settling, [1-9]\d* behind/.test(d))).toBe(true);
    expect(reports.map((r) => r.meta?.step)).toEqual(models.map((_, i) => (i + 1) * 5));
    const line = await runLog(f);
    expect(line.map((c) => c.step)).toEqual(models.map((_, i) => (i + 1) * 5));
    for (let i = 1; i < line.length; i++) expect(line[i]!.parent).toBe(line[i - 1]!.id);
    for (const [i, c] of line.entries()) expect([...(await restoredShas(f, c.id)).values()]).toEqual([shas[i]]);
  });

  it('stops with folder-gone when the run folder disappears, committing what it had captured', async () => {
    const f = await fixture();
    const models = versions(2, 11);
    const captured = deferred();
    const stop = new AbortController();
    const watching = follow(f, { hooks: { captured: () => captured.resolve() } }, stop.signal);
    await writeHf(f.run, 1, models[0]!, 0.5);
    await captured.promise;
    await fs.rm(f.run, { recursive: true });
    const res = await watching;
    expect(res.stopped).toBe('folder-gone');
    expect(res.notes.some((n) => /is gone/.test(n.message))).toBe(true);
    expect(res.checkpoints.map((c) => [c.checkpoint, !!c.commit])).toEqual([['checkpoint-1', true]]);
  });
});
