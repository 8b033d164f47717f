// The object tree torch.save pickles, read for its storages: which storages
// exist, their dtypes, and the name of the first tensor using each. Shared by
// the zip reader (pytorch.ts) and the legacy reader (pytorch-legacy.ts), so
// neither imports the other's internals.

import { DTYPE_WIDTH, type Dtype, type TensorRegion } from '../base/layout';
import type { PickleCall, PickleValue } from './pickle';

/** Checkpoints nest a handful of levels; deeper values are skipped (and stay in the residual). */
const MAX_TREE_DEPTH = 200;

export interface StorageType {
  readonly dtype: Dtype;
  readonly width: number;
}

function typed(dtype: Exclude<Dtype, 'OTHER'>): StorageType {
  return { dtype, width: DTYPE_WIDTH[dtype] };
}

// The storage classes torch pickles as the second element of a storage id.
const STORAGE_CLASSES: ReadonlyMap<string, StorageType> = new Map([
  ['FloatStorage', typed('F32')],
  ['DoubleStorage', typed('F64')],
  ['HalfStorage', typed('F16')],
  ['BFloat16Storage', typed('BF16')],
  ['LongStorage', typed('I64')],
  ['IntStorage', typed('I32')],
  ['ShortStorage', typed('I16')],
  ['CharStorage', typed('I8')],
  ['ByteStorage', typed('U8')],
  ['BoolStorage', typed('BOOL')],
  ['ComplexFloatStorage', typed('C64')],
  ['ComplexDoubleStorage', typed('C128')],
  ['Float8_e4m3fnStorage', typed('F8_E4M3')],
  ['Float8_e5m2Storage', typed('F8_E5M2')],
  ['ComplexHalfStorage', { dtype: 'OTHER', width: 4 }],
  ['Float8_e4m3fnuzStorage', { dtype: 'OTHER', width: 1 }],
  ['Float8_e5m2fnuzStorage', { dtype: 'OTHER', width: 1 }],
  ['QInt8Storage', { dtype: 'OTHER', width: 1 }],
  ['QUInt8Storage', { dtype: 'OTHER', width: 1 }],
  ['QInt32Storage', { dtype: 'OTHER', width: 4 }],
  ['QUInt4x2Storage', { dtype: 'OTHER', width: 1 }],
  ['QUInt2x4Storage', { dtype: 'OTHER', width: 1 }],
]);

// torch.<dtype> globals, as _rebuild_tensor_v3 passes them for untyped storages.
const TORCH_DTYPES: ReadonlyMap<string, Exclude<Dtype, 'OTHER'>> = new Map([
  ['float32', 'F32'], ['float', 'F32'], ['float64', 'F64'], ['double', 'F64'],
  ['float16', 'F16'], ['half', 'F16'], ['bfloat16', 'BF16'],
  ['int64', 'I64'], ['long', 'I64'], ['int32', 'I32'], ['int', 'I32'],
  ['int16', 'I16'], ['short', 'I16'], ['int8', 'I8'],
  ['uint8', 'U8'], ['uint16', 'U16'], ['uint32', 'U32'], ['uint64', 'U64'],
  ['bool', 'BOOL'], ['complex64', 'C64'], ['cfloat', 'C64'], ['complex128', 'C128'], ['cdouble', 'C128'],
  ['float8_e4m3fn', 'F8_E4M3'], ['float8_e5m2', 'F8_E5M2'],
]);

const UNTYPED: StorageType = typed('U8');
/** A storage class not in STORAGE_CLASSES: its element width is a guess. */
export const UNKNOWN_STORAGE: StorageType = { dtype: 'OTHER', width: 1 };

const REBUILD_TENSOR = new Set(['_rebuild_tensor', '_rebuild_tensor_v2', '_rebuild_tensor_v3']);

/** One storage reference: ('storage', <class>, key, location, numel). */
interface StorageRef {
  readonly key: string;
  readonly type: StorageType;
  readonly untyped: boolean;
}

/** A tensor in the tree: which storage, and how it views it. */
interface TensorUse {
  readonly path: string;
  readonly storage: StorageRef;
  readonly offset: number;
  readonly size: readonly number[];
  readonly stride: readonly number[];
  /** From _rebuild_tensor_v3 when the storage is untyped. */
  readonly dtype: StorageType | undefined;
}

