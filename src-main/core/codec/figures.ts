import type { Dtype } from '../base/layout';
import { wasmKernels, type FigureKind, type KernelSums } from './kernels/wasm';
import { splitPlanesInto } from './planes';

// Per-tensor change figures, accumulated block by block so a 1 GB tensor never
// has to be in memory at once. Which elements changed is decided on bit
// patterns (so -0 vs +0 and NaN payloads count as changes); magnitudes are
// decoded only for dtypes whose numbers we know how to read.

export interface ChangeFigures {
  /** Fraction of elements whose bit pattern changed, 0..1. */
  readonly changedFraction: number;
  /** max |new - old| over finite pairs; null for dtypes we do not decode. */
  readonly maxAbsDiff: number | null;
  /** ||new - old||2 / ||old||2 for float dtypes; null otherwise (or when ||old|| is 0 and nothing changed). */
  readonly relChange: number | null;
}

let f16Table: Float32Array | undefined;
function halfTable(): Float32Array {
  if (f16Table) return f16Table;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const s = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const m = h & 0x3ff;
    t[h] = e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
  }
  return (f16Table = t);
}

type Decoder = (buf: Uint8Array, count: number) => ArrayLike<number>;

function aligned(buf: Uint8Array, align: number): Uint8Array {
  return buf.byteOffset % align === 0 ? buf : new Uint8Array(buf);
}

/** Integer dtypes, decoded to numbers (the float dtypes have fused kernels below). */
function decoderFor(dtype: Dtype): Decoder | null {
  switch (dtype) {
    case 'I8': return (b, n) => new Int8Array(b.buffer, b.byteOffset, n);
    case 'U8': case 'BOOL': return (b, n) => new Uint8Array(b.buffer, b.byteOffset, n);
    case 'I16': return (b, n) => { const a = aligned(b, 2); return new Int16Array(a.buffer, a.byteOffset, n); };
    case 'U16': return (b, n) => { const a = aligned(b, 2); return new Uint16Array(a.buffer, a.byteOffset, n); };
    case 'I32': return (b, n) => { const a = aligned(b, 4); return new Int32Array(a.buffer, a.byteOffset, n); };
    case 'U32': return (b, n) => { const a = aligned(b, 4); return new Uint32Array(a.buffer, a.byteOffset, n); };
    // 64-bit integers as doubles: exact up to 2^53, which covers step counters
    // and indices; only the magnitude figures lose precision beyond that.
    case 'I64': return (b, n) => { const a = aligned(b, 8); return Float64Array.from(new BigInt64Array(a.buffer, a.byteOffset, n), Number); };
    case 'U64': return (b, n) => { const a = aligned(b, 8); return Float64Array.from(new BigUint64Array(a.buffer, a.byteOffset, n), Number); };
    default: return null;
  }
}

/** Counts elements whose bytes differ, comparing width-sized groups. */
function countChanged(a: Uint8Array, b: Uint8Array, width: number): number {
  const n = Math.floor(a.length / width);
  let changed = 0;
  if (width === 4 || width === 2 || width === 8) {
    const wordsPer = width === 8 ? 2 : 1;
    const aa = aligned(a, 4), bb = aligned(b, 4);
    if (width === 2) {
      const ua = new Uint16Array(aa.buffer, aa.byteOffset, n), ub = new Uint16Array(bb.buffer, bb.byteOffset, n);
      for (let i = 0; i < n; i++) if (ua[i] !== ub[i]) changed++;
      return changed;
    }
    const ua = new Uint32Array(aa.buffer, aa.byteOffset, n * wordsPer), ub = new Uint32Array(bb.buffer, bb.byteOffset, n * wordsPer);
    if (wordsPer === 1) { for (let i = 0; i < n; i++) if (ua[i] !== ub[i]) changed++; }
    else { for (let i = 0; i < n; i++) { const k = i * 2; if (ua[k] !== ub[k] || ua[k + 1] !== ub[k + 1]) changed++; } }
    return changed;
  }
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < width; k++) if (a[i * width + k] !== b[i * width + k]) { changed++; break; }
  }
  return changed;
}

