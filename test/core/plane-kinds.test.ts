// Issue 22, item 4: every plane kind (raw, zstd, sparse) under every delta
// encoding's rules gives back the plane bit-exact, whatever the width and
// content; a damaged sparse plane is CORRUPT, never a crash or a read out of
// bounds.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WeightlineError } from '../../src-shared/errors';
import { decodeBlock, decodePlanes, decodeStoredPlane, encodePlanes, PLANE_RAW, storePlane } from '../../src-main/core/codec/block-codec';
import { DELTA_ENCODING } from '../../src-main/core/codec/encoding';
import { splitPlanes } from '../../src-main/core/codec/planes';
import { decodeSparsePlane, encodeSparsePlane } from '../../src-main/core/codec/sparse-plane';
import { zstdCompress } from '../../src-main/core/codec/zstd';

const SPARSE = 2;

/** Plane contents a store meets and the ones that break assumptions: empty, constant, noise, sparse at any density and gap size. */
const content = fc.oneof(
  fc.record({ kind: fc.constant('zero' as const), n: fc.nat(300_000) }),
  fc.record({ kind: fc.constant('ff' as const), n: fc.nat(200_000) }),
  fc.record({ kind: fc.constant('random' as const), n: fc.nat(200_000) }),
  fc.record({ kind: fc.constant('sparse' as const), n: fc.nat(600_000), every: fc.integer({ min: 2, max: 40_000 }), seed: fc.nat() }),
  fc.record({ kind: fc.constant('skewed' as const), n: fc.nat(200_000), seed: fc.nat() }),
);

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 4294967296; };
}

function make(c: { kind: string; n: number; every?: number; seed?: number }, shift: number): Buffer {
  // At an odd offset into a larger buffer, as planes sit in a block's buffer.
  const b = Buffer.alloc(c.n + shift).subarray(shift);
  const r = rng(c.seed ?? 1);
  if (c.kind === 'ff') b.fill(0xff);
  else if (c.kind === 'random') for (let i = 0; i < b.length; i++) b[i] = Math.floor(r() * 256);
  else if (c.kind === 'sparse') for (let i = 0; i < b.length; i++) { if (r() * c.every! < 1) b[i] = 1 + Math.floor(r() * 255); }
  else if (c.kind === 'skewed') for (let i = 0; i < b.length; i++) b[i] = r() < 0.6 ? 0x3f : Math.floor(r() * 8);
  return b;
}

describe('plane kinds round-trip', () => {
  it('property: storePlane then decodeStoredPlane gives the plane back bit-exact, every encoding, width and content', () => {
    const seen = new Set<number>();
    fc.assert(fc.property(content, fc.constantFrom(1, 2, 4, 8), fc.nat(7), fc.constantFrom(1, DELTA_ENCODING), (c, count, shift, encoding) => {
      const plane = make(c, shift);
      const p = count - 1;
      const { kind, stored } = storePlane(plane, p, count, encoding);
      seen.add(kind);
      if (encoding === 1) expect(kind).not.toBe(SPARSE);
      const back = kind === PLANE_RAW ? stored : decodeStoredPlane(kind, stored, p, 'plane-test');
      expect(back.length).toBe(plane.length);
      expect(back.equals(plane)).toBe(true);
    }), { numRuns: 150 });
    expect([...seen].sort()).toEqual([0, 1, 2]);
  });

  it('property: whole blocks of widths 1, 2, 4 and 8 (tails included) round-trip through encodePlanes and decodeBlock', () => {
    fc.assert(fc.property(content, fc.constantFrom(1, 2, 4, 8), fc.nat(9), fc.constantFrom(1, DELTA_ENCODING), (c, width, extra, encoding) => {
      const data = make({ ...c, n: Math.min(c.n, 300_000) + extra }, 0);
      const payload = encodePlanes(splitPlanes(data, width), width, encoding);
      expect(decodeBlock(payload, width, data.length, 'block-test').equals(data)).toBe(true);
    }), { numRuns: 80 });
  });

  it('the sign/exponent plane of a float update is stored sparse and smaller than zstd makes it', () => {
    const r = rng(5);
    const plane = Buffer.alloc(1 << 20);
    for (let i = 0; i < plane.length; i++) if (r() < 0.022) plane[i] = r() < 0.5 ? 0x80 : 1;
    const { kind, stored } = storePlane(plane, 3, 4);
    expect(kind).toBe(SPARSE);
    expect(stored.length).toBeLessThan(zstdCompress(plane).length);
    expect(decodeStoredPlane(kind, stored, 3, 't').equals(plane)).toBe(true);
  });
});

/** A sparse plane's stored form, written by hand: length, then a zstd frame of the entry bytes. */
function sparseStored(length: number, entries: number[]): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32LE(length, 0);
  return Buffer.concat([head, zstdCompress(Buffer.from(entries))]);
}

