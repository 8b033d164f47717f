// Issue 12 in the renderer and the CLI: cleanup's packing said apart from its
// deleting (estimated figures saying so), honest totals (a store larger than
// its versions is not a saving), the raw copies kept for fast restore, and
// quantized tensors in the tensor table.
import { describe, expect, it } from 'vitest';
import type { CleanupPlan, FileSummary, LogEntry } from '../../src-shared/model';
import { againstVersions, againstVersionsText, rawCopies, rawCopiesText } from '../../src-shared/storage-totals';
import { afterText, cleanupDoneText, hasWork, packSummary, packText } from '../../src-renderer/src/lib/cleanup-words';
import { rawCopiesNote, storageSummary } from '../../src-renderer/src/lib/storage-summary';
import { byChangeFirst, changeCellText, changeRank, isQuantized, tensorRows, tensorTitle } from '../../src-renderer/src/lib/tensor-rows';

const MB = 1_000_000;

function plan(over: Partial<CleanupPlan>): CleanupPlan {
  return {
    commits: [], kept: [], bytesFreed: 0, packs: [], bytesPackSaved: 0,
    storeBytesBefore: 200 * MB, storeBytesAfter: 200 * MB, ...over,
  };
}

const commitFreed = { id: 'a1' as never, bytesFreed: 12 * MB, chainBefore: 0, chainAfter: 1, readBytesBefore: 0, readBytesAfter: 0 };

describe('cleanup words', () => {
  it('says packing apart from deleting, with exact figures and no "about" (issue 18: the preview measures every block)', () => {
    const p = plan({ commits: [commitFreed], bytesFreed: 12 * MB, packs: [{ id: 'c1' as never, rawBytes: 48 * MB, packedBytes: 31 * MB }], bytesPackSaved: 17 * MB, storeBytesAfter: 171 * MB });
    const s = packSummary(p)!;
    expect(s).toEqual({ count: 1, rawBytes: 48 * MB, packedBytes: 31 * MB, savedBytes: 17 * MB });
    expect(packText(s)).toBe('Would pack 1 CHECKPOINT: 48.0 MB raw → 31.0 MB packed (−17.0 MB)');
    expect(packText(s, { outOf: 2 })).toBe('Would pack 1 CHECKPOINT (not among the newest 2 of its line): 48.0 MB raw → 31.0 MB packed (−17.0 MB)');
    expect(afterText(p)).toBe('171.0 MB');
    expect(hasWork(p)).toBe(true);
  });

  it('gives exact figures after a run, and the notice says what was freed and what was packed', () => {
    const done = plan({
      commits: [commitFreed, { ...commitFreed, id: 'a2' as never }], bytesFreed: 24 * MB,
      packs: [{ id: 'c1' as never, rawBytes: 48 * MB, packedBytes: 30 * MB }, { id: 'c2' as never, rawBytes: 48 * MB, packedBytes: 32 * MB }],
      bytesPackSaved: 34 * MB, storeBytesAfter: 142 * MB,
    });
    expect(packText(packSummary(done)!, { done: true })).toBe('Packed 2 CHECKPOINTs: 96.0 MB raw → 62.0 MB packed (−34.0 MB)');
    expect(cleanupDoneText(done)).toBe('Cleanup freed 24.0 MB (full parameters of 2 commits) and packed 2 CHECKPOINTs (96.0 MB → 62.0 MB, −34.0 MB): the store went from 200.0 MB to 142.0 MB.');
    expect(cleanupDoneText(plan({ commits: [commitFreed], bytesFreed: 12 * MB, storeBytesAfter: 188 * MB }))).toBe('Cleanup freed 12.0 MB (full parameters of 1 commit): the store went from 200.0 MB to 188.0 MB.');
  });

  it('packing alone is work worth confirming; nothing at all is not', () => {
    const packOnly = plan({ packs: [{ id: 'c1' as never, rawBytes: 10, packedBytes: 6 }], bytesPackSaved: 4 });
    expect(hasWork(packOnly)).toBe(true);
    expect(cleanupDoneText(packOnly)).toMatch(/^Cleanup packed 1 CHECKPOINT \(10 B → 6 B, −4 B\)/);
    expect(hasWork(plan({}))).toBe(false);
    expect(packSummary(plan({}))).toBeNull();
    expect(cleanupDoneText(plan({}))).toBe('Cleanup found nothing to free or pack.');
    expect(afterText(plan({}))).toBe('200.0 MB');
  });
});

