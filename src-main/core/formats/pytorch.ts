// PyTorch checkpoints as torch.save writes them since 1.6: a zip holding
// <prefix>/data.pkl (the object tree, with tensors as persistent references
// to storages) and one STORED entry <prefix>/data/<key> per storage, raw
// bytes. Each storage's bytes become one tensor region, named after the first
// tensor in the tree that uses it, so names match across versions of a
// checkpoint even though storage keys are just save-order numbers.

import { open } from 'node:fs/promises';
import { WeightlineError } from '../../../src-shared/errors';
import type { FileLayout, TensorRegion } from '../base/layout';
import { parsePickle, type PickleValue } from './pickle';
import { readLegacyLayout } from './pytorch-legacy';
import { fallbackName, planStorages, region } from './pytorch-storages';
import { withZip, ZIP_DEFLATED, ZIP_STORED, type ZipEntryInfo, type ZipReader } from './zip-entries';

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04] as const;
const PICKLE_PROTO = 0x80;
const MAX_DATA_PKL = 32 * 1024 * 1024;

function generic(size: number): FileLayout {
  return { format: 'generic', size, tensors: [] };
}

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ');
}

function printable(bytes: Uint8Array): string {
  return JSON.stringify(Buffer.from(bytes).toString('latin1'));
}

async function readMagic(path: string, n: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await handle.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

export function isZipMagic(bytes: Uint8Array): boolean {
  return ZIP_MAGIC.every((b, i) => bytes[i] === b);
}

export function isPickleMagic(bytes: Uint8Array): boolean {
  return bytes[0] === PICKLE_PROTO;
}

async function readZipCheckpoint(path: string, size: number, zip: ZipReader): Promise<FileLayout> {
  const byName = new Map<string, ZipEntryInfo>();
  for (const e of zip.entries) if (!byName.has(e.name)) byName.set(e.name, e);

  // torch names the folder after the file stem or "archive"; data.pkl at depth 1 marks it.
  const pkl = zip.entries.find((e) => /^[^/]+\/data\.pkl$/.test(e.name));
  if (!pkl) return generic(size);
  const prefix = pkl.name.slice(0, -'/data.pkl'.length);

  if (pkl.uncompressedSize > MAX_DATA_PKL || pkl.encrypted || ![ZIP_STORED, ZIP_DEFLATED].includes(pkl.method)) {
    return generic(size);
  }
  const pklBytes = await zip.read(pkl, MAX_DATA_PKL); // a damaged zip is BAD_FORMAT, not generic
  let root: PickleValue;
  try {
    root = parsePickle(pklBytes, { file: path });
  } catch (e) {
    // An unreadable pickle only costs us the tensor split: the file is still
    // stored whole, bit-exact.
    if (e instanceof WeightlineError && e.code === 'BAD_FORMAT') return generic(size);
    throw e;
  }

  const byteorderEntry = byName.get(`${prefix}/byteorder`);
  let littleEndian = true;
  if (byteorderEntry && byteorderEntry.uncompressedSize <= 16) {
    littleEndian = (await zip.read(byteorderEntry, 16)).toString('latin1').trim() !== 'big';
  }

  const tensors: TensorRegion[] = [];
  for (const plan of planStorages(root)) {
    const entry = byName.get(`${prefix}/data/${plan.key}`);
    if (!entry) {
      throw new WeightlineError(
        'BAD_FORMAT',
        `data.pkl references storage ${JSON.stringify(plan.key)}, expected a zip entry ${prefix}/data/${plan.key}, found none`,
        path,
      );
    }
    // A compressed storage has no in-place bytes to point at; it stays in the residual.
    if (entry.method !== ZIP_STORED || entry.encrypted || entry.uncompressedSize === 0) continue;
    const start = await zip.dataStart(entry);
    tensors.push(region(plan, plan.name ?? fallbackName(plan.key), start, entry.uncompressedSize, littleEndian));
  }
  if (tensors.length === 0) return generic(size);

  // Fallback names could collide with a real path named "storage/<n>".
  const names = new Set<string>();
  const unique = tensors.map((t) => {
    const key = t.name;
    if (!names.has(key)) {
      names.add(key);
      return t;
    }
    let n = 2;
    while (names.has(`${key}#${n}`)) n++;
    names.add(`${key}#${n}`);
    return { ...t, name: `${key}#${n}` };
  });

  unique.sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < unique.length; i++) {
    const prev = unique[i - 1]!;
    const cur = unique[i]!;
    if (cur.offset < prev.offset + prev.length) {
      throw new WeightlineError(
        'BAD_FORMAT',
        `zip entries overlap: storage ${cur.name} starts at byte ${cur.offset}, inside ${prev.name} (bytes ${prev.offset}..${prev.offset + prev.length})`,
        path,
      );
    }
  }
  return { format: 'pytorch-zip', size, tensors: unique };
}

/**
 * Layout of a torch.save file. Zip checkpoints give one region per stored
 * storage, legacy (pre-1.6) pickle streams one per storage (pytorch-legacy.ts);
 * zips whose data.pkl holds no storages, and plain pickles, are 'generic'.
 * Anything that is neither zip nor pickle is BAD_FORMAT.
 */
export async function readPytorchLayout(path: string, size: number): Promise<FileLayout> {
  if (size === 0) {
    throw new WeightlineError('BAD_FORMAT', 'empty file: expected a PyTorch zip (PK\\x03\\x04) or pickle (\\x80), found 0 bytes', path);
  }
  const magic = await readMagic(path, 4);
  if (isZipMagic(magic)) return withZip(path, (zip) => readZipCheckpoint(path, size, zip));
  // Legacy torch.save: several pickles back to back, then raw storage bytes.
  if (isPickleMagic(magic)) return readLegacyLayout(path, size);
  throw new WeightlineError(
    'BAD_FORMAT',
    `expected a PyTorch zip (PK\\x03\\x04) or pickle (\\x80), found ${printable(magic)} (${hex(magic)})`,
    path,
  );
}
