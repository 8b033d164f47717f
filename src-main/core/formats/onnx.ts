// ONNX models: a protobuf ModelProto whose graph's initializers (TensorProto)
// are the parameters. A tensor's bytes lie either inside the .onnx, in its
// raw_data field (or a packed float_data/double_data field, the same
// little-endian bytes under another tag), or in an external data file named
// by its external_data entries (location, offset, length). The model is
// walked field by field from the file (protobuf-wire.ts), skipping over the
// weights, so a 4 GB model costs a few windows of memory.
//
// What is a tensor region: inline raw_data, packed float_data (FLOAT,
// COMPLEX64), packed double_data (DOUBLE, COMPLEX128), of the main graph, of
// training_info graphs and of subgraphs in node attributes (If/Loop/Scan
// bodies). What stays in the residual: everything else, including
// varint-encoded int32_data/int64_data/uint64_data (FLOAT16 and BF16 stored
// as int32_data among them), string_data, unpacked or split repeated fields,
// segmented tensors, sparse_initializer, Constant node attributes.

import { open } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { WeightlineError } from '../../../src-shared/errors';
import type { Dtype, FileLayout, TensorRegion } from '../base/layout';
import {
  asInt64, MessageCursor, readPackedVarints, WindowedFile, WIRE_I32, WIRE_I64, WIRE_LEN, WIRE_VARINT,
  type Fail, type WireField,
} from './protobuf-wire';

interface TypeInfo {
  readonly name: string;
  readonly dtype: Dtype;
  readonly width: number;
  /** Bits per element: 4 and 2-bit types pack several elements per byte. */
  readonly bits: number;
  readonly littleEndian: boolean;
}

const t = (name: string, dtype: Dtype, width: number, bits = width * 8, littleEndian = true): TypeInfo => ({ name, dtype, width, bits, littleEndian });

/** TensorProto.DataType (onnx/onnx.proto). STRING (8) and UNDEFINED (0) hold no fixed-width data. */
const ONNX_TYPES: ReadonlyMap<number, TypeInfo> = new Map([
  [1, t('FLOAT', 'F32', 4)], [2, t('UINT8', 'U8', 1)], [3, t('INT8', 'I8', 1)], [4, t('UINT16', 'U16', 2)],
  [5, t('INT16', 'I16', 2)], [6, t('INT32', 'I32', 4)], [7, t('INT64', 'I64', 8)], [9, t('BOOL', 'BOOL', 1)],
  [10, t('FLOAT16', 'F16', 2)], [11, t('DOUBLE', 'F64', 8)], [12, t('UINT32', 'U32', 4)], [13, t('UINT64', 'U64', 8)],
  [14, t('COMPLEX64', 'C64', 8)], [15, t('COMPLEX128', 'C128', 16)], [16, t('BFLOAT16', 'BF16', 2)],
  [17, t('FLOAT8E4M3FN', 'F8_E4M3', 1)], [18, t('FLOAT8E4M3FNUZ', 'OTHER', 1, 8, false)],
  [19, t('FLOAT8E5M2', 'F8_E5M2', 1)], [20, t('FLOAT8E5M2FNUZ', 'OTHER', 1, 8, false)],
  [21, t('UINT4', 'OTHER', 1, 4, false)], [22, t('INT4', 'OTHER', 1, 4, false)],
  [23, t('FLOAT4E2M1', 'OTHER', 1, 4, false)], [24, t('FLOAT8E8M0', 'OTHER', 1, 8, false)],
  [25, t('UINT2', 'OTHER', 1, 2, false)], [26, t('INT2', 'OTHER', 1, 2, false)],
]);
const STRING = 8;
const EXTERNAL = 1;

/** Limits no real model comes near; a hostile file hits them instead of the memory limit. */
const MAX_NAME_BYTES = 64 * 1024;
const MAX_RANK = 1024;
const MAX_TENSORS = 1_000_000;
const MAX_GRAPH_DEPTH = 32;

