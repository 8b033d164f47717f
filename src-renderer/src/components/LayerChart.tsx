// Which layers changed most in this version: horizontal bars of the
// size-weighted relative L2 change ‖Δ‖/‖w‖ per layer, drawn with d3. Learned
// weights and running statistics (BatchNorm buffers) are two groups on their
// own scales: the buffers' large relative changes say nothing about training.
import { useLayoutEffect, useMemo, useRef } from 'react';
import { scaleLinear } from 'd3-scale';
import { select } from 'd3-selection';
import type { FileSummary } from '../../../src-shared/model';
import { layerChanges, type LayerChange } from '../lib/layer-changes';
import { formatRelChange } from '../lib/tensor-rows';
import { useElementWidth } from '../hooks/use-element-width';

const BAR_H = 16;
const GAP = 6;
const LABEL_W = 160;
const VALUE_W = 70;

export function LayerChart({ files }: { files: readonly FileSummary[] }) {
  const learned = useMemo(() => layerChanges(files, 8, 'learned'), [files]);
  const stats = useMemo(() => layerChanges(files, 6, 'running-stat'), [files]);
  if (learned.length === 0 && stats.length === 0) {
    return (
      <p className="muted small-text">
        No tensor changed in this version{files.some((f) => f.tensors.length > 0) ? '' : ' (or its files are stored as opaque bytes)'}.
      </p>
    );
  }
  return (
    <div className="layer-charts">
      <p className="metric-note small-text muted">
        Relative L2 change <span className="formula">‖Δ‖/‖w‖</span>: how far the weights moved against their size, per layer weighted by tensor size.
      </p>
      <div className="layer-group" data-group="learned">
        <div className="layer-group-title">Learned weights</div>
        {learned.length === 0
          ? <p className="muted small-text">No learned weight changed; only running statistics did.</p>
          : <Bars layers={learned} label="Learned weights" kind="learned" />}
      </div>
      {stats.length > 0 && (
        <div className="layer-group" data-group="running-stats">
          <div className="layer-group-title" title="running_mean, running_var and num_batches_tracked follow the data seen in forward passes; the optimizer does not train them">
            Running statistics <span className="muted">· BatchNorm buffers, not trained</span>
          </div>
          <Bars layers={stats} label="Running statistics" kind="stat" />
        </div>
      )}
    </div>
  );
}

function Bars({ layers, label, kind }: { layers: readonly LayerChange[]; label: string; kind: 'learned' | 'stat' }) {
  const boxRef = useRef<HTMLDivElement>(null);
  const svgRef = useRef<SVGSVGElement>(null);
  const width = useElementWidth(boxRef);
  const height = layers.length * (BAR_H + GAP);

  useLayoutEffect(() => {
    const svg = svgRef.current;
    if (!svg || width === 0) return;
    const labelW = Math.min(LABEL_W, width * 0.4);
    const max = layers[0]?.relChange ?? 1;
    const x = scaleLinear().domain([0, max]).range([0, Math.max(10, width - labelW - VALUE_W)]);
    const rows = select(svg).selectAll<SVGGElement, LayerChange>('g.layer')
      .data(layers, (d) => d.layer)
      .join((enter) => {
        const g = enter.append('g').attr('class', 'layer');
        g.append('title');
        g.append('text').attr('class', 'layer-label');
        g.append('rect').attr('class', `layer-bar layer-bar-${kind}`).attr('rx', 2);
        g.append('text').attr('class', 'layer-value');
        return g;
      })
      .attr('transform', (_d, i) => `translate(0,${i * (BAR_H + GAP)})`);
    rows.select('title').text((d) => `${d.layer}: relative L2 change ‖Δ‖/‖w‖ ${formatRelChange(d.relChange)} over ${d.tensors} changed tensor${d.tensors === 1 ? '' : 's'}`);
    rows.select<SVGTextElement>('text.layer-label')
      .attr('x', labelW - 8).attr('y', BAR_H / 2).attr('dy', '0.35em').attr('text-anchor', 'end')
      .text((d) => ellipsize(d.layer, Math.floor((labelW - 8) / 7)));
    rows.select('rect.layer-bar').attr('x', labelW).attr('y', 0).attr('height', BAR_H).attr('width', (d) => Math.max(2, x(d.relChange)));
    rows.select('text.layer-value')
      .attr('x', (d) => labelW + Math.max(2, x(d.relChange)) + 6).attr('y', BAR_H / 2).attr('dy', '0.35em')
      .text((d) => formatRelChange(d.relChange));
  }, [layers, width, kind]);

  return (
    <div ref={boxRef} className="layer-chart">
      <svg ref={svgRef} width={width} height={height} role="img"
        aria-label={`${label}, relative L2 change per layer: ${layers.map((l) => `${l.layer} ${formatRelChange(l.relChange)}`).join(', ')}`} />
    </div>
  );
}

/** Keep the end of a long layer name: "…layers.31" says more than "model.decoder…". */
function ellipsize(s: string, max: number): string {
  return s.length <= max ? s : `…${s.slice(s.length - max + 1)}`;
}
