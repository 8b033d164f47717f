// TensorFlow tensor bundles (variables.index + variables.data-K-of-N),
// written from the specification by test/fixtures/make_formats_b.py (no
// TensorFlow on this machine), and hand-made hostile tables.

import { readFileSync } from 'node:fs';
import { copyFile, cp, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readLayout } from '../../src-main/core/formats/detect';
import { checkpointFamily } from '../../src-main/core/formats/checkpoint-names';
import { crc32c, maskCrc } from '../../src-main/core/formats/leveldb-table';
import { readTfBundle } from '../../src-main/core/formats/tf-checkpoint';
import { WeightlineError } from '../../src-shared/errors';
import { checkAgainstExpected, checkInvariants, fixture, rejection, tempDir, type ExpectedFile } from './helpers';
import { leveldbTable, tfEntry, tfHeader } from './pb';

const EXPECTED = JSON.parse(readFileSync(fixture('tf/expected.json'), 'utf8')) as { files: Record<string, ExpectedFile> };
const DT_FLOAT = 1;
const DT_STRING = 7;
const SHARD = 'variables.data-00000-of-00001';

/** A bundle in a temp folder: the index from these entries, one shard of `data`. */
function bundle(entries: [string, Buffer][], data: Buffer, opts: { compression?: number; shardName?: string } = {}): { dir: string; index: string; shard: string; cleanup: () => void } {
  const t = tempDir();
  const index = t.file('variables.index', leveldbTable(entries.map(([k, v]) => [Buffer.from(k, 'latin1'), v]), opts));
  const shard = t.file(opts.shardName ?? SHARD, data);
  return { dir: t.dir, index, shard, cleanup: t.cleanup };
}

describe('TF bundles written from the specification', () => {
  for (const rel of Object.keys(EXPECTED.files).sort()) {
    it(`${rel}: every tensor at the bytes the writer put there`, async () => {
      const p = fixture(`tf/${rel}`);
      await checkAgainstExpected(p, await readLayout(p), EXPECTED.files[rel]!);
    });
  }

  it('crc32c and its mask match the published check values', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(32))).toBe(0x8a9136aa);
    expect(maskCrc(0)).toBe(0xa282ead8);
  });

  it('reads the header and every entry: string tensors and the header stay residual', async () => {
    const b = await readTfBundle(fixture('tf/sharded/v1/variables.index'), readFileSync(fixture('tf/sharded/v1/variables.index')).length);
    expect(b.numShards).toBe(2);
    expect(b.littleEndian).toBe(true);
    expect(b.entries.map((e) => e.name)).toContain('_CHECKPOINTABLE_OBJECT_GRAPH');
    const shard0 = await readLayout(fixture('tf/sharded/v1/variables.data-00000-of-00002'));
    expect(shard0.tensors.map((t) => t.name)).not.toContain('_CHECKPOINTABLE_OBJECT_GRAPH');
    expect(shard0.tensors.find((t) => t.name.startsWith('model/embed'))).toMatchObject({ dtype: 'BF16', width: 2 });
  });

  it('a shard without its index beside it is generic; an .index that is not a table and has no shard is generic', async () => {
    const t = tempDir();
    try {
      await copyFile(fixture(`tf/savedmodel/v1/variables/${SHARD}`), join(t.dir, SHARD));
      expect(await readLayout(join(t.dir, SHARD))).toMatchObject({ format: 'generic', tensors: [] });
      const other = t.file('search.index', 'some other tool\'s index\n');
      expect((await readLayout(other)).format).toBe('generic');
    } finally {
      t.cleanup();
    }
  });

  it('numbered checkpoint names map to one family key, so a rename can find its predecessor', () => {
    expect(checkpointFamily('ckpt-3.index')).toBe('ckpt-*.index');
    expect(checkpointFamily('run/ckpt-12.data-00001-of-00002')).toBe('run/ckpt-*.data-00001-of-00002');
    expect(checkpointFamily('model.ckpt-1000.index')).toBe('model.ckpt-*.index');
    expect(checkpointFamily('variables/variables.index')).toBeNull();
    expect(checkpointFamily('ckpt-3.pt')).toBeNull();
  });

  it('tf.train.Checkpoint names (ckpt-3.index, ckpt-3.data-…) are read the same way', async () => {
    const l = await readLayout(fixture('tf/ckpt-manager/v3/ckpt-3.index'));
    expect(l).toMatchObject({ format: 'tf-checkpoint', tensors: [] });
  });
});

