// Per-kernel speeds on this machine: what a DELTA commit and a restore are
// made of, each measured alone on warm buffers (one thread), so the report can
// state the machine's own limit next to the end-to-end figures. The kernels
// are the project's (src-main/core/codec) plus node's sha256 and zstd-napi at
// the codec's level 1. Input: two consecutive versions of a dense fp32
// fine-tune (the tensor data of the file, 4 MiB blocks), and the same values
// as bf16, f16 and f64 for the per-dtype rows. The codec's own kernels are
// measured twice: the JavaScript reference (as the codec ran before the wasm
// kernels: separate passes, a new buffer per block) and the kernels the codec
// picks here (WebAssembly SIMD where it loads: fused, into reused buffers).

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { splitPlanes, joinPlanesJs, joinPlanesXor, splitPlanesJs } from '../src-main/core/codec/planes';
import { xorInto } from '../src-main/core/codec/xor';
import { FiguresAccumulator } from '../src-main/core/codec/figures';
import { kernelsInfo, useKernels } from '../src-main/core/codec/kernels/wasm';
import { zstdCompress, zstdDecompress } from '../src-main/core/codec/zstd';
import { safetensorsRegions } from './planes';

const BLOCK = 4 * 1024 * 1024;

export interface KernelRow { kernel: string; mbs: number; note: string }

export interface KernelResult {
  rows: KernelRow[];
  /** CPU nanoseconds per input byte of a DELTA commit (f32 dense), summed from the kernels. */
  commitNsPerByte: number;
  /** CPU nanoseconds per byte of a restore from one delta. */
  restoreNsPerByte: number;
  cores: number;
  bytes: number;
}

/** Best of `reps` timed passes (after one warm-up pass) over the blocks; MB/s of `bytesPerPass`. */
function speed(reps: number, bytesPerPass: number, pass: () => void): number {
  pass();
  let best = Infinity;
  for (let r = 0; r < reps; r++) { const t0 = performance.now(); pass(); best = Math.min(best, performance.now() - t0); }
  return bytesPerPass / 1e6 / (best / 1000);
}

/** 4-byte aligned copies of the f32 tensor data of two versions, cut into 4 MiB blocks. */
function tensorBlocks(file: string): Buffer[] {
  const buf = fs.readFileSync(file);
  const regions = (safetensorsRegions(buf) ?? []).filter((r) => r.width === 4);
  const start = regions[0]?.offset ?? 8;
  const end = regions.length ? regions[regions.length - 1]!.offset + regions[regions.length - 1]!.length : buf.length;
  const blocks: Buffer[] = [];
  for (let o = start; o + BLOCK <= end; o += BLOCK) {
    const b = Buffer.allocUnsafeSlow(BLOCK); // own ArrayBuffer: offset 0, aligned
    buf.copy(b, 0, o, o + BLOCK);
    blocks.push(b);
  }
  return blocks;
}