function isGlobal(v: PickleValue, module: string, names: ReadonlySet<string> | string): boolean {
  if (typeof v !== 'object' || v === null || v.kind !== 'global' || v.module !== module) return false;
  return typeof names === 'string' ? v.name === names : names.has(v.name);
}

function items(v: PickleValue): readonly PickleValue[] | undefined {
  return typeof v === 'object' && v !== null && (v.kind === 'tuple' || v.kind === 'list') ? v.items : undefined;
}

function asInt(v: PickleValue | undefined): number | undefined {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  return undefined;
}

function asInts(v: PickleValue | undefined): number[] | undefined {
  const xs = v === undefined ? undefined : items(v);
  if (!xs) return undefined;
  const out: number[] = [];
  for (const x of xs) {
    const n = asInt(x);
    if (n === undefined || n < 0) return undefined;
    out.push(n);
  }
  return out;
}

function storageRef(v: PickleValue | undefined): StorageRef | undefined {
  if (typeof v !== 'object' || v === null || v.kind !== 'persistent') return undefined;
  const id = items(v.id);
  if (!id || id.length < 3 || id[0] !== 'storage') return undefined;
  const cls = id[1]!;
  const key = id[2];
  if (typeof key !== 'string' || typeof cls !== 'object' || cls === null || cls.kind !== 'global') return undefined;
  // Typed storages are torch.FloatStorage etc.; untyped ones are
  // torch.UntypedStorage or torch.storage.UntypedStorage and count bytes.
  if (cls.name === 'UntypedStorage' || cls.name === '_UntypedStorage') return { key, type: UNTYPED, untyped: true };
  const type = STORAGE_CLASSES.get(cls.name) ?? UNKNOWN_STORAGE;
  return { key, type, untyped: false };
}

function tensorUse(call: PickleCall, path: () => string): TensorUse | undefined {
  if (!isGlobal(call.fn, 'torch._utils', REBUILD_TENSOR)) return undefined;
  const args = items(call.args);
  if (!args) return undefined;
  const storage = storageRef(args[0]);
  const offset = asInt(args[1]);
  const size = asInts(args[2]);
  const stride = asInts(args[3]);
  if (!storage || offset === undefined || offset < 0 || !size || !stride || size.length !== stride.length) return undefined;
  let dtype: StorageType | undefined;
  const dtypeArg = args[6];
  if (
    fnName(call) === '_rebuild_tensor_v3' && typeof dtypeArg === 'object' && dtypeArg !== null &&
    dtypeArg.kind === 'global' && dtypeArg.module === 'torch'
  ) {
    const d = TORCH_DTYPES.get(dtypeArg.name);
    if (d) dtype = typed(d);
  }
  return { path: path(), storage, offset, size, stride, dtype };
}

function fnName(call: PickleCall): string | undefined {
  return typeof call.fn === 'object' && call.fn !== null && call.fn.kind === 'global' ? call.fn.name : undefined;
}

function keySegment(k: PickleValue): string {
  if (typeof k === 'string') return k;
  if (typeof k === 'number' || typeof k === 'bigint' || typeof k === 'boolean') return String(k);
  if (k === null) return 'None';
  return '?';
}

// Paths are shared linked lists so a wide, deep hostile tree costs one node
// per value, not one array per value; they are joined only for tensors.
interface PathNode {
  readonly seg: string;
  readonly parent: PathNode | null;
  readonly depth: number;
}

function child(parent: PathNode | null, seg: string): PathNode {
  return { seg, parent, depth: (parent?.depth ?? 0) + 1 };
}

function joinPath(node: PathNode | null): string {
  const segs: string[] = [];
  for (let n = node; n; n = n.parent) segs.push(n.seg);
  return segs.reverse().join('.');
}

/**
 * All tensors and bare storages in the tree, in pickle order (depth first, the
 * order torch.load would meet them). Dict keys and list indices make the path;
 * object records (OrderedDict, Parameter, Namespace...) are transparent.
 */
