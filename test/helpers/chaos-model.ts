// Model files for the chaos test: small real safetensors (one tensor over
// 4 MiB so a file has several blocks, a few small ones), changed densely or
// sparsely, with tensors added and removed. Everything is derived from
// integer seeds, so a generated step always builds the same bytes.

import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { gaussianF32, nudgeF32, rng, safetensorsBytes, type TestDtype, type TestTensor } from './models';

/** One tensor just over 4 MiB (two blocks), so Same / Xor blocks and block boundaries matter. */
const BIG = 1_100_000;

export type ModelChange = 'dense' | 'sparse' | 'add' | 'remove' | 'same';

export function baseModel(seed: number): TestTensor[] {
  const r = rng(seed);
  return [
    { name: 'emb.weight', dtype: 'F32', shape: [BIG], data: gaussianF32(BIG, r) },
    { name: 'layer.0.weight', dtype: 'F32', shape: [128, 96], data: gaussianF32(128 * 96, r) },
    { name: 'layer.0.bias', dtype: 'F32', shape: [96], data: gaussianF32(96, r) },
    { name: 'head.weight', dtype: 'F16', shape: [4096], data: randomBytes(8192, r) },
  ];
}

function randomBytes(n: number, r: () => number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(r() * 256);
  return b;
}

/** A new model from the current one; `seed` decides which elements move. */
export function changeModel(model: readonly TestTensor[], change: ModelChange, seed: number): TestTensor[] {
  const r = rng(seed);
  switch (change) {
    case 'same':
      return [...model];
    case 'dense':
      // An optimizer step: every element of every float tensor moves a little.
      return model.map((t) => (t.dtype === 'F32' ? { ...t, data: nudgeF32(t.data, r, 1e-3, 1) } : { ...t, data: randomBytes(t.data.length, r) }));
    case 'sparse': {
      // A few elements of one tensor (most blocks stay Same).
      const i = Math.floor(r() * model.length);
      return model.map((t, k) => {
        if (k !== i) return t;
        const data = Buffer.from(t.data);
        const n = 1 + Math.floor(r() * 8);
        for (let j = 0; j < n; j++) {
          const at = Math.floor(r() * data.length);
          data[at] = data[at]! ^ (1 + Math.floor(r() * 255));
        }
        return { ...t, data };
      });
    }
    case 'add': {
      const name = `extra.${seed % 1000}.weight`;
      if (model.some((t) => t.name === name)) return changeModel(model, 'sparse', seed + 1);
      const n = 2000 + Math.floor(r() * 20_000);
      return [...model, { name, dtype: 'F32', shape: [n], data: gaussianF32(n, r) }];
    }
    case 'remove': {
      // Never the big tensor: the file stays over 4 MiB.
      const removable = model.filter((t) => t.data.length < 4 << 20);
      if (removable.length <= 1) return changeModel(model, 'add', seed + 1);
      const victim = removable[Math.floor(r() * removable.length)]!;
      return model.filter((t) => t !== victim);
    }
  }
}

export function modelBytes(model: readonly TestTensor[]): Buffer {
  return safetensorsBytes(model);
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Writes a whole file as a program that saves safely does: temp file, then rename (never through a link). */
export async function writeReplacing(file: string, bytes: Uint8Array): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.chaos-tmp-${process.pid}`;
  try {
    await fs.writeFile(tmp, bytes);
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
}

/** The tensors of a safetensors file, or null when it does not parse (written into, truncated). */
export function parseSafetensors(bytes: Buffer): TestTensor[] | null {
  try {
    if (bytes.length < 8) return null;
    const len = Number(bytes.readBigUInt64LE(0));
    if (len > bytes.length - 8) return null;
    const header = JSON.parse(bytes.subarray(8, 8 + len).toString('utf8')) as Record<string, { dtype: TestDtype; shape: number[]; data_offsets: [number, number] }>;
    const base = 8 + len;
    const out: TestTensor[] = [];
    for (const [name, t] of Object.entries(header)) {
      if (name === '__metadata__') continue;
      const [a, b] = t.data_offsets;
      if (base + b > bytes.length) return null;
      out.push({ name, dtype: t.dtype, shape: t.shape, data: Buffer.from(bytes.subarray(base + a, base + b)) });
    }
    return out.length > 0 ? out : null;
  } catch {
    return null;
  }
}

/** Where a file's tensor bytes start (in-place writes land there, as a program rewriting weights would). */
export function dataStart(bytes: Buffer): number {
  if (bytes.length < 8) return 0;
  const len = Number(bytes.readBigUInt64LE(0));
  return len + 8 <= bytes.length ? len + 8 : 0;
}
