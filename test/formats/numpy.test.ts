import { readFileSync, statSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { parsePyLiteral, readNpyLayout, readNpzLayout } from '../../src-main/core/formats/numpy';
import { checkAgainstExpected, expectedFor, fixture, makeZip, rejection, tempDir } from './helpers';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

/** A version 1.0 .npy from a header literal and data, padded as numpy pads. */
function npy(header: string, data: Uint8Array = new Uint8Array(0), version = 1): Buffer {
  const pre = version === 1 ? 10 : 12;
  let text = header;
  while ((pre + text.length + 1) % 64 !== 0) text += ' ';
  text += '\n';
  const head = Buffer.alloc(pre);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]).copy(head);
  if (version === 1) head.writeUInt16LE(text.length, 8);
  else head.writeUInt32LE(text.length, 8);
  return Buffer.concat([head, Buffer.from(text, 'latin1'), data]);
}

async function npyBad(bytes: Uint8Array, message: RegExp) {
  const p = tmp.file(`bad-${Math.random().toString(36).slice(2)}.npy`, bytes);
  const err = await rejection(readNpyLayout(p, bytes.length));
  expect(err.message).toMatch(message);
  expect(err.file).toBe(p);
}

describe('readNpyLayout and readNpzLayout on files numpy wrote', () => {
  const npys = ['f32.npy', 'f16.npy', 'i64.npy', 'be-f4.npy', 'scalar.npy', 'bool.npy', 'fortran.npy', 'v2.npy', 'v3.npy', 'object.npy'];
  for (const rel of npys) {
    it(`${rel}`, async () => {
      const path = fixture(rel);
      await checkAgainstExpected(path, await readNpyLayout(path, statSync(path).size), expectedFor(rel));
    });
  }
  for (const rel of ['arrays.npz', 'arrays-compressed.npz']) {
    it(`${rel}`, async () => {
      const path = fixture(rel);
      await checkAgainstExpected(path, await readNpzLayout(path, statSync(path).size), expectedFor(rel));
    });
  }

  it('big-endian arrays are opaque 4-byte elements', async () => {
    const path = fixture('be-f4.npy');
    expect((await readNpyLayout(path, statSync(path).size)).tensors[0]).toMatchObject({
      name: 'be-f4', dtype: 'OTHER', width: 4, littleEndian: false, shape: [4],
    });
  });

  it('zero-size arrays have no region', async () => {
    const bytes = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }");
    const layout = await readNpyLayout(tmp.file('zero.npy', bytes), bytes.length);
    expect(layout).toMatchObject({ format: 'npy', tensors: [] });
  });

  it('unusual but fixed-width dtypes are opaque, too-wide or structured ones generic', async () => {
    const s5 = npy("{'descr': '|S5', 'fortran_order': False, 'shape': (2,), }", new Uint8Array(10));
    expect((await readNpyLayout(tmp.file('s5.npy', s5), s5.length)).tensors[0]).toMatchObject({ dtype: 'OTHER', width: 5 });
    const dt = npy("{'descr': '<M8[ns]', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(8));
    expect((await readNpyLayout(tmp.file('dt.npy', dt), dt.length)).tensors[0]).toMatchObject({ dtype: 'OTHER', width: 8 });
    const u10 = npy("{'descr': '<U10', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(40));
    expect((await readNpyLayout(tmp.file('u10.npy', u10), u10.length)).format).toBe('generic');
    const rec = npy("{'descr': [('x', '<f4'), ('y', '<i4')], 'fortran_order': False, 'shape': (2,), }", new Uint8Array(16));
    expect((await readNpyLayout(tmp.file('rec.npy', rec), rec.length)).format).toBe('generic');
  });
});

describe('readNpyLayout rejects broken files with BAD_FORMAT', () => {
  it('empty file', () => npyBad(new Uint8Array(0), /empty file/));
  it('wrong magic', () => npyBad(Buffer.from('PK\x03\x04 not numpy'), /expected the .npy magic \\x93NUMPY, found "PK\\u0003\\u0004 n"/));
  it('unknown version', () => {
    const b = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(4));
    b[6] = 4;
    return npyBad(b, /expected .npy version 1.0, 2.0 or 3.0, found 4.0/);
  });
  it('header past the end', () => npyBad(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }").subarray(0, 40), /header length 118 runs past the end \(30 bytes/));
  it('data shorter than the shape says', () => {
    const b = readFileSync(fixture('f32.npy'));
    return npyBad(b.subarray(0, b.length - 4), /shape \(3, 4\) of <f4 needs 48 data bytes, found 44/);
  });
  it('data longer than the shape says', () =>
    npyBad(npy("{'descr': '<i8', 'fortran_order': False, 'shape': (), }", new Uint8Array(9)), /shape \(\) of <i8 needs 8 data bytes, found 9/));
  it('header that is code, not a literal (never evaluated)', () =>
    npyBad(npy("__import__('os').system('touch /tmp/x')"), /expected a Python dict literal header/));
  it('header missing keys', () => npyBad(npy("{'descr': '<f4', 'shape': (1,)}", new Uint8Array(4)), /expected header keys descr, fortran_order, shape, found descr, shape/));
  it('unknown descr', () => npyBad(npy("{'descr': 'garbage!', 'fortran_order': False, 'shape': (1,)}", new Uint8Array(4)), /unknown dtype descr "garbage!"/));
  it('negative shape', () => npyBad(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}"), /non-negative integers, found \[-1\]/));
  it('fortran_order that is not a bool', () => npyBad(npy("{'descr': '<f4', 'fortran_order': 0, 'shape': (1,)}", new Uint8Array(4)), /fortran_order True or False, found 0/));
});

describe('readNpzLayout on broken and odd files', () => {
  it('empty file', async () => {
    const err = await rejection(readNpzLayout(tmp.file('empty.npz', new Uint8Array(0)), 0));
    expect(err.message).toMatch(/empty file/);
  });

  it('truncated', async () => {
    const b = readFileSync(fixture('arrays.npz'));
    const cut = b.subarray(0, b.length - 30);
    const err = await rejection(readNpzLayout(tmp.file('cut.npz', cut), cut.length));
    expect(err.message).toMatch(/corrupt or truncated zip/);
  });

  it('an entry that is not a valid .npy names the entry', async () => {
    const zip = makeZip([{ name: 'w.npy', data: Buffer.from('not an array') }]);
    const err = await rejection(readNpzLayout(tmp.file('badentry.npz', zip), zip.length));
    expect(err.message).toMatch(/entry w.npy: expected the .npy magic/);
  });

  it('entries can have paths; non-.npy entries are ignored', async () => {
    const a = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", new Uint8Array(8));
    const zip = makeZip([{ name: 'layers/0/w.npy', data: a }, { name: 'notes.txt', data: Buffer.from('x') }]);
    const layout = await readNpzLayout(tmp.file('paths.npz', zip), zip.length);
    expect(layout.tensors).toMatchObject([{ name: 'layers/0/w', dtype: 'F32', shape: [2], length: 8 }]);
    expect(layout.tensors[0]!.offset).toBe(zip.indexOf(a) + 128);
  });
});

describe('parsePyLiteral', () => {
  it('reads the literals numpy writes', () => {
    expect(parsePyLiteral("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }")).toEqual(
      new Map<string, unknown>([['descr', '<f4'], ['fortran_order', false], ['shape', [3, 4]]]),
    );
    expect(parsePyLiteral('(3L, 4L)')).toEqual([3, 4]);
    expect(parsePyLiteral('()')).toEqual([]);
    expect(parsePyLiteral("[('a', '<f4', (2,))]")).toEqual([['a', '<f4', [2]]]);
    expect(parsePyLiteral('"it\\\'s"')).toBe("it's");
    expect(parsePyLiteral('None')).toBeNull();
  });

  it('refuses anything else', () => {
    for (const bad of ["{'a': 1", 'foo()', '1.5', '{1: 2}', "{'a': 1, 'a': 2}", '(1 2)', "'unterminated", '9'.repeat(30), '['.repeat(100)]) {
      expect(() => parsePyLiteral(bad), bad).toThrow();
    }
  });
});
