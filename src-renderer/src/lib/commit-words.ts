// What the app says about a commit once it is made, and why a commit is a
// CHECKPOINT: from the typed facts the core gives (checkpointReason,
// autoCleanup), in the policy module's words (checkpointReasonText), so the
// app and the CLI give the same reason.
import { humanBytes, shortId } from '../../../src-shared/format';
import type { AutoForgetReport, CommitResult } from '../../../src-shared/model';
import { checkpointReasonText, type CheckpointReason } from '../../../src-shared/policy/checkpoint';

/** Why a commit is a CHECKPOINT, as the details pane says it. */
export function checkpointWhy(reason: CheckpointReason): string {
  // The policy's words for "requested" name the CLI's flag; the app asked with its switch.
  return reason === 'requested' ? 'asked for when it was committed' : checkpointReasonText(reason);
}

/** A CHECKPOINT made by a rule rather than asked for, or made because nothing came before it. */
export function isAutomaticCheckpoint(r: Pick<CommitResult, 'type' | 'checkpointReason'>): boolean {
  return r.type === 'CHECKPOINT' && r.checkpointReason !== undefined && r.checkpointReason !== 'requested' && r.checkpointReason !== 'first';
}

export interface CommitDoneWords {
  readonly text: string;
  readonly details: readonly string[];
}

/**
 * The notice after a commit, or null when there is nothing beyond the new row
 * to say: an unchanged model (no commit made), an automatic CHECKPOINT and its
 * rule, and what autoCleanup freed (it may have removed this commit's own raw
 * copy, so nothing here says "kept" unless it did not run).
 */
export function commitDoneWords(r: CommitResult): CommitDoneWords | null {
  if (r.unchanged) return { text: `Nothing changed since HEAD (${shortId(r.id)}); no commit was made.`, details: [] };
  const details: string[] = [];
  if (isAutomaticCheckpoint(r)) details.push(`A CHECKPOINT because ${checkpointReasonText(r.checkpointReason!)}.`);
  const auto = r.autoCleanup;
  if (auto) {
    const freed = auto.bytesFreed + auto.bytesPackSaved;
    const what: string[] = [];
    const others = auto.commits.filter((c) => c !== r.id).length;
    if (others > 0) what.push(`the full parameters of ${others} older commit${others === 1 ? '' : 's'}`);
    if (auto.commits.includes(r.id)) what.push(`this commit's own full parameters (it is rebuilt from its delta)`);
    if (auto.packs > 0) what.push(`${auto.packs} CHECKPOINT${auto.packs === 1 ? '' : 's'} packed`);
    details.push(freed > 0 || what.length > 0
      ? `autoCleanup freed ${humanBytes(freed)}${what.length ? `: ${what.join(', ')}` : ''}.`
      : 'autoCleanup ran and found nothing to free.');
  }
  // The disk budget asked for room before this commit wrote: the engine's own sentence says what it did.
  if (r.budget) details.push(r.budget.note);
  const forgot = r.autoCleanup?.autoForget;
  if (forgot) details.push(autoForgetText(forgot));
  if (details.length === 0) return null;
  return { text: `Committed ${shortId(r.id)} as a ${r.type}.`, details };
}

/** What the stored retention policy's forget did after a cleanup (autoForget), in the notice's words. */
export function autoForgetText(f: AutoForgetReport): string {
  if (f.forgotten === 0) return `autoForget (${f.policy}) found nothing to forget.`;
  return `autoForget (${f.policy}) forgot ${f.forgotten} version${f.forgotten === 1 ? '' : 's'}, ${humanBytes(f.bytesFreed)} freed once the trash is emptied (\`weightline undo\` or Operations puts them back).`;
}
