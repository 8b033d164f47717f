// Builders for real model files on disk (no mocks): safetensors written byte
// for byte as the format specifies, and a scratch folder per test.

import { mkdtempSync, rmSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach } from 'vitest';
export { rng } from '../../src-shared/seeded-random';

export type TestDtype = 'F32' | 'F16' | 'BF16' | 'F64' | 'I64' | 'I32' | 'U8';

export interface TestTensor {
  readonly name: string;
  readonly dtype: TestDtype;
  readonly shape: readonly number[];
  readonly data: Buffer;
}

export const WIDTH: Record<TestDtype, number> = { F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8, I32: 4, U8: 1 };

export function safetensorsBytes(tensors: readonly TestTensor[], metadata?: Record<string, string>): Buffer {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.length] };
    offset += t.data.length;
  }
  let json = JSON.stringify(header);
  // The format pads the header with spaces to an 8-byte boundary.
  while ((8 + json.length) % 8 !== 0) json += ' ';
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  return Buffer.concat([len, Buffer.from(json), ...tensors.map((t) => t.data)]);
}

export async function writeSafetensors(file: string, tensors: readonly TestTensor[]): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, safetensorsBytes(tensors));
}


/** Weights that look trained: roughly normal with a small scale. */
export function gaussianF32(n: number, rand: () => number, scale = 0.02): Buffer {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = Math.max(rand(), 1e-12), v = rand();
    a[i] = scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  return Buffer.from(a.buffer);
}

/** A small optimizer-like step: every element moves by about lr relative. */
export function nudgeF32(data: Buffer, rand: () => number, lr = 1e-3, fraction = 1): Buffer {
  const a = new Float32Array(new Uint8Array(data).buffer.slice(0));
  for (let i = 0; i < a.length; i++) if (rand() < fraction) a[i] = a[i]! + lr * (rand() - 0.5) * 0.02;
  return Buffer.from(a.buffer);
}

export function scratchDir(prefix = 'wl-test-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Creates a fresh folder per call, removed after the current test. */
export function useScratch(): () => string {
  const made: string[] = [];
  afterEach(() => { for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true }); });
  return () => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'wl-test-'));
    made.push(d);
    return d;
  };
}

/**
 * Creates a fresh folder per call (named by prefix), all removed after the
 * whole file's tests: for suites that build a store once and share it.
 */
export function useSuiteScratch(): (prefix: string) => string {
  const made: string[] = [];
  afterAll(() => { for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true }); });
  return (prefix) => {
    const d = mkdtempSync(path.join(os.tmpdir(), prefix));
    made.push(d);
    return d;
  };
}

/** Every file under dir with its sha256 (symlinks as their target text): what "unchanged" is checked against. */
export async function snapshotFiles(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (d: string): Promise<void> => {
    for (const e of await fs.readdir(d, { withFileTypes: true }).catch(() => [])) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) await walk(full);
      else if (e.isSymbolicLink()) out.set(full, `-> ${await fs.readlink(full)}`);
      else out.set(full, await sha256Of(full));
    }
  };
  await walk(dir);
  return out;
}

export async function sha256Of(file: string): Promise<string> {
  const { createHash } = await import('node:crypto');
  return createHash('sha256').update(await fs.readFile(file)).digest('hex');
}

/** Every file under dir with its size, to prove an operation changed nothing. */
export async function snapshotTree(dir: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const walk = async (d: string): Promise<void> => {
    for (const e of await fs.readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out[path.relative(dir, p)] = (await fs.stat(p)).size;
    }
  };
  await walk(dir);
  return out;
}
