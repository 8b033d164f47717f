import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPytorchLayout } from '../../src-main/core/formats/pytorch';
import { checkAgainstExpected, checkInvariants, expectedFor, fixture, makeZip, MARKER, rejection, tempDir } from './helpers';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

async function layoutOfFixture(rel: string) {
  const path = fixture(rel);
  return readPytorchLayout(path, statSync(path).size);
}

async function layoutOfBytes(name: string, bytes: Uint8Array) {
  return readPytorchLayout(tmp.file(name, bytes), bytes.length);
}

/** A persistent storage id and _rebuild_tensor_v2 call as torch 1.13+ pickles them (protocol 2). */
function tensorPickle(key: string, storageClass: string, numel: number, size: readonly number[]): Buffer {
  const str = (s: string) => {
    const b = Buffer.from(s, 'utf8');
    const n = Buffer.alloc(4);
    n.writeUInt32LE(b.length);
    return Buffer.concat([Buffer.from('X'), n, b]);
  };
  const int = (n: number) => Buffer.from([0x4b, n]); // BININT1
  const tuple = (xs: Buffer[]) => Buffer.concat([Buffer.from('('), ...xs, Buffer.from('t')]);
  const stride = size.map((_, i) => size.slice(i + 1).reduce((a, b) => a * b, 1));
  return Buffer.concat([
    Buffer.from('ctorch._utils\n_rebuild_tensor_v2\n'),
    Buffer.from('('),
    tuple([str('storage'), Buffer.from(`ctorch\n${storageClass}\n`), str(key), str('cpu'), int(numel)]),
    Buffer.from('Q'), // BINPERSID
    int(0),
    tuple(size.map(int)),
    tuple(stride.map(int)),
    Buffer.from([0x89]), // NEWFALSE
    Buffer.from('ccollections\nOrderedDict\n)R'),
    Buffer.from('tR'),
  ]);
}

function dictPickle(entries: readonly [string, Buffer][]): Buffer {
  const parts: Buffer[] = [Buffer.from([0x80, 2]), Buffer.from('}(')];
  for (const [k, v] of entries) {
    const b = Buffer.from(k, 'utf8');
    parts.push(Buffer.from([0x8c, b.length]), b, v);
  }
  parts.push(Buffer.from('u.'));
  return Buffer.concat(parts);
}

