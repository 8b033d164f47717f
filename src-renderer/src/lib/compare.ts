// Comparing two commits: which one is A (the base) and which is B, whether the
// figures stored at commit time answer (B is A's child) or a diff job must
// compute them, how the two are related in the history, and the summary the
// compare view puts above its tables.
import type { CommitId, FileSummary, LogEntry } from '../../../src-shared/model';

export interface Pair {
  readonly a: CommitId;
  readonly b: CommitId;
}

/**
 * Older first: the comparison reads "what changed from A to B". Order is the
 * log's (newest first), so a commit further down the list is older; commits
 * not in the list keep the order given.
 */
export function orderPair(commits: readonly LogEntry[], x: CommitId, y: CommitId): Pair {
  const ix = commits.findIndex((c) => c.id === x);
  const iy = commits.findIndex((c) => c.id === y);
  if (ix < 0 || iy < 0) return { a: x, b: y };
  return ix >= iy ? { a: x, b: y } : { a: y, b: x };
}

/** 'stored' when B's parent is A: the delta stored at commit time already holds every figure. */
export function compareSource(commits: readonly LogEntry[], a: CommitId, b: CommitId): 'stored' | 'job' {
  return commits.find((c) => c.id === b)?.parent === a ? 'stored' : 'job';
}

/** How many parent steps lead from `from` back to `to`, or null when `to` is not an ancestor. */
export function ancestorDistance(commits: readonly LogEntry[], from: CommitId, to: CommitId): number | null {
  const byId = new Map(commits.map((c) => [c.id, c]));
  let cur: CommitId | null = from;
  for (let n = 0; cur && n <= commits.length; n++) {
    if (cur === to) return n;
    cur = byId.get(cur)?.parent ?? null;
  }
  return null;
}

/** The nearest commit both descend from, or null (separate histories). */
export function commonAncestor(commits: readonly LogEntry[], x: CommitId, y: CommitId): CommitId | null {
  const byId = new Map(commits.map((c) => [c.id, c]));
  const seen = new Set<CommitId>();
  for (let cur: CommitId | null = x; cur && !seen.has(cur); cur = byId.get(cur)?.parent ?? null) seen.add(cur);
  const guard = new Set<CommitId>();
  for (let cur: CommitId | null = y; cur && !guard.has(cur); cur = byId.get(cur)?.parent ?? null) {
    if (seen.has(cur)) return cur;
    guard.add(cur);
  }
  return null;
}

/** One sentence on where B stands from A. */
export function relationText(commits: readonly LogEntry[], a: CommitId, b: CommitId, short: (id: CommitId) => string): string {
  const down = ancestorDistance(commits, b, a);
  if (down === 1) return 'B is the child of A.';
  if (down !== null) return `B is ${down} commits after A on the same line.`;
  const up = ancestorDistance(commits, a, b);
  if (up === 1) return 'B is the parent of A (compared backwards).';
  if (up !== null) return `B is ${up} commits before A (compared backwards).`;
  const base = commonAncestor(commits, a, b);
  return base ? `A and B are on different branches that split at ${short(base)}.` : 'A and B share no history.';
}

export interface TopChange {
  readonly key: string;
  readonly file: string;
  readonly name: string;
  readonly changedFraction: number | null;
  readonly maxAbsDiff: number | null;
  readonly relChange: number | null;
}

export interface CompareSummary {
  readonly tensors: number;
  readonly changed: number;
  readonly added: number;
  readonly removed: number;
  readonly unchanged: number;
  readonly filesChanged: number;
  readonly files: number;
  /** The tensors that changed most (relative change, then max |Δ|), for the figures table. */
  readonly largest: readonly TopChange[];
}

export function compareSummary(files: readonly FileSummary[], limit = 8): CompareSummary {
  let tensors = 0, changed = 0, added = 0, removed = 0, unchanged = 0;
  const all: TopChange[] = [];
  for (const f of files) {
    for (const t of f.tensors) {
      tensors++;
      if (t.status === 'changed') {
        changed++;
        all.push({ key: `${f.path}\u0000${t.name}`, file: f.path, name: t.name, changedFraction: t.changedFraction, maxAbsDiff: t.maxAbsDiff, relChange: t.relChange });
      } else if (t.status === 'added') added++;
      else if (t.status === 'removed') removed++;
      else unchanged++;
    }
  }
  const score = (v: number | null): number => (v === null || Number.isNaN(v) ? -1 : v);
  all.sort((x, y) => score(y.relChange) - score(x.relChange) || score(y.maxAbsDiff) - score(x.maxAbsDiff) || x.name.localeCompare(y.name));
  return {
    tensors, changed, added, removed, unchanged,
    filesChanged: files.filter((f) => f.status !== 'unchanged').length,
    files: files.length,
    largest: all.slice(0, limit),
  };
}

/** "12.5%" of elements changed; "<0.1%" rather than a misleading "0.0%". */
export function formatFraction(v: number | null): string {
  if (v === null) return '–';
  if (v === 0) return '0%';
  const pct = v * 100;
  if (pct < 0.1) return '<0.1%';
  return `${pct >= 10 ? pct.toFixed(0) : pct.toFixed(1)}%`;
}

/** Largest absolute element difference: 3 significant digits, exponent when tiny or huge. */
export function formatMaxAbs(v: number | null): string {
  if (v === null) return '–';
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a < 1e-3 || a >= 1e4 ? v.toExponential(2) : v.toPrecision(3);
}
