// Human-readable output: sizes in MB/GB with one decimal, relative times, the
// ASCII graph. JSON output never goes through here. Strings from a manifest are
// escaped one by one (printable) so a newline in one cannot start a fake line;
// main.ts's writers escape whatever else reaches the terminal.

import { computeLanes, type LaneRow } from '../../src-shared/graph-lanes';
import * as path from 'node:path';
import type {
  CleanupEstimate, CleanupPlan, CommitId, ForgetPlan, CommitMeta, CommitResult, DiffResult, FileSummary, KeepReason, LogEntry, PinResult, RepairResult, RestoreResult, ShowResult, StatusResult, TagInfo, TagResult, TensorSummary, TrashInfo, VerifyResult,
} from '../../src-shared/model';
import { againstVersions, againstVersionsText, OVER_REASON, rawCopiesText, type RawCopies } from '../../src-shared/storage-totals';
import type { InitResult, RemoteCounts } from '../core/verbs';
import { humanBytes, relativeTime, shortId } from '../../src-shared/format';
import { printable } from '../../src-shared/printable';
import { workingLines } from './working-words';
import { checkpointReasonText } from '../../src-shared/policy/checkpoint';

export { humanBytes, shortId, relativeTime };

/**
 * Another message set inside ours, before our own punctuation: its closing
 * period goes, so a line never reads ".;" or ".)".
 */
export function clause(s: string): string {
  return s.trimEnd().replace(/\.+$/u, '');
}

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

/** Where a commit's data is, when the store has remotes (a commit may be here, on a remote, or both): the tag `log` shows. */
export function locationTag(where: 'local' | 'remote' | 'both' | undefined): string {
  return where === 'local' ? 'local only' : where === 'remote' ? 'remote only' : where === 'both' ? 'local+remote' : '';
}

export function formatLog(entries: readonly LogEntry[], head: string | null, locations?: ReadonlyMap<string, 'local' | 'remote' | 'both'>): string {
  if (entries.length === 0) return 'No commits yet.';
  const rows = computeLanes(entries);
  const lines: string[] = [];
  entries.forEach((e, i) => {
    const { join, dot, rest } = laneText(rows[i]!);
    const storage = !e.hasFull ? `rebuilt on demand (chain ${e.chainLength})`
      // The bytes are on disk once, counted for the oldest commit that has them.
      : e.fullBytes === 0 && e.logicalBytes > 0 ? 'full (same bytes as an older commit, 0 B more)'
      : `${e.packed ? 'packed' : 'full'} ${humanBytes(e.fullBytes)}`;
    const delta = e.type === 'DELTA' ? `, delta ${humanBytes(e.deltaBytes)}` : '';
    const tags = [e.id === head ? 'HEAD' : '', ...tagLabels(e), e.pinned ? 'pinned' : '', e.aheadOfHead ? 'ahead of HEAD' : '', locationTag(locations?.get(e.id) ?? e.location)].filter(Boolean).join(', ');
    const [first = '', ...more] = e.message.split(/\r?\n/).map(printable);
    if (join) lines.push(join);
    lines.push(`${dot}${shortId(e.id)} ${e.type.padEnd(10)} ${first}${tags ? `  (${tags})` : ''}`);
    // A message's further lines stay inside the graph, under its first line.
    const indent = ' '.repeat(shortId(e.id).length + 1 + 10 + 1);
    for (const m of more) lines.push(`${rest}${indent}${m}`.trimEnd());
    const meta = metaColumn(e.meta);
    // A forget removed versions between this commit and the one drawn below it (its kept ancestor).
    const forgotten = e.forgottenBefore ? ` · ${e.forgottenBefore} forgotten before it` : '';
    lines.push(`${rest}    ${humanBytes(e.logicalBytes)} · ${storage}${delta} · ${relativeTime(e.createdAt)}${meta ? ` · ${meta}` : ''}${forgotten}`);
  });
  return lines.join('\n');
}