function corrupt(f: () => unknown): string {
  try { f(); } catch (e) {
    expect(e).toBeInstanceOf(WeightlineError);
    expect((e as WeightlineError).code).toBe('CORRUPT');
    return (e as Error).message;
  }
  throw new Error('expected CORRUPT');
}

describe('damaged sparse planes', () => {
  it('a hand-written sparse plane decodes: gaps of one and several LEB128 bytes, trailing zeros', () => {
    const plane = decodeSparsePlane(sparseStored(20_000, [3, 7, 0, 9, 0x90, 0x4e, 5]), 0, 'x');
    const want = Buffer.alloc(20_000);
    want[3] = 7; want[4] = 9; want[5 + 10_000] = 5;
    expect(plane.equals(want)).toBe(true);
  });

  it('truncated, bad lengths, bad entries: CORRUPT naming the label and plane', () => {
    expect(corrupt(() => decodeStoredPlane(SPARSE, Buffer.from([1, 0]), 2, 'objects/ab12 block 3'))).toMatch(/objects\/ab12 block 3: sparse plane 2 is cut short/);
    // A length past any block: refused before it is allocated.
    expect(corrupt(() => decodeSparsePlane(sparseStored(0xffffffff, []), 0, 'x'))).toMatch(/more than a block holds/);
    // Frame cut or missing.
    const good = sparseStored(100, [5, 1]);
    expect(corrupt(() => decodeSparsePlane(good.subarray(0, good.length - 3), 0, 'x'))).toMatch(/does not decompress/);
    expect(corrupt(() => decodeSparsePlane(good.subarray(0, 4), 0, 'x'))).toMatch(/cut short/);
    // An entry past the plane's end, at and beyond it.
    expect(corrupt(() => decodeSparsePlane(sparseStored(10, [10, 1]), 0, 'x'))).toMatch(/past its 10 bytes/);
    expect(corrupt(() => decodeSparsePlane(sparseStored(10, [9, 1, 0, 1]), 0, 'x'))).toMatch(/past its 10 bytes/);
    // A gap without its byte; a gap cut inside its LEB128; an overlong gap; a listed zero.
    expect(corrupt(() => decodeSparsePlane(sparseStored(10, [1, 1, 2]), 0, 'x'))).toMatch(/past/);
    expect(corrupt(() => decodeSparsePlane(sparseStored(1000, [0x81]), 0, 'x'))).toMatch(/damaged entry/);
    expect(corrupt(() => decodeSparsePlane(sparseStored(1000, [0x80, 0x80, 0x80, 0x80, 0x80, 1, 1]), 0, 'x'))).toMatch(/damaged entry/);
    expect(corrupt(() => decodeSparsePlane(sparseStored(1000, [4, 0]), 0, 'x'))).toMatch(/zero byte/);
  });

  it('property: a sparse plane with any byte changed or cut short decodes to some plane of its stated length or is CORRUPT, never another error', () => {
    const r = rng(9);
    const plane = Buffer.alloc(50_000);
    for (let i = 0; i < plane.length; i++) if (r() < 0.03) plane[i] = 1 + Math.floor(r() * 255);
    const stored = encodeSparsePlane(plane)!;
    expect(decodeSparsePlane(stored, 0, 'x').equals(plane)).toBe(true);
    fc.assert(fc.property(fc.nat(stored.length - 1), fc.integer({ min: 1, max: 255 }), fc.nat(stored.length), (at, flip, cut) => {
      const bad = Buffer.from(stored);
      bad[at] = bad[at]! ^ flip;
      for (const b of [bad, stored.subarray(0, cut)]) {
        try {
          expect(decodeSparsePlane(b, 0, 'x').length).toBe(b.readUInt32LE(0));
        } catch (e) {
          expect(e).toBeInstanceOf(WeightlineError);
          expect((e as WeightlineError).code).toBe('CORRUPT');
        }
      }
    }), { numRuns: 300 });
  });

  it('a block payload whose sparse plane lists more bytes than the block holds is CORRUPT', () => {
    const data = Buffer.alloc(4096);
    data[3] = 0x80;
    const payload = encodePlanes(splitPlanes(data, 4), 4);
    expect(payload[1 + 5 * 3]).toBe(SPARSE);
    // Plane 3 claims 1025 bytes: the block's planes would hold one byte too many.
    const at = 1 + 5 * 4 + payload.readUInt32LE(2) + payload.readUInt32LE(7) + payload.readUInt32LE(12);
    const bad = Buffer.from(payload);
    bad.writeUInt32LE(1025, at);
    expect(corrupt(() => decodePlanes(bad, 4, 4096, 'blk'))).toMatch(/blk: planes hold more than the block's 4096 bytes/);
  });
});
