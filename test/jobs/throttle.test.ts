import { describe, expect, it, vi } from 'vitest';
import { throttle } from '../../src-main/jobs/throttle';

describe('throttle', () => {
  it('sends the first value at once, then at most one per interval, always ending on the latest', () => {
    vi.useFakeTimers();
    try {
      const sent: number[] = [];
      const t = throttle((v: number) => sent.push(v), 100);
      t(1);
      for (let i = 2; i <= 50; i++) t(i);
      expect(sent).toEqual([1]);
      vi.advanceTimersByTime(100);
      expect(sent).toEqual([1, 50]);
      t(51);
      t(52);
      t.flush();
      expect(sent).toEqual([1, 50, 52]);
      t(53);
      t.cancel();
      vi.advanceTimersByTime(1000);
      expect(sent).toEqual([1, 50, 52]);
    } finally {
      vi.useRealTimers();
    }
  });
});
