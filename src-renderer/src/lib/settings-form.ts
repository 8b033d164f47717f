// The settings pane's logic: the form's text fields checked by the policy's
// own parser (src-shared/policy/settings.ts: the rule `settings.set`, the CLI's
// `config` and the store apply, refused in the same words), the changes worth
// saving, and what maxChainLength and maxRouteRead cost or save, estimated
// from this store's history by the store's own CHECKPOINT rule.
import type { Settings } from '../../../src-shared/contract';
import type { CleanupPlan, LogEntry } from '../../../src-shared/model';
import { checkpointRun, DELTA_WORTH_IT, type CheckpointReason } from '../../../src-shared/policy/checkpoint';
import { parseSettingText, SETTING_BOUNDS, settingProblemText } from '../../../src-shared/policy/settings';

/** The bounds of the counts (keepFullLatest, maxChainLength): the policy's. */
export const SETTING_MIN = SETTING_BOUNDS.keepFullLatest.min;
export const SETTING_MAX = SETTING_BOUNDS.keepFullLatest.max;

/** maxRouteRead's bounds: the policy's. */
export const ROUTE_READ_MIN = SETTING_BOUNDS.maxRouteRead.min;
export const ROUTE_READ_MAX = SETTING_BOUNDS.maxRouteRead.max;

export { DELTA_WORTH_IT };

export interface SettingsDraft {
  readonly maxChainLength: string;
  readonly maxRouteRead: string;
  readonly keepFullLatest: string;
  readonly autoCleanup: boolean;
  /** Days a forget's trash is kept (0: freed at once, no undo). */
  readonly trashDays: string;
  /** Sizes as typed: "50G", "500M", a number of bytes, or 0 for none. */
  readonly maxStoreBytes: string;
  readonly minFreeBytes: string;
  readonly autoForget: boolean;
}

export type NumberKey = 'maxChainLength' | 'maxRouteRead' | 'keepFullLatest' | 'trashDays' | 'maxStoreBytes' | 'minFreeBytes';

const NUMBER_KEYS: readonly NumberKey[] = ['maxChainLength', 'maxRouteRead', 'keepFullLatest', 'trashDays', 'maxStoreBytes', 'minFreeBytes'];

const SIZE_UNITS = ['K', 'M', 'G', 'T', 'P'] as const;

/**
 * A byte budget as a person would type it back: the largest unit it is a whole
 * number of ("50G"), else its bytes; 0 stays "0" (none). parseSettingText reads
 * every one of these back to the same number.
 */
export function sizeText(bytes: number): string {
  if (bytes === 0) return '0';
  for (let i = SIZE_UNITS.length; i >= 1; i--) {
    const unit = 1024 ** i;
    if (bytes % unit === 0) return `${bytes / unit}${SIZE_UNITS[i - 1]}`;
  }
  return String(bytes);
}

export function draftOf(s: Settings): SettingsDraft {
  return {
    maxChainLength: String(s.maxChainLength), maxRouteRead: String(s.maxRouteRead), keepFullLatest: String(s.keepFullLatest), autoCleanup: s.autoCleanup,
    trashDays: String(s.trashDays), maxStoreBytes: sizeText(s.maxStoreBytes), minFreeBytes: sizeText(s.minFreeBytes), autoForget: s.autoForget,
  };
}

/** A field's text as its setting's value, or the policy's sentence for what is wrong with it. */
export function parseField(key: NumberKey, text: string): { readonly value: number } | { readonly error: string } {
  const parsed = parseSettingText(key, text);
  return 'problem' in parsed ? { error: settingProblemText(parsed.problem) } : { value: parsed.value };
}

export interface CheckedDraft {
  /** The settings the draft stands for, or null while a field is invalid. */
  readonly values: Settings | null;
  readonly errors: Partial<Record<NumberKey, string>>;
}

