// ONNX layouts: models written by torch.onnx.export and onnx.save (inline,
// external data in one file, one file per tensor, a .bin), typed fields and
// subgraphs built with onnx.helper (test/fixtures/make_formats_b.py), and
// hand-made hostile protobufs.

import { readFileSync } from 'node:fs';
import { copyFile, mkdir, open, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readLayout } from '../../src-main/core/formats/detect';
import type { FileLayout } from '../../src-main/core/base/layout';
import { WeightlineError } from '../../src-shared/errors';
import { checkAgainstExpected, checkInvariants, fixture, rejection, tempDir, type ExpectedFile } from './helpers';
import { onnxModel, onnxTensor, pbBytes, pbVarint, varint } from './pb';

const EXPECTED = JSON.parse(readFileSync(fixture('onnx/expected.json'), 'utf8')) as { files: Record<string, ExpectedFile> };
const FLOAT = 1;

const f32 = (...v: number[]): Buffer => Buffer.from(new Float32Array(v).buffer);

async function layoutOf(bytes: Buffer, name = 'm.onnx'): Promise<FileLayout> {
  const t = tempDir();
  try {
    return await readLayout(t.file(name, bytes));
  } finally {
    t.cleanup();
  }
}

async function badFormat(bytes: Buffer, pattern: RegExp, name = 'm.onnx'): Promise<WeightlineError> {
  const t = tempDir();
  try {
    const p = t.file(name, bytes);
    const e = await rejection(readLayout(p));
    expect(e.file).toBe(p);
    expect(e.message).toMatch(pattern);
    return e;
  } finally {
    t.cleanup();
  }
}

