// Bytes on disk per commit over time, full parameters and deltas stacked, so
// the big CHECKPOINT columns and what a cleanup removes are visible at a
// glance. Axes say what is measured; hovering a bar shows its exact bytes and
// lights its row in the commit list (and hovering a row lights its bar).
import { useLayoutEffect, useMemo, useRef, useState } from 'react';
import { max } from 'd3-array';
import { axisBottom, axisLeft } from 'd3-axis';
import { scaleLinear } from 'd3-scale';
import { select } from 'd3-selection';
import { stack } from 'd3-shape';
import { humanBytes, shortId } from '../../../src-shared/format';
import type { CommitId } from '../../../src-shared/model';
import { CHART_MARGIN as M, MIN_BAR_PX, barLines, barScale, storageBars, storageSeries, tickBars, type StorageBar } from '../lib/storage-series';
import { rawCopiesNote } from '../lib/storage-summary';
import { rawCopies } from '../../../src-shared/storage-totals';
import { useElementSize } from '../hooks/use-element-size';
import { useApp } from '../state/app-store';
import { select as selectCommit } from '../state/actions';
import { hoverCommit, leaveCommit, useHoverLink } from '../state/hover-link';
import { useRunMetrics } from '../hooks/use-run-metrics';
import { MetricChart } from './MetricChart';


interface Tip { readonly bar: StorageBar; readonly first: number; readonly left: number; readonly top: number }

