// torch.save files written with _use_new_zipfile_serialization=False (and by
// every torch before 1.6): five pickles back to back — the magic number, the
// protocol version (1001), sys_info, the object tree (tensors as persistent
// references ('storage', <class>, key, location, numel, view_metadata)), the
// list of storage keys — then, for each key in that list's order, the
// storage's element count as a u64 little-endian and its raw bytes. Each
// storage's bytes become one region, named as in zip checkpoints (the first
// tensor that uses it), so names match across versions.

import { open, type FileHandle } from 'node:fs/promises';
import { WeightlineError } from '../../../src-shared/errors';
import type { FileLayout, TensorRegion } from '../base/layout';
import { parsePicklePrefix, type PickleValue } from './pickle';
import { fallbackName, planStorages, region, UNKNOWN_STORAGE, type StoragePlan } from './pytorch-storages';

/** torch.serialization.MAGIC_NUMBER and PROTOCOL_VERSION. */
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;
/** The pickles are read from a prefix of the file that starts this small and grows up to the cap. */
const FIRST_READ = 1024 * 1024;
const MAX_PICKLES = 64 * 1024 * 1024;

function generic(size: number): FileLayout {
  return { format: 'generic', size, tensors: [] };
}

function isMagic(v: PickleValue): boolean {
  return v === LEGACY_MAGIC;
}

function describe(v: PickleValue): string {
  if (v === null) return 'None';
  if (typeof v === 'bigint') return `${v}`;
  if (typeof v === 'object') return `a ${v.kind}`;
  return JSON.stringify(v) ?? String(v);
}

interface Pickles {
  /** false: the first pickle is not torch's magic number, so this is some other pickle. */
  readonly torch: boolean;
  readonly littleEndian: boolean;
  readonly root: PickleValue;
  readonly keys: readonly string[];
  /** Where the storages start: just past the key list. */
  readonly end: number;
}

function readPickles(path: string, buf: Buffer): Pickles {
  let pos = 0;
  const next = (what: string): PickleValue => {
    const start = pos;
    try {
      const { value, end } = parsePicklePrefix(buf.subarray(pos), { maxBytes: MAX_PICKLES });
      pos += end;
      return value;
    } catch (e) {
      if (e instanceof WeightlineError && e.code === 'BAD_FORMAT') {
        throw new WeightlineError('BAD_FORMAT', `legacy torch.save ${what} pickle starting at byte ${start} (its bytes counted from there): ${e.message}`, path);
      }
      throw e;
    }
  };
  const magic = next('magic number');
  if (!isMagic(magic)) return { torch: false, littleEndian: true, root: null, keys: [], end: 0 };
  const protocolAt = pos;
  const protocol = next('protocol version');
  if (protocol !== LEGACY_PROTOCOL) {
    throw new WeightlineError('BAD_FORMAT', `legacy torch.save: expected protocol version ${LEGACY_PROTOCOL}, found ${describe(protocol)} at byte ${protocolAt}`, path);
  }
  const sysInfo = next('sys_info');
  let littleEndian = true;
  if (typeof sysInfo === 'object' && sysInfo !== null && sysInfo.kind === 'dict') {
    const entry = sysInfo.entries.find(([k]) => k === 'little_endian');
    if (entry && entry[1] === false) littleEndian = false;
  }
  const root = next('object tree');
  const keysAt = pos;
  const keyList = next('storage key list');
  if (typeof keyList !== 'object' || keyList === null || keyList.kind !== 'list' || !keyList.items.every((k) => typeof k === 'string')) {
    throw new WeightlineError('BAD_FORMAT', `legacy torch.save: expected a list of storage keys at byte ${keysAt}, found ${describe(keyList)}`, path);
  }
  return { torch: true, littleEndian, root, keys: keyList.items as string[], end: pos };
}

/** Reads a growing prefix until the five pickles fit in it (or the cap is reached). */
async function readPicklesFrom(handle: FileHandle, path: string, size: number): Promise<Pickles> {
  const cap = Math.min(size, MAX_PICKLES);
  for (let want = Math.min(size, FIRST_READ); ; want = Math.min(cap, want * 8)) {
    const buf = Buffer.alloc(want);
    const { bytesRead } = await handle.read(buf, 0, want, 0);
    if (bytesRead !== want) throw new WeightlineError('BAD_FORMAT', `expected ${want} bytes, read ${bytesRead}: the file shrank while being read`, path);
    try {
      return readPickles(path, buf);
    } catch (e) {
      // Ran out of prefix, most likely: read more, unless there is no more.
      if (!(e instanceof WeightlineError) || e.code !== 'BAD_FORMAT' || want >= cap) throw e;
    }
  }
}

