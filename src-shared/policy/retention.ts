// Which versions a forget keeps, and why: restic's ApplyPolicy for a history
// of model versions. A pure function from a description of the commits to a
// verdict per commit with its reasons. `weightline forget` (ops/forget.ts)
// applies it, then re-bases what it keeps and proves every kept version
// restores before anything goes; the app's retention pane plays it on the log
// for its live preview (the exact bytes come from the forget preview job).
import { z } from 'zod';
import { metricDirection } from './metric-direction';

/** One --keep-best rule: the N best commits of each line by a metric. */
export interface KeepBest {
  readonly count: number;
  readonly metric: string;
  /** 'min': smaller is better (a loss); absent: by the metric's name (metricDirection). */
  readonly direction?: 'min' | 'max';
}

/**
 * A retention policy, in restic's words. Counts apply per line of history
 * (a model path, or a training run: the lines commit and cleanup use), so
 * "--keep-last 3" keeps the newest 3 of every run.
 */
export interface RetentionPolicy {
  /** The newest N commits of each line. */
  readonly keepLast?: number;
  readonly keepBest?: readonly KeepBest[];
  /** Every Nth: by step where a line's commits carry steps (the first commit at or past each multiple of N), else every Nth commit of the line, oldest first. */
  readonly keepEvery?: number;
  /** Commits made within this many milliseconds before the newest commit of the store. */
  readonly keepWithinMs?: number;
  /** Commits carrying one of these tags ('*': any tag). Tagged commits are always kept anyway; naming them shows the reason. */
  readonly keepTags?: readonly string[];
}

const metricName = z.string().min(1).max(128).regex(/^[^\s=]+$/u, 'a metric name (no spaces or "=")');

export const retentionPolicySchema = z.object({
  keepLast: z.number().int().min(1).max(100_000).optional(),
  keepBest: z.array(z.object({ count: z.number().int().min(1).max(100_000), metric: metricName, direction: z.enum(['min', 'max']).optional() }).strict()).max(16).optional(),
  keepEvery: z.number().int().min(1).max(1_000_000_000).optional(),
  keepWithinMs: z.number().int().min(1).max(1000 * 365 * 24 * 3600 * 1000).optional(),
  keepTags: z.array(z.string().min(1).max(128)).max(64).optional(),
}).strict();

/** True when the policy names no rule: applying it would keep only what is always kept, so forget refuses it (restic does too). */
export function isEmptyPolicy(p: RetentionPolicy): boolean {
  return !p.keepLast && !(p.keepBest?.length) && !p.keepEvery && !p.keepWithinMs && !(p.keepTags?.length);
}

/** What the rule needs to know of one commit (from the log: LogEntry, tags, pins, links). */
export interface RetentionCommit {
  readonly id: string;
  readonly parent: string | null;
  readonly createdAt: string;
  /** Its line of history: `meta.run` for a run's checkpoints, else its source path (store/tips.ts summaryLine). */
  readonly line: string;
  readonly step?: number;
  readonly metrics?: Readonly<Record<string, number>>;
  readonly tags?: readonly string[];
  readonly pinned?: boolean;
  /** A restore linked one of its full objects somewhere (links.json). */
  readonly linked?: boolean;
  /** HEAD: the working copy came from it. */
  readonly head?: boolean;
}

export type RetentionReason =
  | { readonly kind: 'last'; readonly rank: number; readonly of: number }
  | { readonly kind: 'best'; readonly metric: string; readonly rank: number; readonly of: number; readonly value: number; readonly direction: 'min' | 'max' }
  | { readonly kind: 'every'; readonly n: number; readonly by: 'step' | 'count' }
  | { readonly kind: 'within'; readonly ms: number }
  | { readonly kind: 'tag'; readonly tag: string }
  | { readonly kind: 'pinned' }
  | { readonly kind: 'linked' }
  | { readonly kind: 'head' }
  | { readonly kind: 'branch-tip' }
  /** Explicit forgets (`forget A..B`, refs): a commit that was not named. */
  | { readonly kind: 'not-named' };

/** Reasons nothing overrides: a forget never removes such a commit, even one named explicitly. */
export const PROTECTED_REASONS: ReadonlySet<RetentionReason['kind']> = new Set(['tag', 'pinned', 'linked', 'head', 'branch-tip']);

