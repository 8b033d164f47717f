// Human-readable output: sizes in MB/GB with one decimal, relative times, the
// ASCII graph. JSON output never goes through here.

import { computeLanes, type LaneRow } from '../../src-shared/graph-lanes';
import type { FileSummary, LogEntry, RepairResult, TensorSummary } from '../../src-shared/model';
import { humanBytes, relativeTime, shortId } from '../../src-shared/format';

export { humanBytes, shortId, relativeTime };

function laneText(row: LaneRow): { dot: string; after: string | null } {
  const width = Math.max(row.above.length, row.below.length, row.column + 1);
  let dot = '';
  for (let c = 0; c < width; c++) dot += (c === row.column ? '*' : row.above[c] || row.below[c] ? '|' : ' ') + ' ';
  if (row.joins.length === 0) return { dot, after: null };
  let after = '';
  for (let c = 0; c < width; c++) after += (row.joins.includes(c) ? '/' : row.below[c] ? '|' : ' ') + ' ';
  // A joining line bends toward the dot: "|/" under a branch that ends here.
  return { dot, after: after.trimEnd() };
}

export function formatLog(entries: readonly LogEntry[], head: string | null): string {
  const rows = computeLanes(entries);
  const lines: string[] = [];
  entries.forEach((e, i) => {
    const { dot, after } = laneText(rows[i]!);
    const storage = e.hasFull ? `full ${humanBytes(e.fullBytes)}` : `rebuilt on demand (chain ${e.chainLength})`;
    const delta = e.type === 'DELTA' ? `, delta ${humanBytes(e.deltaBytes)}` : '';
    const tags = [e.id === head ? 'HEAD' : '', e.pinned ? 'pinned' : ''].filter(Boolean).join(', ');
    lines.push(`${dot}${shortId(e.id)} ${e.type.padEnd(10)} ${e.message}${tags ? `  (${tags})` : ''}`);
    lines.push(`${dot.replace('*', '|').replace(/[^|]/g, ' ')}${' '.repeat(0)}    ${humanBytes(e.logicalBytes)} · ${storage}${delta} · ${relativeTime(e.createdAt)}`);
    if (after) lines.push(after);
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
  const nameW = Math.min(60, Math.max(6, ...rows.map((t) => t.name.length)));
  const head = `    ${'tensor'.padEnd(nameW)}  ${'dtype'.padEnd(5)}  ${'shape'.padEnd(16)}  ${'status'.padEnd(9)}  ${'changed'.padStart(8)}  ${'max|Δ|'.padStart(9)}  ${'rel Δ'.padStart(9)}`;
  const lines = rows.map((t) => `    ${t.name.padEnd(nameW)}  ${t.dtype.padEnd(5)}  ${JSON.stringify(t.shape).padEnd(16)}  ${t.status.padEnd(9)}  ${t.changedFraction === null ? '-'.padStart(8) : `${(t.changedFraction * 100).toFixed(1)}%`.padStart(8)}  ${fmtNum(t.maxAbsDiff).padStart(9)}  ${fmtNum(t.relChange).padStart(9)}`);
  return [head, ...lines].join('\n');
}

export function formatFiles(files: readonly FileSummary[], onlyChanged: boolean): string {
  const out: string[] = [];
  for (const f of files) {
    if (onlyChanged && f.status === 'unchanged') continue;
    out.push(`  ${f.path}  ${humanBytes(f.bytes)}  ${f.format}  ${f.status}${f.sha256 ? `  sha256 ${f.sha256.slice(0, 16)}…` : ''}`);
    if (f.tensors.length > 0) out.push(formatTensors(f.tensors, onlyChanged));
  }
  return out.length ? out.join('\n') : '  (no file changed)';
}

export function formatRepair(r: RepairResult): string {
  const lines: string[] = [];
  const verb = r.dryRun ? 'to be ' : '';
  for (const q of r.quarantined) lines.push(`${r.dryRun ? 'would quarantine' : 'quarantined'} ${shortId(q.object)} (${q.reason})${r.dryRun ? '' : ` → ${q.path}`}`);
  for (const b of r.rebuilt) lines.push(`${r.dryRun ? 'would rebuild' : 'rebuilt'} ${b.path} of ${shortId(b.commit)} ${b.route}`);
  for (const c of r.commits) if (c.outcome !== 'intact') lines.push(`${shortId(c.id)}  ${c.outcome}${c.detail ? `: ${c.detail}` : ''}`);
  const count = (o: string): number => r.commits.filter((c) => c.outcome === o).length;
  const touched = r.quarantined.length + r.rebuilt.length;
  lines.push(touched === 0 && count('lost') === 0
    ? `all ${r.commits.length} commit(s) intact; nothing to repair`
    : `${r.commits.length} commit(s): ${count('intact')} intact, ${count('repaired')} ${verb}repaired, ${count('restorable')} restorable by another route, ${count('lost')} lost`);
  return lines.join('\n');
}
