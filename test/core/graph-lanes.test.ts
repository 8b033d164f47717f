import { describe, expect, it } from 'vitest';
import { computeLanes } from '../../src-shared/graph-lanes';

describe('computeLanes', () => {
  it('puts a straight history in one column', () => {
    const rows = computeLanes([{ id: 'c', parent: 'b' }, { id: 'b', parent: 'a' }, { id: 'a', parent: null }]);
    expect(rows.map((r) => r.column)).toEqual([0, 0, 0]);
    expect(rows[2]!.below).toEqual([]);
  });

  it('opens a second lane for a branch and joins it at the shared parent', () => {
    // a ← b ← c (main), a ← d (branch, newest)
    const rows = computeLanes([
      { id: 'd', parent: 'a' },
      { id: 'c', parent: 'b' },
      { id: 'b', parent: 'a' },
      { id: 'a', parent: null },
    ]);
    expect(rows.map((r) => r.column)).toEqual([0, 1, 1, 0]);
    expect(rows[1]!.above).toEqual([true, false]);
    expect(rows[2]!.below).toEqual([true, true]);
    expect(rows[3]!.joins).toEqual([1]);
  });

  it('reuses freed columns', () => {
    const rows = computeLanes([
      { id: 'x', parent: null },
      { id: 'c', parent: 'a' },
      { id: 'b', parent: 'a' },
      { id: 'a', parent: null },
    ]);
    expect(rows.map((r) => r.column)).toEqual([0, 0, 1, 0]);
  });
});
