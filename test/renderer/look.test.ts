// The pure pieces behind the renderer's look (issue 11, items 2 and 7):
// pane sizes, the theme choice, the storage chart's tooltip and ticks, the
// layers chart's grouping, the tensor table's default order and name cut,
// a row's hover text, and the saving's colour.
import { describe, expect, it } from 'vitest';
import type { FileSummary, LogEntry } from '../../src-shared/model';
import { CHART_HEIGHT, LIST_FRACTION, MIN_DETAILS_PX, MIN_LIST_PX, chartHeightAt, listFractionAt, parseStoredSize, readStoredSize, writeStoredSize } from '../../src-renderer/src/lib/pane-sizes';
import { effectiveTheme, parseThemeChoice, readThemeChoice, toggledChoice, writeThemeChoice, THEME_KEY } from '../../src-renderer/src/lib/theme';
import { barLines, exactBytes, tickBars, type StorageBar } from '../../src-renderer/src/lib/storage-series';
import { layerChanges, tensorRole } from '../../src-renderer/src/lib/layer-changes';
import { byChangeFirst, changeRank, nameParts, tensorRows, tensorTitle } from '../../src-renderer/src/lib/tensor-rows';
import { rowTitle } from '../../src-renderer/src/lib/row-title';
import { againstLabel, againstTitle, againstTone } from '../../src-renderer/src/lib/storage-summary';
import { againstVersions } from '../../src-shared/storage-totals';
import { linkTodo } from '../../src-renderer/src/lib/repair-words';

function memoryStorage(): Storage {
  const m = new Map<string, string>();
  return {
    get length() { return m.size; },
    clear: () => m.clear(),
    getItem: (k) => m.get(k) ?? null,
    key: (i) => [...m.keys()][i] ?? null,
    removeItem: (k) => { m.delete(k); },
    setItem: (k, v) => { m.set(k, String(v)); },
  };
}

describe('pane sizes', () => {
  it('reads back what was stored, clamped, and falls back on anything else', () => {
    expect(parseStoredSize('0.4', LIST_FRACTION)).toBe(0.4);
    expect(parseStoredSize('5', LIST_FRACTION)).toBe(LIST_FRACTION.max);
    expect(parseStoredSize('-1', CHART_HEIGHT)).toBe(CHART_HEIGHT.min);
    expect(parseStoredSize('wide', LIST_FRACTION)).toBe(LIST_FRACTION.fallback);
    expect(parseStoredSize(null, CHART_HEIGHT)).toBe(CHART_HEIGHT.fallback);
    const s = memoryStorage();
    writeStoredSize(CHART_HEIGHT, 250, s);
    expect(readStoredSize(CHART_HEIGHT, s)).toBe(250);
    expect(readStoredSize(CHART_HEIGHT, null)).toBe(CHART_HEIGHT.fallback);
  });

  it('never lets a drag squeeze either pane under its minimum', () => {
    expect(listFractionAt(700, 1400)).toBeCloseTo(0.5);
    expect(listFractionAt(10, 1400) * 1400).toBeGreaterThanOrEqual(MIN_LIST_PX - 0.001);
    expect(1400 - listFractionAt(1390, 1400) * 1400).toBeGreaterThanOrEqual(MIN_DETAILS_PX + 7 - 0.001);
    expect(1024 - listFractionAt(5000, 1024) * 1024).toBeGreaterThanOrEqual(MIN_DETAILS_PX + 7 - 0.001);
  });

  it('keeps the chart between its minimum and what leaves the list room', () => {
    expect(chartHeightAt(300, 700)).toBe(300);
    expect(chartHeightAt(10, 700)).toBe(CHART_HEIGHT.min);
    expect(chartHeightAt(550, 600)).toBe(600 - 160 - 7);
    expect(chartHeightAt(5000, 2000)).toBe(CHART_HEIGHT.max);
  });
});

describe('theme', () => {
  it('follows the system unless a choice was made', () => {
    expect(parseThemeChoice(null)).toBe('system');
    expect(parseThemeChoice('purple')).toBe('system');
    expect(effectiveTheme('system', true)).toBe('dark');
    expect(effectiveTheme('system', false)).toBe('light');
    expect(effectiveTheme('light', true)).toBe('light');
  });

  it('toggles to the other look; matching the system again follows the system', () => {
    expect(toggledChoice('system', false)).toBe('dark');
    expect(toggledChoice('dark', false)).toBe('system');
    expect(toggledChoice('system', true)).toBe('light');
    expect(toggledChoice('light', true)).toBe('system');
    expect(toggledChoice('light', false)).toBe('dark');
  });

  it('remembers a choice and forgets "system"', () => {
    const s = memoryStorage();
    writeThemeChoice('dark', s);
    expect(s.getItem(THEME_KEY)).toBe('dark');
    expect(readThemeChoice(s)).toBe('dark');
    writeThemeChoice('system', s);
    expect(s.getItem(THEME_KEY)).toBeNull();
    expect(readThemeChoice(s)).toBe('system');
  });
});

