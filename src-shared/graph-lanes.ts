// Lanes for drawing the commit graph, as Git GUIs do: a pure function over the
// commits (newest first), one row each, so the CLI's ASCII log and the app's
// virtualised rows draw the same thing. Commits have one parent, so lines only
// ever branch (several children waiting for the same parent), never merge.

export interface GraphNode {
  readonly id: string;
  readonly parent: string | null;
}

export interface LaneRow {
  /** Column of this commit's dot. */
  readonly column: number;
  /** Columns holding a line coming in from above (including the dot's own when a child was waiting). */
  readonly above: readonly boolean[];
  /** Columns holding a line going on below this row. */
  readonly below: readonly boolean[];
  /** Columns whose line ends in this commit's dot (other children of this commit). */
  readonly joins: readonly number[];
}

export function computeLanes(nodes: readonly GraphNode[]): LaneRow[] {
  // waiting[c] = the id the line in column c is heading for, or null when free.
  const waiting: (string | null)[] = [];
  const rows: LaneRow[] = [];
  for (const node of nodes) {
    const above = waiting.map((w) => w !== null);
    let column = waiting.indexOf(node.id);
    if (column === -1) {
      column = waiting.indexOf(null);
      if (column === -1) { column = waiting.length; waiting.push(null); above.push(false); }
    }
    const joins: number[] = [];
    for (let c = 0; c < waiting.length; c++) {
      if (c !== column && waiting[c] === node.id) { joins.push(c); waiting[c] = null; }
    }
    waiting[column] = node.parent;
    while (waiting.length > 0 && waiting[waiting.length - 1] === null) waiting.pop();
    rows.push({ column, above, below: waiting.map((w) => w !== null), joins });
  }
  return rows;
}
