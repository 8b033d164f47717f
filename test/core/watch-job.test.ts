// watch as the app's "Follow a run…" job: the real job process, following
// until cancelled, its live status line arriving as progress detail.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JobEvent } from '../../src-shared/contract';
import { Store } from '../../src-main/core/store/store';
import { finalOf, Recorder, trackedRunner } from '../helpers/app';
import { gaussianF32, rng, safetensorsBytes, useScratch } from '../helpers/models';

const scratch = useScratch();

describe('the watch job', () => {
  it('follows a run in a job process, says what it committed in its progress line, and stops when cancelled, its result naming each checkpoint', async () => {
    const root = scratch();
    await Store.init(root);
    const run = path.join(root, 'runs', 'a');
    await fs.mkdir(run, { recursive: true });
    const { runner } = trackedRunner({ progressIntervalMs: 20 });
    const events = new Recorder<JobEvent>();
    runner.on(events.push);
    const jobId = runner.start(root, { kind: 'watch', dir: run, then: 'keep', keepNewest: 1, once: false });
    const r = rng(1);
    await fs.writeFile(path.join(run, 'step_100-eval_loss=0.41.safetensors'), safetensorsBytes([{ name: 'w', dtype: 'F32', shape: [1000], data: gaussianF32(1000, r) }]));
    const line = await events.waitFor((e) => e.jobId === jobId && /1 committed/.test(e.progress?.detail ?? ''), 60_000, 'a progress line saying 1 committed');
    expect(line.progress).toMatchObject({ phase: 'following', bytesDone: 1, bytesTotal: 1 });
    expect(line.progress!.detail).toMatch(/^following runs\/a: 1 committed, 0 settling, 0 behind; last step_100-eval_loss=0\.41\.safetensors \(step 100, eval_loss 0\.41\)$/);
    runner.cancel(jobId);
    const done = await events.waitFor(finalOf(jobId), 60_000, 'the job to end');
    // Asked to stop, it stops on its own: its result says what it did.
    expect(done.state).toBe('done');
    expect(done.result).toMatchObject({ kind: 'watch', value: { stopped: 'cancelled', checkpoints: [{ checkpoint: 'step_100-eval_loss=0.41.safetensors' }] } });
    expect(await fs.readdir(path.join(root, '.weightline', 'staging'))).toEqual([]);
  }, 90_000);
});
