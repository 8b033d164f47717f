// Forget, then undo, with the real engine (ops/forget.ts): the undo gives
// back the history exactly (every manifest, object and route record byte
// for byte, the log as before, every version bit-exact), also after a
// cleanup ran between the two; and a forget killed at each of its pause
// points is finished the right way by the next writer: rolled back before
// its proof, rolled forward after it.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cleanup } from '../../src-main/core/ops/cleanup';
import { commit } from '../../src-main/core/ops/commit';
import { forgetVersions } from '../../src-main/core/ops/forget';
import { log } from '../../src-main/core/ops/inspect';
import { restore } from '../../src-main/core/ops/restore';
import { listOperations, undoOperation } from '../../src-main/core/ops/undo';
import { verify } from '../../src-main/core/ops/verify';
import { setTag } from '../../src-main/core/store/tags';
import { Store } from '../../src-main/core/store/store';
import { listOps } from '../../src-main/core/store/trash';
import type { PausePoint } from '../../src-main/core/base/test-pause';
import { historyFiles } from '../helpers/forget-sim';
import { gaussianF32, nudgeF32, rng, sha256Of, useScratch, writeSafetensors, type TestTensor } from '../helpers/models';
import { pauses } from '../helpers/pause';
import { TSX_EXEC_ARGV } from '../helpers/tsx';

const scratch = useScratch();
const entry = fileURLToPath(new URL('../helpers/cli-entry.ts', import.meta.url));

interface Run { root: string; store: Store; file: string; ids: string[]; shas: string[] }

/** n checkpoints of one safetensors file, each with a step and an eval_loss; `branchAt` restores that version and commits two more on a branch. */
async function trainingRun(n: number, opts: { branchAt?: number } = {}): Promise<Run> {
  const root = scratch();
  const store = await Store.init(root);
  const file = path.join(root, 'model.safetensors');
  const r = rng(11);
  let model: TestTensor[] = [
    { name: 'body', dtype: 'F32', shape: [150_000], data: gaussianF32(150_000, r) },
    { name: 'head', dtype: 'F32', shape: [4096], data: gaussianF32(4096, r) },
  ];
  const ids: string[] = [];
  const shas: string[] = [];
  const save = async (i: number, message: string): Promise<void> => {
    await writeSafetensors(file, model);
    ids.push((await commit(store, file, { message, meta: { step: i * 100, metrics: { eval_loss: 1 / (i + 1) + (i % 3) * 0.05 } } })).id);
    shas.push(await sha256Of(file));
  };
  for (let i = 0; i < n; i++) {
    if (i > 0) model = model.map((t) => ({ ...t, data: nudgeF32(t.data, r, 1e-3, 1) }));
    await save(i, `step ${i * 100}`);
  }
  if (opts.branchAt !== undefined) {
    await restore(store, ids[opts.branchAt]!, { link: 'copy', force: true });
    for (let j = 0; j < 2; j++) {
      model = model.map((t) => ({ ...t, data: nudgeF32(t.data, r, 1e-3, 1) }));
      await save(n + j, `branch ${j}`);
    }
  }
  return { root, store, file, ids, shas };
}

async function restoresAll(run: Run): Promise<boolean[]> {
  const out: boolean[] = [];
  for (const [i, id] of run.ids.entries()) {
    const to = path.join(run.root, 'check', `${i}.safetensors`);
    try {
      await restore(run.store, id, { to, link: 'copy' });
      out.push((await sha256Of(to)) === run.shas[i]);
      await fs.rm(to);
    } catch {
      out.push(false);
    }
  }
  return out;
}

const POLICY = { keepLast: 2, keepBest: [{ count: 1, metric: 'eval_loss', direction: 'min' as const }], keepEvery: 500 }; // steps are 0, 100, 200, …: every 5th checkpoint

