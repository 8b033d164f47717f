// A training metric per commit, under the storage chart and on its x axis
// (the same bars, margins and band scale), so a spike in storage and a jump
// in eval_loss line up. A picker chooses the metric; the best commit by it
// (bestMarks: the trainer's marker or the direction rule) is ringed.
import { useLayoutEffect, useMemo, useRef, useState } from 'react';
import { extent } from 'd3-array';
import { axisLeft } from 'd3-axis';
import { scaleLinear } from 'd3-scale';
import { select } from 'd3-selection';
import { line } from 'd3-shape';
import { shortId } from '../../../src-shared/format';
import type { CommitId, LogEntry } from '../../../src-shared/model';
import type { RunMetrics } from '../hooks/use-run-metrics';
import { useElementSize } from '../hooks/use-element-size';
import { formatMetric, metricDirection, metricPoints } from '../lib/run-metrics';
import { bestTitle } from '../lib/run-words';
import { CHART_MARGIN, barScale, type StorageBar } from '../lib/storage-series';
import { useApp } from '../state/app-store';
import { select as selectCommit, setRunView } from '../state/actions';
import { hoverCommit, leaveCommit, useHoverLink } from '../state/hover-link';

// Same left and right as the storage chart (the x axis is shared); the commit numbers are under the storage chart.
const M = { ...CHART_MARGIN, top: 8, bottom: 8 };

type Point = ReturnType<typeof metricPoints>[number];
interface Tip { readonly point: Point; readonly left: number; readonly top: number }

