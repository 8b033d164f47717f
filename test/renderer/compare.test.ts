// Issue 11, item 4: the compare view's pure pieces — which commit is A, when
// stored figures answer and when a job must compute them, how A and B are
// related, and the summary above the tables.
import { describe, expect, it } from 'vitest';
import type { CommitId, FileSummary, LogEntry, TensorSummary } from '../../src-shared/model';
import {
  ancestorDistance, commonAncestor, compareSource, compareSummary, formatFraction, formatMaxAbs, orderPair, relationText,
} from '../../src-renderer/src/lib/compare';

const id = (s: string): CommitId => s as CommitId;

function entry(name: string, parent: string | null): LogEntry {
  return {
    id: id(name), parent: parent ? id(parent) : null, type: 'DELTA', message: name, createdAt: '2026-01-01T00:00:00Z',
    logicalBytes: 100, fullBytes: 0, deltaBytes: 10, path: 'm.safetensors', hasFull: false, chainLength: 1, pinned: false,
  };
}

// Newest first, as commits.list answers:  e ← d ← b ← a,  c ← b (a branch), z alone.
const log: LogEntry[] = [entry('e', 'd'), entry('c', 'b'), entry('d', 'b'), entry('b', 'a'), entry('a', null), entry('z', null)];

function tensor(name: string, status: TensorSummary['status'], relChange: number | null, maxAbsDiff: number | null = relChange, changedFraction: number | null = 0.5): TensorSummary {
  return { name, dtype: 'F32', shape: [4], bytes: 16, status, changedFraction, maxAbsDiff, relChange };
}

describe('orderPair / compareSource', () => {
  it('puts the older commit first whichever was picked first', () => {
    expect(orderPair(log, id('a'), id('e'))).toEqual({ a: 'a', b: 'e' });
    expect(orderPair(log, id('e'), id('a'))).toEqual({ a: 'a', b: 'e' });
    expect(orderPair(log, id('x'), id('e'))).toEqual({ a: 'x', b: 'e' });
  });

  it('uses the stored figures only for a parent and its child, in that direction', () => {
    expect(compareSource(log, id('b'), id('d'))).toBe('stored');
    expect(compareSource(log, id('d'), id('b'))).toBe('job');
    expect(compareSource(log, id('a'), id('e'))).toBe('job');
    expect(compareSource(log, id('c'), id('d'))).toBe('job');
  });
});

describe('how A and B are related', () => {
  it('counts parent steps and finds the fork point', () => {
    expect(ancestorDistance(log, id('e'), id('a'))).toBe(3);
    expect(ancestorDistance(log, id('a'), id('e'))).toBeNull();
    expect(commonAncestor(log, id('c'), id('e'))).toBe('b');
    expect(commonAncestor(log, id('z'), id('e'))).toBeNull();
  });

  it('says it in one sentence', () => {
    const short = (x: CommitId): string => `#${x}`;
    expect(relationText(log, id('d'), id('e'), short)).toBe('B is the child of A.');
    expect(relationText(log, id('a'), id('e'), short)).toBe('B is 3 commits after A on the same line.');
    expect(relationText(log, id('e'), id('d'), short)).toBe('B is the parent of A (compared backwards).');
    expect(relationText(log, id('e'), id('a'), short)).toBe('B is 3 commits before A (compared backwards).');
    expect(relationText(log, id('c'), id('e'), short)).toBe('A and B are on different branches that split at #b.');
    expect(relationText(log, id('z'), id('e'), short)).toBe('A and B share no history.');
  });

  it('stops on a cycle in damaged data instead of looping', () => {
    const loop = [entry('p', 'q'), entry('q', 'p')];
    expect(ancestorDistance(loop, id('p'), id('x'))).toBeNull();
    expect(commonAncestor(loop, id('p'), id('x'))).toBeNull();
  });
});

describe('compareSummary', () => {
  const files: FileSummary[] = [
    { path: 'a.safetensors', bytes: 64, sha256: 'x', format: 'safetensors', status: 'changed', tensors: [
      tensor('small', 'changed', 0.001), tensor('big', 'changed', 0.3), tensor('same', 'unchanged', 0, 0, 0),
      tensor('new', 'added', null, null, null), tensor('nan', 'changed', null, 2),
    ] },
    { path: 'b.safetensors', bytes: 16, sha256: 'y', format: 'safetensors', status: 'unchanged', tensors: [tensor('keep', 'unchanged', 0)] },
    { path: 'c.safetensors', bytes: 0, sha256: '', format: '', status: 'removed', tensors: [tensor('gone', 'removed', null)] },
  ];

  it('counts by status and ranks the largest changes by relative change, then max |Δ|', () => {
    const s = compareSummary(files);
    expect(s).toMatchObject({ tensors: 7, changed: 3, added: 1, removed: 1, unchanged: 2, files: 3, filesChanged: 2 });
    expect(s.largest.map((t) => t.name)).toEqual(['big', 'small', 'nan']);
    expect(s.largest[0]).toMatchObject({ file: 'a.safetensors', changedFraction: 0.5, maxAbsDiff: 0.3, relChange: 0.3 });
    expect(compareSummary(files, 1).largest).toHaveLength(1);
    expect(compareSummary([]).largest).toEqual([]);
  });

  it('formats the figures without misleading zeros', () => {
    expect(formatFraction(null)).toBe('–');
    expect(formatFraction(0)).toBe('0%');
    expect(formatFraction(0.0004)).toBe('<0.1%');
    expect(formatFraction(0.0123)).toBe('1.2%');
    expect(formatFraction(1)).toBe('100%');
    expect(formatMaxAbs(null)).toBe('–');
    expect(formatMaxAbs(0)).toBe('0');
    expect(formatMaxAbs(0.00704)).toBe('0.00704');
    expect(formatMaxAbs(0.0000123)).toBe('1.23e-5');
    expect(formatMaxAbs(7200)).toBe('7.20e+3');
    expect(formatMaxAbs(12.345)).toBe('12.3');
  });
});
