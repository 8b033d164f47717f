// Human-readable output: sizes in MB/GB with one decimal, relative times, the
// ASCII graph. JSON output never goes through here. Strings from a manifest are
// escaped one by one (printable) so a newline in one cannot start a fake line;
// main.ts's writers escape whatever else reaches the terminal.

import { computeLanes, type LaneRow } from '../../src-shared/graph-lanes';
import type { CleanupEstimate, FileSummary, LogEntry, RepairResult, TensorSummary } from '../../src-shared/model';
import { humanBytes, relativeTime, shortId } from '../../src-shared/format';
import { printable } from '../../src-shared/printable';

export { humanBytes, shortId, relativeTime };

/** One character per column (and a gap), as git log --graph draws. */
function cells(width: number, at: (c: number) => string): string {
  let s = '';
  for (let c = 0; c < width; c++) s += `${at(c)} `;
  return s;
}

interface RowText {
  /** Drawn above the dot when other branches end in it: "|/" (git's fork point, read upward). */
  readonly join: string | null;
  readonly dot: string;
  /** The prefix of every further line of this row (stat line, a message's next lines). */
  readonly rest: string;
}

function laneText(row: LaneRow): RowText {
  const width = Math.max(row.above.length, row.below.length, row.column + 1);
  // A branch whose line ends in this dot bends in just above it, so the fork
  // shows at the commit it grew from, not one row lower.
  let join: string | null = null;
  if (row.joins.length > 0) {
    const chars = [...cells(width, (c) => (c === row.column || row.above[c] ? '|' : ' '))];
    for (const c of row.joins) {
      chars[2 * c] = ' ';
      chars[2 * c - 1] = '/';
      // A line from further right runs along the row to the dot's column: "|_|/".
      for (let x = 2 * row.column + 1; x < 2 * c - 1; x++) if (chars[x] === ' ') chars[x] = '_';
    }
    join = chars.join('').trimEnd();
  }
  // Below the join the ended lines are gone: the row is as wide as what goes on.
  const after = Math.max(row.below.length, row.column + 1);
  const dot = cells(after, (c) => (c === row.column ? '*' : row.below[c] ? '|' : ' '));
  const rest = cells(after, (c) => (row.below[c] ? '|' : ' '));
  return { join, dot, rest };
}

/** Where a commit's data is, when the store has remotes (issue 14): the tag `log` shows. */
export function locationTag(where: 'local' | 'remote' | 'both' | undefined): string {
  return where === 'local' ? 'local only' : where === 'remote' ? 'remote only' : where === 'both' ? 'local+remote' : '';
}

export function formatLog(entries: readonly LogEntry[], head: string | null, locations?: ReadonlyMap<string, 'local' | 'remote' | 'both'>): string {
  const rows = computeLanes(entries);
  const lines: string[] = [];
  entries.forEach((e, i) => {
    const { join, dot, rest } = laneText(rows[i]!);
    const storage = !e.hasFull ? `rebuilt on demand (chain ${e.chainLength})`
      // The bytes are on disk once, counted for the oldest commit that has them.
      : e.fullBytes === 0 && e.logicalBytes > 0 ? 'full (same bytes as an older commit, 0 B more)'
      : `${e.packed ? 'packed' : 'full'} ${humanBytes(e.fullBytes)}`;
    const delta = e.type === 'DELTA' ? `, delta ${humanBytes(e.deltaBytes)}` : '';
    const tags = [e.id === head ? 'HEAD' : '', e.pinned ? 'pinned' : '', e.aheadOfHead ? 'ahead of HEAD' : '', locationTag(locations?.get(e.id))].filter(Boolean).join(', ');
    const [first = '', ...more] = e.message.split(/\r?\n/).map(printable);
    if (join) lines.push(join);
    lines.push(`${dot}${shortId(e.id)} ${e.type.padEnd(10)} ${first}${tags ? `  (${tags})` : ''}`);
    // A message's further lines stay inside the graph, under its first line.
    const indent = ' '.repeat(shortId(e.id).length + 1 + 10 + 1);
    for (const m of more) lines.push(`${rest}${indent}${m}`.trimEnd());
    lines.push(`${rest}    ${humanBytes(e.logicalBytes)} · ${storage}${delta} · ${relativeTime(e.createdAt)}`);
  });
  return lines.join('\n');
}

