// The settings pane's checks (the policy's bounds and words, which settings.set
// and `weightline config` use too), the changes worth saving, and the
// maxChainLength estimate, which must agree with what commit decides.
import { DEFAULT_SETTINGS } from '../../src-shared/policy/settings';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideCheckpoint } from '../../src-shared/policy/checkpoint';
import { calls } from '../../src-shared/contract';
import type { CleanupPlan, LogEntry } from '../../src-shared/model';
import {
  changesFrom, chainEstimate, checkDraft, cleanupDifference, draftOf, parseField, SETTING_MAX, SETTING_MIN,
} from '../../src-renderer/src/lib/settings-form';
import { CONFIG_VALUE_SCHEMAS } from '../../src-shared/settings';

describe('parseField', () => {
  it('accepts whole numbers within the bounds, as settings.set does', () => {
    expect(parseField('keepFullLatest', '1')).toEqual({ value: 1 });
    expect(parseField('keepFullLatest', ' 16 ')).toEqual({ value: 16 });
    expect(parseField('maxChainLength', '1000')).toEqual({ value: 1000 });
    expect(parseField('keepFullLatest', '4.0')).toEqual({ value: 4 });
    for (const n of [SETTING_MIN, 7, SETTING_MAX]) expect(calls['settings.set'].safeParse({ keepFullLatest: n }).success).toBe(true);
    for (const n of [SETTING_MIN - 1, SETTING_MAX + 1, 2.5]) expect(calls['settings.set'].safeParse({ keepFullLatest: n }).success).toBe(false);
  });

  it('says what is wrong in the words settings.set and `weightline config` use', () => {
    expect(parseField('keepFullLatest', '')).toEqual({ error: 'keepFullLatest takes a whole number from 1 to 1000, found nothing' });
    expect(parseField('keepFullLatest', 'abc')).toEqual({ error: 'keepFullLatest takes a whole number from 1 to 1000, found "abc"' });
    expect(parseField('keepFullLatest', '2.5')).toEqual({ error: 'keepFullLatest takes a whole number from 1 to 1000, found 2.5 (not a whole number)' });
    expect(parseField('maxChainLength', '0')).toEqual({ error: 'maxChainLength takes a whole number from 1 to 1000, found 0 (less than 1)' });
    expect(parseField('keepFullLatest', '5000')).toEqual({ error: 'keepFullLatest takes a whole number from 1 to 1000, found 5000 (more than 1000)' });
    const refused = calls['settings.set'].safeParse({ keepFullLatest: 5000 });
    expect(refused.error?.issues[0]?.message).toBe((parseField('keepFullLatest', '5000') as { error: string }).error);
  });

  it('takes decimals for maxRouteRead within the store\'s own bounds', () => {
    expect(parseField('maxRouteRead', ' 2.5 ')).toEqual({ value: 2.5 });
    expect(parseField('maxRouteRead', '.5')).toEqual({ value: 0.5 });
    expect(parseField('maxRouteRead', '0.1')).toEqual({ value: 0.1 });
    expect(parseField('maxRouteRead', '1000')).toEqual({ value: 1000 });
    for (const n of [0.1, 2.5, 1000]) {
      expect(calls['settings.set'].safeParse({ maxRouteRead: n }).success).toBe(true);
      expect(CONFIG_VALUE_SCHEMAS.maxRouteRead.safeParse(n).success).toBe(true);
    }
    for (const n of [0.05, 1001]) expect(calls['settings.set'].safeParse({ maxRouteRead: n }).success).toBe(false);
    expect(parseField('maxRouteRead', '2,5')).toMatchObject({ error: expect.stringContaining('found "2,5"') });
    expect(parseField('maxRouteRead', '1e3')).toMatchObject({ error: expect.stringContaining('found "1e3"') });
    expect(parseField('maxRouteRead', '1000.5')).toMatchObject({ error: expect.stringContaining('(more than 1000)') });
  });
});

describe('checkDraft / changesFrom', () => {
  const saved = { ...DEFAULT_SETTINGS, maxChainLength: 16, maxRouteRead: 4, keepFullLatest: 2, autoCleanup: false };

  it('round-trips the saved settings with no changes', () => {
    const c = checkDraft(draftOf(saved));
    expect(c).toEqual({ values: saved, errors: {} });
    expect(changesFrom(saved, c.values!)).toEqual({});
  });

  it('reports each invalid field and no values', () => {
    const c = checkDraft({ maxChainLength: 'x', maxRouteRead: '0', keepFullLatest: '0', autoCleanup: true, others: draftOf(saved).others });
    expect(c.values).toBeNull();
    expect(Object.keys(c.errors).sort()).toEqual(['keepFullLatest', 'maxChainLength', 'maxRouteRead']);
  });

  it('keeps only the keys that changed', () => {
    const c = checkDraft({ maxChainLength: '16', maxRouteRead: '4', keepFullLatest: '1', autoCleanup: true, others: draftOf(saved).others });
    expect(changesFrom(saved, c.values!)).toEqual({ keepFullLatest: 1, autoCleanup: true });
    const d = checkDraft({ maxChainLength: '16', maxRouteRead: '2.5', keepFullLatest: '2', autoCleanup: false, others: draftOf(saved).others });
    expect(changesFrom(saved, d.values!)).toEqual({ maxRouteRead: 2.5 });
    expect(calls['settings.set'].safeParse(changesFrom(saved, d.values!)).success).toBe(true);
  });
});

