// The store's settings: one type, its defaults and one bound per key. The
// CLI's `config`, the contract's `settings.set` and `cleanup.previewWith`, the
// settings pane and the store's own config.json reader all take their rules
// from here, so a value one of them accepts is accepted by all, and a refusal
// reads the same wherever it is met.
import { z } from 'zod';

// The type, the defaults and the keys live in setting-defaults.ts, which loads no zod (the CLI's start-up lists the keys).
export { DEFAULT_SETTINGS, SETTING_KEYS, type NumberSettingKey, type SettingKey, type Settings } from './setting-defaults';
import type { NumberSettingKey, SettingKey, Settings } from './setting-defaults';

export interface NumberBound {
  readonly min: number;
  readonly max: number;
  /** Whole numbers only (counts), or decimals too (a factor). */
  readonly whole: boolean;
}

/**
 * One bound per numeric key. 1000 is far past any useful value and keeps the
 * work a setting can ask for finite: maxChainLength bounds the deltas one
 * rebuild replays (each level holds a decoded block), keepFullLatest the full
 * copies cleanup keeps per line, maxRouteRead the model sizes a rebuild reads.
 */
export const SETTING_BOUNDS: { readonly [K in NumberSettingKey]: NumberBound } = {
  maxChainLength: { min: 1, max: 1000, whole: true },
  maxRouteRead: { min: 0.1, max: 1000, whole: false },
  keepFullLatest: { min: 1, max: 1000, whole: true },
  trashDays: { min: 0, max: 365, whole: true },
  maxStoreBytes: { min: 0, max: Number.MAX_SAFE_INTEGER, whole: true },
  minFreeBytes: { min: 0, max: Number.MAX_SAFE_INTEGER, whole: true },
};

/** Settings counted in bytes: typed as "50G", "1.5T", "500M" too (powers of 1024), and 0 means none. */
export const BYTE_SETTINGS: ReadonlySet<SettingKey> = new Set(['maxStoreBytes', 'minFreeBytes']);

const SIZE_TEXT = /^(\d+(?:\.\d+)?)\s*([kmgtp])(?:i?b)?$/iu;

/** "50G" → 53687091200; null when the text has no unit (then it is read as a plain number). */
function parseSizeText(t: string): number | null {
  const m = SIZE_TEXT.exec(t);
  if (!m) return null;
  return Math.round(Number(m[1]) * 1024 ** ('kmgtp'.indexOf(m[2]!.toLowerCase()) + 1));
}

/**
 * A byte setting as a person reads it, in the units `parseSettingText` takes
 * (powers of 1024): 53687091200 → "50G", 0 → "none". A size no unit divides
 * evenly shows two decimals with "≈" (typing the text back gives a size within
 * 1% of it, never a different order of magnitude).
 */
export function sizeSettingText(n: number): string {
  if (n === 0) return 'none';
  let u = -1;
  while (u < 4 && n >= 1024 ** (u + 2)) u++;
  if (u < 0) return `${n}B`;
  const v = n / 1024 ** (u + 1);
  const unit = 'KMGTP'[u]!;
  // Exact when two decimals say it all (1.5G, 1.25T), else rounded and marked.
  const exact = Number.isInteger(v * 100) && Math.round(v * 100) * 1024 ** (u + 1) === n * 100;
  return exact ? `${Number(v.toFixed(2))}${unit}` : `≈${v.toFixed(2)}${unit}`;
}

/** A setting's value as the CLI prints it: byte settings with their size ("53687091200 (50G)"), others as they are. */
export function settingValueText(key: SettingKey, v: number | boolean): string {
  return BYTE_SETTINGS.has(key) && typeof v === 'number' ? `${v} (${sizeSettingText(v)})` : String(v);
}

export function isNumberSetting(key: SettingKey): key is NumberSettingKey {
  return key in SETTING_BOUNDS;
}

/** What each setting takes, in words: "a whole number from 1 to 1000". */
export function settingExpected(key: SettingKey): string {
  if (!isNumberSetting(key)) return 'true or false';
  if (BYTE_SETTINGS.has(key)) return 'a size in bytes (like 50G, 500M or 0 for none)';
  if (key === 'trashDays') return 'a whole number of days from 0 to 365 (0: a forget frees its space at once, and cannot be undone)';
  const b = SETTING_BOUNDS[key];
  return b.whole ? `a whole number from ${b.min} to ${b.max}` : `a number from ${b.min} to ${b.max} (decimals allowed, like 2.5)`;
}

/** What is wrong with a value, as data: the words are `settingProblemText`'s alone. */
export type SettingProblem =
  | { readonly key: SettingKey; readonly kind: 'empty' }
  | { readonly key: SettingKey; readonly kind: 'not-a-value'; readonly found: string }
  | { readonly key: NumberSettingKey; readonly kind: 'not-whole' | 'too-small' | 'too-large'; readonly found: number };

