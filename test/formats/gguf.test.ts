import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gguf } from '@huggingface/gguf';
import { afterAll, describe, expect, it } from 'vitest';
import { readGgufLayout } from '../../src-main/core/formats/gguf';
import { readLayout } from '../../src-main/core/formats/detect';
import { checkInvariants, FIXTURES, rejection, tempDir } from './helpers';
import { checkLayout, cutsOf, fuzzEdits, fuzzTruncations, parseFile, sidecar } from './formats-a-helpers';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const EXPECTED = sidecar('gguf');
const VERSIONS = Object.keys(EXPECTED).sort();
const path = (name: string): string => join(FIXTURES, 'gguf', name);

// --- a small GGUF writer for hand-made hostile files ---

function str(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  const n = Buffer.alloc(8);
  n.writeBigUInt64LE(BigInt(b.length));
  return Buffer.concat([n, b]);
}
const u32 = (v: number): Buffer => { const b = Buffer.alloc(4); b.writeUInt32LE(v); return b; };
const u64 = (v: number | bigint): Buffer => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); return b; };

interface Info { name: string; dims: number[]; type: number; offset: number }

function ggufBytes(opts: { kvs?: Buffer[]; infos: Info[]; data: number; version?: number; alignment?: number }): Buffer {
  const kvs = opts.kvs ?? [];
  const header = Buffer.concat([
    Buffer.from('GGUF'), u32(opts.version ?? 3), u64(opts.infos.length), u64(kvs.length), ...kvs,
    ...opts.infos.map((t) => Buffer.concat([str(t.name), u32(t.dims.length), ...t.dims.map(u64), u32(t.type), u64(t.offset)])),
  ]);
  const align = opts.alignment ?? 32;
  const pad = Buffer.alloc((align - (header.length % align)) % align);
  return Buffer.concat([header, pad, Buffer.alloc(opts.data, 0x3c)]);
}

async function layoutOf(name: string, bytes: Uint8Array) {
  return readGgufLayout(tmp.file(name, bytes), bytes.length);
}

describe('readGgufLayout on the fine-tuning sequence', () => {
  for (const name of VERSIONS) {
    it(`${name}: every tensor at the offset the writer put it, with its bytes`, async () => {
      const layout = await parseFile(readGgufLayout, path(name));
      await checkLayout(path(name), layout, EXPECTED[name]!);
    });
  }

  it('F32/F16 tensors are decodable numbers, Q8_0 blocks are opaque bytes of the block table\'s length', async () => {
    const layout = await parseFile(readGgufLayout, path(VERSIONS[0]!));
    const q = layout.tensors.find((t) => t.name === 'blk.0.attn_q.weight')!;
    expect(q).toMatchObject({ dtype: 'OTHER', width: 1, littleEndian: false, shape: [64, 64], length: (64 * 64 / 32) * 34 });
    expect(layout.tensors.find((t) => t.name === 'token_embd.weight')).toMatchObject({ dtype: 'F16', width: 2, littleEndian: true, shape: [128, 64] });
    expect(layout.tensors.find((t) => t.name === 'blk.0.ffn_up.weight')).toMatchObject({ dtype: 'F32', width: 4, shape: [96, 64] });
  });

  it('agrees with @huggingface/gguf on every tensor\'s name, dims, type and absolute offset', async () => {
    for (const name of VERSIONS) {
      const ours = await parseFile(readGgufLayout, path(name));
      const theirs = await gguf(path(name), { allowLocalFile: true });
      expect(theirs.tensorInfos.map((t) => t.name).sort()).toEqual(ours.tensors.map((t) => t.name).sort());
      for (const info of theirs.tensorInfos) {
        const t = ours.tensors.find((x) => x.name === info.name)!;
        expect(t.offset, info.name).toBe(Number(theirs.tensorDataOffset + info.offset));
        expect(t.shape, info.name).toEqual(info.shape.map(Number).reverse());
        expect(t.dtype === 'OTHER', info.name).toBe(info.dtype === 8);
      }
    }
  });

  it('the metadata edit moves the data block; general.alignment 64 is honoured', async () => {
    const offsetOf = async (n: string) => (await parseFile(readGgufLayout, path(n))).tensors[0]!.offset;
    expect(await offsetOf('ckpt-0003.gguf')).toBeGreaterThan(await offsetOf('ckpt-0002.gguf'));
    const v4 = await parseFile(readGgufLayout, path('ckpt-0004.gguf'));
    const start = v4.tensors[0]!.offset;
    expect(start % 64).toBe(0);
    for (const t of v4.tensors) expect((t.offset - start) % 64).toBe(0);
  });

  it('detect.ts sends .gguf here', async () => {
    expect((await readLayout(path(VERSIONS[0]!))).format).toBe('gguf');
  });
});

