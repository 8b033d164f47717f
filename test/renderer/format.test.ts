import { describe, expect, it } from 'vitest';
import { exactTime, humanBytes, humanDuration, relativeTime, savingPercent, shortId } from '../../src-shared/format';

describe('shared format', () => {
  it('prints sizes like the CLI: 1000-based, one decimal', () => {
    // The same strings src-main/cli/format.ts prints for these sizes.
    const cases: [number, string][] = [[0, '0 B'], [999, '999 B'], [1000, '1.0 KB'], [1234, '1.2 KB'], [999_999_999, '1.0 GB'], [999_949_999, '999.9 MB'], [4e12, '4.0 TB']];
    for (const [n, s] of cases) expect(humanBytes(n)).toBe(s);
    expect(humanBytes(12_345_678)).toBe('12.3 MB');
    expect(humanBytes(1_500_000_000)).toBe('1.5 GB');
  });

  it('shortens ids to 12 characters', () => {
    expect(shortId('0123456789abcdef')).toBe('0123456789ab');
  });

  it('gives relative times and exact times', () => {
    const now = Date.parse('2025-01-10T12:00:00Z');
    expect(relativeTime('2025-01-10T11:59:58Z', now)).toBe('just now');
    expect(relativeTime('2025-01-10T11:59:00Z', now)).toBe('1m ago');
    expect(relativeTime('2025-01-10T09:00:00Z', now)).toBe('3h ago');
    expect(relativeTime('2025-01-07T12:00:00Z', now)).toBe('3d ago');
    expect(relativeTime('2024-01-07T12:00:00Z', now)).toBe('2024-01-07');
    expect(exactTime('2025-01-10T11:59:00Z')).toMatch(/^2025-01-1\d \d\d:59:00$/);
  });

  it('computes the saving and durations', () => {
    expect(savingPercent(1000, 250)).toBe(75);
    expect(savingPercent(0, 10)).toBe(0);
    expect(humanDuration(5)).toBe('5s');
    expect(humanDuration(65)).toBe('1m 05s');
    expect(humanDuration(3720)).toBe('1h 02m');
  });
});
