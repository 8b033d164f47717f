// "Compress every version with byte planes": what ZipNN-style compression
// alone gives (each whole version split into byte planes per tensor width and
// zstd-compressed, no deltas between versions), with the project's own block
// codec (src-main/core/codec: encodeBlock over 4 MiB blocks, the tensor widths
// of the safetensors header). In-process, one thread.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { encodeBlock } from '../src-main/core/codec/block-codec';

const BLOCK = 4 * 1024 * 1024;

const WIDTH: Record<string, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, F8_E4M3: 1, F8_E5M2: 1,
  I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1, C64: 8, C128: 16,
};

/** Tensor regions of a safetensors file (offset, length, width), sorted; null for anything else. */
export function safetensorsRegions(buf: Buffer): Array<{ offset: number; length: number; width: number }> | null {
  if (buf.length < 8) return null;
  const len = Number(buf.readBigUInt64LE(0));
  if (len <= 0 || 8 + len > buf.length) return null;
  let header: Record<string, { dtype?: string; data_offsets?: [number, number] }>;
  try { header = JSON.parse(buf.subarray(8, 8 + len).toString('utf8')) as typeof header; } catch { return null; }
  const start = 8 + len;
  const out: Array<{ offset: number; length: number; width: number }> = [];
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__' || !t.data_offsets || !t.dtype) continue;
    out.push({ offset: start + t.data_offsets[0], length: t.data_offsets[1] - t.data_offsets[0], width: WIDTH[t.dtype] ?? 1 });
  }
  return out.sort((a, b) => a.offset - b.offset);
}

/** Bytes of `file` once every region is encoded in 4 MiB blocks (whole elements), the rest at width 1. */
export function planeCompressedSize(file: string): number {
  const buf = fs.readFileSync(file);
  const regions = safetensorsRegions(buf) ?? [];
  let total = 0;
  let at = 0;
  const encode = (from: number, to: number, width: number): void => {
    const step = Math.max(width, Math.floor(BLOCK / width) * width);
    for (let o = from; o < to; o += step) total += encodeBlock(buf.subarray(o, Math.min(to, o + step)), width).length;
  };
  for (const r of regions) {
    if (r.offset > at) encode(at, r.offset, 1);
    encode(r.offset, r.offset + r.length, r.width);
    at = r.offset + r.length;
  }
  if (at < buf.length) encode(at, buf.length, 1);
  return total;
}

function filesOf(p: string): string[] {
  return fs.statSync(p).isDirectory() ? fs.readdirSync(p).sort().map((f) => path.join(p, f)) : [p];
}

/** The byte-planes row: every version compressed on its own. */
export function compressEveryVersion(versions: string[]): { bytes: number; ms: number } {
  let bytes = 0;
  const t0 = performance.now();
  for (const v of versions) for (const f of filesOf(v)) bytes += planeCompressedSize(f);
  return { bytes, ms: performance.now() - t0 };
}