/** A tensor whose bytes live in an external data file. */
export interface ExternalTensor {
  readonly name: string;
  readonly dtype: Dtype;
  readonly shape: readonly number[];
  readonly width: number;
  readonly littleEndian: boolean;
  /** As written in the model: relative to the model's folder. */
  readonly location: string;
  readonly offset: number;
  readonly length: number;
}

export interface OnnxModel {
  /** Regions inside the .onnx itself, sorted by offset. */
  readonly inline: readonly TensorRegion[];
  readonly external: readonly ExternalTensor[];
}

interface Walk {
  readonly file: WindowedFile;
  readonly fail: Fail;
  readonly inline: TensorRegion[];
  readonly external: ExternalTensor[];
  readonly names: Map<string, number>;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function expectWire(f: WireField, wireType: number, what: string, fail: Fail): void {
  if (f.wireType !== wireType) fail(`${what} (field ${f.field}) at byte ${f.tagAt}: expected wire type ${wireType}, found ${f.wireType}`);
}

async function readString(w: Walk, f: WireField, what: string): Promise<string> {
  expectWire(f, WIRE_LEN, what, w.fail);
  const bytes = await w.file.bytes(f.at, f.end - f.at, MAX_NAME_BYTES, what);
  try {
    return utf8.decode(bytes);
  } catch {
    return w.fail(`${what} at byte ${f.at}: expected UTF-8 text, found invalid bytes`);
  }
}

function toCount(v: bigint, what: string, at: number, fail: Fail): number {
  const n = asInt64(v);
  if (n < 0n) fail(`${what} at byte ${at}: expected a non-negative integer, found ${n}`);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) fail(`${what} at byte ${at}: ${n} is too large`);
  return Number(n);
}

function claimName(w: Walk, name: string, at: number): void {
  const prev = w.names.get(name);
  if (prev !== undefined) w.fail(`initializer name ${JSON.stringify(name)} at byte ${at} is already used by the initializer at byte ${prev}`);
  if (w.names.size >= MAX_TENSORS) w.fail(`more than ${MAX_TENSORS} initializers`);
  w.names.set(name, at);
}

interface Packed {
  chunks: number;
  unpacked: boolean;
  at: number;
  length: number;
}

