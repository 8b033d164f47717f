// Per-kernel speeds on this machine: what a DELTA commit and a restore are
// made of, each measured alone on warm buffers (one thread), so the report can
// state the machine's own limit next to the end-to-end figures. The kernels
// are the project's (src-main/core/codec) plus node's sha256 and zstd-napi at
// the codec's level 1. Input: two consecutive versions of a dense fp32
// fine-tune (the tensor data of the file, 4 MiB blocks).

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { splitPlanes, joinPlanes } from '../src-main/core/codec/planes';
import { xorInto } from '../src-main/core/codec/xor';
import { FiguresAccumulator } from '../src-main/core/codec/figures';
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

  let planes: Buffer[] = [];
  const xp = speed(reps, bytes, () => { planes = news.map((b, i) => splitPlanes(b, 4, olds[i])); });
  rows.push({ kernel: 'XOR + byte planes (splitPlanes, word-wide JS)', mbs: xp, note: 'one pass: XOR with the base and split into 4 planes' });

  const fig = speed(reps, bytes, () => { const a = new FiguresAccumulator('F32', 4, true); for (let i = 0; i < k; i++) a.add(olds[i]!, news[i]!, false); });
  rows.push({ kernel: 'change figures (FiguresAccumulator, F32)', mbs: fig, note: 'changed fraction, max |Δ|, ‖Δ‖/‖old‖' });

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

  const join = speed(reps, bytes, () => { for (let i = 0; i < k; i++) xorInto(joinPlanes(planes[i]!, 4), olds[i]!); });
  rows.push({ kernel: 'plane join + XOR (joinPlanes, xorInto)', mbs: join, note: 'a restore from one delta over full parameters' });

  const probe = path.join(scratch, 'kernel-write-probe');
  const write = speed(reps, bytes, () => { const fd = fs.openSync(probe, 'w'); for (const b of news) fs.writeSync(fd, b); fs.closeSync(fd); });
  fs.rmSync(probe, { force: true });
  rows.push({ kernel: 'write to the page cache (fs.writeSync, no fsync)', mbs: write, note: 'the copy into the store / the restored file' });

  const ns = (mbs: number): number => 1e3 / mbs; // ns per byte at `mbs` MB/s
  // Per input byte of an f32 DELTA commit: hash, XOR + planes, figures, zstd of
  // planes 2 and 3 (a quarter of the bytes each; the low planes are stored raw),
  // and one write of the new version's bytes into the store.
  const commitNsPerByte = ns(sha) + ns(xp) + ns(fig) + 0.25 * ns(zExp) + 0.25 * ns(zMan) + ns(write);
  // Per byte of a restore from one delta over a full base: decompress planes 2
  // and 3, join + XOR, hash the result, write it.
  const restoreNsPerByte = 0.25 * ns(dExp) + 0.25 * ns(dMan) + ns(join) + ns(sha) + ns(write);
  return { rows, commitNsPerByte, restoreNsPerByte, cores, bytes };
}