export function measureKernels(oldFile: string, newFile: string, scratch: string, cores: number): KernelResult {
  const olds = tensorBlocks(oldFile), news = tensorBlocks(newFile);
  const k = Math.min(olds.length, news.length);
  olds.length = k; news.length = k;
  const bytes = k * BLOCK;
  const q = BLOCK / 4; // plane length of a 4 MiB f32 block
  const reps = 3;
  // Warm the kernels on a small slice first: a cold V8 can get stuck deoptimising on the full size.
  const small = news[0]!.subarray(0, 65536), smallOld = olds[0]!.subarray(0, 65536);
  for (let i = 0; i < 20; i++) { splitPlanes(small, 4, smallOld); const a = new FiguresAccumulator('F32', 4, true); a.add(smallOld, small, false); }

  const rows: KernelRow[] = [];
  const sha = speed(reps, bytes, () => { for (const b of news) createHash('sha256').update(b).digest(); });
  rows.push({ kernel: 'sha256 (node:crypto)', mbs: sha, note: 'of every byte of the new version (commit) and of the rebuilt one (restore)' });

  // The codec's kernels per dtype, JavaScript reference against the kernels the codec picks.
  const picked = kernelsInfo();
  const wasm = picked.startsWith('WebAssembly');
  const paths = measurePaths(olds, news, 5);
  for (const p of paths) {
    rows.push({ kernel: `XOR + planes + figures, ${p.dtype}, JavaScript`, mbs: p.fusedJs, note: 'reference: figures pass, then XOR + planes pass into a new buffer' });
    if (wasm) rows.push({ kernel: `XOR + planes + figures, ${p.dtype}, wasm SIMD`, mbs: p.fusedWasm, note: `one fused pass into a reused buffer: ${(p.fusedWasm / p.fusedJs).toFixed(1)}× JavaScript` });
  }
  for (const p of paths) {
    rows.push({ kernel: `plane join + XOR, ${p.dtype}, JavaScript`, mbs: p.joinJs, note: 'reference: joinPlanes, then xorInto' });
    if (wasm) rows.push({ kernel: `plane join + XOR, ${p.dtype}, wasm SIMD`, mbs: p.joinWasm, note: `joinPlanesXor, one pass: ${(p.joinWasm / p.joinJs).toFixed(1)}× JavaScript` });
  }
  const f32 = paths[0]!;
  const fused = Math.max(f32.fusedJs, f32.fusedWasm);
  const joinBest = Math.max(f32.joinJs, f32.joinWasm);

  let planes: Buffer[] = [];
  const xp = speed(reps, bytes, () => { planes = news.map((b, i) => splitPlanes(b, 4, olds[i])); });
  rows.push({ kernel: 'XOR + byte planes alone (splitPlanes)', mbs: xp, note: `${picked}; a new buffer per block` });

  const fig = speed(reps, bytes, () => { const a = new FiguresAccumulator('F32', 4, true); for (let i = 0; i < k; i++) a.add(olds[i]!, news[i]!, false); });
  rows.push({ kernel: 'change figures alone (FiguresAccumulator, F32)', mbs: fig, note: 'changed fraction, max |Δ|, ‖Δ‖/‖old‖' });

  // Plane 3 = the top byte (sign + 7 exponent bits), plane 2 = the next byte (exponent's last bit + top mantissa bits).
  const expPlanes = planes.map((p) => p.subarray(3 * q, 4 * q));
  const manPlanes = planes.map((p) => p.subarray(2 * q, 3 * q));
  const lowPlanes = planes.map((p) => p.subarray(0, 2 * q));
  let expZ: Buffer[] = [], manZ: Buffer[] = [], lowZ: Buffer[] = [];
  const zExp = speed(reps, expPlanes.length * q, () => { expZ = expPlanes.map((p) => zstdCompress(p)); });
  const zMan = speed(reps, manPlanes.length * q, () => { manZ = manPlanes.map((p) => zstdCompress(p)); });
  lowZ = lowPlanes.map((p) => zstdCompress(p));
  const ratio = (z: Buffer[], n: number): number => z.reduce((a, b) => a + b.length, 0) / n;
  const expRatio = ratio(expZ, expPlanes.length * q), manRatio = ratio(manZ, manPlanes.length * q), lowRatio = ratio(lowZ, lowPlanes.length * 2 * q);
  rows.push({ kernel: 'zstd level 1, sign/exponent plane (byte 3)', mbs: zExp, note: `MB/s of plane bytes; ratio ${expRatio.toFixed(3)}` });
  rows.push({ kernel: 'zstd level 1, mantissa plane (byte 2)', mbs: zMan, note: `MB/s of plane bytes; ratio ${manRatio.toFixed(3)}` });
  rows.push({ kernel: '(zstd level 1, two low mantissa planes)', mbs: NaN, note: `ratio ${lowRatio.toFixed(3)}: ${lowRatio >= 0.97 ? 'incompressible, stored raw (a 64 KiB probe decides)' : 'compressible'}` });
  const dExp = speed(reps, expPlanes.length * q, () => { for (const z of expZ) zstdDecompress(z); });
  const dMan = speed(reps, manPlanes.length * q, () => { for (const z of manZ) zstdDecompress(z); });
  rows.push({ kernel: 'zstd decompress, sign/exponent plane', mbs: dExp, note: 'MB/s of plane bytes' });
  rows.push({ kernel: 'zstd decompress, mantissa plane', mbs: dMan, note: 'MB/s of plane bytes' });


  const probe = path.join(scratch, 'kernel-write-probe');
  const write = speed(reps, bytes, () => { const fd = fs.openSync(probe, 'w'); for (const b of news) fs.writeSync(fd, b); fs.closeSync(fd); });
  fs.rmSync(probe, { force: true });
  rows.push({ kernel: 'write to the page cache (fs.writeSync, no fsync)', mbs: write, note: 'the copy into the store / the restored file' });

  const ns = (mbs: number): number => 1e3 / mbs; // ns per byte at `mbs` MB/s
  // Per input byte of an f32 DELTA commit: hash, XOR + planes + figures (the faster path), zstd of
  // planes 2 and 3 (a quarter of the bytes each; the low planes are stored raw),
  // and one write of the new version's bytes into the store.
  const commitNsPerByte = ns(sha) + ns(fused) + 0.25 * ns(zExp) + 0.25 * ns(zMan) + ns(write);
  // Per byte of a restore from one delta over a full base: decompress planes 2
  // and 3, join + XOR, hash the result, write it.
  const restoreNsPerByte = 0.25 * ns(dExp) + 0.25 * ns(dMan) + ns(joinBest) + ns(sha) + ns(write);
  return { rows, commitNsPerByte, restoreNsPerByte, cores, bytes };
}

