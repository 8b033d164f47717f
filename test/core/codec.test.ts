import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { joinPlanes, splitPlanes } from '../../src-main/core/codec/planes';
import { xorBytes } from '../../src-main/core/codec/xor';
import { zstdCompress, zstdDecompress } from '../../src-main/core/codec/zstd';
import { FiguresAccumulator } from '../../src-main/core/codec/figures';

describe('byte planes', () => {
  it('split groups byte k of every element together', () => {
    const src = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    expect([...splitPlanes(src, 4)]).toEqual([1, 5, 2, 6, 3, 7, 4, 8]);
    expect([...splitPlanes(src, 2)]).toEqual([1, 3, 5, 7, 2, 4, 6, 8]);
  });

  it('join inverts split for any width, tails included', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.constantFrom(1, 2, 4, 8, 16), (bytes, width) => {
      expect(Buffer.from(joinPlanes(splitPlanes(bytes, width), width)).equals(Buffer.from(bytes))).toBe(true);
    }));
  });
});

describe('byte planes, word-wide paths', () => {
  it('split with XOR equals XOR then split, and join inverts it, at any offset and length', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), fc.constantFrom(2, 4), fc.nat(5), fc.boolean(), (raw, width, shift, round) => {
      // Half the runs use whole groups of four elements, which take the word-wide path.
      const bytes = round ? raw.subarray(0, raw.length - (raw.length % 16)) : raw;
      const other = Buffer.from(bytes.map((x, i) => (x * 7 + i) & 255));
      const at = (x: Uint8Array): Uint8Array => { const c = new Uint8Array(shift + x.length); c.set(x, shift); return c.subarray(shift); };
      const fused = splitPlanes(at(bytes), width, at(other));
      const plain = splitPlanes(xorBytes(bytes, other), width);
      expect(Buffer.from(fused).equals(Buffer.from(plain))).toBe(true);
      // Reference split, byte by byte.
      const x = xorBytes(bytes, other), n = Math.floor(x.length / width), ref = Buffer.from(x);
      for (let b = 0; b < width; b++) for (let i = 0; i < n; i++) ref[b * n + i] = x[i * width + b]!;
      expect(Buffer.from(plain).equals(ref)).toBe(true);
      expect(Buffer.from(joinPlanes(at(fused), width)).equals(x)).toBe(true);
    }), { numRuns: 400 });
  });
});

describe('xor', () => {
  it('a ^ b ^ b is a, aligned or not', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 0, maxLength: 200 }), fc.nat(3), (a, shift) => {
      const b = Buffer.from(a.map((x) => (x * 31 + 7) & 255));
      const aa = Buffer.concat([Buffer.alloc(shift), Buffer.from(a)]).subarray(shift);
      expect(xorBytes(xorBytes(aa, b), b).equals(Buffer.from(a))).toBe(true);
    }));
  });
});

describe('zstd', () => {
  it('round-trips', () => {
    const data = Buffer.from('weightline '.repeat(1000));
    const packed = zstdCompress(data);
    expect(packed.length).toBeLessThan(data.length / 10);
    expect(zstdDecompress(packed).equals(data)).toBe(true);
  });
});