describe('readPytorchLayout on files torch.save wrote', () => {
  for (const rel of ['tiny.pt', 'train-state.pt', 'params.pt', 'collide.pt', 'root-tensor.pt', 'tiny-deflated.pt']) {
    it(`finds every storage of ${rel} at the right bytes, named by its tensor`, async () => {
      await checkAgainstExpected(fixture(rel), await layoutOfFixture(rel), expectedFor(rel));
    });
  }

  it('names optimizer state by its dotted path, with integer keys as numbers', async () => {
    const names = (await layoutOfFixture('train-state.pt')).tensors.map((t) => t.name);
    expect(names).toContain('model.0.weight');
    expect(names).toContain('model.1.num_batches_tracked');
    expect(names).toContain('optimizer.state.0.exp_avg');
    expect(names).toContain('optimizer.state.3.exp_avg_sq');
  });

  it('a view shares its base\'s storage: one region, the base\'s name and shape', async () => {
    const layout = await layoutOfFixture('tiny.pt');
    expect(layout.tensors.find((t) => t.name === 'shared.base')).toMatchObject({ dtype: 'F32', shape: [4, 6], length: 96 });
    expect(layout.tensors.find((t) => t.name === 'shared.view')).toBeUndefined();
  });

  it('regions are the storages\' STORED bytes, past each local header', async () => {
    const layout = await layoutOfFixture('tiny.pt');
    checkInvariants(layout);
    expect(layout.format).toBe('pytorch-zip');
    expect(layout.tensors.every((t) => t.littleEndian)).toBe(true);
  });

  it('legacy (pre-1.6) pickle streams give one region per storage (pytorch-legacy.test.ts has more)', async () => {
    await checkAgainstExpected(fixture('legacy.pt'), await layoutOfFixture('legacy.pt'), expectedFor('legacy.pt'));
  });

  it('reads a storage of a class it does not know as opaque bytes, not as an error', async () => {
    const pkl = dictPickle([['q', tensorPickle('0', 'QInt8Storage', 4, [4])]]);
    const zip = makeZip([{ name: 'archive/data.pkl', data: pkl }, { name: 'archive/data/0', data: new Uint8Array(4) }]);
    const layout = await layoutOfBytes('q.pt', zip);
    expect(layout.tensors).toMatchObject([{ name: 'q', dtype: 'OTHER', width: 1, littleEndian: false }]);
  });

  it('big-endian checkpoints keep their regions but not as decodable numbers', async () => {
    const pkl = dictPickle([['w', tensorPickle('0', 'FloatStorage', 2, [2])]]);
    const zip = makeZip([
      { name: 'archive/data.pkl', data: pkl },
      { name: 'archive/byteorder', data: Buffer.from('big') },
      { name: 'archive/data/0', data: new Uint8Array(8) },
    ]);
    expect((await layoutOfBytes('be.pt', zip)).tensors).toMatchObject([{ name: 'w', dtype: 'OTHER', width: 4, littleEndian: false }]);
  });

  it('a storage whose size does not fit its dtype is addressed as bytes', async () => {
    const pkl = dictPickle([['w', tensorPickle('0', 'FloatStorage', 2, [2])]]);
    const zip = makeZip([{ name: 'archive/data.pkl', data: pkl }, { name: 'archive/data/0', data: new Uint8Array(7) }]);
    expect((await layoutOfBytes('odd.pt', zip)).tensors).toMatchObject([{ name: 'w', dtype: 'U8', width: 1, shape: [7] }]);
  });
});

describe('readPytorchLayout never runs the pickle', () => {
  beforeAll(() => rmSync(MARKER, { force: true }));
  afterAll(() => expect(existsSync(MARKER)).toBe(false));

  it('a zip whose data.pkl is only os.system(...) is generic', async () => {
    expect((await layoutOfFixture('malicious.pt')).format).toBe('generic');
    expect(existsSync(MARKER)).toBe(false);
  });

  it('a real checkpoint carrying os.system(...) next to a tensor still gives the tensor', async () => {
    await checkAgainstExpected(fixture('malicious-mixed.pt'), await layoutOfFixture('malicious-mixed.pt'), expectedFor('malicious-mixed.pt'));
    expect(existsSync(MARKER)).toBe(false);
  });

  it('a legacy pickle doing os.system(...) is generic, unread', async () => {
    expect((await layoutOfFixture('malicious-legacy.pt')).format).toBe('generic');
    expect(existsSync(MARKER)).toBe(false);
  });

  it('a protocol 0 pickle (no \\x80) is not a checkpoint', async () => {
    const err = await rejection(layoutOfFixture('malicious-proto0.pt'));
    expect(err.message).toMatch(/expected a PyTorch zip \(PK\\x03\\x04\) or pickle \(\\x80\), found "cpos"/);
    expect(existsSync(MARKER)).toBe(false);
  });
});