function fmtNum(n: number | null, digits = 3): string {
  if (n === null) return '-';
  if (n === 0) return '0';
  return Math.abs(n) < 1e-3 || Math.abs(n) >= 1e4 ? n.toExponential(2) : n.toFixed(digits);
}

export function formatTensors(tensors: readonly TensorSummary[], onlyChanged: boolean): string {
  const rows = onlyChanged ? tensors.filter((t) => t.status !== 'unchanged') : tensors;
  if (rows.length === 0) return '    (no tensor changed)';
  // Escaped before padding, so a name's control characters neither reach the terminal nor break the columns.
  const names = rows.map((t) => printable(t.name));
  const nameW = Math.min(60, Math.max(6, ...names.map((n) => n.length)));
  const head = `    ${'tensor'.padEnd(nameW)}  ${'dtype'.padEnd(5)}  ${'shape'.padEnd(16)}  ${'status'.padEnd(9)}  ${'changed'.padStart(8)}  ${'max|Δ|'.padStart(9)}  ${'rel Δ'.padStart(9)}`;
  const lines = rows.map((t, i) => `    ${names[i]!.padEnd(nameW)}  ${t.dtype.padEnd(5)}  ${JSON.stringify(t.shape).padEnd(16)}  ${t.status.padEnd(9)}  ${t.changedFraction === null ? '-'.padStart(8) : `${(t.changedFraction * 100).toFixed(1)}%`.padStart(8)}  ${fmtNum(t.maxAbsDiff).padStart(9)}  ${fmtNum(t.relChange).padStart(9)}`);
  return [head, ...lines].join('\n');
}

export function formatFiles(files: readonly FileSummary[], onlyChanged: boolean): string {
  const out: string[] = [];
  for (const f of files) {
    if (onlyChanged && f.status === 'unchanged') continue;
    out.push(`  ${printable(f.path)}  ${humanBytes(f.bytes)}  ${f.format}  ${f.status}${f.sha256 ? `  sha256 ${f.sha256.slice(0, 16)}…` : ''}`);
    if (f.tensors.length > 0) out.push(formatTensors(f.tensors, onlyChanged));
  }
  return out.length ? out.join('\n') : '  (no file changed)';
}

export function formatRepair(r: RepairResult): string {
  const lines: string[] = [];
  const verb = r.dryRun ? 'to be ' : '';
  for (const q of r.quarantined) lines.push(`${r.dryRun ? 'would quarantine' : 'quarantined'} ${shortId(q.object)} (${printable(q.reason)})${r.dryRun ? '' : ` → ${q.path}`}`);
  for (const b of r.rebuilt) lines.push(`${r.dryRun ? 'would rebuild' : 'rebuilt'} ${printable(b.path)} of ${shortId(b.commit)} ${b.route}`);
  for (const c of r.commits) if (c.outcome !== 'intact') lines.push(`${shortId(c.id)}  ${c.outcome}${c.detail ? `: ${printable(c.detail)}` : ''}`);
  const count = (o: string): number => r.commits.filter((c) => c.outcome === o).length;
  const touched = r.quarantined.length + r.rebuilt.length;
  // "Nothing to repair" only when every commit is intact: a delta that cannot be made again leaves its commit restorable, and says so.
  lines.push(touched === 0 && count('intact') === r.commits.length
    ? `all ${r.commits.length} commit(s) intact; nothing to repair`
    : `${r.commits.length} commit(s): ${count('intact')} intact, ${count('repaired')} ${verb}repaired, ${count('restorable')} restorable by another route, ${count('lost')} lost`);
  return lines.join('\n');
}

/** "raw copies kept for fast restore: 1.2 MB (cleanup at keepFullLatest 2 would free about 600 KB)", for the store's own setting. */
export function cleanupEstimateText(e: CleanupEstimate): string {
  const head = `raw copies kept for fast restore: ${humanBytes(e.rawBytes)}`;
  if (e.rawBytes === 0) return head;
  const pack = e.checkpointsToPack > 0 ? `pack ${e.checkpointsToPack} CHECKPOINT(s)` : '';
  const free = e.bytesFreeable > 0 ? `free about ${humanBytes(e.bytesFreeable)}` : '';
  const would = [free, pack].filter(Boolean).join(' and ');
  return would
    ? `${head} (cleanup at keepFullLatest ${e.keepFullLatest} would ${would})`
    : `${head} (a cleanup at keepFullLatest ${e.keepFullLatest} frees nothing: each is a CHECKPOINT, a branch tip, one of the newest ${e.keepFullLatest} of its line, pinned or linked)`;
}
