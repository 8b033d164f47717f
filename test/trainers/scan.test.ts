import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanRun } from '../../src-main/core/trainers/recognize';
import { copyRun, tempDir, TRAINER_FIXTURES } from './helpers';

const at = (run: string): string => join(TRAINER_FIXTURES, run);

async function summary(dir: string): Promise<{ layout: string | null; rows: string[] }> {
  const s = await scanRun(dir);
  return { layout: s.layout, rows: s.checkpoints.map((c) => `${c.name} ${c.layout} ${c.kind} step=${c.step} rewritten=${c.rewritten}`) };
}

describe('scanRun on each trainer layout', () => {
  it('HF Trainer: checkpoint-<step> folders, ordered by step (5 before 10, not as text)', async () => {
    const s = await scanRun(at('hf'));
    expect(s.layout).toBe('hf-trainer');
    expect(s.checkpoints.map((c) => c.name)).toEqual(['checkpoint-5', 'checkpoint-10', 'checkpoint-15']);
    const first = s.checkpoints[0]!;
    expect(first).toMatchObject({ kind: 'folder', step: 5, order: 5, rewritten: false, path: join(at('hf'), 'checkpoint-5') });
    expect(first.files.map((f) => f.slice(first.path.length + 1))).toEqual([
      'config.json', 'model.safetensors', 'optimizer.pt', 'rng_state.pth', 'scheduler.pt', 'trainer_state.json', 'training_args.bin',
    ]);
  });

  it('HF Trainer sharded: the shards and their index are files of the folder', async () => {
    const s = await scanRun(at('hf-sharded'));
    expect(s.checkpoints.map((c) => c.name)).toEqual(['checkpoint-5', 'checkpoint-10', 'checkpoint-15']);
    const names = s.checkpoints[2]!.files.map((f) => f.split('/').pop());
    expect(names).toContain('model-00001-of-00002.safetensors');
    expect(names).toContain('model-00002-of-00002.safetensors');
    expect(names).toContain('model.safetensors.index.json');
  });

  it('Lightning: key=value names by step, last.ckpt last and rewritten', async () => {
    expect(await summary(at('lightning'))).toEqual({
      layout: 'lightning',
      rows: [
        'epoch=0-step=5-val_loss=1.14.ckpt lightning file step=5 rewritten=false',
        'epoch=1-step=10-val_loss=1.19.ckpt lightning file step=10 rewritten=false',
        'epoch=2-step=15-val_loss=1.30.ckpt lightning file step=15 rewritten=false',
        'last.ckpt lightning file step=null rewritten=true',
      ],
    });
  });

  it('Keras: .weights.h5 and .keras files by epoch', async () => {
    expect((await summary(at('keras'))).rows).toEqual([
      'weights.01-1.14.weights.h5 keras file step=null rewritten=false',
      'weights.02-1.19.weights.h5 keras file step=null rewritten=false',
      'weights.03-1.30.weights.h5 keras file step=null rewritten=false',
    ]);
    const zips = await scanRun(at('keras-zip'));
    expect(zips.layout).toBe('keras');
    expect(zips.checkpoints.map((c) => [c.name, c.order])).toEqual([['weights.01-1.14.keras', 1], ['weights.02-1.19.keras', 2], ['weights.03-1.30.keras', 3]]);
  });

  it('TF CheckpointManager: one "files" checkpoint per prefix, path = the prefix, the state file is not one', async () => {
    const s = await scanRun(at('tf'));
    expect(s.layout).toBe('tf-checkpoint');
    expect(s.checkpoints.map((c) => [c.name, c.kind, c.order, c.path])).toEqual([
      ['ckpt-1', 'files', 1, join(at('tf'), 'ckpt-1')],
      ['ckpt-2', 'files', 2, join(at('tf'), 'ckpt-2')],
      ['ckpt-3', 'files', 3, join(at('tf'), 'ckpt-3')],
    ]);
    expect(s.checkpoints[0]!.files).toEqual([join(at('tf'), 'ckpt-1.data-00000-of-00001'), join(at('tf'), 'ckpt-1.index')]);
  });

  it('plain files: numbered names by step; the sidecars are not checkpoints', async () => {
    expect(await summary(at('plain-numbered'))).toEqual({
      layout: 'plain',
      rows: [
        'step_5.safetensors plain file step=5 rewritten=false',
        'step_10.safetensors plain file step=10 rewritten=false',
        'step_15.safetensors plain file step=15 rewritten=false',
      ],
    });
  });

  it('a plain file with a fixed name is rewritten in place', async () => {
    expect(await summary(at('plain-inplace'))).toEqual({ layout: 'plain', rows: ['model.pt plain file step=null rewritten=true'] });
  });
});

describe('scanRun leaves out what is not a checkpoint', () => {
  it('ignores scratch names trainers write while saving, dot-files and the store', async () => {
    const dir = copyRun('hf');
    const before = await summary(dir);
    mkdirSync(join(dir, 'tmp-checkpoint-20'));
    writeFileSync(join(dir, 'tmp-checkpoint-20', 'model.safetensors'), 'x');
    mkdirSync(join(dir, '.weightline'));
    writeFileSync(join(dir, '.hidden.pt'), 'x');
    writeFileSync(join(dir, 'model.pt.tmp'), 'x');
    writeFileSync(join(dir, 'tmpab12cd34'), 'x');
    writeFileSync(join(dir, 'notes.txt'), 'x');
    // save_model()'s final copy in output_dir itself, beside the checkpoint folders
    writeFileSync(join(dir, 'model.safetensors'), 'x');
    expect(await summary(dir)).toEqual(before);
  });

  it('ignores TF staging folders and data shards staged there', async () => {
    const dir = copyRun('tf');
    const before = await summary(dir);
    mkdirSync(join(dir, 'ckpt-4_temp'));
    writeFileSync(join(dir, 'ckpt-4_temp', 'part-00000-of-00001.data-00000-of-00001'), 'x');
    writeFileSync(join(dir, 'checkpoint.tmp0123abcd'), 'x');
    expect(await summary(dir)).toEqual(before);
  });

  it('a TF prefix with data but no index yet is listed (and will wait), an .index alone is not TensorFlow', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'ckpt-9.data-00000-of-00001'), 'x');
    writeFileSync(join(dir, 'words.index'), 'x');
    const s = await scanRun(dir);
    expect(s.checkpoints.map((c) => [c.name, c.kind])).toEqual([['ckpt-9', 'files']]);
  });

  it('skips size shards at the top level and a last.ckpt that is a symlink to a top-k file', async () => {
    const dir = copyRun('lightning');
    writeFileSync(join(dir, 'model-00001-of-00002.safetensors'), 'x');
    const before = (await summary(dir)).rows.filter((r) => !r.startsWith('last.ckpt'));
    const { rmSync } = await import('node:fs');
    rmSync(join(dir, 'last.ckpt'));
    symlinkSync('epoch=2-step=15-val_loss=1.30.ckpt', join(dir, 'last.ckpt'));
    expect((await summary(dir)).rows).toEqual(before);
  });

  it('a folder that does not exist (yet) has no layout and no checkpoints', async () => {
    expect(await scanRun(join(tempDir(), 'not-there'))).toEqual({ layout: null, checkpoints: [] });
  });
});
