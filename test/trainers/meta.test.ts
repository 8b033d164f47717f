import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commitMetaSchema } from '../../src-shared/meta';
import { metaFromStem } from '../../src-main/core/trainers/names';
import { readCheckpointMeta, scanRun } from '../../src-main/core/trainers/recognize';
import { metaFromTrainerState } from '../../src-main/core/trainers/trainer-state';
import { copyRun, fixtureManifest, RUNS, TRAINER_FIXTURES, type RunName } from './helpers';

async function metas(run: RunName, dir = join(TRAINER_FIXTURES, run)): Promise<Map<string, Awaited<ReturnType<typeof readCheckpointMeta>>>> {
  const out = new Map<string, Awaited<ReturnType<typeof readCheckpointMeta>>>();
  for (const c of (await scanRun(dir)).checkpoints) out.set(c.name, await readCheckpointMeta(c, dir));
  return out;
}

/** The writer's own record of the last save under each name. */
function written(run: RunName): Map<string, ReturnType<typeof fixtureManifest>[number]> {
  return new Map(fixtureManifest(run).map((e) => [e.name, e]));
}

describe('meta from each layout, against what the writer recorded', () => {
  it('HF Trainer: step, epoch and the latest of each logged metric from trainer_state.json; the best folder and its metric', async () => {
    for (const run of ['hf', 'hf-sharded'] as const) {
      const got = await metas(run);
      expect([...got.keys()]).toEqual(['checkpoint-5', 'checkpoint-10', 'checkpoint-15']);
      for (const [name, w] of written(run)) {
        expect(got.get(name), `${run}/${name}`).toEqual({
          trainer: 'hf-trainer', step: w.step, epoch: w.epoch, metrics: w.metrics,
          // eval_loss rose after the first save in this run, so checkpoint-5 stays the best
          trainerBest: 'checkpoint-5', trainerBestMetric: 'eval_loss',
        });
      }
    }
  });

  it('Lightning: epoch, step and val_loss from the name; the best file and the monitored metric from the .ckpt itself', async () => {
    const got = await metas('lightning');
    const w = written('lightning');
    for (const name of ['epoch=0-step=5-val_loss=1.14.ckpt', 'epoch=1-step=10-val_loss=1.19.ckpt', 'epoch=2-step=15-val_loss=1.30.ckpt']) {
      const e = w.get(name)!;
      expect(got.get(name)).toEqual({
        trainer: 'lightning', step: e.step, epoch: e.epoch, metrics: e.metrics,
        trainerBest: 'epoch=0-step=5-val_loss=1.14.ckpt', trainerBestMetric: 'val_loss',
      });
    }
    // last.ckpt's name says nothing; its own global_step and epoch do
    expect(got.get('last.ckpt')).toEqual({
      trainer: 'lightning', step: 15, epoch: 2, trainerBest: 'epoch=0-step=5-val_loss=1.14.ckpt', trainerBestMetric: 'val_loss',
    });
  });

  it('Keras: the epoch after "weights." only; the unnamed number after it is no metric', async () => {
    for (const run of ['keras', 'keras-zip'] as const) {
      const got = await metas(run);
      for (const [name, w] of written(run)) expect(got.get(name)).toEqual({ trainer: 'keras', epoch: w.epoch });
    }
  });

  it('TF prefixes: ckpt-N orders but is the save counter, not a step', async () => {
    const got = await metas('tf');
    expect([...got.values()]).toEqual([{ trainer: 'tf-checkpoint' }, { trainer: 'tf-checkpoint' }, { trainer: 'tf-checkpoint' }]);
  });

  it('plain numbered files with sidecars: step, epoch and metrics from the sidecar', async () => {
    const got = await metas('plain-numbered');
    for (const [name, w] of written('plain-numbered')) {
      expect(got.get(name)).toEqual({ trainer: 'plain', step: w.step, epoch: w.epoch, metrics: w.metrics });
    }
  });

  it('a file rewritten in place: nothing from its name, everything from its sidecar', async () => {
    expect([...(await metas('plain-inplace')).values()]).toEqual([{ trainer: 'plain' }]);
    const dir = copyRun('plain-inplace');
    writeFileSync(join(dir, 'model.pt.meta.json'), JSON.stringify({ step: 40, epoch: 4, metrics: { val_loss: 0.25 }, note: 'ignored' }));
    expect([...(await metas('plain-inplace', dir)).values()]).toEqual([{ trainer: 'plain', step: 40, epoch: 4, metrics: { val_loss: 0.25 } }]);
  });

  it('every meta of every fixture passes the shared schema', async () => {
    for (const run of RUNS) for (const m of (await metas(run)).values()) expect(commitMetaSchema.safeParse(m).success, run).toBe(true);
  });
});

