// The policy module alone: settings' bounds and words, the CHECKPOINT rule
// and the keep rule, each against a straightforward reference on random inputs.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { calls, jobRequest } from '../../src-shared/contract';
import type { KeepReason } from '../../src-shared/model';
import {
  applyKeepPolicy, checkpointRun, decideCheckpoint, DEFAULT_SETTINGS, DELTA_WORTH_IT, keepVerdict, knownCheckpointReason,
  parseSettingText, readStoredSetting, settingValueText, sizeSettingText, SETTING_BOUNDS, SETTING_KEYS, SETTING_SCHEMAS, settingProblemText, type KeepCommit,
} from '../../src-shared/policy';

const text = (key: Parameters<typeof parseSettingText>[0], t: string): string | number | boolean => {
  const p = parseSettingText(key, t);
  return 'problem' in p ? settingProblemText(p.problem) : p.value;
};

describe('settings: one bound per key', () => {
  it('gives the counts whole numbers from 1 to 1000, maxRouteRead decimals from 0.1 to 1000, trashDays 0 to 365 and the byte budgets any whole size (0: none)', () => {
    expect(SETTING_BOUNDS).toEqual({
      maxChainLength: { min: 1, max: 1000, whole: true },
      keepFullLatest: { min: 1, max: 1000, whole: true },
      maxRouteRead: { min: 0.1, max: 1000, whole: false },
      trashDays: { min: 0, max: 365, whole: true },
      maxStoreBytes: { min: 0, max: Number.MAX_SAFE_INTEGER, whole: true },
      minFreeBytes: { min: 0, max: Number.MAX_SAFE_INTEGER, whole: true },
    });
    for (const k of SETTING_KEYS) expect(SETTING_SCHEMAS[k].safeParse(DEFAULT_SETTINGS[k]).success).toBe(true);
  });

  it('reads byte settings as sizes in powers of 1024 and prints them back in the same units', () => {
    expect(text('maxStoreBytes', '50G')).toBe(50 * 1024 ** 3);
    expect(text('maxStoreBytes', '500mib')).toBe(500 * 1024 ** 2);
    expect(text('minFreeBytes', '1.5T')).toBe(1.5 * 1024 ** 4);
    expect(text('minFreeBytes', '0')).toBe(0);
    expect(text('minFreeBytes', '-1')).toMatch(/found -1 \(less than 0\)$/);
    expect(text('maxChainLength', '5G')).toBe('maxChainLength takes a whole number from 1 to 1000, found "5G"');
    expect(sizeSettingText(0)).toBe('none');
    expect(sizeSettingText(1000)).toBe('1000B');
    expect(sizeSettingText(50 * 1024 ** 3)).toBe('50G');
    expect(sizeSettingText(1.25 * 1024 ** 4)).toBe('1.25T');
    expect(sizeSettingText(1234567891)).toBe('≈1.15G');
    expect(settingValueText('maxStoreBytes', 1024)).toBe('1024 (1K)');
    expect(settingValueText('trashDays', 7)).toBe('7');
    // What is printed reads back as the same size where it is exact.
    fc.assert(fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 100_000 }), (u, hundredths) => {
      const n = (hundredths * 1024 ** u) / 100;
      fc.pre(Number.isInteger(n));
      const t = sizeSettingText(n);
      if (!t.startsWith('≈')) expect(text('maxStoreBytes', t.replace(/B$/u, ''))).toBe(n);
    }));
  });

  it('parses typed text by the key\'s rule and refuses in one sentence', () => {
    expect(text('keepFullLatest', ' 16 ')).toBe(16);
    expect(text('keepFullLatest', '1000')).toBe(1000);
    expect(text('keepFullLatest', '5000')).toBe('keepFullLatest takes a whole number from 1 to 1000, found 5000 (more than 1000)');
    expect(text('maxChainLength', '0')).toBe('maxChainLength takes a whole number from 1 to 1000, found 0 (less than 1)');
    expect(text('maxChainLength', '2.5')).toBe('maxChainLength takes a whole number from 1 to 1000, found 2.5 (not a whole number)');
    expect(text('keepFullLatest', '1e3')).toBe('keepFullLatest takes a whole number from 1 to 1000, found "1e3"');
    expect(text('keepFullLatest', '')).toBe('keepFullLatest takes a whole number from 1 to 1000, found nothing');
    expect(text('maxRouteRead', '.5')).toBe(0.5);
    expect(text('maxRouteRead', '2,5')).toBe('maxRouteRead takes a number from 0.1 to 1000 (decimals allowed, like 2.5), found "2,5"');
    expect(text('maxRouteRead', '0.05')).toMatch(/found 0\.05 \(less than 0\.1\)$/);
    expect(text('autoCleanup', 'true')).toBe(true);
    expect(text('autoCleanup', 'yes')).toBe('autoCleanup takes true or false, found "yes"');
  });

  it('has the contract refuse what the parser refuses, in the same words', () => {
    for (const [key, value] of [['keepFullLatest', 5000], ['maxChainLength', 1001], ['maxChainLength', 0], ['maxRouteRead', 0.05], ['keepFullLatest', 2.5]] as const) {
      const parsed = calls['settings.set'].safeParse({ [key]: value });
      expect(parsed.success).toBe(false);
      const words = parseSettingText(key, String(value));
      expect('problem' in words).toBe(true);
      expect(parsed.error!.issues[0]!.message).toBe(settingProblemText((words as { problem: never }).problem));
    }
    // A string is refused, not coerced: "false" is truthy wherever it is tested.
    expect(calls['settings.set'].safeParse({ autoCleanup: 'false' }).success).toBe(false);
    expect(calls['settings.set'].safeParse({ keepFullLatest: '16' }).success).toBe(false);
    expect(calls['cleanup.previewWith'].safeParse({ keepFullLatest: 5000 }).success).toBe(false);
    expect(calls['cleanup.previewWith'].safeParse({ keepFullLatest: 1000 }).success).toBe(true);
    expect(jobRequest.safeParse({ kind: 'cleanupPreview', keepFullLatest: 1001 }).success).toBe(false);
    expect(calls['settings.set'].safeParse({}).success).toBe(true);
  });

  it('agrees between text, the contract and the stored reader on random values', () => {
    fc.assert(fc.property(fc.constantFrom('maxChainLength', 'keepFullLatest', 'maxRouteRead' as const), fc.double({ min: -10, max: 3000, noNaN: true }), (key, n) => {
      const typed = parseSettingText(key, String(n));
      const contract = SETTING_SCHEMAS[key].safeParse(n).success;
      const b = SETTING_BOUNDS[key];
      const reference = n >= b.min && n <= b.max && (!b.whole || Number.isInteger(n));
      expect(contract).toBe(reference);
      // String(n) may print an exponent ("1e-7"), which typed text never takes.
      if (!/e/i.test(String(n))) expect('value' in typed).toBe(reference);
      const stored = readStoredSetting(key, n);
      if (reference) expect(stored).toEqual({ value: n });
      else if (b.whole && !Number.isInteger(n)) expect('problem' in stored).toBe(true);
      else expect(stored).toEqual({ value: n > b.max ? b.max : b.min, clampedFrom: n });
    }));
  });

  it('reads a stored count past its bound as the bound, and refuses a value of the wrong kind', () => {
    expect(readStoredSetting('keepFullLatest', 5000)).toEqual({ value: 1000, clampedFrom: 5000 });
    expect(readStoredSetting('maxChainLength', 0)).toEqual({ value: 1, clampedFrom: 0 });
    expect(readStoredSetting('keepFullLatest', '5')).toMatchObject({ problem: { kind: 'not-a-value' } });
    expect(readStoredSetting('keepFullLatest', 2.5)).toMatchObject({ problem: { kind: 'not-whole' } });
    expect(readStoredSetting('autoCleanup', 'false')).toMatchObject({ problem: { kind: 'not-a-value' } });
  });
});