export interface PathSpeeds { dtype: string; fusedJs: number; fusedWasm: number; joinJs: number; joinWasm: number }

type BenchDtype = 'F32' | 'BF16' | 'F16' | 'F64';

/** The f32 values of `blocks` as `dtype`, cut again into 4 MiB blocks (own, aligned buffers). */
function asDtype(blocks: Buffer[], dtype: BenchDtype): Buffer[] {
  if (dtype === 'F32') return blocks;
  const width = dtype === 'F64' ? 8 : 2;
  const total = blocks.length * (BLOCK / 4) * width;
  const all = Buffer.allocUnsafeSlow(total);
  let at = 0;
  for (const b of blocks) {
    const f = new Float32Array(b.buffer, b.byteOffset, BLOCK / 4), bits = new Uint32Array(b.buffer, b.byteOffset, BLOCK / 4);
    if (dtype === 'F64') { new Float64Array(all.buffer, at, f.length).set(f); at += f.length * 8; continue; }
    const out = new Uint16Array(all.buffer, at, f.length);
    for (let i = 0; i < f.length; i++) {
      const x = bits[i]!;
      if (dtype === 'BF16') out[i] = x >>> 16;
      else { const e = ((x >>> 23) & 255) - 112; out[i] = ((x >>> 16) & 0x8000) | (e <= 0 ? 0 : e >= 31 ? 0x7bff : (e << 10) | ((x >>> 13) & 0x3ff)); }
    }
    at += f.length * 2;
  }
  const out: Buffer[] = [];
  for (let o = 0; o + BLOCK <= total; o += BLOCK) { const b = Buffer.allocUnsafeSlow(BLOCK); all.copy(b, 0, o, o + BLOCK); out.push(b); }
  return out;
}

/**
 * Per dtype: XOR + planes + figures of every block, and the restore's plane
 * join + XOR, once with the JavaScript reference kernels as the codec ran them
 * before (a figures pass, then a split into a new buffer; join, then XOR) and
 * once with the fused kernels into a reused buffer. MB/s of block bytes, best of `reps`.
 */
export function measurePaths(olds32: Buffer[], news32: Buffer[], reps: number): PathSpeeds[] {
  const out: PathSpeeds[] = [];
  for (const dtype of ['F32', 'BF16', 'F16', 'F64'] as const) {
    const olds = asDtype(olds32, dtype), news = asDtype(news32, dtype);
    const width = dtype === 'F64' ? 8 : dtype === 'F32' ? 4 : 2;
    const bytes = olds.length * BLOCK;
    const scratch = Buffer.allocUnsafeSlow(BLOCK);
    const planes = news.map((b, i) => splitPlanesJs(b, width, olds[i]));
    const small = (b: Buffer): Buffer => b.subarray(0, 65536);
    const warm = (): void => {
      // A small slice first: a cold V8 can compile a kernel badly on its first 4 MiB (figures.ts warmUp).
      for (let r = 0; r < 10; r++) { const a = new FiguresAccumulator(dtype, width, true); a.addWithPlanes(small(olds[0]!), small(news[0]!), scratch); a.add(small(olds[0]!), small(news[0]!), false); }
    };
    useKernels('js');
    let fusedJs: number, joinJs: number;
    try {
      warm();
      fusedJs = speed(reps, bytes, () => { const a = new FiguresAccumulator(dtype, width, true); for (let i = 0; i < olds.length; i++) { a.add(olds[i]!, news[i]!, false); splitPlanes(news[i]!, width, olds[i]); } });
      joinJs = speed(reps, bytes, () => { for (let i = 0; i < olds.length; i++) xorInto(joinPlanesJs(planes[i]!, width), olds[i]!); });
    } finally { useKernels('best'); }
    warm();
    const fusedWasm = speed(reps, bytes, () => { const a = new FiguresAccumulator(dtype, width, true); for (let i = 0; i < olds.length; i++) a.addWithPlanes(olds[i]!, news[i]!, scratch); });
    const joinWasm = speed(reps, bytes, () => { for (let i = 0; i < olds.length; i++) joinPlanesXor(planes[i]!, width, olds[i]!); });
    out.push({ dtype, fusedJs, fusedWasm, joinJs, joinWasm });
  }
  return out;
}