export interface RetentionDecision {
  readonly id: string;
  readonly verdict: 'keep' | 'forget';
  /** Why it stays (empty when it goes). */
  readonly reasons: readonly RetentionReason[];
}

/** The one sentence per reason every door shows ("newest 3", "best eval_loss (#1 of 3)", "every 10 steps"). */
export function retentionReasonText(r: RetentionReason): string {
  switch (r.kind) {
    case 'last': return `newest ${r.of} (#${r.rank})`;
    case 'best': return `best ${r.of} by ${r.metric} (#${r.rank}, ${r.value})`;
    case 'every': return r.by === 'step' ? `every ${r.n} steps` : `every ${r.n}th`;
    case 'within': return `within ${formatDuration(r.ms)}`;
    case 'tag': return `tag ${r.tag}`;
    case 'pinned': return 'pinned';
    case 'linked': return 'linked by a restore';
    case 'head': return 'HEAD';
    case 'branch-tip': return 'branch tip';
    case 'not-named': return 'not named';
  }
}

/**
 * Applies a policy (or, with `forgetOnly`, an explicit list) to the history.
 * Always kept, whatever was asked: HEAD, pinned, linked, tagged commits and
 * the tip of every line (a commit no other names as parent). With
 * `forgetOnly`, the named commits go unless protected and every other stays
 * ('not-named'); otherwise a commit goes unless some rule keeps it.
 */
export function applyRetention(commits: readonly RetentionCommit[], policy: RetentionPolicy, forgetOnly?: ReadonlySet<string>): RetentionDecision[] {
  const reasons = new Map<string, RetentionReason[]>(commits.map((c) => [c.id, []]));
  const add = (id: string, r: RetentionReason): void => { reasons.get(id)!.push(r); };
  const ids = new Set(commits.map((c) => c.id));
  const hasChild = new Set<string>();
  for (const c of commits) if (c.parent !== null && ids.has(c.parent)) hasChild.add(c.parent);

  // Protected, always.
  const wantTags = new Set(policy.keepTags ?? []);
  for (const c of commits) {
    if (c.head) add(c.id, { kind: 'head' });
    if (c.pinned) add(c.id, { kind: 'pinned' });
    if (c.linked) add(c.id, { kind: 'linked' });
    for (const t of c.tags ?? []) add(c.id, { kind: 'tag', tag: t });
    if (!hasChild.has(c.id)) add(c.id, { kind: 'branch-tip' });
  }

  if (forgetOnly) {
    for (const c of commits) if (!forgetOnly.has(c.id)) add(c.id, { kind: 'not-named' });
  } else {
    // Lines, each oldest first (by time, then id: the order every view uses).
    const lines = new Map<string, RetentionCommit[]>();
    for (const c of commits) { const l = lines.get(c.line); if (l) l.push(c); else lines.set(c.line, [c]); }
    for (const line of lines.values()) {
      line.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      if (policy.keepLast) {
        const n = Math.min(policy.keepLast, line.length);
        for (let i = 0; i < n; i++) add(line[line.length - 1 - i]!.id, { kind: 'last', rank: i + 1, of: policy.keepLast });
      }
      for (const best of policy.keepBest ?? []) {
        const direction = best.direction ?? (metricDirection(best.metric) === 'lower' ? 'min' : 'max');
        const scored = line.filter((c) => c.metrics !== undefined && Object.hasOwn(c.metrics, best.metric) && Number.isFinite(c.metrics[best.metric]));
        // Ties go to the newer commit (it carries what came before).
        scored.sort((a, b) => {
          const va = a.metrics![best.metric]!, vb = b.metrics![best.metric]!;
          if (va !== vb) return direction === 'min' ? va - vb : vb - va;
          return line.indexOf(b) - line.indexOf(a);
        });
        scored.slice(0, best.count).forEach((c, i) => add(c.id, { kind: 'best', metric: best.metric, rank: i + 1, of: best.count, value: c.metrics![best.metric]!, direction }));
      }
      if (policy.keepEvery) {
        const n = policy.keepEvery;
        const bySteps = line.every((c) => c.step !== undefined);
        if (bySteps) {
          // The first commit at or past each multiple of n (saves need not fall on multiples).
          const seen = new Set<number>();
          for (const c of line) {
            const bucket = Math.floor(c.step! / n);
            if (bucket >= 1 && !seen.has(bucket)) { seen.add(bucket); add(c.id, { kind: 'every', n, by: 'step' }); }
          }
        } else {
          line.forEach((c, i) => { if ((i + 1) % n === 0) add(c.id, { kind: 'every', n, by: 'count' }); });
        }
      }
    }
    if (policy.keepWithinMs) {
      const newest = Math.max(...commits.map((c) => Date.parse(c.createdAt)).filter(Number.isFinite));
      for (const c of commits) {
        const t = Date.parse(c.createdAt);
        if (Number.isFinite(t) && newest - t <= policy.keepWithinMs) add(c.id, { kind: 'within', ms: policy.keepWithinMs });
      }
    }
    // A tag the policy names is already protected; '*' and names only change nothing but are accepted for restic's vocabulary.
    void wantTags;
  }
  return commits.map((c) => {
    const rs = reasons.get(c.id)!;
    return { id: c.id, verdict: rs.length > 0 ? 'keep' : 'forget', reasons: rs };
  });
}

