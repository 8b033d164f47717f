// The words the app uses for what verify and repair found (issue 10): the
// verify summary, each commit's verdict, the repair headline and order, and
// the link problems; plus the job label for a repair.
import { describe, expect, it } from 'vitest';
import type { CommitId, RepairCommit, RepairResult } from '../../src-shared/model';
import { appWords, commitsToShow, linkProblemText, outcomeCounts, outcomeText, repairHasWork, repairHeadline } from '../../src-renderer/src/lib/repair-words';
import { verdictOf, verifySummary, verifySummaryText } from '../../src-renderer/src/lib/verify-summary';
import { applyJobEvent } from '../../src-renderer/src/state/app-store';

const ok = { ok: true, restorable: true };
const restorable = { ok: false, restorable: true };
const lost = { ok: false, restorable: false };
const rep = (id: string, outcome: RepairCommit['outcome'], detail: string | null = null): RepairCommit => ({ id: id as CommitId, outcome, detail });

describe('verify summary', () => {
  it('tells a damaged commit that still restores from one that cannot', () => {
    expect(verdictOf(ok)).toBe('ok');
    expect(verdictOf(restorable)).toBe('restorable');
    expect(verdictOf(lost)).toBe('lost');
  });

  it('counts and words the whole history', () => {
    const twelve = [restorable, restorable, lost, ...Array.from({ length: 9 }, () => ok)];
    expect(verifySummary(twelve)).toEqual({ total: 12, problems: 3, restorable: 2, lost: 1, warned: 0 });
    expect(verifySummaryText(verifySummary(twelve))).toBe('3 of 12 commits have a problem; 2 still restore bit-exact, 1 cannot.');
  });

  it('says it in good English for one, all and none', () => {
    const text = (...cs: { ok: boolean; restorable: boolean }[]): string => verifySummaryText(verifySummary(cs));
    expect(text(ok, ok)).toBe('All 2 commits verified: every byte checked.');
    expect(text(ok)).toBe('The commit is verified: every byte checked.');
    expect(text(restorable, ok, ok, ok)).toBe('1 of 4 commits has a problem; it still restores bit-exact.');
    expect(text(lost, ok)).toBe('1 of 2 commits has a problem; it cannot be restored.');
    expect(text(restorable, restorable, ok)).toBe('2 of 3 commits have a problem; all 2 still restore bit-exact.');
    expect(text(lost, lost, ok)).toBe('2 of 3 commits have a problem; none of them can be restored.');
    expect(text(restorable, lost, lost)).toBe('3 of 3 commits have a problem; 1 still restores bit-exact, 2 cannot.');
  });

  it('an all-verified history with a warning says so (a delta verify found gone, which repair cannot make again)', () => {
    const warned = { ok: true, restorable: true, warning: 'model.safetensors: its delta object dacc4b6784f4 is missing and cannot be rebuilt' };
    expect(verifySummary([warned, ok, ok])).toMatchObject({ problems: 0, warned: 1 });
    expect(verifySummaryText(verifySummary([warned, ok, ok]))).toBe('All 3 commits verified: every byte checked. 1 has a warning: a delta that cannot be rebuilt is gone, the version still restores bit-exact.');
    expect(verifySummaryText(verifySummary([warned, warned]))).toMatch(/^All 2 commits verified: every byte checked\. 2 have a warning/);
  });
});

describe('repair words', () => {
  const sha = 'ab'.repeat(32);
  const plan = (over: Partial<RepairResult> = {}): RepairResult => ({
    dryRun: true, ok: true,
    commits: [rep('c1', 'intact'), rep('c2', 'repaired', 'rebuilt backward'), rep('c3', 'intact'), rep('c4', 'intact')],
    quarantined: [{ object: sha, path: `/s/.weightline/quarantine/${sha}.t`, reason: 'damaged: hashes to 0123' }],
    rebuilt: [{ object: sha, commit: 'c2' as CommitId, path: 'model.safetensors', route: 'from the full parameters of c3, 1 delta(s) backward' }],
    ...over,
  });

  it('headlines what a dry run would do and what a repair did', () => {
    expect(repairHeadline(plan())).toBe('Repair would set aside 1 damaged object and rebuild 1 full copy from intact bytes. After it: 1 commit repaired, 3 intact.');
    expect(repairHeadline(plan({ dryRun: false }))).toBe('Repair set aside 1 damaged object and rebuilt 1 full copy from intact bytes. After it: 1 commit repaired, 3 intact.');
    expect(repairHeadline(plan({ commits: [rep('c1', 'intact'), rep('c2', 'lost', 'no route')], rebuilt: [], ok: false })))
      .toBe('Repair would set aside 1 damaged object. After it: 1 cannot be restored, 1 intact.');
  });

  it('counts deltas encoded again apart from full copies (issue 18)', () => {
    const both = plan({ dryRun: false, rebuilt: [plan().rebuilt[0]!, { object: 'cd'.repeat(32), commit: 'c2' as CommitId, path: 'model.safetensors', route: 'as its delta again', kind: 'delta' }] });
    expect(repairHeadline(both)).toBe('Repair set aside 1 damaged object and rebuilt 1 full copy and 1 delta from intact bytes. After it: 1 commit repaired, 3 intact.');
    const onlyDelta = plan({ rebuilt: [{ object: 'cd'.repeat(32), commit: 'c2' as CommitId, path: 'model.safetensors', route: 'as its delta again', kind: 'delta' }] });
    expect(repairHeadline(onlyDelta)).toBe('Repair would set aside 1 damaged object and rebuild 1 delta from intact bytes. After it: 1 commit repaired, 3 intact.');
  });

  it('says when there is nothing to do, and only then disables Repair', () => {
    const clean = plan({ commits: [rep('c1', 'intact'), rep('c2', 'intact')], quarantined: [], rebuilt: [] });
    expect(repairHasWork(clean)).toBe(false);
    expect(repairHeadline(clean)).toBe('Nothing to repair: every object the 2 commits name is intact.');
    expect(repairHasWork(plan())).toBe(true);
  });

  it('lists what needs a word, lost first, and counts the rest', () => {
    const commits = [rep('a', 'intact'), rep('b', 'restorable'), rep('c', 'repaired'), rep('d', 'lost'), rep('e', 'repaired')];
    expect(commitsToShow(commits).map((c) => c.id)).toEqual(['d', 'c', 'e', 'b']);
    expect(outcomeCounts(commits)).toEqual({ intact: 1, repaired: 2, restorable: 1, lost: 1 });
    expect(outcomeText('repaired', true)).toBe('will be repaired');
    expect(outcomeText('repaired', false)).toBe('repaired');
    expect(outcomeText('lost', false)).toBe('cannot be restored');
  });

  it('words link problems as status does, and points to the Repair button instead of the CLI', () => {
    expect(linkProblemText('changed-in-place')).toBe("changed in place: the store's copy is damaged; run Repair");
    expect(linkProblemText('modified')).toMatch(/stored version is unharmed/);
    expect(linkProblemText('broken')).toMatch(/target is gone/);
    expect(appWords('it still restores bit-exact. Run "weightline repair"')).toBe('it still restores bit-exact. Run Repair');
    expect(appWords('damaged; run weightline repair')).toBe('damaged; run Repair');
  });

  it('labels a repair job', () => {
    const [job] = applyJobEvent([], { jobId: 'j', kind: 'repair', state: 'running' }, 0);
    expect(job).toMatchObject({ label: 'Repair', kind: 'repair', state: 'running' });
  });
});
