// NumPy .npy (magic, version, a Python dict literal describing dtype and
// shape, then raw data) and .npz (a zip of .npy entries). The header is a
// Python literal that numpy itself parses with ast.literal_eval; here a small
// parser accepts exactly the literal forms numpy writes and nothing else.

import { open, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { WeightlineError } from '../../../src-shared/errors';
import type { Dtype, FileLayout, TensorRegion } from '../base/layout';
import { withZip, ZIP_STORED } from './zip-entries';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59] as const; // \x93NUMPY
/** numpy refuses headers over 10 000 bytes unless told otherwise; structured dtypes can be longer. */
const MAX_HEADER_BYTES = 1024 * 1024;
/** Byte planes only make sense up to 16-byte elements (complex128). */
const MAX_WIDTH = 16;

type PyLiteral = string | number | boolean | null | readonly PyLiteral[] | ReadonlyMap<string, PyLiteral>;

class LiteralError extends Error {}

/** Parses the subset of Python literals numpy writes into .npy headers. */
export function parsePyLiteral(text: string): PyLiteral {
  let i = 0;
  const MAX_DEPTH = 32;

  const ws = (): void => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const err: (what: string) => never = (what) => {
    throw new LiteralError(`${what} at character ${i}`);
  };

  const str = (): string => {
    const q = text[i++]!;
    let out = '';
    while (i < text.length && text[i] !== q) {
      let c = text[i++]!;
      if (c === '\\') {
        const e = text[i++];
        if (e === undefined) break;
        const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' };
        if (e === 'x' || e === 'u') {
          const n = e === 'x' ? 2 : 4;
          const hex = text.slice(i, i + n);
          if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex)) err('bad escape in string');
          c = String.fromCharCode(parseInt(hex, 16));
          i += n;
        } else if (simple[e] !== undefined) c = simple[e];
        else err(`unsupported escape \\${e}`);
      }
      out += c;
    }
    if (text[i] !== q) err('unterminated string');
    i++;
    return out;
  };

  const value = (depth: number): PyLiteral => {
    if (depth > MAX_DEPTH) err('literal nested too deeply');
    ws();
    const c = text[i];
    if (c === undefined) return err('expected a value, found the end of the header');
    if (c === "'" || c === '"') return str();
    if (c === '{') {
      i++;
      const map = new Map<string, PyLiteral>();
      for (;;) {
        ws();
        if (text[i] === '}') {
          i++;
          return map;
        }
        const k = value(depth + 1);
        if (typeof k !== 'string') err('expected a string key');
        ws();
        if (text[i] !== ':') err("expected ':'");
        i++;
        if (map.has(k as string)) err(`duplicate key ${JSON.stringify(k)}`);
        map.set(k as string, value(depth + 1));
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== '}') err("expected ',' or '}'");
      }
    }
    if (c === '(' || c === '[') {
      const close = c === '(' ? ')' : ']';
      i++;
      const items: PyLiteral[] = [];
      for (;;) {
        ws();
        if (text[i] === close) {
          i++;
          return items;
        }
        items.push(value(depth + 1));
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== close) err(`expected ',' or '${close}'`);
      }
    }
    const word = /^(?:True|False|None|-?\d+L?)/.exec(text.slice(i, i + 40));
    if (!word) return err(`unexpected ${JSON.stringify(c)}`);
    i += word[0].length;
    if (word[0] === 'True') return true;
    if (word[0] === 'False') return false;
    if (word[0] === 'None') return null;
    const n = Number(word[0].replace(/L$/, ''));
    if (!Number.isSafeInteger(n)) err(`integer ${word[0]} too large`);
    return n;
  };

  const v = value(0);
  ws();
  if (i !== text.length) err('unexpected text after the literal');
  return v;
}

interface NpyDtype {
  readonly dtype: Dtype;
  readonly width: number;
  readonly littleEndian: boolean;
}

const KNOWN: Readonly<Record<string, Exclude<Dtype, 'OTHER'>>> = {
  f2: 'F16', f4: 'F32', f8: 'F64',
  i1: 'I8', i2: 'I16', i4: 'I32', i8: 'I64',
  u1: 'U8', u2: 'U16', u4: 'U32', u8: 'U64',
  b1: 'BOOL', c8: 'C64', c16: 'C128',
};

