// The settings pane's logic: the form's text fields checked with the same
// bounds the contract's `settings.set` accepts, the changes worth saving, and
// what a maxChainLength costs or saves, estimated from this store's history.
import type { Settings } from '../../../src-shared/contract';
import type { CleanupPlan, LogEntry } from '../../../src-shared/model';

/** The bounds of `settings.set` (src-shared/contract.ts): whole numbers from 1 to 1000. */
export const SETTING_MIN = 1;
export const SETTING_MAX = 1000;

export interface SettingsDraft {
  readonly maxChainLength: string;
  readonly keepFullLatest: string;
  readonly autoCleanup: boolean;
}

export type NumberKey = 'maxChainLength' | 'keepFullLatest';

export function draftOf(s: Settings): SettingsDraft {
  return { maxChainLength: String(s.maxChainLength), keepFullLatest: String(s.keepFullLatest), autoCleanup: s.autoCleanup };
}

/** A whole number within the bounds, or what is wrong with the text, in words. */
export function parseWhole(text: string): { readonly value: number } | { readonly error: string } {
  const t = text.trim();
  if (t === '') return { error: `Enter a whole number from ${SETTING_MIN} to ${SETTING_MAX}.` };
  if (!/^[+-]?\d+(\.\d+)?$/.test(t)) return { error: `“${t.slice(0, 20)}” is not a number; enter a whole number from ${SETTING_MIN} to ${SETTING_MAX}.` };
  const n = Number(t);
  if (!Number.isInteger(n)) return { error: `Enter a whole number (not ${t}).` };
  if (n < SETTING_MIN) return { error: `At least ${SETTING_MIN}.` };
  if (n > SETTING_MAX) return { error: `At most ${SETTING_MAX}.` };
  return { value: n };
}

export interface CheckedDraft {
  /** The settings the draft stands for, or null while a field is invalid. */
  readonly values: Settings | null;
  readonly errors: Partial<Record<NumberKey, string>>;
}

export function checkDraft(d: SettingsDraft): CheckedDraft {
  const errors: Partial<Record<NumberKey, string>> = {};
  const chain = parseWhole(d.maxChainLength);
  const keep = parseWhole(d.keepFullLatest);
  if ('error' in chain) errors.maxChainLength = chain.error;
  if ('error' in keep) errors.keepFullLatest = keep.error;
  if ('error' in chain || 'error' in keep) return { values: null, errors };
  return { values: { maxChainLength: chain.value, keepFullLatest: keep.value, autoCleanup: d.autoCleanup }, errors };
}

/** Only the keys that differ from what is saved: `settings.set` rewrites just those. */
export function changesFrom(saved: Settings, next: Settings): Partial<Settings> {
  const out: { -readonly [K in keyof Settings]?: Settings[K] } = {};
  if (next.maxChainLength !== saved.maxChainLength) out.maxChainLength = next.maxChainLength;
  if (next.keepFullLatest !== saved.keepFullLatest) out.keepFullLatest = next.keepFullLatest;
  if (next.autoCleanup !== saved.autoCleanup) out.autoCleanup = next.autoCleanup;
  return out;
}

export interface ChainEstimate {
  /** One commit in this many becomes a CHECKPOINT (1 + maxChainLength). */
  readonly checkpointEvery: number;
  /** Average size of a version's full parameters, from the history. */
  readonly fullBytes: number;
  /** Average size of a delta, from the DELTA commits that have one. */
  readonly deltaBytes: number;
  /** Estimated bytes on disk per 100 commits once cleaned up (checkpoints keep full parameters). */
  readonly per100Commits: number;
  /** The most deltas a restore would replay (at most maxChainLength). */
  readonly longestReplay: number;
  /** Estimated bytes a restore reads at worst: full parameters plus that many deltas. */
  readonly worstRestoreBytes: number;
}

/**
 * What a maxChainLength costs, estimated from this store's averages: a
 * shorter chain makes more CHECKPOINTs (full parameters, kept for good) and
 * faster restores; a longer one fewer of both. null without history to
 * average (no DELTA yet).
 */
export function chainEstimate(commits: readonly LogEntry[], maxChainLength: number): ChainEstimate | null {
  if (commits.length === 0) return null;
  const fullBytes = commits.reduce((s, c) => s + c.logicalBytes, 0) / commits.length;
  const deltas = commits.filter((c) => c.type === 'DELTA' && c.deltaBytes > 0);
  if (deltas.length === 0) return null;
  const deltaBytes = deltas.reduce((s, c) => s + c.deltaBytes, 0) / deltas.length;
  const every = maxChainLength + 1;
  const per100Commits = (100 / every) * fullBytes + (100 * maxChainLength / every) * deltaBytes;
  return {
    checkpointEvery: every, fullBytes, deltaBytes, per100Commits,
    longestReplay: maxChainLength, worstRestoreBytes: fullBytes + maxChainLength * deltaBytes,
  };
}

export interface CleanupDifference {
  /** Bytes a cleanup would free with the draft settings. */
  readonly freed: number;
  /** With the saved settings. */
  readonly freedNow: number;
  /** freed − freedNow: positive frees more, negative keeps more. */
  readonly delta: number;
  readonly commits: number;
  readonly commitsNow: number;
}

export function cleanupDifference(draft: CleanupPlan, saved: CleanupPlan): CleanupDifference {
  return {
    freed: draft.bytesFreed, freedNow: saved.bytesFreed, delta: draft.bytesFreed - saved.bytesFreed,
    commits: draft.commits.length, commitsNow: saved.commits.length,
  };
}
