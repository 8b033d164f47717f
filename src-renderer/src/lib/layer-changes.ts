// Which layers changed most: tensors grouped by the layer they belong to
// ("model.layers.3.mlp.up_proj.weight" -> "model.layers.3"), scored by the
// size-weighted relative L2 change ‖Δ‖/‖w‖ of their tensors. Running
// statistics (BatchNorm's running_mean, running_var, num_batches_tracked) are
// buffers a forward pass updates, not weights the optimizer learns; their
// relative change is large by nature (a counter goes 100 -> 200: 1.0), so they
// are ranked on their own and never crowd the learned weights out.
import type { FileSummary } from '../../../src-shared/model';

export interface LayerChange {
  readonly layer: string;
  readonly relChange: number;
  readonly tensors: number;
  readonly bytes: number;
}

/** TensorFlow object-graph checkpoints name every variable ".../.ATTRIBUTES/VARIABLE_VALUE": the same suffix, telling nothing. */
export const TF_SUFFIX = '/.ATTRIBUTES/VARIABLE_VALUE';

export function layerOf(tensorName: string): string {
  // Slash paths (Keras/HDF5 "model_weights/dense_1/dense_1/kernel:0", Keras 3 "layers/dense_1/vars/0",
  // TensorFlow "model/dense/kernel/.ATTRIBUTES/VARIABLE_VALUE"): the layer is the path without the variable.
  if (tensorName.includes('/')) return slashLayer(tensorName);
  const parts = tensorName.split('.');
  // Up to and including the first numeric part: the block index in most models.
  const idx = parts.findIndex((p) => /^\d+$/.test(p));
  if (idx >= 0) return parts.slice(0, idx + 1).join('.');
  return parts.length > 1 ? parts.slice(0, -1).join('.') : tensorName;
}

function slashLayer(name: string): string {
  const bare = name.endsWith(TF_SUFFIX) ? name.slice(0, -TF_SUFFIX.length) : name;
  const parts = bare.split('/').filter((p) => p !== '');
  if (parts.length <= 1) return parts[0] ?? name;
  parts.pop(); // the variable: kernel:0, bias, 0
  if (parts.length > 1 && parts[parts.length - 1] === 'vars') parts.pop(); // Keras 3's "layers/<layer>/vars/<i>"
  // Keras 2 repeats the layer ("model_weights/dense_1/dense_1"): once is enough.
  return parts.filter((p, i) => i === 0 || p !== parts[i - 1]).join('/');
}

export type TensorRole = 'learned' | 'running-stat';

const RUNNING_STAT = /(?:^|\.)(?:running_mean|running_var|num_batches_tracked|moving_mean|moving_variance)$/;

/** A running statistic (a BatchNorm buffer, also Keras' moving_mean/moving_variance) or a learned weight. */
export function tensorRole(name: string): TensorRole {
  return RUNNING_STAT.test(name) ? 'running-stat' : 'learned';
}

export function layerChanges(files: readonly FileSummary[], limit = 8, role: TensorRole = 'learned'): LayerChange[] {
  const acc = new Map<string, { weighted: number; bytes: number; tensors: number }>();
  for (const f of files) {
    for (const t of f.tensors) {
      if (t.relChange === null || t.status !== 'changed' || tensorRole(t.name) !== role) continue;
      const key = layerOf(t.name);
      const a = acc.get(key) ?? { weighted: 0, bytes: 0, tensors: 0 };
      const w = Math.max(t.bytes, 1);
      a.weighted += t.relChange * w;
      a.bytes += w;
      a.tensors += 1;
      acc.set(key, a);
    }
  }
  return [...acc.entries()]
    .map(([layer, a]) => ({ layer, relChange: a.weighted / a.bytes, tensors: a.tensors, bytes: a.bytes }))
    .filter((l) => l.relChange > 0)
    .sort((x, y) => y.relChange - x.relChange || x.layer.localeCompare(y.layer))
    .slice(0, limit);
}