describe('the store against its versions', () => {
  it('calls a larger store "over", never a negative saving', () => {
    expect(againstVersions(100, 156)).toEqual({ kind: 'over', percent: 56 });
    expect(againstVersionsText(againstVersions(100, 156))).toBe('+56% over the versions');
    expect(againstVersions(1000, 1470, 1)).toEqual({ kind: 'over', percent: 47 });
    expect(againstVersionsText(againstVersions(1000, 1470, 1), 1)).toBe('+47.0% over the versions');
    expect(againstVersions(100, 47)).toEqual({ kind: 'saving', percent: 53 });
    expect(againstVersionsText(againstVersions(100, 47))).toBe('53% saved');
    expect(againstVersions(1000, 1002)).toEqual({ kind: 'even', percent: 0 });
    expect(againstVersions(0, 10)).toEqual({ kind: 'even', percent: 0 });
  });
});

function entry(id: string, parent: string | null, type: LogEntry['type'], fullBytes: number, more: Partial<LogEntry> = {}): LogEntry {
  return {
    id: id as LogEntry['id'], parent: parent as LogEntry['parent'], type, message: '', createdAt: '2026-01-01T00:00:00Z',
    logicalBytes: 100, fullBytes, deltaBytes: type === 'DELTA' ? 10 : 0, path: 'm', hasFull: fullBytes > 0, chainLength: 0, pinned: false, ...more,
  };
}

describe('raw copies kept for fast restore', () => {
  // c0 (CHECKPOINT) ← d1 ← d2 ← d3 (tip); d1 ← b1 (branch tip); d2 pinned; p0 a packed CHECKPOINT.
  const log = [
    entry('p0', null, 'CHECKPOINT', 30, { packed: true }),
    entry('c0', 'p0', 'CHECKPOINT', 100),
    entry('d1', 'c0', 'DELTA', 100),
    entry('d2', 'd1', 'DELTA', 100, { pinned: true }),
    entry('d3', 'd2', 'DELTA', 100),
    entry('b1', 'd1', 'DELTA', 100),
    entry('r1', 'd3', 'DELTA', 0, { hasFull: false }),
  ];

  it('counts raw full parameters only, and frees (about) those of unpinned DELTAs that are not the newest of their line', () => {
    // r1 (rebuilt) is the tip of the main line now; d3 is not newest any more.
    expect(rawCopies(log)).toEqual({ bytes: 500, freeableWithKeepOne: 200, estimated: true });
    expect(rawCopiesText(rawCopies(log))).toBe('raw copies kept for fast restore: 500 B (cleanup with keepFullLatest 1 would free about 200 B)');
  });

  it('estimates with the store\'s keepFullLatest when given, by cleanup\'s keep rule', () => {
    // keepFullLatest 2 keeps d3 (below the tip r1) and d1 (below the tip b1): nothing left to free.
    const two = rawCopies(log, 2);
    expect(two).toEqual({ bytes: 500, freeableWithKeepOne: 200, freeable: 0, keepFullLatest: 2, estimated: true });
    expect(rawCopiesText(two)).toBe('raw copies kept for fast restore: 500 B (each is a CHECKPOINT, pinned, or one of the 2 newest of its line)');
    expect(rawCopiesText(rawCopies(log, 1))).toBe('raw copies kept for fast restore: 500 B (cleanup with keepFullLatest 1 would free about 200 B)');
  });

  it('the toolbar\'s summary estimates with the store\'s keepFullLatest it is given', () => {
    const full = log.map((e) => ({ ...e, logicalBytes: 100 }));
    expect(storageSummary(full, 900, 2).raw).toMatchObject({ keepFullLatest: 2, freeable: 0 });
    expect(storageSummary(full, 900).raw.keepFullLatest).toBeUndefined();
  });

  it('says so when cleanup would keep them all, and stays quiet with none', () => {
    const kept = rawCopies([entry('c0', null, 'CHECKPOINT', 100), entry('d1', 'c0', 'DELTA', 50)]);
    expect(kept).toEqual({ bytes: 150, freeableWithKeepOne: 0, estimated: true });
    expect(rawCopiesText(kept)).toBe('raw copies kept for fast restore: 150 B (each is a CHECKPOINT, pinned, or the newest of its line)');
    expect(rawCopiesNote(rawCopies([]))).toBeNull();
    const note = rawCopiesNote(rawCopies(log))!;
    expect(note.text).toBe('Raw copies kept for fast restore: 500 B (cleanup with keepFullLatest 1 would free about 200 B).');
    expect(note.title).toMatch(/estimate/);
  });
});

