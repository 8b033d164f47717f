// Turns one row of computeLanes() into SVG geometry. Pure, so the drawing
// rules (where a line starts, how a branch bends into its parent's dot) are
// unit-tested without a DOM; LaneCell only hands the result to d3.
import type { LaneRow } from '../../../src-shared/graph-lanes';

export interface LaneGeometry {
  readonly laneWidth: number;
  readonly rowHeight: number;
}

export interface LaneSegment {
  /** Column whose colour the line takes. */
  readonly column: number;
  readonly d: string;
}

export interface LaneDrawing {
  readonly segments: readonly LaneSegment[];
  readonly dot: { readonly cx: number; readonly cy: number; readonly column: number };
  /** Columns this row spans (for the SVG width). */
  readonly width: number;
}

export function laneX(column: number, g: LaneGeometry): number {
  return column * g.laneWidth + g.laneWidth / 2;
}

export function laneDrawing(row: LaneRow, g: LaneGeometry): LaneDrawing {
  const mid = g.rowHeight / 2;
  const bottom = g.rowHeight;
  const segments: LaneSegment[] = [];
  const width = Math.max(row.above.length, row.below.length, row.column + 1);
  for (let c = 0; c < width; c++) {
    const x = laneX(c, g);
    const above = row.above[c] === true;
    const below = row.below[c] === true;
    if (c === row.column) {
      if (above) segments.push({ column: c, d: `M${x},0V${mid}` });
      if (below) segments.push({ column: c, d: `M${x},${mid}V${bottom}` });
    } else if (row.joins.includes(c)) {
      // A branch whose tip is newer than this commit ends here: bend its line
      // from the top of its own column into this dot, as Git GUIs draw it.
      const dx = laneX(row.column, g);
      segments.push({ column: c, d: `M${x},0C${x},${mid * 0.9} ${dx},${mid * 0.4} ${dx},${mid}` });
    } else if (above || below) {
      // A line passing by this row untouched (lanes never shift columns).
      segments.push({ column: c, d: `M${x},${above ? 0 : mid}V${below ? bottom : mid}` });
    }
  }
  return { segments, dot: { cx: laneX(row.column, g), cy: mid, column: row.column }, width };
}

/** Widest row, so every row's text starts at the same x. */
export function maxLaneWidth(rows: readonly LaneRow[]): number {
  let w = 1;
  for (const r of rows) w = Math.max(w, r.above.length, r.below.length, r.column + 1);
  return w;
}
