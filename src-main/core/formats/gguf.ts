// GGUF (ggml's docs/gguf.md, versions 2 and 3): the magic "GGUF", a version,
// the tensor and key/value counts, the key/values, one info record per tensor
// (name, dims, ggml type, offset from the data start), then the tensor data,
// which starts at the first multiple of `general.alignment` (default 32) past
// the infos. Each tensor's data is one region; the header, key/values, infos
// and padding are the residual, so a metadata edit that moves the data block
// still diffs tensor by tensor.

import type { Dtype, FileLayout, TensorRegion } from '../base/layout';
import { FileBytes } from './file-bytes';

const MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
const DEFAULT_ALIGNMENT = 32;
const MAX_DIMS = 4; // GGML_MAX_DIMS: ggml refuses more
/** Keys and tensor names are short; refuse to allocate for absurd ones. */
const MAX_NAME_BYTES = 64 * 1024;
const WINDOW = 1024 * 1024;

interface GgmlType {
  readonly name: string;
  /** Elements per block (1 for plain numbers). */
  readonly block: number;
  /** Bytes per block. */
  readonly bytes: number;
  /** A dtype the change figures can decode, for the plain number types. */
  readonly dtype?: Exclude<Dtype, 'OTHER'>;
}

const QK_K = 256;
// ggml_type numbers and their block geometry (ggml.c type_traits). Numbers
// not listed (removed types, and types newer than this table) are unknown:
// their tensors stay in the residual.
const GGML_TYPES: ReadonlyMap<number, GgmlType> = new Map<number, GgmlType>([
  [0, { name: 'F32', block: 1, bytes: 4, dtype: 'F32' }],
  [1, { name: 'F16', block: 1, bytes: 2, dtype: 'F16' }],
  [2, { name: 'Q4_0', block: 32, bytes: 2 + 16 }],
  [3, { name: 'Q4_1', block: 32, bytes: 2 + 2 + 16 }],
  [6, { name: 'Q5_0', block: 32, bytes: 2 + 4 + 16 }],
  [7, { name: 'Q5_1', block: 32, bytes: 2 + 2 + 4 + 16 }],
  [8, { name: 'Q8_0', block: 32, bytes: 2 + 32 }],
  [9, { name: 'Q8_1', block: 32, bytes: 4 + 4 + 32 }],
  [10, { name: 'Q2_K', block: QK_K, bytes: 2 + 2 + QK_K / 16 + QK_K / 4 }],
  [11, { name: 'Q3_K', block: QK_K, bytes: 2 + QK_K / 4 + QK_K / 8 + 12 }],
  [12, { name: 'Q4_K', block: QK_K, bytes: 2 + 2 + 12 + QK_K / 2 }],
  [13, { name: 'Q5_K', block: QK_K, bytes: 2 + 2 + 12 + QK_K / 8 + QK_K / 2 }],
  [14, { name: 'Q6_K', block: QK_K, bytes: 2 + QK_K / 16 + 3 * QK_K / 4 }],
  [15, { name: 'Q8_K', block: QK_K, bytes: 4 + QK_K + 2 * QK_K / 16 }],
  [16, { name: 'IQ2_XXS', block: QK_K, bytes: 2 + QK_K / 4 }],
  [17, { name: 'IQ2_XS', block: QK_K, bytes: 2 + QK_K / 4 + QK_K / 32 }],
  [18, { name: 'IQ3_XXS', block: QK_K, bytes: 2 + 3 * QK_K / 8 }],
  [19, { name: 'IQ1_S', block: QK_K, bytes: 2 + QK_K / 8 + QK_K / 16 }],
  [20, { name: 'IQ4_NL', block: 32, bytes: 2 + 16 }],
  [21, { name: 'IQ3_S', block: QK_K, bytes: 2 + QK_K / 4 + QK_K / 8 + QK_K / 32 + 4 }],
  [22, { name: 'IQ2_S', block: QK_K, bytes: 2 + QK_K / 4 + QK_K / 16 }],
  [23, { name: 'IQ4_XS', block: QK_K, bytes: 2 + 2 + QK_K / 2 + QK_K / 64 }],
  [24, { name: 'I8', block: 1, bytes: 1, dtype: 'I8' }],
  [25, { name: 'I16', block: 1, bytes: 2, dtype: 'I16' }],
  [26, { name: 'I32', block: 1, bytes: 4, dtype: 'I32' }],
  [27, { name: 'I64', block: 1, bytes: 8, dtype: 'I64' }],
  [28, { name: 'F64', block: 1, bytes: 8, dtype: 'F64' }],
  [29, { name: 'IQ1_M', block: QK_K, bytes: QK_K / 8 + QK_K / 16 + QK_K / 32 }],
  [30, { name: 'BF16', block: 1, bytes: 2, dtype: 'BF16' }],
  [34, { name: 'TQ1_0', block: QK_K, bytes: 2 + 4 * 13 }],
  [35, { name: 'TQ2_0', block: QK_K, bytes: 2 + 64 }],
  [39, { name: 'MXFP4', block: 32, bytes: 1 + 16 }],
]);

