// TensorFlow tensor bundles: what tf.train.Checkpoint and SavedModel's
// variables/ write. `<prefix>.index` is a LevelDB-format table
// (leveldb-table.ts) mapping each key to a BundleEntryProto (dtype, shape,
// shard_id, offset, size, crc32c; tensor_bundle.proto); the empty key holds
// the BundleHeaderProto (num_shards, endianness). The tensor bytes lie in
// `<prefix>.data-0000K-of-0000N`, shard K, at [offset, offset + size).
//
// The index itself is small: format 'tf-checkpoint' with no tensors (all
// residual). A data shard's layout comes from its index, read beside it:
// each fixed-width entry of that shard is a region named by its key; string,
// variant and resource tensors, alignment padding and anything no entry
// names stay in the residual.

import { open } from 'node:fs/promises';
import { WeightlineError } from '../../../src-shared/errors';
import { hasTableMagic, readTableEntries } from './leveldb-table';
import type { Dtype, FileLayout, TensorRegion } from '../base/layout';
import { asInt64, MessageCursor, WindowedFile, WIRE_I32, WIRE_LEN, WIRE_VARINT, type Fail, type WireField } from './protobuf-wire';

interface TfType {
  readonly name: string;
  readonly dtype: Dtype;
  readonly width: number;
  readonly littleEndian: boolean;
}

const ty = (name: string, dtype: Dtype, width: number, littleEndian = true): TfType => ({ name, dtype, width, littleEndian });

/** tensorflow/core/framework/types.proto DataType; the ones with fixed-width elements. */
const TF_TYPES: ReadonlyMap<number, TfType> = new Map([
  [1, ty('DT_FLOAT', 'F32', 4)], [2, ty('DT_DOUBLE', 'F64', 8)], [3, ty('DT_INT32', 'I32', 4)], [4, ty('DT_UINT8', 'U8', 1)],
  [5, ty('DT_INT16', 'I16', 2)], [6, ty('DT_INT8', 'I8', 1)], [8, ty('DT_COMPLEX64', 'C64', 8)], [9, ty('DT_INT64', 'I64', 8)],
  [10, ty('DT_BOOL', 'BOOL', 1)], [11, ty('DT_QINT8', 'OTHER', 1, false)], [12, ty('DT_QUINT8', 'OTHER', 1, false)],
  [13, ty('DT_QINT32', 'OTHER', 4, false)], [14, ty('DT_BFLOAT16', 'BF16', 2)], [15, ty('DT_QINT16', 'OTHER', 2, false)],
  [16, ty('DT_QUINT16', 'OTHER', 2, false)], [17, ty('DT_UINT16', 'U16', 2)], [18, ty('DT_COMPLEX128', 'C128', 16)],
  [19, ty('DT_HALF', 'F16', 2)], [22, ty('DT_UINT32', 'U32', 4)], [23, ty('DT_UINT64', 'U64', 8)],
  [24, ty('DT_FLOAT8_E5M2', 'F8_E5M2', 1)], [25, ty('DT_FLOAT8_E4M3FN', 'F8_E4M3', 1)],
]);

const MAX_RANK = 1024;
/** `<prefix>.data-00000-of-00001`, as tensor_bundle.cc's DataFilename writes it (%05d). */
export const TF_SHARD_NAME = /^(.+)\.data-(\d{5})-of-(\d{5})$/;

export interface TfEntry {
  readonly name: string;
  readonly dtype: number;
  readonly shape: readonly number[];
  readonly shardId: number;
  readonly offset: number;
  readonly size: number;
  /** Partitioned tensors keep their bytes in slice entries of their own. */
  readonly sliced: boolean;
  /** Where the entry's value lies in the index (for error messages). */
  readonly at: number;
}

