// What a training run recorded on its commits (LogEntry.meta), shaped for the
// list's columns, its sorting, the metric chart and the "best" mark. Pure, so
// the rules (which way a metric is better, which mark wins) are tested alone.
import type { CommitId, LogEntry } from '../../../src-shared/model';

import { metricDirection, type Direction } from '../../../src-shared/policy/metric-direction';

export { metricDirection, type Direction };

// Bookkeeping figures a trainer logs next to its metrics: never a default
// column (they are in the column chooser) nor what "best" is judged by.
const BOOKKEEPING = /(^|[_/])(learning_rate|lr|grad_norm|epoch|step|runtime|samples_per_second|steps_per_second|total_flos|train_runtime)$/u;

// The names a person looks for first, in this order, when a run logs them.
const PREFERRED = ['eval_loss', 'val_loss', 'loss', 'train_loss', 'eval_accuracy', 'val_acc', 'val_accuracy', 'accuracy', 'acc'];

export interface MetricName {
  readonly name: string;
  /** Commits carrying it. */
  readonly count: number;
  readonly direction: Direction;
  readonly bookkeeping: boolean;
}

/** Every metric some commit carries: the preferred names first, then the most common, then by name. */
export function metricNames(commits: readonly LogEntry[]): MetricName[] {
  const counts = new Map<string, number>();
  for (const c of commits) {
    for (const k of Object.keys(c.meta?.metrics ?? {})) counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const rank = (n: string): number => { const i = PREFERRED.indexOf(n); return i < 0 ? PREFERRED.length : i; };
  return [...counts].map(([name, count]) => ({ name, count, direction: metricDirection(name), bookkeeping: BOOKKEEPING.test(name) }))
    .sort((a, b) => Number(a.bookkeeping) - Number(b.bookkeeping) || rank(a.name) - rank(b.name) || b.count - a.count || a.name.localeCompare(b.name));
}

/** The metric columns shown when the person chose none: the first few of metricNames that are not bookkeeping. */
export function defaultMetricColumns(names: readonly MetricName[], max = 3): string[] {
  return names.filter((n) => !n.bookkeeping).slice(0, max).map((n) => n.name);
}

export interface RunColumns {
  readonly step: boolean;
  readonly epoch: boolean;
  readonly metrics: readonly string[];
}

/** Which training columns the list shows: step and epoch when any commit has them, and the chosen (or default) metrics still present. */
export function runColumns(commits: readonly LogEntry[], chosen: readonly string[] | null): RunColumns {
  const names = metricNames(commits);
  const present = new Set(names.map((n) => n.name));
  const metrics = chosen ? chosen.filter((n) => present.has(n)) : defaultMetricColumns(names);
  return {
    step: commits.some((c) => c.meta?.step !== undefined),
    epoch: commits.some((c) => c.meta?.epoch !== undefined),
    metrics,
  };
}

export type SortKey = 'step' | 'epoch' | `metric:${string}`;
export interface SortState { readonly key: SortKey; readonly desc: boolean }

export function sortValue(c: LogEntry, key: SortKey): number | undefined {
  if (key === 'step') return c.meta?.step;
  if (key === 'epoch') return c.meta?.epoch;
  return c.meta?.metrics?.[key.slice('metric:'.length)];
}

/** The list sorted by a column; commits without a value stay last in either direction, in their graph order. */
export function sortCommits<T extends LogEntry>(commits: readonly T[], sort: SortState): T[] {
  const keyed = commits.map((c, i) => ({ c, i, v: sortValue(c, sort.key) }));
  keyed.sort((a, b) => {
    if (a.v === undefined || b.v === undefined) return (a.v === undefined ? 1 : 0) - (b.v === undefined ? 1 : 0) || a.i - b.i;
    return (sort.desc ? b.v - a.v : a.v - b.v) || a.i - b.i;
  });
  return keyed.map((k) => k.c);
}

/** Clicking a header: a new column sorts ascending (descending for higher-is-better metrics), the same column flips, a third click returns to graph order. */
export function nextSort(current: SortState | null, key: SortKey): SortState | null {
  if (!current || current.key !== key) {
    const firstDesc = key.startsWith('metric:') && metricDirection(key.slice('metric:'.length)) === 'higher';
    return { key, desc: firstDesc };
  }
  const firstDesc = key.startsWith('metric:') && metricDirection(key.slice('metric:'.length)) === 'higher';
  return current.desc === firstDesc ? { key, desc: !current.desc } : null;
}

export interface BestMark {
  readonly id: CommitId;
  readonly metric: string;
  readonly value: number | undefined;
  /** 'trainer': the trainer's own best marker named it; 'rule': the best value by metricDirection. */
  readonly source: 'trainer' | 'rule';
  /** The run it is best in ('' for commits outside a run). */
  readonly run: string;
}

const lastSegment = (p: string): string => p.replace(/[\\/]+$/u, '').split(/[\\/]/u).pop() ?? p;

/**
 * The best commit by `metric` in each run (meta.run; commits of no run form
 * one group). The trainer's own marker wins when the newest commit of the run
 * that carries one ranks by this metric (or names none) and names a
 * checkpoint the run committed: it knows its metric's direction and saw
 * evaluations between saves that the commits do not carry. Otherwise the
 * commit with the best value by metricDirection (the oldest of equals).
 */
export function bestMarks(commits: readonly LogEntry[], metric: string): BestMark[] {
  const runs = new Map<string, LogEntry[]>();
  for (const c of commits) {
    const run = c.meta?.run ?? '';
    let list = runs.get(run);
    if (!list) runs.set(run, (list = []));
    list.push(c);
  }
  const out: BestMark[] = [];
  for (const [run, list] of runs) {
    // Newest first by time; the list's own order breaks ties.
    const byTime = list.map((c, i) => ({ c, i, t: Date.parse(c.createdAt) })).sort((a, b) => (b.t - a.t) || (a.i - b.i)).map((x) => x.c);
    const marker = byTime.find((c) => c.meta?.trainerBest !== undefined)?.meta;
    if (run !== '' && marker?.trainerBest && (marker.trainerBestMetric === undefined || marker.trainerBestMetric === metric)) {
      const name = lastSegment(marker.trainerBest);
      const named = byTime.find((c) => c.meta?.checkpoint !== undefined && lastSegment(c.meta.checkpoint) === name);
      if (named) {
        out.push({ id: named.id, metric, value: named.meta?.metrics?.[metric], source: 'trainer', run });
        continue;
      }
    }
    const dir = metricDirection(metric);
    let best: LogEntry | undefined;
    for (const c of [...byTime].reverse()) {
      const v = c.meta?.metrics?.[metric];
      if (v === undefined) continue;
      const b = best?.meta?.metrics?.[metric];
      if (b === undefined || (dir === 'lower' ? v < b : v > b)) best = c;
    }
    if (best) out.push({ id: best.id, metric, value: best.meta?.metrics?.[metric], source: 'rule', run });
  }
  return out;
}

/** The metric "best" is judged by when the person picked none: the trainer's own (the newest that names one and is carried), else the first default column. */
export function bestMetric(commits: readonly LogEntry[], names: readonly MetricName[]): string | null {
  const present = new Set(names.map((n) => n.name));
  for (const c of commits) {
    const m = c.meta?.trainerBestMetric;
    if (m && present.has(m)) return m;
  }
  return defaultMetricColumns(names, 1)[0] ?? null;
}

/** A metric's value as the list shows it: 4 significant digits, exponent for very small or large values. */
export function formatMetric(v: number | undefined): string {
  if (v === undefined) return '';
  if (Number.isInteger(v) && Math.abs(v) < 1e7) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(2);
  return String(Number(v.toPrecision(4)));
}

/** Bars of the storage chart (oldest first, each one commit or a mean of several) → the metric's value per bar, or null where none of its commits has it. */
export function metricPoints(
  bars: readonly { readonly index: number; readonly ids: readonly string[] }[],
  byId: ReadonlyMap<string, LogEntry>,
  metric: string,
): { readonly index: number; readonly value: number; readonly ids: readonly string[] }[] {
  const out: { index: number; value: number; ids: readonly string[] }[] = [];
  for (const b of bars) {
    const values = b.ids.map((id) => byId.get(id)?.meta?.metrics?.[metric]).filter((v): v is number => v !== undefined);
    // Like the storage bars, a bar of several commits shows their mean.
    if (values.length > 0) out.push({ index: b.index, value: values.reduce((s, v) => s + v, 0) / values.length, ids: b.ids });
  }
  return out;
}