function commit(type: 'CHECKPOINT' | 'DELTA', logicalBytes: number, deltaBytes: number): LogEntry {
  return {
    id: `${type}${logicalBytes}${deltaBytes}` as LogEntry['id'], parent: null, type, message: '', createdAt: '2026-01-01T00:00:00Z',
    logicalBytes, fullBytes: 0, deltaBytes, path: 'm', hasFull: type === 'CHECKPOINT', chainLength: 0, pinned: false,
  };
}

describe('chainEstimate', () => {
  it('averages full and delta sizes and prices a chain length (the hop bound deciding)', () => {
    const log = [commit('CHECKPOINT', 1000, 0), commit('DELTA', 1000, 100), commit('DELTA', 1000, 300)];
    // maxRouteRead 100: 500 deltas of 200 bytes would fit, so maxChainLength 4 decides.
    const e = chainEstimate(log, 4, 100)!;
    expect(e.rule).toBe('chain-length');
    expect(e.checkpointEvery).toBe(5);
    expect(e.fullBytes).toBe(1000);
    expect(e.deltaBytes).toBe(200);
    // 20 CHECKPOINTs and 80 DELTAs per 100 commits.
    expect(e.per100Commits).toBeCloseTo(20 * 1000 + 80 * 200);
    expect(e.longestReplay).toBe(4);
    expect(e.worstRestoreBytes).toBe(1000 + 4 * 200);
    // A longer chain costs less disk and slower restores.
    const longer = chainEstimate(log, 16, 100)!;
    expect(longer.per100Commits).toBeLessThan(e.per100Commits);
    expect(longer.worstRestoreBytes).toBeGreaterThan(e.worstRestoreBytes);
  });

  it('applies the read bound: DELTAs while their bytes since the CHECKPOINT stay within maxRouteRead × the model', () => {
    const log = [commit('CHECKPOINT', 1000, 0), commit('DELTA', 1000, 250), commit('DELTA', 1000, 250)];
    // 4 × 1000 bytes / 250 per delta: 16 DELTAs, then a CHECKPOINT, well before maxChainLength 64.
    const e = chainEstimate(log, 64, 4)!;
    expect(e).toMatchObject({ rule: 'route-read', longestReplay: 16, checkpointEvery: 17, worstRestoreBytes: 1000 + 16 * 250 });
    // Decimals: 2.5 × 1000 / 250 = 10.
    expect(chainEstimate(log, 64, 2.5)).toMatchObject({ rule: 'route-read', longestReplay: 10, checkpointEvery: 11 });
    // Both bounds at 10: the chain bound is named, as the store names it (it checks that rule first).
    expect(chainEstimate(log, 10, 2.5)).toMatchObject({ rule: 'chain-length', longestReplay: 10 });
    // The hop bound still caps a sparse fine-tune's tiny deltas.
    expect(chainEstimate([commit('CHECKPOINT', 1000, 0), commit('DELTA', 1000, 1)], 64, 4)).toMatchObject({ rule: 'chain-length', longestReplay: 64 });
    // A delta nearly as large as the model: every commit a CHECKPOINT (commit's DELTA_WORTH_IT).
    expect(chainEstimate([commit('CHECKPOINT', 1000, 0), commit('DELTA', 1000, 950)], 64, 4)).toMatchObject({ rule: 'delta-too-large', longestReplay: 0, checkpointEvery: 1 });
  });

  it('plays the store\'s own CHECKPOINT rule over the averages, on random inputs', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 1e9 }), fc.double({ min: 0.001, max: 1.2, noNaN: true }), fc.integer({ min: 1, max: 1000 }), fc.double({ min: 0.1, max: 1000, noNaN: true }),
      (model, share, maxChainLength, maxRouteRead) => {
        const delta = Math.max(1, Math.round(model * share));
        const e = chainEstimate([commit('CHECKPOINT', model, 0), commit('DELTA', model, delta)], maxChainLength, maxRouteRead)!;
        // What commit decides, commit after commit, for a line of such deltas.
        let line = { deltas: 0, deltaBytes: 0 };
        let decided = decideCheckpoint({ requested: false, hasParent: true, line, modelBytes: model, deltaBytes: delta, settings: { maxChainLength, maxRouteRead } });
        while (decided.type === 'DELTA') {
          line = { deltas: line.deltas + 1, deltaBytes: line.deltaBytes + delta };
          decided = decideCheckpoint({ requested: false, hasParent: true, line, modelBytes: model, deltaBytes: delta, settings: { maxChainLength, maxRouteRead } });
        }
        expect(e.longestReplay).toBe(line.deltas);
        expect(e.checkpointEvery).toBe(line.deltas + 1);
        expect(e.rule).toBe(decided.reason);
      }), { numRuns: 200 });
  });

  it('has nothing to say without a DELTA to average', () => {
    expect(chainEstimate([], 4, 4)).toBeNull();
    expect(chainEstimate([commit('CHECKPOINT', 1000, 0)], 4, 4)).toBeNull();
  });
});

describe('cleanupDifference', () => {
  const plan = (bytesFreed: number, n: number): CleanupPlan => ({
    commits: Array.from({ length: n }, (_, i) => ({ id: `c${i}` as never, bytesFreed: 0, chainBefore: 0, chainAfter: 1, readBytesBefore: 0, readBytesAfter: 0 })),
    kept: [], bytesFreed, packs: [], bytesPackSaved: 0, storeBytesBefore: 1000, storeBytesAfter: 1000 - bytesFreed,
  });
  it('is positive when the draft frees more, negative when it keeps more', () => {
    expect(cleanupDifference(plan(300, 3), plan(100, 1))).toEqual({ freed: 300, freedNow: 100, delta: 200, commits: 3, commitsNow: 1 });
    expect(cleanupDifference(plan(0, 0), plan(100, 1)).delta).toBe(-100);
  });
});
