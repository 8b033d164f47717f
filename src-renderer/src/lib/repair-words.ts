// A repair's plan or result in words: what each commit becomes, the headline,
// and the order a person wants to read it in (what is lost first).
import type { RepairCommit, RepairOutcome, RepairResult, RestoredLinkProblem } from '../../../src-shared/model';

const OUTCOME_ORDER: Record<RepairOutcome, number> = { lost: 0, repaired: 1, restorable: 2, intact: 3 };

export function outcomeText(outcome: RepairOutcome, dryRun: boolean): string {
  switch (outcome) {
    case 'intact': return 'intact';
    case 'repaired': return dryRun ? 'will be repaired' : 'repaired';
    case 'restorable': return 'still restores by another route';
    case 'lost': return 'cannot be restored';
  }
}

/** Commits that need a word (not intact), lost first; stable within an outcome. */
export function commitsToShow(commits: readonly RepairCommit[]): RepairCommit[] {
  return commits.filter((c) => c.outcome !== 'intact').sort((a, b) => OUTCOME_ORDER[a.outcome] - OUTCOME_ORDER[b.outcome]);
}

export function outcomeCounts(commits: readonly RepairCommit[]): Record<RepairOutcome, number> {
  const counts: Record<RepairOutcome, number> = { intact: 0, repaired: 0, restorable: 0, lost: 0 };
  for (const c of commits) counts[c.outcome]++;
  return counts;
}

/** Whether running the repair would change anything on disk. */
export function repairHasWork(r: Pick<RepairResult, 'quarantined' | 'rebuilt'>): boolean {
  return r.quarantined.length > 0 || r.rebuilt.length > 0;
}

const n = (count: number, one: string, many = `${one}s`): string => `${count} ${count === 1 ? one : many}`;

/** One sentence: what the repair does (dry run) or did, then what becomes of the commits. */
export function repairHeadline(r: RepairResult): string {
  const c = outcomeCounts(r.commits);
  if (!repairHasWork(r) && c.lost === 0 && c.restorable === 0) {
    return `Nothing to repair: every object the ${n(r.commits.length, 'commit')} name${r.commits.length === 1 ? 's' : ''} is intact.`;
  }
  const actions: string[] = [];
  if (r.quarantined.length > 0) actions.push(`set aside ${n(r.quarantined.length, 'damaged object')}`);
  const deltas = r.rebuilt.filter((b) => b.kind === 'delta').length;
  const fulls = r.rebuilt.length - deltas;
  const made = [fulls > 0 ? n(fulls, 'full copy', 'full copies') : '', deltas > 0 ? n(deltas, 'delta') : ''].filter(Boolean).join(' and ');
  if (r.rebuilt.length > 0) actions.push(`${r.dryRun ? 'rebuild' : 'rebuilt'} ${made} from intact bytes`);
  const did = actions.length === 0
    ? (r.dryRun ? 'Repair can change nothing' : 'Repair changed nothing')
    : `${r.dryRun ? 'Repair would' : 'Repair'} ${actions.join(' and ')}`;
  const fates: string[] = [];
  if (c.repaired > 0) fates.push(`${n(c.repaired, 'commit')} repaired`);
  if (c.restorable > 0) fates.push(`${c.restorable} still restore${c.restorable === 1 ? 's' : ''} by another route`);
  if (c.lost > 0) fates.push(`${c.lost} cannot be restored`);
  if (c.intact > 0) fates.push(`${c.intact} intact`);
  return `${did}. After it: ${fates.join(', ')}.`;
}

// Same words as the CLI's `status` (src-main/cli/main.ts), with the app's action name.
export function linkProblemText(problem: RestoredLinkProblem['problem']): string {
  switch (problem) {
    case 'broken': return 'broken: its target is gone';
    case 'modified': return 'modified: it no longer matches its commit (the stored version is unharmed)';
    case 'changed-in-place': return "changed in place: the store's copy is damaged; run Repair";
  }
}

/**
 * What to do about restored links that no longer match their commits (broken
 * or modified; a link changed in place has its own banner with Repair). The
 * store itself is unharmed by either, so the words say so first.
 */
export function linkTodo(problems: readonly RestoredLinkProblem['problem'][]): string {
  const parts = ['Nothing in the store is harmed.'];
  if (problems.includes('modified')) parts.push('To keep a modified file’s new bytes, commit it; to get the committed version back, restore that commit.');
  if (problems.includes('broken')) parts.push('A broken link’s version is still stored: restore the commit again, or delete the link.');
  return parts.join(' ');
}

/**
 * The engine's messages name the CLI command ("run \"weightline repair\"");
 * in the app the same step is the Repair button.
 */
export function appWords(message: string): string {
  return message.replace(/"?weightline repair"?/g, 'Repair');
}
