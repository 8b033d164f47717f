// The lane SVG of one graph row. React owns the <svg> element; d3 draws into
// it, keyed by segment so a re-render only touches what changed.
import { useLayoutEffect, useRef } from 'react';
import { select } from 'd3-selection';
import type { LaneRow } from '../../../src-shared/graph-lanes';
import type { CommitType } from '../../../src-shared/model';
import { laneDrawing, type DashedColumns, type LaneGeometry, type LaneSegment } from '../lib/lane-geometry';

export const LANE_COLORS = 8;

interface Props {
  readonly row: LaneRow;
  readonly geometry: LaneGeometry;
  readonly lanes: number;
  readonly type: CommitType;
  readonly isHead: boolean;
  /** Newer than HEAD on its line (a restore moved HEAD back): drawn hollow and faint, since the next commit will not follow it. */
  readonly ahead?: boolean;
  /** Columns whose line crosses forgotten versions: dashed. */
  readonly dashed?: DashedColumns | undefined;
}

export function LaneCell({ row, geometry, lanes, type, isHead, ahead = false, dashed }: Props) {
  const ref = useRef<SVGSVGElement>(null);

  useLayoutEffect(() => {
    const svg = ref.current;
    if (!svg) return;
    const drawing = laneDrawing(row, geometry, dashed);
    const root = select(svg);
    root.selectAll<SVGPathElement, LaneSegment>('path.lane')
      .data(drawing.segments, (s) => `${s.d}${s.dashed ? ' dashed' : ''}`)
      .join('path')
      .attr('class', (s) => `lane lane-${s.column % LANE_COLORS}${s.dashed ? ' lane-forgotten' : ''}`)
      .attr('d', (s) => s.d);

    const { cx, cy, column } = drawing.dot;
    const color = `lane-${column % LANE_COLORS}${ahead ? ' dot-ahead' : ''}`;
    // A CHECKPOINT is a filled square (full parameters, a base to rebuild from);
    // a DELTA a small ring: different at a glance, even without colour.
    root.selectAll('.dot').remove();
    if (isHead) {
      root.append('circle').attr('class', 'dot head-ring').attr('cx', cx).attr('cy', cy).attr('r', 8.5);
    }
    if (type === 'CHECKPOINT') {
      root.append('rect').attr('class', `dot dot-checkpoint ${color}`)
        .attr('x', cx - 5.5).attr('y', cy - 5.5).attr('width', 11).attr('height', 11).attr('rx', 2);
    } else {
      root.append('circle').attr('class', `dot dot-delta ${color}`).attr('cx', cx).attr('cy', cy).attr('r', 4.5);
    }
  }, [row, geometry, type, isHead, ahead, dashed]);

  return <svg ref={ref} className="lanes" width={lanes * geometry.laneWidth} height={geometry.rowHeight} aria-hidden="true" />;
}