/** One TensorProto (an initializer) at [f.at, f.end). */
async function readTensor(w: Walk, cur: MessageCursor, tagAt: number, prefix: string, index: number): Promise<void> {
  const { fail } = w;
  const dims: bigint[] = [];
  let dataType = 0;
  let name: string | undefined;
  let raw: WireField | undefined;
  let segment = false;
  let dataLocation = 0;
  const floats: Packed = { chunks: 0, unpacked: false, at: 0, length: 0 };
  const doubles: Packed = { chunks: 0, unpacked: false, at: 0, length: 0 };
  const externalFields: WireField[] = [];
  for (let f = await cur.next(); f; f = await cur.next()) {
    switch (f.field) {
      case 1: // dims: repeated int64, written unpacked by onnx (proto2) but packed is legal too
        if (f.wireType === WIRE_VARINT) dims.push(f.value);
        else if (f.wireType === WIRE_LEN) dims.push(...(await readPackedVarints(w.file, f.at, f.end, MAX_RANK, fail)));
        else expectWire(f, WIRE_VARINT, 'TensorProto.dims', fail);
        if (dims.length > MAX_RANK) fail(`tensor at byte ${tagAt} has more than ${MAX_RANK} dims`);
        break;
      case 2:
        expectWire(f, WIRE_VARINT, 'TensorProto.data_type', fail);
        dataType = Number(BigInt.asIntN(32, f.value));
        break;
      case 3:
        expectWire(f, WIRE_LEN, 'TensorProto.segment', fail);
        segment = true;
        break;
      case 4:
      case 10: {
        const p = f.field === 4 ? floats : doubles;
        const single = f.field === 4 ? WIRE_I32 : WIRE_I64;
        if (f.wireType === WIRE_LEN) {
          p.chunks++;
          p.at = f.at;
          p.length = f.end - f.at;
        } else {
          expectWire(f, single, f.field === 4 ? 'TensorProto.float_data' : 'TensorProto.double_data', fail);
          p.unpacked = true;
        }
        break;
      }
      case 8:
        name = await readString(w, f, 'TensorProto.name');
        break;
      case 9:
        expectWire(f, WIRE_LEN, 'TensorProto.raw_data', fail);
        raw = f; // protobuf semantics: the last occurrence wins; earlier ones are residual
        break;
      case 13:
        expectWire(f, WIRE_LEN, 'TensorProto.external_data', fail);
        externalFields.push(f);
        if (externalFields.length > 64) fail(`tensor at byte ${tagAt} has more than 64 external_data entries`);
        break;
      case 14:
        expectWire(f, WIRE_VARINT, 'TensorProto.data_location', fail);
        dataLocation = Number(BigInt.asIntN(32, f.value));
        break;
      default:
        break; // int32_data, string_data, int64_data, uint64_data, doc_string, unknown fields: residual
    }
  }
  if (dataLocation !== 0 && dataLocation !== EXTERNAL) fail(`tensor at byte ${tagAt}: unknown data_location ${dataLocation}`);

  // Subgraph initializers are named by their path (node/attribute/name): unique, and stable across versions.
  const tensorName = `${prefix}${name === undefined || name === '' ? `initializer#${index}` : name}`;
  const where = `tensor ${JSON.stringify(tensorName)} at byte ${tagAt}`;
  const shape = dims.map((d) => toCount(d, `${where}: dims`, tagAt, fail));
  const numel = shape.reduce((a, d) => a * BigInt(d), 1n);
  const type = ONNX_TYPES.get(dataType);
  const expected = type ? (numel * BigInt(type.bits) + 7n) / 8n : undefined;
  const typeName = type?.name ?? (dataType === STRING ? 'STRING' : `data_type ${dataType}`);

  if (dataLocation === EXTERNAL) {
    const entries = new Map<string, string>();
    for (const ef of externalFields) {
      const c = new MessageCursor(w.file, ef.at, ef.end, fail);
      let key = '';
      let value = '';
      for (let g = await c.next(); g; g = await c.next()) {
        if (g.field === 1) key = await readString(w, g, 'external_data key');
        else if (g.field === 2) value = await readString(w, g, 'external_data value');
      }
      entries.set(key, value); // onnx's loader: the last entry for a key wins
    }
    const location = entries.get('location');
    if (!location) return fail(`${where}: data_location is EXTERNAL but external_data names no location`);
    const num = (key: string): number | undefined => {
      const v = entries.get(key);
      if (v === undefined) return undefined;
      if (!/^\d{1,15}$/.test(v)) fail(`${where}: expected external_data ${key} to be a decimal integer, found ${JSON.stringify(v.slice(0, 40))}`);
      return Number(v);
    };
    const offset = num('offset') ?? 0;
    let length = num('length');
    if (type === undefined) {
      if (dataType === STRING || dataType === 0) fail(`${where}: external data for a ${typeName} tensor (only fixed-width types can be external)`);
      // A type newer than this reader: its bytes are still a region, of unknown meaning, if the length is given.
      if (length === undefined) return;
    } else {
      if (length !== undefined && BigInt(length) !== expected) {
        fail(`${where}: shape [${shape.join(', ')}] of ${typeName} needs ${expected} bytes, external_data length says ${length}`);
      }
      if (expected! > BigInt(Number.MAX_SAFE_INTEGER)) fail(`${where}: ${expected} bytes is too large`);
      length = Number(expected);
    }
    claimName(w, tensorName, tagAt);
    if (length === 0) return;
    w.external.push({
      name: tensorName, dtype: type?.dtype ?? 'OTHER', shape, width: type?.width ?? 1,
      littleEndian: type?.littleEndian ?? false, location, offset, length,
    });
    return;
  }
  if (segment) return; // a slice of a bigger tensor: its bytes stay in the residual

  const region = (at: number, length: number, dtype: Dtype, width: number, littleEndian: boolean): void => {
    claimName(w, tensorName, tagAt);
    if (length > 0) w.inline.push({ name: tensorName, dtype, shape, offset: at, length, width, littleEndian });
  };
  if (raw) {
    const length = raw.end - raw.at;
    if (dataType === STRING || dataType === 0) fail(`${where}: raw_data on a ${typeName} tensor (the format forbids it)`);
    if (!type) return region(raw.at, length, 'OTHER', 1, false);
    if (BigInt(length) !== expected) {
      fail(`${where}: shape [${shape.join(', ')}] of ${typeName} needs ${expected} bytes of raw_data, found ${length}`);
    }
    return region(raw.at, length, type.dtype, type.width, type.littleEndian);
  }
  for (const [p, field, allowed] of [[floats, 'float_data', [1, 14]], [doubles, 'double_data', [11, 15]]] as const) {
    if (p.chunks === 0 && !p.unpacked) continue;
    if (!(allowed as readonly number[]).includes(dataType)) fail(`${where}: ${field} on a ${typeName} tensor`);
    // Several packed chunks, or one value per tag, are not one run of bytes: residual.
    if (p.chunks !== 1 || p.unpacked) return;
    const info = ONNX_TYPES.get(dataType)!;
    if (BigInt(p.length) !== expected) {
      fail(`${where}: shape [${shape.join(', ')}] of ${typeName} needs ${expected} bytes of ${field}, found ${p.length}`);
    }
    return region(p.at, p.length, info.dtype, info.width, true);
  }
}