// A kernel leaves one block's figures in `block`: [changed, maxAbs, sumSqDiff,
// sumSqOld]. A Float64Array keeps them doubles from the first call; as object
// fields they would start as small integers, turn into doubles mid-loop, and
// send the kernels through V8 deoptimisations (measured below: warmUp).
const block = new Float64Array(4);
type Kernel = (oldBytes: Uint8Array, newBytes: Uint8Array, n: number, maxAbs: number) => void;

// Fused kernels for the float dtypes every checkpoint is made of: one pass
// compares bit patterns and sums magnitudes, and the subtraction is skipped for
// elements whose bits did not change (their difference is exactly 0). One
// function per dtype keeps each loop's element loads monomorphic in V8
// (measured 4-5x faster than decoding and looping generically), and
// (x - x) === 0 is a finite test V8 keeps inline, unlike Number.isFinite.

function kernelF32(oldBytes: Uint8Array, newBytes: Uint8Array, n: number, maxAbsIn: number): void {
  const o = new Float32Array(oldBytes.buffer, oldBytes.byteOffset, n), w = new Float32Array(newBytes.buffer, newBytes.byteOffset, n);
  const ob = new Int32Array(oldBytes.buffer, oldBytes.byteOffset, n), wb = new Int32Array(newBytes.buffer, newBytes.byteOffset, n);
  let changed = 0, maxAbs = maxAbsIn, sd = 0, so = 0;
  for (let i = 0; i < n; i++) {
    const a = o[i]!;
    if (a - a === 0) so += a * a;
    if (ob[i] !== wb[i]) {
      changed++;
      const d = w[i]! - a;
      if (d - d === 0) { const ad = Math.abs(d); if (ad > maxAbs) maxAbs = ad; sd += d * d; }
    }
  }
  block[0] = changed; block[1] = maxAbs; block[2] = sd; block[3] = so;
}

function kernelF64(oldBytes: Uint8Array, newBytes: Uint8Array, n: number, maxAbsIn: number): void {
  const o = new Float64Array(oldBytes.buffer, oldBytes.byteOffset, n), w = new Float64Array(newBytes.buffer, newBytes.byteOffset, n);
  const ob = new Int32Array(oldBytes.buffer, oldBytes.byteOffset, 2 * n), wb = new Int32Array(newBytes.buffer, newBytes.byteOffset, 2 * n);
  let changed = 0, maxAbs = maxAbsIn, sd = 0, so = 0;
  for (let i = 0; i < n; i++) {
    const a = o[i]!;
    if (a - a === 0) so += a * a;
    if (ob[2 * i] !== wb[2 * i] || ob[2 * i + 1] !== wb[2 * i + 1]) {
      changed++;
      const d = w[i]! - a;
      if (d - d === 0) { const ad = Math.abs(d); if (ad > maxAbs) maxAbs = ad; sd += d * d; }
    }
  }
  block[0] = changed; block[1] = maxAbs; block[2] = sd; block[3] = so;
}

/** 16-bit floats through a 65536-entry table of their values (F16 or BF16). */
function kernel16(table: Float32Array): Kernel {
  return (oldBytes, newBytes, n, maxAbsIn) => {
    const ob = new Uint16Array(oldBytes.buffer, oldBytes.byteOffset, n), wb = new Uint16Array(newBytes.buffer, newBytes.byteOffset, n);
    let changed = 0, maxAbs = maxAbsIn, sd = 0, so = 0;
    for (let i = 0; i < n; i++) {
      const x = ob[i]!, y = wb[i]!;
      const a = table[x]!;
      if (a - a === 0) so += a * a;
      if (x !== y) {
        changed++;
        const d = table[y]! - a;
        if (d - d === 0) { const ad = Math.abs(d); if (ad > maxAbs) maxAbs = ad; sd += d * d; }
      }
    }
    block[0] = changed; block[1] = maxAbs; block[2] = sd; block[3] = so;
  };
}