describe('TF bundles that are broken or hostile', () => {
  const f32data = Buffer.from(new Float32Array([1, 2, 3, 4]).buffer);
  const good = (): [string, Buffer][] => [['', tfHeader(1)], ['w', tfEntry(DT_FLOAT, [4], 0, 0, 16)]];

  it('a hand-made bundle reads', async () => {
    const b = bundle(good(), f32data);
    try {
      expect((await readLayout(b.shard)).tensors).toEqual([{ name: 'w', dtype: 'F32', shape: [4], offset: 0, length: 16, width: 4, littleEndian: true }]);
    } finally {
      b.cleanup();
    }
  });

  const cases: [string, [string, Buffer][], Buffer, RegExp, { compression?: number; shardName?: string }?][] = [
    ['a snappy-compressed block', [['', tfHeader(1)]], f32data, /snappy-compressed; Weightline reads only uncompressed tables/, { compression: 1 }],
    ['an unknown compression type', [['', tfHeader(1)]], f32data, /unknown compression type 7/, { compression: 7 }],
    ['no header entry', [['w', tfEntry(DT_FLOAT, [4], 0, 0, 16)]], f32data, /expected the bundle header \(the entry with the empty key\) first/],
    ['zero shards', [['', tfHeader(0)]], f32data, /expected num_shards between 1 and 99999, found 0/],
    ['keys out of order', [['', tfHeader(1)], ['b', tfEntry(DT_FLOAT, [1], 0, 0, 4)], ['a', tfEntry(DT_FLOAT, [1], 0, 4, 4)]], f32data, /keys out of order/],
    ['a size that does not fit the shape', [['', tfHeader(1)], ['w', tfEntry(DT_FLOAT, [4], 0, 0, 12)]], f32data, /shape \[4\] of DT_FLOAT needs 16 bytes, found size 12/],
    ['a shard id past num_shards', [['', tfHeader(1)], ['w', tfEntry(DT_FLOAT, [4], 3, 0, 16)]], f32data, /shard_id 3 is not below num_shards 1/],
    ['a tensor past the end of the shard', [['', tfHeader(1)], ['w', tfEntry(DT_FLOAT, [4], 0, 8, 16)]], f32data, /places "w" at \[8, 24\) of this shard, past its end at 16 bytes/],
    ['overlapping tensors', [['', tfHeader(1)], ['a', tfEntry(DT_FLOAT, [2], 0, 0, 8)], ['b', tfEntry(DT_FLOAT, [2], 0, 4, 8)]], f32data, /places "b" at byte 4, inside "a" \[0, 8\)/],
    ['a shard count that disagrees with the name', [['', tfHeader(2)], ['w', tfEntry(DT_FLOAT, [4], 0, 0, 16)]], f32data, /the file name says 1 shards, its index .* says 2/],
  ];
  for (const [what, entries, data, pattern, opts] of cases) {
    it(`${what}: BAD_FORMAT on the index and on the shard, naming each`, async () => {
      const b = bundle(entries, data, opts);
      try {
        const onShard = await rejection(readLayout(b.shard));
        expect(onShard.file).toBe(b.shard);
        expect(onShard.message).toMatch(pattern);
        if (!/shard|name says|inside/.test(pattern.source)) {
          const onIndex = await rejection(readLayout(b.index));
          expect(onIndex.file).toBe(b.index);
          expect(onIndex.message).toMatch(pattern);
        }
      } finally {
        b.cleanup();
      }
    });
  }

  it('string tensors are not regions (their bytes are lengths, a crc and text)', async () => {
    const b = bundle([['', tfHeader(1)], ['s', tfEntry(DT_STRING, [], 0, 0, 16)]], f32data);
    try {
      expect(await readLayout(b.shard)).toMatchObject({ format: 'tf-checkpoint', tensors: [] });
    } finally {
      b.cleanup();
    }
  });

  it('a damaged block fails its checksum', async () => {
    const t = tempDir();
    try {
      await cp(fixture('tf/savedmodel/v1/variables'), t.dir, { recursive: true });
      const bytes = readFileSync(join(t.dir, 'variables.index'));
      bytes[20] = bytes[20]! ^ 0x01;
      t.file('variables.index', bytes);
      const e = await rejection(readLayout(join(t.dir, SHARD)));
      expect(e.message).toMatch(/its index does not parse: .*variables\.index: data block at byte 0: expected masked crc32c 0x[0-9a-f]{8}, found 0x[0-9a-f]{8}/);
      await truncate(join(t.dir, 'variables.index'), 30);
      expect((await rejection(readLayout(join(t.dir, 'variables.index')))).message).toMatch(/expected at least the 48-byte table footer, found a 30-byte file/);
    } finally {
      t.cleanup();
    }
  });

  it('truncations and flipped bytes of a real index give BAD_FORMAT or a valid layout', async () => {
    const t = tempDir();
    try {
      await cp(fixture('tf/sharded/v1'), t.dir, { recursive: true });
      const good = readFileSync(fixture('tf/sharded/v1/variables.index'));
      const check = async (bytes: Buffer): Promise<void> => {
        t.file('variables.index', bytes);
        for (const f of ['variables.index', 'variables.data-00000-of-00002', 'variables.data-00001-of-00002']) {
          try {
            checkInvariants(await readLayout(join(t.dir, f)));
          } catch (e) {
            expect(e).toBeInstanceOf(WeightlineError);
            expect((e as WeightlineError).code).toBe('BAD_FORMAT');
            expect((e as WeightlineError).file).toBe(join(t.dir, f));
          }
        }
      };
      for (let n = 0; n < good.length; n += 7) await check(good.subarray(0, n));
      await fc.assert(
        fc.asyncProperty(fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }), async (edits) => {
          const bytes = Buffer.from(good);
          for (const [i, v] of edits) bytes[i] = v;
          await check(bytes);
        }),
        { numRuns: 300 },
      );
    } finally {
      t.cleanup();
    }
  });
});
