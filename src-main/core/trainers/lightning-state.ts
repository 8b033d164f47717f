// What a Lightning .ckpt says about itself: the checkpoint dict that
// CheckpointConnector.dump_checkpoint builds holds "epoch" (current_epoch,
// from 0) and "global_step", and, unless saved weights-only, "callbacks",
// where ModelCheckpoint's state_dict (keyed by its state_key,
// "ModelCheckpoint{'monitor': 'val_loss', …}") names "monitor" and
// "best_model_path". Read from the zip's data.pkl by our pickle reader, which
// builds values and executes nothing; tensors stay unresolved references.

import { basename } from 'node:path';
import { WeightlineError } from '../../../src-shared/errors';
import { parsePickle, type PickleValue } from '../formats/pickle';
import { withZip } from '../formats/zip-entries';

export interface LightningMeta {
  step?: number;
  epoch?: number;
  trainerBest?: string;
  trainerBestMetric?: string;
}

/** data.pkl holds the structure only (tensor bytes are separate entries); a real one is kilobytes. */
const MAX_PICKLE_BYTES = 32 * 1024 * 1024;

function get(v: PickleValue, key: string): PickleValue | undefined {
  if (v === null || typeof v !== 'object' || !('kind' in v)) return undefined;
  const entries = v.kind === 'dict' ? v.entries : v.kind === 'call' ? v.items : [];
  return entries.find(([k]) => k === key)?.[1];
}

function entriesOf(v: PickleValue | undefined): readonly (readonly [PickleValue, PickleValue])[] {
  if (v === null || v === undefined || typeof v !== 'object' || !('kind' in v)) return [];
  return v.kind === 'dict' ? v.entries : v.kind === 'call' ? v.items : [];
}

function count(v: PickleValue | undefined): number | undefined {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : undefined;
}

export function metaFromLightningState(state: PickleValue): LightningMeta {
  const out: LightningMeta = {};
  const step = count(get(state, 'global_step'));
  if (step !== undefined) out.step = step;
  const epoch = count(get(state, 'epoch'));
  if (epoch !== undefined) out.epoch = epoch;
  for (const [key, cb] of entriesOf(get(state, 'callbacks'))) {
    if (typeof key !== 'string' || !key.startsWith('ModelCheckpoint')) continue;
    const monitor = get(cb, 'monitor');
    const best = get(cb, 'best_model_path');
    if (typeof best === 'string' && best !== '') out.trainerBest = basename(best);
    if (typeof monitor === 'string' && monitor !== '') out.trainerBestMetric = monitor;
    break; // the first ModelCheckpoint is the one Lightning itself reports as best
  }
  return out;
}

/** The .ckpt's own meta, or {} when it is not a torch zip with a readable data.pkl. */
export async function readLightningMeta(path: string): Promise<LightningMeta> {
  try {
    return await withZip(path, async (zip) => {
      const entry = zip.entries.find((e) => e.name === 'data.pkl' || e.name.endsWith('/data.pkl'));
      if (!entry || entry.uncompressedSize > MAX_PICKLE_BYTES) return {};
      return metaFromLightningState(parsePickle(await zip.read(entry, MAX_PICKLE_BYTES), { file: path }));
    });
  } catch (e) {
    if (e instanceof WeightlineError && e.code === 'BAD_FORMAT') return {};
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw e;
  }
}
