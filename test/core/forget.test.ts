// Forget (docs/STORE-FORMAT.md, "Forget"): the engine on real stores. Every
// kept version restores bit-exact after a forget and after a cleanup after
// it; commit ids do not change; the preview's bytes are the run's to the
// byte; a kept commit with no kept ancestor becomes a CHECKPOINT; explicit
// refs and A..B ranges; protected commits stay, with their reason; a damaged
// route record is CORRUPT naming it.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanup } from '../../src-main/core/ops/cleanup';
import { commit } from '../../src-main/core/ops/commit';
import { forgetVersions } from '../../src-main/core/ops/forget';
import { log } from '../../src-main/core/ops/inspect';
import { restore } from '../../src-main/core/ops/restore';
import { verify } from '../../src-main/core/ops/verify';
import { setTag } from '../../src-main/core/store/tags';
import { listOps, readOp } from '../../src-main/core/store/trash';
import { undoOperation } from '../../src-main/core/ops/undo';
import { Store } from '../../src-main/core/store/store';
import type { ForgetPlan } from '../../src-shared/model';
import type { RetentionPolicy } from '../../src-shared/policy/retention';
import { gaussianF32, nudgeF32, rng, sha256Of, useScratch, writeSafetensors, type TestTensor } from '../helpers/models';

const scratch = useScratch();

interface Run { root: string; store: Store; file: string; ids: string[]; shas: string[] }

/**
 * A training run of n checkpoints of one safetensors file, each with a step
 * and an eval_loss. Dense: every weight moves each step; sparse: only the
 * head (a fine-tune of the last layer).
 */
async function trainingRun(n: number, opts: { sparse?: boolean; losses?: number[]; seed?: number } = {}): Promise<Run> {
  const root = scratch();
  const store = await Store.init(root);
  const file = path.join(root, 'model.safetensors');
  const r = rng(opts.seed ?? 3);
  let model: TestTensor[] = [
    { name: 'body', dtype: 'F32', shape: [300_000], data: gaussianF32(300_000, r) },
    { name: 'head', dtype: 'F32', shape: [8192], data: gaussianF32(8192, r) },
  ];
  const ids: string[] = [];
  const shas: string[] = [];
  for (let i = 0; i < n; i++) {
    if (i > 0) model = model.map((t) => (opts.sparse && t.name === 'body' ? t : { ...t, data: nudgeF32(t.data, r, 1e-3, 1) }));
    await writeSafetensors(file, model);
    const loss = opts.losses?.[i] ?? 1 / (i + 1) + (i % 3) * 0.05;
    ids.push((await commit(store, file, { message: `step ${i * 100}`, meta: { step: i * 100, metrics: { eval_loss: loss } } })).id);
    shas.push(await sha256Of(file));
  }
  return { root, store, file, ids, shas };
}

/** Restores each listed version to a temp file and compares its sha256 with the committed one. */
async function expectRestores(run: Run, which: readonly number[], label: string): Promise<void> {
  for (const i of which) {
    const to = path.join(run.root, 'check', `${label}-${i}.safetensors`);
    await restore(run.store, run.ids[i]!, { to, link: 'copy' });
    expect(await sha256Of(to), `${label}: version ${i} (${run.ids[i]!.slice(0, 12)})`).toBe(run.shas[i]);
    await fs.rm(to);
  }
}

function indexesOf(run: Run, plan: ForgetPlan, verdict: 'keep' | 'forget'): number[] {
  return plan.commits.filter((c) => c.verdict === verdict).map((c) => run.ids.indexOf(c.id)).sort((a, b) => a - b);
}

/** The run's figures without what only a run has (op, trashUntil, dryRun). */
function figures(p: ForgetPlan): unknown {
  return { commits: p.commits, forgotten: p.forgotten, kept: p.kept, bytesRemoved: p.bytesRemoved, bytesAdded: p.bytesAdded, bytesFreed: p.bytesFreed, policy: p.policy };
}

