import { describe, expect, it } from 'vitest';
import { computeLanes } from '../../src-shared/graph-lanes';
import { filterCommits, matchesQuery } from '../../src-renderer/src/lib/filter-commits';

const chain = (n: number) => Array.from({ length: n }, (_, i) => ({
  id: `id${n - 1 - i}`,
  parent: n - 1 - i === 0 ? null : `id${n - 2 - i}`,
  message: `epoch ${n - 1 - i}${(n - 1 - i) % 5 === 0 ? ' checkpoint' : ''}`,
}));

describe('filterCommits', () => {
  it('returns everything, in order, for an empty query', () => {
    const commits = chain(5);
    const { entries, nodes } = filterCommits(commits, '  ');
    expect(entries.map((e) => e.id)).toEqual(commits.map((c) => c.id));
    expect(nodes[0]).toEqual({ id: 'id4', parent: 'id3' });
  });

  it('reconnects visible commits to their nearest visible ancestor', () => {
    const { entries, nodes } = filterCommits(chain(12), 'checkpoint');
    expect(entries.map((e) => e.message)).toEqual(['epoch 10 checkpoint', 'epoch 5 checkpoint', 'epoch 0 checkpoint']);
    expect(nodes).toEqual([
      { id: 'id10', parent: 'id5' },
      { id: 'id5', parent: 'id0' },
      { id: 'id0', parent: null },
    ]);
    // So the graph of the filtered rows is one connected line.
    expect(computeLanes(nodes).every((r) => r.column === 0)).toBe(true);
  });

  // Its speed on 10,000 commits is measured in the browser by e2e/scale.spec.ts (the filter's time).
  it('handles 10,000 commits without recursion', () => {
    const commits = chain(10_000);
    const { entries, nodes } = filterCommits(commits, 'checkpoint');
    expect(entries.length).toBe(2000);
    expect(nodes.at(-1)).toEqual({ id: 'id0', parent: null });
  });

  it('matches messages case-insensitively and ids by prefix', () => {
    expect(matchesQuery('Epoch 3', 'abc', 'epoch')).toBe(true);
    expect(matchesQuery('x', 'abcdef', 'abc')).toBe(true);
    expect(matchesQuery('x', 'abcdef', 'bcd')).toBe(false);
  });
});
