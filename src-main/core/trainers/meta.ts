// readCheckpointMeta: a checkpoint's step, epoch, metrics and its trainer's
// best marker, from (lowest to highest precedence) its name's numbers and
// key=value parts, its trainer's own state (HF trainer_state.json, a
// Lightning .ckpt's epoch, global_step and ModelCheckpoint state), and a
// sidecar JSON the user's script writes next to it. Every value is checked
// against the one meta schema (src-shared/meta.ts); a value that fails is
// left out, never passed on: a bad sidecar costs its own fields, not the commit.

import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { commitMetaSchema, MAX_METRICS, metricNameSchema } from '../../../src-shared/meta';
import type { CommitMeta } from '../../../src-shared/model';
import type { CheckpointFound } from './checkpoint';
import { HF_STATE_FILE } from './completion';
import { readLightningMeta } from './lightning-state';
import { extensionOf, KERAS_EXTENSIONS, LIGHTNING_EXTENSION, metaFromStem, PLAIN_EXTENSIONS, stemOf } from './names';
import { metaFromTrainerState } from './trainer-state';

/** A sidecar is a few fields; anything larger is not one. */
const MAX_SIDECAR_BYTES = 1024 * 1024;
/** trainer_state.json can be large for a long run (log_history); it is read whole, up to a bound. */
const MAX_STATE_BYTES = 64 * 1024 * 1024;

interface Draft {
  step?: number;
  epoch?: number;
  metrics: Record<string, number>;
  trainerBest?: string;
  trainerBestMetric?: string;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function validStep(v: unknown): number | undefined {
  return commitMetaSchema.shape.step.safeParse(v).success && typeof v === 'number' ? v : undefined;
}

function validEpoch(v: unknown): number | undefined {
  return commitMetaSchema.shape.epoch.safeParse(v).success && typeof v === 'number' ? v : undefined;
}

function mergeMetrics(into: Record<string, number>, from: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(from)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || !metricNameSchema.safeParse(name).success) continue;
    if (!(name in into) && Object.keys(into).length >= MAX_METRICS) continue;
    into[name] = value;
  }
}

function stemFor(c: CheckpointFound): string {
  if (c.kind !== 'file') return c.name;
  const ext = c.layout === 'lightning' ? LIGHTNING_EXTENSION : extensionOf(c.name, c.layout === 'keras' ? KERAS_EXTENSIONS : PLAIN_EXTENSIONS);
  return stemOf(c.name, ext);
}

/**
 * The sidecar's candidate names, first found wins: `<name>.meta.json`,
 * `<name>.json`, then the same with the name's extension dropped
 * (`step_1000.meta.json`, `step_1000.json` beside `step_1000.safetensors`).
 * Its content: {"step": 1000, "epoch": 2.5, "metrics": {"eval_loss": 0.41}};
 * any other key is ignored.
 */
export function sidecarCandidates(c: CheckpointFound): string[] {
  const dir = dirname(c.path);
  const stem = stemFor(c);
  const names = [`${c.name}.meta.json`, `${c.name}.json`];
  if (stem !== c.name) names.push(`${stem}.meta.json`, `${stem}.json`);
  return names.map((n) => join(dir, n));
}

/**
 * A JSON file of at most `max` bytes, or undefined when it is missing,
 * unreadable, larger, or not JSON (perhaps still being written; a parse that
 * runs out of stack on forged nesting is caught here too): nothing from it
 * this time.
 */
async function readBoundedJson(path: string, max: number): Promise<unknown> {
  try {
    const s = await stat(path);
    if (!s.isFile() || s.size > max) return undefined;
    return JSON.parse((await readFile(path)).toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

export async function readSidecar(c: CheckpointFound): Promise<Partial<Draft> | null> {
  for (const path of sidecarCandidates(c)) {
    const value = await readBoundedJson(path, MAX_SIDECAR_BYTES);
    if (!isRecord(value)) continue;
    if (!('step' in value) && !('epoch' in value) && !('metrics' in value)) continue;
    const out: Partial<Draft> = {};
    const step = validStep(value.step);
    if (step !== undefined) out.step = step;
    const epoch = validEpoch(value.epoch);
    if (epoch !== undefined) out.epoch = epoch;
    if (isRecord(value.metrics)) {
      out.metrics = {};
      mergeMetrics(out.metrics, value.metrics);
    }
    return out;
  }
  return null;
}

export async function readCheckpointMeta(c: CheckpointFound, runDir: string): Promise<CommitMeta> {
  void runDir;
  const draft: Draft = { metrics: {} };
  const fromName = metaFromStem(stemFor(c));
  if (!c.rewritten) {
    if (fromName.step !== undefined) draft.step = validStep(fromName.step);
    if (fromName.epoch !== undefined) draft.epoch = validEpoch(fromName.epoch);
    mergeMetrics(draft.metrics, fromName.metrics);
  }
  if (c.step !== null && draft.step === undefined) draft.step = validStep(c.step);

  if (c.layout === 'hf-trainer' && c.kind === 'folder') {
    const state = await readBoundedJson(join(c.path, HF_STATE_FILE), MAX_STATE_BYTES);
    if (state !== undefined) {
      const hf = metaFromTrainerState(state);
      if (hf.step !== undefined) draft.step = hf.step;
      if (hf.epoch !== undefined) draft.epoch = hf.epoch;
      mergeMetrics(draft.metrics, hf.metrics);
      if (hf.trainerBest !== undefined) draft.trainerBest = hf.trainerBest;
      if (hf.trainerBestMetric !== undefined) draft.trainerBestMetric = hf.trainerBestMetric;
    }
  }

  if (c.layout === 'lightning' && c.kind === 'file') {
    const own = await readLightningMeta(c.path);
    // The name is formatted from the same values; the file's own say wins, and is all a last.ckpt has.
    if (own.step !== undefined) draft.step = own.step;
    if (own.epoch !== undefined) draft.epoch = own.epoch;
    if (own.trainerBest !== undefined) draft.trainerBest = own.trainerBest;
    if (own.trainerBestMetric !== undefined) draft.trainerBestMetric = own.trainerBestMetric;
  }

  const sidecar = await readSidecar(c);
  if (sidecar) {
    if (sidecar.step !== undefined) draft.step = sidecar.step;
    if (sidecar.epoch !== undefined) draft.epoch = sidecar.epoch;
    if (sidecar.metrics) mergeMetrics(draft.metrics, sidecar.metrics);
  }

  const meta: Record<string, unknown> = { trainer: c.layout };
  if (draft.step !== undefined) meta.step = draft.step;
  if (draft.epoch !== undefined) meta.epoch = draft.epoch;
  if (Object.keys(draft.metrics).length > 0) meta.metrics = draft.metrics;
  if (draft.trainerBest !== undefined) meta.trainerBest = draft.trainerBest;
  if (draft.trainerBestMetric !== undefined) meta.trainerBestMetric = draft.trainerBestMetric;
  // The last word is the shared schema's: what it refuses here no reader would accept.
  const checked = commitMetaSchema.safeParse(meta);
  if (!checked.success) {
    const bad = new Set(checked.error.issues.map((i) => String(i.path[0])));
    for (const key of bad) if (key !== 'trainer') delete meta[key];
  }
  return meta as CommitMeta;
}