describe('forget', () => {
  it('a dense run: the preview equals the run to the byte; kept versions restore bit-exact, also after cleanup; ids unchanged; log counts the forgotten', async () => {
    const run = await trainingRun(12);
    const policy: RetentionPolicy = { keepLast: 3, keepBest: [{ count: 2, metric: 'eval_loss', direction: 'min' }], keepEvery: 500 };
    const preview = await forgetVersions(run.store, { policy, dryRun: true });
    expect(preview.dryRun).toBe(true);
    expect(await run.store.listCommitIds()).toHaveLength(12);
    expect(JSON.parse(await fs.readFile(path.join(run.store.dir, 'format.json'), 'utf8')).version).toBe(1);
    const kept = indexesOf(run, preview, 'keep');
    // steps 0..1100: every 500 keeps steps 500 and 1000; newest 3 are 9..11; losses 1/(i+1)+(i%3)*0.05 are lowest at 9 and 11 (newest 3 anyway).
    expect(kept).toEqual([5, 9, 10, 11]);
    expect(preview.bytesFreed).toBe(preview.bytesRemoved - preview.bytesAdded);
    expect(preview.bytesAdded).toBeGreaterThan(0);
    expect(preview.commits.find((c) => c.id === run.ids[5])).toMatchObject({ rebasedOnto: null });
    expect(preview.commits.find((c) => c.id === run.ids[9])).toMatchObject({ rebasedOnto: run.ids[5] });

    const done = await forgetVersions(run.store, { policy, dryRun: false });
    expect(figures(done)).toEqual(figures(preview));
    expect(done.storeBytesBefore).toBe(preview.storeBytesBefore);
    expect(done.op).toMatch(/^\d{8}T\d{9}Z-[0-9a-f]{8}$/);
    expect(JSON.parse(await fs.readFile(path.join(run.store.dir, 'format.json'), 'utf8')).version).toBe(2);
    expect([...(await run.store.listCommitIds())].sort()).toEqual(kept.map((i) => run.ids[i]).sort());
    await expectRestores(run, kept, 'after-forget');

    const op = await readOp(run.store, done.op!);
    expect(op).toMatchObject({ state: 'done', kind: 'forget', bytes: done.bytesFreed });
    expect([...op!.commits].sort()).toEqual(indexesOf(run, done, 'forget').map((i) => run.ids[i]).sort());
    // What the trash holds is what bytesRemoved says, exactly.
    let trashed = 0;
    for (const e of await fs.readdir(path.join(run.store.dir, 'trash', done.op!), { recursive: true, withFileTypes: true })) {
      if (e.isFile()) trashed += (await fs.stat(path.join(e.parentPath, e.name))).size;
    }
    expect(trashed).toBe(done.bytesRemoved);

    const entries = await log(run.store);
    expect(entries.map((e) => e.id).sort()).toEqual(kept.map((i) => run.ids[i]).sort());
    expect(entries.find((e) => e.id === run.ids[9])).toMatchObject({ parent: run.ids[5], forgottenBefore: 3 });
    expect(entries.find((e) => e.id === run.ids[5])).toMatchObject({ parent: null, forgottenBefore: 5, type: 'CHECKPOINT' });
    expect(entries.find((e) => e.id === run.ids[10])!.forgottenBefore).toBeUndefined();

    await cleanup(run.store);
    await expectRestores(run, kept, 'after-cleanup');
    const v = await verify(run.store);
    expect(v.ok, JSON.stringify(v.commits.filter((c) => !c.ok))).toBe(true);
  }, 120_000);

  it('a sparse run (head only): re-based deltas hold only the head; a second forget re-bases re-based commits again', async () => {
    const run = await trainingRun(10, { sparse: true });
    const first = await forgetVersions(run.store, { refs: [`${run.ids[1]}..${run.ids[4]}`], dryRun: false });
    // ids[2..4] go: the range excludes ids[1] and what is behind it.
    expect(indexesOf(run, first, 'forget')).toEqual([2, 3, 4]);
    const r5 = first.commits.find((c) => c.id === run.ids[5])!;
    expect(r5.rebasedOnto).toBe(run.ids[1]);
    // A head-only delta of 8192 floats, zstd'd: far below the body's 1.2 MB.
    expect(r5.rebasedBytes).toBeLessThan(64 * 1024);
    await expectRestores(run, [0, 1, 5, 6, 7, 8, 9], 'first');

    const preview = await forgetVersions(run.store, { refs: [run.ids[1]!, run.ids[5]!], dryRun: true });
    const second = await forgetVersions(run.store, { refs: [run.ids[1]!, run.ids[5]!], dryRun: false });
    expect(figures(second)).toEqual(figures(preview));
    expect(second.commits.find((c) => c.id === run.ids[6])).toMatchObject({ rebasedOnto: run.ids[0] });
    const entries = await log(run.store);
    // 1 through 5 are gone: five versions between 0 and 6 in the committed history.
    expect(entries.find((e) => e.id === run.ids[6])).toMatchObject({ parent: run.ids[0], forgottenBefore: 5 });
    await expectRestores(run, [0, 6, 7, 8, 9], 'second');
    // Nothing a kept version needs is in the trash: emptied, every kept version still restores.
    await fs.rm(path.join(run.store.dir, 'trash'), { recursive: true });
    await expectRestores(run, [0, 6, 7, 8, 9], 'no-trash');
    await cleanup(run.store);
    await expectRestores(run, [0, 6, 7, 8, 9], 'cleaned');
  }, 120_000);

  it('the root forgotten after a cleanup: the next kept commit becomes a CHECKPOINT, its full parameters rebuilt and kept', async () => {
    const run = await trainingRun(6);
    await cleanup(run.store); // prunes the full objects of 1..3 (keepFullLatest 2)
    expect(await run.store.hasObject(run.shas[1]!)).toBe(false);
    const preview = await forgetVersions(run.store, { refs: [run.ids[0]!], dryRun: true });
    const done = await forgetVersions(run.store, { refs: [run.ids[0]!], dryRun: false });
    expect(figures(done)).toEqual(figures(preview));
    const c1 = done.commits.find((c) => c.id === run.ids[1])!;
    expect(c1).toMatchObject({ verdict: 'keep', rebasedOnto: null });
    const manifest = await run.store.readManifest(run.ids[1]!);
    expect(manifest.type).toBe('CHECKPOINT');
    expect(manifest.parent).toBeNull();
    expect(manifest.rebased).toMatchObject({ recordedParent: run.ids[0], recordedType: 'DELTA', forgotten: 1 });
    expect(await run.store.hasObject(run.shas[1]!)).toBe(true);
    // The full object written counts as added, to the byte (its size is the file's).
    expect(c1.rebasedBytes).toBe((await fs.stat(run.store.objectPath(run.shas[1]!))).size);
    expect((await run.store.readRecordedManifest(run.ids[1]!)).parent).toBe(run.ids[0]);
    await expectRestores(run, [1, 2, 3, 4, 5], 'checkpoint');
    await cleanup(run.store);
    await expectRestores(run, [1, 2, 3, 4, 5], 'cleaned');
  }, 120_000);

  it('protected commits named explicitly stay, with their reason; HEAD, pins, tags and branch tips are never forgotten', async () => {
    const run = await trainingRun(6);
    await setTag(run.store, 'best', run.ids[2]!);
    const pins = new Set([run.ids[3]!]);
    await run.store.writePins(pins);
    // A branch from 1: restore it and commit on top.
    await restore(run.store, run.ids[1]!, { force: true });
    const w = gaussianF32(8192, rng(99));
    await writeSafetensors(path.join(run.root, 'model.safetensors'), [
      { name: 'body', dtype: 'F32', shape: [300_000], data: gaussianF32(300_000, rng(98)) },
      { name: 'head', dtype: 'F32', shape: [8192], data: w },
    ]);
    const branch = (await commit(run.store, run.file, { message: 'branch' })).id;
    run.ids.push(branch);
    run.shas.push(await sha256Of(run.file));
    const plan = await forgetVersions(run.store, { refs: run.ids, dryRun: true });
    const reasons = (i: number): readonly string[] => plan.commits.find((c) => c.id === run.ids[i])!.reasons;
    expect(reasons(2)).toContain('tag best');
    expect(reasons(3)).toContain('pinned');
    expect(reasons(5)).toContain('branch tip');
    expect(reasons(6)).toEqual(expect.arrayContaining(['HEAD', 'branch tip']));
    expect(indexesOf(run, plan, 'forget')).toEqual([0, 1, 4]);
    const done = await forgetVersions(run.store, { refs: run.ids, dryRun: false });
    expect(figures(done)).toEqual(figures(plan));
    // The branch commit's parent (1) went, and so did the main line's 0 and 1: it has no kept ancestor.
    expect(done.commits.find((c) => c.id === branch)).toMatchObject({ rebasedOnto: null });
    expect(done.commits.find((c) => c.id === run.ids[5])).toMatchObject({ rebasedOnto: run.ids[3] });
    await expectRestores(run, [2, 3, 5, 6], 'protected');
    expect(await run.store.readHead()).toBe(branch);
  }, 120_000);

  it('refuses an empty policy and a store without one (BAD_USAGE); uses the stored one; nothing to forget changes nothing', async () => {
    const run = await trainingRun(4);
    await expect(forgetVersions(run.store, { policy: {}, dryRun: true })).rejects.toMatchObject({ code: 'BAD_USAGE', message: expect.stringContaining('empty policy') });
    await expect(forgetVersions(run.store, { dryRun: false })).rejects.toMatchObject({ code: 'BAD_USAGE', message: expect.stringContaining('--keep-last') });
    await fs.writeFile(path.join(run.store.dir, 'retention.json'), JSON.stringify({ version: 1, policy: { keepLast: 10 } }));
    const none = await forgetVersions(run.store, { dryRun: false });
    expect(none).toMatchObject({ forgotten: 0, kept: 4, bytesFreed: 0, policy: '--keep-last 10' });
    expect(none.op).toBeUndefined();
    expect(JSON.parse(await fs.readFile(path.join(run.store.dir, 'format.json'), 'utf8')).version).toBe(1);
  }, 60_000);

  it('a damaged route record is CORRUPT naming it; nothing is changed', async () => {
    const run = await trainingRun(5);
    await forgetVersions(run.store, { refs: [run.ids[2]!], dryRun: false });
    const record = path.join(run.store.dir, 'routes', `${run.ids[3]}.json`);
    await fs.writeFile(record, '{"version":1,"commit":"nope"}');
    const before = await run.store.listCommitIds();
    const e = await forgetVersions(run.store, { refs: [run.ids[1]!], dryRun: false }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'CORRUPT', file: record });
    expect(await run.store.listCommitIds()).toEqual(before);
  }, 60_000);

  it('trashDays 0 empties the trash at once and says so in the record', async () => {
    const run = await trainingRun(4);
    await run.store.updateConfig({ trashDays: 0 });
    const done = await forgetVersions(run.store, { refs: [run.ids[1]!], dryRun: false });
    expect(done.trashUntil).toBeUndefined();
    await expect(fs.stat(path.join(run.store.dir, 'trash', done.op!))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readOp(run.store, done.op!)).toMatchObject({ state: 'done', purgedAt: expect.any(String) });
    await expectRestores(run, [0, 2, 3], 'trash0');
  }, 60_000);

  it('cancelled while proving: the route records and objects it wrote are taken back, its record settled as undone; the preview reports progress and cancels', async () => {
    const run = await trainingRun(6);
    const objectsBefore = [...(await run.store.listObjects())].sort();
    const controller = new AbortController();
    const phases = new Set<string>();
    const e = await forgetVersions(run.store, {
      refs: [run.ids[2]!, run.ids[3]!], dryRun: false, signal: controller.signal,
      onProgress: (p) => { phases.add(p.phase); if (p.phase === 'writing routes') controller.abort(); },
    }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'CANCELLED', message: expect.stringContaining('nothing was changed') });
    expect(phases).toContain('encoding re-based routes');
    expect([...(await run.store.listCommitIds())].sort()).toEqual([...run.ids].sort());
    expect([...(await run.store.listObjects())].sort()).toEqual(objectsBefore);
    expect(await fs.readdir(path.join(run.store.dir, 'routes')).catch(() => [])).toEqual([]);
    // Its record stays, settled: put back before it removed anything, so nothing to undo.
    const ops = await listOps(run.store);
    expect(ops.map((o) => [o.kind, o.state])).toEqual([['forget', 'undone']]);
    expect(ops[0]!.summary).toContain('stopped before it removed anything (cancelled)');
    expect((await run.store.readManifest(run.ids[4]!)).parent).toBe(run.ids[3]);
    await expectRestores(run, [0, 1, 2, 3, 4, 5], 'rolled-back');

    // The preview: progress up to its total, and a cancel that changes nothing.
    const seen: Array<{ phase: string; bytesDone: number; bytesTotal: number }> = [];
    await forgetVersions(run.store, { refs: [run.ids[2]!], dryRun: true, onProgress: (p) => seen.push(p) });
    const measuring = seen.filter((p) => p.phase === 'measuring re-based routes');
    expect(measuring.length).toBeGreaterThan(0);
    expect(measuring.every((p) => p.bytesDone <= p.bytesTotal)).toBe(true);
    expect(measuring.at(-1)!.bytesDone).toBe(measuring.at(-1)!.bytesTotal);
    const stop = new AbortController();
    stop.abort();
    await expect(forgetVersions(run.store, { refs: [run.ids[2]!], dryRun: true, signal: stop.signal })).rejects.toMatchObject({ code: 'CANCELLED' });
  }, 60_000);

  it('undo after two forgets puts every version back bit-exact, each re-based commit with its old storage', async () => {
    const run = await trainingRun(8);
    const first = await forgetVersions(run.store, { refs: [run.ids[2]!, run.ids[3]!], dryRun: false });
    const afterFirst = await run.store.readManifest(run.ids[4]!);
    const second = await forgetVersions(run.store, { refs: [run.ids[4]!, run.ids[1]!], dryRun: false });
    expect(second.commits.find((c) => c.id === run.ids[5])).toMatchObject({ rebasedOnto: run.ids[0] });
    const back2 = await undoOperation(run.store, {});
    expect([...back2.restored].sort()).toEqual([run.ids[1], run.ids[4]].sort());
    // The second forget's record of 4 is gone and the first's is back, byte for byte.
    expect(await run.store.readManifest(run.ids[4]!)).toEqual(afterFirst);
    const back1 = await undoOperation(run.store, {});
    expect(back1.undone.id).toBe(first.op);
    expect([...(await run.store.listCommitIds())].sort()).toEqual([...run.ids].sort());
    expect(await fs.readdir(path.join(run.store.dir, 'routes'))).toEqual([]);
    expect((await run.store.readManifest(run.ids[4]!)).rebased).toBeUndefined();
    await expectRestores(run, [0, 1, 2, 3, 4, 5, 6, 7], 'undone');
  }, 120_000);

  it('a forgotten commit whose objects are not here (a fetched one, on its remote) has only its manifest moved', async () => {
    const run = await trainingRun(5);
    await cleanup(run.store); // 1 and 2 lose their full objects (3 and 4 are the newest 2)
    const gone = (await run.store.readManifest(run.ids[2]!)).files[0]!;
    expect(await run.store.hasObject(gone.sha256)).toBe(false);
    await fs.rm(run.store.objectPath(gone.delta!.object!), { force: true });
    const oldDelta3 = (await run.store.readManifest(run.ids[3]!)).files[0]!.delta!.object!;
    const manifestBytes = (await fs.stat(path.join(run.store.dir, 'commits', `${run.ids[2]}.json`))).size;
    const preview = await forgetVersions(run.store, { refs: [run.ids[2]!], dryRun: true });
    const done = await forgetVersions(run.store, { refs: [run.ids[2]!], dryRun: false });
    expect(figures(done)).toEqual(figures(preview));
    // Its manifest, and the kept commit 3's old delta against it: nothing else of it was here.
    expect(done.bytesRemoved).toBe(manifestBytes + (await fs.stat(path.join(run.store.dir, 'trash', done.op!, 'objects', oldDelta3))).size);
    const op = await readOp(run.store, done.op!);
    expect(op!.moves.filter(([k]) => k === 'commit')).toEqual([['commit', run.ids[2]]]);
    expect(op!.moves.filter(([k]) => k === 'object')).toEqual([['object', oldDelta3]]);
    // 3's delta against 1 is larger than its delta against 2 was: this forget frees nothing, and its record says 0.
    expect(done.bytesFreed).toBeLessThan(0);
    expect(op!.bytes).toBe(0);
    expect(op!.summary).toContain('the store grows by');
    await expectRestores(run, [0, 1, 3, 4], 'remote-only');
  }, 60_000);

  it('a folder whose file appeared in a forgotten commit: re-based against the same path where the ancestor has it, self-contained where not', async () => {
    const root = scratch();
    const store = await Store.init(root);
    const folder = path.join(root, 'model');
    await fs.mkdir(folder);
    const r = rng(11);
    let a = gaussianF32(50_000, r);
    let b = gaussianF32(20_000, r);
    const ids: string[] = [];
    const shas: Array<Record<string, string>> = [];
    const snap = async (): Promise<void> => {
      ids.push((await commit(store, folder, { message: `v${ids.length}` })).id);
      const files = await fs.readdir(folder);
      shas.push(Object.fromEntries(await Promise.all(files.map(async (f) => [f, await sha256Of(path.join(folder, f))] as const))));
    };
    await writeSafetensors(path.join(folder, 'a.safetensors'), [{ name: 'w', dtype: 'F32', shape: [50_000], data: a }]);
    await snap();
    a = nudgeF32(a, r);
    await writeSafetensors(path.join(folder, 'a.safetensors'), [{ name: 'w', dtype: 'F32', shape: [50_000], data: a }]);
    await writeSafetensors(path.join(folder, 'b.safetensors'), [{ name: 'v', dtype: 'F32', shape: [20_000], data: b }]);
    await snap();
    a = nudgeF32(a, r);
    b = nudgeF32(b, r);
    await writeSafetensors(path.join(folder, 'a.safetensors'), [{ name: 'w', dtype: 'F32', shape: [50_000], data: a }]);
    await writeSafetensors(path.join(folder, 'b.safetensors'), [{ name: 'v', dtype: 'F32', shape: [20_000], data: b }]);
    await snap();
    const preview = await forgetVersions(store, { refs: [ids[1]!], dryRun: true });
    const done = await forgetVersions(store, { refs: [ids[1]!], dryRun: false });
    expect(figures(done)).toEqual(figures(preview));
    const m = await store.readManifest(ids[2]!);
    expect(m.parent).toBe(ids[0]);
    expect(m.files.map((f) => [f.path, f.delta?.basePath])).toEqual([['a.safetensors', 'a.safetensors'], ['b.safetensors', null]]);
    for (const [i, id] of [[0, ids[0]!], [2, ids[2]!]] as const) {
      const to = path.join(root, 'out', String(i));
      await restore(store, id, { to, link: 'copy' });
      for (const [f, sha] of Object.entries(shas[i]!)) expect(await sha256Of(path.join(to, f)), `${f} of version ${i}`).toBe(sha);
    }
  }, 60_000);

  it('tips.json loses entries naming a forgotten commit; the path\'s next commit follows its line\'s newest kept commit', async () => {
    const run = await trainingRun(4);
    await restore(run.store, run.ids[1]!, { force: true }); // the path's line now stands at 1
    const other = path.join(run.root, 'other.safetensors');
    await writeSafetensors(other, [{ name: 'x', dtype: 'F32', shape: [1000], data: gaussianF32(1000, rng(4)) }]);
    const q = (await commit(run.store, other, { message: 'another model' })).id;
    const tips = async (): Promise<Record<string, string>> => (JSON.parse(await fs.readFile(path.join(run.store.dir, 'tips.json'), 'utf8')) as { paths: Record<string, string> }).paths;
    expect(await tips()).toEqual({ 'model.safetensors': run.ids[1], 'other.safetensors': q });
    const done = await forgetVersions(run.store, { refs: [run.ids[1]!], dryRun: false });
    expect(done.forgotten).toBe(1);
    expect(await tips()).toEqual({ 'other.safetensors': q });
    await writeSafetensors(run.file, [{ name: 'body', dtype: 'F32', shape: [300_000], data: gaussianF32(300_000, rng(8)) }, { name: 'head', dtype: 'F32', shape: [8192], data: gaussianF32(8192, rng(9)) }]);
    const next = await commit(run.store, run.file, { message: 'after the forget' });
    expect((await run.store.readManifest(next.id)).parent).toBe(run.ids[3]);
  }, 60_000);
});