/** `log --oneline` (and `pin --list`): short id, type, the message's first line, tags; no graph, no sizes. */
export function formatOneline(entries: readonly LogEntry[], head: string | null): string {
  if (entries.length === 0) return 'No commits yet.';
  return entries.map((e) => {
    const tags = [e.id === head ? 'HEAD' : '', ...tagLabels(e), e.pinned ? 'pinned' : '', e.aheadOfHead ? 'ahead of HEAD' : '', locationTag(e.location)].filter(Boolean).join(', ');
    return `${shortId(e.id)} ${e.type.padEnd(10)} ${printable(firstLine(e.message))}${tags ? `  (${tags})` : ''}`;
  }).join('\n');
}

/** git's `tag: best` labels, escaped (a fetched tag's name comes from a remote). */
function tagLabels(e: LogEntry): string[] {
  return (e.tags ?? []).map((t) => `tag: ${printable(t)}`);
}

/** A metric's value as people read it: at most 4 significant digits, no trailing zeros. */
export function metricValue(v: number): string {
  return Math.abs(v) >= 1e6 || (v !== 0 && Math.abs(v) < 1e-4) ? v.toExponential(2) : String(Number(v.toPrecision(4)));
}

/** The log's compact meta column: "step 1200 · epoch 3 · eval_loss 0.41" (the first three metrics); '' for a plain commit. */
export function metaColumn(meta: CommitMeta | undefined): string {
  if (!meta) return '';
  const parts: string[] = [];
  if (meta.step !== undefined) parts.push(`step ${meta.step}`);
  if (meta.epoch !== undefined) parts.push(`epoch ${metricValue(meta.epoch)}`);
  const metrics = Object.entries(meta.metrics ?? {});
  for (const [k, v] of metrics.slice(0, 3)) parts.push(`${printable(k)} ${metricValue(v)}`);
  if (metrics.length > 3) parts.push(`+${metrics.length - 3} more`);
  return parts.join(' · ');
}

/** show's lines for a commit's meta, each as "label    value"; none for a plain commit. */
function metaLines(meta: CommitMeta | undefined): string[] {
  if (!meta) return [];
  const metrics = Object.entries(meta.metrics ?? {});
  const best = meta.trainerBest !== undefined ? `${printable(meta.trainerBest)}${meta.trainerBestMetric ? ` (by ${printable(meta.trainerBestMetric)})` : ''}` : '';
  return [
    meta.step !== undefined ? `step     ${meta.step}` : '',
    meta.epoch !== undefined ? `epoch    ${metricValue(meta.epoch)}` : '',
    metrics.length ? `metrics  ${metrics.map(([k, v]) => `${printable(k)} ${metricValue(v)}`).join(', ')}` : '',
    meta.trainer !== undefined ? `trainer  ${printable(meta.trainer)}` : '',
    meta.run !== undefined ? `run      ${printable(meta.run)}` : '',
    meta.checkpoint !== undefined ? `checkpoint ${printable(meta.checkpoint)}` : '',
    best ? `trainer's best ${best}` : '',
  ].filter(Boolean);
}

/** A tag's time in minutes, UTC: "2026-12-07 18:40 UTC". */
function tagTime(iso: string): string {
  return `${iso.slice(0, 16).replace('T', ' ')} UTC`;
}

/** `tag --list`: "best → 3f2a1b2c3d4e  (set 2026-12-07 18:40 UTC)", with where a fetched tag came from. */
export function formatTags(list: readonly TagInfo[]): string {
  if (list.length === 0) return 'No tags (`weightline tag NAME [REF]` names a commit).';
  const w = Math.min(40, Math.max(...list.map((t) => printable(t.name).length)));
  return list.map((t) => {
    const where = `${t.from ? `from ${t.from}, ` : ''}set ${tagTime(t.setAt)}`;
    return `${printable(t.name).padEnd(w)} → ${shortId(t.commit)}  (${where})${t.missing ? '  commit not in this store (fetch brings it once it is pushed)' : ''}`;
  }).join('\n');
}

