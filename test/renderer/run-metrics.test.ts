// The training view's rules, alone: which way a metric is better, which
// columns show, sorting with gaps, the best mark (the trainer's marker against
// the direction rule), and the chart's points on the storage bars.
import { describe, expect, it } from 'vitest';
import type { CommitMeta, LogEntry } from '../../src-shared/model';
import {
  bestMarks, bestMetric, defaultMetricColumns, formatMetric, metricDirection, metricNames, metricPoints, nextSort, runColumns, sortCommits,
} from '../../src-renderer/src/lib/run-metrics';
import { bestTitle, columnTracks } from '../../src-renderer/src/lib/run-words';
import { tagNameProblem } from '../../src-renderer/src/components/TagDialog';
import { runMetricsOf } from '../../src-renderer/src/hooks/use-run-metrics';
import { cid, entry } from './fake-api';

/** Newest first, as the list holds them: commit i was made at minute i. */
function run(metas: readonly (CommitMeta | undefined)[]): LogEntry[] {
  return metas.map((meta, i) => entry(cid(`c${i}`), { createdAt: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(), ...(meta ? { meta } : {}) })).reverse();
}

describe('metricDirection', () => {
  it('reads losses, errors, perplexity and error rates as lower-is-better, by word', () => {
    for (const n of ['eval_loss', 'val_loss', 'loss', 'train/loss', 'error_rate', 'eval_perplexity', 'eval_wer', 'val_cer', 'mse', 'val/mae']) {
      expect(metricDirection(n), n).toBe('lower');
    }
    for (const n of ['eval_accuracy', 'val_acc', 'f1', 'bleu', 'answer_f1', 'power', 'reward']) {
      expect(metricDirection(n), n).toBe('higher');
    }
  });
});

describe('columns', () => {
  const commits = run([
    { step: 1, metrics: { eval_loss: 1, learning_rate: 1e-4, eval_accuracy: 0.5, zeta: 1, eval_f1: 0.2 } },
    { step: 2, epoch: 1, metrics: { eval_loss: 0.5, learning_rate: 5e-5, eval_accuracy: 0.6, eval_f1: 0.3 } },
    undefined,
  ]);

  it('puts the names people look for first and bookkeeping last', () => {
    expect(metricNames(commits).map((n) => n.name)).toEqual(['eval_loss', 'eval_accuracy', 'eval_f1', 'zeta', 'learning_rate']);
    expect(defaultMetricColumns(metricNames(commits))).toEqual(['eval_loss', 'eval_accuracy', 'eval_f1']);
  });

  it('shows step and epoch when any commit has them, and only chosen metrics still present', () => {
    expect(runColumns(commits, null)).toEqual({ step: true, epoch: true, metrics: ['eval_loss', 'eval_accuracy', 'eval_f1'] });
    expect(runColumns(commits, ['zeta', 'gone'])).toEqual({ step: true, epoch: true, metrics: ['zeta'] });
    expect(runColumns(run([undefined]), null)).toEqual({ step: false, epoch: false, metrics: [] });
    expect(runMetricsOf(run([undefined]), null, null).any).toBe(false);
  });

  it('gives the grid a track per column, and a narrow list step and the first metric', () => {
    expect(columnTracks({ step: true, epoch: true, metrics: ['a', 'b'] })).toEqual({ all: '3.6rem 3rem 4.9rem 4.9rem', narrow: '3.6rem 4.9rem' });
    expect(columnTracks({ step: false, epoch: false, metrics: [] })).toEqual({ all: '', narrow: '' });
  });
});

describe('sorting', () => {
  const commits = run([{ metrics: { eval_loss: 0.7 } }, undefined, { metrics: { eval_loss: 0.3 } }, { metrics: { eval_loss: 0.5 } }]);
  const ids = (l: readonly LogEntry[]) => l.map((c) => c.meta?.metrics?.eval_loss ?? null);

  it('sorts by a metric either way and keeps commits without it last', () => {
    expect(ids(sortCommits(commits, { key: 'metric:eval_loss', desc: false }))).toEqual([0.3, 0.5, 0.7, null]);
    expect(ids(sortCommits(commits, { key: 'metric:eval_loss', desc: true }))).toEqual([0.7, 0.5, 0.3, null]);
  });

  it('cycles a header: best first, the other way, graph order', () => {
    const first = nextSort(null, 'metric:eval_loss');
    expect(first).toEqual({ key: 'metric:eval_loss', desc: false });
    expect(nextSort(first, 'metric:eval_loss')).toEqual({ key: 'metric:eval_loss', desc: true });
    expect(nextSort({ key: 'metric:eval_loss', desc: true }, 'metric:eval_loss')).toBeNull();
    expect(nextSort(null, 'metric:accuracy')).toEqual({ key: 'metric:accuracy', desc: true });
    expect(nextSort(first, 'step')).toEqual({ key: 'step', desc: false });
  });
});