describe('forget, then undo (the real engine)', () => {
  it('by policy: the history files, the log and every version come back exactly', async () => {
    const run = await trainingRun(12, { branchAt: 6 });
    await setTag(run.store, 'best', run.ids[3]!);
    // A cleanup first: deltas then carry the history, so the forget must re-base kept commits.
    await cleanup(run.store);
    const files = await historyFiles(run.store);
    const logBefore = await log(run.store);
    const plan = await forgetVersions(run.store, { policy: POLICY, dryRun: false });
    expect(plan.forgotten).toBeGreaterThan(3);
    expect(plan.commits.some((c) => c.rebasedOnto !== undefined)).toBe(true);
    expect((await log(run.store)).length).toBe(logBefore.length - plan.forgotten);
    expect((await listOperations(run.store)).ops[0]).toMatchObject({ kind: 'forget', state: 'done', undoable: true });

    const res = await undoOperation(run.store, {});
    expect(res.notes).toBeUndefined();
    expect(new Set(res.restored)).toEqual(new Set(plan.commits.filter((c) => c.verdict === 'forget').map((c) => c.id)));
    expect(await historyFiles(run.store)).toEqual(files);
    expect(await log(run.store)).toEqual(logBefore);
    expect(await restoresAll(run)).toEqual(run.ids.map(() => true));
    expect((await verify(run.store)).ok).toBe(true);
  }, 120_000);

  it('with a cleanup between the forget and the undo: every version still restores bit-exact', async () => {
    const run = await trainingRun(12);
    const logBefore = await log(run.store);
    await forgetVersions(run.store, { policy: POLICY, dryRun: false });
    await cleanup(run.store);
    const res = await undoOperation(run.store, {});
    expect(res.notes ?? []).toEqual([]);
    expect(await restoresAll(run)).toEqual(run.ids.map(() => true));
    expect((await verify(run.store)).ok).toBe(true);
    expect((await log(run.store)).map((e) => [e.id, e.parent, e.forgottenBefore ?? 0])).toEqual(logBefore.map((e) => [e.id, e.parent, 0]));
  }, 120_000);

  it.each<{ point: PausePoint; way: 'back' | 'forward' }>([
    { point: 'forget.planned', way: 'back' },
    { point: 'forget.routes-written', way: 'back' },
    { point: 'forget.moving', way: 'forward' },
  ])('kill -9 of `weightline forget` at $point: the next commit rolls it $way', async ({ point, way }) => {
    const run = await trainingRun(8);
    await cleanup(run.store);
    const files = await historyFiles(run.store);
    const p = await pauses(point);
    try {
      const child = spawn(process.execPath, [...TSX_EXEC_ARGV, entry, 'forget', '--keep-last', '2', '--keep-every', '400'], { cwd: run.root, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...p.env } });
      const exited = new Promise((resolve) => child.on('close', resolve));
      await p.reached(point, exited);
      child.kill('SIGKILL');
      await exited;
    } finally {
      await p.dispose();
    }
    const op = (await listOps(run.store)).find((o) => o.kind === 'forget');
    expect(op!.state).toBe(way === 'back' ? 'planned' : 'moving');
    // The next writer (a commit of the same bytes: it lands, or says unchanged) finishes the forget first.
    await commit(run.store, run.file, { message: 'after the crash' });
    const rec = (await listOps(run.store)).find((o) => o.id === op!.id)!;
    if (way === 'back') {
      expect(rec.state).toBe('undone');
      // The new commit's files aside, the history is as before the forget.
      const now = await historyFiles(run.store);
      for (const [k, v] of files) expect(now.get(k), k).toBe(v);
      expect([...now.keys()].filter((k) => k.startsWith('routes/'))).toEqual([]);
    } else {
      expect(rec.state).toBe('done');
      await undoOperation(run.store, {});
      const now = await historyFiles(run.store);
      for (const [k, v] of files) expect(now.get(k), k).toBe(v);
    }
    expect(await restoresAll(run)).toEqual(run.ids.map(() => true));
  }, 120_000);
});
