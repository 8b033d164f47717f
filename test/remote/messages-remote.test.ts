// A remote's refusals in our words: a missing region is a failed operation
// (exit 1), not bad usage (exit 2); an SDK message's full stop does not meet
// the "; what next" after it.
import { describe, expect, it } from 'vitest';
import { Remote } from '../../src-main/core/remote/client';

describe('remote error words', () => {
  const remote = new Remote('origin', 's3://bucket/prefix', { endpoint: 'http://127.0.0.1:9', region: 'us-east-1' });

  it('a missing region is NOT_FOUND (exit 1), naming the remote and how to set one', () => {
    const e = remote.error(new Error('Region is missing'), undefined) as Error & { code: string };
    expect(e.code).toBe('NOT_FOUND');
    expect(e.message).toContain('no region for the remote origin');
    expect(e.message).toContain('--region');
  });

  it("an SDK message ending in a full stop is quoted without it", () => {
    const e = remote.error(Object.assign(new Error('The server had a bad day.'), { name: 'OddError', $metadata: { httpStatusCode: 500 } }), 'k') as Error;
    expect(e.message).toMatch(/The server had a bad day$/u);
    expect(e.message).not.toContain('.;');
  });
});