/** The name field of a message (read in a pass of its own: it may come after the fields that need it). */
async function nameOf(w: Walk, cur: () => MessageCursor, nameField: number, what: string): Promise<string | undefined> {
  let name: string | undefined;
  const c = cur();
  for (let f = await c.next(); f; f = await c.next()) if (f.field === nameField) name = await readString(w, f, what);
  return name;
}

async function walkGraph(w: Walk, start: number, end: number, prefix: string, depth: number): Promise<void> {
  const { fail } = w;
  if (depth > MAX_GRAPH_DEPTH) fail(`graphs nested more than ${MAX_GRAPH_DEPTH} deep at byte ${start}`);
  const cur = new MessageCursor(w.file, start, end, fail);
  let nodeIndex = 0;
  let initIndex = 0;
  for (let f = await cur.next(); f; f = await cur.next()) {
    if (f.field === 5) {
      expectWire(f, WIRE_LEN, 'GraphProto.initializer', fail);
      await readTensor(w, cur.sub(f), f.tagAt, prefix, initIndex);
      initIndex++;
    } else if (f.field === 1) {
      expectWire(f, WIRE_LEN, 'GraphProto.node', fail);
      await walkNode(w, f, prefix, nodeIndex, depth);
      nodeIndex++;
    }
  }
}

/** A node's attributes may hold subgraphs (If, Loop, Scan) with initializers of their own. */
async function walkNode(w: Walk, node: WireField, prefix: string, index: number, depth: number): Promise<void> {
  const { fail } = w;
  const open = (): MessageCursor => new MessageCursor(w.file, node.at, node.end, fail);
  const nodeName = (await nameOf(w, open, 3, 'NodeProto.name')) || `node#${index}`;
  const cur = open();
  for (let f = await cur.next(); f; f = await cur.next()) {
    if (f.field !== 5) continue;
    expectWire(f, WIRE_LEN, 'NodeProto.attribute', fail);
    const attr = f;
    const openAttr = (): MessageCursor => new MessageCursor(w.file, attr.at, attr.end, fail);
    const a = openAttr();
    let graphs = 0;
    let attrName: string | undefined;
    for (let g = await a.next(); g; g = await a.next()) {
      if (g.field === 6 || g.field === 11) {
        expectWire(g, WIRE_LEN, 'AttributeProto.g', fail);
        attrName ??= (await nameOf(w, openAttr, 1, 'AttributeProto.name')) ?? '';
        const sub = g.field === 6 ? `${prefix}${nodeName}/${attrName}/` : `${prefix}${nodeName}/${attrName}/${graphs++}/`;
        await walkGraph(w, g.at, g.end, sub, depth + 1);
      }
    }
  }
}