describe('readPytorchLayout on broken and odd files', () => {
  it('empty file', async () => {
    const err = await rejection(layoutOfBytes('empty.pt', new Uint8Array(0)));
    expect(err.message).toMatch(/empty file: expected a PyTorch zip.*found 0 bytes/);
  });

  it('a text file named .pt', async () => {
    const err = await rejection(layoutOfBytes('notes.pt', Buffer.from('hello, this is not a model\n')));
    expect(err.message).toMatch(/expected a PyTorch zip \(PK\\x03\\x04\) or pickle \(\\x80\), found "hell" \(68 65 6c 6c\)/);
  });

  it('a file shorter than the magic', async () => {
    const err = await rejection(layoutOfBytes('short.pt', Buffer.from([0x50])));
    expect(err.message).toMatch(/found "P" \(50\)/);
  });

  it('a truncated zip', async () => {
    const bytes = readFileSync(fixture('tiny.pt'));
    const err = await rejection(layoutOfBytes('truncated.pt', bytes.subarray(0, bytes.length >> 1)));
    expect(err.message).toMatch(/corrupt or truncated zip/);
  });

  it('a zip whose central directory is damaged', async () => {
    const bytes = Buffer.from(readFileSync(fixture('tiny.pt')));
    bytes.writeUInt32LE(0x12345678, bytes.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])));
    const err = await rejection(layoutOfBytes('bad-cd.pt', bytes));
    expect(err.message).toMatch(/corrupt or truncated zip: expected central directory entry 1 of \d+ at byte \d+, found other bytes/);
  });

  it('a zip whose data.pkl local header is damaged is BAD_FORMAT, not generic', async () => {
    const bytes = makeZip([
      { name: 'archive/version', data: Buffer.from('3\n') },
      { name: 'archive/data.pkl', data: dictPickle([]) },
    ]);
    bytes.writeUInt32LE(0x12345678, bytes.indexOf(Buffer.from('archive/data.pkl')) - 30);
    const err = await rejection(layoutOfBytes('bad-pkl-header.pt', bytes));
    expect(err.message).toMatch(/corrupt or truncated zip: expected the local header of "[^"]+" at byte \d+, found other bytes/);
  });

  it('a zip whose local header is damaged', async () => {
    const bytes = Buffer.from(readFileSync(fixture('tiny.pt')));
    bytes.writeUInt32LE(0x12345678, bytes.indexOf(Buffer.from('tiny/data/0')) - 30);
    const err = await rejection(layoutOfBytes('bad-local.pt', bytes));
    expect(err.message).toMatch(/corrupt or truncated zip: expected the local header of "[^"]+" at byte \d+, found other bytes/);
  });

  it('a zip without data.pkl is generic', async () => {
    const layout = await layoutOfBytes('plain.pt', makeZip([{ name: 'readme.txt', data: Buffer.from('hi') }]));
    expect(layout.format).toBe('generic');
  });

  it('a data.pkl that is not a pickle is generic', async () => {
    const zip = makeZip([
      { name: 'archive/data.pkl', data: Buffer.from('garbage') },
      { name: 'archive/data/0', data: new Uint8Array(8) },
    ]);
    expect((await layoutOfBytes('garbage.pt', zip)).format).toBe('generic');
  });

  it('a data.pkl naming a storage the zip lacks', async () => {
    const pkl = dictPickle([['w', tensorPickle('7', 'FloatStorage', 2, [2])]]);
    const err = await rejection(layoutOfBytes('missing.pt', makeZip([{ name: 'archive/data.pkl', data: pkl }])));
    expect(err.message).toMatch(/references storage "7", expected a zip entry archive\/data\/7, found none/);
  });

  it('a hostile data.pkl nested far too deep is walked without recursion', async () => {
    const depth = 100_000;
    const pkl = Buffer.concat([Buffer.from([0x80, 2]), Buffer.alloc(depth, 0x5d), Buffer.alloc(depth - 1, 0x61), Buffer.from('.')]);
    const zip = makeZip([{ name: 'archive/data.pkl', data: pkl }]);
    expect((await layoutOfBytes('deep.pt', zip)).format).toBe('generic');
  });

  it('a data.pkl that refers to itself in a cycle terminates', async () => {
    // d = {}; d['self'] = d; d['w'] = tensor
    const pkl = Buffer.concat([
      Buffer.from([0x80, 2]), Buffer.from('}q\x00'),
      Buffer.from([0x8c, 4]), Buffer.from('self'), Buffer.from('h\x00s'),
      Buffer.from([0x8c, 1]), Buffer.from('w'), tensorPickle('0', 'FloatStorage', 2, [2]), Buffer.from('s.'),
    ]);
    const zip = makeZip([{ name: 'archive/data.pkl', data: pkl }, { name: 'archive/data/0', data: new Uint8Array(8) }]);
    expect((await layoutOfBytes('cycle.pt', zip)).tensors.map((t) => t.name)).toEqual(['w']);
  });
});
