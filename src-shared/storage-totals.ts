// The store's size against its versions, and the raw copies it keeps for
// fast restore: the same figures and words for `weightline status` and the
// app. A store larger than its versions is not a saving, and must not read as one: before a
// cleanup every commit keeps a raw copy of its full parameters beside its delta.
import { humanBytes } from './format';
import type { LogEntry } from './model';
import { applyKeepPolicy } from './policy/keep';

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
   * About what a cleanup with keepFullLatest 1 would free: the raw copies
   * cleanup's keep rule (src-shared/policy/keep.ts) leaves no reason to keep.
   * An estimate from the log: it does not prove routes, knows nothing of
   * restored links, and leaves out what packing CHECKPOINTs saves.
   */
  readonly freeableWithKeepOne: number;
  /** The same with the store's keepFullLatest (`keepFullLatest`), when the caller gave it. */
  readonly freeable?: number;
  readonly keepFullLatest?: number;
  readonly estimated: true;
}

type RawEntry = Pick<LogEntry, 'id' | 'parent' | 'type' | 'fullBytes' | 'hasFull' | 'pinned' | 'packed'>;

/**
 * Raw copies on disk and what a cleanup would free of them, from the log
 * entries alone (no reads), by cleanup's own keep rule: with keepFullLatest 1,
 * and with the store's setting when `keepFullLatest` is given.
 */
export function rawCopies(entries: readonly RawEntry[], keepFullLatest?: number): RawCopies {
  let bytes = 0;
  for (const e of entries) if (e.hasFull && !e.packed) bytes += e.fullBytes;
  const freeableWith = (keep: number): number => {
    // Packed full parameters are not raw copies: nothing of them is freed.
    const decisions = applyKeepPolicy(entries.map((e) => ({
      id: e.id, parent: e.parent, type: e.type, hasRawFull: e.hasFull && !e.packed, pinned: e.pinned, linked: false,
    })), { keepFullLatest: keep });
    let freed = 0;
    for (const [i, d] of decisions.entries()) if (d.verdict === 'prune') freed += entries[i]!.fullBytes;
    return freed;
  };
  const one = freeableWith(1);
  if (keepFullLatest === undefined) return { bytes, freeableWithKeepOne: one, estimated: true };
  return { bytes, freeableWithKeepOne: one, freeable: keepFullLatest === 1 ? one : freeableWith(keepFullLatest), keepFullLatest, estimated: true };
}

/** "raw copies kept for fast restore: 1.2 MB (cleanup with keepFullLatest 2 would free about 600 KB)". */
export function rawCopiesText(r: RawCopies): string {
  const head = `raw copies kept for fast restore: ${humanBytes(r.bytes)}`;
  if (r.bytes === 0) return head;
  const keep = r.keepFullLatest ?? 1;
  const freeable = r.freeable ?? r.freeableWithKeepOne;
  if (freeable > 0) return `${head} (cleanup with keepFullLatest ${keep} would free about ${humanBytes(freeable)})`;
  return keep === 1
    ? `${head} (each is a CHECKPOINT, pinned, or the newest of its line)`
    : `${head} (each is a CHECKPOINT, pinned, or one of the ${keep} newest of its line)`;
}