export function checkDraft(d: SettingsDraft): CheckedDraft {
  const errors: Partial<Record<NumberKey, string>> = {};
  const values: Partial<Record<NumberKey, number>> = {};
  for (const key of NUMBER_KEYS) {
    const r = parseField(key, d[key]);
    if ('error' in r) errors[key] = r.error;
    else values[key] = r.value;
  }
  if (Object.keys(errors).length > 0) return { values: null, errors };
  const v = values as Record<NumberKey, number>;
  return {
    values: {
      maxChainLength: v.maxChainLength, maxRouteRead: v.maxRouteRead, keepFullLatest: v.keepFullLatest, autoCleanup: d.autoCleanup,
      trashDays: v.trashDays, maxStoreBytes: v.maxStoreBytes, minFreeBytes: v.minFreeBytes, autoForget: d.autoForget,
    },
    errors,
  };
}

/** Only the keys that differ from what is saved: `settings.set` rewrites just those. */
export function changesFrom(saved: Settings, next: Settings): Partial<Settings> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(next) as (keyof Settings)[]) if (next[key] !== saved[key]) out[key] = next[key];
  return out as Partial<Settings>;
}

/** Which rule ends a run of DELTAs: the policy's reasons a commit becomes a CHECKPOINT by itself. */
export type CheckpointRule = Extract<CheckpointReason, 'route-read' | 'chain-length' | 'delta-too-large'>;

export interface ChainEstimate {
  /** One commit in this many becomes a CHECKPOINT (1 + the DELTAs between two CHECKPOINTs). */
  readonly checkpointEvery: number;
  /** The rule that makes the CHECKPOINT (when both give the same count, the chain bound: the store checks it first). */
  readonly rule: CheckpointRule;
  /** Average size of a version's full parameters, from the history. */
  readonly fullBytes: number;
  /** Average size of a delta, from the DELTA commits that have one. */
  readonly deltaBytes: number;
  /** Estimated bytes on disk per 100 commits once cleaned up (checkpoints keep full parameters). */
  readonly per100Commits: number;
  /** The most deltas a restore would replay (at most maxChainLength). */
  readonly longestReplay: number;
  /** Estimated bytes a restore reads at worst: full parameters plus that many deltas (at most about maxRouteRead × the model). */
  readonly worstRestoreBytes: number;
}

/**
 * What maxChainLength and maxRouteRead cost, estimated from this store's
 * averages by playing the store's own rule (src-shared/policy/checkpoint.ts)
 * commit by commit: a run of DELTAs ends when the next delta would take the
 * bytes read since the last CHECKPOINT past maxRouteRead × the model's size,
 * or past maxChainLength DELTAs, whichever comes first; a delta of 90% of the
 * model or more is a CHECKPOINT at once. Shorter runs make more CHECKPOINTs
 * (full parameters, kept for good) and faster restores. null without history
 * to average (no DELTA yet).
 */
export function chainEstimate(commits: readonly LogEntry[], maxChainLength: number, maxRouteRead: number): ChainEstimate | null {
  if (commits.length === 0) return null;
  const fullBytes = commits.reduce((s, c) => s + c.logicalBytes, 0) / commits.length;
  const deltas = commits.filter((c) => c.type === 'DELTA' && c.deltaBytes > 0);
  if (deltas.length === 0) return null;
  const deltaBytes = deltas.reduce((s, c) => s + c.deltaBytes, 0) / deltas.length;
  const { deltas: run, reason } = checkpointRun(fullBytes, deltaBytes, { maxChainLength, maxRouteRead });
  // A run of DELTAs is never ended by a request or by having no parent.
  const rule: CheckpointRule = reason === 'chain-length' || reason === 'delta-too-large' ? reason : 'route-read';
  const every = run + 1;
  const per100Commits = (100 / every) * fullBytes + (100 * run / every) * deltaBytes;
  return {
    checkpointEvery: every, rule, fullBytes, deltaBytes, per100Commits,
    longestReplay: run, worstRestoreBytes: fullBytes + run * deltaBytes,
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
