import { describe, expect, it } from 'vitest';
import { commitLimit, minMedian, packedLimit, restoreLimit, type KernelNs } from '../../bench/limit';

// Round kernel costs, so every sum below can be checked by hand.
const k: KernelNs = {
  read: 0.1, write: 2, writeDirect: 0.4, sha256: 1, xorPlanesFigures: 0.5,
  zstdPlane3: 4, zstdPlane2: 2, unzstdPlane3: 1, unzstdPlane2: 1, joinXor: 0.3,
};

describe('bench limit arithmetic', () => {
  it('sums a DELTA commit\'s work list and spreads it over the cores', () => {
    // 0.1 + 0.1 + 0.5 + 1 + 0.5 + 1 + 0.5·2 + 2 = 6.2 ns/B
    const l = commitLimit(k, 0.5, 2);
    expect(l.nsPerByte).toBeCloseTo(6.2);
    expect(l.mbs).toBeCloseTo(2000 / 6.2);
    expect(l.items).toHaveLength(8);
  });

  it('uses the O_DIRECT write cost where asked and measured, the page cache otherwise', () => {
    expect(commitLimit(k, 0.5, 2, true).nsPerByte).toBeCloseTo(6.2 - 3 + 0.6);
    expect(commitLimit({ ...k, writeDirect: null }, 0.5, 2, true).nsPerByte).toBeCloseTo(6.2);
  });

  it('grows a restore by the same cost per chain level', () => {
    const level = 0.5 * 0.1 + 0.5 + 0.3;
    expect(restoreLimit(k, 0.5, 0, 2).nsPerByte).toBeCloseTo(3.1);
    expect(restoreLimit(k, 0.5, 6, 2).nsPerByte - restoreLimit(k, 0.5, 1, 2).nsPerByte).toBeCloseTo(5 * level);
    expect(packedLimit(k, 0.6, 1).nsPerByte).toBeCloseTo(0.06 + 0.5 + 0.3 + 1 + 2);
  });

  it('takes min and median of odd and even lists', () => {
    expect(minMedian([3, 1, 2])).toEqual({ min: 1, median: 2 });
    expect(minMedian([4, 1, 3, 2])).toEqual({ min: 1, median: 2.5 });
    expect(minMedian([]).min).toBeNaN();
  });
});
