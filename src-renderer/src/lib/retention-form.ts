// The retention section's logic: its text fields read as a RetentionPolicy
// (the shared rule's own parsers: parseDuration, the schema's bounds), the
// log's commits as what the rule needs to know of them, and the live preview
// the graph draws (applyRetention on the log, or the forget preview job's
// exact plan once it has answered for the same policy). Pure, tested alone.
import type { CommitId, ForgetPlan, LogEntry } from '../../../src-shared/model';
import {
  applyRetention, formatDuration, isEmptyPolicy, parseDuration, retentionPolicySchema, retentionReasonText,
  type RetentionCommit, type RetentionPolicy,
} from '../../../src-shared/policy/retention';

/** The fields as typed; '' leaves a rule out. */
export interface RetentionDraft {
  readonly keepLast: string;
  readonly bestCount: string;
  /** '' until a metric is chosen. */
  readonly bestMetric: string;
  /** 'auto': by the metric's name (a loss is better smaller). */
  readonly bestDirection: 'auto' | 'min' | 'max';
  readonly keepEvery: string;
  /** "7d", "2w", "36h" (parseDuration). */
  readonly keepWithin: string;
}

export type RetentionField = 'keepLast' | 'keepBest' | 'keepEvery' | 'keepWithin';

export const EMPTY_RETENTION_DRAFT: RetentionDraft = { keepLast: '', bestCount: '', bestMetric: '', bestDirection: 'auto', keepEvery: '', keepWithin: '' };

/** A stored policy as the form shows it (the first keep-best rule: the form edits one). */
export function retentionDraftOf(p: RetentionPolicy | null): RetentionDraft {
  if (!p) return EMPTY_RETENTION_DRAFT;
  const best = p.keepBest?.[0];
  return {
    keepLast: p.keepLast ? String(p.keepLast) : '',
    bestCount: best ? String(best.count) : '',
    bestMetric: best?.metric ?? '',
    bestDirection: best?.direction ?? 'auto',
    keepEvery: p.keepEvery ? String(p.keepEvery) : '',
    keepWithin: p.keepWithinMs ? formatDuration(p.keepWithinMs).replace(/ /gu, '') : '',
  };
}

export interface CheckedRetention {
  /** The policy the draft stands for; null while a field is wrong. An empty policy is a policy (it names no rule: nothing to preview). */
  readonly policy: RetentionPolicy | null;
  readonly errors: Partial<Record<RetentionField, string>>;
}

function count(text: string, what: string, max: number): { value: number | undefined } | { error: string } {
  const t = text.trim();
  if (t === '') return { value: undefined };
  if (!/^\d+$/u.test(t)) return { error: `${what} takes a whole number from 1 to ${max}, found "${t}"` };
  const n = Number(t);
  if (n < 1 || n > max) return { error: `${what} takes a whole number from 1 to ${max}, found ${n}` };
  return { value: n };
}

export function checkRetentionDraft(d: RetentionDraft): CheckedRetention {
  const errors: Partial<Record<RetentionField, string>> = {};
  const last = count(d.keepLast, 'Keep last', 100_000);
  const every = count(d.keepEvery, 'Keep every', 1_000_000_000);
  const best = count(d.bestCount, 'Keep best', 100_000);
  if ('error' in last) errors.keepLast = last.error;
  if ('error' in every) errors.keepEvery = every.error;
  if ('error' in best) errors.keepBest = best.error;
  else if (best.value !== undefined && d.bestMetric.trim() === '') errors.keepBest = 'Keep best needs a metric to rank by';
  let within: number | undefined;
  if (d.keepWithin.trim() !== '') {
    const ms = parseDuration(d.keepWithin);
    if (ms === null) errors.keepWithin = `Keep within takes a duration like 7d, 2w, 36h or 1y6m, found "${d.keepWithin.trim()}"`;
    else within = ms;
  }
  if (Object.keys(errors).length > 0) return { policy: null, errors };
  const policy: RetentionPolicy = {
    ...('value' in last && last.value !== undefined ? { keepLast: last.value } : {}),
    ...('value' in best && best.value !== undefined
      ? { keepBest: [{ count: best.value, metric: d.bestMetric.trim(), ...(d.bestDirection !== 'auto' ? { direction: d.bestDirection } : {}) }] }
      : {}),
    ...('value' in every && every.value !== undefined ? { keepEvery: every.value } : {}),
    ...(within !== undefined ? { keepWithinMs: within } : {}),
  };
  // The contract's own schema: what the job would refuse, refused here first.
  const parsed = retentionPolicySchema.safeParse(policy);
  if (!parsed.success) return { policy: null, errors: { keepLast: parsed.error.issues[0]?.message ?? 'not a policy the store takes' } };
  return { policy, errors };
}