export function MetricChart({ run, bars, byId }: { run: RunMetrics; bars: readonly StorageBar[]; byId: ReadonlyMap<string, LogEntry> }) {
  const metric = run.metric!;
  const selectedId = useApp((s) => s.selectedId);
  const hoveredId = useHoverLink((s) => s.id);
  const boxRef = useRef<HTMLDivElement>(null);
  const svgRef = useRef<SVGSVGElement>(null);
  const { width, height } = useElementSize(boxRef);
  const [tip, setTip] = useState<Tip | null>(null);
  const innerW = Math.max(10, width - M.left - M.right);
  const innerH = Math.max(16, height - M.top - M.bottom);
  const points = useMemo(() => metricPoints(bars, byId, metric), [bars, byId, metric]);
  const bestIds = useMemo(() => new Set(run.best.keys()), [run.best]);
  const bests = [...run.best.values()];

  useLayoutEffect(() => {
    const svg = svgRef.current;
    if (!svg || width === 0 || height === 0) return;
    const root = select(svg);
    root.selectAll('*').remove();
    if (points.length === 0) return;
    const [lo, hi] = extent(points, (p) => p.value) as [number, number];
    const pad = lo === hi ? Math.abs(lo) * 0.1 || 1 : 0;
    const y = scaleLinear().domain([lo - pad, hi + pad]).nice().range([innerH, 0]);
    const x = barScale(bars, innerW);
    const cx = (p: Point): number => (x(p.index) ?? 0) + x.bandwidth() / 2;
    const g = root.append('g').attr('transform', `translate(${M.left},${M.top})`);
    g.append('g').attr('class', 'axis')
      .call(axisLeft(y).ticks(innerH < 70 ? 2 : 4).tickSize(-innerW).tickFormat((v) => formatMetric(Number(v))))
      .call((a) => a.select('.domain').remove());
    root.append('text').attr('class', 'axis-title')
      .attr('transform', `translate(11,${M.top + innerH / 2}) rotate(-90)`).attr('text-anchor', 'middle')
      .text(metricDirection(metric) === 'lower' ? '↓ better' : '↑ better');
    g.append('path').datum(points).attr('class', 'metric-line')
      .attr('d', line<Point>().x(cx).y((p) => y(p.value)));
    g.append('g').selectAll('circle').data(points).join('circle')
      .attr('class', (p) => `metric-dot${p.ids.some((id) => bestIds.has(id)) ? ' metric-best' : ''}`)
      .attr('data-testid', (p) => (p.ids.some((id) => bestIds.has(id)) ? 'metric-best' : null))
      .attr('cx', cx).attr('cy', (p) => y(p.value)).attr('r', (p) => (p.ids.some((id) => bestIds.has(id)) ? 5 : 2.6));
    // The best point's star, above it (or below when at the top).
    for (const p of points.filter((q) => q.ids.some((id) => bestIds.has(id)))) {
      const top = y(p.value) < 14;
      g.append('text').attr('class', 'metric-star').attr('x', cx(p)).attr('y', y(p.value) + (top ? 16 : -8)).attr('text-anchor', 'middle').text('★');
    }
    g.append('g').selectAll('rect').data(points).join('rect')
      .attr('class', 'hit').attr('data-commit', (p) => p.ids[p.ids.length - 1]!).attr('data-testid', 'metric-point')
      .attr('x', (p) => x(p.index) ?? 0).attr('width', x.step()).attr('y', 0).attr('height', innerH)
      .on('click', (_e, p) => selectCommit(p.ids[p.ids.length - 1] as CommitId, { focus: true }))
      .on('mouseenter', (_e, p) => { hoverCommit(p.ids[p.ids.length - 1]!, 'chart'); setTip({ point: p, left: M.left + cx(p), top: M.top + y(p.value) }); })
      .on('mouseleave', () => { leaveCommit('chart'); setTip(null); });
  }, [points, bars, bestIds, metric, width, height, innerW, innerH]);

  useLayoutEffect(() => {
    const svg = svgRef.current;
    if (!svg) return;
    select(svg).selectAll<SVGRectElement, Point>('rect.hit')
      .classed('selected', (p) => selectedId !== null && p.ids.includes(selectedId))
      .classed('hovered', (p) => hoveredId !== null && p.ids.includes(hoveredId));
  }, [points, width, height, selectedId, hoveredId]);

  const tipEntry = tip ? byId.get(tip.point.ids[tip.point.ids.length - 1]!) : undefined;
  return (
    <>
      <div className="section-head metric-head">
        <h2>
          <label htmlFor="metric-pick">Metric</label>
        </h2>
        <select id="metric-pick" aria-label="Metric shown in the chart" value={metric} onChange={(e) => setRunView({ chartMetric: e.target.value })}>
          {run.names.map((n) => <option key={n.name} value={n.name}>{n.name}</option>)}
        </select>
        {bests.length > 0 && (
          <span className="legend metric-legend" title={bests.map(bestTitle).join('\n')}>
            <span className="best-tag">★ best</span>
            {bests.length === 1 ? `${formatMetric(bests[0]!.value)} at ${shortId(bests[0]!.id)}${bests[0]!.source === 'trainer' ? ' (trainer)' : ''}` : `one per run (${bests.length})`}
          </span>
        )}
      </div>
      <div ref={boxRef} className="chart-box metric-box">
        <svg ref={svgRef} width={width} height={height} role="img"
          aria-label={`${metric} per commit for ${points.length} commits, oldest to newest${bests.length ? `; best ${bests.map((b) => `${formatMetric(b.value)} at ${shortId(b.id)}`).join(', ')}` : ''}`} />
        {tip && (
          <div role="tooltip" className={`chart-tip${tip.left > width / 2 ? ' tip-left' : ''}`} data-testid="metric-tooltip"
            style={{ left: tip.left, top: Math.max(4, Math.min(tip.top, height - 60)) }}>
            <div className="chart-tip-title">
              {tip.point.ids.length === 1 ? `${tipEntry?.message || '(no message)'} · ${shortId(tip.point.ids[0]!)}` : `${tip.point.ids.length} commits, mean`}
            </div>
            <dl>
              <div><dt>{metric}</dt><dd className="num">{formatMetric(tip.point.value)}</dd></div>
              {tipEntry?.meta?.step !== undefined && <div><dt>step</dt><dd className="num">{tipEntry.meta.step}</dd></div>}
            </dl>
          </div>
        )}
      </div>
    </>
  );
}