describe('best', () => {
  it('by the direction rule: the lowest loss, the highest accuracy, the oldest of equals', () => {
    const commits = run([{ run: 'r', metrics: { eval_loss: 0.9, acc: 0.5 } }, { run: 'r', metrics: { eval_loss: 0.4, acc: 0.9 } }, { run: 'r', metrics: { eval_loss: 0.4, acc: 0.7 } }]);
    const [loss] = bestMarks(commits, 'eval_loss');
    expect(loss).toMatchObject({ id: cid('c1'), source: 'rule', value: 0.4 });
    expect(bestMarks(commits, 'acc')[0]).toMatchObject({ id: cid('c1'), source: 'rule' });
    expect(bestTitle(loss!)).toContain('lowest');
  });

  it("the trainer's own marker wins for its metric; another metric follows the rule", () => {
    const m = (step: number, loss: number): CommitMeta => ({ run: 'runs/a', checkpoint: `checkpoint-${step}`, metrics: { eval_loss: loss, acc: step }, trainerBest: 'out/checkpoint-200', trainerBestMetric: 'eval_loss' });
    const commits = run([m(100, 0.5), m(200, 0.6), m(300, 0.7)]);
    expect(bestMarks(commits, 'eval_loss')).toEqual([{ id: cid('c1'), metric: 'eval_loss', value: 0.6, source: 'trainer', run: 'runs/a' }]);
    expect(bestMarks(commits, 'acc')[0]).toMatchObject({ id: cid('c2'), source: 'rule' });
    expect(bestTitle(bestMarks(commits, 'eval_loss')[0]!)).toContain("trainer's own best");
    // The trainer ranks by eval_loss: that is the metric judged by default.
    expect(bestMetric(commits, metricNames(commits))).toBe('eval_loss');
  });

  it('falls back to the rule when the named checkpoint was never committed', () => {
    const commits = run([{ run: 'r', checkpoint: 'ckpt-1', metrics: { loss: 2 }, trainerBest: 'ckpt-0' }, { run: 'r', checkpoint: 'ckpt-2', metrics: { loss: 1 } }]);
    expect(bestMarks(commits, 'loss')[0]).toMatchObject({ id: cid('c1'), source: 'rule' });
  });

  it('marks one best per run', () => {
    const commits = run([{ run: 'a', metrics: { loss: 1 } }, { run: 'b', metrics: { loss: 3 } }, { run: 'a', metrics: { loss: 2 } }, { run: 'b', metrics: { loss: 2 } }]);
    expect(bestMarks(commits, 'loss').map((b) => [b.run, b.id]).sort()).toEqual([['a', cid('c0')], ['b', cid('c3')]]);
  });
});

describe('chart points and words', () => {
  it('averages a bar of several commits and leaves out bars without the metric', () => {
    const commits = run([{ metrics: { l: 1 } }, { metrics: { l: 3 } }, undefined]);
    const byId = new Map(commits.map((c) => [c.id as string, c]));
    const bars = [{ index: 0, ids: [cid('c0'), cid('c1')] }, { index: 1, ids: [cid('c2')] }];
    expect(metricPoints(bars, byId, 'l')).toEqual([{ index: 0, value: 2, ids: [cid('c0'), cid('c1')] }]);
  });

  it('formats values for a narrow column', () => {
    expect([formatMetric(undefined), formatMetric(3), formatMetric(0.123456), formatMetric(6.25e-6), formatMetric(1234567.8)]).toEqual(['', '3', '0.1235', '6.25e-6', '1.23e+6']);
  });

  it("checks a tag name with the store's rule", () => {
    expect(tagNameProblem('best')).toBeNull();
    expect(tagNameProblem('release/2026-12')).toBeNull();
    expect(tagNameProblem('abc123')).toContain('commit id');
    expect(tagNameProblem('HEAD')).toContain('HEAD');
    expect(tagNameProblem('a b')).not.toBeNull();
  });
});