/** A numpy dtype.str like '<f4', '|b1', '>i8', '<U10', '<M8[ns]'; 'opaque' if not addressable. */
function parseDescr(descr: string): NpyDtype | 'opaque' | undefined {
  const m = /^([<>|=]?)([a-zA-Z])(\d*)(\[\w+\])?$/.exec(descr);
  if (!m) return undefined;
  const [, order = '', kind = '', digits = '', unit] = m;
  if (kind === 'O') return 'opaque'; // object arrays are pickles, not numbers
  const n = digits === '' ? NaN : Number(digits);
  const width = kind === 'U' ? n * 4 : n;
  if (!Number.isSafeInteger(width)) return undefined;
  if (width < 1 || width > MAX_WIDTH) return 'opaque';
  const bigEndian = order === '>' && width > 1;
  const known = unit === undefined ? KNOWN[`${kind}${digits}`] : undefined;
  if (known && !bigEndian) return { dtype: known, width, littleEndian: true };
  return { dtype: 'OTHER', width, littleEndian: false };
}

type NpyHeader =
  | { readonly kind: 'array'; readonly dataOffset: number; readonly dtype: NpyDtype; readonly shape: readonly number[] }
  | { readonly kind: 'opaque' };

/**
 * Reads and checks the .npy header at `base` in an open file, where the array
 * (header and data) occupies `available` bytes. Data length must match the
 * header exactly. `fail` throws BAD_FORMAT with the caller's context.
 */