describe('ONNX files written by torch.onnx.export and onnx.save', () => {
  for (const rel of Object.keys(EXPECTED.files).sort()) {
    it(`${rel}: every tensor at the bytes onnx.numpy_helper reads`, async () => {
      const p = fixture(`onnx/${rel}`);
      await checkAgainstExpected(p, await readLayout(p), EXPECTED.files[rel]!);
    });
  }

  it('an inline model claims all its initializers; nothing else of the file', async () => {
    const l = await readLayout(fixture('onnx/finetune/v1.onnx'));
    const claimed = l.tensors.reduce((s, t) => s + t.length, 0);
    expect(l.tensors).toHaveLength(8);
    // 34k float parameters; the rest (graph, names, tags) is a couple of kilobytes of residual.
    expect(claimed).toBe(4 * (32 * 256 + 256 * 3 + 256 * 96 + 96 + 96 * 10 + 10));
    expect(l.size - claimed).toBeLessThan(4096);
  });

  it('typed fields: float_data and double_data are regions; int32_data (FLOAT16), int64_data, string_data are residual', async () => {
    const l = await readLayout(fixture('onnx/typed-fields.onnx'));
    expect(l.tensors.map((t) => t.name).sort()).toEqual(['branch/else_branch/else_w', 'branch/then_branch/then_w', 'cond', 'd_double_data', 'w_float_data']);
  });

  it('a data file on its own (no model beside it) is generic', async () => {
    const t = tempDir();
    try {
      await copyFile(fixture('onnx/external/v1/model.onnx.data'), join(t.dir, 'model.onnx.data'));
      expect(await readLayout(join(t.dir, 'model.onnx.data'))).toMatchObject({ format: 'generic', tensors: [] });
      await copyFile(fixture('onnx/external-bin/weights.bin'), join(t.dir, 'weights.bin'));
      expect((await readLayout(join(t.dir, 'weights.bin'))).format).toBe('generic');
    } finally {
      t.cleanup();
    }
  });

  it('a model beside the data file that does not name it leaves it generic; one that does not parse is skipped', async () => {
    const t = tempDir();
    try {
      await copyFile(fixture('onnx/external/v1/model.onnx.data'), join(t.dir, 'model.onnx.data'));
      await copyFile(fixture('onnx/finetune/v1.onnx'), join(t.dir, 'other.onnx'));
      t.file('broken.onnx', Buffer.from('not a model at all'));
      expect((await readLayout(join(t.dir, 'model.onnx.data'))).format).toBe('generic');
      await copyFile(fixture('onnx/external/v1/model.onnx'), join(t.dir, 'model.onnx'));
      const l = await readLayout(join(t.dir, 'model.onnx.data'));
      await checkAgainstExpected(join(t.dir, 'model.onnx.data'), l, EXPECTED.files['external/v1/model.onnx.data']!);
    } finally {
      t.cleanup();
    }
  });

  it('a data file shorter than its model says is BAD_FORMAT naming the data file and the model', async () => {
    const t = tempDir();
    try {
      await copyFile(fixture('onnx/external/v1/model.onnx'), join(t.dir, 'model.onnx'));
      await copyFile(fixture('onnx/external/v1/model.onnx.data'), join(t.dir, 'model.onnx.data'));
      await truncate(join(t.dir, 'model.onnx.data'), 100_000);
      const e = await rejection(readLayout(join(t.dir, 'model.onnx.data')));
      expect(e.file).toBe(join(t.dir, 'model.onnx.data'));
      expect(e.message).toMatch(/model\.onnx places tensor ".*" at \[\d+, \d+\) of this file, past its end at 100000 bytes/);
    } finally {
      t.cleanup();
    }
  });

  it('a data file in a subfolder is found through a location with a folder in it', async () => {
    const t = tempDir();
    try {
      const ext = (loc: string, off: number, len: number): Buffer => Buffer.concat([
        pbVarint(1, 2), pbVarint(2, FLOAT), pbBytes(8, 'w'),
        pbBytes(13, Buffer.concat([pbBytes(1, 'location'), pbBytes(2, loc)])),
        pbBytes(13, Buffer.concat([pbBytes(1, 'offset'), pbBytes(2, String(off))])),
        pbBytes(13, Buffer.concat([pbBytes(1, 'length'), pbBytes(2, String(len))])),
        pbVarint(14, 1),
      ]);
      await mkdir(join(t.dir, 'weights'));
      t.file('m.onnx', onnxModel([ext('./weights/../w.data', 8, 8)]));
      t.file('w.data', Buffer.concat([Buffer.alloc(8), f32(1, 2), Buffer.alloc(3)]));
      const l = await readLayout(join(t.dir, 'w.data'));
      expect(l).toMatchObject({ format: 'onnx-external-data', tensors: [{ name: 'w', offset: 8, length: 8, dtype: 'F32', shape: [2] }] });
      // Tied weights pointing at one range: one region.
      t.file('m.onnx', onnxModel([ext('w.data', 8, 8), Buffer.concat([ext('w.data', 8, 8), pbBytes(8, 'w_tied')])]));
      expect((await readLayout(join(t.dir, 'w.data'))).tensors).toHaveLength(1);
    } finally {
      t.cleanup();
    }
  });
});

