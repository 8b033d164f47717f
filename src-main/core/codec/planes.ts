import { WasmKernels, wasmKernels } from './kernels/wasm';
import { xorBytes, xorInto } from './xor';

// Byte planes: byte 0 of every element, then byte 1, and so on. Small float
// updates leave sign and exponent bytes equal, so after XOR those planes are
// runs of zeros that zstd squeezes to almost nothing, while the noisy low
// mantissa bytes stay apart instead of breaking up every run.
//
// The loops read whole elements through 16/32-bit views where alignment
// allows: one load per element instead of one per byte (3-4x faster in V8).

function aligned(buf: Uint8Array, align: number): boolean {
  return buf.byteOffset % align === 0;
}

// Word-wide transposes: four elements in, one 32-bit word out per plane, so
// every load and store moves four bytes (measured ~2x the byte-wise loops,
// with the XOR folded in for free). Need n % 4 === 0 and 4-byte alignment.

function transpose4(src: Uint8Array, xorWith: Uint8Array | null, out: Uint8Array, n: number): void {
  const a = new Uint32Array(src.buffer, src.byteOffset, n);
  const b = xorWith ? new Uint32Array(xorWith.buffer, xorWith.byteOffset, n) : null;
  const o = new Uint32Array(out.buffer, out.byteOffset, n);
  const q = n >> 2, q2 = 2 * q, q3 = 3 * q;
  for (let i = 0, j = 0; j < q; i += 4, j++) {
    let v0 = a[i]!, v1 = a[i + 1]!, v2 = a[i + 2]!, v3 = a[i + 3]!;
    if (b) { v0 ^= b[i]!; v1 ^= b[i + 1]!; v2 ^= b[i + 2]!; v3 ^= b[i + 3]!; }
    o[j] = (v0 & 255) | ((v1 & 255) << 8) | ((v2 & 255) << 16) | (v3 << 24);
    o[q + j] = ((v0 >>> 8) & 255) | (v1 & 0xff00) | ((v2 & 0xff00) << 8) | ((v3 & 0xff00) << 16);
    o[q2 + j] = ((v0 >>> 16) & 255) | ((v1 >>> 8) & 0xff00) | (v2 & 0xff0000) | ((v3 & 0xff0000) << 8);
    o[q3 + j] = (v0 >>> 24) | ((v1 >>> 16) & 0xff00) | ((v2 >>> 8) & 0xff0000) | (v3 & 0xff000000);
  }
}

function untranspose4(planes: Uint8Array, out: Uint8Array, n: number): void {
  const p = new Uint32Array(planes.buffer, planes.byteOffset, n);
  const o = new Uint32Array(out.buffer, out.byteOffset, n);
  const q = n >> 2, q2 = 2 * q, q3 = 3 * q;
  for (let i = 0, j = 0; j < q; i += 4, j++) {
    const w0 = p[j]!, w1 = p[q + j]!, w2 = p[q2 + j]!, w3 = p[q3 + j]!;
    o[i] = (w0 & 255) | ((w1 & 255) << 8) | ((w2 & 255) << 16) | (w3 << 24);
    o[i + 1] = ((w0 >>> 8) & 255) | (w1 & 0xff00) | ((w2 & 0xff00) << 8) | ((w3 & 0xff00) << 16);
    o[i + 2] = ((w0 >>> 16) & 255) | ((w1 >>> 8) & 0xff00) | (w2 & 0xff0000) | ((w3 & 0xff0000) << 8);
    o[i + 3] = (w0 >>> 24) | ((w1 >>> 16) & 0xff00) | ((w2 >>> 8) & 0xff0000) | (w3 & 0xff000000);
  }
}

function transpose2(src: Uint8Array, xorWith: Uint8Array | null, out: Uint8Array, n: number): void {
  // Two 16-bit elements per word; four elements give one word of each plane.
  const a = new Uint32Array(src.buffer, src.byteOffset, n >> 1);
  const b = xorWith ? new Uint32Array(xorWith.buffer, xorWith.byteOffset, n >> 1) : null;
  const o = new Uint32Array(out.buffer, out.byteOffset, n >> 1);
  const q = n >> 2;
  for (let i = 0, j = 0; j < q; i += 2, j++) {
    let v0 = a[i]!, v1 = a[i + 1]!;
    if (b) { v0 ^= b[i]!; v1 ^= b[i + 1]!; }
    o[j] = (v0 & 255) | ((v0 >>> 8) & 0xff00) | ((v1 & 255) << 16) | ((v1 & 0xff0000) << 8);
    o[q + j] = ((v0 >>> 8) & 255) | ((v0 >>> 16) & 0xff00) | ((v1 & 0xff00) << 8) | (v1 & 0xff000000);
  }
}