// gguf_type: the value types of the key/values.
const ValueType = {
  U8: 0, I8: 1, U16: 2, I16: 3, U32: 4, I32: 5, F32: 6, BOOL: 7,
  STRING: 8, ARRAY: 9, U64: 10, I64: 11, F64: 12,
} as const;

const FIXED_SIZES: ReadonlyMap<number, number> = new Map<number, number>([
  [ValueType.U8, 1], [ValueType.I8, 1], [ValueType.U16, 2], [ValueType.I16, 2],
  [ValueType.U32, 4], [ValueType.I32, 4], [ValueType.F32, 4], [ValueType.BOOL, 1],
  [ValueType.U64, 8], [ValueType.I64, 8], [ValueType.F64, 8],
]);

/** Reads the header front to back through a window of the file. */
class Cursor {
  pos = 0;
  private window: Buffer = Buffer.alloc(0);
  private windowStart = 0;

  constructor(
    private readonly file: FileBytes,
    private readonly littleEndian: boolean,
  ) {}

  /** Makes [pos, pos + n) readable synchronously; BAD_FORMAT naming `what` past the end of the file. */
  async need(n: number, what: string): Promise<void> {
    if (this.pos >= this.windowStart && this.pos + n <= this.windowStart + this.window.length) return;
    const length = Math.max(n, Math.min(WINDOW, this.file.size - this.pos));
    this.window = await this.file.read(this.pos, length, what);
    this.windowStart = this.pos;
  }

  has(n: number): boolean {
    return this.pos + n <= this.windowStart + this.window.length;
  }

  private at(): number {
    return this.pos - this.windowStart;
  }

  u32(): number {
    const v = this.littleEndian ? this.window.readUInt32LE(this.at()) : this.window.readUInt32BE(this.at());
    this.pos += 4;
    return v;
  }

  u64(): bigint {
    const v = this.littleEndian ? this.window.readBigUInt64LE(this.at()) : this.window.readBigUInt64BE(this.at());
    this.pos += 8;
    return v;
  }

  bytes(n: number): Buffer {
    const start = this.at();
    this.pos += n;
    return this.window.subarray(start, start + n);
  }

  /** Moves past n bytes that must lie inside the file. */
  skip(n: number, what: string): void {
    if (!this.file.contains(this.pos, n)) {
      this.file.fail(`expected ${n} bytes of ${what} at byte ${this.pos}, found the file ends at byte ${this.file.size}`);
    }
    this.pos += n;
  }
}

/** A u64 count or length as a number, or BAD_FORMAT if it cannot fit in the file at all. */
function count(file: FileBytes, v: bigint, what: string, at: number): number {
  if (v > BigInt(file.size)) file.fail(`${what}: expected at most ${file.size} (the file size), found ${v} at byte ${at}`);
  return Number(v);
}

async function readString(c: Cursor, file: FileBytes, what: string, maxBytes: number): Promise<string> {
  const at = c.pos;
  await c.need(8, `${what} length`);
  const n = count(file, c.u64(), `${what} length`, at);
  if (n > maxBytes) file.fail(`${what}: expected at most ${maxBytes} bytes, found a length of ${n} at byte ${at}`);
  await c.need(n, what);
  const bytes = c.bytes(n);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return file.fail(`${what} at byte ${at}: expected UTF-8 text, found invalid bytes`);
  }
}

