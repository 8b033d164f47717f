// Which layers changed most: tensors grouped by the layer they belong to
// ("model.layers.3.mlp.up_proj.weight" -> "model.layers.3"), scored by the
// size-weighted relative change of their tensors.
import type { FileSummary } from '../../../src-shared/model';

export interface LayerChange {
  readonly layer: string;
  readonly relChange: number;
  readonly tensors: number;
  readonly bytes: number;
}

export function layerOf(tensorName: string): string {
  const parts = tensorName.split('.');
  // Up to and including the first numeric part: the block index in most models.
  const idx = parts.findIndex((p) => /^\d+$/.test(p));
  if (idx >= 0) return parts.slice(0, idx + 1).join('.');
  return parts.length > 1 ? parts.slice(0, -1).join('.') : tensorName;
}

export function layerChanges(files: readonly FileSummary[], limit = 8): LayerChange[] {
  const acc = new Map<string, { weighted: number; bytes: number; tensors: number }>();
  for (const f of files) {
    for (const t of f.tensors) {
      if (t.relChange === null || t.status !== 'changed') continue;
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
