// The training view of the commit list, worked out once per list and choice:
// metric names, the columns shown, the metric "best" is judged by and the best
// commit of each run by it. The list, the chart and the details pane share it.
import { useMemo } from 'react';
import type { LogEntry } from '../../../src-shared/model';
import { bestMarks, bestMetric, metricNames, runColumns, type BestMark, type MetricName, type RunColumns } from '../lib/run-metrics';
import { useApp } from '../state/app-store';

export interface RunMetrics {
  readonly names: readonly MetricName[];
  readonly columns: RunColumns;
  /** The metric the chart draws and "best" is judged by (the picker's, else bestMetric). */
  readonly metric: string | null;
  readonly best: ReadonlyMap<string, BestMark>;
  /** Any commit with step, epoch or metrics: without one the list and chart stay as they were. */
  readonly any: boolean;
}

export function runMetricsOf(commits: readonly LogEntry[], chosenColumns: readonly string[] | null, chartMetric: string | null): RunMetrics {
  const names = metricNames(commits);
  const columns = runColumns(commits, chosenColumns);
  const metric = chartMetric && names.some((n) => n.name === chartMetric) ? chartMetric : bestMetric(commits, names);
  const best = new Map((metric ? bestMarks(commits, metric) : []).map((m) => [m.id as string, m]));
  return { names, columns, metric, best, any: names.length > 0 || columns.step || columns.epoch };
}

export function useRunMetrics(): RunMetrics {
  const commits = useApp((s) => s.commits);
  const chosen = useApp((s) => s.runView.columns);
  const chartMetric = useApp((s) => s.runView.chartMetric);
  return useMemo(() => runMetricsOf(commits, chosen, chartMetric), [commits, chosen, chartMetric]);
}
