// Pure pieces behind the panels: storage summary, storage series, layer
// ranking, job time left, job event folding, error words, path completion.
import { describe, expect, it } from 'vitest';
import type { JobEvent } from '../../src-shared/contract';
import type { FileSummary } from '../../src-shared/model';
import { storageSummary } from '../../src-renderer/src/lib/storage-summary';
import { storageBars, storageSeries } from '../../src-renderer/src/lib/storage-series';
import { layerChanges, layerOf } from '../../src-renderer/src/lib/layer-changes';
import { addSample, secondsLeft } from '../../src-renderer/src/lib/eta';
import { errorWords, toErrorJSON } from '../../src-renderer/src/lib/error-words';
import { commonPrefix, joinPath } from '../../src-renderer/src/lib/path-complete';
import { reasonCounts } from '../../src-renderer/src/lib/keep-reasons';
import { formatRelChange, tensorRows } from '../../src-renderer/src/lib/tensor-rows';
import { applyJobEvent } from '../../src-renderer/src/state/app-store';

describe('storage summary and series', () => {
  it('sums logical bytes against bytes on disk', () => {
    const entry = (id: string, logicalBytes: number) => ({ id: id as never, parent: null, type: 'CHECKPOINT' as const, logicalBytes, fullBytes: 0, hasFull: false, pinned: false });
    expect(storageSummary([entry('a', 600), entry('b', 400)], 250)).toMatchObject({
      fullCopies: 1000, onDisk: 250, savingPercent: 75, against: { kind: 'saving', percent: 75 }, raw: { bytes: 0, freeableWithKeepOne: 0 },
    });
  });

  it('orders the series by time, oldest first', () => {
    const s = storageSeries([
      { id: 'c', createdAt: '2025-01-03T00:00:00Z', fullBytes: 0, deltaBytes: 5 },
      { id: 'b', createdAt: '2025-01-02T00:00:00Z', fullBytes: 10, deltaBytes: 1 },
      { id: 'a', createdAt: '2025-01-01T00:00:00Z', fullBytes: 100, deltaBytes: 0 },
    ]);
    expect(s.map((p) => [p.id, p.index, p.total])).toEqual([['a', 0, 100], ['b', 1, 11], ['c', 2, 5]]);
  });

  it('draws one bar per commit, or the per-commit mean when too many commits share the width', () => {
    const series = Array.from({ length: 10 }, (_, i) => ({ id: `c${i}`, index: i, full: i % 5 === 0 ? 100 : 0, delta: 10, total: 0 }));
    expect(storageBars(series, 20)).toHaveLength(10);
    const bars = storageBars(series, 2);
    expect(bars.map((b) => b.ids.length)).toEqual([5, 5]);
    expect(bars[0]).toMatchObject({ full: 20, delta: 10, total: 30 });
  });
});

describe('layer changes', () => {
  const t = (name: string, bytes: number, relChange: number | null, status: 'changed' | 'unchanged' = 'changed') => ({
    name, dtype: 'F32', shape: [bytes / 4], bytes, status, changedFraction: null, maxAbsDiff: null, relChange,
  });
  const file: FileSummary = {
    path: 'm.safetensors', bytes: 0, sha256: '', format: 'safetensors', status: 'changed',
    tensors: [
      t('model.layers.3.mlp.weight', 400, 0.2), t('model.layers.3.mlp.bias', 4, 1),
      t('model.layers.1.attn.weight', 400, 0.01), t('lm_head.weight', 40, 0.05), t('embed.weight', 400, 0, 'unchanged'),
    ],
  };

  it('groups tensors by block index or parent module', () => {
    expect(layerOf('model.layers.12.mlp.up_proj.weight')).toBe('model.layers.12');
    expect(layerOf('lm_head.weight')).toBe('lm_head');
    expect(layerOf('scale')).toBe('scale');
  });

  it('groups slash-path tensors (Keras, HDF5, TensorFlow) by their layer, not one bar per tensor', () => {
    expect(layerOf('model_weights/dense_1/dense_1/kernel:0')).toBe('model_weights/dense_1');
    expect(layerOf('model_weights/dense_1/dense_1/bias:0')).toBe('model_weights/dense_1');
    expect(layerOf('layers/dense_2/vars/0')).toBe('layers/dense_2');
    expect(layerOf('optimizer/vars/1')).toBe('optimizer');
    expect(layerOf('model/dense/kernel/.ATTRIBUTES/VARIABLE_VALUE')).toBe('model/dense');
    expect(layerOf('save_counter/.ATTRIBUTES/VARIABLE_VALUE')).toBe('save_counter');
  });

  it('ranks layers by size-weighted relative change', () => {
    const l = layerChanges([file]);
    expect(l.map((x) => x.layer)).toEqual(['model.layers.3', 'lm_head', 'model.layers.1']);
    expect(l[0]!.relChange).toBeCloseTo((0.2 * 400 + 1 * 4) / 404);
    expect(l[0]!.tensors).toBe(2);
  });

  it('flattens tensors into table rows', () => {
    const rows = tensorRows([file]);
    expect(rows).toHaveLength(5);
    expect(rows[0]!.shape).toBe('[100]');
    expect(formatRelChange(null)).toBe('–');
    expect(formatRelChange(0.5)).toBe('0.5000');
    expect(formatRelChange(1e-6)).toBe('1.00e-6');
  });
});

