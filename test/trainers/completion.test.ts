import { copyFileSync, readFileSync, rmSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CheckpointFound } from '../../src-main/core/trainers/checkpoint';
import { checkFile } from '../../src-main/core/trainers/file-complete';
import { checkpointComplete, scanRun } from '../../src-main/core/trainers/recognize';
import { copyRun, RUNS, tempDir, TRAINER_FIXTURES } from './helpers';

async function find(dir: string, name: string): Promise<CheckpointFound> {
  const c = (await scanRun(dir)).checkpoints.find((x) => x.name === name);
  if (!c) throw new Error(`expected a checkpoint named ${name} in ${dir}`);
  return c;
}

/** Sets every file of the run to one time, then the named checkpoint's files to a later one. */
function ages(dir: string, files: Record<string, number>): void {
  for (const [rel, seconds] of Object.entries(files)) utimesSync(join(dir, rel), seconds, seconds);
}

describe('every fixture checkpoint is complete', () => {
  for (const run of RUNS) {
    it(run, async () => {
      const dir = join(TRAINER_FIXTURES, run);
      const s = await scanRun(dir);
      expect(s.checkpoints.length).toBeGreaterThan(0);
      for (const c of s.checkpoints) expect(await checkpointComplete(c, dir), c.name).toEqual({ state: 'complete' });
    });
  }
});

/** Files whose own structure has an end sign, one per format. */
const STRUCTURED = [
  ['safetensors', 'plain-numbered/step_10.safetensors'],
  ['torch zip (.pt)', 'plain-inplace/model.pt'],
  ['Lightning .ckpt', 'lightning/epoch=1-step=10-val_loss=1.19.ckpt'],
  ['HDF5 .weights.h5', 'keras/weights.02-1.19.weights.h5'],
  ['Keras .keras zip', 'keras-zip/weights.02-1.19.keras'],
  ['HF optimizer.pt', 'hf/checkpoint-10/optimizer.pt'],
] as const;

describe('a file cut anywhere is never complete', () => {
  it('safetensors: every cut point', async () => {
    const src = join(TRAINER_FIXTURES, 'plain-numbered/step_10.safetensors');
    const size = readFileSync(src).length;
    const path = join(tempDir(), 'step_10.safetensors');
    copyFileSync(src, path);
    expect(await checkFile(path, 'step_10.safetensors')).toEqual({ ok: true });
    // From the whole file down to nothing, one byte at a time.
    for (let cut = size - 1; cut >= 0; cut--) {
      truncateSync(path, cut);
      const r = await checkFile(path, 'step_10.safetensors');
      expect(r.ok, `cut at ${cut} of ${size}`).toBe(false);
    }
  });

  for (const [what, rel] of STRUCTURED) {
    it(`${what}: every cut in the last 512 bytes (its end records) and random cuts before`, async () => {
      const src = join(TRAINER_FIXTURES, rel);
      const bytes = readFileSync(src);
      const name = rel.split('/').pop()!;
      const path = join(tempDir(), name);
      writeFileSync(path, bytes);
      expect(await checkFile(path, name)).toEqual({ ok: true });
      for (let cut = bytes.length - 1; cut >= Math.max(0, bytes.length - 512); cut--) {
        truncateSync(path, cut);
        expect((await checkFile(path, name)).ok, `${name} cut at ${cut} of ${bytes.length}`).toBe(false);
      }
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: bytes.length - 1 }), async (cut) => {
          writeFileSync(path, bytes.subarray(0, cut));
          return !(await checkFile(path, name)).ok;
        }),
        { numRuns: 150 },
      );
    });
  }

  it('HDF5 written out of order: the data at its end but no superblock yet (h5py writes it last) is not complete', async () => {
    const bytes = Buffer.from(readFileSync(join(TRAINER_FIXTURES, 'keras/weights.01-1.14.weights.h5')));
    bytes.fill(0, 0, 96);
    const path = join(tempDir(), 'w.weights.h5');
    writeFileSync(path, bytes);
    expect(await checkFile(path, 'w.weights.h5')).toEqual({ ok: false, short: true, why: expect.stringMatching(/no HDF5 superblock yet/u) as unknown });
  });

  it('a file being appended to in place (a write not yet finished, then finished) turns complete only at its last byte', async () => {
    const bytes = readFileSync(join(TRAINER_FIXTURES, 'lightning/last.ckpt'));
    const path = join(tempDir(), 'last.ckpt');
    const h = await open(path, 'w');
    try {
      const step = Math.ceil(bytes.length / 7);
      for (let at = 0; at < bytes.length; at += step) {
        await h.write(bytes, at, Math.min(step, bytes.length - at), at);
        const done = at + step >= bytes.length;
        expect((await checkFile(path, 'last.ckpt')).ok, `after ${Math.min(at + step, bytes.length)} bytes`).toBe(done);
      }
    } finally {
      await h.close();
    }
  });
});

