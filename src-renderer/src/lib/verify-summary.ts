// What a verify found, in words: per commit (verified, damaged but still
// restorable by another route, or lost) and for the whole history.
import type { VerifyCommit } from '../../../src-shared/model';

/** ok: every byte checked; restorable: an object is damaged but the version still comes back bit-exact; lost: it cannot be restored. */
export type VerifyVerdict = 'ok' | 'restorable' | 'lost';

export function verdictOf(c: Pick<VerifyCommit, 'ok' | 'restorable'>): VerifyVerdict {
  if (c.ok) return 'ok';
  return c.restorable ? 'restorable' : 'lost';
}

export const VERDICT_TEXT: Record<VerifyVerdict, string> = {
  ok: '✓ verified',
  restorable: '⚠ problem found — still restores',
  lost: '✕ cannot be restored',
};

export interface VerifySummary {
  readonly total: number;
  /** Commits with any problem (restorable + lost). */
  readonly problems: number;
  readonly restorable: number;
  readonly lost: number;
  /** Verified commits with a warning: they restore bit-exact, but a stored object repair cannot make again is gone. */
  readonly warned: number;
}

export function verifySummary(commits: readonly Pick<VerifyCommit, 'ok' | 'restorable' | 'warning'>[]): VerifySummary {
  let restorable = 0;
  let lost = 0;
  let warned = 0;
  for (const c of commits) {
    const v = verdictOf(c);
    if (v === 'restorable') restorable++;
    else if (v === 'lost') lost++;
    else if (c.warning) warned++;
  }
  return { total: commits.length, problems: restorable + lost, restorable, lost, warned };
}

const commitsWord = (n: number): string => `${n} commit${n === 1 ? '' : 's'}`;

/** "3 of 12 commits have a problem; 2 still restore bit-exact, 1 cannot." */
export function verifySummaryText(s: VerifySummary): string {
  // A warning is not a problem (the version restores bit-exact), but "all verified" alone would hide it.
  const warned = s.warned === 0 ? '' : ` ${s.warned === 1 ? '1 has a warning' : `${s.warned} have a warning`}: a delta that cannot be rebuilt is gone, the version still restores bit-exact.`;
  if (s.problems === 0) return (s.total === 1 ? 'The commit is verified: every byte checked.' : `All ${commitsWord(s.total)} verified: every byte checked.`) + warned;
  const head = s.problems === 1 ? `1 of ${commitsWord(s.total)} has a problem` : `${s.problems} of ${commitsWord(s.total)} have a problem`;
  if (s.problems === 1) return `${head}; it ${s.lost === 0 ? 'still restores bit-exact' : 'cannot be restored'}.`;
  if (s.lost === 0) return `${head}; all ${s.problems} still restore bit-exact.`;
  if (s.restorable === 0) return `${head}; none of them can be restored.`;
  return `${head}; ${s.restorable} still restore${s.restorable === 1 ? 's' : ''} bit-exact, ${s.lost} cannot.`;
}