describe('readGgufLayout on odd but valid files', () => {
  it('a tensor of a type this reader does not know stays in the residual; the others are still found', async () => {
    const bytes = ggufBytes({ infos: [{ name: 'a', dims: [8], type: 0, offset: 0 }, { name: 'b', dims: [8], type: 200, offset: 32 }], data: 64 });
    const layout = await layoutOf('unknown-type.gguf', bytes);
    expect(layout.tensors.map((t) => t.name)).toEqual(['a']);
  });

  it('version 2 files and files with no tensors', async () => {
    expect((await layoutOf('v2.gguf', ggufBytes({ version: 2, infos: [{ name: 'w', dims: [4, 2], type: 1, offset: 0 }], data: 16 }))).tensors)
      .toMatchObject([{ name: 'w', dtype: 'F16', shape: [2, 4], length: 16 }]);
    expect((await layoutOf('none.gguf', ggufBytes({ infos: [], data: 0 }))).tensors).toEqual([]);
  });

  it('big-endian files keep their regions, not as decodable numbers', async () => {
    const le = ggufBytes({ infos: [{ name: 'w', dims: [4], type: 0, offset: 0 }], data: 16 });
    // Re-encode the header's numbers big-endian.
    const be = Buffer.concat([
      Buffer.from('GGUF'), Buffer.from([0, 0, 0, 3]), Buffer.from(u64(1).reverse()), Buffer.from(u64(0).reverse()),
      Buffer.from(u64(1).reverse()), Buffer.from('w'), Buffer.from(u32(1).reverse()), Buffer.from(u64(4).reverse()),
      Buffer.from(u32(0).reverse()), Buffer.from(u64(0).reverse()),
    ]);
    const padded = Buffer.concat([be, Buffer.alloc((32 - (be.length % 32)) % 32), Buffer.alloc(16)]);
    expect(le.length).toBe(padded.length);
    expect((await layoutOf('be.gguf', padded)).tensors).toMatchObject([{ name: 'w', dtype: 'OTHER', width: 4, littleEndian: false }]);
  });

  it('skips arrays of strings and nested arrays in the key/values', async () => {
    const arr = Buffer.concat([str('tok'), u32(9), u32(8), u64(3), str('a'), str('bb'), str('')]);
    const nested = Buffer.concat([str('n'), u32(9), u32(9), u64(2), u32(4), u64(1), u32(7), u32(6), u64(2), Buffer.alloc(8)]);
    const layout = await layoutOf('kv.gguf', ggufBytes({ kvs: [arr, nested], infos: [{ name: 'w', dims: [2], type: 0, offset: 0 }], data: 8 }));
    expect(layout.tensors).toMatchObject([{ name: 'w', length: 8 }]);
  });
});