export interface TfBundle {
  readonly numShards: number;
  readonly littleEndian: boolean;
  readonly entries: readonly TfEntry[];
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A key as a readable tensor name; keys that are not UTF-8 (slice keys) are shown in hex. */
function keyName(key: Buffer): string {
  try {
    return utf8.decode(key);
  } catch {
    return `0x${key.toString('hex')}`;
  }
}

function expectWire(f: WireField, wireType: number, what: string, fail: Fail): void {
  if (f.wireType !== wireType) fail(`${what} (field ${f.field}) at byte ${f.tagAt}: expected wire type ${wireType}, found ${f.wireType}`);
}

function count(v: bigint, what: string, at: number, fail: Fail): number {
  const n = asInt64(v);
  if (n < 0n) fail(`${what} at byte ${at}: expected a non-negative integer, found ${n}`);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) fail(`${what} at byte ${at}: ${n} is too large`);
  return Number(n);
}

async function readShape(file: WindowedFile, start: number, end: number, where: string, fail: Fail): Promise<number[]> {
  const dims: number[] = [];
  const cur = new MessageCursor(file, start, end, fail);
  for (let f = await cur.next(); f; f = await cur.next()) {
    if (f.field === 3 && f.value !== 0n) fail(`${where}: shape at byte ${f.tagAt} has unknown rank`);
    if (f.field !== 2) continue;
    expectWire(f, WIRE_LEN, 'TensorShapeProto.dim', fail);
    if (dims.length >= MAX_RANK) fail(`${where}: shape has more than ${MAX_RANK} dims`);
    let size = 0;
    const d = cur.sub(f);
    for (let g = await d.next(); g; g = await d.next()) {
      if (g.field !== 1) continue;
      expectWire(g, WIRE_VARINT, 'Dim.size', fail);
      size = count(g.value, `${where}: dim size`, g.tagAt, fail);
    }
    dims.push(size);
  }
  return dims;
}

/** Reads and checks a bundle's index: the header and every entry. */
export async function readTfBundle(path: string, size: number): Promise<TfBundle> {
  const fail: Fail = (msg) => {
    throw new WeightlineError('BAD_FORMAT', msg, path);
  };
  const handle = await open(path, 'r');
  try {
    const table = await readTableEntries(handle, size, fail);
    const file = new WindowedFile(handle, size, fail);
    const first = table[0];
    if (!first || first.key.length !== 0) fail('expected the bundle header (the entry with the empty key) first in the index, found none');
    let numShards = 0;
    let endianness = 0;
    const hc = new MessageCursor(file, first!.valueAt, first!.valueAt + first!.valueLength, fail);
    for (let f = await hc.next(); f; f = await hc.next()) {
      if (f.field === 1) {
        expectWire(f, WIRE_VARINT, 'BundleHeaderProto.num_shards', fail);
        numShards = Number(BigInt.asIntN(32, f.value));
      } else if (f.field === 2) {
        expectWire(f, WIRE_VARINT, 'BundleHeaderProto.endianness', fail);
        endianness = Number(BigInt.asIntN(32, f.value));
      }
    }
    if (numShards < 1 || numShards > 99999) fail(`bundle header at byte ${first!.valueAt}: expected num_shards between 1 and 99999, found ${numShards}`);
    if (endianness !== 0 && endianness !== 1) fail(`bundle header at byte ${first!.valueAt}: unknown endianness ${endianness}`);

    const entries: TfEntry[] = [];
    for (const e of table.slice(1)) {
      const name = keyName(e.key);
      const where = `entry ${JSON.stringify(name)} at byte ${e.valueAt}`;
      let dtype = 0;
      let shape: number[] = [];
      let shardId = 0;
      let offset = 0;
      let bytes = 0;
      let sliced = false;
      const c = new MessageCursor(file, e.valueAt, e.valueAt + e.valueLength, fail);
      for (let f = await c.next(); f; f = await c.next()) {
        switch (f.field) {
          case 1: expectWire(f, WIRE_VARINT, 'BundleEntryProto.dtype', fail); dtype = Number(BigInt.asIntN(32, f.value)); break;
          case 2: expectWire(f, WIRE_LEN, 'BundleEntryProto.shape', fail); shape = await readShape(file, f.at, f.end, where, fail); break;
          case 3: expectWire(f, WIRE_VARINT, 'BundleEntryProto.shard_id', fail); shardId = Number(BigInt.asIntN(32, f.value)); break;
          case 4: expectWire(f, WIRE_VARINT, 'BundleEntryProto.offset', fail); offset = count(f.value, `${where}: offset`, f.tagAt, fail); break;
          case 5: expectWire(f, WIRE_VARINT, 'BundleEntryProto.size', fail); bytes = count(f.value, `${where}: size`, f.tagAt, fail); break;
          case 6: expectWire(f, WIRE_I32, 'BundleEntryProto.crc32c', fail); break;
          case 7: expectWire(f, WIRE_LEN, 'BundleEntryProto.slices', fail); sliced = true; break;
          default: break;
        }
      }
      if (!sliced) {
        if (shardId < 0 || shardId >= numShards) fail(`${where}: shard_id ${shardId} is not below num_shards ${numShards}`);
        const type = TF_TYPES.get(dtype);
        if (type) {
          const need = shape.reduce((a, d) => a * BigInt(d), 1n) * BigInt(type.width);
          if (need !== BigInt(bytes)) fail(`${where}: shape [${shape.join(', ')}] of ${type.name} needs ${need} bytes, found size ${bytes}`);
        }
      }
      entries.push({ name, dtype, shape, shardId, offset, size: bytes, sliced, at: e.valueAt });
    }
    return { numShards, littleEndian: endianness === 0, entries };
  } finally {
    await handle.close();
  }
}