const UNITS: ReadonlyArray<readonly [string, number]> = [['y', 365 * 86_400_000], ['m', 30 * 86_400_000], ['w', 7 * 86_400_000], ['d', 86_400_000], ['h', 3_600_000], ['min', 60_000]];

/**
 * A duration as restic writes it: "7d", "2w", "1y6m", "36h", "90min"
 * (y = 365 days, m = 30 days). Null when the text is not one.
 */
export function parseDuration(text: string): number | null {
  const t = text.trim().toLowerCase();
  if (!/^(\d+(y|min|m|w|d|h))+$/u.test(t)) return null;
  let ms = 0;
  for (const [, n, u] of t.matchAll(/(\d+)(y|min|m|w|d|h)/gu)) ms += Number(n) * UNITS.find(([k]) => k === u)![1];
  return ms > 0 && Number.isSafeInteger(ms) ? ms : null;
}

/** The inverse of parseDuration for display: the largest units first ("1w 2d"). */
export function formatDuration(ms: number): string {
  const parts: string[] = [];
  let rest = ms;
  for (const [u, size] of UNITS) {
    const n = Math.floor(rest / size);
    if (n > 0) { parts.push(`${n}${u}`); rest -= n * size; }
  }
  return parts.length > 0 ? parts.join(' ') : `${ms} ms`;
}

/**
 * A --keep-best value: "3:eval_loss", "3:eval_loss:min", "1:accuracy:max".
 * The words of the problem when it is not one.
 */
export function parseKeepBest(text: string): KeepBest | { readonly problem: string } {
  const m = /^(\d+):([^\s=:]+)(?::(min|max))?$/u.exec(text.trim());
  if (!m) return { problem: `--keep-best takes N:METRIC or N:METRIC:min|max (like 3:eval_loss:min), found "${text}"` };
  const count = Number(m[1]);
  if (!Number.isSafeInteger(count) || count < 1) return { problem: `--keep-best takes a count of at least 1, found "${m[1]}"` };
  return { count, metric: m[2]!, ...(m[3] ? { direction: m[3] as 'min' | 'max' } : {}) };
}

/** The policy as restic-style flags ("--keep-last 3 --keep-best 3:eval_loss:min"), for messages and the ops list. */
export function policyText(p: RetentionPolicy): string {
  const out: string[] = [];
  if (p.keepLast) out.push(`--keep-last ${p.keepLast}`);
  for (const b of p.keepBest ?? []) out.push(`--keep-best ${b.count}:${b.metric}${b.direction ? `:${b.direction}` : ''}`);
  if (p.keepEvery) out.push(`--keep-every ${p.keepEvery}`);
  if (p.keepWithinMs) out.push(`--keep-within ${formatDuration(p.keepWithinMs).replace(/ /gu, '')}`);
  for (const t of p.keepTags ?? []) out.push(`--keep-tag ${t}`);
  return out.join(' ');
}
