// The retention section's logic: the draft's fields read as the policy the
// forget job takes (the contract's own schema accepts it), the log read as the
// rule's commits, the live preview on the graph (the shared rule's verdicts
// and words) and the exact plan overriding it, the shift-click range, the
// dashed edge across forgotten versions, and the words of forget and undo.
import { describe, expect, it } from 'vitest';
import { calls, jobRequest } from '../../src-shared/contract';
import { computeLanes } from '../../src-shared/graph-lanes';
import type { ForgetPlan, LogEntry, OpInfo, UndoResult } from '../../src-shared/model';
import { applyRetention, parseDuration } from '../../src-shared/policy/retention';
import { dashedColumns, laneDrawing } from '../../src-renderer/src/lib/lane-geometry';
import {
  checkRetentionDraft, EMPTY_RETENTION_DRAFT, estimatePreview, exactPreview, policyArgs, policyKey, rangeIds, reasonFamily, reasonTally,
  retentionCommits, retentionDraftOf,
} from '../../src-renderer/src/lib/retention-form';
import { forgetConfirmText, forgetDoneText, trashShort, trashText, undoableOp, undoDoneText } from '../../src-renderer/src/lib/forget-words';
import { cid, entry } from './fake-api';

const draft = (over: Partial<typeof EMPTY_RETENTION_DRAFT>) => ({ ...EMPTY_RETENTION_DRAFT, ...over });

describe('checkRetentionDraft', () => {
  it('reads each field as the rule the CLI flag names, and the forget job takes the result', () => {
    const c = checkRetentionDraft(draft({ keepLast: ' 3 ', bestCount: '2', bestMetric: 'eval_loss', bestDirection: 'min', keepEvery: '10', keepWithin: '2w' }));
    expect(c.errors).toEqual({});
    expect(c.policy).toEqual({ keepLast: 3, keepBest: [{ count: 2, metric: 'eval_loss', direction: 'min' }], keepEvery: 10, keepWithinMs: parseDuration('2w') });
    expect(jobRequest.safeParse({ kind: 'forget', dryRun: true, policy: policyArgs(c.policy!) }).success).toBe(true);
    expect(calls['retention.set'].safeParse({ policy: policyArgs(c.policy!) }).success).toBe(true);
  });

  it('leaves empty fields out, and "by its name" leaves the direction to the metric', () => {
    expect(checkRetentionDraft(EMPTY_RETENTION_DRAFT)).toEqual({ policy: {}, errors: {} });
    expect(checkRetentionDraft(draft({ bestCount: '1', bestMetric: 'accuracy' })).policy).toEqual({ keepBest: [{ count: 1, metric: 'accuracy' }] });
  });

  it('says what is wrong beside each field, and gives no policy', () => {
    const c = checkRetentionDraft(draft({ keepLast: '0', bestCount: '3', keepEvery: '2.5', keepWithin: 'a week' }));
    expect(c.policy).toBeNull();
    expect(c.errors).toEqual({
      keepLast: 'Keep last takes a whole number from 1 to 100000, found 0',
      keepBest: 'Keep best needs a metric to rank by',
      keepEvery: 'Keep every takes a whole number from 1 to 1000000000, found "2.5"',
      keepWithin: 'Keep within takes a duration like 7d, 2w, 36h or 1y6m, found "a week"',
    });
  });

  it('shows a stored policy back in the same fields', () => {
    const policy = { keepLast: 3, keepBest: [{ count: 3, metric: 'eval_loss', direction: 'min' as const }], keepEvery: 10, keepWithinMs: parseDuration('1w2d')! };
    const back = checkRetentionDraft(retentionDraftOf(policy));
    expect(back.policy).toEqual(policy);
    expect(policyKey(back.policy)).toBe(policyKey(policy));
    expect(policyKey({ keepLast: 3 })).not.toBe(policyKey({ keepLast: 4 }));
    expect(retentionDraftOf(null)).toEqual(EMPTY_RETENTION_DRAFT);
  });
});