describe('HF Trainer folders', () => {
  it('without trainer_state.json: writing, waiting for it', async () => {
    const dir = copyRun('hf');
    rmSync(join(dir, 'checkpoint-15', 'trainer_state.json'));
    const r = await checkpointComplete(await find(dir, 'checkpoint-15'), dir);
    expect(r.state).toBe('writing');
    expect(r.state === 'writing' && r.waitingFor).toMatch(/checkpoint-15\/trainer_state\.json/u);
  });

  it('trainer_state.json cut mid-write: writing', async () => {
    const dir = copyRun('hf');
    const p = join(dir, 'checkpoint-15', 'trainer_state.json');
    writeFileSync(p, readFileSync(p).subarray(0, 100));
    expect((await checkpointComplete(await find(dir, 'checkpoint-15'), dir)).state).toBe('writing');
  });

  it('a sharded folder missing a shard its index names: writing', async () => {
    const dir = copyRun('hf-sharded');
    rmSync(join(dir, 'checkpoint-15', 'model-00002-of-00002.safetensors'));
    const r = await checkpointComplete(await find(dir, 'checkpoint-15'), dir);
    expect(r).toEqual({ state: 'writing', waitingFor: expect.stringMatching(/model-00002-of-00002\.safetensors/u) as unknown });
  });

  it('a cut weights file is writing while it is the newest, corrupt once a newer checkpoint is complete', async () => {
    const dir = copyRun('hf');
    const weights = join(dir, 'checkpoint-10', 'model.safetensors');
    truncateSync(weights, 1000);
    const t0 = 1_700_000_000;
    // checkpoint-15 older than the cut one: nothing newer is complete
    for (const f of ['config.json', 'model.safetensors', 'optimizer.pt', 'rng_state.pth', 'scheduler.pt', 'trainer_state.json', 'training_args.bin']) {
      ages(dir, { [`checkpoint-5/${f}`]: t0, [`checkpoint-15/${f}`]: t0 + 1, [`checkpoint-10/${f}`]: t0 + 2 });
    }
    expect((await checkpointComplete(await find(dir, 'checkpoint-10'), dir)).state).toBe('writing');
    // the trainer moved on: checkpoint-15 written after it and complete
    for (const f of ['config.json', 'model.safetensors', 'optimizer.pt', 'rng_state.pth', 'scheduler.pt', 'trainer_state.json', 'training_args.bin']) {
      ages(dir, { [`checkpoint-15/${f}`]: t0 + 3 });
    }
    const r = await checkpointComplete(await find(dir, 'checkpoint-10'), dir);
    expect(r.state).toBe('corrupt');
    if (r.state !== 'corrupt') return;
    expect(r.note.code).toBe('BAD_FORMAT');
    expect(r.note.message).toMatch(/checkpoint-10 will not complete: .*model\.safetensors.*checkpoint-15/u);
    expect(r.note.files).toContain('checkpoint-10/model.safetensors');
  });
});

describe('TF CheckpointManager prefixes', () => {
  it('a prefix the state file does not name yet: writing, waiting for the state file', async () => {
    const dir = copyRun('tf');
    const state = readFileSync(join(dir, 'checkpoint'), 'utf8');
    writeFileSync(join(dir, 'checkpoint'), state.replace('model_checkpoint_path: "ckpt-3"', 'model_checkpoint_path: "ckpt-2"').replace('all_model_checkpoint_paths: "ckpt-3"\n', ''));
    const r = await checkpointComplete(await find(dir, 'ckpt-3'), dir);
    expect(r.state).toBe('writing');
    expect(r.state === 'writing' && r.waitingFor).toMatch(/`checkpoint` state file to name ckpt-3/u);
    // the older ones it still names are complete
    expect(await checkpointComplete(await find(dir, 'ckpt-2'), dir)).toEqual({ state: 'complete' });
  });

  it('an older prefix the manager dropped from its list (kept by keep_checkpoint_every_n_hours) is complete', async () => {
    const dir = copyRun('tf');
    const state = readFileSync(join(dir, 'checkpoint'), 'utf8');
    writeFileSync(join(dir, 'checkpoint'), state.replace('all_model_checkpoint_paths: "ckpt-1"\n', ''));
    expect(await checkpointComplete(await find(dir, 'ckpt-1'), dir)).toEqual({ state: 'complete' });
  });

  it('no index yet, or a data shard shorter than the index says: writing', async () => {
    const dir = copyRun('tf');
    rmSync(join(dir, 'ckpt-3.index'));
    const r = await checkpointComplete(await find(dir, 'ckpt-3'), dir);
    expect(r).toEqual({ state: 'writing', waitingFor: expect.stringMatching(/ckpt-3\.index/u) as unknown });
    truncateSync(join(dir, 'ckpt-2.data-00000-of-00001'), 100);
    expect((await checkpointComplete(await find(dir, 'ckpt-2'), dir)).state).not.toBe('complete');
  });

  it('without a state file (Checkpoint.write, no manager) the index is the sign', async () => {
    const dir = copyRun('tf');
    rmSync(join(dir, 'checkpoint'));
    expect(await checkpointComplete(await find(dir, 'ckpt-3'), dir)).toEqual({ state: 'complete' });
  });
});

describe('files rewritten in place', () => {
  it('a cut last.ckpt is writing, never corrupt, whatever else is complete', async () => {
    const dir = copyRun('lightning');
    truncateSync(join(dir, 'last.ckpt'), 500);
    utimesSync(join(dir, 'last.ckpt'), 1_700_000_000, 1_700_000_000);
    const r = await checkpointComplete(await find(dir, 'last.ckpt'), dir);
    expect(r.state).toBe('writing');
  });

  it('a numbered Lightning file cut, with a newer complete one: corrupt', async () => {
    const dir = copyRun('lightning');
    const cut = 'epoch=1-step=10-val_loss=1.19.ckpt';
    truncateSync(join(dir, cut), 4000);
    ages(dir, { [cut]: 1_700_000_000, 'epoch=2-step=15-val_loss=1.30.ckpt': 1_700_000_100, 'epoch=0-step=5-val_loss=1.14.ckpt': 1_699_999_000 });
    const r = await checkpointComplete(await find(dir, cut), dir);
    expect(r.state).toBe('corrupt');
  });
});
