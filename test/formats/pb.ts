// Hand-encoding protobuf and LevelDB tables for the ONNX and TF tests: hostile
// files need bytes no real writer would produce.

import { crc32c, maskCrc } from '../../src-main/core/formats/leveldb-table';

export function varint(n: number | bigint): Buffer {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  do {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v ? b | 0x80 : b);
  } while (v);
  return Buffer.from(out);
}

export const pbVarint = (field: number, n: number | bigint): Buffer => Buffer.concat([varint(field << 3), varint(n)]);
export const pbBytes = (field: number, b: Buffer | string): Buffer => {
  const buf = typeof b === 'string' ? Buffer.from(b) : b;
  return Buffer.concat([varint((field << 3) | 2), varint(buf.length), buf]);
};
export const pbFixed32 = (field: number, n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return Buffer.concat([varint((field << 3) | 5), b]);
};

/** An ONNX TensorProto with raw_data. */
export function onnxTensor(name: string, dataType: number, dims: readonly number[], raw: Buffer, extra: Buffer[] = []): Buffer {
  return Buffer.concat([...dims.map((d) => pbVarint(1, d)), pbVarint(2, dataType), pbBytes(8, name), pbBytes(9, raw), ...extra]);
}

/** A ModelProto whose graph holds these initializers (and these extra graph fields). */
export function onnxModel(initializers: readonly Buffer[], graphExtra: Buffer[] = []): Buffer {
  const graph = Buffer.concat([...graphExtra, ...initializers.map((t) => pbBytes(5, t))]);
  return Buffer.concat([pbVarint(1, 8), pbBytes(2, 'test'), pbBytes(7, graph)]);
}

function block(entries: readonly [Buffer, Buffer][], restartInterval: number): Buffer {
  const parts: Buffer[] = [];
  const restarts: number[] = [];
  let size = 0;
  let last: Buffer = Buffer.alloc(0);
  entries.forEach(([k, v], i) => {
    let shared = 0;
    if (i % restartInterval === 0) restarts.push(size);
    else while (shared < Math.min(last.length, k.length) && last[shared] === k[shared]) shared++;
    const e = Buffer.concat([varint(shared), varint(k.length - shared), varint(v.length), k.subarray(shared), v]);
    parts.push(e);
    size += e.length;
    last = k;
  });
  if (restarts.length === 0) restarts.push(0);
  const tail = Buffer.alloc(4 * restarts.length + 4);
  restarts.forEach((r, i) => tail.writeUInt32LE(r, 4 * i));
  tail.writeUInt32LE(restarts.length, 4 * restarts.length);
  return Buffer.concat([...parts, tail]);
}

/** A LevelDB table of the entries as given (not sorted: tests want bad orders too), one data block. */
export function leveldbTable(entries: readonly [Buffer, Buffer][], opts: { compression?: number } = {}): Buffer {
  const out: Buffer[] = [];
  let size = 0;
  const put = (contents: Buffer, type = 0): Buffer => {
    const trailer = Buffer.alloc(5);
    trailer[0] = type;
    trailer.writeUInt32LE(maskCrc(crc32c(Buffer.concat([contents, trailer.subarray(0, 1)]))), 1);
    const handle = Buffer.concat([varint(size), varint(contents.length)]);
    out.push(contents, trailer);
    size += contents.length + 5;
    return handle;
  };
  const data = put(block(entries, 16), opts.compression ?? 0);
  const lastKey = entries.length ? entries[entries.length - 1]![0] : Buffer.alloc(0);
  const meta = put(block([], 1));
  const index = put(block([[lastKey, data]], 1));
  const footer = Buffer.alloc(48);
  Buffer.concat([meta, index]).copy(footer);
  footer.writeBigUInt64LE(0xdb4775248b80fb57n, 40);
  return Buffer.concat([...out, footer]);
}

/** BundleHeaderProto and BundleEntryProto values. */
export const tfHeader = (numShards: number, endianness = 0): Buffer => Buffer.concat([pbVarint(1, numShards), endianness ? pbVarint(2, endianness) : Buffer.alloc(0)]);
export function tfEntry(dtype: number, shape: readonly number[], shard: number, offset: number, size: number): Buffer {
  const shapeProto = Buffer.concat(shape.map((d) => pbBytes(2, pbVarint(1, d))));
  return Buffer.concat([pbVarint(1, dtype), pbBytes(2, shapeProto), pbVarint(3, shard), pbVarint(4, offset), pbVarint(5, size), pbFixed32(6, 0)]);
}
