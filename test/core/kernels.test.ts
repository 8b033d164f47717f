import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CHUNK, kernelsInfo, useKernels, wasmKernels } from '../../src-main/core/codec/kernels/wasm';
import { joinPlanes, joinPlanesJs, joinPlanesXor, splitPlanes, splitPlanesInto, splitPlanesJs } from '../../src-main/core/codec/planes';
import { xorBytes } from '../../src-main/core/codec/xor';
import { FiguresAccumulator, type FigureSums } from '../../src-main/core/codec/figures';
import { encodeChangedBlock, type BlockJob } from '../../src-main/core/codec/block-work';
import { decodeBlock } from '../../src-main/core/codec/block-codec';

// The wasm SIMD kernels against the JavaScript reference kernels they replace:
// the same planes byte for byte and the same figures bit for bit (the f64 sums
// included, which only match if the kernels add in the same order).

afterEach(() => useKernels('best'));

/** Runs fn with the JavaScript reference kernels. */
function reference<T>(fn: () => T): T {
  useKernels('js');
  try { return fn(); } finally { useKernels('best'); }
}

/** A copy of `x` starting `shift` bytes into a fresh buffer: unaligned views for the word-wide paths. */
function at(x: Uint8Array, shift: number): Uint8Array {
  const c = new Uint8Array(shift + x.length);
  c.set(x, shift);
  return c.subarray(shift);
}

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

it('runs the WebAssembly SIMD kernels here (otherwise this file compares JavaScript with itself)', () => {
  expect(kernelsInfo()).toMatch(/^WebAssembly SIMD/);
  expect(wasmKernels()).not.toBeNull();
});

// Lengths around the edges: empty, one byte, partial groups of 16 elements, and past a chunk.
const lengths = fc.oneof(
  fc.constantFrom(0, 1, 2, 3, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 511, 512, 513),
  fc.integer({ min: 0, max: 3000 }),
  fc.integer({ min: CHUNK - 40, max: 3 * CHUNK + 40 }),
);

function bytesOf(len: number, seed: number, sparse: boolean): Uint8Array {
  const b = new Uint8Array(len);
  let x = seed | 1;
  for (let i = 0; i < len; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    b[i] = sparse && (x & 15) !== 0 ? 0 : x & 255;
  }
  return b;
}

describe('byte planes: wasm against the JavaScript reference', () => {
  it('split (with and without XOR), join and join + XOR agree byte for byte at any length, width and offset', () => {
    fc.assert(fc.property(lengths, fc.constantFrom(1, 2, 3, 4, 8, 16), fc.nat(7), fc.nat(7), fc.integer(), fc.boolean(), (len, width, s1, s2, seed, sparse) => {
      const src = at(bytesOf(len, seed, false), s1);
      const other = at(bytesOf(len, seed ^ 0x5bd1e995, sparse), s2);
      const refSplit = splitPlanesJs(src, width);
      const refXor = splitPlanesJs(src, width, other);
      expect(same(splitPlanes(src, width), refSplit)).toBe(true);
      expect(same(splitPlanes(src, width, other), refXor)).toBe(true);
      const into = Buffer.alloc(len + 5, 0xee);
      expect(same(splitPlanesInto(src, width, other, into), refXor)).toBe(true);
      expect(into.subarray(len).every((v) => v === 0xee)).toBe(true);
      const planes = at(refXor, s1);
      expect(same(joinPlanes(planes, width), joinPlanesJs(planes, width))).toBe(true);
      const restored = joinPlanesXor(planes, width, other);
      expect(same(restored, src)).toBe(true);
      expect(same(restored, xorBytes(joinPlanesJs(planes, width), other))).toBe(true);
    }), { numRuns: 300 });
  });

  it('the reference is what the format says: plane k holds byte k of every element', () => {
    const src = Uint8Array.from({ length: 48 }, (_, i) => i);
    const planes = splitPlanes(src, 4);
    for (let k = 0; k < 4; k++) for (let i = 0; i < 12; i++) expect(planes[k * 12 + i]).toBe(4 * i + k);
  });
});

// ---- change figures ----------------------------------------------------------

type FloatDtype = 'F32' | 'F64' | 'F16' | 'BF16';
const WIDTH: Record<FloatDtype, number> = { F32: 4, F64: 8, F16: 2, BF16: 2 };

/** Bit patterns of values that break careless kernels: zeros of both signs, subnormals, infinities, NaNs, the extremes. */
const SPECIAL: Record<FloatDtype, bigint[]> = {
  F32: [0n, 0x80000000n, 1n, 0x807fffffn, 0x7f800000n, 0xff800000n, 0x7fc00000n, 0x7f800001n, 0xffffffffn, 0x7f7fffffn, 0xff7fffffn, 0x00800000n, 0x3f800000n],
  F64: [0n, 1n << 63n, 1n, 0x800fffffffffffffn, 0x7ff0000000000000n, 0xfff0000000000000n, 0x7ff8000000000000n, 0x7ff0000000000001n, 0x7fefffffffffffffn, 0xffefffffffffffffn, 0x0010000000000000n, 0x5fe0000000000000n],
  F16: [0n, 0x8000n, 1n, 0x83ffn, 0x7c00n, 0xfc00n, 0x7e00n, 0x7c01n, 0x7bffn, 0xfbffn, 0x0400n, 0x3c00n],
  BF16: [0n, 0x8000n, 1n, 0x807fn, 0x7f80n, 0xff80n, 0x7fc0n, 0x7f81n, 0x7f7fn, 0xff7fn, 0x0080n, 0x3f80n],
};

