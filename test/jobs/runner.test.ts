// The JobRunner with the real job entry (src-main/jobs/job-process.ts under
// tsx, exactly what the app runs built): progress, cancel, crash, one writer.
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobEvent } from '../../src-shared/contract';
import { commit } from '../../src-main/core/ops/commit';
import { log } from '../../src-main/core/ops/inspect';
import { verify } from '../../src-main/core/ops/verify';
import { Store } from '../../src-main/core/store/store';
import { finalOf, progressOf, Recorder, storeFiles, trackedRunner, writeBigModel } from '../helpers/app';
import { gaussianF32, rng, useScratch, writeSafetensors } from '../helpers/models';

const scratch = useScratch();

async function smallStore(root = scratch()): Promise<{ root: string; model: string }> {
  await Store.init(root);
  const model = path.join(root, 'model.safetensors');
  await writeSafetensors(model, [{ name: 'w', dtype: 'F32', shape: [4096], data: gaussianF32(4096, rng(1)) }]);
  return { root, model };
}

describe('job progress and results', () => {
  it('a repair job runs in a job process; while it writes, no other writer starts', async () => {
    const { runner } = trackedRunner();
    const { root, model } = await smallStore();
    await commit(await Store.open(root), model, { message: 'a' });
    const jobId = runner.start(root, { kind: 'repair', dryRun: false });
    expect(() => runner.start(root, { kind: 'cleanup' })).toThrow(expect.objectContaining({ code: 'LOCKED', message: expect.stringMatching(/a repair job .* is already writing/) }));
    const final = await runner.wait(jobId);
    expect(final).toMatchObject({ state: 'done', kind: 'repair', result: { kind: 'repair', value: { dryRun: false, ok: true, commits: [{ outcome: 'intact' }] } } });
  });

  it('runs a commit in a job process and reports running → progress → done with the commit', async () => {
    const { runner, procs } = trackedRunner({ progressIntervalMs: 50 });
    const events = new Recorder<JobEvent>();
    runner.on(events.push);
    const { root } = await smallStore();
    const model = path.join(root, 'big.safetensors');
    await writeBigModel(model, 48);

    const jobId = runner.start(root, { kind: 'commit', path: model, message: 'first', checkpoint: false });
    const done = await events.waitFor(finalOf(jobId));
    expect(done.state).toBe('done');
    expect(done.result?.kind).toBe('commit');
    expect(procs[0]!.pid).not.toBe(process.pid); // it ran elsewhere

    const mine = events.seen.filter((e) => e.jobId === jobId);
    expect(mine[0]).toMatchObject({ state: 'running', kind: 'commit' });
    const progress = mine.filter((e) => e.progress);
    expect(progress.length).toBeGreaterThan(1);
    for (const p of progress) expect(p.progress!.bytesDone).toBeLessThanOrEqual(p.progress!.bytesTotal);
    // Throttled: never two progress events of one job closer than the interval allows in bulk.
    expect(progress.length).toBeLessThan(200);

    const entries = await log(await Store.open(root));
    expect(entries.map((e) => e.id)).toContain((done.result!.value as { id: string }).id);
  });

  it('a failing job reports the core error as it is (code and message)', async () => {
    const { runner } = trackedRunner();
    const { root } = await smallStore();
    const jobId = runner.start(root, { kind: 'commit', path: path.join(root, 'nope.safetensors'), message: '', checkpoint: false });
    const final = await runner.wait(jobId);
    expect(final.state).toBe('failed');
    expect(final.error?.code).toBe('NOT_FOUND');
    expect(final.error?.message).toContain('nope.safetensors');
  });

  it('verify and diff run as read-only jobs', async () => {
    const { runner } = trackedRunner();
    const { root, model } = await smallStore();
    const store = await Store.open(root);
    const a = await commit(store, model, { message: 'a' });
    await writeSafetensors(model, [{ name: 'w', dtype: 'F32', shape: [4096], data: gaussianF32(4096, rng(2)) }]);
    const b = await commit(store, model, { message: 'b' });
    const v = await runner.wait(runner.start(root, { kind: 'verify' }));
    expect(v).toMatchObject({ state: 'done', result: { kind: 'verify', value: { ok: true } } });
    const d = await runner.wait(runner.start(root, { kind: 'diff', from: a.id, to: b.id }));
    expect(d.state).toBe('done');
    expect(d.result?.kind).toBe('diff');
  });
});

