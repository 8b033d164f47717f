import { existsSync, readFileSync, rmSync } from 'node:fs';
import * as fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { parsePickle, type PickleValue } from '../../src-main/core/formats/pickle';
import { WeightlineError } from '../../src-shared/errors';
import { fixture, MARKER } from './helpers';

/** The tagged JSON make_fixtures.py writes for the same Python values. */
function tag(v: PickleValue): unknown {
  if (v === null || typeof v === 'boolean' || typeof v === 'string' || typeof v === 'number') return v;
  if (typeof v === 'bigint') return { $int: v.toString() };
  switch (v.kind) {
    case 'bytes':
      return { $bytes: Buffer.from(v.data).toString('hex') };
    case 'tuple':
      return { $tuple: v.items.map(tag) };
    case 'list':
      return v.items.map(tag);
    case 'set':
      return { [v.frozen ? '$frozenset' : '$set']: v.items.map(tag) };
    case 'dict':
      return { $dict: v.entries.map(([k, x]) => [tag(k), tag(x)]) };
    default:
      return { $unexpected: v.kind };
  }
}

/** Pickle bytes from opcodes: numbers are bytes, strings latin1 text, arrays raw bytes. */
function pk(...parts: (number | string | Uint8Array)[]): Uint8Array {
  return Buffer.concat(
    parts.map((p) => (typeof p === 'number' ? Buffer.from([p]) : typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))),
  );
}
function u32(n: number): Uint8Array {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}
function u64(n: bigint): Uint8Array {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(n);
  return b;
}