/** What `tag NAME [REF]` or `tag -d NAME` did. */
export function formatTag(r: TagResult): string {
  const name = printable(r.name);
  if (r.commit === null) return `Deleted tag ${name} (it named ${r.previous ? shortId(r.previous) : 'nothing'})`;
  if (r.previous === r.commit) return `${name} already names ${shortId(r.commit)}; nothing changed`;
  if (r.previous) return `Moved tag ${name} to ${shortId(r.commit)} (it named ${shortId(r.previous)} before)`;
  return `Tagged ${shortId(r.commit)} as ${name}`;
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
  for (const q of r.quarantined) lines.push(`${r.dryRun ? 'would quarantine' : 'quarantined'} ${shortId(q.object)} (${printable(clause(q.reason))})${r.dryRun ? '' : ` → ${q.path}`}`);
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

/** What a commit cost, in the words `log` uses for the same figures. */
export function formatCommit(res: CommitResult, message: string): string {
  if (res.unchanged) return `nothing changed since HEAD (${shortId(res.id)}); no commit was made (--allow-empty commits anyway)`;
  const added = res.fullBytesAdded ?? res.logicalBytes;
  // A full object the store already held (an older commit's identical bytes) costs nothing again; log counts it for the oldest commit.
  const full = added === 0 ? `full parameters ${humanBytes(res.logicalBytes)}, already in the store (0 B added)` : `full parameters ${humanBytes(added)}`;
  const cost = res.type === 'DELTA'
    ? `delta ${humanBytes(res.deltaBytes)} (${((res.deltaBytes / Math.max(1, res.logicalBytes)) * 100).toFixed(1)}% of ${humanBytes(res.logicalBytes)})${added > 0 && !res.autoCleanup?.commits.includes(res.id) ? `; ${full} kept${res.autoCleanup ? '' : ' until a cleanup'}` : ''}`
    : full;
  const auto = res.autoCleanup;
  const cleaned = auto ? `\n  autoCleanup: freed ${humanBytes(auto.bytesFreed + auto.bytesPackSaved)} (full parameters of ${auto.commits.length} older commit(s)${auto.packs ? `, ${auto.packs} CHECKPOINT(s) packed` : ''})` : '';
  // An automatic CHECKPOINT says which rule made it (--checkpoint and the first commit need no telling).
  const why = res.checkpointReason && res.checkpointReason !== 'requested' && res.checkpointReason !== 'first' ? `\n  a CHECKPOINT because ${checkpointReasonText(res.checkpointReason)}` : '';
  return `[${res.type} ${shortId(res.id)}] ${firstLine(message) || '(no message)'}\n  ${cost}${why}${cleaned}`;
}

function firstLine(s: string): string {
  return s.split(/\r?\n/, 1)[0]!;
}

export function formatCleanup(plan: CleanupPlan, dryRun: boolean, keepFullLatest: number): string {
  const lines: string[] = [dryRun ? 'Cleanup preview (nothing was changed):' : 'Cleanup done:'];
  for (const c of plan.commits) {
    lines.push(`  ${shortId(c.id)}  frees ${humanBytes(c.bytesFreed).padStart(9)}   restore: replay ${c.chainBefore} → ${c.chainAfter} delta(s), read ${humanBytes(c.readBytesBefore)} → ${humanBytes(c.readBytesAfter)}`);
  }
  if (plan.commits.length === 0) lines.push('  no commit can lose its full parameters');
  const packed = new Set(plan.packs.map((p) => p.id));
  for (const k of plan.kept) {
    const how = packed.has(k.id) ? ', packed' : '';
    lines.push(`  ${shortId(k.id)}  kept${how}: ${k.reasons.map((r) => keepReasonText(r, keepFullLatest)).join(', ')}${k.detail ? ` (${printable(clause(k.detail))})` : ''}`);
  }
  if (plan.packs.length > 0) {
    const raw = plan.packs.reduce((s, p) => s + p.rawBytes, 0);
    const after = plan.packs.reduce((s, p) => s + p.packedBytes, 0);
    // What happens to which CHECKPOINTs: those a restore reads least (none is among the newest of its line) are packed.
    const n = plan.packs.length;
    const which = n === 1 ? `CHECKPOINT (not among the newest ${keepFullLatest} of its line)` : `CHECKPOINTs (none among the newest ${keepFullLatest} of its line)`;
    lines.push(`${dryRun ? 'Would pack' : 'Packed'} ${n} ${which}: ${humanBytes(raw)} raw → ${humanBytes(after)} packed (−${humanBytes(plan.bytesPackSaved)})`);
  }
  const total = plan.bytesFreed + plan.bytesPackSaved;
  lines.push(`${dryRun ? 'Would free' : 'Freed'} ${humanBytes(total)}: store ${humanBytes(plan.storeBytesBefore)} → ${humanBytes(plan.storeBytesAfter)}`);
  return lines.join('\n');
}

/**
 * A forget or its preview: one line per commit, newest first (kept with its
 * reasons, re-based ones onto what; forgotten), then the totals with exact
 * bytes, and where the forgotten versions wait.
 */
export function formatForget(plan: ForgetPlan): string {
  const lines: string[] = [plan.dryRun ? `Forget preview (nothing was changed), ${plan.policy}:` : `Forget, ${plan.policy}:`];
  for (const c of plan.commits) {
    if (c.verdict === 'forget') { lines.push(`  ${shortId(c.id)}  ${plan.dryRun ? 'forget' : 'forgotten'}`); continue; }
    const rebased = c.rebasedOnto === undefined ? ''
      : c.rebasedOnto === null ? `; stored whole as a CHECKPOINT (no kept ancestor), full parameters ${humanBytes(c.rebasedBytes ?? 0)}`
        : `; re-based onto ${shortId(c.rebasedOnto)}, ${humanBytes(c.rebasedBytes ?? 0)}`;
    lines.push(`  ${shortId(c.id)}  kept: ${c.reasons.map((r) => printable(r)).join(', ')}${rebased}`);
  }
  const total = plan.forgotten + plan.kept;
  if (plan.forgotten === 0) {
    lines.push(`Nothing to forget: the policy keeps all ${total} version(s).`);
    return lines.join('\n');
  }
  lines.push(`${plan.dryRun ? 'Would forget' : 'Forgot'} ${plan.forgotten} of ${total} version(s): ${exactBytes(plan.bytesRemoved)} to the trash, ${exactBytes(plan.bytesAdded)} of re-based routes added, ${plan.bytesFreed >= 0 ? `${exactBytes(plan.bytesFreed)} freed once the trash is emptied` : `the store grows by ${exactBytes(-plan.bytesFreed)} (the re-based deltas against older versions are larger than what goes)`} (store ${humanBytes(plan.storeBytesBefore)} → ${humanBytes(plan.storeBytesAfter)})`);
  if (plan.dryRun) return lines.join('\n');
  if (plan.trashUntil) {
    lines.push(`${plan.forgotten} version(s) go to the trash until ${plan.trashUntil.slice(0, 10)} (\`weightline undo\` puts them back)`);
  } else {
    lines.push('The trash was emptied at once (trashDays is 0): this forget cannot be undone.');
  }
  return lines.join('\n');
}

/** A size as people read it, with the exact count of bytes (the preview and the run agree to the byte). */
function exactBytes(n: number): string {
  return `${humanBytes(n)} (${n.toLocaleString('en-US')} bytes)`;
}

/** Each reason names the rule that keeps the commit, so "newest" is not read as "the newest commit". */
function keepReasonText(r: KeepReason, keepFullLatest: number): string {
  switch (r) {
    case 'checkpoint': return 'a CHECKPOINT';
    case 'branch-tip': return 'branch tip';
    case 'newest': return `newest ${keepFullLatest} of its line (keepFullLatest)`;
    case 'pinned': return 'pinned';
    case 'linked': return 'a restore links to it';
    case 'broken-chain': return 'the chain below is not intact';
    case 'already-pruned': return 'already rebuilt on demand';
  }
}


export function linkProblemText(problem: 'broken' | 'modified' | 'changed-in-place'): string {
  switch (problem) {
    case 'broken': return 'broken, its target is gone';
    case 'modified': return 'modified, no longer matches its commit (the stored version is unharmed)';
    case 'changed-in-place': return 'changed in place: the store\'s copy is damaged; run weightline repair';
  }
}

export function formatInit(res: InitResult): string {
  switch (res.outcome) {
    case 'created': return `Initialised an empty Weightline store in ${res.dir}`;
    case 'already': return `${res.root} is already a Weightline store; nothing was changed`;
    case 'completed': return `Completed the Weightline store in ${res.dir}: put back the files it was missing; its commits and objects are as they were`;
  }
}

export function formatShow(s: ShowResult, head: CommitId | null, all: boolean): string {
  return [
    `commit ${s.id}${head === s.id ? '  (HEAD)' : ''}`,
    `type     ${s.type}${s.pinned ? ' (pinned)' : ''}${s.checkpointReason ? `: ${checkpointReasonText(s.checkpointReason)}` : ''}`,
    `parent   ${s.parent ?? '(none)'}`,
    `date     ${s.createdAt} (${relativeTime(s.createdAt)})`,
    `path     ${printable(s.path)}`,
    ...(s.tags?.length ? [`tags     ${s.tags.map(printable).join(', ')}`] : []),
    ...metaLines(s.meta),
    `size     ${humanBytes(s.logicalBytes)}; on disk: ${s.hasFull ? `${s.packed ? 'packed' : 'full'} ${humanBytes(s.fullBytes)}` : 'rebuilt on demand'}${s.type === 'DELTA' ? `, delta ${humanBytes(s.deltaBytes)}` : ''}; a restore replays ${s.chainLength} delta(s)`,
    '',
    // Every line of the message indented, as git show does: a message's own line never reads as the CLI's.
    ...s.message.split(/\r?\n/u).map((l) => `    ${printable(l)}`.trimEnd()),
    '',
    formatFiles(s.files, !all),
  ].join('\n');
}

export function formatDiff(d: DiffResult, all: boolean): string {
  return `diff ${shortId(d.from)} → ${d.to === 'WORKING' ? 'working copy' : shortId(d.to)}\n${formatFiles(d.files, !all)}`;
}

export function formatRestore(res: RestoreResult, cwd: string): string {
  const lines = [`Restored ${shortId(res.id)} to ${path.relative(cwd, res.target) || '.'} (${res.files} file(s), ${humanBytes(res.bytes)})`];
  const l = res.link;
  if (l && l.linked > 0) lines.push(`linked ${l.linked} file(s), ${humanBytes(l.bytesNotCopied)} not copied`);
  return lines.join('\n');
}

export function formatStatus(s: StatusResult, extras: { readonly root: string; readonly remotes: RemoteCounts | null; readonly rawCopies: RawCopies }): string {
  const lines: string[] = [];
  for (const l of s.links ?? []) lines.push(`restored link ${l.path} (commit ${shortId(l.commit)}): ${linkProblemText(l.problem)}`);
  // Before a cleanup every commit still holds its full parameters, so the store can exceed the versions' size: not a saving.
  const against = againstVersions(s.logicalBytes, s.storeBytes, 1);
  const cleanable = !s.cleanup || s.cleanup.bytesFreeable > 0 || s.cleanup.checkpointsToPack > 0;
  const saving = s.logicalBytes === 0 ? '' : against.kind === 'over'
    ? ` (${againstVersionsText(against, 1)}: ${cleanable ? `${OVER_REASON}; "weightline cleanup --dry-run" shows what it would free` : 'the raw copies a cleanup keeps (CHECKPOINTs, branch tips, the newest of each line, pins) and the deltas'})`
    : ` (${againstVersionsText(against, 1)})`;
  const where = extras.remotes;
  lines.push(
    `store    ${extras.root}`,
    `HEAD     ${s.head ? shortId(s.head) : '(no commits yet)'}${s.path ? `  ${s.path}` : ''}`,
    ...workingLines(s),
    `storage  ${humanBytes(s.storeBytes)} on disk for ${humanBytes(s.logicalBytes)} of versions${saving}`,
    ...(s.head ? [`copies   ${s.cleanup ? cleanupEstimateText(s.cleanup) : rawCopiesText(extras.rawCopies)}`] : []),
    ...(s.trash ? [`trash    ${trashText(s.trash)}`] : []),
    ...(where ? [
      `commits  ${where.commitsLocalOnly} local only, ${where.commitsBoth} local+remote, ${where.commitsRemoteOnly} remote only (restore downloads what it needs)`,
      ...where.remotes.map((x) => `remote   ${x.name} ${x.url}: ${x.listedAt ? `${x.commits} commit(s) when last listed (${relativeTime(x.listedAt)})` : 'not listed yet (push or fetch)'}`),
    ] : []),
  );
  return lines.join('\n');
}

/** The status line of the trash: "2.1 GB in trash, gone on 2026-12-14 or sooner if space is needed (…)". */
export function trashText(t: TrashInfo): string {
  if (!t.goneBy) return `${humanBytes(t.bytes)} in trash, left by operations no longer undoable; a later command that writes empties it`;
  return `${humanBytes(t.bytes)} in trash, gone on ${t.goneBy.slice(0, 10)} or sooner if space is needed (\`weightline undo\` puts back the last forget)`;
}

export function formatVerify(res: VerifyResult): string {
  const lines = res.commits.map((c) => `${shortId(c.id)}  ${c.ok ? `ok${c.warning ? ` (warning: ${printable(clause(c.warning))})` : ''}` : `${c.restorable ? 'DAMAGED (still restores)' : 'FAILED'}: ${printable(c.error ?? '')}`}`);
  const bad = res.commits.filter((c) => !c.ok);
  const lost = bad.filter((c) => !c.restorable).length;
  const warned = res.commits.filter((c) => c.ok && c.warning).length;
  for (const f of res.files ?? []) lines.push(printable(f));
  if (bad.length === 0 && res.files?.length) {
    lines.push(`verified ${res.commits.length} commit(s): all restore bit-exact, but ${res.files.length} store file(s) are damaged (above)`);
    return lines.join('\n');
  }
  lines.push(res.ok
    ? `verified ${res.commits.length} commit(s): all ok${warned ? ` (${warned} with a warning: they restore bit-exact, a delta that cannot be rebuilt is gone)` : ''}`
    : `${bad.length} of ${res.commits.length} commit(s) have problems: ${bad.length - lost} still restore bit-exact, ${lost} cannot; "weightline repair" rebuilds what intact bytes allow`);
  return lines.join('\n');
}

interface VerifyRemoteView {
  readonly ok: boolean;
  readonly remote: string;
  readonly url: string;
  readonly commits: readonly { readonly id: string; readonly ok: boolean; readonly problems: readonly string[] }[];
  readonly damaged: readonly string[];
  readonly objectsChecked: number;
  readonly bytesChecked: number;
}

export function formatVerifyRemote(res: VerifyRemoteView): string {
  const lines: string[] = [];
  for (const c of res.commits) lines.push(`${shortId(c.id)}  ${c.ok ? 'ok' : `FAILED: ${printable(c.problems.map(clause).join('; '))}`}`);
  for (const k of res.damaged) lines.push(`damaged: ${printable(k)}`);
  const bad = res.commits.filter((c) => !c.ok).length;
  lines.push(res.ok
    ? `verified ${res.remote} (${res.url}): ${res.commits.length} commit(s), ${res.objectsChecked} object(s), ${humanBytes(res.bytesChecked)} hashed: all ok`
    : `${res.remote} (${res.url}): ${bad} of ${res.commits.length} commit(s) cannot be rebuilt from the remote, ${res.damaged.length} damaged key(s); delete damaged keys on the remote and push again from a store that has them`);
  return lines.join('\n');
}

export function formatPin(res: PinResult): string {
  if (!res.pinned) return res.wasPinned ? `Unpinned ${shortId(res.id)}; the next cleanup may remove its full parameters` : `${shortId(res.id)} was not pinned; nothing changed`;
  if (res.rebuiltFiles > 0) return `Pinned ${shortId(res.id)}; a cleanup had removed its full parameters, so they were rebuilt and stored again (${humanBytes(res.rebuiltBytes)}, ${res.rebuiltFiles} file(s), sha256 checked)`;
  return `${res.wasPinned ? 'Already pinned' : 'Pinned'} ${shortId(res.id)}; cleanup keeps its full parameters`;
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