/** Walks an ONNX model: its inline tensor regions and the tensors it keeps in external files. */
export async function readOnnxModel(path: string, size: number): Promise<OnnxModel> {
  const fail: Fail = (msg) => {
    throw new WeightlineError('BAD_FORMAT', msg, path);
  };
  const handle = await open(path, 'r');
  try {
    const file = new WindowedFile(handle, size, fail);
    const w: Walk = { file, fail, inline: [], external: [], names: new Map() };
    const cur = new MessageCursor(file, 0, size, fail);
    let graphs = 0;
    for (let f = await cur.next(); f; f = await cur.next()) {
      if (f.field === 1) expectWire(f, WIRE_VARINT, 'ModelProto.ir_version', fail);
      else if (f.field === 7) {
        expectWire(f, WIRE_LEN, 'ModelProto.graph', fail);
        // A repeated message field merges: two graph fields are one graph.
        await walkGraph(w, f.at, f.end, '', 0);
        graphs++;
      } else if (f.field === 20) {
        expectWire(f, WIRE_LEN, 'ModelProto.training_info', fail);
        const ti = cur.sub(f);
        for (let g = await ti.next(); g; g = await ti.next()) {
          if (g.field !== 1 && g.field !== 2) continue;
          expectWire(g, WIRE_LEN, 'TrainingInfoProto graph', fail);
          await walkGraph(w, g.at, g.end, `training_info/${g.field === 1 ? 'initialization' : 'algorithm'}/`, 1);
        }
      }
    }
    if (graphs === 0) fail(`expected an ONNX ModelProto with a graph (field 7), found none in ${size} bytes`);
    w.inline.sort((a, b) => a.offset - b.offset);
    return { inline: w.inline, external: w.external };
  } finally {
    await handle.close();
  }
}

/** Layout of a .onnx file: its inline initializers. External ones belong to their data files. */
export async function readOnnxLayout(path: string, size: number): Promise<FileLayout> {
  const model = await readOnnxModel(path, size);
  return { format: 'onnx', size, tensors: model.inline };
}

/**
 * Layout of `dataPath` as the external data file of the model at `modelPath`,
 * or null if the model names no tensor in it. A model naming bytes past the
 * end of the file is BAD_FORMAT for the data file: the two do not belong
 * together (a half-written save). Two tensors sharing bytes (tied weights
 * pointing at one range) give one region, the first; the bytes are the same.
 */
export function externalDataLayout(model: OnnxModel, modelPath: string, dataPath: string, dataSize: number): FileLayout | null {
  const folder = dirname(modelPath);
  const target = resolve(dataPath);
  const mine = model.external.filter((e) => resolve(folder, e.location) === target);
  if (mine.length === 0) return null;
  const sorted = [...mine].sort((a, b) => a.offset - b.offset || b.length - a.length);
  const tensors: TensorRegion[] = [];
  let end = 0;
  for (const e of sorted) {
    if (e.offset + e.length > dataSize) {
      throw new WeightlineError(
        'BAD_FORMAT',
        `${modelPath} places tensor ${JSON.stringify(e.name)} at [${e.offset}, ${e.offset + e.length}) of this file, past its end at ${dataSize} bytes`,
        dataPath,
      );
    }
    if (e.offset < end) continue;
    tensors.push({ name: e.name, dtype: e.dtype, shape: e.shape, offset: e.offset, length: e.length, width: e.width, littleEndian: e.littleEndian });
    end = e.offset + e.length;
  }
  return { format: 'onnx-external-data', size: dataSize, tensors };
}
