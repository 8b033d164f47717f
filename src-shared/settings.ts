// Store settings and their defaults: the CLI's `config`, the app's settings
// calls and the store itself read them from here, and validate them with the
// same rules, so a value one of them refuses is refused by all.
import { z } from 'zod';

export interface StoreConfig {
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
}

export const DEFAULT_CONFIG: StoreConfig = { maxChainLength: 64, maxRouteRead: 4, keepFullLatest: 2, autoCleanup: false };

// A string "16" or "false" is refused, not coerced: JSON.parse gives a
// string, and `"false"` is truthy wherever the value is tested.
const wholeAtLeastOne = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

/** The rule for each setting, one schema per key. */
export const CONFIG_VALUE_SCHEMAS: { readonly [K in keyof StoreConfig]: z.ZodType<StoreConfig[K]> } = {
  maxChainLength: wholeAtLeastOne,
  maxRouteRead: z.number().min(0.1).max(1000),
  keepFullLatest: wholeAtLeastOne,
  autoCleanup: z.boolean(),
};

/** What each setting takes, in words, for messages. */
export const CONFIG_EXPECTED: { readonly [K in keyof StoreConfig]: string } = {
  maxChainLength: 'a whole number of at least 1',
  maxRouteRead: 'a number from 0.1 to 1000 (times the model\'s size)',
  keepFullLatest: 'a whole number of at least 1',
  autoCleanup: 'true or false (a JSON boolean, not a string)',
};

export const CONFIG_KEYS = Object.keys(DEFAULT_CONFIG) as ReadonlyArray<keyof StoreConfig>;