describe('change figures', () => {
  const f32 = (xs: number[]): Buffer => Buffer.from(new Float32Array(xs).buffer);

  it('counts changed elements, max |Δ| and relative L2 change for f32', () => {
    const acc = new FiguresAccumulator('F32', 4, true);
    acc.add(f32([3, 4, 0, 1]), f32([3, 4, 0, 2]), false);
    const r = acc.result();
    expect(r.changedFraction).toBe(0.25);
    expect(r.maxAbsDiff).toBe(1);
    expect(r.relChange).toBeCloseTo(1 / Math.sqrt(9 + 16 + 1), 6);
  });

  it('counts a sign flip of zero as a change though the values compare equal', () => {
    const acc = new FiguresAccumulator('F32', 4, true);
    acc.add(f32([0]), f32([-0]), false);
    expect(acc.result().changedFraction).toBe(1);
  });

  it('decodes bf16 and f16', () => {
    const bf = (x: number): number => new Uint16Array(new Uint32Array(new Float32Array([x]).buffer).map((v) => v >>> 16).buffer.slice(0, 4))[0]!;
    const accB = new FiguresAccumulator('BF16', 2, true);
    accB.add(Buffer.from(new Uint16Array([bf(1), bf(2)]).buffer), Buffer.from(new Uint16Array([bf(1), bf(3)]).buffer), false);
    expect(accB.result().maxAbsDiff).toBe(1);
    const accH = new FiguresAccumulator('F16', 2, true);
    // 0x3c00 = 1.0, 0x4000 = 2.0 in IEEE half precision
    accH.add(Buffer.from(new Uint16Array([0x3c00]).buffer), Buffer.from(new Uint16Array([0x4000]).buffer), false);
    expect(accH.result().maxAbsDiff).toBe(1);
    expect(accH.result().relChange).toBe(1);
  });

  it('fused float kernels give exactly what a plain per-element reference gives (NaN, ±0, ±inf, unaligned)', () => {
    // Reference: decode every element with DataView, compare bit patterns, sum in element order.
    const reference = (dtype: 'F32' | 'F64' | 'BF16' | 'F16', a: Uint8Array, b: Uint8Array) => {
      const width = dtype === 'F64' ? 8 : dtype === 'F32' ? 4 : 2;
      const va = new DataView(a.buffer, a.byteOffset, a.byteLength), vb = new DataView(b.buffer, b.byteOffset, b.byteLength);
      const half = (h: number): number => { const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 31, m = h & 1023; return e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15); };
      const value = (v: DataView, i: number): number => {
        if (dtype === 'F64') return v.getFloat64(i * 8, true);
        if (dtype === 'F32') return v.getFloat32(i * 4, true);
        if (dtype === 'F16') return half(v.getUint16(i * 2, true));
        const f = new DataView(new ArrayBuffer(4)); f.setUint32(0, v.getUint16(i * 2, true) << 16); return f.getFloat32(0);
      };
      const n = Math.floor(a.length / width);
      let changed = 0, maxAbs = 0, sd = 0, so = 0;
      for (let i = 0; i < n; i++) {
        const x = value(va, i), y = value(vb, i);
        if (Number.isFinite(x)) so += x * x;
        if (!Buffer.from(a.subarray(i * width, (i + 1) * width)).equals(b.subarray(i * width, (i + 1) * width))) {
          changed++;
          const d = y - x;
          if (Number.isFinite(d)) { maxAbs = Math.max(maxAbs, Math.abs(d)); sd += d * d; }
        }
      }
      return { changedFraction: n ? changed / n : 0, maxAbsDiff: maxAbs, relChange: so > 0 ? Math.sqrt(sd) / Math.sqrt(so) : sd === 0 ? 0 : null };
    };
    const special = [0, -0, NaN, Infinity, -Infinity, 1e-40, 3.4e38];
    fc.assert(fc.property(
      fc.constantFrom('F32' as const, 'F64' as const, 'BF16' as const, 'F16' as const),
      fc.array(fc.oneof(fc.double(), fc.constantFrom(...special)), { maxLength: 40 }),
      fc.array(fc.nat(3), { maxLength: 40 }),
      fc.nat(7),
      (dtype, values, edits, shift) => {
        const width = dtype === 'F64' ? 8 : dtype === 'F32' ? 4 : 2;
        const a = Buffer.alloc(values.length * width);
        values.forEach((v, i) => { if (width === 8) a.writeDoubleLE(v, i * 8); else if (width === 4) a.writeFloatLE(v, i * 4); else a.writeUInt16LE(Math.abs(Math.round(v * 977)) & 0xffff, i * 2); });
        const b = Buffer.from(a);
        edits.forEach((e, i) => { if (i < values.length) { const at = i * width + (e % width); b[at] = b[at]! ^ (1 << e); } });
        // Views at odd offsets take the copying path.
        const at = (x: Buffer): Uint8Array => { const c = new Uint8Array(shift + x.length); c.set(x, shift); return c.subarray(shift); };
        const acc = new FiguresAccumulator(dtype, width, true);
        acc.add(at(a), at(b), false);
        expect(acc.result()).toEqual(reference(dtype, a, b));
      }), { numRuns: 300 });
  });

  it('gives no relative change for integers but does give max |Δ|', () => {
    const acc = new FiguresAccumulator('I64', 8, true);
    acc.add(Buffer.from(new BigInt64Array([5n, 7n]).buffer), Buffer.from(new BigInt64Array([5n, 10n]).buffer), false);
    expect(acc.result()).toEqual({ changedFraction: 0.5, maxAbsDiff: 3, relChange: null });
  });
});

describe('block codec', () => {
  it('round-trips any bytes at any width, compressible or not', async () => {
    const { encodeBlock, decodeBlock } = await import('../../src-main/core/codec/block-codec');
    fc.assert(fc.property(fc.uint8Array({ maxLength: 3000 }), fc.constantFrom(1, 2, 4, 8, 16), fc.boolean(), (bytes, width, zeros) => {
      const data = zeros ? Buffer.concat([Buffer.from(bytes), Buffer.alloc(200_000)]) : Buffer.from(bytes);
      expect(decodeBlock(encodeBlock(data, width), width, data.length, 't').equals(data)).toBe(true);
    }), { numRuns: 200 });
  });

  it('stores noise planes raw and structured planes compressed', async () => {
    const { encodeBlock } = await import('../../src-main/core/codec/block-codec');
    const r = (await import('../helpers/models')).rng(5);
    const n = 100_000;
    const data = Buffer.alloc(n * 4);
    for (let i = 0; i < n; i++) { data[i * 4] = Math.floor(r() * 256); data[i * 4 + 1] = Math.floor(r() * 256); }
    // Plane 2 is all zeros: a zstd frame by encoding 1's rules, a sparse plane (kind 2) by encoding 2's.
    for (const [encoding, zeros] of [[1, 1], [2, 2]] as const) {
      const packed = encodeBlock(data, 4, undefined, encoding);
      expect(packed[1]).toBe(0); // plane 0: noise, raw
      expect(packed[11]).toBe(zeros);
      expect(packed.length).toBeLessThan(2 * n + 1000);
    }
  });
});

describe('corrupt blocks', () => {
  it('say what is wrong instead of decoding garbage', async () => {
    const { encodeBlock, decodeBlock } = await import('../../src-main/core/codec/block-codec');
    const data = Buffer.alloc(1000, 7);
    const packed = encodeBlock(data, 4);
    expect(() => decodeBlock(packed, 2, 1000, 'x')).toThrow(/planes/);
    expect(() => decodeBlock(packed.subarray(0, packed.length - 3), 4, 1000, 'x')).toThrow(/cut short|decompress/);
    expect(() => decodeBlock(packed, 4, 999, 'x')).toThrow();
  });
});