export function StorageChart() {
  const commits = useApp((s) => s.commits);
  const selectedId = useApp((s) => s.selectedId);
  const hoveredId = useHoverLink((s) => s.id);
  const series = useMemo(() => storageSeries(commits), [commits]);
  const byId = useMemo(() => new Map(commits.map((c) => [c.id as string, c])), [commits]);
  // The raw copies kept for fast restore, and about what trimming them frees (from the log: no plan is run).
  const keepFullLatest = useApp((s) => s.keepFullLatest ?? undefined);
  const rawNote = useMemo(() => rawCopiesNote(rawCopies(commits, keepFullLatest)), [commits, keepFullLatest]);
  const boxRef = useRef<HTMLDivElement>(null);
  const svgRef = useRef<SVGSVGElement>(null);
  const { width, height } = useElementSize(boxRef);
  const [tip, setTip] = useState<Tip | null>(null);
  const run = useRunMetrics();
  const withMetrics = run.metric !== null;
  const innerW = Math.max(10, width - M.left - M.right);
  const innerH = Math.max(20, height - M.top - M.bottom);
  // At most one bar per few pixels: beyond that a bar is the mean of its commits.
  const bars = useMemo(() => storageBars(series, Math.floor(innerW / MIN_BAR_PX)), [series, innerW]);

  useLayoutEffect(() => {
    const svg = svgRef.current;
    if (!svg || width === 0 || height === 0) return;
    const root = select(svg);
    root.selectAll('*').remove();
    if (bars.length === 0) return;
    const y = scaleLinear().domain([0, max(bars, (d) => d.total) || 1]).nice(innerH < 90 ? 2 : 4).range([innerH, 0]);
    const g = root.append('g').attr('transform', `translate(${M.left},${M.top})`);
    g.append('g').attr('class', 'axis')
      .call(axisLeft(y).ticks(innerH < 90 ? 2 : 4).tickSize(-innerW).tickFormat((v) => humanBytes(Number(v))))
      .call((a) => a.select('.domain').remove());
    root.append('text').attr('class', 'axis-title')
      .attr('transform', `translate(11,${M.top + innerH / 2}) rotate(-90)`).attr('text-anchor', 'middle')
      .text('on disk');
    const x = barScale(bars, innerW);
    // Commit numbers, 1 = oldest; a bar of several commits is labelled by its newest.
    const firstOf: number[] = [];
    bars.reduce((n, b) => { firstOf.push(n); return n + b.ids.length; }, 1);
    const ticks = tickBars(bars, Math.max(2, Math.floor(innerW / 44)));
    g.append('g').attr('class', 'axis axis-x').attr('transform', `translate(0,${innerH})`)
      .call(axisBottom(x).tickValues(ticks).tickSize(3).tickFormat((i) => `#${firstOf[i]! + bars[i]!.ids.length - 1}`))
      .call((a) => a.select('.domain').attr('class', 'domain baseline'));
    root.append('text').attr('class', 'axis-title')
      .attr('x', M.left + innerW).attr('y', M.top + innerH + 30).attr('text-anchor', 'end')
      .text('commits, oldest → newest');
    const barW = Math.min(x.bandwidth(), 28);
    const off = (x.bandwidth() - barW) / 2;
    stack<StorageBar>().keys(['full', 'delta'])(bars).forEach((layer) => {
      g.append('g').attr('class', `stack-${layer.key}`)
        .selectAll('rect').data(layer).join('rect')
        .attr('x', (d) => (x(d.data.index) ?? 0) + off).attr('width', barW)
        .attr('y', (d) => y(d[1])).attr('height', (d) => Math.max(0, y(d[0]) - y(d[1])));
    });
    // Full-height targets: clicking anywhere in a bar's column selects its
    // (newest) commit; hovering shows its exact bytes and lights its row.
    g.append('g').selectAll('rect').data(bars).join('rect')
      .attr('class', 'hit')
      .attr('data-commit', (d) => d.ids[d.ids.length - 1]!)
      .attr('data-testid', 'storage-bar')
      .attr('x', (d) => x(d.index) ?? 0).attr('width', x.step()).attr('y', 0).attr('height', innerH)
      .on('click', (_e, d) => selectCommit(d.ids[d.ids.length - 1] as CommitId, { focus: true }))
      .on('mouseenter', (_e, d) => {
        hoverCommit(d.ids[d.ids.length - 1]!, 'chart');
        const left = M.left + (x(d.index) ?? 0) + x.bandwidth() / 2;
        setTip({ bar: d, first: firstOf[d.index]!, left, top: M.top + y(d.total) });
      })
      .on('mouseleave', () => { leaveCommit('chart'); setTip(null); });
  }, [bars, width, height, innerW, innerH]);

  // Selection and the linked hover only restyle the targets, no redraw.
  useLayoutEffect(() => {
    const svg = svgRef.current;
    if (!svg) return;
    select(svg).selectAll<SVGRectElement, StorageBar>('rect.hit')
      .classed('selected', (d) => selectedId !== null && d.ids.includes(selectedId))
      .classed('hovered', (d) => hoveredId !== null && d.ids.includes(hoveredId));
  }, [bars, width, height, selectedId, hoveredId]);

  const last = series[series.length - 1];
  const lines = tip ? barLines(tip.bar, tip.first, (id) => {
    const c = byId.get(id);
    return c ? `${c.message || '(no message)'} · ${shortId(id)}` : shortId(id);
  }) : null;
  return (
    <section className={`storage-chart${withMetrics ? ' with-metrics' : ''}`} aria-label="Storage over time">
      <div className="storage-head">
        <div className="section-head">
          <h2>Storage over time</h2>
          <span className="legend"><i className="swatch full" />full parameters <i className="swatch delta" />deltas</span>
        </div>
        {rawNote && <p className="raw-note" data-testid="raw-copies" title={rawNote.title}>{rawNote.text}</p>}
      </div>
      <div ref={boxRef} className="chart-box">
        <svg ref={svgRef} width={width} height={height} role="img"
          aria-label={`Bytes on disk per commit for ${series.length} commits, oldest to newest${last ? `; newest keeps ${humanBytes(last.total)}` : ''}`} />
        {tip && lines && (
          <div
            role="tooltip"
            className={`chart-tip${tip.left > width / 2 ? ' tip-left' : ''}`}
            data-testid="storage-tooltip"
            style={{ left: tip.left, top: Math.max(4, Math.min(tip.top, height - 90)) }}
          >
            <div className="chart-tip-title">{lines.title}</div>
            <dl>
              {lines.rows.map(([k, v]) => <div key={k}><dt>{k}</dt><dd className="num">{v}</dd></div>)}
            </dl>
          </div>
        )}
      </div>
      {withMetrics && <MetricChart run={run} bars={bars} byId={byId} />}
    </section>
  );
}
