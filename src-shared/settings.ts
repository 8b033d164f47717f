// Store settings and their defaults: the CLI's `config`, the app's settings
// calls and the store itself read them from here.

export interface StoreConfig {
  /** DELTAs allowed since the last CHECKPOINT before a commit becomes a CHECKPOINT by itself. */
  readonly maxChainLength: number;
  /** Newest commits of every line of history whose full parameters cleanup keeps. */
  readonly keepFullLatest: number;
  /** Clean up after every commit. */
  readonly autoCleanup: boolean;
}

export const DEFAULT_CONFIG: StoreConfig = { maxChainLength: 16, keepFullLatest: 2, autoCleanup: false };
