// The store's size against its versions, and the raw copies it keeps for
// fast restore: the same figures and words for `weightline status` and the
// app. A store larger than its versions is not a saving, and must not read as one: before a
// cleanup every commit keeps a raw copy of its full parameters beside its delta.
import { humanBytes } from './format';
import type { LogEntry } from './model';

export interface AgainstVersions {
  /** saving: the store is smaller than the versions as plain files; over: larger; even: about the same (or nothing stored). */
  readonly kind: 'saving' | 'over' | 'even';
  /** How much smaller or larger, in percent of the versions' size (≥ 0), rounded to `decimals`. */
  readonly percent: number;
}

export function againstVersions(versionsBytes: number, storeBytes: number, decimals = 0): AgainstVersions {
  if (versionsBytes <= 0) return { kind: 'even', percent: 0 };
  const f = 10 ** decimals;
  const signed = Math.round(((storeBytes - versionsBytes) / versionsBytes) * 100 * f) / f;
  if (signed === 0) return { kind: 'even', percent: 0 };
  return signed > 0 ? { kind: 'over', percent: signed } : { kind: 'saving', percent: -signed };
}

/** "53% saved", "+56% over the versions", "about the same as the versions". */
export function againstVersionsText(a: AgainstVersions, decimals = 0): string {
  const p = a.percent.toFixed(decimals);
  switch (a.kind) {
    case 'saving': return `${p}% saved`;
    case 'over': return `+${p}% over the versions`;
    case 'even': return 'about the same as the versions';
  }
}

/** Why a store can be larger than its versions, in one sentence. */
export const OVER_REASON = 'raw copies of full parameters are kept for fast restore until a cleanup';

export interface RawCopies {
  /** Bytes of raw (unpacked) full parameters on disk: what restores copy or link directly. */
  readonly bytes: number;
  /**
   * About what a cleanup with keepFullLatest 1 would free: the raw copies of
   * DELTA commits, not pinned, that are not the newest of their line. An
   * estimate from the log: it does not prove routes, knows nothing of
   * restored links, and leaves out what packing CHECKPOINTs saves.
   */
  readonly freeableWithKeepOne: number;
  readonly estimated: true;
}

type RawEntry = Pick<LogEntry, 'id' | 'parent' | 'type' | 'fullBytes' | 'hasFull' | 'pinned' | 'packed'>;

/** Raw copies on disk and what trimming them to the newest of each line would free, from the log entries alone (no reads). */
export function rawCopies(entries: readonly RawEntry[]): RawCopies {
  const parents = new Set<string>();
  for (const e of entries) if (e.parent) parents.add(e.parent);
  let bytes = 0;
  let freeable = 0;
  for (const e of entries) {
    if (!e.hasFull || e.packed) continue;
    bytes += e.fullBytes;
    // keepFullLatest 1 keeps each line's newest commit: the tips (no commit names them as parent).
    const newest = !parents.has(e.id);
    if (e.type === 'DELTA' && !e.pinned && !newest) freeable += e.fullBytes;
  }
  return { bytes, freeableWithKeepOne: freeable, estimated: true };
}

/** "raw copies kept for fast restore: 1.2 MB (cleanup with keepFullLatest 1 would free about 600 KB)". */
export function rawCopiesText(r: RawCopies): string {
  const head = `raw copies kept for fast restore: ${humanBytes(r.bytes)}`;
  if (r.bytes === 0) return head;
  return r.freeableWithKeepOne > 0
    ? `${head} (cleanup with keepFullLatest 1 would free about ${humanBytes(r.freeableWithKeepOne)})`
    : `${head} (each is a CHECKPOINT, pinned, or the newest of its line)`;
}
