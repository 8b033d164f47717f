// A reader for LevelDB's sorted-table format (leveldb doc/table_format.md),
// which TensorFlow's tensor bundles use for their `.index` file: data blocks
// of prefix-compressed keys with restart points, each block followed by a
// compression-type byte and a masked CRC32C; a metaindex block; an index
// block whose values are handles of the data blocks; and a 48-byte footer
// ending in the magic 0xdb4775248b80fb57. Only uncompressed blocks are read
// (TensorFlow writes its bundle index uncompressed); a snappy block is
// refused by name. Every handle, length and offset is checked before use,
// and each block's checksum is verified.

import type { FileHandle } from 'node:fs/promises';
import type { Fail } from './protobuf-wire';

export const TABLE_MAGIC = 0xdb4775248b80fb57n;
const FOOTER_BYTES = 48;
const TRAILER_BYTES = 5; // compression type + masked crc32c
/** Blocks are kilobytes (4 KiB by default); this only stops a hostile handle. */
const MAX_BLOCK_BYTES = 64 * 1024 * 1024;
const MAX_ENTRIES = 1_000_000;

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32C (Castagnoli), as LevelDB and TensorFlow compute it. */
export function crc32c(data: Uint8Array, seed = 0): number {
  let c = ~seed >>> 0;
  for (let i = 0; i < data.length; i++) c = CRC32C_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** LevelDB stores CRCs "masked", so that a CRC of data holding CRCs is not trivially related to them. */
export function maskCrc(crc: number): number {
  return (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;
}

export interface TableEntry {
  readonly key: Buffer;
  /** Absolute file offset of the value (blocks are uncompressed, so values are file bytes). */
  readonly valueAt: number;
  readonly valueLength: number;
}

interface Handle {
  readonly offset: number;
  readonly size: number;
}

function varintIn(buf: Buffer, pos: number, limit: number, what: string, base: number, fail: Fail): { value: number; next: number } {
  let value = 0;
  for (let k = 0; k < 10 && pos + k < limit; k++) {
    const b = buf[pos + k]!;
    value += (b & 0x7f) * 2 ** (7 * k);
    if ((b & 0x80) === 0) {
      if (!Number.isSafeInteger(value)) fail(`${what} at byte ${base + pos} is too large`);
      return { value, next: pos + k + 1 };
    }
  }
  return fail(`${what} at byte ${base + pos}: expected a varint, found ${limit - pos >= 10 ? 'more than 10 bytes' : 'the end of the block'}`);
}

function readHandle(buf: Buffer, pos: number, limit: number, what: string, base: number, fail: Fail): { handle: Handle; next: number } {
  const o = varintIn(buf, pos, limit, `${what} offset`, base, fail);
  const s = varintIn(buf, o.next, limit, `${what} size`, base, fail);
  return { handle: { offset: o.value, size: s.value }, next: s.next };
}

async function readExactly(handle: FileHandle, length: number, position: number, fail: Fail): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buf, 0, length, position);
  if (bytesRead !== length) fail(`expected ${length} bytes at byte ${position}, could read only ${bytesRead}`);
  return buf;
}

/** Reads a block's contents, checking it lies before the footer, its checksum and its compression type. */
async function readBlock(file: FileHandle, size: number, h: Handle, what: string, fail: Fail): Promise<Buffer> {
  const end = size - FOOTER_BYTES;
  if (h.size > MAX_BLOCK_BYTES) fail(`${what} at byte ${h.offset} is ${h.size} bytes, over the ${MAX_BLOCK_BYTES}-byte limit`);
  if (h.offset + h.size + TRAILER_BYTES > end) {
    fail(`${what} [${h.offset}, ${h.offset + h.size + TRAILER_BYTES}) runs past the start of the footer at byte ${end}`);
  }
  const raw = await readExactly(file, h.size + TRAILER_BYTES, h.offset, fail);
  const type = raw[h.size]!;
  const stored = raw.readUInt32LE(h.size + 1);
  const actual = maskCrc(crc32c(raw.subarray(0, h.size + 1)));
  if (stored !== actual) {
    fail(`${what} at byte ${h.offset}: expected masked crc32c 0x${actual.toString(16).padStart(8, '0')}, found 0x${stored.toString(16).padStart(8, '0')}`);
  }
  if (type === 1) fail(`${what} at byte ${h.offset} is snappy-compressed; Weightline reads only uncompressed tables (TensorFlow writes its checkpoint index uncompressed)`);
  if (type !== 0) fail(`${what} at byte ${h.offset}: unknown compression type ${type}`);
  return raw.subarray(0, h.size);
}

