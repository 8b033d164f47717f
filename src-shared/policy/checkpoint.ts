// When a commit stores full parameters (a CHECKPOINT) instead of a delta, and
// which rule decided it. The store's commit decides with it, and the settings
// pane estimates how often it fires with it, so the pane shows what the store
// will do. docs/STORE-FORMAT.md "Commit types".
import type { Settings } from './settings';

/**
 * Why a commit is a CHECKPOINT:
 * - requested: `--checkpoint` (or the app's option) asked for one;
 * - first: nothing to take a delta against (the first commit);
 * - chain-length: one more DELTA would pass maxChainLength DELTAs since the last CHECKPOINT;
 * - route-read: a rebuild from the last CHECKPOINT would read more than
 *   maxRouteRead × the model's size of deltas;
 * - delta-too-large: the delta is nearly the model's size, so it saves nothing worth a rebuild.
 */
export type CheckpointReason = 'requested' | 'first' | 'chain-length' | 'route-read' | 'delta-too-large';

/** A commit becomes a CHECKPOINT by itself when its delta would be this share of the model or more. */
export const DELTA_WORTH_IT = 0.9;

/** The DELTAs between the commit's parent and the last CHECKPOINT (the parent included). */
export interface LineSinceCheckpoint {
  readonly deltas: number;
  readonly deltaBytes: number;
}

export interface CheckpointInput {
  readonly requested: boolean;
  readonly hasParent: boolean;
  readonly line: LineSinceCheckpoint;
  /** The new version's size (every file): the unit maxRouteRead counts in. */
  readonly modelBytes: number;
  /**
   * The delta's size once it is encoded; null before. Commit asks twice:
   * before encoding (to skip writing a delta it will not keep) and after.
   */
  readonly deltaBytes: number | null;
  readonly settings: Pick<Settings, 'maxChainLength' | 'maxRouteRead'>;
}

export type CheckpointDecision =
  | { readonly type: 'CHECKPOINT'; readonly reason: CheckpointReason }
  | { readonly type: 'DELTA' };

/** The rules, in the order they are reported when several hold. */
export function decideCheckpoint(i: CheckpointInput): CheckpointDecision {
  const cp = (reason: CheckpointReason): CheckpointDecision => ({ type: 'CHECKPOINT', reason });
  if (i.requested) return cp('requested');
  if (!i.hasParent) return cp('first');
  if (i.line.deltas + 1 > i.settings.maxChainLength) return cp('chain-length');
  const budget = i.settings.maxRouteRead * i.modelBytes;
  // Already at the budget: any delta, even an empty one, would be read past it.
  if (i.line.deltaBytes >= budget) return cp('route-read');
  if (i.deltaBytes === null) return { type: 'DELTA' };
  if (i.deltaBytes >= DELTA_WORTH_IT * i.modelBytes) return cp('delta-too-large');
  if (i.line.deltaBytes + i.deltaBytes > budget) return cp('route-read');
  return { type: 'DELTA' };
}

/**
 * The run the rule makes for a model of `modelBytes` whose deltas all take
 * `deltaBytes`: how many DELTAs follow a CHECKPOINT before the next one, and
 * the rule that ends the run. It plays `decideCheckpoint` commit by commit, so
 * it cannot drift from what the store does.
 */
export function checkpointRun(modelBytes: number, deltaBytes: number, settings: Pick<Settings, 'maxChainLength' | 'maxRouteRead'>): { readonly deltas: number; readonly reason: CheckpointReason } {
  let line: LineSinceCheckpoint = { deltas: 0, deltaBytes: 0 };
  // maxChainLength bounds the loop: the chain-length rule fires at the latest there.
  for (;;) {
    const d = decideCheckpoint({ requested: false, hasParent: true, line, modelBytes, deltaBytes, settings });
    if (d.type === 'CHECKPOINT') return { deltas: line.deltas, reason: d.reason };
    line = { deltas: line.deltas + 1, deltaBytes: line.deltaBytes + deltaBytes };
  }
}

/** Why a commit is a CHECKPOINT, in words for the CLI and the app. */
export function checkpointReasonText(reason: CheckpointReason, settings?: Pick<Settings, 'maxChainLength' | 'maxRouteRead'>): string {
  switch (reason) {
    case 'requested': return 'asked for (--checkpoint)';
    case 'first': return 'the first commit of its line has nothing to take a delta against';
    case 'chain-length': return `the DELTAs since the last CHECKPOINT had reached maxChainLength${settings ? ` (${settings.maxChainLength})` : ''}`;
    case 'route-read': return `as a DELTA, a restore from the last CHECKPOINT would read more than maxRouteRead${settings ? ` (${settings.maxRouteRead})` : ''} × the model's size of deltas`;
    case 'delta-too-large': return `the delta was ${Math.round(DELTA_WORTH_IT * 100)}% of the model or more, so full parameters cost about the same`;
  }
}

const REASONS: readonly CheckpointReason[] = ['requested', 'first', 'chain-length', 'route-read', 'delta-too-large'];

/** A reason recorded in a manifest, if this version knows it (a newer version may record others). */
export function knownCheckpointReason(v: unknown): CheckpointReason | undefined {
  return REASONS.find((r) => r === v);
}