function setBits(buf: Uint8Array, dtype: FloatDtype, i: number, bits: bigint): void {
  const w = WIDTH[dtype];
  for (let k = 0; k < w; k++) buf[i * w + k] = Number((bits >> BigInt(8 * k)) & 0xffn);
}

/**
 * An old and a new block: realistic values nudged on a fraction of the
 * elements (sparse or dense), or raw random bit patterns, with special values
 * sprinkled in either side.
 */
const figureCase = fc.record({
  dtype: fc.constantFrom<FloatDtype>('F32', 'F64', 'F16', 'BF16'),
  n: fc.oneof(fc.constantFrom(0, 1, 2, 3, 15, 16, 17, 63, 64, 65, 100), fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 8000, max: 20000 })),
  kind: fc.constantFrom('nudged', 'random', 'unchanged'),
  changeEvery: fc.constantFrom(1, 2, 3, 17, 1000),
  specials: fc.array(fc.tuple(fc.nat(), fc.nat(), fc.boolean()), { maxLength: 12 }),
  seed: fc.integer(),
  shift: fc.nat(7),
});

type FigureCase = typeof figureCase extends fc.Arbitrary<infer T> ? T : never;

function makeBlocks(c: FigureCase): { old: Uint8Array; fresh: Uint8Array } {
  const w = WIDTH[c.dtype];
  let old: Uint8Array, fresh: Uint8Array;
  if (c.kind === 'random') {
    old = bytesOf(c.n * w, c.seed, false);
    fresh = Uint8Array.from(old);
    const noise = bytesOf(c.n * w, c.seed ^ 0x1234567, false);
    for (let i = 0; i < c.n; i += c.changeEvery) for (let k = 0; k < w; k++) fresh[i * w + k] = noise[i * w + k]!;
  } else {
    const values = Array.from({ length: c.n }, (_, i) => Math.sin(i * 0.7 + c.seed) * 0.05);
    old = encodeFloats(c.dtype, values);
    const nudged = values.map((v, i) => (c.kind === 'nudged' && i % c.changeEvery === 0 ? v + 1e-3 * Math.cos(i + c.seed) : v));
    fresh = encodeFloats(c.dtype, nudged);
  }
  const specials = SPECIAL[c.dtype];
  for (const [at, which, inNew] of c.specials) {
    if (c.n === 0) break;
    setBits(inNew ? fresh : old, c.dtype, at % c.n, specials[which % specials.length]!);
  }
  return { old, fresh };
}

function encodeFloats(dtype: FloatDtype, values: number[]): Uint8Array {
  if (dtype === 'F64') return new Uint8Array(new Float64Array(values).buffer);
  const f32 = new Float32Array(values);
  if (dtype === 'F32') return new Uint8Array(f32.buffer);
  const bits = new Uint32Array(f32.buffer);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    if (dtype === 'BF16') out[i] = bits[i]! >>> 16;
    else {
      // f16 by truncation: enough for test data (normal range only).
      const b = bits[i]!, e = ((b >>> 23) & 255) - 127 + 15;
      out[i] = ((b >>> 16) & 0x8000) | (e <= 0 ? 0 : e >= 31 ? 0x7bff : (e << 10) | ((b >>> 13) & 0x3ff));
    }
  }
  return new Uint8Array(out.buffer);
}

function sumsEqual(a: FigureSums, b: FigureSums): void {
  expect(a.elements).toBe(b.elements);
  expect(a.changed).toBe(b.changed);
  // Object.is: bit-for-bit, -0 and NaN included.
  expect(Object.is(a.maxAbs, b.maxAbs), `maxAbs ${a.maxAbs} vs ${b.maxAbs}`).toBe(true);
  expect(Object.is(a.sumSqDiff, b.sumSqDiff), `sumSqDiff ${a.sumSqDiff} vs ${b.sumSqDiff}`).toBe(true);
  expect(Object.is(a.sumSqOld, b.sumSqOld), `sumSqOld ${a.sumSqOld} vs ${b.sumSqOld}`).toBe(true);
}