function untranspose2(planes: Uint8Array, out: Uint8Array, n: number): void {
  const p = new Uint32Array(planes.buffer, planes.byteOffset, n >> 1);
  const o = new Uint32Array(out.buffer, out.byteOffset, n >> 1);
  const q = n >> 2;
  for (let i = 0, j = 0; j < q; i += 2, j++) {
    const lo = p[j]!, hi = p[q + j]!;
    o[i] = (lo & 255) | ((hi & 255) << 8) | ((lo & 0xff00) << 8) | ((hi & 0xff00) << 16);
    o[i + 1] = ((lo >>> 16) & 255) | ((hi >>> 8) & 0xff00) | (lo & 0xff000000) >>> 8 | (hi & 0xff000000);
  }
}

// The wasm SIMD kernels (kernels/wasm.ts) do widths 2, 4 and 8 several times
// faster; the JavaScript below is the fallback where wasm SIMD is missing and
// the reference the kernels are tested against (test/core/kernels.test.ts).
/** Below this many bytes the JavaScript loops beat a trip through wasm memory. */
const WASM_MIN_BYTES = 512;

function wasmFor(width: number, length: number): WasmKernels | null {
  return length >= WASM_MIN_BYTES && WasmKernels.planeWidth(width) ? wasmKernels() : null;
}

/**
 * Byte planes of `src`, or of `src ^ xorWith` when given: a delta's XOR and
 * its split in one pass, so the block is read once and no XORed copy is made.
 */
export function splitPlanes(src: Uint8Array, width: number, xorWith?: Uint8Array): Buffer {
  if (xorWith && xorWith.length !== src.length) throw new Error(`splitPlanes: lengths differ (${src.length} vs ${xorWith.length})`);
  if (wasmFor(width, src.length)) return splitPlanesInto(src, width, xorWith, Buffer.allocUnsafe(src.length));
  return splitPlanesJs(src, width, xorWith);
}

/**
 * splitPlanes into `out` (at least src.length bytes; reused by the caller, so
 * no block allocates); returns the view of `out` that holds the planes.
 */
export function splitPlanesInto(src: Uint8Array, width: number, xorWith: Uint8Array | undefined, out: Uint8Array): Buffer {
  if (xorWith && xorWith.length !== src.length) throw new Error(`splitPlanes: lengths differ (${src.length} vs ${xorWith.length})`);
  if (out.length < src.length) throw new Error(`splitPlanesInto: output of ${out.length} bytes for ${src.length}`);
  const view = Buffer.from(out.buffer, out.byteOffset, src.length);
  const wasm = wasmFor(width, src.length);
  if (!wasm) {
    view.set(splitPlanesJs(src, width, xorWith));
    return view;
  }
  wasm.splitXor(src, xorWith ?? null, width, view);
  const tail = Math.floor(src.length / width) * width;
  for (let i = tail; i < src.length; i++) view[i] = xorWith ? src[i]! ^ xorWith[i]! : src[i]!;
  return view;
}

/** The JavaScript split: the fallback and the reference. */
export function splitPlanesJs(src: Uint8Array, width: number, xorWith?: Uint8Array): Buffer {
  if (xorWith && xorWith.length !== src.length) throw new Error(`splitPlanes: lengths differ (${src.length} vs ${xorWith.length})`);
  const n = Math.floor(src.length / width);
  if ((width === 4 || width === 2) && n % 4 === 0 && n * width === src.length && aligned(src, 4) && (!xorWith || aligned(xorWith, 4))) {
    const out = Buffer.allocUnsafe(src.length);
    if (width === 4) transpose4(src, xorWith ?? null, out, n); else transpose2(src, xorWith ?? null, out, n);
    return out;
  }
  if (xorWith) src = xorBytes(src, xorWith);
  if (width <= 1) return Buffer.from(src.buffer, src.byteOffset, src.byteLength);
  const out = Buffer.allocUnsafe(src.length);
  if (width === 4 && aligned(src, 4)) {
    const u = new Uint32Array(src.buffer, src.byteOffset, n);
    const n2 = 2 * n, n3 = 3 * n;
    for (let i = 0; i < n; i++) {
      const v = u[i]!;
      out[i] = v; out[n + i] = v >>> 8; out[n2 + i] = v >>> 16; out[n3 + i] = v >>> 24;
    }
  } else if (width === 2 && aligned(src, 2)) {
    const u = new Uint16Array(src.buffer, src.byteOffset, n);
    for (let i = 0; i < n; i++) { const v = u[i]!; out[i] = v; out[n + i] = v >>> 8; }
  } else if (width === 8 && aligned(src, 4)) {
    const u = new Uint32Array(src.buffer, src.byteOffset, n * 2);
    for (let i = 0; i < n; i++) {
      const lo = u[2 * i]!, hi = u[2 * i + 1]!;
      out[i] = lo; out[n + i] = lo >>> 8; out[2 * n + i] = lo >>> 16; out[3 * n + i] = lo >>> 24;
      out[4 * n + i] = hi; out[5 * n + i] = hi >>> 8; out[6 * n + i] = hi >>> 16; out[7 * n + i] = hi >>> 24;
    }
  } else {
    for (let b = 0; b < width; b++) {
      const base = b * n;
      for (let i = 0, j = b; i < n; i++, j += width) out[base + i] = src[j]!;
    }
  }
  // A tail shorter than one element (never for tensors, possible for residual
  // streams) is kept as is after the planes.
  const tail = n * width;
  if (tail < src.length) out.set(src.subarray(tail), tail);
  return out;
}