describe('cancel, crash and one writer at a time (a 200 MiB commit)', () => {
  let root: string;
  let big: string;
  let before: string[];
  let commitsBefore: string[];

  beforeAll(async () => {
    // Shared by the tests below (each leaves it as it found it), so not a per-test scratch folder.
    ({ root } = await smallStore(await fs.mkdtemp(path.join(os.tmpdir(), 'wl-jobs-'))));
    const store = await Store.open(root);
    await commit(store, path.join(root, 'model.safetensors'), { message: 'small' });
    big = path.join(root, 'big.safetensors');
    await writeBigModel(big, 200);
    await commit(store, big, { message: 'big v1' });
    await writeBigModel(big, 200, 2); // a new version: the next commit has 400 MiB of reading and diffing to do
    commitsBefore = (await log(await Store.open(root))).map((e) => e.id);
    // After the log: reading it writes the derived log index, which is then part of "as before".
    before = await storeFiles(root);
  }, 120_000);
  afterAll(async () => { await fs.rm(root, { recursive: true, force: true }); });

  const unchanged = async (): Promise<void> => {
    expect((await log(await Store.open(root))).map((e) => e.id)).toEqual(commitsBefore);
    expect(await storeFiles(root)).toEqual(before); // no new objects, no temp files, no lock
  };

  it('cancel mid-commit: a cancelled event, and the store exactly as before', async () => {
    const { runner } = trackedRunner();
    const events = new Recorder<JobEvent>();
    runner.on(events.push);
    const jobId = runner.start(root, { kind: 'commit', path: big, message: 'cancel me', checkpoint: false });
    await events.waitFor(progressOf(jobId), 30_000, 'first progress');
    expect(runner.cancel(jobId)).toBe(true);
    const final = await events.waitFor(finalOf(jobId));
    expect(final.state).toBe('cancelled');
    expect(final.error?.code).toBe('CANCELLED');
    // It stopped by itself (the AbortSignal), not by the kill after the grace period.
    expect(final.error?.message).toMatch(/the commit was cancelled; the store is unchanged/);
    await unchanged();
    expect(runner.cancel(jobId)).toBe(false); // already over
  });

  it('a cancelled job that does not stop in time is killed, and the store is still exactly as before', async () => {
    const { runner } = trackedRunner({ cancelGraceMs: 0 });
    const events = new Recorder<JobEvent>();
    runner.on(events.push);
    const jobId = runner.start(root, { kind: 'commit', path: big, message: 'kill me', checkpoint: false });
    await events.waitFor(progressOf(jobId), 30_000, 'first progress');
    runner.cancel(jobId);
    const final = await events.waitFor(finalOf(jobId));
    expect(final).toMatchObject({ state: 'cancelled', error: { code: 'CANCELLED' } });
    expect(final.error?.message).toMatch(/process was stopped/);
    await unchanged();
  });

  it('a job process killed (SIGKILL) mid-commit: a failed event with the reason; the store verifies clean; the next job works', async () => {
    const { runner, procs } = trackedRunner();
    const events = new Recorder<JobEvent>();
    runner.on(events.push);
    const jobId = runner.start(root, { kind: 'commit', path: big, message: 'killed', checkpoint: false });
    await events.waitFor(progressOf(jobId), 30_000, 'first progress');
    process.kill(procs[0]!.pid!, 'SIGKILL');
    const final = await events.waitFor(finalOf(jobId));
    expect(final.state).toBe('failed');
    expect(final.error?.code).toBe('JOB_CRASHED');
    expect(final.error?.message).toMatch(/commit job process was killed \(SIGKILL/);
    expect(final.error?.message).toMatch(/store is still valid/);
    expect(final.progress?.bytesDone).toBeGreaterThan(0); // how far it got

    // The runner took the dead writer's lock over, which swept its temp files.
    await unchanged();
    const store = await Store.open(root);
    expect((await verify(store)).ok).toBe(true);
    const again = await runner.wait(runner.start(root, { kind: 'verify' }));
    expect(again).toMatchObject({ state: 'done', result: { value: { ok: true } } });
  });

  it('one writing job at a time; a read-only job runs beside it', async () => {
    const { runner } = trackedRunner();
    const events = new Recorder<JobEvent>();
    runner.on(events.push);
    const writer = runner.start(root, { kind: 'commit', path: big, message: 'busy', checkpoint: false });
    expect(() => runner.start(root, { kind: 'restore', commit: commitsBefore[0]!, force: false, link: 'auto' })).toThrow(/already writing/);
    expect(() => runner.start(root, { kind: 'cleanup' })).toThrow(expect.objectContaining({ code: 'LOCKED' }));
    const reader = runner.start(root, { kind: 'diff', from: commitsBefore[1]!, to: commitsBefore[0]! });
    expect((await runner.wait(reader)).state).toBe('done');
    // A repair writes (it moves and rebuilds objects); its dry run only reads, so it runs beside the writer.
    expect(() => runner.start(root, { kind: 'repair', dryRun: false })).toThrow(expect.objectContaining({ code: 'LOCKED', message: expect.stringMatching(/before starting a repair/) }));
    const dry = await runner.wait(runner.start(root, { kind: 'repair', dryRun: true }));
    expect(dry).toMatchObject({ state: 'done', result: { kind: 'repair', value: { dryRun: true, ok: true, quarantined: [], rebuilt: [] } } });
    runner.cancel(writer);
    expect((await runner.wait(writer)).state).toBe('cancelled');
    await unchanged();
  });
});
