// Bytes on disk per commit over time, full parameters and deltas stacked, so
// the big CHECKPOINT columns and what a cleanup removes are visible at a glance.
import { useLayoutEffect, useMemo, useRef } from 'react';
import { max } from 'd3-array';
import { axisLeft } from 'd3-axis';
import { scaleBand, scaleLinear } from 'd3-scale';
import { select } from 'd3-selection';
import { stack } from 'd3-shape';
import { humanBytes, shortId } from '../../../src-shared/format';
import type { CommitId } from '../../../src-shared/model';
import { storageBars, storageSeries, type StorageBar } from '../lib/storage-series';
import { useElementWidth } from '../hooks/use-element-width';
import { useApp } from '../state/app-store';
import { select as selectCommit } from '../state/actions';

const HEIGHT = 120;
const M = { top: 8, right: 8, bottom: 6, left: 64 };
/** Narrowest bar worth drawing; more commits than fit are averaged per bar. */
const MIN_BAR_PX = 4;

export function StorageChart() {
  const commits = useApp((s) => s.commits);
  const selectedId = useApp((s) => s.selectedId);
  const series = useMemo(() => storageSeries(commits), [commits]);
  const boxRef = useRef<HTMLDivElement>(null);
  const svgRef = useRef<SVGSVGElement>(null);
  const width = useElementWidth(boxRef);

  useLayoutEffect(() => {
    const svg = svgRef.current;
    if (!svg || width === 0) return;
    const root = select(svg);
    root.selectAll('*').remove();
    if (series.length === 0) return;
    const innerW = Math.max(10, width - M.left - M.right);
    const innerH = HEIGHT - M.top - M.bottom;
    // At most one bar per few pixels: beyond that a bar is the mean of its commits.
    const bars = storageBars(series, Math.floor(innerW / MIN_BAR_PX));
    const y = scaleLinear().domain([0, max(bars, (d) => d.total) || 1]).nice(3).range([innerH, 0]);
    const g = root.append('g').attr('transform', `translate(${M.left},${M.top})`);
    g.append('g').attr('class', 'axis')
      .call(axisLeft(y).ticks(3).tickSize(-innerW).tickFormat((v) => humanBytes(Number(v))))
      .call((a) => a.select('.domain').remove());
    const x = scaleBand<number>().domain(bars.map((d) => d.index)).range([0, innerW]).paddingInner(bars.length > 60 ? 0.15 : 0.25);
    const barW = Math.min(x.bandwidth(), 28);
    const off = (x.bandwidth() - barW) / 2;
    stack<StorageBar>().keys(['full', 'delta'])(bars).forEach((layer) => {
      g.append('g').attr('class', `stack-${layer.key}`)
        .selectAll('rect').data(layer).join('rect')
        .attr('x', (d) => (x(d.data.index) ?? 0) + off).attr('width', barW)
        .attr('y', (d) => y(d[1])).attr('height', (d) => Math.max(0, y(d[0]) - y(d[1])));
    });
    // Full-height targets: clicking anywhere in a bar's column selects its (newest) commit.
    g.append('g').selectAll('rect').data(bars).join('rect')
      .attr('class', (d) => `hit${selectedId && d.ids.includes(selectedId) ? ' selected' : ''}`)
      .attr('x', (d) => x(d.index) ?? 0).attr('width', x.step()).attr('y', 0).attr('height', innerH)
      .on('click', (_e, d) => selectCommit(d.ids[d.ids.length - 1] as CommitId, { focus: true }))
      .append('title').text((d) => d.ids.length === 1
        ? `${shortId(d.ids[0]!)}: full ${humanBytes(d.full)}, delta ${humanBytes(d.delta)}`
        : `${d.ids.length} commits, per commit on average: full ${humanBytes(d.full)}, delta ${humanBytes(d.delta)}`);
  }, [series, width, selectedId]);

  const last = series[series.length - 1];
  return (
    <section className="storage-chart" aria-label="Storage over time">
      <div className="section-head">
        <h2>Storage over time</h2>
        <span className="legend"><i className="swatch full" />full parameters <i className="swatch delta" />deltas</span>
      </div>
      <div ref={boxRef} className="chart-box">
        <svg ref={svgRef} width={width} height={HEIGHT} role="img"
          aria-label={`Bytes on disk per commit for ${series.length} commits${last ? `; newest keeps ${humanBytes(last.total)}` : ''}`} />
      </div>
    </section>
  );
}