function badPickle(data: Uint8Array, message: RegExp, limits = {}): WeightlineError {
  let caught: unknown;
  try {
    parsePickle(data, limits);
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(WeightlineError);
  const err = caught as WeightlineError;
  expect(err.code).toBe('BAD_FORMAT');
  expect(err.message).toMatch(message);
  return err;
}

describe('parsePickle on pickles Python wrote, protocols 0 to 5', () => {
  const expected = JSON.parse(readFileSync(fixture('pickles/expected.json'), 'utf8')) as Record<string, unknown>;
  for (let proto = 0; proto <= 5; proto++) {
    const rel = `pickles/sample-p${proto}.pkl`;
    it(`reads ${rel} to the same values`, () => {
      const value = parsePickle(readFileSync(fixture(rel)));
      expect(tag(value)).toEqual(expected[rel]);
    });
  }

  it('keeps shared references shared (memo), as Python does', () => {
    const value = parsePickle(readFileSync(fixture('pickles/sample-p2.pkl')));
    if (typeof value !== 'object' || value === null || value.kind !== 'dict') throw new Error('expected a dict');
    const shared = value.entries.find(([k]) => k === 'shared')![1];
    if (typeof shared !== 'object' || shared === null || shared.kind !== 'list') throw new Error('expected a list');
    expect(shared.items[0]).toBe(shared.items[1]);
  });
});

describe('parsePickle never runs what a pickle names', () => {
  beforeAll(() => rmSync(MARKER, { force: true }));

  it('records os.system(...) as an inert call', () => {
    const value = parsePickle(readFileSync(fixture('malicious-legacy.pt')));
    expect(value).toMatchObject({
      kind: 'call',
      fn: { kind: 'global', module: 'posix', name: 'system' },
      args: { kind: 'tuple', items: [`touch ${MARKER}`] },
    });
    expect(existsSync(MARKER)).toBe(false);
  });

  it('reads the protocol 0 form too', () => {
    const value = parsePickle(readFileSync(fixture('malicious-proto0.pt')));
    expect(value).toMatchObject({ kind: 'call', fn: { kind: 'global', name: 'system' } });
    expect(existsSync(MARKER)).toBe(false);
  });
});

describe('parsePickle opcodes Python rarely writes for plain data', () => {
  it('NEWOBJ, BUILD, SETITEMS and APPENDS on objects', () => {
    const v = parsePickle(
      pk(0x80, 2, 'c', 'collections\nOrderedDict\n', ')', 0x81, '(', 0x8c, 1, 'k', 'K', 5, 'u', '}', 0x8c, 1, 's', 0x88, 's', 'b', '(', 'K', 1, 'e', '.'),
    );
    expect(v).toMatchObject({
      kind: 'call',
      fn: { kind: 'global', module: 'collections', name: 'OrderedDict' },
      args: { kind: 'tuple', items: [] },
      items: [['k', 5]],
      state: { kind: 'dict', entries: [['s', true]] },
      appended: [1],
    });
  });

  it('NEWOBJ_EX keeps keyword arguments', () => {
    const v = parsePickle(pk(0x80, 4, 0x8c, 1, 'm', 0x8c, 1, 'C', 0x93, ')', '}', 0x8c, 1, 'x', 'K', 2, 's', 0x92, '.'));
    expect(v).toMatchObject({ kind: 'call', fn: { module: 'm', name: 'C' }, kwargs: { kind: 'dict', entries: [['x', 2]] } });
  });

  it('INST and OBJ (protocols 0 and 1)', () => {
    expect(parsePickle(pk('(', 'I1\n', 'i', 'mod\nCls\n', '.'))).toMatchObject({
      kind: 'call', fn: { module: 'mod', name: 'Cls' }, args: { kind: 'tuple', items: [1] },
    });
    expect(parsePickle(pk('(', 'c', 'mod\nCls\n', 'K', 3, 'o', '.'))).toMatchObject({
      kind: 'call', fn: { module: 'mod', name: 'Cls' }, args: { kind: 'tuple', items: [3] },
    });
  });

  it('PERSID and BINPERSID', () => {
    expect(parsePickle(pk('P', 'abc\n', '.'))).toEqual({ kind: 'persistent', id: 'abc' });
    expect(parsePickle(pk(0x80, 2, 'K', 7, 'Q', '.'))).toEqual({ kind: 'persistent', id: 7 });
  });

  it('DUP, POP, POP_MARK and POP of a bare mark', () => {
    const self = parsePickle(pk(']', '2', 'a', '.')); // a list appended to itself: a cycle, by reference
    expect(self).toMatchObject({ kind: 'list' });
    expect((self as { items: readonly PickleValue[] }).items[0]).toBe(self);
    expect(parsePickle(pk('K', 1, 'K', 2, '0', '.'))).toBe(1);
    expect(parsePickle(pk('K', 1, '(', 'K', 2, 'K', 3, '1', '.'))).toBe(1);
    expect(parsePickle(pk('K', 1, '(', '0', '.'))).toBe(1);
  });

  it('8-byte lengths: BINUNICODE8, BINBYTES8, BYTEARRAY8', () => {
    expect(parsePickle(pk(0x8d, u64(2n), 'hi', '.'))).toBe('hi');
    expect(parsePickle(pk(0x8e, u64(1n), 'z', '.'))).toEqual({ kind: 'bytes', data: Buffer.from('z'), mutable: false });
    expect(parsePickle(pk(0x96, u64(1n), 'z', '.'))).toMatchObject({ kind: 'bytes', mutable: true });
  });

  it('LONG1 and LONG4, two\'s complement', () => {
    expect(parsePickle(pk(0x8a, 0, '.'))).toBe(0);
    expect(parsePickle(pk(0x8a, 1, 0xff, '.'))).toBe(-1);
    expect(parsePickle(pk(0x8a, 2, 0x00, 0x80, '.'))).toBe(-32768);
    expect(parsePickle(pk(0x8b, u32(9), 0, 0, 0, 0, 0, 0, 0, 0, 1, '.'))).toBe(1n << 64n);
  });

  it('text forms: STRING escapes, UNICODE, LONG, FLOAT', () => {
    expect(parsePickle(pk('S', "'a\\n\\x41\\'b'\n", '.'))).toBe("a\nA'b");
    expect(parsePickle(pk('V', 'snow \\u2603\n', '.'))).toBe('snow \u2603');
    expect(parsePickle(pk('L', '-123456789012345678901234567890L\n', '.'))).toBe(-123456789012345678901234567890n);
    expect(parsePickle(pk('F', '2.5e-3\n', '.'))).toBe(0.0025);
    expect(parsePickle(pk('F', 'nan\n', '.'))).toBeNaN();
    expect(parsePickle(pk('I', '00\n', '.'))).toBe(false);
  });

  it('SHORT_BINSTRING and BINSTRING (Python 2 str) decode as latin1', () => {
    expect(parsePickle(pk('U', 2, 0x68, 0xe9, '.'))).toBe('h\u00e9');
    expect(parsePickle(pk('U', 1, 0x80, '.'))).toBe('\u0080'); // true latin1, not windows-1252's euro sign
    expect(parsePickle(pk('T', u32(1), 'x', '.'))).toBe('x');
  });

  it('deeply nested values do not use the call stack', () => {
    const depth = 200_000;
    const data = Buffer.alloc(depth * 2 + 2);
    for (let i = 0; i < depth; i++) data[i] = 0x5d; // EMPTY_LIST
    for (let i = 0; i < depth - 1; i++) data[depth + i] = 0x61; // APPEND
    data[2 * depth - 1] = 0x2e;
    expect(() => parsePickle(data.subarray(0, 2 * depth))).not.toThrow();
  });
});

describe('parsePickle rejects malformed and hostile input with BAD_FORMAT', () => {
  it('unknown opcode, named with its byte offset', () => {
    const err = badPickle(pk(0x80, 2, 'K', 1, 0xff), /unknown opcode.*0xff at byte 4/);
    expect(err.file).toBeUndefined();
  });
  it('puts the file in the error when given', () => {
    expect(badPickle(pk(0xfe), /0xfe at byte 0/, { file: '/x/data.pkl' }).file).toBe('/x/data.pkl');
  });
  it('no STOP', () => badPickle(pk(0x80, 2, 'K', 1), /expected a STOP opcode, found the end of the data after 4 bytes/));
  it('truncated argument', () => badPickle(pk('X', u32(10), 'abc'), /expected 10 more bytes, found 3.*BINUNICODE \(0x58\) at byte 0/));
  it('8-byte length past the end', () => badPickle(pk(0x8d, u64(1n << 62n), '.'), /runs past the end/));
  it('empty stack', () => badPickle(pk('a', '.'), /expected a value on the stack.*APPEND/));
  it('memo slot never stored', () => badPickle(pk('h', 3, '.'), /memo slot 3 was never stored/));
  it('no MARK for TUPLE', () => badPickle(pk('K', 1, 't', '.'), /expected a MARK/));
  it('MARK left open at STOP', () => badPickle(pk('(', 'K', 1, '.'), /MARK\(s\) never closed/));
  it('extra values at STOP', () => badPickle(pk('K', 1, 'K', 2, '.'), /exactly 1 value.*found 2/));
  it('SETITEM on a non-dict', () => badPickle(pk('K', 1, 'K', 2, 'K', 3, 's', '.'), /expected a dict to set items on, found number/));
  it('BUILD on a non-object', () => badPickle(pk(']', '}', 'b', '.'), /expected an object to BUILD, found list/));
  it('STACK_GLOBAL of non-strings', () => badPickle(pk('K', 1, 'K', 2, 0x93, '.'), /expected module and name strings/));
  it('protocol 6', () => badPickle(pk(0x80, 6, '.'), /expected protocol 0..5, found 6/));
  it('extension registry', () => badPickle(pk(0x82, 1, '.'), /extension registry.*EXT1/));
  it('out-of-band buffers', () => badPickle(pk(0x97, '.'), /out-of-band buffers.*NEXT_BUFFER/));
  it('quadratic-time ints', () => badPickle(pk('L', '1'.repeat(5000), 'L\n', '.'), /at most 4300 digits, found 5000/));
  it('malformed text int', () => badPickle(pk('I', '1x\n', '.'), /expected a decimal integer, found "1x"/));
  it('inputs over the byte limit', () => badPickle(pk('N', '.'), /at most 1 bytes, found 2/, { maxBytes: 1 }));

  it('more values than the limit', () => {
    const data = Buffer.alloc(1001, 0x4e); // NONE x 1001
    badPickle(data, /more than 1000 values/, { maxValues: 1000 });
  });

  it('references count toward the limit too', () => {
    const data = pk('N', 'q', 0, ...Array<number>(2000).fill(0).flatMap(() => [0x68, 0]));
    badPickle(data, /more than 1000 values/, { maxValues: 1000 });
  });

  it('random bytes fail only with BAD_FORMAT', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          parsePickle(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(WeightlineError);
          expect((e as WeightlineError).code).toBe('BAD_FORMAT');
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('mutated real pickles fail only with BAD_FORMAT', () => {
    const good = readFileSync(fixture('pickles/sample-p2.pkl'));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }), (edits) => {
        const bytes = Buffer.from(good);
        for (const [at, v] of edits) bytes[at] = v;
        try {
          parsePickle(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(WeightlineError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
