// Flag values the CLI checks by the rules the app uses too (settings,
// commit metadata, retention policies): src-shared's zod schemas, so main.ts
// loads this file only for the commands that take such flags.

import type { CommitMeta } from '../../src-shared/model';
import { commitMetaSchema, isEmptyMeta, parseMetric } from '../../src-shared/meta';
import { parseSettingText, settingProblemText, type SettingKey } from '../../src-shared/policy/settings';
import { isEmptyPolicy, parseDuration, parseKeepBest, retentionPolicySchema, type KeepBest, type RetentionPolicy } from '../../src-shared/policy/retention';
import { UsageError } from './usage-error';

export { settingExpected, settingValueText } from '../../src-shared/policy/settings';
export { policyText } from '../../src-shared/policy/retention';

/** The policy's parser (src-shared/policy/settings.ts): the CLI refuses what the app refuses, in the same words. */
export function parseSetting(key: SettingKey, value: string): number | boolean {
  const parsed = parseSettingText(key, value);
  if ('problem' in parsed) throw new UsageError(settingProblemText(parsed.problem));
  return parsed.value;
}

/** The meta block `commit --step/--epoch/--metric` give (checked by the manifest's own schema), or undefined when none is given. */
export function commitMeta(o: { step?: string; epoch?: string; metric: readonly string[] }): CommitMeta | undefined {
  const meta: { step?: number; epoch?: number; metrics?: Record<string, number> } = {};
  if (o.step !== undefined) {
    const n = /^\d+$/u.test(o.step.trim()) ? Number(o.step.trim()) : NaN;
    if (!Number.isSafeInteger(n)) throw new UsageError(`--step takes a whole number, 0 or more; found "${o.step}"`);
    meta.step = n;
  }
  if (o.epoch !== undefined) {
    const n = o.epoch.trim() === '' ? NaN : Number(o.epoch);
    if (!Number.isFinite(n) || n < 0) throw new UsageError(`--epoch takes a number, 0 or more (3, or 2.5); found "${o.epoch}"`);
    meta.epoch = n;
  }
  for (const text of o.metric) {
    const parsed = parseMetric(text);
    if (typeof parsed === 'string') throw new UsageError(`--metric ${parsed}`);
    const [name, value] = parsed;
    meta.metrics ??= {};
    if (Object.hasOwn(meta.metrics, name)) throw new UsageError(`--metric ${name} is given twice; give each metric once`);
    meta.metrics[name] = value;
  }
  if (isEmptyMeta(meta)) return undefined;
  const checked = commitMetaSchema.safeParse(meta);
  if (!checked.success) throw new UsageError(`--metric: ${checked.error.issues[0]?.message ?? 'not a valid set of metrics'}`);
  return checked.data;
}

/** The retention policy the --keep-… flags give, or undefined when none is given. */
export function policyOf(o: { keepLast?: string; keepBest: readonly string[]; keepEvery?: string; keepWithin?: string; keepTag: readonly string[] }): RetentionPolicy | undefined {
  const keepBest: KeepBest[] = [];
  for (const text of o.keepBest) {
    const parsed = parseKeepBest(text);
    if ('problem' in parsed) throw new UsageError(parsed.problem);
    keepBest.push(parsed);
  }
  let keepWithinMs: number | undefined;
  if (o.keepWithin !== undefined) {
    const ms = parseDuration(o.keepWithin);
    if (ms === null) throw new UsageError(`--keep-within takes a duration such as 7d, 2w, 36h, 90min or 1y6m (y = 365 days, m = 30 days); found "${o.keepWithin}"`);
    keepWithinMs = ms;
  }
  const policy: RetentionPolicy = {
    ...(o.keepLast !== undefined ? { keepLast: wholeOption('--keep-last', o.keepLast, 'commits') } : {}),
    ...(keepBest.length > 0 ? { keepBest } : {}),
    ...(o.keepEvery !== undefined ? { keepEvery: wholeOption('--keep-every', o.keepEvery, 'steps or commits') } : {}),
    ...(keepWithinMs !== undefined ? { keepWithinMs } : {}),
    ...(o.keepTag.length > 0 ? { keepTags: [...o.keepTag] } : {}),
  };
  if (isEmptyPolicy(policy)) return undefined;
  const checked = retentionPolicySchema.safeParse(policy);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw new UsageError(`the retention policy is out of bounds at ${issue?.path.join('.') ?? '?'}: ${issue?.message ?? 'not a valid policy'}`);
  }
  return checked.data;
}

/** A whole number of at least 1 given to a flag. */
function wholeOption(name: string, value: string, what: string): number {
  const n = /^\d+$/u.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`${name} takes a whole number of ${what}, 1 or more; found "${value}"`);
  return n;
}
