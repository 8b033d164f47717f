import { statSync, truncateSync } from 'node:fs';
import * as fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_HEADER_BYTES, readSafetensorsLayout } from '../../src-main/core/formats/safetensors';
import { WeightlineError } from '../../src-shared/errors';
import { checkAgainstExpected, checkInvariants, expectedFor, fixture, rejection, tempDir } from './helpers';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

/** A safetensors file from a header object and a data section. */
function build(header: unknown, data: Uint8Array = new Uint8Array(0), rawHeader?: string): Buffer {
  const json = Buffer.from(rawHeader ?? JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, data]);
}

async function layoutOf(name: string, bytes: Uint8Array) {
  const p = tmp.file(name, bytes);
  return readSafetensorsLayout(p, bytes.length);
}

async function badFormat(bytes: Uint8Array, message: RegExp): Promise<WeightlineError> {
  const p = tmp.file(`bad-${Math.random().toString(36).slice(2)}.safetensors`, bytes);
  const err = await rejection(readSafetensorsLayout(p, bytes.length));
  expect(err.message).toMatch(message);
  expect(err.file).toBe(p);
  return err;
}

describe('readSafetensorsLayout on real files', () => {
  for (const rel of [
    'tiny.safetensors',
    'hf-sharded/model-00001-of-00002.safetensors',
    'hf-sharded/model-00002-of-00002.safetensors',
  ]) {
    it(`finds every tensor of ${rel} at the right bytes`, async () => {
      const path = fixture(rel);
      await checkAgainstExpected(path, await readSafetensorsLayout(path, statSync(path).size), expectedFor(rel));
    });
  }

  it('reports absolute file offsets, sorted, and skips __metadata__', async () => {
    const data = new Uint8Array(24);
    const header = {
      __metadata__: { format: 'pt' },
      b: { dtype: 'F32', shape: [2], data_offsets: [16, 24] },
      a: { dtype: 'I64', shape: [2], data_offsets: [0, 16] },
    };
    const bytes = build(header, data);
    const headerLen = bytes.length - 8 - 24;
    const layout = await layoutOf('meta.safetensors', bytes);
    expect(layout.format).toBe('safetensors');
    expect(layout.tensors.map((t) => [t.name, t.offset, t.length, t.width])).toEqual([
      ['a', 8 + headerLen, 16, 8],
      ['b', 8 + headerLen + 16, 8, 4],
    ]);
  });

  it('leaves empty tensors to the header and accepts a header with no tensors', async () => {
    const layout = await layoutOf(
      'empty-tensor.safetensors',
      build({ e: { dtype: 'F32', shape: [0, 3], data_offsets: [0, 0] }, x: { dtype: 'U8', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)),
    );
    expect(layout.tensors.map((t) => t.name)).toEqual(['x']);
    expect((await layoutOf('none.safetensors', build({}))).tensors).toEqual([]);
  });

  it('takes any JSON key as a name, "__proto__" included', async () => {
    const layout = await layoutOf('proto.safetensors', build(null, new Uint8Array(1), '{"__proto__":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}'));
    expect(layout.tensors.map((t) => t.name)).toEqual(['__proto__']);
  });

  it('keeps newer sub-byte dtypes as opaque bytes', async () => {
    const layout = await layoutOf('f4.safetensors', build({ q: { dtype: 'F4', shape: [5], data_offsets: [0, 3] } }, new Uint8Array(3)));
    expect(layout.tensors[0]).toMatchObject({ dtype: 'OTHER', width: 1, length: 3, littleEndian: false });
  });
});

describe('readSafetensorsLayout rejects broken files with BAD_FORMAT', () => {
  it('empty file', () => badFormat(new Uint8Array(0), /empty file.*8-byte header length.*0 bytes/));
  it('shorter than the length field', () => badFormat(new Uint8Array(5), /at least 8 bytes.*5-byte file/));

  it('header length 2^60, compared exactly rather than rounded', async () => {
    const bytes = Buffer.alloc(64);
    bytes.writeBigUInt64LE(1n << 60n);
    await badFormat(bytes, /header length 1152921504606846976 bytes runs past the end of the file \(56 bytes/);
  });

  it('header length one past the end', async () => {
    const bytes = build({});
    bytes.writeBigUInt64LE(BigInt(bytes.length - 8 + 1));
    await badFormat(bytes, /header length 3 bytes runs past the end of the file \(2 bytes/);
  });

  it('header longer than 100 MB, in a sparse file big enough to hold it', async () => {
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(MAX_HEADER_BYTES + 1));
    const p = tmp.file('huge-header.safetensors', len);
    truncateSync(p, MAX_HEADER_BYTES + 100);
    const err = await rejection(readSafetensorsLayout(p, MAX_HEADER_BYTES + 100));
    expect(err.message).toMatch(/header length 104857601 bytes exceeds the 104857600-byte limit/);
  });

  it('invalid JSON', () => badFormat(build(null, new Uint8Array(0), '{"a": {'), /invalid JSON/));
  it('invalid UTF-8', async () => {
    const bytes = build(null, new Uint8Array(0), '{"aa":1}');
    bytes[10] = 0xff;
    await badFormat(bytes, /invalid JSON/);
  });
  it('header that is not an object', () => badFormat(build([1, 2]), /expected the header to be a JSON object, found \[1,2\]/));

  it('tensor entry without dtype, shape or data_offsets', async () => {
    await badFormat(build({ w: { shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)), /tensor "w".*found no dtype/);
    await badFormat(build({ w: { dtype: 'F32', data_offsets: [0, 4] } }, new Uint8Array(4)), /tensor "w".*found no shape/);
    await badFormat(build({ w: { dtype: 'F32', shape: [1] } }, new Uint8Array(4)), /tensor "w".*found no data_offsets/);
    await badFormat(build({ w: 3 }), /tensor "w": expected an object.*found 3/);
  });

  it('unknown dtype', () =>
    badFormat(build({ w: { dtype: 'F7', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)), /tensor "w": unknown dtype "F7"/));

  it('bad shape', () =>
    badFormat(build({ w: { dtype: 'U8', shape: [-1], data_offsets: [0, 1] } }, new Uint8Array(1)), /expected shape.*found \[-1\]/));

  it('data_offsets out of order', () =>
    badFormat(build({ w: { dtype: 'U8', shape: [4], data_offsets: [8, 4] } }, new Uint8Array(8)), /begin <= end, found \[8, 4\]/));

  it('data_offsets past the end of the file', () =>
    badFormat(
      build({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, new Uint8Array(12)),
      /data_offsets \[0, 16\] run past the end of the 12-byte data section/,
    ));

  it('byte length that does not match shape and dtype', () =>
    badFormat(
      build({ w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 8] } }, new Uint8Array(16)),
      /shape \[2, 2\] of F32 needs 16 bytes, found data_offsets \[0, 8\] \(8 bytes\)/,
    ));

  it('shape whose element count overflows a double', () =>
    badFormat(
      build({ w: { dtype: 'F64', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 8] } }, new Uint8Array(8)),
      /needs 9671406556917033397649408 bytes/,
    ));

  it('overlapping tensors', () =>
    badFormat(
      build(
        {
          a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
          b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
        },
        new Uint8Array(12),
      ),
      /tensors overlap: "b" \[4, 12\) starts inside "a" \[0, 8\)/,
    ));
});

describe('readSafetensorsLayout properties', () => {
  const dtypes = ['F32', 'F16', 'BF16', 'I64', 'U8', 'BOOL', 'F64', 'C128'] as const;
  const widths: Record<(typeof dtypes)[number], number> = { F32: 4, F16: 2, BF16: 2, I64: 8, U8: 1, BOOL: 1, F64: 8, C128: 16 };

  it('any well-formed file parses to a layout covering exactly its tensors', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(
          fc.record({
            name: fc.string({ minLength: 1, maxLength: 12 }).filter((s) => s !== '__metadata__'),
            dtype: fc.constantFrom(...dtypes),
            shape: fc.array(fc.integer({ min: 1, max: 5 }), { maxLength: 3 }),
            gap: fc.integer({ min: 0, max: 3 }),
          }),
          { selector: (t) => t.name, maxLength: 6 },
        ),
        async (specs) => {
          // Null prototype, so a generated "__proto__" name is a key, not a prototype.
          const header = Object.create(null) as Record<string, unknown>;
          let pos = 0;
          for (const s of specs) {
            pos += s.gap;
            const len = s.shape.reduce((a, b) => a * b, 1) * widths[s.dtype];
            header[s.name] = { dtype: s.dtype, shape: s.shape, data_offsets: [pos, pos + len] };
            pos += len;
          }
          const bytes = build(header, new Uint8Array(pos));
          const layout = await layoutOf('prop.safetensors', bytes);
          checkInvariants(layout);
          expect(layout.tensors.map((t) => t.name).sort()).toEqual(specs.map((s) => s.name).sort());
        },
      ),
      { numRuns: 150 },
    );
  });

  it('corrupted headers fail only with BAD_FORMAT', async () => {
    const good = build(
      {
        a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
        b: { dtype: 'I64', shape: [1, 1], data_offsets: [8, 16] },
      },
      new Uint8Array(16),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        async (edits) => {
          const bytes = Buffer.from(good);
          for (const [at, v] of edits) bytes[at] = v;
          try {
            checkInvariants(await layoutOf('fuzz.safetensors', bytes));
          } catch (e) {
            expect(e).toBeInstanceOf(WeightlineError);
            expect((e as WeightlineError).code).toBe('BAD_FORMAT');
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
