import { describe, expect, it } from 'vitest';
import { computeLanes } from '../../src-shared/graph-lanes';
import { laneDrawing, laneX, maxLaneWidth } from '../../src-renderer/src/lib/lane-geometry';

const g = { laneWidth: 10, rowHeight: 20 };

describe('laneDrawing', () => {
  it('draws a linear history as one straight line through every dot', () => {
    const rows = computeLanes([{ id: 'c', parent: 'b' }, { id: 'b', parent: 'a' }, { id: 'a', parent: null }]);
    const [top, mid, root] = rows.map((r) => laneDrawing(r, g));
    // The newest commit has nothing above it, only a line down to its parent.
    expect(top!.segments).toEqual([{ column: 0, d: 'M5,10V20' }]);
    expect(mid!.segments).toEqual([{ column: 0, d: 'M5,0V10' }, { column: 0, d: 'M5,10V20' }]);
    // The root has no parent: nothing below its dot.
    expect(root!.segments).toEqual([{ column: 0, d: 'M5,0V10' }]);
    expect(root!.dot).toEqual({ cx: 5, cy: 10, column: 0 });
  });

  it('bends a branch into the dot of the commit it grew from', () => {
    // b2 and a2 both grew from base: two tips, one join at base.
    const rows = computeLanes([
      { id: 'b2', parent: 'base' },
      { id: 'a2', parent: 'base' },
      { id: 'base', parent: null },
    ]);
    const second = laneDrawing(rows[1]!, g);
    expect(second.dot.column).toBe(1);
    // Column 0 passes by the second tip untouched.
    expect(second.segments).toContainEqual({ column: 0, d: 'M5,0V20' });
    const base = laneDrawing(rows[2]!, g);
    expect(base.dot.column).toBe(0);
    const join = base.segments.find((s) => s.column === 1);
    expect(join?.d.startsWith(`M${laneX(1, g)},0C`)).toBe(true);
    expect(join?.d.endsWith(`${laneX(0, g)},10`)).toBe(true);
    expect(maxLaneWidth(rows)).toBe(2);
  });

  it('keeps every segment inside the row box', () => {
    const nodes = Array.from({ length: 40 }, (_, i) => ({ id: `n${i}`, parent: i === 39 ? null : `n${i % 3 === 0 ? i + 2 : i + 1}` }));
    for (const row of computeLanes(nodes)) {
      const d = laneDrawing(row, g);
      for (const s of d.segments) {
        const nums = s.d.match(/-?\d+(\.\d+)?/g)!.map(Number);
        for (const n of nums) expect(n).toBeGreaterThanOrEqual(0);
        expect(nums.filter((_, i) => i % 2 === 1).every((y) => y <= g.rowHeight)).toBe(true);
      }
    }
  });
});
