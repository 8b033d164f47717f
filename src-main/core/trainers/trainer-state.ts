// HF Trainer's trainer_state.json (TrainerState.save_to_json): global_step,
// epoch (a float: 2.5 is half way through the third epoch), log_history (one
// object per log or evaluation: {"loss", "grad_norm", "learning_rate",
// "epoch", "step"} or {"eval_loss", "eval_runtime", …, "step"}),
// best_metric, best_global_step and best_model_checkpoint (a path,
// `output_dir/checkpoint-500`). The file does not hold metric_for_best_model
// (a TrainingArguments field, pickled in training_args.bin); the best metric's
// name is inferred only when exactly one eval value of the best step equals
// best_metric.

import { basename } from 'node:path';

export interface HfStateMeta {
  step?: number;
  epoch?: number;
  metrics: Record<string, number>;
  trainerBest?: string;
  trainerBestMetric?: string;
}

/** Bookkeeping in log_history, not a measure of the model: the x axis, counters and speeds. */
function isBookkeeping(key: string): boolean {
  return key === 'step' || key === 'epoch' || key === 'total_flos' || key === 'num_input_tokens_seen' ||
    /_(runtime|samples_per_second|steps_per_second)$/u.test(key);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Meta from a parsed trainer_state.json; fields of the wrong type are left out, never guessed. */
export function metaFromTrainerState(state: unknown): HfStateMeta {
  const out: HfStateMeta = { metrics: {} };
  if (!isRecord(state)) return out;
  const step = state.global_step;
  if (typeof step === 'number' && Number.isSafeInteger(step) && step >= 0) out.step = step;
  if (typeof state.epoch === 'number' && Number.isFinite(state.epoch) && state.epoch >= 0) out.epoch = state.epoch;

  const history = Array.isArray(state.log_history) ? state.log_history.filter(isRecord) : [];
  for (const entry of history) {
    // A resumed run's state can hold entries past this save's step; they belong to a later save.
    if (out.step !== undefined && typeof entry.step === 'number' && entry.step > out.step) continue;
    for (const [key, value] of Object.entries(entry)) {
      if (isBookkeeping(key) || typeof value !== 'number' || !Number.isFinite(value)) continue;
      out.metrics[key] = value;
    }
  }

  if (typeof state.best_model_checkpoint === 'string' && state.best_model_checkpoint !== '') {
    out.trainerBest = basename(state.best_model_checkpoint.replace(/[\\/]+$/u, ''));
  }
  const best = state.best_metric;
  const bestStep = typeof state.best_global_step === 'number' ? state.best_global_step
    : out.trainerBest !== undefined ? Number(/^checkpoint-(\d+)$/u.exec(out.trainerBest)?.[1] ?? NaN) : NaN;
  if (typeof best === 'number' && Number.isFinite(best) && Number.isFinite(bestStep)) {
    const names = new Set<string>();
    for (const entry of history) {
      if (entry.step !== bestStep) continue;
      for (const [key, value] of Object.entries(entry)) if (key.startsWith('eval_') && value === best && !isBookkeeping(key)) names.add(key);
    }
    if (names.size === 1) out.trainerBestMetric = [...names][0];
  }
  return out;
}