function collect(root: PickleValue): { tensors: TensorUse[]; storages: StorageRef[] } {
  const tensors: TensorUse[] = [];
  const storages: StorageRef[] = [];
  const seen = new Set<object>();
  // Explicit stack: hostile pickles can nest far deeper than the JS call stack.
  const todo: { v: PickleValue; path: PathNode | null }[] = [{ v: root, path: null }];
  while (todo.length > 0) {
    const { v, path } = todo.pop()!;
    if (typeof v !== 'object' || v === null || seen.has(v) || (path?.depth ?? 0) > MAX_TREE_DEPTH) continue;
    seen.add(v); // shared and cyclic references: the first path wins
    const children: { v: PickleValue; path: PathNode | null }[] = [];
    switch (v.kind) {
      case 'dict':
        for (const [k, x] of v.entries) children.push({ v: x, path: child(path, keySegment(k)) });
        break;
      case 'list':
      case 'tuple':
        v.items.forEach((x, i) => children.push({ v: x, path: child(path, String(i)) }));
        break;
      case 'persistent': {
        const ref = storageRef(v);
        if (ref) storages.push(ref);
        break;
      }
      case 'call': {
        const use = tensorUse(v, () => joinPath(path));
        if (use) {
          tensors.push(use);
          storages.push(use.storage);
          break;
        }
        // A wrapper (_rebuild_parameter, tensor subclasses, OrderedDict,
        // objects rebuilt from state): its contents stand at its own path.
        for (const x of items(v.args) ?? [v.args]) children.push({ v: x, path });
        if (v.state !== undefined) children.push({ v: v.state, path });
        for (const [k, x] of v.items) children.push({ v: x, path: child(path, keySegment(k)) });
        v.appended.forEach((x, i) => children.push({ v: x, path: child(path, String(i)) }));
        break;
      }
      default: // sets, bytes, globals: no tensors inside
        break;
    }
    for (let i = children.length - 1; i >= 0; i--) todo.push(children[i]!);
  }
  return { tensors, storages };
}

function product(xs: readonly number[]): number {
  return xs.reduce((a, b) => a * b, 1);
}

function isContiguous(size: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let i = size.length - 1; i >= 0; i--) {
    if (size[i] !== 1 && stride[i] !== expected) return false;
    expected *= size[i]!;
  }
  return true;
}

export interface StoragePlan {
  readonly key: string;
  name: string | undefined;
  type: StorageType;
  readonly uses: TensorUse[];
}

/** Storages in first-use order, each with its name (undefined = fall back) and dtype. */
export function planStorages(root: PickleValue): StoragePlan[] {
  const { tensors, storages } = collect(root);
  const plans = new Map<string, StoragePlan>();
  for (const ref of storages) {
    if (!plans.has(ref.key)) plans.set(ref.key, { key: ref.key, name: undefined, type: ref.type, uses: [] });
  }
  for (const use of tensors) {
    const plan = plans.get(use.storage.key)!;
    if (plan.uses.length === 0) {
      plan.name = use.path === '' ? undefined : use.path;
      if (use.storage.untyped && use.dtype) plan.type = use.dtype;
    }
    plan.uses.push(use);
  }
  // Names must be unique to match across versions: any name two storages
  // would share is dropped for all of them.
  const counts = new Map<string, number>();
  for (const p of plans.values()) if (p.name !== undefined) counts.set(p.name, (counts.get(p.name) ?? 0) + 1);
  for (const p of plans.values()) if (p.name !== undefined && counts.get(p.name)! > 1) p.name = undefined;
  return [...plans.values()];
}

export function fallbackName(key: string): string {
  return `storage/${key}`;
}

export function region(
  plan: StoragePlan,
  name: string,
  offset: number,
  length: number,
  littleEndian: boolean,
): TensorRegion {
  let { dtype, width } = plan.type;
  // A storage whose byte count does not fit its element width is still
  // addressable, just not as numbers.
  if (length % width !== 0) {
    dtype = 'U8';
    width = 1;
  }
  const numel = length / width;
  // Report the tensor's own shape only when it is exactly the whole storage.
  const whole = plan.uses.find((u) => u.offset === 0 && product(u.size) === numel && isContiguous(u.size, u.stride));
  return {
    name,
    dtype: littleEndian || width === 1 ? dtype : 'OTHER',
    shape: whole ? [...whole.size] : [numel],
    offset,
    length,
    width,
    littleEndian: (littleEndian || width === 1) && dtype !== 'OTHER',
  };
}