describe('ONNX hand-made models', () => {
  it('packed float_data of FLOAT is a region; unpacked or split float_data is residual', async () => {
    const packed = Buffer.concat([pbVarint(1, 3), pbVarint(2, FLOAT), pbBytes(8, 'p'), pbBytes(4, f32(1, 2, 3))]);
    const fixed = (v: number): Buffer => Buffer.concat([varint((4 << 3) | 5), f32(v)]);
    const unpacked = Buffer.concat([pbVarint(1, 2), pbVarint(2, FLOAT), pbBytes(8, 'u'), fixed(1), fixed(2)]);
    const split = Buffer.concat([pbVarint(1, 2), pbVarint(2, FLOAT), pbBytes(8, 's'), pbBytes(4, f32(1)), pbBytes(4, f32(2))]);
    const l = await layoutOf(onnxModel([packed, unpacked, split]));
    expect(l.tensors.map((t) => [t.name, t.length])).toEqual([['p', 12]]);
  });

  it('packed dims, a 4-bit type and an unknown future type', async () => {
    const packedDims = Buffer.concat([pbBytes(1, Buffer.concat([varint(2), varint(3)])), pbVarint(2, FLOAT), pbBytes(8, 'pd'), pbBytes(9, Buffer.alloc(24))]);
    const int4 = onnxTensor('i4', 22, [5], Buffer.alloc(3));
    const future = onnxTensor('fut', 99, [7], Buffer.alloc(5));
    const l = await layoutOf(onnxModel([packedDims, int4, future]));
    checkInvariants(l);
    expect(l.tensors.map((t) => [t.name, t.dtype, t.width, t.length, t.shape])).toEqual([
      ['pd', 'F32', 4, 24, [2, 3]], ['i4', 'OTHER', 1, 3, [5]], ['fut', 'OTHER', 1, 5, [7]],
    ]);
  });

  it('a model with no graph, random text, a group, a length past the end, a 64-bit overflow', async () => {
    await badFormat(Buffer.concat([pbVarint(1, 8), pbBytes(2, 'x')]), /expected an ONNX ModelProto with a graph \(field 7\), found none/);
    await badFormat(Buffer.from('hello, this is not a model\n'), /.+/);
    await badFormat(Buffer.from([0x0b, 0x0c]), /field 1 at byte 0: unsupported wire type 3 \(group\)/);
    await badFormat(Buffer.concat([Buffer.from([0x3a]), varint(1000), Buffer.alloc(10)]), /field 7 at byte 0: length 1000 runs past the end/);
    await badFormat(Buffer.from([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]), /varint at byte 1 overflows 64 bits/);
    await badFormat(Buffer.concat([pbVarint(7, 5)]), /ModelProto\.graph \(field 7\) at byte 0: expected wire type 2, found 0/);
  });

  it('raw_data whose length does not match the shape, negative dims, raw_data on a STRING tensor', async () => {
    await badFormat(onnxModel([onnxTensor('w', FLOAT, [3], Buffer.alloc(8))]), /tensor "w" at byte \d+: shape \[3\] of FLOAT needs 12 bytes of raw_data, found 8/);
    await badFormat(onnxModel([onnxTensor('w', FLOAT, [-1], Buffer.alloc(4))]), /dims at byte \d+: expected a non-negative integer, found -1/);
    await badFormat(onnxModel([onnxTensor('s', 8, [1], Buffer.alloc(4))]), /raw_data on a STRING tensor/);
    await badFormat(onnxModel([onnxTensor('w', FLOAT, [1], f32(1)), onnxTensor('w', FLOAT, [1], f32(2))]), /initializer name "w" at byte \d+ is already used by the initializer at byte \d+/);
    const floatOnInt = Buffer.concat([pbVarint(1, 1), pbVarint(2, 6), pbBytes(8, 'i'), pbBytes(4, f32(1))]);
    await badFormat(onnxModel([floatOnInt]), /float_data on a INT32 tensor/);
  });

  it('external data entries that are not numbers, or no location', async () => {
    const ext = (entries: [string, string][]): Buffer => Buffer.concat([
      pbVarint(1, 1), pbVarint(2, FLOAT), pbBytes(8, 'e'), pbVarint(14, 1),
      ...entries.map(([k, v]) => pbBytes(13, Buffer.concat([pbBytes(1, k), pbBytes(2, v)]))),
    ]);
    await badFormat(onnxModel([ext([['location', 'x.bin'], ['offset', '-4']])]), /external_data offset to be a decimal integer, found "-4"/);
    await badFormat(onnxModel([ext([['offset', '0']])]), /data_location is EXTERNAL but external_data names no location/);
    await badFormat(onnxModel([ext([['location', 'x.bin'], ['length', '8']])]), /needs 4 bytes, external_data length says 8/);
  });

  it('subgraphs nested past the limit are refused, not recursed into without end', async () => {
    let graph = pbBytes(5, onnxTensor('w', FLOAT, [1], f32(1)));
    for (let i = 0; i < 40; i++) {
      const attr = Buffer.concat([pbBytes(1, 'body'), pbBytes(6, graph)]);
      graph = pbBytes(1, Buffer.concat([pbBytes(3, `n${i}`), pbBytes(5, attr)]));
    }
    await badFormat(Buffer.concat([pbVarint(1, 8), pbBytes(7, graph)]), /graphs nested more than 32 deep/);
  });

  it('a 4 GB model with its weights inline is walked in bounded memory', async () => {
    const t = tempDir();
    try {
      // One FLOAT initializer of 2^30 elements: 4 GiB of raw_data, a sparse file.
      const n = 2 ** 30;
      const tensorHead = Buffer.concat([pbVarint(1, n), pbVarint(2, FLOAT), pbBytes(8, 'huge'), varint((9 << 3) | 2), varint(4 * n)]);
      const tensorLen = tensorHead.length + 4 * n;
      const graphHead = Buffer.concat([varint((5 << 3) | 2), varint(tensorLen)]);
      const graphLen = graphHead.length + tensorLen;
      const head = Buffer.concat([pbVarint(1, 8), varint((7 << 3) | 2), varint(graphLen), graphHead, tensorHead]);
      const p = join(t.dir, 'huge.onnx');
      await writeFile(p, head);
      await truncate(p, head.length + 4 * n);
      const before = process.memoryUsage().rss;
      const l = await readLayout(p);
      expect(l.tensors).toEqual([{ name: 'huge', dtype: 'F32', shape: [n], offset: head.length, length: 4 * n, width: 4, littleEndian: true }]);
      expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 * 1024);
    } finally {
      t.cleanup();
    }
  });
});