let bf16Table: Float32Array | undefined;
function brainTable(): Float32Array {
  if (bf16Table) return bf16Table;
  const bits = new Uint32Array(65536);
  for (let h = 0; h < 65536; h++) bits[h] = h << 16;
  return (bf16Table = new Float32Array(bits.buffer));
}

let f16Kernel: Kernel | undefined, bf16Kernel: Kernel | undefined;
function kernelFor(dtype: Dtype): Kernel | null {
  switch (dtype) {
    case 'F32': return kernelF32;
    case 'F64': return kernelF64;
    case 'F16': return (f16Kernel ??= kernel16(halfTable()));
    case 'BF16': return (bf16Kernel ??= kernel16(brainTable()));
    default: return null;
  }
}

// A cold V8 compiles a kernel while it runs its first block (on-stack
// replacement) from whatever that block's first elements showed it, and can
// stay on slow code: measured on 4 MiB dense blocks, bf16 ran at 210-250 MB/s
// for good and f32/f64 fell from ~700 to 270-430 MB/s a few blocks in. Running
// each kernel a few times on a small mixed slice first (changed and unchanged
// elements, non-finite values) gets the loops optimised with both branches seen.
const warmed = new Set<Kernel>();
function warmUp(kernel: Kernel, width: number): void {
  if (warmed.has(kernel)) return;
  warmed.add(kernel);
  const n = 2048;
  const old = new Uint8Array(n * width), fresh = new Uint8Array(n * width);
  const bits = new Uint32Array(old.buffer);
  for (let i = 0; i < bits.length; i++) bits[i] = Math.imul(i + 1, 0x9e3779b1) >>> 0;
  fresh.set(old);
  for (let i = 0; i < fresh.length; i += 3 * width) fresh[i + width - 1]! ^= 1 << (i % 7);
  for (let r = 0; r < 40; r++) kernel(old, fresh, n, 0);
}

/** The running sums behind the figures, so blocks measured elsewhere (a worker) can be merged. */
export interface FigureSums {
  readonly elements: number;
  readonly changed: number;
  readonly maxAbs: number;
  readonly sumSqDiff: number;
  readonly sumSqOld: number;
}

/** Below this many elements the JavaScript kernels are as fast as a trip through wasm memory. */
const WASM_MIN_ELEMENTS = 64;

const WIDTH_OF: Readonly<Record<FigureKind, number>> = { F32: 4, F64: 8, F16: 2, BF16: 2 };

export class FiguresAccumulator implements KernelSums {
  private elements = 0;
  changed = 0;
  maxAbs = 0;
  sumSqDiff = 0;
  sumSqOld = 0;
  private readonly kernel: Kernel | null;
  private readonly decode: Decoder | null;
  private readonly isFloat: boolean;
  /** The dtype's wasm kernel, when there is one for it (little-endian floats of their usual width). */
  private readonly wasmKind: FigureKind | null;

  constructor(private readonly dtype: Dtype, private readonly width: number, littleEndian: boolean) {
    this.kernel = littleEndian ? kernelFor(dtype) : null;
    this.decode = littleEndian && !this.kernel ? decoderFor(dtype) : null;
    this.isFloat = this.kernel !== null;
    this.wasmKind = this.kernel && WIDTH_OF[dtype as FigureKind] === width ? (dtype as FigureKind) : null;
  }

  /** Adds one block of old and new bytes (same length, whole elements). */
  add(oldBytes: Uint8Array, newBytes: Uint8Array, identical: boolean): void {
    const n = Math.floor(oldBytes.length / this.width);
    this.elements += n;
    if (this.kernel) {
      // Against itself, a kernel changes nothing but the old norm, which
      // relChange still needs if another block of the tensor changes.
      const wasm = this.wasmKind && n >= WASM_MIN_ELEMENTS ? wasmKernels() : null;
      if (wasm) { wasm.figures(this.wasmKind!, oldBytes, identical ? oldBytes : newBytes, n, this, null); return; }
      this.runJs(oldBytes, identical ? oldBytes : newBytes, n);
      return;
    }
    if (identical) return;
    this.changed += countChanged(oldBytes, newBytes, this.width);
    if (!this.decode) return;
    const o = this.decode(oldBytes, n);
    const w = this.decode(newBytes, n);
    let maxAbs = this.maxAbs, sd = 0, so = 0;
    for (let i = 0; i < n; i++) {
      const a = o[i]!;
      const d = w[i]! - a;
      if (a - a === 0) so += a * a;
      if (d - d === 0) {
        const ad = Math.abs(d);
        if (ad > maxAbs) maxAbs = ad;
        sd += d * d;
      }
    }
    this.maxAbs = maxAbs;
    this.sumSqDiff += sd;
    this.sumSqOld += so;
  }

