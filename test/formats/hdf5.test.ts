import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readLayout } from '../../src-main/core/formats/detect';
import { readHdf5Layout } from '../../src-main/core/formats/hdf5';
import { readKerasLayout } from '../../src-main/core/formats/keras';
import { FIXTURES, makeZip, rejection, tempDir } from './helpers';
import { checkLayout, cutsOf, fuzzEdits, fuzzTruncations, parseFile, sidecar } from './formats-a-helpers';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const EXPECTED = sidecar('keras');
const path = (name: string): string => join(FIXTURES, 'keras', name);

describe('HDF5 and Keras files: regions where h5py says the data is', () => {
  for (const name of Object.keys(EXPECTED).sort()) {
    it(`${name}`, async () => {
      const layout = await readLayout(path(name)); // through detect.ts, by extension
      await checkLayout(path(name), layout, EXPECTED[name]!);
    });
  }

  it('Keras 2 names are full HDF5 paths, Keras 3 names are layers/<layer>/vars/<i>', async () => {
    const k2 = await parseFile(readHdf5Layout, path('keras2-0001.h5'));
    expect(k2.tensors.map((t) => t.name)).toContain('model_weights/dense_1/dense_1/kernel:0');
    const k3 = await parseFile(readKerasLayout, path('keras3-0001.keras'));
    expect(k3.format).toBe('keras');
    expect(k3.tensors.map((t) => t.name)).toContain('layers/dense_2/vars/0');
  });

  it('mixed.h5: chunked, compressed, compact, string, empty and never-written datasets stay in the residual; a second name and a cycle are walked once', async () => {
    const names = (await parseFile(readHdf5Layout, path('mixed.h5'))).tensors.map((t) => t.name);
    for (const n of ['chunked', 'compressed', 'compact', 'strings', 'empty', 'unwritten']) expect(names).not.toContain(n);
    expect(names).toContain('hard');
    expect(names).not.toContain('nested/deeper/w');
    expect(names.filter((n) => n.includes('up/'))).toEqual([]);
  });

  it('big-endian data keeps its region, not as decodable numbers', async () => {
    const t = (await parseFile(readHdf5Layout, path('mixed.h5'))).tensors.find((x) => x.name === 'big_endian');
    expect(t).toMatchObject({ dtype: 'OTHER', width: 4, littleEndian: false, length: 24 });
  });

  it('covers superblocks v0, v2 and v3 and a user block', () => {
    const version = (n: string) => readFileSync(path(n))[8];
    expect([version('keras2-0001.h5'), version('v108.h5'), version('latest.weights.h5')]).toEqual([0, 2, 3]);
    expect(readFileSync(path('userblock.h5')).subarray(512, 516).toString('latin1')).toBe('\x89HDF');
  });
});

describe('.keras zips', () => {
  it('a .keras without a stored model.weights.h5 is generic', async () => {
    const zip = makeZip([{ name: 'config.json', data: Buffer.from('{}') }, { name: 'model.weights.npz', data: Buffer.alloc(10) }]);
    const p = tmp.file('npz.keras', zip);
    expect((await readKerasLayout(p, zip.length)).format).toBe('generic');
  });

  it('a .keras whose weights entry is not HDF5 is BAD_FORMAT', async () => {
    const zip = makeZip([{ name: 'model.weights.h5', data: Buffer.from('not an hdf5 file at all, truly') }]);
    const p = tmp.file('bad.keras', zip);
    const err = await rejection(readKerasLayout(p, zip.length));
    expect(err.message).toMatch(/HDF5: expected the signature .* at byte \d+/);
  });

  it('a .keras that is not a zip is BAD_FORMAT', async () => {
    const p = tmp.file('nozip.keras', Buffer.from('hello, this is not a zip'));
    await rejection(readKerasLayout(p, 24));
  });
});

describe('HDF5 refuses broken files with BAD_FORMAT naming the file', () => {
  it('no signature', async () => {
    const p = tmp.file('x.h5', Buffer.alloc(4096, 1));
    const err = await rejection(readHdf5Layout(p, 4096));
    expect(err.message).toMatch(/expected the signature \\x89HDF\\r\\n\\x1a\\n at byte 0 \(or 512, 1024, \.\.\. after a user block\)/);
    expect(err.file).toBe(p);
  });

  it('an unknown superblock version', async () => {
    const b = Buffer.from(readFileSync(path('keras2-0001.h5')));
    b[8] = 7;
    const err = await rejection(readHdf5Layout(tmp.file('sb.h5', b), b.length));
    expect(err.message).toMatch(/expected superblock version 0..3 at byte 8, found 7/);
  });

  it('a dataset whose data runs past the end of the file', async () => {
    const good = readFileSync(path('keras2-0001.h5'));
    const last = (await parseFile(readHdf5Layout, path('keras2-0001.h5'))).tensors.at(-1)!;
    const cut = good.subarray(0, last.offset + last.length - 1);
    const err = await rejection(readHdf5Layout(tmp.file('cut.h5', cut), cut.length));
    expect(err.message).toMatch(/expected 2560 bytes of data at byte \d+, found the data ends at byte \d+/);
  });
});

describe('HDF5 fuzzed', () => {
  let n = 0;
  const write = (ext: string) => (d: Uint8Array) => tmp.file(`fuzz-${n++ % 8}${ext}`, d);

  for (const name of ['keras2-0002.h5', 'latest.weights.h5', 'mixed.h5']) {
    it(`${name}: truncations and random edits give BAD_FORMAT or a valid layout, never a crash or a hang`, async () => {
      const good = readFileSync(path(name));
      await fuzzTruncations(readHdf5Layout, good, write('.h5'), cutsOf(good.length, good.length, 61));
      await fuzzEdits(readHdf5Layout, good, write('.h5'), { runs: 500, seed: 17 });
    }, 120_000);
  }

  it('keras3-0002.keras: random edits give BAD_FORMAT or a valid layout', async () => {
    const good = readFileSync(path('keras3-0002.keras'));
    await fuzzTruncations(readKerasLayout, good, write('.keras'), cutsOf(good.length, good.length, 997));
    await fuzzEdits(readKerasLayout, good, write('.keras'), { runs: 300, seed: 19 });
  }, 120_000);
});
