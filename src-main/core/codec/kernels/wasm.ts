import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The WebAssembly SIMD kernels (kernels.wat) and the JavaScript that drives
// them. Wasm reads only its own memory, so blocks pass through it one chunk
// at a time: a chunk of each input is copied in, the kernel runs on data that
// stays in the core's cache, and the result is copied out to where it belongs.
// The memory is sized once for one chunk of each role and never grows, so the
// kernels cost ~200 KiB per thread whatever the block size, and no call
// allocates.
//
// Where the module is found (first match):
//   WEIGHTLINE_KERNELS=js           no wasm: the JavaScript kernels (tests, comparisons)
//   WEIGHTLINE_KERNELS_WASM=<file>  that file
//   built app / CLI                 kernels.wasm next to the bundle (out/main/, emitted
//                                   by scripts/build-kernels.mjs during `npm run build`)
//   TypeScript sources (vitest, tsx, the bench)
//                                   assembled from kernels.wat by the same script, once,
//                                   cached in node_modules/.cache/weightline/
// Without WebAssembly SIMD (or without a module) every caller falls back to the
// JavaScript kernels, which give the same bytes and the same figures.

/** Bytes of one input per chunk: 32 KiB keeps the inputs and the output of a chunk in a 48 KiB L1 + L2. */
export const CHUNK = 32 * 1024;
const STATE = 0;
const ZERO = 64; // CHUNK bytes that stay zero: the "XOR with nothing" input
const A = ZERO + CHUNK;
const B = A + CHUNK;
const P = B + CHUNK;
const END = P + CHUNK;

/** The figure kernels by dtype; each also splits the planes of old ^ new when asked. */
export type FigureKind = 'F32' | 'F64' | 'F16' | 'BF16';
const FIGURE_WIDTH: Readonly<Record<FigureKind, number>> = { F32: 4, F64: 8, F16: 2, BF16: 2 };

// The few WebAssembly APIs used here (tsconfig.node.json has no DOM lib, which declares them).
interface WasmMemory { readonly buffer: ArrayBuffer; grow(pages: number): number }
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: object };
}
const WA = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

interface Exports {
  readonly memory: WasmMemory;
  readonly xsplit2: (a: number, b: number, p: number, n: number) => void;
  readonly xsplit4: (a: number, b: number, p: number, n: number) => void;
  readonly xsplit8: (a: number, b: number, p: number, n: number) => void;
  readonly xjoin2: (p: number, b: number, o: number, n: number) => void;
  readonly xjoin4: (p: number, b: number, o: number, n: number) => void;
  readonly xjoin8: (p: number, b: number, o: number, n: number) => void;
  readonly fig_f32: (o: number, w: number, p: number, n: number, planes: number) => void;
  readonly fig_f64: (o: number, w: number, p: number, n: number, planes: number) => void;
  readonly fig_f16: (o: number, w: number, p: number, n: number, planes: number) => void;
  readonly fig_bf16: (o: number, w: number, p: number, n: number, planes: number) => void;
  readonly xor_into: (d: number, s: number, len: number) => void;
}

/** The running sums a figure kernel continues: the same four a FiguresAccumulator block keeps. */
export interface KernelSums { changed: number; maxAbs: number; sumSqDiff: number; sumSqOld: number }

const pad16 = (n: number): number => (n + 15) & ~15;

export class WasmKernels {
  private readonly u8: Uint8Array;
  private readonly f64: Float64Array;
  private readonly i32: Int32Array;
  private readonly split: Readonly<Record<number, Exports['xsplit4']>>;
  private readonly join: Readonly<Record<number, Exports['xjoin4']>>;
  private readonly figure: Readonly<Record<FigureKind, Exports['fig_f32']>>;

  constructor(x: Exports) {
    const pages = Math.ceil(END / 65536) - x.memory.buffer.byteLength / 65536;
    if (pages > 0) x.memory.grow(pages);
    // Never grown again: these views stay attached.
    this.u8 = new Uint8Array(x.memory.buffer);
    this.f64 = new Float64Array(x.memory.buffer, STATE, 3);
    this.i32 = new Int32Array(x.memory.buffer, STATE + 24, 1);
    this.split = { 2: x.xsplit2, 4: x.xsplit4, 8: x.xsplit8 };
    this.join = { 2: x.xjoin2, 4: x.xjoin4, 8: x.xjoin8 };
    this.figure = { F32: x.fig_f32, F64: x.fig_f64, F16: x.fig_f16, BF16: x.fig_bf16 };
  }

  /** Whether `width` has plane kernels (2, 4 and 8 bytes). */
  static planeWidth(width: number): boolean {
    return width === 2 || width === 4 || width === 8;
  }

