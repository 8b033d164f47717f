import type { SequenceSpec } from './generate';

// The held-out sequences of the size tables, in one place: bench/run.ts
// measures them at full size, bench/speed.ts at small sizes to guard the
// codec's bytes against regressions. Same specs, same seeds, same bytes.

/** Five-version sequences: one per kind of training change. */
export function shortSequences(bytes: number, versions: number): SequenceSpec[] {
  return [
    { name: 'frozen backbone (f32)', bytes, versions, dtype: 'F32', frozenBackbone: true },
    { name: 'full fine-tune, AdamW (f32)', bytes, versions, dtype: 'F32' },
    { name: 'full fine-tune, AdamW (bf16)', bytes, versions, dtype: 'BF16' },
    { name: 'HF sharded folder, one shard changes (f32)', bytes, versions, dtype: 'F32', shards: 4, onlyHead: true },
    { name: 'training state with Adam moments (f32)', bytes, versions, dtype: 'F32', optimizerState: true },
  ];
}

/** Long runs, one new file name per checkpoint. */
export function longSequences(bytes: number, versions: number): SequenceSpec[] {
  return [
    { name: 'dense fine-tune (f32)', bytes, versions, dtype: 'F32', stepNames: true, seed: 11 },
    { name: 'dense fine-tune (bf16)', bytes, versions, dtype: 'BF16', stepNames: true, seed: 12 },
    { name: 'head-only fine-tune: head + last block train (f32)', bytes, versions, dtype: 'F32', stepNames: true, trainLastLayers: 1, seed: 13 },
  ];
}
