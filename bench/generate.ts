// Checkpoint sequences with the statistics of real training, written as real
// files. Weights start N(0, 0.02) like a transformer's init; each checkpoint
// applies what an AdamW fine-tune does between two saves: every trainable
// float moves by a small, normally distributed step (a few 1e-5, i.e. ~0.2% of
// a weight), decoupled weight decay shrinks it a little, batch-norm running
// statistics drift, step counters increase. Optimizer moments follow Adam's
// EMAs of noisy gradients. Deterministic (seeded), so runs compare.

import * as fs from 'node:fs';
import * as path from 'node:path';

export type Dtype = 'F32' | 'BF16' | 'I64';

interface Tensor { name: string; dtype: Dtype; shape: number[]; data: Float32Array | BigInt64Array; trainable: boolean; kind: 'weight' | 'bn' | 'counter' | 'moment1' | 'moment2' }

class Rng {
  private s: number;
  private spare: number | null = null;
  constructor(seed: number) { this.s = seed >>> 0 || 1; }
  next(): number { this.s = (Math.imul(this.s ^ (this.s >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0; let t = this.s; t = Math.imul(t ^ (t >>> 13), 0x297a2d39); return ((t ^ (t >>> 16)) >>> 0) / 4294967296; }
  normal(): number {
    if (this.spare !== null) { const v = this.spare; this.spare = null; return v; }
    const u = Math.max(this.next(), 1e-12), v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
}

/** A transformer-like parameter set of about `bytes` bytes of f32 weights. */
function architecture(bytes: number): Array<{ name: string; shape: number[]; kind: Tensor['kind'] }> {
  // d chosen so that 12 layers of 12·d² parameters (+ embeddings) hit the size.
  const params = bytes / 4;
  const d = Math.max(64, Math.round(Math.sqrt(params / (12 * 12 + 8)) / 16) * 16);
  const vocab = 8 * d;
  const out: Array<{ name: string; shape: number[]; kind: Tensor['kind'] }> = [{ name: 'embed.weight', shape: [vocab, d], kind: 'weight' }];
  for (let l = 0; l < 12; l++) {
    for (const p of ['q', 'k', 'v', 'o']) out.push({ name: `layers.${l}.attn.${p}.weight`, shape: [d, d], kind: 'weight' });
    out.push({ name: `layers.${l}.mlp.up.weight`, shape: [4 * d, d], kind: 'weight' });
    out.push({ name: `layers.${l}.mlp.down.weight`, shape: [d, 4 * d], kind: 'weight' });
    out.push({ name: `layers.${l}.norm.weight`, shape: [d], kind: 'weight' });
    out.push({ name: `layers.${l}.norm.bias`, shape: [d], kind: 'weight' });
    out.push({ name: `layers.${l}.bn.running_mean`, shape: [d], kind: 'bn' });
    out.push({ name: `layers.${l}.bn.running_var`, shape: [d], kind: 'bn' });
    out.push({ name: `layers.${l}.bn.num_batches_tracked`, shape: [1], kind: 'counter' });
  }
  out.push({ name: 'head.weight', shape: [vocab, d], kind: 'weight' });
  return out;
}

export interface SequenceSpec {
  readonly name: string;
  readonly bytes: number;
  readonly versions: number;
  readonly dtype: 'F32' | 'BF16';
  /** Only the head and the last layer train; batch-norm statistics still move. */
  readonly frozenBackbone?: boolean;
  /** Only the output head trains; nothing else moves (one shard of a folder changes). */
  readonly onlyHead?: boolean;
  /** Save Adam's moments beside the weights (a training-state checkpoint). */
  readonly optimizerState?: boolean;
  /** A Hugging Face style folder of this many shards. */
  readonly shards?: number;
  /**
   * Head-only fine-tune: only the output head and the last this-many layers
   * train; the frozen backbone (its batch-norm statistics and counters
   * included, as in eval mode) does not move at all.
   */
  readonly trainLastLayers?: number;
  /** Name files as trainers write them, one new name per checkpoint (checkpoint-500.safetensors, checkpoint-1000...). */
  readonly stepNames?: boolean;
  readonly seed?: number;
}

function bf16Bytes(a: Float32Array): Buffer {
  const u = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const out = Buffer.allocUnsafe(a.length * 2);
  for (let i = 0; i < a.length; i++) {
    const v = u[i]!;
    // Round to nearest even, as torch's .to(bfloat16) does.
    out.writeUInt16LE(((v + 0x7fff + ((v >>> 16) & 1)) >>> 16) & 0xffff, i * 2);
  }
  return out;
}

function writeSafetensors(file: string, tensors: Tensor[], dtype: 'F32' | 'BF16'): void {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  const blobs: Buffer[] = [];
  let off = 0;
  for (const t of tensors) {
    const data = t.data instanceof BigInt64Array ? Buffer.from(t.data.buffer) : dtype === 'BF16' ? bf16Bytes(t.data) : Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    const dt = t.data instanceof BigInt64Array ? 'I64' : dtype;
    header[t.name] = { dtype: dt, shape: t.shape, data_offsets: [off, off + data.length] };
    blobs.push(data);
    off += data.length;
  }
  let json = JSON.stringify(header);
  while ((8 + json.length) % 8) json += ' ';
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, len);
  fs.writeSync(fd, json);
  for (const b of blobs) fs.writeSync(fd, b);
  fs.closeSync(fd);
}

/** Writes version 1..N of a sequence into dir/v0001... (files or folders); returns their paths. */
export function generateSequence(dir: string, spec: SequenceSpec): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const rng = new Rng(spec.seed ?? 7);
  const bytesPerParam = spec.dtype === 'BF16' ? 2 : 4;
  const weightBytes = spec.optimizerState ? spec.bytes / 3 : spec.bytes;
  const arch = architecture(weightBytes * (4 / bytesPerParam));
  const lastLayer = 11;
  const tensors: Tensor[] = arch.map((a) => {
    const n = a.shape.reduce((x, y) => x * y, 1);
    const lastTrained = spec.trainLastLayers !== undefined ? 12 - spec.trainLastLayers : 12;
    const inTrainedLayer = /^layers\.(\d+)\./.exec(a.name);
    const inTrained = !!inTrainedLayer && Number(inTrainedLayer[1]) >= lastTrained;
    // A counter is not trained, but it steps wherever the layer is in train mode.
    if (a.kind === 'counter') return { ...a, dtype: 'I64', data: new BigInt64Array(n), trainable: spec.trainLastLayers !== undefined && inTrained };
    const data = new Float32Array(n);
    if (a.kind === 'bn') for (let i = 0; i < n; i++) data[i] = a.name.endsWith('var') ? 1 + 0.1 * Math.abs(rng.normal()) : 0.05 * rng.normal();
    else if (a.name.includes('norm.weight')) data.fill(1);
    else if (!a.name.includes('norm.bias')) for (let i = 0; i < n; i++) data[i] = 0.02 * rng.normal();
    const trainable = spec.onlyHead ? a.name.startsWith('head')
      : spec.trainLastLayers !== undefined ? a.name.startsWith('head') || inTrained
      : !spec.frozenBackbone || a.name.startsWith('head') || a.name.startsWith(`layers.${lastLayer}.`);
    return { ...a, dtype: spec.dtype, data, trainable };
  });
  const moments: Tensor[] = [];
  if (spec.optimizerState) {
    for (const t of tensors) {
      if (t.kind !== 'weight') continue;
      const n = t.data.length;
      moments.push({ name: `optimizer.${t.name}.exp_avg`, dtype: spec.dtype, shape: t.shape, data: new Float32Array(n), trainable: true, kind: 'moment1' });
      moments.push({ name: `optimizer.${t.name}.exp_avg_sq`, dtype: spec.dtype, shape: t.shape, data: new Float32Array(n), trainable: true, kind: 'moment2' });
    }
  }
  const paths: string[] = [];
  for (let v = 1; v <= spec.versions; v++) {
    if (v > 1) step(tensors, moments, rng, !!spec.onlyHead || spec.trainLastLayers !== undefined);
    const name = spec.stepNames ? `checkpoint-${v * 500}` : `v${String(v).padStart(4, '0')}`;
    const all = [...tensors, ...moments];
    if (spec.shards) {
      const folder = path.join(dir, name);
      fs.mkdirSync(folder, { recursive: true });
      const per = Math.ceil(all.length / spec.shards);
      const index: Record<string, string> = {};
      for (let s = 0; s < spec.shards; s++) {
        const shardName = `model-${String(s + 1).padStart(5, '0')}-of-${String(spec.shards).padStart(5, '0')}.safetensors`;
        const part = all.slice(s * per, (s + 1) * per);
        for (const t of part) index[t.name] = shardName;
        writeSafetensors(path.join(folder, shardName), part, spec.dtype);
      }
      fs.writeFileSync(path.join(folder, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: index }, null, 2));
      fs.writeFileSync(path.join(folder, 'config.json'), JSON.stringify({ architectures: ['BenchModel'], hidden_size: tensors[0]!.shape[1], num_hidden_layers: 12, torch_dtype: spec.dtype === 'BF16' ? 'bfloat16' : 'float32' }, null, 2));
      paths.push(folder);
    } else {
      const file = path.join(dir, `${name}.safetensors`);
      writeSafetensors(file, all, spec.dtype);
      paths.push(file);
    }
  }
  return paths;
}

/** What an AdamW fine-tune does between two checkpoints. */
function step(tensors: Tensor[], moments: Tensor[], rng: Rng, onlyHead: boolean): void {
  const lr = 3e-5, wd = 0.01;
  for (const t of tensors) {
    if (onlyHead && !t.trainable) continue; // nothing outside the trained part moves, counters and statistics included
    if (t.kind === 'counter') { (t.data as BigInt64Array)[0]! += 100n; continue; }
    const a = t.data as Float32Array;
    if (t.kind === 'bn') { for (let i = 0; i < a.length; i++) a[i] = 0.9 * a[i]! + 0.1 * (a[i]! + 0.01 * rng.normal()); continue; }
    if (!t.trainable) continue;
    for (let i = 0; i < a.length; i++) a[i] = a[i]! * (1 - lr * wd) - lr * rng.normal();
  }
  for (const m of moments) {
    const a = m.data as Float32Array;
    if (m.kind === 'moment1') for (let i = 0; i < a.length; i++) a[i] = 0.9 * a[i]! + 0.1 * 1e-3 * rng.normal();
    else for (let i = 0; i < a.length; i++) { const g = 1e-3 * rng.normal(); a[i] = 0.999 * a[i]! + 0.001 * g * g; }
  }
}