describe('storage chart', () => {
  const bar = (index: number, ids: string[], full: number, delta: number): StorageBar => ({ index, ids, full, delta, total: full + delta });

  it('gives exact bytes for one commit, per-commit means for a bar of several', () => {
    expect(exactBytes(8675688)).toBe('8,675,688 bytes');
    expect(exactBytes(1)).toBe('1 byte');
    const one = barLines(bar(8, ['abc'], 8675688, 1101402), 9, (id) => `epoch 6 · ${id}`);
    expect(one.title).toBe('#9 epoch 6 · abc');
    expect(one.rows).toEqual([['full parameters', '8,675,688 bytes'], ['delta', '1,101,402 bytes'], ['on disk', '9,777,090 bytes']]);
    const many = barLines(bar(0, ['a', 'b', 'c'], 10.4, 0), 1, (id) => id);
    expect(many.title).toBe('#1–#3: 3 commits, per commit on average');
    expect(many.rows[0]).toEqual(['full parameters', '10 bytes']);
  });

  it('labels at most the ticks that fit, always the newest', () => {
    const bars = Array.from({ length: 10 }, (_, i) => bar(i, [`c${i}`], 1, 1));
    expect(tickBars(bars, 20)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(tickBars(bars, 3)).toEqual([1, 5, 9]);
    expect(tickBars([], 3)).toEqual([]);
  });
});

describe('layers chart: learned weights apart from running statistics', () => {
  const t = (name: string, relChange: number | null, status: 'changed' | 'unchanged' = 'changed') => ({
    name, dtype: 'F32', shape: [16], bytes: 64, status, changedFraction: null, maxAbsDiff: null, relChange,
  });
  const file: FileSummary = {
    path: 'resnet.safetensors', bytes: 0, sha256: '', format: 'safetensors', status: 'changed',
    tensors: [
      t('layer1.0.bn1.running_mean', 0.35), t('layer1.0.bn1.running_var', 0.28), t('layer1.0.bn1.num_batches_tracked', null),
      t('layer1.0.bn1.weight', 0.01), t('layer1.0.conv1.weight', 0.002), t('fc.weight', 0.03), t('layer2.0.conv1.weight', 0, 'unchanged'),
    ],
  };

  it('tells running statistics from learned weights by name', () => {
    expect(tensorRole('layer1.0.bn1.running_mean')).toBe('running-stat');
    expect(tensorRole('bn.num_batches_tracked')).toBe('running-stat');
    expect(tensorRole('block/bn/moving_variance')).toBe('learned');
    expect(tensorRole('bn.moving_variance')).toBe('running-stat');
    expect(tensorRole('layer1.0.bn1.weight')).toBe('learned');
    expect(tensorRole('running_mean_head.weight')).toBe('learned');
  });

  it('ranks each group on its own, so buffers never crowd out the weights', () => {
    expect(layerChanges([file]).map((l) => l.layer)).toEqual(['fc', 'layer1.0']);
    expect(layerChanges([file])[1]!.relChange).toBeCloseTo(0.006);
    const stats = layerChanges([file], 8, 'running-stat');
    expect(stats.map((l) => l.layer)).toEqual(['layer1.0']);
    expect(stats[0]!.relChange).toBeCloseTo(0.315);
    expect(stats[0]!.tensors).toBe(2);
  });
});

describe('tensor table', () => {
  const rows = tensorRows([{
    path: 'm.safetensors', bytes: 0, sha256: '', format: 'safetensors', status: 'changed',
    tensors: [
      { name: 'a.unchanged', dtype: 'F32', shape: [2, 3], bytes: 24, status: 'unchanged', changedFraction: 0, maxAbsDiff: 0, relChange: 0 },
      { name: 'b.small', dtype: 'F32', shape: [4], bytes: 16, status: 'changed', changedFraction: 1, maxAbsDiff: 1, relChange: 1.39e-4 },
      { name: 'c.new', dtype: 'F32', shape: [4], bytes: 16, status: 'added', changedFraction: null, maxAbsDiff: null, relChange: null },
      { name: 'd.big', dtype: 'F32', shape: [4], bytes: 16, status: 'changed', changedFraction: 1, maxAbsDiff: 1, relChange: 0.2 },
      { name: 'e.zero', dtype: 'F32', shape: [4], bytes: 16, status: 'changed', changedFraction: 1, maxAbsDiff: 0, relChange: 0 },
    ],
  }]);

  it('opens with the most changed first and unchanged last', () => {
    expect(byChangeFirst(rows).map((r) => r.name)).toEqual(['d.big', 'b.small', 'e.zero', 'c.new', 'a.unchanged']);
    expect(changeRank(rows[0]!)).toBeLessThan(changeRank(rows[4]!));
  });

  it('cuts names so the end that tells tensors apart stays', () => {
    // Slash paths (Keras/HDF5, TensorFlow): the last two parts, TensorFlow's constant suffix riding along.
    expect(nameParts('model_weights/dense_1/dense_1/kernel:0')).toEqual({ head: 'model_weights/dense_1/', tail: 'dense_1/kernel:0' });
    expect(nameParts('layers/dense/vars/0')).toEqual({ head: 'layers/dense/', tail: 'vars/0' });
    expect(nameParts('model/dense/kernel/.ATTRIBUTES/VARIABLE_VALUE')).toEqual({ head: 'model/', tail: 'dense/kernel/.ATTRIBUTES/VARIABLE_VALUE' });
    expect(nameParts('save_counter/.ATTRIBUTES/VARIABLE_VALUE')).toEqual({ head: '', tail: 'save_counter/.ATTRIBUTES/VARIABLE_VALUE' });
    expect(nameParts('blocks.3.mlp.fc1.weight')).toEqual({ head: 'blocks.3.mlp.', tail: 'fc1.weight' });
    expect(nameParts('layer1.0.bn1.running_mean')).toEqual({ head: 'layer1.0.', tail: 'bn1.running_mean' });
    expect(nameParts('embed.weight')).toEqual({ head: 'embed.', tail: 'weight' });
    expect(nameParts('scale')).toEqual({ head: '', tail: 'scale' });
  });

  it('puts every figure a narrow table may leave out into the hover text', () => {
    const small = rows.find((r) => r.name === 'b.small')!;
    expect(tensorTitle(small)).toBe('b.small\nF32 [4] · changed · relative L2 change 1.39e-4');
    expect(tensorTitle(small, true)).toMatch(/^m\.safetensors: b\.small\n/);
  });
});

describe('commit row and toolbar words', () => {
  const entry = {
    id: 'a'.repeat(64), parent: null, message: 'epoch 4 (lr x0.3 experiment): val loss 1.045', createdAt: '2025-11-23T10:20:05Z',
    type: 'DELTA', path: 'm.safetensors', logicalBytes: 100, hasFull: false, fullBytes: 0, deltaBytes: 1_100_000, chainLength: 2, pinned: true,
  } as unknown as LogEntry;

  it('names the whole commit on hover', () => {
    const t = rowTitle(entry, true).split('\n');
    expect(t[0]).toBe(entry.message);
    expect(t[1]).toMatch(/^aaaaaaaaaaaa · DELTA · HEAD · 2025-11-23 /);
    expect(t[2]).toBe('rebuilt on demand · delta 1.1 MB · chain 2 · pinned');
  });

  it('shows a saving in green only when it is one; a store over its versions is not a saving', () => {
    expect(againstTone(againstVersions(100, 87))).toBe('good');
    expect(againstTone(againstVersions(100, 100))).toBe('neutral');
    expect(againstTone(againstVersions(100, 108))).toBe('caution');
    expect(againstLabel(againstVersions(100, 47))).toEqual({ term: 'Saving', value: '53%' });
    // Issue 12: the store 1.56× its versions read "Saving −53%" in green.
    expect(againstLabel(againstVersions(100, 156))).toEqual({ term: 'Over the versions', value: '+56%' });
    expect(againstTitle(againstVersions(100, 108))).toMatch(/8% more .*raw copies of full parameters are kept for fast restore until a cleanup.*before a cleanup every commit keeps its full parameters/);
    expect(againstTitle(againstVersions(100, 108), { bytes: 5000, freeableWithKeepOne: 3000, estimated: true }))
      .toMatch(/\nRaw copies kept for fast restore: 5\.0 KB \(cleanup with keepFullLatest 1 would free about 3\.0 KB\)\.$/);
  });
});

describe('link banner words', () => {
  it('says the store is unharmed and what to do for each kind of problem', () => {
    expect(linkTodo(['modified'])).toBe('Nothing in the store is harmed. To keep a modified file’s new bytes, commit it; to get the committed version back, restore that commit.');
    expect(linkTodo(['broken'])).toMatch(/restore the commit again, or delete the link/);
    expect(linkTodo(['broken', 'modified'])).toMatch(/commit it.*delete the link/);
  });
});
