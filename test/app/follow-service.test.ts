// The main side while a run is followed: the watch job runs on (it keeps no
// store), and each commit it makes reaches the app as a storeChanged event
// with the list already holding it; a tag written by another process changes
// the store's signature; a watch is given an absolute folder.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobEvent } from '../../src-shared/contract';
import type { LogEntry } from '../../src-shared/model';
import { ApiService } from '../../src-main/app/api-service';
import { signature } from '../../src-main/app/store-watcher';
import { finalOf, Recorder } from '../helpers/app';
import { gaussianF32, useScratch, writeSafetensors } from '../helpers/models';
import { rng } from '../../src-shared/seeded-random';

const scratch = useScratch();
const services: ApiService[] = [];
afterEach(async () => {
  for (const s of services.splice(0)) await s.dispose();
});

async function opened(): Promise<{ service: ApiService; root: string }> {
  const service = new ApiService({ configDir: scratch(), pollMs: 200 });
  services.push(service);
  const root = scratch();
  const made = await service.call('store.create', { path: root });
  if (!made.ok) throw new Error(made.error.message);
  return { service, root };
}

/** An HF Trainer save: the weights, then trainer_state.json (its completion sign). */
async function hfSave(run: string, step: number, evalLoss: number, seed: number): Promise<void> {
  const dir = path.join(run, `checkpoint-${step}`);
  await writeSafetensors(path.join(dir, 'model.safetensors'), [{ name: 'w', dtype: 'F32', shape: [256], data: gaussianF32(256, rng(seed)) }]);
  await fs.writeFile(path.join(dir, 'trainer_state.json'), JSON.stringify({ global_step: step, epoch: step / 100, log_history: [{ eval_loss: evalLoss, step }] }));
}

describe('following a run from the app', () => {
  it('each checkpoint committed reaches the app while the watch job still runs; cancel ends it', async () => {
    const { service, root } = await opened();
    const run = path.join(root, 'runs', 'a');
    await fs.mkdir(run, { recursive: true });
    const jobs = new Recorder<JobEvent>();
    const changes = new Recorder<{ root: string }>();
    service.on('job', jobs.push);
    service.on('storeChanged', changes.push);
    const started = await service.call('jobs.start', { kind: 'watch', dir: run });
    if (!started.ok) throw new Error(started.error.message);
    const { jobId } = started.value as { jobId: string };

    for (const [i, loss] of [0.9, 0.4].entries()) {
      const seen = changes.seen.length;
      await hfSave(run, (i + 1) * 100, loss, i + 1);
      // The list is read again on each storeChanged, as the renderer does, until it holds the new commit.
      let list: readonly LogEntry[] = [];
      for (let k = 0; list.length < i + 1; k++) {
        await changes.waitFor(() => changes.seen.length > seen + k, 30_000, `storeChanged ${k + 1} after checkpoint ${i + 1}`);
        const answer = await service.call('commits.list', {});
        if (!answer.ok) throw new Error(answer.error.message);
        list = (answer.value as { commits: readonly LogEntry[] }).commits;
      }
      expect(list[0]!.meta).toMatchObject({ step: (i + 1) * 100, metrics: { eval_loss: loss } });
      expect(jobs.seen.some(finalOf(jobId))).toBe(false);
    }
    const running = await service.call('jobs.list', {});
    expect(running.ok && (running.value as JobEvent[]).some((e) => e.jobId === jobId && e.state === 'running')).toBe(true);
    await service.call('jobs.cancel', { jobId });
    const end = await jobs.waitFor(finalOf(jobId), 30_000, 'the watch job ending');
    expect(end.state === 'cancelled' || (end.state === 'done' && end.result?.kind === 'watch' && end.result.value.stopped === 'cancelled')).toBe(true);
  });

  it('refuses a watch of a relative folder, saying so', async () => {
    const { service } = await opened();
    const r = await service.call('jobs.start', { kind: 'watch', dir: 'runs/a' });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatchObject({ code: 'BAD_USAGE', message: 'jobs.start: dir: expected an absolute path, got "runs/a"' });
  });

  it("a tag set by another process changes the store's signature", async () => {
    const { root } = await opened();
    const dir = path.join(root, '.weightline');
    const state = { polls: 0 };
    const before = await signature(dir, state);
    await fs.writeFile(path.join(dir, 'tags.json'), JSON.stringify({ version: 1, tags: {} }));
    expect(await signature(dir, state)).not.toBe(before);
  });
});