describe('the CHECKPOINT rule', () => {
  const settings = { maxChainLength: 3, maxRouteRead: 2 };
  const at = (line: { deltas: number; deltaBytes: number }, deltaBytes: number | null, over: Partial<Parameters<typeof decideCheckpoint>[0]> = {}) =>
    decideCheckpoint({ requested: false, hasParent: true, line, modelBytes: 100, deltaBytes, settings, ...over });

  it('names the rule that decided, in a fixed order', () => {
    expect(at({ deltas: 0, deltaBytes: 0 }, null, { requested: true, hasParent: false })).toEqual({ type: 'CHECKPOINT', reason: 'requested' });
    expect(at({ deltas: 0, deltaBytes: 0 }, null, { hasParent: false })).toEqual({ type: 'CHECKPOINT', reason: 'first' });
    expect(at({ deltas: 3, deltaBytes: 500 }, null)).toEqual({ type: 'CHECKPOINT', reason: 'chain-length' });
    expect(at({ deltas: 2, deltaBytes: 0 }, 10)).toEqual({ type: 'DELTA' });
    // The budget is 200 bytes: at it already, even before a delta is known.
    expect(at({ deltas: 1, deltaBytes: 200 }, null)).toEqual({ type: 'CHECKPOINT', reason: 'route-read' });
    expect(at({ deltas: 1, deltaBytes: 199 }, null)).toEqual({ type: 'DELTA' });
    // Exactly at the budget with this delta is still a DELTA; one byte past is not.
    expect(at({ deltas: 1, deltaBytes: 150 }, 50)).toEqual({ type: 'DELTA' });
    expect(at({ deltas: 1, deltaBytes: 150 }, 51)).toEqual({ type: 'CHECKPOINT', reason: 'route-read' });
    expect(at({ deltas: 0, deltaBytes: 0 }, DELTA_WORTH_IT * 100)).toEqual({ type: 'CHECKPOINT', reason: 'delta-too-large' });
    expect(at({ deltas: 0, deltaBytes: 0 }, DELTA_WORTH_IT * 100 - 1)).toEqual({ type: 'DELTA' });
  });

  it('matches a closed-form reference for a steady delta size', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 1000 }), fc.double({ min: 0.1, max: 1000, noNaN: true }), fc.integer({ min: 1, max: 1e9 }), fc.double({ min: 0, max: 1.5, noNaN: true }),
      (maxChainLength, maxRouteRead, model, share) => {
        const delta = model * share;
        const run = checkpointRun(model, delta, { maxChainLength, maxRouteRead });
        // Reference: k DELTAs fit while k × delta ≤ budget, at most maxChainLength, none when the delta is too large.
        const budget = maxRouteRead * model;
        // Past maxChainLength the count does not matter: cap it there before summing.
        let byRead = delta === 0 ? maxChainLength : Math.min(maxChainLength, Math.floor(budget / delta));
        // Float division can land one off the running sum's verdict: count the way the sum goes.
        while (byRead > 0 && sumOf(delta, byRead) > budget) byRead--;
        while (byRead < maxChainLength && sumOf(delta, byRead + 1) <= budget) byRead++;
        const expected = delta >= DELTA_WORTH_IT * model ? 0 : byRead;
        expect(run.deltas).toBe(expected);
        const reason = delta >= DELTA_WORTH_IT * model ? 'delta-too-large' : expected === maxChainLength ? 'chain-length' : 'route-read';
        expect(run.reason).toBe(reason);
      }), { numRuns: 300 });
  });

  it('reads only the reasons it knows from a manifest', () => {
    expect(knownCheckpointReason('route-read')).toBe('route-read');
    expect(knownCheckpointReason('from-the-future')).toBeUndefined();
    expect(knownCheckpointReason(undefined)).toBeUndefined();
  });
});