async function readNpyHeader(
  handle: FileHandle,
  base: number,
  available: number,
  fail: (msg: string) => never,
): Promise<NpyHeader> {
  if (available === 0) fail('empty file: expected the .npy magic \\x93NUMPY, found 0 bytes');
  const pre = Buffer.alloc(12);
  const { bytesRead } = await handle.read(pre, 0, Math.min(12, available), base);
  const got = pre.subarray(0, bytesRead);
  if (!MAGIC.every((b, k) => got[k] === b)) {
    fail(`expected the .npy magic \\x93NUMPY, found ${JSON.stringify(got.subarray(0, 6).toString('latin1'))}`);
  }
  if (bytesRead < 10) fail(`expected at least 10 bytes of .npy preamble, found ${bytesRead}`);
  const major = got[6]!;
  const minor = got[7]!;
  if (![1, 2, 3].includes(major) || minor !== 0) fail(`expected .npy version 1.0, 2.0 or 3.0, found ${major}.${minor}`);
  if (major > 1 && bytesRead < 12) fail(`expected 12 bytes of .npy ${major}.0 preamble, found ${bytesRead}`);
  const headerLen = major === 1 ? got.readUInt16LE(8) : got.readUInt32LE(8);
  const headerStart = major === 1 ? 10 : 12;
  if (headerLen > MAX_HEADER_BYTES) fail(`header length ${headerLen} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  if (headerStart + headerLen > available) {
    fail(`header length ${headerLen} runs past the end (${available - headerStart} bytes after the preamble)`);
  }
  const raw = Buffer.alloc(headerLen);
  await handle.read(raw, 0, headerLen, base + headerStart);
  const text = major === 3 ? raw.toString('utf8') : raw.toString('latin1');

  let header: PyLiteral;
  try {
    header = parsePyLiteral(text);
  } catch (e) {
    if (!(e instanceof LiteralError)) throw e;
    return fail(`expected a Python dict literal header, found ${JSON.stringify(text.slice(0, 80))} (${e.message})`);
  }
  if (!(header instanceof Map)) return fail(`expected a dict header, found ${JSON.stringify(text.slice(0, 80))}`);
  const keys = [...header.keys()].sort().join(', ');
  if (keys !== 'descr, fortran_order, shape') fail(`expected header keys descr, fortran_order, shape, found ${keys}`);
  const descr = header.get('descr');
  const fortran = header.get('fortran_order');
  const shape = header.get('shape');
  if (typeof fortran !== 'boolean') fail(`expected fortran_order True or False, found ${JSON.stringify(fortran)}`);
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && d >= 0)) {
    return fail(`expected shape to be a tuple of non-negative integers, found ${JSON.stringify(shape)}`);
  }
  // A list descr is a structured dtype: records, not one number per element.
  if (Array.isArray(descr)) return { kind: 'opaque' };
  if (typeof descr !== 'string') return fail(`expected descr to be a string, found ${JSON.stringify(descr)}`);
  const dtype = parseDescr(descr);
  if (dtype === undefined) fail(`unknown dtype descr ${JSON.stringify(descr)}`);
  if (dtype === 'opaque') return { kind: 'opaque' };

  const dims = shape as number[];
  const dataOffset = headerStart + headerLen;
  const expected = dims.reduce((a, d) => a * BigInt(d), 1n) * BigInt(dtype.width);
  const found = available - dataOffset;
  if (BigInt(found) !== expected) {
    fail(
      `shape (${dims.join(', ')}) of ${descr} needs ${expected} data bytes, found ${found}`,
    );
  }
  return { kind: 'array', dataOffset: base + dataOffset, dtype, shape: dims };
}

function region(name: string, h: Extract<NpyHeader, { kind: 'array' }>, length: number): TensorRegion {
  return {
    name,
    dtype: h.dtype.dtype,
    shape: h.shape,
    offset: h.dataOffset,
    length,
    width: h.dtype.width,
    littleEndian: h.dtype.littleEndian,
  };
}

/** Layout of a .npy file: one region named after the file, or generic for object arrays. */
export async function readNpyLayout(path: string, size: number): Promise<FileLayout> {
  const fail: (msg: string) => never = (msg) => {
    throw new WeightlineError('BAD_FORMAT', msg, path);
  };
  const handle = await open(path, 'r');
  try {
    const h = await readNpyHeader(handle, 0, size, fail);
    if (h.kind === 'opaque') return { format: 'generic', size, tensors: [] };
    const length = size - h.dataOffset;
    // The name is what matches the array across versions; the file's own stem is stable and readable.
    const name = basename(path).replace(/\.npy$/i, '');
    return { format: 'npy', size, tensors: length > 0 ? [region(name, h, length)] : [] };
  } finally {
    await handle.close();
  }
}

/**
 * Layout of a .npz file: one region per STORED .npy entry, named after the
 * entry without ".npy". np.savez_compressed deflates every entry, and deflated
 * bytes cannot be addressed in place, so such a file is generic.
 */
export async function readNpzLayout(path: string, size: number): Promise<FileLayout> {
  if (size === 0) throw new WeightlineError('BAD_FORMAT', 'empty file: expected a zip of .npy arrays, found 0 bytes', path);
  return withZip(path, async (zip) => {
    const arrays = zip.entries.filter((e) => e.name.toLowerCase().endsWith('.npy'));
    if (arrays.some((e) => e.method !== ZIP_STORED || e.encrypted)) return { format: 'generic', size, tensors: [] };

    const handle = await open(path, 'r');
    const tensors: TensorRegion[] = [];
    const names = new Set<string>();
    try {
      for (const entry of arrays) {
        const name = entry.name.slice(0, -'.npy'.length);
        if (names.has(name)) continue; // a duplicate entry name; its bytes stay in the residual
        names.add(name);
        const fail: (msg: string) => never = (msg) => {
          throw new WeightlineError('BAD_FORMAT', `entry ${entry.name}: ${msg}`, path);
        };
        const start = await zip.dataStart(entry);
        const h = await readNpyHeader(handle, start, entry.uncompressedSize, fail);
        if (h.kind === 'opaque') continue;
        const length = start + entry.uncompressedSize - h.dataOffset;
        if (length > 0) tensors.push(region(name, h, length));
      }
    } finally {
      await handle.close();
    }

    tensors.sort((a, b) => a.offset - b.offset);
    for (let k = 1; k < tensors.length; k++) {
      const prev = tensors[k - 1]!;
      const cur = tensors[k]!;
      if (cur.offset < prev.offset + prev.length) {
        throw new WeightlineError(
          'BAD_FORMAT',
          `zip entries overlap: ${cur.name}.npy data starts at byte ${cur.offset}, inside ${prev.name}.npy (bytes ${prev.offset}..${prev.offset + prev.length})`,
          path,
        );
      }
    }
    return { format: 'npz', size, tensors };
  });
}
