// The hover text of a commit row: everything the row shows, in full, for when
// a narrow list has shortened the message or left badges and columns out.
import { exactTime, humanBytes, shortId } from '../../../src-shared/format';
import type { LogEntry, VerifyCommit } from '../../../src-shared/model';
import { VERDICT_TEXT, verdictOf } from './verify-summary';

/** The tooltip of a commit newer than HEAD on its line (a restore moved HEAD back). */
export const AHEAD_OF_HEAD_TITLE = 'ahead of HEAD: the next commit starts a new branch from HEAD';

export function rowTitle(entry: LogEntry, isHead: boolean, verify?: VerifyCommit): string {
  const storage: string[] = [];
  if (entry.hasFull && entry.packed) storage.push(`full parameters packed ${humanBytes(entry.fullBytes)}`);
  else if (entry.hasFull) storage.push(entry.fullBytes > 0 ? `full parameters ${humanBytes(entry.fullBytes)}` : 'full parameters (shared)');
  else storage.push('rebuilt on demand');
  if (entry.type === 'DELTA' && entry.deltaBytes > 0) storage.push(`delta ${humanBytes(entry.deltaBytes)}`);
  if (entry.chainLength > 0) storage.push(`chain ${entry.chainLength}`);
  if (entry.pinned) storage.push('pinned');
  return [
    entry.message || '(no message)',
    `${shortId(entry.id)} · ${entry.type}${isHead ? ' · HEAD' : ''} · ${exactTime(entry.createdAt)}`,
    storage.join(' · '),
    ...(entry.aheadOfHead ? [AHEAD_OF_HEAD_TITLE] : []),
    ...(verify ? [VERDICT_TEXT[verdictOf(verify)]] : []),
  ].join('\n');
}