describe('readGgufLayout refuses broken files with BAD_FORMAT naming the file and the byte', () => {
  const w = (over: Partial<Info> = {}): Info => ({ name: 'w', dims: [32], type: 0, offset: 0, ...over });
  const cases: [string, Buffer, RegExp][] = [
    ['bad magic', Buffer.concat([Buffer.from('GGUX'), Buffer.alloc(40)]), /expected the magic "GGUF" at byte 0, found "GGUX"/],
    ['version 1', ggufBytes({ version: 1, infos: [], data: 0 }), /expected GGUF version 2 or 3 at byte 4, found 1 \(version 1 is not supported\)/],
    ['a tensor count beyond the file', Buffer.concat([Buffer.from('GGUF'), u32(3), u64(2n ** 62n), u64(0), Buffer.alloc(16)]), /tensor count: expected at most \d+ \(the file size\), found 4611686018427387904 at byte 8/],
    ['a string length beyond the file', Buffer.concat([Buffer.from('GGUF'), u32(3), u64(0), u64(1), u64(1e6), Buffer.alloc(16)]), /key 0 length: expected at most \d+ .* at byte 24|expected 1000000 bytes of key 0 at byte 32/],
    ['a data offset not on the alignment', ggufBytes({ infos: [w({ offset: 4 })], data: 256 }), /expected a data offset that is a multiple of 32, found 4/],
    ['tensor data past the end', ggufBytes({ infos: [w({ dims: [24] })], data: 64 }), /expected 96 bytes of F32 data at byte \d+, found the file ends at byte \d+/],
    ['overlapping tensors', ggufBytes({ infos: [w(), w({ name: 'v' })], data: 128 }), /tensor "v" starts at byte \d+, inside "w"/],
    ['a duplicate name', ggufBytes({ infos: [w(), w({ offset: 128 })], data: 256 }), /expected unique tensor names, found it twice/],
    ['a quantized row not a multiple of the block', ggufBytes({ infos: [w({ type: 8, dims: [33] })], data: 64 }), /multiple of the Q8_0 block size 32, found 33/],
    ['five dimensions', ggufBytes({ infos: [w({ dims: [1, 1, 1, 1, 32] })], data: 128 }), /expected at most 4 dimensions, found 5/],
    ['an alignment that is not a power of two', ggufBytes({ kvs: [Buffer.concat([str('general.alignment'), u32(4), u32(48)])], infos: [], data: 0 }), /general.alignment: expected a power of two, found 48/],
    ['an alignment of the wrong type', ggufBytes({ kvs: [Buffer.concat([str('general.alignment'), u32(10), u64(64)])], infos: [], data: 0 }), /general.alignment: expected a u32 \(type 4\), found type 10/],
    ['an unknown value type', ggufBytes({ kvs: [Buffer.concat([str('k'), u32(13), u32(0)])], infos: [], data: 0 }), /key "k": expected a value type 0..12, found 13/],
    ['an array of too many strings', ggufBytes({ kvs: [Buffer.concat([str('k'), u32(9), u32(8), u64(40)])], infos: [], data: 0 }), /array "k": 40 strings cannot fit in the \d+ bytes left after byte \d+/],
    ['a header shorter than 24 bytes', Buffer.from('GGUF\x03\0\0\0'), /expected a GGUF header of 24 bytes, found a 8-byte file/],
  ];
  for (const [what, bytes, message] of cases) {
    it(what, async () => {
      const file = tmp.file(`${what.replace(/\W+/g, '-')}.gguf`, bytes);
      const err = await rejection(readGgufLayout(file, bytes.length));
      expect(err.message).toMatch(message);
      expect(err.file).toBe(file);
    });
  }
});

describe('readGgufLayout fuzzed', () => {
  const good = readFileSync(path('ckpt-0003.gguf'));
  const layout0 = readGgufLayout(path('ckpt-0003.gguf'), good.length);
  let n = 0;
  const write = (data: Uint8Array) => tmp.file(`fuzz-${n++ % 8}.gguf`, data);

  it('every truncation in the header, and of the data, is BAD_FORMAT', async () => {
    const dataStart = (await layout0).tensors[0]!.offset;
    const cuts = cutsOf(good.length, dataStart + 64, 3);
    const bad = await fuzzTruncations(readGgufLayout, good, write, cuts);
    expect(bad).toBe(cuts.length);
  }, 120_000);

  it('random edits of the header give BAD_FORMAT or a valid layout, never a crash or a hang', async () => {
    const dataStart = (await layout0).tensors[0]!.offset;
    await fuzzEdits(readGgufLayout, good, write, { runs: 600, seed: 13, within: dataStart });
  }, 120_000);

  it('a valid layout after edits still keeps FileLayout\'s promises', async () => {
    checkInvariants(await layout0);
  });
});