function uniqueNames(tensors: TensorRegion[]): TensorRegion[] {
  // Fallback names could collide with a real path named "storage/<n>".
  const names = new Set<string>();
  return tensors.map((t) => {
    if (!names.has(t.name)) {
      names.add(t.name);
      return t;
    }
    let n = 2;
    while (names.has(`${t.name}#${n}`)) n++;
    names.add(`${t.name}#${n}`);
    return { ...t, name: `${t.name}#${n}` };
  });
}

/**
 * Layout of a legacy torch.save stream (a file starting with a pickle PROTO
 * opcode). A pickle that is not torch's (its first value is not the magic
 * number) is 'generic'; so is a checkpoint using a storage class whose
 * element size is unknown, as its storages cannot be located. A damaged or
 * truncated checkpoint is BAD_FORMAT.
 */
export async function readLegacyLayout(path: string, size: number): Promise<FileLayout> {
  const handle = await open(path, 'r');
  try {
    const pickles = await readPicklesFrom(handle, path, size);
    if (!pickles.torch) return generic(size);
    const plans = new Map<string, StoragePlan>(planStorages(pickles.root).map((p) => [p.key, p]));
    const listed = new Set<string>();
    for (const key of pickles.keys) {
      if (listed.has(key)) throw new WeightlineError('BAD_FORMAT', `legacy torch.save: storage key ${JSON.stringify(key)} is listed twice`, path);
      listed.add(key);
      if (!plans.has(key)) {
        throw new WeightlineError('BAD_FORMAT', `legacy torch.save: storage key ${JSON.stringify(key)} is listed, expected the object tree to reference it, found no reference`, path);
      }
    }
    for (const key of plans.keys()) {
      if (!listed.has(key)) {
        throw new WeightlineError('BAD_FORMAT', `legacy torch.save: the object tree references storage ${JSON.stringify(key)}, expected it in the key list, found it missing`, path);
      }
    }
    // Without the element size the byte count of a storage, and so where the next one starts, is unknown.
    if (pickles.keys.some((k) => plans.get(k)!.type === UNKNOWN_STORAGE)) return generic(size);

    const tensors: TensorRegion[] = [];
    let pos = pickles.end;
    const count = Buffer.alloc(8);
    for (const key of pickles.keys) {
      const plan = plans.get(key)!;
      if (size - pos < 8) {
        throw new WeightlineError('BAD_FORMAT', `legacy torch.save: storage ${JSON.stringify(key)}: expected an 8-byte element count at byte ${pos}, found ${Math.max(0, size - pos)} bytes left`, path);
      }
      await handle.read(count, 0, 8, pos);
      const numel = count.readBigUInt64LE(0);
      const room = size - pos - 8;
      const bytes = numel * BigInt(plan.type.width);
      if (bytes > BigInt(room)) {
        throw new WeightlineError('BAD_FORMAT', `legacy torch.save: storage ${JSON.stringify(key)}: expected ${bytes} bytes (${numel} elements of ${plan.type.width}) at byte ${pos + 8}, found ${room} bytes left in the file`, path);
      }
      const length = Number(bytes);
      if (length > 0) tensors.push(region(plan, plan.name ?? fallbackName(key), pos + 8, length, pickles.littleEndian));
      pos += 8 + length;
    }
    if (tensors.length === 0) return generic(size);
    // Whatever follows the last storage stays in the residual, as torch.load ignores it.
    return { format: 'pytorch-legacy', size, tensors: uniqueNames(tensors) };
  } finally {
    await handle.close();
  }
}

/** How many leading bytes isLegacyTorchStart needs to see (the magic pickle is 15 bytes at protocol 2). */
export const LEGACY_SNIFF_BYTES = 64;

/** True if `head` (a file's first bytes) starts with torch's legacy magic-number pickle. */
export function isLegacyTorchStart(head: Uint8Array): boolean {
  try {
    return isMagic(parsePicklePrefix(head, { maxValues: 16 }).value);
  } catch (e) {
    if (e instanceof WeightlineError && e.code === 'BAD_FORMAT') return false;
    throw e;
  }
}