async function skipString(c: Cursor, file: FileBytes, what: string): Promise<void> {
  const at = c.pos;
  if (!c.has(8)) await c.need(8, `${what} length`);
  const n = count(file, c.u64(), `${what} length`, at);
  c.skip(n, what);
}

/** Moves past one value of `type`, checking every length against the file. */
async function skipValue(c: Cursor, file: FileBytes, type: number, key: string, depth: number): Promise<void> {
  const fixed = FIXED_SIZES.get(type);
  if (fixed !== undefined) {
    c.skip(fixed, `the value of ${key}`);
    return;
  }
  if (type === ValueType.STRING) {
    await skipString(c, file, `the value of ${key}`);
    return;
  }
  if (type !== ValueType.ARRAY) file.fail(`key ${JSON.stringify(key)}: expected a value type 0..12, found ${type} at byte ${c.pos - 4}`);
  // Arrays of arrays are allowed by the spec; nobody nests them deeply.
  if (depth > 8) file.fail(`key ${JSON.stringify(key)}: arrays nested more than 8 deep at byte ${c.pos}`);
  const at = c.pos;
  await c.need(12, `the array header of ${key}`);
  const itemType = c.u32();
  const n = count(file, c.u64(), `array length of ${JSON.stringify(key)}`, at);
  const itemFixed = FIXED_SIZES.get(itemType);
  if (itemFixed !== undefined) {
    c.skip(n * itemFixed, `the array ${key}`);
    return;
  }
  if (itemType === ValueType.STRING) {
    // Each string takes at least its 8-byte length: a count beyond that is a lie caught without looping.
    if (n * 8 > file.size - c.pos) file.fail(`array ${JSON.stringify(key)}: ${n} strings cannot fit in the ${file.size - c.pos} bytes left after byte ${c.pos}`);
    for (let i = 0; i < n; i++) await skipString(c, file, `item ${i} of ${key}`);
    return;
  }
  if (itemType !== ValueType.ARRAY) file.fail(`array ${JSON.stringify(key)}: expected an item type 0..12, found ${itemType} at byte ${at}`);
  if (n * 12 > file.size - c.pos) file.fail(`array ${JSON.stringify(key)}: ${n} arrays cannot fit in the ${file.size - c.pos} bytes left after byte ${c.pos}`);
  for (let i = 0; i < n; i++) await skipValue(c, file, ValueType.ARRAY, key, depth + 1);
}

interface TensorInfo {
  readonly name: string;
  readonly dims: readonly number[];
  readonly type: number;
  readonly offset: number;
  readonly at: number;
}

function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