describe('sidecar JSON', () => {
  it('bad values are left out, good ones beside them kept', async () => {
    const dir = copyRun('plain-numbered');
    writeFileSync(
      join(dir, 'step_10.safetensors.meta.json'),
      // 1e400 parses to Infinity; "a b" and "x=y" are not metric names; a string is not a number
      '{"step": -3, "epoch": 2.5, "metrics": {"ok": 0.5, "inf": 1e400, "a b": 1, "x=y": 2, "s": "0.3", "n": null}}',
    );
    const c = (await scanRun(dir)).checkpoints.find((x) => x.name === 'step_10.safetensors')!;
    // the step falls back to the name's
    expect(await readCheckpointMeta(c, dir)).toEqual({ trainer: 'plain', step: 10, epoch: 2.5, metrics: { ok: 0.5 } });
  });

  it('a fractional or huge step is refused; a sidecar named after the stem is found too', async () => {
    const dir = copyRun('plain-numbered');
    writeFileSync(join(dir, 'step_10.safetensors.meta.json'), 'not json at all');
    writeFileSync(join(dir, 'step_10.json'), JSON.stringify({ step: 1.5, epoch: -1, metrics: { val_loss: 0.125 } }));
    const c = (await scanRun(dir)).checkpoints.find((x) => x.name === 'step_10.safetensors')!;
    expect(await readCheckpointMeta(c, dir)).toEqual({ trainer: 'plain', step: 10, metrics: { val_loss: 0.125 } });
  });

  it('forged trainer files read as no meta, never a crash: a trainer_state.json nested 500,000 deep, a sidecar over its bound', async () => {
    const dir = copyRun('hf');
    const folder = join(dir, 'checkpoint-15');
    writeFileSync(join(folder, 'trainer_state.json'), '['.repeat(500_000) + ']'.repeat(500_000));
    const scan = await scanRun(dir);
    const c = scan.checkpoints.find((x) => x.name === 'checkpoint-15')!;
    // The name still gives the step; nothing comes from the forged state file.
    expect(await readCheckpointMeta(c, dir)).toEqual({ trainer: 'hf-trainer', step: 15 });
    const plain = copyRun('plain-numbered');
    const p = (await scanRun(plain)).checkpoints[0]!;
    writeFileSync(join(plain, `${p.name}.meta.json`), JSON.stringify({ step: 1, pad: 'x'.repeat(2 * 1024 * 1024) }));
    // Over its 1 MB bound the sidecar is not read: no metrics, no epoch; the step is the name's.
    expect(await readCheckpointMeta(p, plain)).toEqual({ trainer: 'plain', step: p.step });
  });

  it('a JSON with none of step, epoch, metrics is not a sidecar', async () => {
    const dir = copyRun('plain-numbered');
    writeFileSync(join(dir, 'step_10.safetensors.meta.json'), JSON.stringify({ hidden_size: 16 }));
    writeFileSync(join(dir, 'step_10.json'), JSON.stringify({ epoch: 9 }));
    const c = (await scanRun(dir)).checkpoints.find((x) => x.name === 'step_10.safetensors')!;
    expect(await readCheckpointMeta(c, dir)).toEqual({ trainer: 'plain', step: 10, epoch: 9 });
  });
});

describe('names', () => {
  it.each([
    ['epoch=3-step=1200-val_loss=0.41', { epoch: 3, step: 1200, metrics: { val_loss: 0.41 }, number: undefined }],
    ['epoch=3-step=1200-val_loss=0.41-v1', { epoch: 3, step: 1200, metrics: { val_loss: 0.41 }, number: 1 }],
    ['epoch=0-val_acc=-1.5e-3', { epoch: 0, metrics: { val_acc: -0.0015 }, number: 3 }],
    ['weights.03-0.41', { epoch: 3, metrics: {} }],
    ['best-val_loss=0.41', { metrics: { val_loss: 0.41 } }],
    ['step_1000', { step: 1000, metrics: {}, number: 1000 }],
    ['global_step1000', { step: 1000, metrics: {}, number: 1000 }],
    ['model-step-50', { step: 50, metrics: {}, number: 50 }],
    ['epoch_7', { epoch: 7, metrics: {}, number: 7 }],
    ['ckpt-7', { metrics: {}, number: 7 }],
    ['model', { metrics: {} }],
    ['stepwise', { metrics: {} }],
  ])('%s', (stem, expected) => {
    const got = metaFromStem(stem);
    expect({ step: got.step, epoch: got.epoch, metrics: got.metrics, number: got.number }).toEqual({
      step: undefined, epoch: undefined, number: undefined, ...expected,
    });
  });
});

describe('trainer_state.json', () => {
  it('log entries after this save (a resumed run) are left out; speeds and counters are no metrics', () => {
    const m = metaFromTrainerState({
      global_step: 20, epoch: 2,
      log_history: [
        { loss: 1, step: 10, epoch: 1 },
        { eval_loss: 0.5, eval_runtime: 3, eval_samples_per_second: 10, step: 20, epoch: 2 },
        { loss: 0.2, step: 30, epoch: 3 },
        { train_loss: 0.4, total_flos: 1e15, train_runtime: 100, step: 20 },
      ],
    });
    expect(m).toEqual({ step: 20, epoch: 2, metrics: { loss: 1, eval_loss: 0.5, train_loss: 0.4 } });
  });

  it('the best metric is named only when exactly one eval value of the best step equals best_metric', () => {
    const base = { global_step: 10, best_global_step: 10, best_metric: 0.5, best_model_checkpoint: 'out/checkpoint-10/' };
    expect(metaFromTrainerState({ ...base, log_history: [{ eval_loss: 0.5, eval_acc: 0.9, step: 10 }] })).toMatchObject({
      trainerBest: 'checkpoint-10', trainerBestMetric: 'eval_loss',
    });
    expect(metaFromTrainerState({ ...base, log_history: [{ eval_loss: 0.5, eval_acc: 0.5, step: 10 }] }).trainerBestMetric).toBeUndefined();
  });

  it('fields of the wrong type are left out', () => {
    expect(metaFromTrainerState({ global_step: '10', epoch: -1, log_history: 'x', best_model_checkpoint: 3 })).toEqual({ metrics: {} });
    expect(metaFromTrainerState(null)).toEqual({ metrics: {} });
  });
});
