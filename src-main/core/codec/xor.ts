import { wasmKernels, wasmXorArena } from './kernels/wasm';

// XOR of bit patterns is the only exact "difference" for floats: a ^ b ^ b === a
// for every value, NaNs and signed zeros included, which subtraction cannot give.

/** out = a ^ b; out may be a itself. Word-wide where all three are 4-byte aligned. */
function xorTo(out: Uint8Array, a: Uint8Array, b: Uint8Array, name: string): void {
  if (a.length !== b.length) throw new Error(`${name}: lengths differ (${a.length} vs ${b.length})`);
  const n = a.length;
  let i = 0;
  if (a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0 && out.byteOffset % 4 === 0) {
    const words = n >>> 2;
    const wa = new Uint32Array(a.buffer, a.byteOffset, words);
    const wb = new Uint32Array(b.buffer, b.byteOffset, words);
    const wo = new Uint32Array(out.buffer, out.byteOffset, words);
    for (let k = 0; k < words; k++) wo[k] = wa[k]! ^ wb[k]!;
    i = words << 2;
  }
  for (; i < n; i++) out[i] = a[i]! ^ b[i]!;
}

/** Returns a ^ b in a new buffer; a and b must have the same length. */
export function xorBytes(a: Uint8Array, b: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(a.length);
  xorTo(out, a, b, 'xorBytes');
  return out;
}

/** a ^= b in place (same length); returns a. */
export function xorInto(a: Buffer, b: Uint8Array): Buffer {
  xorTo(a, a, b, 'xorInto');
  return a;
}

/**
 * Where a chain rebuild folds a block: `acc` holds the planes folded so far,
 * each of `reads` receives a stored block from disk (several levels' reads
 * are in flight at once), and xorAt folds a plane in
 * (acc[at..] ^= src). The wasm arena (kernels/wasm.ts) XORs by SIMD without
 * copying what lies in its read buffer; this one is the JavaScript fallback.
 */
export interface XorTarget {
  readonly acc: Uint8Array;
  readonly reads: readonly Uint8Array[];
  xorAt(at: number, src: Uint8Array): void;
}

class JsXorTarget implements XorTarget {
  readonly acc: Buffer;
  readonly reads: readonly Buffer[];
  constructor(accBytes: number, readBytes: number, readCount: number) {
    this.acc = Buffer.allocUnsafe(accBytes);
    this.reads = Array.from({ length: readCount }, () => Buffer.allocUnsafe(readBytes));
  }
  xorAt(at: number, src: Uint8Array): void {
    const d = this.acc.subarray(at, at + src.length);
    xorTo(d, d, src, 'xorAt');
  }
}

// Arenas are reused (a folder of many files would otherwise build a wasm
// instance per file); one per rebuild running at once.
const spare: Array<{ key: string; arena: XorTarget }> = [];

/** An arena for blocks of up to accBytes with readCount stored blocks of up to readBytes; hand it back with releaseXorTarget. */
export function takeXorTarget(accBytes: number, readBytes: number, readCount: number): XorTarget {
  const key = `${accBytes}/${readBytes}/${readCount}/${wasmKernels() ? 'wasm' : 'js'}`;
  const i = spare.findIndex((s) => s.key === key);
  if (i >= 0) return spare.splice(i, 1)[0]!.arena;
  return wasmXorArena(accBytes, readBytes, readCount) ?? new JsXorTarget(accBytes, readBytes, readCount);
}

export function releaseXorTarget(arena: XorTarget): void {
  const key = `${arena.acc.length}/${arena.reads[0]!.length}/${arena.reads.length}/${arena instanceof JsXorTarget ? 'js' : 'wasm'}`;
  if (spare.length < 2) spare.push({ key, arena });
}