export function joinPlanes(planes: Uint8Array, width: number): Buffer {
  if (width <= 1) return Buffer.from(planes.buffer, planes.byteOffset, planes.byteLength);
  const wasm = wasmFor(width, planes.length);
  if (wasm) {
    const out = Buffer.allocUnsafe(planes.length);
    wasm.joinXor(planes, width, null, out);
    const tail = Math.floor(planes.length / width) * width;
    if (tail < planes.length) out.set(planes.subarray(tail), tail);
    return out;
  }
  return joinPlanesJs(planes, width);
}

/**
 * joinPlanes(planes, width) ^ base in one pass, into a new buffer: a restore
 * interleaves a delta's planes and XORs the base block without a second walk
 * over the block. base must be as long as planes.
 */
export function joinPlanesXor(planes: Uint8Array, width: number, base: Uint8Array): Buffer {
  if (base.length !== planes.length) throw new Error(`joinPlanesXor: lengths differ (${planes.length} vs ${base.length})`);
  if (width <= 1) return xorBytes(planes, base);
  const wasm = wasmFor(width, planes.length);
  if (!wasm) return xorInto(joinPlanesJs(planes, width), base);
  const out = Buffer.allocUnsafe(planes.length);
  wasm.joinXor(planes, width, base, out);
  const tail = Math.floor(planes.length / width) * width;
  for (let i = tail; i < planes.length; i++) out[i] = planes[i]! ^ base[i]!;
  return out;
}

/**
 * joinPlanesXor into `out`, which may be `base` itself (a chain rebuild joins
 * its accumulated planes into the block it read from the full object, so a
 * block costs no allocation of its own). All three as long as `planes`.
 */
export function joinPlanesXorInto(planes: Uint8Array, width: number, base: Uint8Array, out: Uint8Array): void {
  if (base.length !== planes.length || out.length !== planes.length) throw new Error(`joinPlanesXorInto: lengths differ (${planes.length}, ${base.length}, ${out.length})`);
  const wasm = width > 1 ? wasmFor(width, planes.length) : null;
  if (!wasm) {
    // Joined aside first: out may be base, which the join must still read.
    const joined = width > 1 ? joinPlanesJs(planes, width) : planes;
    if (out !== base) out.set(base);
    xorInto(Buffer.from(out.buffer, out.byteOffset, out.byteLength), joined);
    return;
  }
  // Chunk by chunk, each chunk of base read before that chunk of out is written.
  wasm.joinXor(planes, width, base, out);
  const tail = Math.floor(planes.length / width) * width;
  for (let i = tail; i < planes.length; i++) out[i] = planes[i]! ^ base[i]!;
}

/** The JavaScript join: the fallback and the reference. */
export function joinPlanesJs(planes: Uint8Array, width: number): Buffer {
  if (width <= 1) return Buffer.from(planes.buffer, planes.byteOffset, planes.byteLength);
  const n = Math.floor(planes.length / width);
  const out = Buffer.allocUnsafe(planes.length);
  if ((width === 4 || width === 2) && n % 4 === 0 && n * width === planes.length && aligned(planes, 4) && aligned(out, 4)) {
    if (width === 4) untranspose4(planes, out, n); else untranspose2(planes, out, n);
    return out;
  }
  if (width === 4 && aligned(out, 4)) {
    const u = new Uint32Array(out.buffer, out.byteOffset, n);
    const n2 = 2 * n, n3 = 3 * n;
    for (let i = 0; i < n; i++) u[i] = (planes[i]! | (planes[n + i]! << 8) | (planes[n2 + i]! << 16) | (planes[n3 + i]! << 24)) >>> 0;
  } else if (width === 2 && aligned(out, 2)) {
    const u = new Uint16Array(out.buffer, out.byteOffset, n);
    for (let i = 0; i < n; i++) u[i] = planes[i]! | (planes[n + i]! << 8);
  } else {
    for (let b = 0; b < width; b++) {
      const base = b * n;
      for (let i = 0, j = b; i < n; i++, j += width) out[j] = planes[base + i]!;
    }
  }
  const tail = n * width;
  if (tail < planes.length) out.set(planes.subarray(tail), tail);
  return out;
}