describe('jobs', () => {
  it('estimates the time left from the recent rate', () => {
    const samples = [{ at: 0, bytesDone: 0 }, { at: 1000, bytesDone: 100 }, { at: 2000, bytesDone: 200 }];
    expect(secondsLeft(samples, 1000)).toBeCloseTo(8);
    expect(secondsLeft(samples.slice(0, 1), 1000)).toBeNull();
    expect(secondsLeft(samples, 200)).toBeNull();
  });

  it('keeps a bounded number of samples', () => {
    let s = [] as ReturnType<typeof addSample>;
    for (let i = 0; i < 200; i++) s = addSample(s, { at: i, bytesDone: i });
    expect(s.length).toBe(64);
    expect(s[63]!.at).toBe(199);
  });

  it('folds job events, including ones that arrive before jobs.start answers', () => {
    const ev = (state: JobEvent['state'], done: number): JobEvent => ({
      jobId: 'j1', kind: 'commit', state, progress: { phase: 'encoding', bytesDone: done, bytesTotal: 100 },
    });
    let jobs = applyJobEvent([], ev('running', 10), 1000);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.label).toBe('Commit');
    jobs = applyJobEvent(jobs, ev('running', 50), 2000);
    jobs = applyJobEvent(jobs, { jobId: 'j1', kind: 'commit', state: 'failed', error: { code: 'BAD_FORMAT', message: 'x: bad', file: 'x' } }, 3000);
    expect(jobs[0]!.state).toBe('failed');
    expect(jobs[0]!.progress?.bytesDone).toBe(50);
    expect(jobs[0]!.samples).toHaveLength(2);
    expect(jobs[0]!.endedAt).toBe(3000);
    expect(jobs[0]!.error?.file).toBe('x');
  });
});

describe('error words', () => {
  it('says what happened, to which file, and what to do', () => {
    const w = errorWords({ code: 'BAD_FORMAT', message: '/m/bad.safetensors: header length 9999 exceeds the file', file: '/m/bad.safetensors' });
    expect(w.file).toBe('/m/bad.safetensors');
    expect(w.detail).toBe('header length 9999 exceeds the file');
    expect(w.todo).toMatch(/Nothing was changed/);
  });

  it('turns anything thrown into an error value', () => {
    expect(toErrorJSON(new Error('boom'))).toEqual({ code: 'INTERNAL', message: 'boom' });
    expect(toErrorJSON({ code: 'LOCKED', message: 'busy' })).toEqual({ code: 'LOCKED', message: 'busy' });
  });
});

describe('path completion and keep reasons', () => {
  it('completes to the longest shared prefix', () => {
    expect(commonPrefix(['/a/model-1.pt', '/a/model-2.pt'])).toBe('/a/model-');
    expect(commonPrefix([])).toBe('');
    expect(joinPath('/store', 'run/model.pt')).toBe('/store/run/model.pt');
    expect(joinPath('/store/', '')).toBe('/store/');
    expect(joinPath('/store', '/abs')).toBe('/abs');
  });

  it('counts keep reasons, most common first', () => {
    expect(reasonCounts([{ reasons: ['pinned', 'newest'] }, { reasons: ['newest'] }])).toEqual([
      { reason: 'newest', count: 2 }, { reason: 'pinned', count: 1 },
    ]);
  });
});
