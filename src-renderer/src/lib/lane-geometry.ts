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
  /** Part of an edge across forgotten versions (drawn dashed). */
  readonly dashed?: true;
}

/** Which columns carry an edge across forgotten versions, above and below a row's dot. */
export interface DashedColumns {
  readonly above: ReadonlySet<number>;
  readonly below: ReadonlySet<number>;
}

export interface ForgottenNode {
  readonly id: string;
  readonly parent: string | null;
  /** Versions a forget removed between this commit and its parent (LogEntry.forgottenBefore). */
  readonly forgottenBefore?: number | undefined;
}

/**
 * For each row, the columns whose line is an edge across forgotten versions:
 * a commit with forgottenBefore starts such a line below its dot, and it stays
 * dashed down to its parent's dot, as computeLanes routes it (one line per
 * column, lines never move columns).
 */
export function dashedColumns(nodes: readonly ForgottenNode[], rows: readonly LaneRow[]): DashedColumns[] {
  const dashed = new Set<number>();
  const out: DashedColumns[] = [];
  nodes.forEach((n, i) => {
    const row = rows[i]!;
    const above = new Set(dashed);
    // Lines ending in this dot end here; the dot's own column now heads for this commit's parent.
    for (const c of row.joins) dashed.delete(c);
    if (n.parent !== null && (n.forgottenBefore ?? 0) > 0) dashed.add(row.column);
    else dashed.delete(row.column);
    for (const c of [...dashed]) if (row.below[c] !== true) dashed.delete(c);
    out.push({ above, below: new Set(dashed) });
  });
  return out;
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

export function laneDrawing(row: LaneRow, g: LaneGeometry, dashed?: DashedColumns): LaneDrawing {
  const up = (c: number): { dashed?: true } => (dashed?.above.has(c) ? { dashed: true } : {});
  const down = (c: number): { dashed?: true } => (dashed?.below.has(c) ? { dashed: true } : {});
  const mid = g.rowHeight / 2;
  const bottom = g.rowHeight;
  const segments: LaneSegment[] = [];
  const width = Math.max(row.above.length, row.below.length, row.column + 1);
  for (let c = 0; c < width; c++) {
    const x = laneX(c, g);
    const above = row.above[c] === true;
    const below = row.below[c] === true;
    if (c === row.column) {
      if (above) segments.push({ column: c, d: `M${x},0V${mid}`, ...up(c) });
      if (below) segments.push({ column: c, d: `M${x},${mid}V${bottom}`, ...down(c) });
    } else if (row.joins.includes(c)) {
      // A branch whose tip is newer than this commit ends here: bend its line
      // from the top of its own column into this dot, as Git GUIs draw it.
      const dx = laneX(row.column, g);
      segments.push({ column: c, d: `M${x},0C${x},${mid * 0.9} ${dx},${mid * 0.4} ${dx},${mid}`, ...up(c) });
    } else if (above || below) {
      // A line passing by this row untouched (lanes never shift columns).
      segments.push({ column: c, d: `M${x},${above ? 0 : mid}V${below ? bottom : mid}`, ...(above ? up(c) : down(c)) });
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