describe('quantized tensors in the tensor table', () => {
  const gguf: FileSummary = {
    path: 'model.gguf', bytes: 0, sha256: '', format: 'gguf', status: 'changed',
    tensors: [
      { name: 'blk.0.attn_q.weight', dtype: 'OTHER', shape: [64, 64], bytes: 4352, status: 'changed', changedFraction: 0.061810661764705885, maxAbsDiff: null, relChange: null },
      { name: 'blk.0.ffn_down.weight', dtype: 'OTHER', shape: [64, 96], bytes: 6528, status: 'changed', changedFraction: 0.06219362745098039, maxAbsDiff: null, relChange: null },
      { name: 'blk.0.ffn_up.weight', dtype: 'F32', shape: [96, 64], bytes: 24576, status: 'changed', changedFraction: 1, maxAbsDiff: 4e-4, relChange: 0.001 },
      { name: 'blk.1.attn_q.weight', dtype: 'OTHER', shape: [64, 64], bytes: 4352, status: 'unchanged', changedFraction: 0, maxAbsDiff: null, relChange: null },
      { name: 'new.weight', dtype: 'OTHER', shape: [64], bytes: 36, status: 'added', changedFraction: null, maxAbsDiff: null, relChange: null },
      { name: 'ids', dtype: 'I64', shape: [4096], bytes: 32768, status: 'changed', changedFraction: 0.5, maxAbsDiff: null, relChange: null },
      // A float tensor that was all zeros: no relative change, but figures all the same.
      { name: 'blk.0.bias', dtype: 'F32', shape: [64], bytes: 256, status: 'changed', changedFraction: 1, maxAbsDiff: 0.01, relChange: null },
    ],
  };
  const rows = tensorRows([gguf]);
  const row = (name: string) => rows.find((r) => r.name === name)!;

  it('shows "quantized, N bytes changed" (N = changed share × length) instead of empty figures', () => {
    expect(isQuantized(gguf.tensors[0]!)).toBe(true);
    expect(row('blk.0.attn_q.weight').quantizedChangedBytes).toBe(269);
    expect(changeCellText(row('blk.0.attn_q.weight'))).toBe('quantized, 269 B changed');
    expect(changeCellText(row('blk.0.ffn_down.weight'))).toBe('quantized, 406 B changed');
    expect(changeCellText(row('blk.1.attn_q.weight'))).toBe('quantized, 0 B changed');
    expect(changeCellText(row('blk.0.ffn_up.weight'))).toBe('0.0010');
    // Added: nothing to compare with.
    expect(row('new.weight').quantizedChangedBytes).toBeNull();
    expect(changeCellText(row('new.weight'))).toBe('–');
    // A tensor of another dtype with no figures either is not "quantized".
    expect(changeCellText(row('ids'))).toBe('16.4 KB changed');
    expect(row('blk.0.bias').quantizedChangedBytes).toBeNull();
    expect(changeCellText(row('blk.0.bias'))).toBe('–');
    expect(tensorTitle(row('blk.0.attn_q.weight'))).toBe('blk.0.attn_q.weight\nOTHER [64, 64] · changed · quantized, 269 B changed (6.2% of its bytes; no float figures)');
  });

  it('sorts quantized tensors after the figures, by the share changed, before added and unchanged ones', () => {
    expect(byChangeFirst(rows).map((r) => r.name)).toEqual(['blk.0.ffn_up.weight', 'ids', 'blk.0.ffn_down.weight', 'blk.0.attn_q.weight', 'blk.0.bias', 'new.weight', 'blk.1.attn_q.weight']);
    expect(changeRank(row('blk.0.ffn_down.weight'))).toBeGreaterThan(changeRank(row('blk.0.attn_q.weight')));
    expect(changeRank(row('blk.0.attn_q.weight'))).toBeLessThan(0);
    expect(changeRank(row('blk.0.attn_q.weight'))).toBeGreaterThan(changeRank(row('new.weight')));
  });
});
