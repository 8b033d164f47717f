// Which commits keep their raw full parameters through a cleanup, and why:
// like restic's ApplyPolicy, a pure function from a description of the
// history to a verdict per commit with its reasons. Cleanup applies it (and
// then proves every route before deleting, which may keep more: broken-chain);
// the status line and the app's storage chart estimate what a cleanup frees
// with it.
import type { CommitType, KeepReason } from '../model';
import type { Settings } from './settings';

/** What the rule needs to know of one commit. */
export interface KeepCommit {
  readonly id: string;
  readonly parent: string | null;
  readonly type: CommitType;
  /** Its raw full parameters are on disk: the only thing a cleanup frees. */
  readonly hasRawFull: boolean;
  readonly pinned: boolean;
  /** A restore linked (hard link, symlink, reflink) one of its full objects somewhere. */
  readonly linked: boolean;
  /** Its full parameters failed their hash: unknown (undefined) until checked. */
  readonly damaged?: boolean;
}

/**
 * - keep: raw full parameters stay, for `reasons`;
 * - pack: a CHECKPOINT kept for that alone: its full parameters stay, packed;
 * - prune: a candidate: its raw full parameters may go, once cleanup has proved every route survives;
 * - none: no raw full parameters to decide on.
 */
export type KeepVerdict = 'keep' | 'pack' | 'prune' | 'none';

export interface KeepDecision {
  readonly id: string;
  readonly verdict: KeepVerdict;
  /** Why it keeps (empty for prune and none). */
  readonly reasons: readonly KeepReason[];
}

/**
 * The reasons a commit keeps its raw full parameters before any bytes are
 * checked: CHECKPOINT, the end of a line (branch-tip) or one of the
 * keepFullLatest newest commits of a line (walking parents down from each
 * tip), pinned, linked. Only for commits with raw full parameters.
 */
export function keepReasons(commits: readonly KeepCommit[], settings: Pick<Settings, 'keepFullLatest'>): Map<string, KeepReason[]> {
  const byId = new Map(commits.map((c) => [c.id, c]));
  const hasChild = new Set<string>();
  for (const c of commits) if (c.parent !== null && byId.has(c.parent)) hasChild.add(c.parent);
  const newest = new Set<string>();
  for (const c of commits) {
    if (hasChild.has(c.id)) continue;
    let cur: KeepCommit | undefined = c;
    for (let i = 0; i < settings.keepFullLatest && cur; i++) {
      newest.add(cur.id);
      cur = cur.parent === null ? undefined : byId.get(cur.parent);
    }
  }
  const out = new Map<string, KeepReason[]>();
  for (const c of commits) {
    if (!c.hasRawFull) continue;
    const reasons: KeepReason[] = [];
    if (c.type === 'CHECKPOINT') reasons.push('checkpoint');
    if (!hasChild.has(c.id)) reasons.push('branch-tip');
    else if (newest.has(c.id)) reasons.push('newest');
    if (c.pinned) reasons.push('pinned');
    if (c.linked) reasons.push('linked');
    out.set(c.id, reasons);
  }
  return out;
}

/**
 * Whether a commit's full parameters must be checked before a verdict: only
 * where they could go (a candidate) or be replaced by a pack (a CHECKPOINT
 * kept for that alone). Damaged bytes are never deleted or packed: they are
 * the evidence repair works from.
 */
export function needsDamageCheck(reasons: readonly KeepReason[]): boolean {
  return reasons.length === 0 || (reasons.length === 1 && reasons[0] === 'checkpoint');
}

/** The verdict for one commit with raw full parameters, given its reasons and whether they hashed wrong. */
export function keepVerdict(reasons: readonly KeepReason[], damaged: boolean): { readonly verdict: Exclude<KeepVerdict, 'none'>; readonly reasons: readonly KeepReason[] } {
  if (reasons.length === 1 && reasons[0] === 'checkpoint') return damaged ? { verdict: 'keep', reasons } : { verdict: 'pack', reasons };
  if (reasons.length > 0) return { verdict: 'keep', reasons };
  return damaged ? { verdict: 'keep', reasons: ['broken-chain'] } : { verdict: 'prune', reasons: [] };
}

/** The whole rule over a history, each commit's `damaged` taken as known (unknown counts as intact). */
export function applyKeepPolicy(commits: readonly KeepCommit[], settings: Pick<Settings, 'keepFullLatest'>): KeepDecision[] {
  const reasons = keepReasons(commits, settings);
  return commits.map((c) => {
    const r = reasons.get(c.id);
    if (!r) return { id: c.id, verdict: 'none', reasons: [] };
    return { id: c.id, ...keepVerdict(r, !!c.damaged) };
  });
}