  /** The JavaScript kernel on one block: the reference the wasm kernels are tested against. */
  private runJs(oldBytes: Uint8Array, newBytes: Uint8Array, n: number): void {
    const kernel = this.kernel!;
    if (n > 4096) warmUp(kernel, this.width);
    const o = aligned(oldBytes, this.width);
    kernel(o, newBytes === oldBytes ? o : aligned(newBytes, this.width), n, this.maxAbs);
    this.changed += block[0]!;
    this.maxAbs = block[1]!;
    this.sumSqDiff += block[2]!;
    this.sumSqOld += block[3]!;
  }

  /**
   * Byte planes of newBytes ^ oldBytes, exactly as splitPlanes(newBytes, width,
   * oldBytes) gives them, written into `out` (at least as long; a view of it is
   * returned), while adding the block's figures exactly as add(oldBytes,
   * newBytes, false) would: one pass over both blocks where a fused kernel
   * exists, the two separate passes elsewhere.
   */
  addWithPlanes(oldBytes: Uint8Array, newBytes: Uint8Array, out: Uint8Array): Buffer {
    if (oldBytes.length !== newBytes.length) throw new Error(`addWithPlanes: lengths differ (${oldBytes.length} vs ${newBytes.length})`);
    const n = Math.floor(oldBytes.length / this.width);
    const wasm = this.wasmKind && n >= WASM_MIN_ELEMENTS ? wasmKernels() : null;
    if (!wasm) {
      this.add(oldBytes, newBytes, false);
      return splitPlanesInto(newBytes, this.width, oldBytes, out);
    }
    if (out.length < newBytes.length) throw new Error(`addWithPlanes: output of ${out.length} bytes for ${newBytes.length}`);
    this.elements += n;
    wasm.figures(this.wasmKind!, oldBytes, newBytes, n, this, out);
    // A tail shorter than one element stays as is after the planes (planes.ts).
    for (let i = n * this.width; i < newBytes.length; i++) out[i] = newBytes[i]! ^ oldBytes[i]!;
    return Buffer.from(out.buffer, out.byteOffset, newBytes.length);
  }

  sums(): FigureSums {
    return { elements: this.elements, changed: this.changed, maxAbs: this.maxAbs, sumSqDiff: this.sumSqDiff, sumSqOld: this.sumSqOld };
  }

  merge(s: FigureSums): void {
    this.elements += s.elements;
    this.changed += s.changed;
    if (s.maxAbs > this.maxAbs) this.maxAbs = s.maxAbs;
    this.sumSqDiff += s.sumSqDiff;
    this.sumSqOld += s.sumSqOld;
  }

  /** Whether unchanged blocks must still be decoded (for the relative change's denominator). */
  get needsOldNorm(): boolean {
    return this.isFloat;
  }

  /** Counts the elements of an unchanged block whose values do not matter to the result. */
  addUnchangedCount(bytes: number): void {
    this.elements += Math.floor(bytes / this.width);
  }

  result(): ChangeFigures {
    const changedFraction = this.elements === 0 ? 0 : this.changed / this.elements;
    let relChange: number | null = null;
    if (this.isFloat) {
      if (this.sumSqOld > 0) relChange = Math.sqrt(this.sumSqDiff) / Math.sqrt(this.sumSqOld);
      else if (this.sumSqDiff === 0) relChange = 0;
    }
    return { changedFraction, maxAbsDiff: this.kernel || this.decode ? this.maxAbs : null, relChange };
  }

  get dtypeName(): Dtype { return this.dtype; }
}