/** The bytes of k deltas as commit sums them, one at a time. */
function sumOf(delta: number, k: number): number {
  let s = 0;
  for (let i = 0; i < k; i++) s += delta;
  return s;
}

describe('the keep rule', () => {
  const c = (id: string, parent: string | null, over: Partial<KeepCommit> = {}): KeepCommit =>
    ({ id, parent, type: 'DELTA', hasRawFull: true, pinned: false, linked: false, ...over });

  it('keeps with reasons and packs a CHECKPOINT kept for that alone', () => {
    // a ← b ← c ← d (tip) and b ← e (a branch's tip, so b is among its line's 2 newest); keepFullLatest 2.
    const out = applyKeepPolicy([
      c('a', null, { type: 'CHECKPOINT' }), c('b', 'a', { pinned: true }), c('c', 'b'), c('d', 'c'), c('e', 'b', { linked: true }),
      c('f', null, { hasRawFull: false }),
    ], { keepFullLatest: 2 });
    expect(Object.fromEntries(out.map((d) => [d.id, [d.verdict, ...d.reasons]]))).toEqual({
      a: ['pack', 'checkpoint'], b: ['keep', 'newest', 'pinned'], c: ['keep', 'newest'], d: ['keep', 'branch-tip'], e: ['keep', 'branch-tip', 'linked'],
      f: ['none'],
    });
    expect(applyKeepPolicy([c('a', null, { type: 'CHECKPOINT' }), c('b', 'a'), c('c', 'b')], { keepFullLatest: 1 }).map((d) => d.verdict)).toEqual(['pack', 'prune', 'keep']);
  });

  it('never prunes or packs damaged full parameters', () => {
    expect(keepVerdict([], true)).toEqual({ verdict: 'keep', reasons: ['broken-chain'] });
    expect(keepVerdict(['checkpoint'], true)).toEqual({ verdict: 'keep', reasons: ['checkpoint'] });
    expect(keepVerdict(['checkpoint'], false)).toEqual({ verdict: 'pack', reasons: ['checkpoint'] });
    expect(keepVerdict([], false)).toEqual({ verdict: 'prune', reasons: [] });
  });

  it('agrees with a straightforward reference on random histories', () => {
    const history = fc.integer({ min: 1, max: 40 }).chain((n) => fc.tuple(
      fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: n, maxLength: n }),
      fc.array(fc.record({ checkpoint: fc.boolean(), raw: fc.boolean(), pinned: fc.boolean(), linked: fc.boolean(), damaged: fc.boolean() }), { minLength: n, maxLength: n }),
      fc.integer({ min: 1, max: 6 }),
    ));
    fc.assert(fc.property(history, ([parentPick, flags, keepFullLatest]) => {
      // Commit i's parent is an earlier commit (or none): any forest of lines and branches.
      const commits = flags.map((f, i) => c(`c${i}`, i === 0 || parentPick[i]! < 0.1 ? null : `c${Math.min(i - 1, Math.floor(parentPick[i]! * i))}`, {
        type: f.checkpoint ? 'CHECKPOINT' : 'DELTA', hasRawFull: f.raw, pinned: f.pinned, linked: f.linked, damaged: f.damaged,
      }));
      const got = applyKeepPolicy(commits, { keepFullLatest });
      for (const [i, commit] of commits.entries()) expect([got[i]!.verdict, got[i]!.reasons]).toEqual(reference(commits, commit, keepFullLatest));
    }), { numRuns: 300 });
  });
});

/** The keep rule said plainly: a commit is among a line's newest N when some tip lies fewer than N steps above it. */
function reference(all: readonly KeepCommit[], commit: KeepCommit, n: number): [string, KeepReason[]] {
  if (!commit.hasRawFull) return ['none', []];
  const children = (id: string): KeepCommit[] => all.filter((x) => x.parent === id);
  const stepsToTip = (id: string): number => {
    const kids = children(id);
    return kids.length === 0 ? 0 : 1 + Math.min(...kids.map((k) => stepsToTip(k.id)));
  };
  const reasons: KeepReason[] = [];
  if (commit.type === 'CHECKPOINT') reasons.push('checkpoint');
  const steps = stepsToTip(commit.id);
  if (steps === 0) reasons.push('branch-tip');
  else if (steps < n) reasons.push('newest');
  if (commit.pinned) reasons.push('pinned');
  if (commit.linked) reasons.push('linked');
  if (reasons.length === 0) return commit.damaged ? ['keep', ['broken-chain']] : ['prune', []];
  if (reasons.length === 1 && reasons[0] === 'checkpoint') return [commit.damaged ? 'keep' : 'pack', reasons];
  return ['keep', reasons];
}