// A run of 8 checkpoints (steps 100..800, eval_loss falling then rising), HEAD at the newest.
function run(): LogEntry[] {
  const losses = [0.9, 0.7, 0.5, 0.3, 0.35, 0.4, 0.45, 0.5];
  const out: LogEntry[] = [];
  for (let i = 0; i < 8; i++) {
    out.unshift(entry(cid(`r${i}`), {
      parent: i === 0 ? null : cid(`r${i - 1}`), createdAt: `2026-01-0${i + 1}T00:00:00.000Z`, path: 'ckpt/model.safetensors',
      meta: { run: 'runs/a', step: (i + 1) * 100, metrics: { eval_loss: losses[i]! } },
      ...(i === 1 ? { tags: ['baseline'] } : {}), ...(i === 2 ? { pinned: true } : {}),
    }));
  }
  return out;
}

describe('the live preview', () => {
  it('gives the rule what the log knows: line by run, steps, metrics, tags, pins, HEAD; links left to the exact preview', () => {
    const commits = run();
    const rc = retentionCommits(commits, cid('r7'));
    expect(rc[0]).toMatchObject({ id: cid('r7'), line: 'runs/a', step: 800, metrics: { eval_loss: 0.5 }, head: true, linked: false });
    expect(rc.find((c) => c.id === cid('r1'))!.tags).toEqual(['baseline']);
    expect(rc.find((c) => c.id === cid('r2'))!.pinned).toBe(true);
    // No run: the line is the model's path.
    expect(retentionCommits([entry(cid('x'), { path: 'm.safetensors' })], null)[0]!.line).toBe('m.safetensors');
  });

  it('marks every row with the shared rule\'s verdict and words', () => {
    const commits = run();
    const policy = { keepLast: 2, keepBest: [{ count: 1, metric: 'eval_loss' }] };
    const p = estimatePreview(commits, cid('r7'), policy);
    const rule = applyRetention(retentionCommits(commits, cid('r7')), policy);
    expect(p.source).toBe('estimate');
    expect([...p.marks].map(([id, m]) => [id, m.verdict])).toEqual(rule.map((d) => [d.id, d.verdict]));
    // Kept: newest 2 (r7 HEAD, r6), best eval_loss (r3, 0.3), the tag (r1) and the pin (r2); the rest go.
    expect(commits.filter((c) => p.marks.get(c.id)!.verdict === 'forget').map((c) => c.id)).toEqual([cid('r5'), cid('r4'), cid('r0')]);
    expect(p.forget).toBe(3);
    expect(p.keep).toBe(5);
    expect(p.marks.get(cid('r3'))!.reasons).toEqual(['best 1 by eval_loss (#1, 0.3)']);
    expect(p.marks.get(cid('r7'))!.reasons).toEqual(['HEAD', 'branch tip', 'newest 2 (#1)']);
    expect(p.marks.get(cid('r1'))!.reasons).toEqual(['tag baseline']);
    expect(p.marks.get(cid('r0'))!.reasons).toEqual([]);
    // The summary counts each rule once per commit, ranks dropped.
    expect(reasonTally(p)).toEqual(expect.arrayContaining([{ reason: 'newest 2', count: 2 }, { reason: 'best 1 by eval_loss', count: 1 }, { reason: 'pinned', count: 1 }]));
    expect(reasonFamily('best 3 by eval_loss (#2, 0.41)')).toBe('best 3 by eval_loss');
  });

  it('takes the exact plan\'s verdicts over the estimate (it reads links and re-bases)', () => {
    const plan: ForgetPlan = {
      commits: [
        { id: cid('r5'), verdict: 'keep', reasons: ['linked by a restore'] },
        { id: cid('r4'), verdict: 'forget', reasons: [] },
      ],
      forgotten: 1, kept: 1, bytesRemoved: 300, bytesAdded: 100, bytesFreed: 200, storeBytesBefore: 1000, storeBytesAfter: 800, policy: '--keep-last 2', dryRun: true,
    };
    const p = exactPreview(plan);
    expect(p.source).toBe('exact');
    expect(p.marks.get(cid('r5'))).toEqual({ verdict: 'keep', reasons: ['linked by a restore'] });
    expect([p.forget, p.keep]).toEqual([1, 1]);
  });
});

describe('rangeIds', () => {
  it('is every row between the two, in list order, whichever was clicked first', () => {
    const rows = run();
    expect(rangeIds(rows, cid('r6'), cid('r4'))).toEqual([cid('r6'), cid('r5'), cid('r4')]);
    expect(rangeIds(rows, cid('r4'), cid('r6'))).toEqual([cid('r6'), cid('r5'), cid('r4')]);
    expect(rangeIds(rows, cid('r4'), cid('gone'))).toEqual([]);
  });
});