/**
 * The one sentence every door shows for a refused value: the CLI's `config`,
 * the contract's schemas (settings.set, cleanup.previewWith) and the settings
 * pane. "keepFullLatest takes a whole number from 1 to 1000, found 5000".
 */
export function settingProblemText(p: SettingProblem): string {
  const takes = `${p.key} takes ${settingExpected(p.key)}`;
  switch (p.kind) {
    case 'empty': return `${takes}, found nothing`;
    case 'not-a-value': return `${takes}, found ${p.found}`;
    case 'not-whole': return `${takes}, found ${p.found} (not a whole number)`;
    case 'too-small': return `${takes}, found ${p.found} (less than ${SETTING_BOUNDS[p.key].min})`;
    case 'too-large': return `${takes}, found ${p.found} (more than ${SETTING_BOUNDS[p.key].max})`;
  }
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (v === undefined) return 'nothing';
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  return Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'an object' : typeof v;
}

/**
 * A typed value checked against its key's rule, or what is wrong with it. A
 * string "16" or "false" is refused, not coerced: JSON gives strings where
 * numbers were meant, and `"false"` is truthy wherever the value is tested.
 */
export function checkSettingValue<K extends SettingKey>(key: K, v: unknown): { readonly value: Settings[K] } | { readonly problem: SettingProblem } {
  if (!isNumberSetting(key)) {
    return typeof v === 'boolean' ? { value: v as Settings[K] } : { problem: { key, kind: 'not-a-value', found: describe(v) } };
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) return { problem: { key, kind: 'not-a-value', found: describe(v) } };
  const b = SETTING_BOUNDS[key];
  if (b.whole && !Number.isInteger(v)) return { problem: { key, kind: 'not-whole', found: v } };
  if (v < b.min) return { problem: { key, kind: 'too-small', found: v } };
  if (v > b.max) return { problem: { key, kind: 'too-large', found: v } };
  return { value: v as Settings[K] };
}

// Plain decimal notation only ("2.5", ".5"; not "0x10", "1e3" or "2,5"): what a person types, read one way.
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

/**
 * A setting typed as text (the CLI's `weightline config KEY VALUE`, a field
 * of the settings pane), parsed and checked by the key's rule.
 */
export function parseSettingText<K extends SettingKey>(key: K, text: string): { readonly value: Settings[K] } | { readonly problem: SettingProblem } {
  const t = text.trim();
  if (t === '') return { problem: { key, kind: 'empty' } };
  if (!isNumberSetting(key)) {
    if (t === 'true' || t === 'false') return { value: (t === 'true') as Settings[K] };
    return { problem: { key, kind: 'not-a-value', found: describe(t) } };
  }
  const sized = BYTE_SETTINGS.has(key) ? parseSizeText(t) : null;
  if (sized !== null) return checkSettingValue(key, sized);
  if (!DECIMAL.test(t)) return { problem: { key, kind: 'not-a-value', found: describe(t) } };
  return checkSettingValue(key, Number(t));
}

/**
 * A value read from config.json. One past its key's bound but otherwise of
 * the right kind (a count of 5000, written before the bounds were shared)
 * reads as the bound, with the value found, so the store still opens, every
 * door shows a value it accepts, and the next write of the settings stores
 * the bound. Any other bad value is a problem: the caller refuses it.
 */
export function readStoredSetting<K extends SettingKey>(key: K, v: unknown): { readonly value: Settings[K]; readonly clampedFrom?: number } | { readonly problem: SettingProblem } {
  const checked = checkSettingValue(key, v);
  if ('value' in checked) return checked;
  const p = checked.problem;
  if (isNumberSetting(key) && (p.kind === 'too-large' || p.kind === 'too-small')) {
    const b = SETTING_BOUNDS[key];
    return { value: (p.kind === 'too-large' ? b.max : b.min) as Settings[K], clampedFrom: p.found };
  }
  return checked;
}

/** The zod schema of one key, for the contract: it refuses with `settingProblemText`'s words. */
export function settingSchema<K extends SettingKey>(key: K): z.ZodType<Settings[K], Settings[K]> {
  return z.custom<Settings[K]>((v) => 'value' in checkSettingValue(key, v), {
    error: (iss) => {
      const c = checkSettingValue(key, iss.input);
      return 'problem' in c ? settingProblemText(c.problem) : `${key} takes ${settingExpected(key)}`;
    },
  });
}

/** One schema per key. */
export const SETTING_SCHEMAS: { readonly [K in SettingKey]: z.ZodType<Settings[K], Settings[K]> } = {
  maxChainLength: settingSchema('maxChainLength'),
  maxRouteRead: settingSchema('maxRouteRead'),
  keepFullLatest: settingSchema('keepFullLatest'),
  autoCleanup: settingSchema('autoCleanup'),
  trashDays: settingSchema('trashDays'),
  maxStoreBytes: settingSchema('maxStoreBytes'),
  minFreeBytes: settingSchema('minFreeBytes'),
  autoForget: settingSchema('autoForget'),
};