/**
 * Layout of a `.index` file. One that ends in the table magic, or sits beside
 * a `<stem>.data-…` shard, must parse as a bundle index; any other `.index`
 * file is someone else's and generic.
 */
export async function readTfIndexLayout(path: string, size: number, hasShardSibling: () => Promise<boolean>): Promise<FileLayout> {
  const handle = await open(path, 'r');
  let magic: boolean;
  try {
    magic = await hasTableMagic(handle, size);
  } finally {
    await handle.close();
  }
  if (!magic && !(await hasShardSibling())) return { format: 'generic', size, tensors: [] };
  await readTfBundle(path, size);
  return { format: 'tf-checkpoint', size, tensors: [] };
}

/** Layout of data shard `shard` of `numShards` (its name's K and N) as the bundle says. */
export function tfShardLayout(bundle: TfBundle, indexPath: string, path: string, size: number, shard: number, numShards: number): FileLayout {
  const fail: Fail = (msg) => {
    throw new WeightlineError('BAD_FORMAT', msg, path);
  };
  if (numShards !== bundle.numShards) fail(`the file name says ${numShards} shards, its index ${indexPath} says ${bundle.numShards}`);
  if (shard >= numShards) fail(`the file name says shard ${shard} of ${numShards}, past the last shard`);
  const tensors: TensorRegion[] = [];
  for (const e of bundle.entries) {
    if (e.sliced || e.shardId !== shard || e.size === 0) continue;
    if (e.offset + e.size > size) {
      fail(`${indexPath} places ${JSON.stringify(e.name)} at [${e.offset}, ${e.offset + e.size}) of this shard, past its end at ${size} bytes`);
    }
    const type = TF_TYPES.get(e.dtype);
    if (!type) continue; // strings, variants, resources: residual
    tensors.push({
      name: e.name,
      dtype: bundle.littleEndian ? type.dtype : 'OTHER',
      shape: e.shape,
      offset: e.offset,
      length: e.size,
      width: type.width,
      littleEndian: bundle.littleEndian && type.littleEndian,
    });
  }
  tensors.sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < tensors.length; i++) {
    const a = tensors[i - 1]!;
    const b = tensors[i]!;
    if (b.offset < a.offset + a.length) {
      fail(`${indexPath} places ${JSON.stringify(b.name)} at byte ${b.offset}, inside ${JSON.stringify(a.name)} [${a.offset}, ${a.offset + a.length})`);
    }
  }
  return { format: 'tf-checkpoint', size, tensors };
}