describe('ONNX fuzzing: truncations and flipped bytes give BAD_FORMAT or a valid layout', () => {
  const check = async (bytes: Buffer, name: string): Promise<void> => {
    const t = tempDir();
    try {
      const p = t.file(name, bytes);
      try {
        checkInvariants(await readLayout(p));
      } catch (e) {
        expect(e).toBeInstanceOf(WeightlineError);
        expect((e as WeightlineError).code).toBe('BAD_FORMAT');
        expect((e as WeightlineError).file).toBe(p);
      }
    } finally {
      t.cleanup();
    }
  };

  it('every truncation of a small model', async () => {
    const good = readFileSync(fixture('onnx/typed-fields.onnx'));
    for (let n = 1; n < good.length; n += 3) await check(good.subarray(0, n), 'm.onnx');
  });

  it('truncations of an exported model', async () => {
    const good = readFileSync(fixture('onnx/finetune/v1.onnx'));
    for (let n = 1; n < good.length; n += 1999) await check(good.subarray(0, n), 'm.onnx');
  });

  it('flipped bytes outside the tensor data', async () => {
    const good = readFileSync(fixture('onnx/finetune/v1.onnx'));
    const layout = await readLayout(fixture('onnx/finetune/v1.onnx'));
    const residual: number[] = [];
    let pos = 0;
    for (const t of [...layout.tensors, { offset: good.length, length: 0 }]) {
      for (let i = pos; i < t.offset; i++) residual.push(i);
      pos = t.offset + t.length;
    }
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(residual.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), async (edits) => {
        const bytes = Buffer.from(good);
        for (const [i, v] of edits) bytes[residual[i]!] = v;
        await check(bytes, 'm.onnx');
      }),
      { numRuns: 300 },
    );
  });

  it('flipped bytes in a model with external data, read from the data file', async () => {
    const t = tempDir();
    try {
      const model = readFileSync(fixture('onnx/external-bin/small.onnx'));
      await copyFile(fixture('onnx/external-bin/weights.bin'), join(t.dir, 'weights.bin'));
      await fc.assert(
        fc.asyncProperty(fc.array(fc.tuple(fc.nat(model.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }), async (edits) => {
          const bytes = Buffer.from(model);
          for (const [i, v] of edits) bytes[i] = v;
          const h = await open(join(t.dir, 'small.onnx'), 'w');
          await h.writeFile(bytes);
          await h.close();
          // A model that no longer parses is skipped (generic); one that still parses but
          // places a tensor past the data file's end makes the data file BAD_FORMAT.
          try {
            checkInvariants(await readLayout(join(t.dir, 'weights.bin')));
          } catch (e) {
            expect((e as WeightlineError).code).toBe('BAD_FORMAT');
            expect((e as WeightlineError).file).toBe(join(t.dir, 'weights.bin'));
          }
        }),
        { numRuns: 200 },
      );
    } finally {
      t.cleanup();
    }
  });
});
