import { copyFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLayout } from '../../src-main/core/formats/detect';
import { parsePicklePrefix } from '../../src-main/core/formats/pickle';
import { readPytorchLayout } from '../../src-main/core/formats/pytorch';
import { checkAgainstExpected, expectedFor, fixture, FIXTURES, MARKER, rejection, tempDir } from './helpers';
import { checkLayout, cutsOf, fuzzEdits, fuzzTruncations, parseFile, sidecar } from './formats-a-helpers';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const EXPECTED = sidecar('pytorch-legacy');
const VERSIONS = Object.keys(EXPECTED).sort();
const path = (name: string): string => join(FIXTURES, 'pytorch-legacy', name);

/** The five pickles and the storage records of a legacy file, as byte slices. */
function split(bytes: Buffer): { pickles: Buffer[]; storages: Buffer } {
  const pickles: Buffer[] = [];
  let pos = 0;
  for (let i = 0; i < 5; i++) {
    const { end } = parsePicklePrefix(bytes.subarray(pos));
    pickles.push(bytes.subarray(pos, pos + end));
    pos += end;
  }
  return { pickles, storages: bytes.subarray(pos) };
}

async function layoutOf(name: string, bytes: Uint8Array) {
  return readPytorchLayout(tmp.file(name, bytes), bytes.length);
}

describe('legacy torch.save files', () => {
  for (const name of VERSIONS) {
    it(`${name}: one region per storage, named by its state-dict key`, async () => {
      await checkLayout(path(name), await parseFile(readPytorchLayout, path(name)), EXPECTED[name]!);
    });
  }

  it('legacy.pt (make_fixtures.py) has the same storages as the zip tiny.pt, views and slices included', async () => {
    await checkAgainstExpected(fixture('legacy.pt'), await parseFile(readPytorchLayout, fixture('legacy.pt')), expectedFor('legacy.pt'));
    const zip = expectedFor('tiny.pt').tensors.map((t) => [t.name, t.sha256]).sort();
    expect(expectedFor('legacy.pt').tensors.map((t) => [t.name, t.sha256]).sort()).toEqual(zip);
  });

  it('storages follow the key list (sorted storage keys), not the tree', async () => {
    const layout = await parseFile(readPytorchLayout, path(VERSIONS[0]!));
    expect(layout.format).toBe('pytorch-legacy');
    // Each region sits right behind its 8-byte element count.
    const bytes = readFileSync(path(VERSIONS[0]!));
    for (const t of layout.tensors) expect(Number(bytes.readBigUInt64LE(t.offset - 8)) * t.width).toBe(t.length);
  });

  it('a .bin holding a legacy checkpoint is read as one; a .bin holding some other pickle stays generic', async () => {
    const p = join(tmp.dir, 'pytorch_model.bin');
    copyFileSync(path(VERSIONS[0]!), p);
    expect((await readLayout(p)).format).toBe('pytorch-legacy');
    const other = tmp.file('other.bin', Buffer.from([0x80, 0x02, 0x4b, 0x07, 0x2e])); // pickle of 7
    expect((await readLayout(other)).format).toBe('generic');
    const junk = tmp.file('junk.bin', Buffer.from([0x80, 0xff, 0xff, 0xff]));
    expect((await readLayout(junk)).format).toBe('generic');
  });
});

describe('legacy torch.save: odd and broken files', () => {
  const good = readFileSync(path(VERSIONS[0]!));
  const { pickles, storages } = split(good);
  const withPickle = (i: number, replacement: Buffer, rest = storages) =>
    Buffer.concat([...pickles.map((p, j) => (j === i ? replacement : p)), rest]);

  beforeAll(() => rmSync(MARKER, { force: true }));
  afterAll(() => expect(existsSync(MARKER)).toBe(false));

  it('a pickle that is not torch\'s (no magic number) is generic, and its code never runs', async () => {
    expect((await parseFile(readPytorchLayout, fixture('malicious-legacy.pt'))).format).toBe('generic');
    expect((await layoutOf('plain.pt', Buffer.from([0x80, 0x02, 0x4b, 0x07, 0x2e]))).format).toBe('generic');
  });

  it('another protocol version is BAD_FORMAT', async () => {
    const err = await rejection(layoutOf('proto.pt', withPickle(1, Buffer.from([0x80, 0x02, 0x4d, 0xea, 0x03, 0x2e])))); // 1002
    expect(err.message).toMatch(/expected protocol version 1001, found 1002 at byte 15/);
  });

  it('a key list naming a storage the tree does not use is BAD_FORMAT', async () => {
    const keys = Buffer.from([0x80, 0x02, 0x5d, 0x58, 1, 0, 0, 0, 0x7a, 0x61, 0x2e]); // ['z']
    const err = await rejection(layoutOf('keys.pt', withPickle(4, keys)));
    expect(err.message).toMatch(/storage key "z" is listed, expected the object tree to reference it/);
  });

  it('a key list that is not a list is BAD_FORMAT', async () => {
    const err = await rejection(layoutOf('notlist.pt', withPickle(4, Buffer.from([0x80, 0x02, 0x4b, 0x07, 0x2e]))));
    expect(err.message).toMatch(/expected a list of storage keys at byte \d+, found 7/);
  });

  it('an element count beyond the file is BAD_FORMAT', async () => {
    const s = Buffer.from(storages);
    s.writeBigUInt64LE(1n << 60n, 0);
    const err = await rejection(layoutOf('count.pt', withPickle(-1, Buffer.alloc(0), s)));
    expect(err.message).toMatch(/expected \d+ bytes \(1152921504606846976 elements of 4\) at byte \d+, found \d+ bytes left in the file/);
  });

  it('bytes after the last storage stay in the residual', async () => {
    const layout = await layoutOf('trailing.pt', Buffer.concat([good, Buffer.from('trailing')]));
    expect(layout.tensors.map((t) => t.name).sort()).toEqual(EXPECTED[VERSIONS[0]!]!.tensors.map((t) => t.name).sort());
  });

  it('every truncation is BAD_FORMAT', async () => {
    let n = 0;
    const cuts = cutsOf(good.length, good.length, 97);
    const bad = await fuzzTruncations(readPytorchLayout, good, (d) => tmp.file(`cut-${n++ % 8}.pt`, d), cuts);
    expect(bad).toBe(cuts.length);
  }, 120_000);

  it('random edits of the pickles give BAD_FORMAT or a valid layout, never a crash', async () => {
    let n = 0;
    const within = pickles.reduce((a, p) => a + p.length, 0) + 8;
    await fuzzEdits(readPytorchLayout, good, (d) => tmp.file(`edit-${n++ % 8}.pt`, d), { runs: 600, seed: 7, within });
  }, 120_000);
});
