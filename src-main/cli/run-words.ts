// The words watch and import print: one line per checkpoint, the live status
// line, and the summary when they stop.
import type { CommitMeta, RunCheckpointReport, RunFollowResult } from '../../src-shared/model';
import { printable } from '../../src-shared/printable';
import { shortId } from './format';

/** " (step 1200, eval_loss 0.41)", or nothing when the checkpoint said nothing. */
export function metaWords(meta: CommitMeta | undefined): string {
  if (!meta) return '';
  const parts: string[] = [];
  if (meta.step !== undefined) parts.push(`step ${meta.step}`);
  if (meta.epoch !== undefined) parts.push(`epoch ${Number(meta.epoch.toPrecision(4))}`);
  for (const [k, v] of Object.entries(meta.metrics ?? {}).slice(0, 3)) parts.push(`${printable(k)} ${Number(v.toPrecision(4))}`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/** One checkpoint as it lands: committed, already in the store, or skipped (and why). */
export function formatRunCheckpoint(r: RunCheckpointReport): string {
  const name = printable(r.checkpoint);
  if (r.skipped) return `skipped   ${name}: ${printable(r.skipped.message)}`;
  if (r.already) return `already   ${name} is ${shortId(r.commit!)}`;
  const made = `committed ${name}${metaWords(r.meta)} as ${shortId(r.commit!)}`;
  // Room made for it (trash emptied, versions forgotten) is said where it happened.
  return r.budget ? `${made}\n          budget: ${printable(r.budget.note)}` : made;
}

const STOPPED: Record<RunFollowResult['stopped'], string> = {
  done: 'done',
  cancelled: 'stopped (interrupted); run it again to go on where it stopped',
  'folder-gone': 'stopped: the run folder is gone',
  'disk-full': 'stopped: the disk is full; free some space and run it again to go on where it stopped',
  'over-budget': 'stopped: the next commit would break the disk budget (see the note); make room and run it again to go on where it stopped',
};

/** What a watch or import did, in a few lines. */
export function formatRunSummary(res: RunFollowResult, verb: 'watch' | 'import'): string {
  const made = res.checkpoints.filter((c) => c.commit && !c.already).length;
  const already = res.checkpoints.filter((c) => c.already).length;
  const skipped = res.checkpoints.filter((c) => c.skipped).length;
  const lines = [
    `${verb === 'watch' ? 'Followed' : 'Imported'} ${printable(res.run)}${res.trainer ? ` (${res.trainer})` : ''}: ${made} committed, ${already} already committed, ${skipped} skipped${res.removed.length ? `; removed ${res.removed.length} trainer cop${res.removed.length === 1 ? 'y' : 'ies'} whose commits rebuild` : ''}; ${STOPPED[res.stopped]}`,
  ];
  for (const n of res.notes) lines.push(`note: ${printable(n.message)}`);
  return lines.join('\n');
}
