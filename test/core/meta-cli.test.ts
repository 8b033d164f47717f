// Step, epoch and metrics from the command line: `commit --step/--epoch/--metric`
// writes them into the manifest's meta block; log shows a compact column,
// show every field, --json the block as is; a bad value is bad usage naming its flag.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliOk as ok, cliRun as run } from '../helpers/cli';
import { formatShow, metaColumn } from '../../src-main/cli/format';
import type { LogEntry, ShowResult } from '../../src-shared/model';
import { gaussianF32, nudgeF32, rng, useScratch, writeSafetensors } from '../helpers/models';

const scratch = useScratch();

async function store(): Promise<{ dir: string; write: (seed: number) => Promise<void> }> {
  const dir = scratch();
  const w = gaussianF32(4096, rng(1));
  await ok(dir, 'init');
  return { dir, write: (seed) => writeSafetensors(path.join(dir, 'model.safetensors'), [{ name: 'w', dtype: 'F32', shape: [64, 64], data: seed === 0 ? w : nudgeF32(w, rng(seed)) }]) };
}

describe('commit --step --epoch --metric', () => {
  it('records step, epoch and metrics in the manifest; log, show and --json show them', async () => {
    const { dir, write } = await store();
    await write(0);
    await ok(dir, 'commit', 'model.safetensors', '-m', 'plain');
    await write(1);
    const { id } = await ok<{ id: string }>(dir, 'commit', 'model.safetensors', '-m', 'epoch 3', '--step', '1200', '--epoch', '3', '--metric', 'eval_loss=0.41', '--metric', 'acc=0.9', '--json');

    const manifest = JSON.parse(await fs.readFile(path.join(dir, '.weightline', 'commits', `${id}.json`), 'utf8')) as { meta?: unknown };
    expect(manifest.meta).toEqual({ step: 1200, epoch: 3, metrics: { eval_loss: 0.41, acc: 0.9 } });

    const log = await ok<LogEntry[]>(dir, 'log', '--json');
    expect(log[0]!.meta).toEqual({ step: 1200, epoch: 3, metrics: { eval_loss: 0.41, acc: 0.9 } });
    expect(log[1]!.meta).toBeUndefined();
    const text = (await ok(dir, 'log')).split('\n');
    // The stat line under the commit carries the column; the plain commit's has none (its other columns unchanged).
    expect(text[1]).toMatch(/ · step 1200 · epoch 3 · eval_loss 0\.41 · acc 0\.9$/);
    expect(text[3]).not.toMatch(/step/);
    expect(text[3]).toMatch(/KB · full [\d.]+ KB · [^·]+$/);

    const show = await ok<ShowResult>(dir, 'show', '--json');
    expect(show.meta).toEqual({ step: 1200, epoch: 3, metrics: { eval_loss: 0.41, acc: 0.9 } });
    const shown = await ok(dir, 'show');
    expect(shown).toMatch(/^step {5}1200$/m);
    expect(shown).toMatch(/^epoch {4}3$/m);
    expect(shown).toMatch(/^metrics {2}eval_loss 0\.41, acc 0\.9$/m);
    expect(await ok(dir, 'show', 'HEAD~1')).not.toMatch(/^(step|metrics) /m);
  });

  it('a bad --step, --epoch or --metric is bad usage naming the flag, and commits nothing', async () => {
    const { dir, write } = await store();
    await write(0);
    const cases: Array<[string[], RegExp]> = [
      [['--metric', 'eval_loss'], /^--metric expected NAME=NUMBER/],
      [['--metric', 'eval_loss=abc'], /^--metric expected a finite number after "eval_loss="/],
      [['--metric', 'eval_loss=Infinity'], /^--metric expected a finite number/],
      [['--metric', '=3'], /^--metric expected NAME=NUMBER/],
      [['--metric', 'a=1', '--metric', 'a=2'], /^--metric a is given twice/],
      [['--step', '-1'], /^--step takes a whole number/],
      [['--step', '1.5'], /^--step takes a whole number/],
      [['--step', 'x'], /^--step takes a whole number/],
      [['--epoch', '-2'], /^--epoch takes a number, 0 or more/],
      [['--epoch', 'three'], /^--epoch takes a number/],
    ];
    for (const [flags, want] of cases) {
      const r = await run(dir, 'commit', 'model.safetensors', ...flags, '--json');
      expect(r.code, flags.join(' ')).toBe(2);
      const err = (JSON.parse(r.stderr.trim()) as { error: { code: string; message: string } }).error;
      expect(err.code, flags.join(' ')).toBe('BAD_USAGE');
      expect(err.message, flags.join(' ')).toMatch(want);
    }
    expect(await fs.readdir(path.join(dir, '.weightline', 'commits'))).toEqual([]);
    // Fractional epochs are epochs (a trainer saving mid-epoch).
    await ok(dir, 'commit', 'model.safetensors', '--epoch', '2.5', '--step', '0');
    expect((await ok<LogEntry[]>(dir, 'log', '--json'))[0]!.meta).toEqual({ step: 0, epoch: 2.5 });
  });

  it('show prints a trainer\'s fields; the log column keeps three metrics and counts the rest', () => {
    const meta = { step: 50, metrics: { a: 1, b: 0.123456, c: 1234567, d: 4 }, trainer: 'hf-trainer', run: 'out', checkpoint: 'checkpoint-50', trainerBest: 'checkpoint-40', trainerBestMetric: 'eval_loss' };
    expect(metaColumn(meta)).toBe('step 50 · a 1 · b 0.1235 · c 1.23e+6 · +1 more');
    expect(metaColumn(undefined)).toBe('');
    const s = { id: 'a'.repeat(64), parent: null, type: 'CHECKPOINT', message: 'm', createdAt: new Date().toISOString(), logicalBytes: 1, fullBytes: 1, deltaBytes: 0, path: 'out/checkpoint-50', hasFull: true, chainLength: 0, pinned: false, meta, files: [] } as unknown as ShowResult;
    const text = formatShow(s, null, false);
    for (const line of ['step     50', 'metrics  a 1, b 0.1235, c 1.23e+6, d 4', 'trainer  hf-trainer', 'run      out', 'checkpoint checkpoint-50', "trainer's best checkpoint-40 (by eval_loss)"]) {
      expect(text.split('\n')).toContain(line);
    }
  });
});