describe('change figures: wasm against the JavaScript reference', () => {
  it('gives identical sums, counts and maxima for every float dtype, special values included', () => {
    fc.assert(fc.property(figureCase, (c) => {
      const { old, fresh } = makeBlocks(c);
      const w = WIDTH[c.dtype];
      const o = at(old, c.shift), f = at(fresh, (c.shift * 3) % 8);
      const run = (): FiguresAccumulator => {
        const acc = new FiguresAccumulator(c.dtype, w, true);
        acc.add(o, f, false); // a changed block
        acc.add(f, o, false); // and the way back, continuing the running maximum
        acc.add(o, o, true); // an unchanged block: the old norm only
        return acc;
      };
      const ref = reference(run), got = run();
      sumsEqual(got.sums(), ref.sums());
      expect(got.result()).toEqual(ref.result());
    }), { numRuns: 400 });
  });

  it('fused with the planes: the planes of splitPlanes and the figures of add, in one pass', () => {
    fc.assert(fc.property(figureCase, (c) => {
      const { old, fresh } = makeBlocks(c);
      const w = WIDTH[c.dtype];
      // A whole-element block plus, sometimes, a sub-element tail (residual-like lengths).
      const tail = c.seed & 1 ? Math.abs(c.seed) % w : 0;
      const o = at(Uint8Array.from([...old, ...bytesOf(tail, 1, false)]), c.shift);
      const f = at(Uint8Array.from([...fresh, ...bytesOf(tail, 2, false)]), c.shift ^ 5);
      const ref = reference(() => { const acc = new FiguresAccumulator(c.dtype, w, true); acc.add(o, f, false); return { sums: acc.sums(), planes: splitPlanesJs(f, w, o) }; });
      const acc = new FiguresAccumulator(c.dtype, w, true);
      const out = Buffer.alloc(o.length + 3, 0xee);
      const planes = acc.addWithPlanes(o, f, out);
      expect(planes.length).toBe(o.length);
      expect(same(planes, ref.planes)).toBe(true);
      sumsEqual(acc.sums(), ref.sums);
    }), { numRuns: 300 });
  });

  it('decodes every f16 and bf16 bit pattern as the reference tables do', () => {
    for (const dtype of ['F16', 'BF16'] as const) {
      const old = new Uint16Array(65536).map((_, i) => i);
      for (const flip of [0x0001, 0x0400, 0x8000, 0x7c00, 0x3ff]) {
        const fresh = old.map((v) => v ^ flip);
        const o = new Uint8Array(old.buffer), f = new Uint8Array(fresh.buffer);
        const run = (): FigureSums => { const acc = new FiguresAccumulator(dtype, 2, true); acc.add(o, f, false); return acc.sums(); };
        sumsEqual(run(), reference(run));
        // One element at a time sums nothing in a different order: compare each value's square.
        const perElement = (): number[] => {
          const acc = new FiguresAccumulator(dtype, 2, true);
          const out: number[] = [];
          for (let i = 0; i < 65536; i += 257) {
            const before = acc.sumSqOld;
            acc.add(o.subarray(0, 256), o.subarray(0, 256), true);
            out.push(acc.sumSqOld - before);
          }
          return out;
        };
        expect(perElement()).toEqual(reference(perElement));
      }
    }
  });

  it('leaves the non-float dtypes and big-endian data to the JavaScript path, unchanged', () => {
    const old = bytesOf(4000, 7, false), fresh = bytesOf(4000, 8, true);
    for (const [dtype, width, le] of [['I32', 4, true], ['U16', 2, true], ['F32', 4, false], ['OTHER', 8, false]] as const) {
      const run = (): FigureSums => { const acc = new FiguresAccumulator(dtype, width, le); acc.add(old, fresh, false); return acc.sums(); };
      sumsEqual(run(), reference(run));
    }
  });
});

describe('a delta block end to end (block-work.ts)', () => {
  it('stores the same payload and figures as the JavaScript kernels, block after block', () => {
    const len = 3 * CHUNK + 100;
    const jobs: BlockJob[] = [];
    for (const [dtype, width] of [['F32', 4], ['BF16', 2], ['F64', 8], ['F16', 2]] as const) {
      const values = Array.from({ length: len / width | 0 }, (_, i) => Math.sin(i) * 0.1);
      const old = encodeFloats(dtype, values);
      const fresh = encodeFloats(dtype, values.map((v, i) => (i % 5 ? v * 1.001 : v)));
      jobs.push({ fresh, old, width, figures: { dtype, littleEndian: true } });
      jobs.push({ fresh, old, width, figures: null });
    }
    const ref = reference(() => jobs.map(encodeChangedBlock));
    // Encoded one after another: each payload must survive the next block reusing the kernels' buffers.
    const got = jobs.map(encodeChangedBlock);
    for (let i = 0; i < jobs.length; i++) {
      expect(got[i]!.mode).toBe(ref[i]!.mode);
      expect(same(Buffer.concat(got[i]!.parts), Buffer.concat(ref[i]!.parts))).toBe(true);
      if (ref[i]!.sums) sumsEqual(got[i]!.sums!, ref[i]!.sums!);
      else expect(got[i]!.sums).toBeNull();
      const job = jobs[i]!;
      // The payload holds fresh ^ old.
      expect(same(xorBytes(decodeBlock(Buffer.concat(got[i]!.parts), job.width, job.fresh.length, 'test'), job.old!), job.fresh)).toBe(true);
    }
  });
});