async function parse(file: FileBytes): Promise<FileLayout> {
  if (file.size < 24) file.fail(`expected a GGUF header of 24 bytes, found a ${file.size}-byte file`);
  const head = await file.read(0, 8, 'the GGUF header');
  if (head.readUInt32LE(0) !== MAGIC) {
    file.fail(`expected the magic "GGUF" at byte 0, found ${JSON.stringify(head.subarray(0, 4).toString('latin1'))}`);
  }
  // The version is written in the file's byte order: that is how a big-endian file shows itself.
  const le = head.readUInt32LE(4);
  const be = head.readUInt32BE(4);
  const littleEndian = le === 2 || le === 3;
  if (!littleEndian && be !== 2 && be !== 3) {
    file.fail(`expected GGUF version 2 or 3 at byte 4, found ${le}${le === 1 ? ' (version 1 is not supported)' : ''}`);
  }
  const c = new Cursor(file, littleEndian);
  c.pos = 8;
  await c.need(16, 'the tensor and key/value counts');
  // Every tensor info takes at least 8+4+4+8 bytes, every key/value 8+4+1.
  const tensorCount = count(file, c.u64(), 'tensor count', 8);
  const kvCount = count(file, c.u64(), 'key/value count', 16);
  if (tensorCount * 24 > file.size || kvCount * 13 > file.size) {
    file.fail(`expected counts that fit in the file, found ${tensorCount} tensors and ${kvCount} key/values in ${file.size} bytes`);
  }

  let alignment = DEFAULT_ALIGNMENT;
  for (let i = 0; i < kvCount; i++) {
    const key = await readString(c, file, `key ${i}`, MAX_NAME_BYTES);
    const typeAt = c.pos;
    await c.need(4, `the value type of ${key}`);
    const type = c.u32();
    if (key === 'general.alignment') {
      if (type !== ValueType.U32) file.fail(`general.alignment: expected a u32 (type 4), found type ${type} at byte ${typeAt}`);
      await c.need(4, 'general.alignment');
      alignment = c.u32();
      if (alignment === 0 || (alignment & (alignment - 1)) !== 0) {
        file.fail(`general.alignment: expected a power of two, found ${alignment} at byte ${typeAt + 4}`);
      }
      continue;
    }
    await skipValue(c, file, type, key, 0);
  }

  const infos: TensorInfo[] = [];
  const names = new Set<string>();
  for (let i = 0; i < tensorCount; i++) {
    const at = c.pos;
    const name = await readString(c, file, `the name of tensor ${i}`, MAX_NAME_BYTES);
    if (names.has(name)) file.fail(`tensor ${JSON.stringify(name)} at byte ${at}: expected unique tensor names, found it twice`);
    names.add(name);
    await c.need(4, `the dimension count of ${name}`);
    const nDims = c.u32();
    if (nDims > MAX_DIMS) file.fail(`tensor ${JSON.stringify(name)}: expected at most ${MAX_DIMS} dimensions, found ${nDims} at byte ${c.pos - 4}`);
    await c.need(8 * nDims + 12, `the info of tensor ${name}`);
    const dims: number[] = [];
    for (let d = 0; d < nDims; d++) dims.push(count(file, c.u64(), `dimension ${d} of ${JSON.stringify(name)}`, c.pos));
    const type = c.u32();
    const offsetAt = c.pos;
    const offset = c.u64();
    if (offset > BigInt(file.size)) file.fail(`tensor ${JSON.stringify(name)}: expected a data offset inside the file, found ${offset} at byte ${offsetAt}`);
    infos.push({ name, dims, type, offset: Number(offset), at });
  }
  const dataStart = alignUp(c.pos, alignment);

  const tensors: TensorRegion[] = [];
  for (const info of infos) {
    const where = `tensor ${JSON.stringify(info.name)} (info at byte ${info.at})`;
    if (info.offset % alignment !== 0) file.fail(`${where}: expected a data offset that is a multiple of ${alignment}, found ${info.offset}`);
    const ggml = GGML_TYPES.get(info.type);
    if (!ggml) continue; // an unknown type has no known length: its bytes stay in the residual
    let elements = 1;
    for (const d of info.dims) elements *= d; // each dim ≤ file size, at most 4 of them: exact enough to compare
    if ((info.dims[0] ?? 1) % ggml.block !== 0) {
      file.fail(`${where}: expected the first dimension to be a multiple of the ${ggml.name} block size ${ggml.block}, found ${info.dims[0] ?? 'none'}`);
    }
    const length = (elements / ggml.block) * ggml.bytes;
    const start = dataStart + info.offset;
    if (!Number.isSafeInteger(length) || !file.contains(start, length)) {
      file.fail(`${where}: expected ${length} bytes of ${ggml.name} data at byte ${start}, found the file ends at byte ${file.size}`);
    }
    if (length === 0) continue;
    const plain = ggml.dtype !== undefined && littleEndian;
    tensors.push({
      name: info.name,
      dtype: plain ? ggml.dtype! : 'OTHER',
      // GGUF lists dims fastest-varying first; shapes here are row-major, as numpy and torch print them.
      shape: [...info.dims].reverse(),
      offset: start,
      length,
      width: ggml.block === 1 ? ggml.bytes : 1,
      littleEndian: plain,
    });
  }
  tensors.sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < tensors.length; i++) {
    const prev = tensors[i - 1]!;
    const cur = tensors[i]!;
    if (cur.offset < prev.offset + prev.length) {
      file.fail(`tensor ${JSON.stringify(cur.name)} starts at byte ${cur.offset}, inside ${JSON.stringify(prev.name)} (bytes ${prev.offset}..${prev.offset + prev.length})`);
    }
  }
  return { format: 'gguf', size: file.size, tensors };
}

/** Layout of a GGUF file: one region per tensor whose ggml type is known. BAD_FORMAT for anything malformed. */
export async function readGgufLayout(path: string, size: number): Promise<FileLayout> {
  return FileBytes.with(path, size, parse);
}
