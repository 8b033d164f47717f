// The settings pane's logic: the form's text fields checked with the same
// bounds the contract's `settings.set` accepts, the changes worth saving, and
// what maxChainLength and maxRouteRead cost or save, estimated from this
// store's history.
import type { Settings } from '../../../src-shared/contract';
import type { CleanupPlan, LogEntry } from '../../../src-shared/model';
import { CONFIG_VALUE_SCHEMAS } from '../../../src-shared/settings';

/** The bounds of `settings.set` (src-shared/contract.ts): whole numbers from 1 to 1000. */
export const SETTING_MIN = 1;
export const SETTING_MAX = 1000;

/** maxRouteRead's bounds (CONFIG_VALUE_SCHEMAS.maxRouteRead): decimals from 0.1 to 1000. */
export const ROUTE_READ_MIN = 0.1;
export const ROUTE_READ_MAX = 1000;

export interface SettingsDraft {
  readonly maxChainLength: string;
  readonly maxRouteRead: string;
  readonly keepFullLatest: string;
  readonly autoCleanup: boolean;
}

export type NumberKey = 'maxChainLength' | 'maxRouteRead' | 'keepFullLatest';

export function draftOf(s: Settings): SettingsDraft {
  return { maxChainLength: String(s.maxChainLength), maxRouteRead: String(s.maxRouteRead), keepFullLatest: String(s.keepFullLatest), autoCleanup: s.autoCleanup };
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

/**
 * maxRouteRead: a number, decimals allowed ("2.5", ",5" is not one), checked
 * by the store's own schema so the pane refuses exactly what settings.set and
 * `weightline config` refuse.
 */
export function parseRouteRead(text: string): { readonly value: number } | { readonly error: string } {
  const t = text.trim();
  const range = `a number from ${ROUTE_READ_MIN} to ${ROUTE_READ_MAX}`;
  if (t === '') return { error: `Enter ${range}.` };
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(t)) return { error: `“${t.slice(0, 20)}” is not a number; enter ${range} (decimals allowed, like 2.5).` };
  const n = Number(t);
  if (n < ROUTE_READ_MIN) return { error: `At least ${ROUTE_READ_MIN}.` };
  if (n > ROUTE_READ_MAX) return { error: `At most ${ROUTE_READ_MAX}.` };
  if (!CONFIG_VALUE_SCHEMAS.maxRouteRead.safeParse(n).success) return { error: `Enter ${range}.` };
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
  const route = parseRouteRead(d.maxRouteRead);
  const keep = parseWhole(d.keepFullLatest);
  if ('error' in chain) errors.maxChainLength = chain.error;
  if ('error' in route) errors.maxRouteRead = route.error;
  if ('error' in keep) errors.keepFullLatest = keep.error;
  if ('error' in chain || 'error' in route || 'error' in keep) return { values: null, errors };
  return { values: { maxChainLength: chain.value, maxRouteRead: route.value, keepFullLatest: keep.value, autoCleanup: d.autoCleanup }, errors };
}

/** Only the keys that differ from what is saved: `settings.set` rewrites just those. */
export function changesFrom(saved: Settings, next: Settings): Partial<Settings> {
  const out: { -readonly [K in keyof Settings]?: Settings[K] } = {};
  if (next.maxChainLength !== saved.maxChainLength) out.maxChainLength = next.maxChainLength;
  if (next.maxRouteRead !== saved.maxRouteRead) out.maxRouteRead = next.maxRouteRead;
  if (next.keepFullLatest !== saved.keepFullLatest) out.keepFullLatest = next.keepFullLatest;
  if (next.autoCleanup !== saved.autoCleanup) out.autoCleanup = next.autoCleanup;
  return out;
}

/** Which rule ends a run of DELTAs: the read bound (maxRouteRead), the hop bound (maxChainLength), or the delta being nearly as large as the model. */
export type CheckpointRule = 'route-read' | 'chain-length' | 'delta-too-large';

/** Commit makes a CHECKPOINT when its delta would be this share of the model or more (DELTA_WORTH_IT in core/ops/commit.ts). */
export const DELTA_WORTH_IT = 0.9;

export interface ChainEstimate {
  /** One commit in this many becomes a CHECKPOINT (1 + the DELTAs between two CHECKPOINTs). */
  readonly checkpointEvery: number;
  /** The rule that makes the CHECKPOINT (when both give the same count, the read bound). */
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
 * averages, with commit's own rules (docs/STORE-FORMAT.md "Commit types"): a
 * run of DELTAs ends when the next delta would take the bytes read since the
 * last CHECKPOINT past maxRouteRead × the model's size, or past
 * maxChainLength DELTAs, whichever comes first; a delta of 90% of the model
 * or more is a CHECKPOINT at once. Shorter runs make more CHECKPOINTs (full
 * parameters, kept for good) and faster restores. null without history to
 * average (no DELTA yet).
 */
export function chainEstimate(commits: readonly LogEntry[], maxChainLength: number, maxRouteRead: number): ChainEstimate | null {
  if (commits.length === 0) return null;
  const fullBytes = commits.reduce((s, c) => s + c.logicalBytes, 0) / commits.length;
  const deltas = commits.filter((c) => c.type === 'DELTA' && c.deltaBytes > 0);
  if (deltas.length === 0) return null;
  const deltaBytes = deltas.reduce((s, c) => s + c.deltaBytes, 0) / deltas.length;
  // k DELTAs fit while k × delta ≤ maxRouteRead × model (commit checks the line plus this delta against the budget).
  const byRead = deltaBytes >= DELTA_WORTH_IT * fullBytes ? 0 : Math.floor((maxRouteRead * fullBytes) / deltaBytes);
  const run = Math.min(maxChainLength, byRead);
  const rule: CheckpointRule = deltaBytes >= DELTA_WORTH_IT * fullBytes ? 'delta-too-large' : byRead <= maxChainLength ? 'route-read' : 'chain-length';
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