  /**
   * Planes of the first n = floor(src.length / width) elements of src (^ xorWith)
   * into out[0, n*width): plane k at out[k*n]. The sub-element tail is the caller's.
   */
  splitXor(src: Uint8Array, xorWith: Uint8Array | null, width: number, out: Uint8Array): void {
    const kernel = this.split[width]!;
    const u8 = this.u8;
    const n = Math.floor(src.length / width);
    const per = CHUNK / width;
    for (let c = 0; c < n; c += per) {
      const ce = Math.min(per, n - c), np = pad16(ce);
      const from = c * width, to = from + ce * width;
      u8.set(src.subarray(from, to), A);
      if (xorWith) u8.set(xorWith.subarray(from, to), B);
      kernel(A, xorWith ? B : ZERO, P, np);
      for (let k = 0; k < width; k++) out.set(u8.subarray(P + k * np, P + k * np + ce), k * n + c);
    }
  }

  /** Elements of the first n = floor(planes.length / width) elements' planes (^ base) into out[0, n*width). */
  joinXor(planes: Uint8Array, width: number, base: Uint8Array | null, out: Uint8Array): void {
    const kernel = this.join[width]!;
    const u8 = this.u8;
    const n = Math.floor(planes.length / width);
    const per = CHUNK / width;
    for (let c = 0; c < n; c += per) {
      const ce = Math.min(per, n - c), np = pad16(ce);
      for (let k = 0; k < width; k++) u8.set(planes.subarray(k * n + c, k * n + c + ce), A + k * np);
      const from = c * width, to = from + ce * width;
      if (base) u8.set(base.subarray(from, to), B);
      kernel(A, base ? B : ZERO, P, np);
      out.set(u8.subarray(P, P + (to - from)), from);
    }
  }

  /**
   * Figures of n elements of old and fresh, continuing `sums` exactly as
   * figures.ts's kernel for `kind` does (one block: the f64 sums start at 0 and
   * are added in element order). With `planes`, also writes the planes of
   * old ^ fresh there as splitXor would, in the same pass.
   */
  figures(kind: FigureKind, old: Uint8Array, fresh: Uint8Array, n: number, sums: KernelSums, planes: Uint8Array | null): void {
    const kernel = this.figure[kind];
    const width = FIGURE_WIDTH[kind];
    const u8 = this.u8, f64 = this.f64;
    f64[0] = 0; f64[1] = 0; f64[2] = sums.maxAbs; this.i32[0] = 0;
    const same = old === fresh;
    const per = CHUNK / width;
    for (let c = 0; c < n; c += per) {
      const ce = Math.min(per, n - c), np = pad16(ce);
      const from = c * width, to = from + ce * width;
      u8.set(old.subarray(from, to), B);
      if (!same) u8.set(fresh.subarray(from, to), A);
      if (np > ce) {
        // Equal zeros in both: +0 in every sum, nothing changed.
        u8.fill(0, B + ce * width, B + np * width);
        u8.fill(0, A + ce * width, A + np * width);
      }
      kernel(B, same ? B : A, P, np, planes ? 1 : 0);
      if (planes) for (let k = 0; k < width; k++) planes.set(u8.subarray(P + k * np, P + k * np + ce), k * n + c);
    }
    sums.changed += this.i32[0]!;
    sums.maxAbs = f64[2]!;
    sums.sumSqDiff += f64[1]!;
    sums.sumSqOld += f64[0]!;
  }
}

// The smallest module using a SIMD instruction: (func (result v128) v128.const 0).
const SIMD_PROBE = new Uint8Array([
  0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 5, 1, 0x60, 0, 1, 0x7b, 3, 2, 1, 0,
  10, 0x16, 1, 0x14, 0, 0xfd, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0b,
]);

/**
 * Memory for a chain rebuild (rebuild/chain.ts): an accumulator and read
 * buffers in one wasm memory of its own, so a delta block read from disk
 * straight into a read buffer is XORed into `acc` by SIMD without a copy.
 * Sized once for the largest block; never grown, so the views stay attached.
 */
export class XorArena {
  readonly acc: Uint8Array;
  readonly reads: readonly Uint8Array[];
  private readonly u8: Uint8Array;
  private readonly tmp: number;
  private readonly tmpBytes = 256 * 1024;

  constructor(private readonly x: Exports, accBytes: number, readBytes: number, readCount: number) {
    const acc = 64;
    let at = pad16(acc + accBytes);
    const reads: Array<[number, number]> = [];
    for (let i = 0; i < readCount; i++) { reads.push([at, at + readBytes]); at = pad16(at + readBytes); }
    const pages = Math.ceil((at + this.tmpBytes) / 65536) - x.memory.buffer.byteLength / 65536;
    if (pages > 0) x.memory.grow(pages);
    this.u8 = new Uint8Array(x.memory.buffer);
    this.acc = this.u8.subarray(acc, acc + accBytes);
    this.reads = reads.map(([a, b]) => this.u8.subarray(a, b));
    this.tmp = at;
  }

