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
    const packed = encodeBlock(data, 4);
    expect(packed[1]).toBe(0); // plane 0: noise, raw
    expect(packed[11]).toBe(1); // plane 2: zeros, zstd
    expect(packed.length).toBeLessThan(2 * n + 1000);
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
