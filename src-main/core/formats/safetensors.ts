// safetensors: u64 little-endian header length N, N bytes of JSON naming each
// tensor's dtype, shape and [begin, end) inside the data section that follows.
// The format exists to be read without trusting the writer, so this checks
// everything the reference implementation checks before believing an offset.

import { open } from 'node:fs/promises';
import { WeightlineError } from '../../../src-shared/errors';
import { jsonDepth } from '../../../src-shared/json-depth';
import { DTYPE_WIDTH, type Dtype, type FileLayout, type TensorRegion } from '../base/layout';

/** The reference implementation's limit; real headers are kilobytes to a few megabytes. */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

/** A real header nests 3 deep (header, tensor, shape); the depth is counted before JSON.parse (src-shared/json-depth.ts). */
export const MAX_HEADER_DEPTH = 64;

interface DtypeInfo {
  readonly dtype: Dtype;
  /** Bytes per element in the layout (sub-byte types are addressed per byte). */
  readonly width: number;
  /** Bits per element, to check byte lengths of packed sub-byte types. */
  readonly bits: number;
  readonly littleEndian: boolean;
}

// Newer safetensors dtypes the layout has no name for: kept as opaque bytes.
const OPAQUE_DTYPES: Readonly<Record<string, number>> = { F8_E8M0: 8, F6_E2M3: 6, F6_E3M2: 6, F4: 4 };

function dtypeInfo(name: string): DtypeInfo | undefined {
  if (Object.hasOwn(DTYPE_WIDTH, name)) {
    const width = DTYPE_WIDTH[name as keyof typeof DTYPE_WIDTH];
    return { dtype: name as Dtype, width, bits: width * 8, littleEndian: true };
  }
  const bits = OPAQUE_DTYPES[name];
  if (Object.hasOwn(OPAQUE_DTYPES, name) && bits !== undefined) {
    return { dtype: 'OTHER', width: 1, bits, littleEndian: false };
  }
  return undefined;
}

function describe(v: unknown): string {
  const text = JSON.stringify(v);
  return text === undefined ? String(v) : text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

interface Parsed {
  readonly name: string;
  readonly info: DtypeInfo;
  readonly shape: readonly number[];
  readonly begin: number;
  readonly end: number;
}

function parseEntry(name: string, value: unknown, dataSize: number, fail: (msg: string) => never): Parsed {
  const where = `tensor ${JSON.stringify(name)}`;
  if (!isRecord(value)) fail(`${where}: expected an object with dtype, shape and data_offsets, found ${describe(value)}`);
  const { dtype, shape, data_offsets: offsets } = value;
  if (dtype === undefined || shape === undefined || offsets === undefined) {
    const missing = ['dtype', 'shape', 'data_offsets'].filter((k) => value[k] === undefined);
    fail(`${where}: expected dtype, shape and data_offsets, found no ${missing.join(', ')}`);
  }
  if (typeof dtype !== 'string') fail(`${where}: expected dtype to be a string, found ${describe(dtype)}`);
  const info = dtypeInfo(dtype);
  if (!info) fail(`${where}: unknown dtype ${JSON.stringify(dtype)}`);
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    fail(`${where}: expected shape to be a list of non-negative integers, found ${describe(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    fail(`${where}: expected data_offsets to be [begin, end] integers, found ${describe(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) fail(`${where}: expected data_offsets begin <= end, found [${begin}, ${end}]`);
  if (end > dataSize) {
    fail(`${where}: data_offsets [${begin}, ${end}] run past the end of the ${dataSize}-byte data section`);
  }
  const numel = (shape as number[]).reduce((a, b) => a * BigInt(b), 1n);
  const expected = (numel * BigInt(info.bits) + 7n) / 8n;
  if (BigInt(end - begin) !== expected) {
    fail(
      `${where}: shape [${shape.join(', ')}] of ${dtype} needs ${expected} bytes, found data_offsets [${begin}, ${end}] (${end - begin} bytes)`,
    );
  }
  return { name, info, shape: shape as number[], begin, end };
}

/** Layout of a .safetensors file, reading only its header. */
export async function readSafetensorsLayout(path: string, size: number): Promise<FileLayout> {
  const fail: (msg: string) => never = (msg) => {
    throw new WeightlineError('BAD_FORMAT', msg, path);
  };
  if (size === 0) fail('empty file: expected an 8-byte header length, found 0 bytes');
  if (size < 8) fail(`expected at least 8 bytes (the header length), found a ${size}-byte file`);

  const handle = await open(path, 'r');
  let headerBytes: Buffer;
  try {
    const lengthBytes = Buffer.alloc(8);
    await handle.read(lengthBytes, 0, 8, 0);
    // A u64 can exceed 2^53; compare as BigInt before trusting it as a number.
    const n = lengthBytes.readBigUInt64LE(0);
    if (n > BigInt(size - 8)) {
      fail(`header length ${n} bytes runs past the end of the file (${size - 8} bytes after the length field)`);
    }
    if (n > BigInt(MAX_HEADER_BYTES)) fail(`header length ${n} bytes exceeds the ${MAX_HEADER_BYTES}-byte limit`);
    if (n < 2n) fail(`expected a JSON header of at least 2 bytes ("{}"), found a header length of ${n}`);
    headerBytes = Buffer.alloc(Number(n));
    const { bytesRead } = await handle.read(headerBytes, 0, headerBytes.length, 8);
    if (bytesRead !== headerBytes.length) fail(`expected ${n} header bytes, could read only ${bytesRead}`);
  } finally {
    await handle.close();
  }

  const depth = jsonDepth(headerBytes, MAX_HEADER_DEPTH);
  if (depth > MAX_HEADER_DEPTH) {
    fail(`expected a JSON header nested at most ${MAX_HEADER_DEPTH} levels deep (a real one is 3), found more`);
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (e) {
    fail(`expected a UTF-8 JSON header of ${headerBytes.length} bytes, found invalid JSON (${(e as Error).message})`);
  }
  if (!isRecord(header)) fail(`expected the header to be a JSON object, found ${describe(header)}`);

  const dataStart = 8 + headerBytes.length;
  const dataSize = size - dataStart;
  const parsed: Parsed[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') continue; // free-form string map, not a tensor
    parsed.push(parseEntry(name, value, dataSize, fail));
  }

  parsed.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let prev: Parsed | undefined;
  for (const p of parsed) {
    if (p.begin === p.end) continue; // empty tensors occupy no bytes and overlap nothing
    if (prev && p.begin < prev.end) {
      fail(
        `tensors overlap: ${JSON.stringify(p.name)} [${p.begin}, ${p.end}) starts inside ${JSON.stringify(prev.name)} [${prev.begin}, ${prev.end})`,
      );
    }
    prev = p;
  }

  // Empty tensors have no bytes to store; the header (residual) keeps them.
  const tensors: TensorRegion[] = parsed
    .filter((p) => p.end > p.begin)
    .map((p) => ({
      name: p.name,
      dtype: p.info.dtype,
      shape: p.shape,
      offset: dataStart + p.begin,
      length: p.end - p.begin,
      width: p.info.width,
      littleEndian: p.info.littleEndian,
    }));
  return { format: 'safetensors', size, tensors };
}