/** The policy as the contract's (mutable) zod type takes it: jobs.start and retention.set. */
export function policyArgs(p: RetentionPolicy): {
  keepLast?: number; keepBest?: { count: number; metric: string; direction?: 'min' | 'max' }[]; keepEvery?: number; keepWithinMs?: number; keepTags?: string[];
} {
  return {
    ...(p.keepLast !== undefined ? { keepLast: p.keepLast } : {}),
    ...(p.keepBest ? { keepBest: p.keepBest.map((b) => ({ count: b.count, metric: b.metric, ...(b.direction ? { direction: b.direction } : {}) })) } : {}),
    ...(p.keepEvery !== undefined ? { keepEvery: p.keepEvery } : {}),
    ...(p.keepWithinMs !== undefined ? { keepWithinMs: p.keepWithinMs } : {}),
    ...(p.keepTags ? { keepTags: [...p.keepTags] } : {}),
  };
}

/** A stable key for "the same policy" (the exact plan answers for one). */
export function policyKey(p: RetentionPolicy | null | undefined): string {
  if (!p) return '';
  return JSON.stringify([p.keepLast ?? 0, (p.keepBest ?? []).map((b) => [b.count, b.metric, b.direction ?? '']), p.keepEvery ?? 0, p.keepWithinMs ?? 0, p.keepTags ?? []]);
}

/**
 * The log's commits as the rule sees them. What the log cannot tell (a
 * restore's links, in links.json) is taken as not linked: a linked commit
 * the estimate would drop is kept by the exact preview job, which reads them.
 */
export function retentionCommits(commits: readonly LogEntry[], head: CommitId | null): RetentionCommit[] {
  return commits.map((c) => ({
    id: c.id,
    parent: c.parent,
    createdAt: c.createdAt,
    line: c.meta?.run ?? c.path,
    ...(c.meta?.step !== undefined ? { step: c.meta.step } : {}),
    ...(c.meta?.metrics ? { metrics: c.meta.metrics } : {}),
    ...(c.tags?.length ? { tags: c.tags } : {}),
    pinned: c.pinned,
    linked: false,
    head: c.id === head,
  }));
}

/** One row of the graph while a policy is previewed. */
export interface PreviewMark {
  readonly verdict: 'keep' | 'forget';
  /** Why it stays, in the shared rule's words; empty when it goes. */
  readonly reasons: readonly string[];
}

export interface RetentionPreview {
  readonly marks: ReadonlyMap<string, PreviewMark>;
  readonly forget: number;
  readonly keep: number;
  /** 'estimate': played on the log; 'exact': the forget preview job's plan. */
  readonly source: 'estimate' | 'exact';
}

/** The policy played on the log (what the graph shows while the draft changes). */
export function estimatePreview(commits: readonly LogEntry[], head: CommitId | null, policy: RetentionPolicy): RetentionPreview {
  const decisions = applyRetention(retentionCommits(commits, head), policy);
  const marks = new Map<string, PreviewMark>();
  let forget = 0;
  for (const d of decisions) {
    marks.set(d.id, { verdict: d.verdict, reasons: d.reasons.map(retentionReasonText) });
    if (d.verdict === 'forget') forget++;
  }
  return { marks, forget, keep: decisions.length - forget, source: 'estimate' };
}

/** The forget preview job's plan as marks: it knows links and re-bases, so it overrides the estimate. */
export function exactPreview(plan: ForgetPlan): RetentionPreview {
  const marks = new Map<string, PreviewMark>();
  for (const c of plan.commits) marks.set(c.id, { verdict: c.verdict, reasons: c.reasons });
  return { marks, forget: plan.forgotten, keep: plan.kept, source: 'exact' };
}

/** How often each reason keeps a commit ("newest 3" ×3), most common first; ranks dropped so one rule counts once. */
export function reasonTally(preview: RetentionPreview): Array<{ readonly reason: string; readonly count: number }> {
  const counts = new Map<string, number>();
  for (const m of preview.marks.values()) {
    for (const r of new Set(m.reasons.map(reasonFamily))) counts.set(r, (counts.get(r) ?? 0) + 1);
  }
  return [...counts].map(([reason, n]) => ({ reason, count: n })).sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
}

/** "newest 3 (#2)" → "newest 3"; "best 3 by eval_loss (#1, 0.41)" → "best 3 by eval_loss". */
export function reasonFamily(text: string): string {
  return text.replace(/ \(#.*\)$/u, '');
}

/** Nothing to preview: no rule named (forget refuses such a policy, as restic does). */
export { isEmptyPolicy };

/**
 * The commits between two rows of the list, both included, in list order:
 * what "Forget N selected…" names (a shift-click range).
 */
export function rangeIds(order: readonly { readonly id: CommitId }[], a: CommitId, b: CommitId): CommitId[] {
  const i = order.findIndex((c) => c.id === a);
  const j = order.findIndex((c) => c.id === b);
  if (i < 0 || j < 0) return [];
  const [lo, hi] = i <= j ? [i, j] : [j, i];
  return order.slice(lo, hi + 1).map((c) => c.id);
}