describe('the edge across forgotten versions', () => {
  it('is dashed from the kept commit\'s dot down to its kept ancestor, and nowhere else', () => {
    // c (2 forgotten before it) → a; a side branch s → a passes beside it, solid.
    const nodes = [
      { id: 'c', parent: 'a', forgottenBefore: 2 },
      { id: 's', parent: 'a' },
      { id: 'a', parent: null },
    ];
    const rows = computeLanes(nodes);
    const dashed = dashedColumns(nodes, rows);
    expect([...dashed[0]!.below]).toEqual([0]);
    expect([...dashed[0]!.above]).toEqual([]);
    // Passing the side branch's row, column 0 is still the dashed edge; the branch's own line (column 1) is solid.
    expect(dashed[1]!.above.has(0) && dashed[1]!.below.has(0)).toBe(true);
    expect(dashed[1]!.below.has(1)).toBe(false);
    // It ends in a's dot.
    expect([...dashed[2]!.above]).toEqual([0]);
    expect([...dashed[2]!.below]).toEqual([]);
    const g = { laneWidth: 10, rowHeight: 20 };
    expect(laneDrawing(rows[0]!, g, dashed[0]).segments).toEqual([{ column: 0, d: 'M5,10V20', dashed: true }]);
    const mid = laneDrawing(rows[1]!, g, dashed[1]).segments;
    expect(mid.find((s) => s.column === 0)).toEqual({ column: 0, d: 'M5,0V20', dashed: true });
    expect(mid.filter((s) => s.column === 1).every((s) => !s.dashed)).toBe(true);
    // Without forgotten versions nothing is dashed.
    const plain = [{ id: 'b', parent: 'a' }, { id: 'a', parent: null }];
    expect(dashedColumns(plain, computeLanes(plain)).every((d) => d.above.size === 0 && d.below.size === 0)).toBe(true);
  });
});

describe('forget and undo words', () => {
  const plan: ForgetPlan = {
    commits: [], forgotten: 12, kept: 8, bytesRemoved: 2_300_000_000, bytesAdded: 100_000_000, bytesFreed: 2_200_000_000,
    storeBytesBefore: 5e9, storeBytesAfter: 2.8e9, policy: '--keep-last 3', dryRun: false, op: 'op-1', trashUntil: '2026-12-14T10:00:00.000Z',
  };

  it('says how many went, what comes back once the trash is emptied, and until when', () => {
    expect(forgetDoneText(plan)).toBe('Forgot 12 versions, 2.2 GB freed once the trash is emptied (until Dec 14, 2026).');
    const { trashUntil: _t, ...noTrash } = plan;
    expect(forgetDoneText({ ...noTrash, forgotten: 1 })).toBe('Forgot 1 version, 2.2 GB freed.');
    expect(forgetConfirmText(plan)).toBe('Forget 12 versions (frees 2.2 GB)');
  });

  it('names the newest undoable operation, the trash, and what an undo brought back', () => {
    const op = (id: string, undoable: boolean): OpInfo => ({ id, kind: 'forget', startedAt: '2026-12-07T10:00:00.000Z', state: 'done', summary: '', commits: [], bytes: 0, undoable });
    expect(undoableOp([op('c', false), op('b', true), op('a', true)])?.id).toBe('b');
    expect(undoableOp([op('c', false)])).toBeNull();
    expect(trashShort({ bytes: 2_100_000_000, operations: 1, goneBy: '2026-12-14T00:00:00.000Z' })).toBe('2.1 GB in trash');
    expect(trashText({ bytes: 2_100_000_000, operations: 1, goneBy: '2026-12-14T12:00:00.000Z' })).toBe('2.1 GB in trash, gone by Dec 14, 2026');
    expect(trashText({ bytes: 0, operations: 0, goneBy: null })).toBeNull();
    const undone: UndoResult = { undone: op('b', false), restored: [cid('a'), cid('b')], op: 'op-2' };
    expect(undoDoneText(undone)).toBe('Undid the forget of Dec 7, 2026: 2 versions are back.');
  });
});