/** The entries of one block, whose contents start at file offset `base`. */
function parseBlock(block: Buffer, base: number, what: string, fail: Fail, each: (key: Buffer, valueAt: number, valueLength: number) => void): void {
  if (block.length < 4) fail(`${what} at byte ${base}: expected at least 4 bytes (the restart count), found ${block.length}`);
  const restarts = block.readUInt32LE(block.length - 4);
  if (restarts < 1 || restarts > (block.length - 4) / 4) {
    fail(`${what} at byte ${base}: restart count ${restarts} does not fit the ${block.length}-byte block`);
  }
  const limit = block.length - 4 - 4 * restarts;
  for (let r = 0; r < restarts; r++) {
    const at = block.readUInt32LE(limit + 4 * r);
    if (at > limit || (r === 0 && at !== 0)) fail(`${what} at byte ${base}: restart point ${r} (${at}) lies outside the entries [0, ${limit})`);
  }
  let key = Buffer.alloc(0);
  let pos = 0;
  while (pos < limit) {
    const entryAt = pos;
    const shared = varintIn(block, pos, limit, 'shared key length', base, fail);
    const unshared = varintIn(block, shared.next, limit, 'key length', base, fail);
    const valueLen = varintIn(block, unshared.next, limit, 'value length', base, fail);
    pos = valueLen.next;
    if (shared.value > key.length) fail(`${what}: entry at byte ${base + entryAt} shares ${shared.value} key bytes with a ${key.length}-byte previous key`);
    if (unshared.value + valueLen.value > limit - pos) fail(`${what}: entry at byte ${base + entryAt} runs past the end of the block's entries`);
    key = Buffer.concat([key.subarray(0, shared.value), block.subarray(pos, pos + unshared.value)]);
    pos += unshared.value;
    each(key, base + pos, valueLen.value);
    pos += valueLen.value;
  }
}

/** Every entry of the table in `file` (of `size` bytes), in key order, checked to be strictly increasing. */
export async function readTableEntries(file: FileHandle, size: number, fail: Fail): Promise<TableEntry[]> {
  if (size < FOOTER_BYTES) fail(`expected at least the ${FOOTER_BYTES}-byte table footer, found a ${size}-byte file`);
  const footer = await readExactly(file, FOOTER_BYTES, size - FOOTER_BYTES, fail);
  const magic = footer.readBigUInt64LE(40);
  if (magic !== TABLE_MAGIC) {
    fail(`expected the table magic 0x${TABLE_MAGIC.toString(16)} in the last 8 bytes, found 0x${magic.toString(16).padStart(16, '0')}`);
  }
  const footerAt = size - FOOTER_BYTES;
  const meta = readHandle(footer, 0, 40, 'metaindex handle', footerAt, fail);
  const index = readHandle(footer, meta.next, 40, 'index handle', footerAt, fail);
  // The metaindex lists filter blocks and the like: checked, otherwise unused.
  parseBlock(await readBlock(file, size, meta.handle, 'metaindex block', fail), meta.handle.offset, 'metaindex block', fail, () => undefined);
  const indexBlock = await readBlock(file, size, index.handle, 'index block', fail);
  const handles: Handle[] = [];
  parseBlock(indexBlock, index.handle.offset, 'index block', fail, (_key, valueAt, valueLength) => {
    const at = valueAt - index.handle.offset;
    const h = readHandle(indexBlock, at, at + valueLength, 'data block handle', index.handle.offset, fail);
    if (handles.length >= MAX_ENTRIES) fail(`index block lists more than ${MAX_ENTRIES} data blocks`);
    handles.push(h.handle);
  });

  const entries: TableEntry[] = [];
  let last: Buffer | null = null;
  for (const h of handles) {
    const block = await readBlock(file, size, h, 'data block', fail);
    parseBlock(block, h.offset, 'data block', fail, (key, valueAt, valueLength) => {
      if (last && Buffer.compare(last, key) >= 0) fail(`data block at byte ${h.offset}: keys out of order (${JSON.stringify(key.toString('latin1').slice(0, 60))} after ${JSON.stringify(last.toString('latin1').slice(0, 60))})`);
      if (entries.length >= MAX_ENTRIES) fail(`the table holds more than ${MAX_ENTRIES} entries`);
      last = key;
      entries.push({ key, valueAt, valueLength });
    });
  }
  return entries;
}

/** True if the file ends in the table magic (a cheap sniff, 8 bytes). */
export async function hasTableMagic(file: FileHandle, size: number): Promise<boolean> {
  if (size < FOOTER_BYTES) return false;
  const tail = Buffer.alloc(8);
  const { bytesRead } = await file.read(tail, 0, 8, size - 8);
  return bytesRead === 8 && tail.readBigUInt64LE(0) === TABLE_MAGIC;
}
