// Why a cleanup keeps a commit's full parameters, in words.
import type { KeepReason } from '../../../src-shared/model';

export const KEEP_REASON_TEXT: Record<KeepReason, string> = {
  checkpoint: 'CHECKPOINT',
  'branch-tip': 'branch tip',
  newest: 'among the newest',
  pinned: 'pinned',
  linked: 'restored as a link',
  'broken-chain': 'chain below is broken',
  'already-pruned': 'already rebuilt on demand',
};

/** Count kept commits per reason, most common first, for a one-line summary. */
export function reasonCounts(kept: readonly { reasons: readonly KeepReason[] }[]): { reason: KeepReason; count: number }[] {
  const counts = new Map<KeepReason, number>();
  for (const k of kept) for (const r of k.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  return [...counts.entries()].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
}