  /** acc[at, at + src.length) ^= src; src may lie in this arena's memory (the read buffer) or anywhere else. */
  xorAt(at: number, src: Uint8Array): void {
    const d = this.acc.byteOffset + at;
    if (at + src.length > this.acc.length) throw new Error(`xorAt: ${src.length} bytes at ${at} past the accumulator's ${this.acc.length}`);
    if (src.buffer === this.u8.buffer) { this.x.xor_into(d, src.byteOffset, src.length); return; }
    for (let off = 0; off < src.length; off += this.tmpBytes) {
      const n = Math.min(this.tmpBytes, src.length - off);
      this.u8.set(src.subarray(off, off + n), this.tmp);
      this.x.xor_into(d + off, this.tmp, n);
    }
  }
}

/** A fresh XorArena (its own module instance and memory), or null where the wasm kernels are not in use. */
export function wasmXorArena(accBytes: number, readBytes: number, readCount: number): XorArena | null {
  if (jsOnly) return null;
  const l = (loaded ??= load());
  if (!l.kernels || !l.module || !WA) return null;
  const instance = new WA.Instance(l.module, {});
  return new XorArena(instance.exports as unknown as Exports, accBytes, readBytes, readCount);
}

let loaded: { kernels: WasmKernels | null; why: string; module?: object } | undefined;
let jsOnly = false;

/** The wasm kernels, or null where WebAssembly SIMD or the module is missing (use the JavaScript ones). */
export function wasmKernels(): WasmKernels | null {
  return jsOnly ? null : (loaded ??= load()).kernels;
}

/** Which kernels run in this process, and why: for the bench and for tests. */
export function kernelsInfo(): string {
  return jsOnly ? 'JavaScript (chosen by the caller)' : (loaded ??= load()).why;
}

/** Tests and the bench compare both in one process: 'js' runs the JavaScript reference kernels from now on. */
export function useKernels(which: 'js' | 'best'): void {
  jsOnly = which === 'js';
}

function load(): { kernels: WasmKernels | null; why: string; module?: object } {
  if (process.env.WEIGHTLINE_KERNELS === 'js') return { kernels: null, why: 'JavaScript (WEIGHTLINE_KERNELS=js)' };
  if (!WA || !WA.validate(SIMD_PROBE)) return { kernels: null, why: 'JavaScript (no WebAssembly SIMD here)' };
  const found = moduleBytes();
  if (!found.bytes) return { kernels: null, why: `JavaScript (${found.from})` };
  try {
    const module = new WA.Module(found.bytes);
    const instance = new WA.Instance(module, {});
    return { kernels: new WasmKernels(instance.exports as unknown as Exports), why: `WebAssembly SIMD (${found.from})`, module };
  } catch (e) {
    return { kernels: null, why: `JavaScript (${found.from} does not load: ${(e as Error).message})` };
  }
}

function moduleBytes(): { bytes: Uint8Array | null; from: string } {
  const explicit = process.env.WEIGHTLINE_KERNELS_WASM;
  if (explicit) return { bytes: existsSync(explicit) ? readFileSync(explicit) : null, from: explicit };
  const here = fileURLToPath(import.meta.url);
  if (!/\.[cm]?tsx?$/.test(here)) {
    // Bundled: this code sits in out/main/<entry>.js or out/main/chunks/.
    const dir = dirname(here);
    const file = [join(dir, 'kernels.wasm'), join(dir, '..', 'kernels.wasm')].find((c) => existsSync(c));
    return file ? { bytes: readFileSync(file), from: file } : { bytes: null, from: `no kernels.wasm beside ${dir}` };
  }
  return fromSource(here);
}

/**
 * Running from the TypeScript sources: the module assembled from kernels.wat,
 * cached under its content hash (the same name scripts/build-kernels.mjs
 * `cachedKernels` gives it, so vitest's globalSetup fills the cache once).
 */
function fromSource(here: string): { bytes: Uint8Array | null; from: string } {
  const dir = dirname(here);
  const repo = join(dir, '..', '..', '..', '..');
  const wat = join(dir, 'kernels.wat');
  if (!existsSync(wat)) return { bytes: null, from: `no ${wat}` };
  const hash = createHash('sha256').update(readFileSync(wat)).digest('hex').slice(0, 16);
  const cached = join(repo, 'node_modules', '.cache', 'weightline', `kernels-${hash}.wasm`);
  if (!existsSync(cached)) {
    const r = spawnSync(process.execPath, [join(repo, 'scripts', 'build-kernels.mjs'), cached], { encoding: 'utf8' });
    if (r.status !== 0 || !existsSync(cached)) return { bytes: null, from: `kernels.wat did not assemble: ${(r.stderr || r.error?.message || '').trim().slice(0, 300)}` };
  }
  return { bytes: readFileSync(cached), from: cached };
}
