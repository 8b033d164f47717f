// What a cleanup deletes and what it packs, in words, kept apart: deleting
// frees the full parameters of commits rebuilt from deltas; packing replaces
// the raw full parameters of CHECKPOINTs that left the hot set by their
// packed form (byte planes + zstd). A preview's packed size is measured by
// encoding every block, so its figures are exact and say no "about". (The
// CLI's formatCleanup says the same.)
import { humanBytes } from '../../../src-shared/format';
import type { CleanupPlan } from '../../../src-shared/model';
import { autoForgetText } from './commit-words';

export interface PackSummary {
  readonly count: number;
  readonly rawBytes: number;
  readonly packedBytes: number;
  readonly savedBytes: number;
}

export function packSummary(plan: CleanupPlan): PackSummary | null {
  if (plan.packs.length === 0) return null;
  let rawBytes = 0, packedBytes = 0;
  for (const p of plan.packs) { rawBytes += p.rawBytes; packedBytes += p.packedBytes; }
  return { count: plan.packs.length, rawBytes, packedBytes, savedBytes: plan.bytesPackSaved };
}

function checkpoints(n: number): string {
  return `${n} CHECKPOINT${n === 1 ? '' : 's'}`;
}

/**
 * "Would pack 1 CHECKPOINT: 48.0 MB raw → 31.0 MB packed (−17.0 MB)"; with
 * `outOf`, "… 1 CHECKPOINT (not among the newest 2 of its line): …" (the
 * newest keep theirs raw for fast restore), the CLI's words; after a run "Packed …".
 */
export function packText(p: PackSummary, opts: { readonly done?: boolean; readonly outOf?: number } = {}): string {
  const where = opts.outOf === undefined ? '' : ` (${p.count === 1 ? 'not' : 'none'} among the newest ${opts.outOf} of its line)`;
  return `${opts.done ? 'Packed' : 'Would pack'} ${checkpoints(p.count)}${where}: ${humanBytes(p.rawBytes)} raw → ${humanBytes(p.packedBytes)} packed (−${humanBytes(p.savedBytes)})`;
}

/** Whether running the plan changes anything: something to delete or something to pack. */
export function hasWork(plan: CleanupPlan): boolean {
  return plan.commits.length > 0 || plan.packs.length > 0;
}

/** The store after the cleanup. */
export function afterText(plan: CleanupPlan): string {
  return humanBytes(plan.storeBytesAfter);
}

/** What a finished cleanup did, for the notice: freed and packed apart, and the store now. */
export function cleanupDoneText(plan: CleanupPlan): string {
  const p = packSummary(plan);
  if (plan.commits.length === 0 && !p) return `Cleanup found nothing to free or pack.${plan.autoForget ? ` ${autoForgetText(plan.autoForget)}` : ''}`;
  const parts: string[] = [];
  if (plan.commits.length > 0) parts.push(`freed ${humanBytes(plan.bytesFreed)} (full parameters of ${plan.commits.length} commit${plan.commits.length === 1 ? '' : 's'})`);
  if (p) parts.push(`packed ${checkpoints(p.count)} (${humanBytes(p.rawBytes)} → ${humanBytes(p.packedBytes)}, −${humanBytes(p.savedBytes)})`);
  const forgot = plan.autoForget ? ` ${autoForgetText(plan.autoForget)}` : '';
  return `Cleanup ${parts.join(' and ')}: the store went from ${humanBytes(plan.storeBytesBefore)} to ${afterText(plan)}.${forgot}`;
}
