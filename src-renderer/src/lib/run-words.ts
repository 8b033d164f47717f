// Words for training runs in the app: the best mark's hover text, the follow
// strip's line when the job has not said anything yet.
import { formatMetric, metricDirection, type BestMark } from './run-metrics';

export function bestTitle(b: BestMark): string {
  const value = b.value === undefined ? '' : ` (${formatMetric(b.value)})`;
  const run = b.run ? ` in ${b.run}` : '';
  return b.source === 'trainer'
    ? `Best by ${b.metric}${run}${value}: the trainer's own best checkpoint (it wins over the ${metricDirection(b.metric)}-is-better rule)`
    : `Best by ${b.metric}${run}${value}: the ${metricDirection(b.metric) === 'lower' ? 'lowest' : 'highest'} value recorded`;
}

/** The column widths of the training columns (CSS grid tracks), all of them and in a narrow list (step and the first metric). */
export function columnTracks(c: { readonly step: boolean; readonly epoch: boolean; readonly metrics: readonly string[] }): { all: string; narrow: string } {
  const all = [c.step ? '3.6rem' : '', c.epoch ? '3rem' : '', ...c.metrics.map(() => '4.9rem')].filter(Boolean);
  const narrow = [c.step ? '3.6rem' : '', c.metrics.length ? '4.9rem' : ''].filter(Boolean);
  return { all: all.join(' '), narrow: narrow.join(' ') };
}
