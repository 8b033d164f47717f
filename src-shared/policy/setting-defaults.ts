// The store's settings (policy/settings.ts has the rules): the type, the
// defaults and the keys, apart from the bounds' zod schemas, so the CLI can
// name the keys in its help without loading zod at start-up.

export interface Settings {
  /**
   * DELTAs allowed since the last CHECKPOINT before a commit becomes a
   * CHECKPOINT by itself: a bound on the work per block of a rebuild (one
   * decode per delta), for histories of many tiny deltas.
   */
  readonly maxChainLength: number;
  /**
   * The delta bytes a rebuild from the last CHECKPOINT may read, in times the
   * model's size: past it the commit becomes a CHECKPOINT. This is the rule
   * that usually decides: a dense fine-tune (large deltas) gets a CHECKPOINT
   * every few commits, a sparse one (small deltas) pays none it does not need.
   */
  readonly maxRouteRead: number;
  /** Newest commits of every line of history whose full parameters cleanup keeps. */
  readonly keepFullLatest: number;
  /** Clean up after every commit. */
  readonly autoCleanup: boolean;
  /** Days a forget's trash is kept for `weightline undo` (sooner when a commit needs the space). */
  readonly trashDays: number;
  /** The store's disk budget in bytes (objects, manifests, trash); 0: none. A commit that would break it applies the stored retention policy (autoForget) or refuses before writing. */
  readonly maxStoreBytes: number;
  /** Bytes the store's disk must keep free; 0: none. Checked like maxStoreBytes. */
  readonly minFreeBytes: number;
  /** Apply the stored retention policy (retention.json) after every cleanup, and when a commit would break the disk budget. */
  readonly autoForget: boolean;
}

export type SettingKey = keyof Settings;
export type NumberSettingKey = { [K in SettingKey]: Settings[K] extends number ? K : never }[SettingKey];

export const DEFAULT_SETTINGS: Settings = { maxChainLength: 64, maxRouteRead: 4, keepFullLatest: 2, autoCleanup: false, trashDays: 7, maxStoreBytes: 0, minFreeBytes: 0, autoForget: false };

export const SETTING_KEYS = Object.keys(DEFAULT_SETTINGS) as readonly SettingKey[];
