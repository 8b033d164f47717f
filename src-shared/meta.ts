// The one schema of a commit's training metadata (model.ts CommitMeta): the
// manifest reader, the job contract and the CLI's --step/--metric parser all
// check it here, so a value one of them accepts the others can read.
import { z } from 'zod';
import type { CommitMeta } from './model';

/** Bounds: a manifest is read whole, so a forged one must not carry a million metrics. */
export const MAX_METRICS = 256;
export const MAX_METRIC_NAME = 128;

const finite = z.number().refine(Number.isFinite, 'a finite number');
const shortText = z.string().min(1).max(4096);

export const metricNameSchema = z.string().min(1).max(MAX_METRIC_NAME).regex(/^[^\s=]+$/u, 'no spaces or "=" in a metric name');

export const commitMetaSchema = z.looseObject({
  step: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  epoch: finite.refine((n) => n >= 0, 'not negative').optional(),
  metrics: z.record(metricNameSchema, finite).refine((m) => Object.keys(m).length <= MAX_METRICS, `at most ${MAX_METRICS} metrics`).optional(),
  trainer: z.string().min(1).max(64).optional(),
  run: shortText.optional(),
  checkpoint: shortText.optional(),
  trainerBest: shortText.optional(),
  trainerBestMetric: z.string().min(1).max(MAX_METRIC_NAME).optional(),
});

/** A meta block with no field set is not written at all (a plain commit's manifest stays as it was). */
export function isEmptyMeta(meta: CommitMeta | undefined): boolean {
  return !meta || Object.values(meta).every((v) => v === undefined);
}

/**
 * `eval_loss=0.41` → ['eval_loss', 0.41]; a refusal sentence for anything
 * else (the CLI's --metric and a Python caller's metrics both pass here).
 */
export function parseMetric(text: string): [string, number] | string {
  const eq = text.indexOf('=');
  if (eq <= 0) return `expected NAME=NUMBER (eval_loss=0.41), found "${text}"`;
  const name = text.slice(0, eq);
  const valueText = text.slice(eq + 1).trim();
  const value = Number(valueText);
  if (valueText === '' || !Number.isFinite(value)) return `expected a finite number after "${name}=", found "${valueText}"`;
  const named = metricNameSchema.safeParse(name);
  if (!named.success) return `"${name}" is not a metric name: ${named.error.issues[0]?.message ?? 'invalid'}`;
  return [name, value];
}
