// Whether one file's own structure says its writer finished it: a zip's end
// records and central directory parse and every entry lies inside the file; a
// safetensors header parses and the file is exactly header + data long; an
// HDF5 superblock's end-of-file address equals the file's size. A file cut
// anywhere fails these, which is what tells a half-written checkpoint from a
// finished one. Formats with no such sign (a legacy torch pickle, ONNX, GGUF)
// pass, and only their stopping to change, which the caller checks, says they
// are done.

import { open } from 'node:fs/promises';
import { WeightlineError } from '../../../src-shared/errors';
import { withZip } from '../formats/zip-entries';

export type FileCheck =
  | { readonly ok: true }
  /** `short`: the file ends before its structure does (still being written, or cut); else its bytes contradict themselves. */
  | { readonly ok: false; readonly short: boolean; readonly why: string };

const OK: FileCheck = { ok: true };
const ZIP_MAGIC = Buffer.from('PK\x03\x04', 'latin1');
const HDF5_MAGIC = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Local headers are checked one by one; a torch zip has a few hundred entries, so this bound is never reached by one. */
const MAX_LOCAL_HEADER_CHECKS = 20_000;

async function head(path: string, length: number): Promise<{ bytes: Buffer; size: number }> {
  const h = await open(path, 'r');
  try {
    const size = (await h.stat()).size;
    const bytes = Buffer.alloc(Math.min(length, size));
    const { bytesRead } = await h.read(bytes, 0, bytes.length, 0);
    return { bytes: bytes.subarray(0, bytesRead), size };
  } finally {
    await h.close();
  }
}

/** A zip (torch.save, Lightning .ckpt, Keras .keras, numpy .npz): its central directory lists every entry, each inside the file. */
export async function checkZip(path: string): Promise<FileCheck> {
  const { bytes, size } = await head(path, 4);
  if (size < 4) return { ok: false, short: true, why: `${size} bytes so far, not yet a zip's first local header` };
  if (!bytes.equals(ZIP_MAGIC)) return { ok: false, short: false, why: 'does not start with a zip local header (PK\\3\\4)' };
  try {
    await withZip(path, async (zip) => {
      let n = 0;
      for (const entry of zip.entries) {
        if (n++ >= MAX_LOCAL_HEADER_CHECKS) break;
        await zip.dataStart(entry);
      }
    });
    return OK;
  } catch (e) {
    if (!(e instanceof WeightlineError) || e.code !== 'BAD_FORMAT') throw e;
    // A zip is written front to back and its end records last; until those are
    // there, no parse failure can be told from a file still growing.
    return { ok: false, short: !(await hasEndRecord(path)), why: e.message };
  }
}

async function hasEndRecord(path: string): Promise<boolean> {
  const h = await open(path, 'r');
  try {
    const size = (await h.stat()).size;
    const len = Math.min(size, 22 + 0xffff);
    const tail = Buffer.alloc(len);
    await h.read(tail, 0, len, size - len);
    for (let i = len - 22; i >= 0; i--) if (tail.readUInt32LE(i) === 0x06054b50) return true;
    return false;
  } finally {
    await h.close();
  }
}

/** torch.save's files: a zip since torch 1.6; an older pickle stream has no end sign. */
export async function checkTorch(path: string): Promise<FileCheck> {
  const { bytes, size } = await head(path, 4);
  if (size < 4) return { ok: false, short: true, why: `${size} bytes so far` };
  if (bytes.equals(ZIP_MAGIC)) return checkZip(path);
  return OK;
}

const MAX_SAFETENSORS_HEADER = 100 * 1024 * 1024;

/** safetensors: the header parses and the data section ends exactly at the end of the file. */
export async function checkSafetensors(path: string): Promise<FileCheck> {
  const h = await open(path, 'r');
  try {
    const size = (await h.stat()).size;
    if (size < 8) return { ok: false, short: true, why: `${size} bytes so far, not yet the 8-byte header length` };
    const lenBuf = Buffer.alloc(8);
    await h.read(lenBuf, 0, 8, 0);
    const n = lenBuf.readBigUInt64LE(0);
    if (n > BigInt(MAX_SAFETENSORS_HEADER)) return { ok: false, short: false, why: `header length ${n} exceeds ${MAX_SAFETENSORS_HEADER} bytes` };
    const headerLen = Number(n);
    if (8 + headerLen > size) return { ok: false, short: true, why: `header of ${headerLen} bytes, file has ${size - 8} after the length` };
    const headerBytes = Buffer.alloc(headerLen);
    await h.read(headerBytes, 0, headerLen, 8);
    let header: unknown;
    try {
      header = JSON.parse(headerBytes.toString('utf8'));
    } catch (e) {
      return { ok: false, short: false, why: `header is not JSON (${(e as Error).message})` };
    }
    if (typeof header !== 'object' || header === null || Array.isArray(header)) return { ok: false, short: false, why: 'header is not a JSON object' };
    let end = 0;
    for (const [name, v] of Object.entries(header as Record<string, unknown>)) {
      if (name === '__metadata__') continue;
      const offsets = (v as { data_offsets?: unknown } | null)?.data_offsets;
      if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((x) => Number.isSafeInteger(x) && (x as number) >= 0)) {
        return { ok: false, short: false, why: `tensor ${JSON.stringify(name)} has no [begin, end] data_offsets` };
      }
      end = Math.max(end, offsets[1] as number);
    }
    const expected = 8 + headerLen + end;
    if (size < expected) return { ok: false, short: true, why: `${size} of ${expected} bytes written (header + data)` };
    if (size > expected) return { ok: false, short: false, why: `${size} bytes where header + data make ${expected}` };
    return OK;
  } finally {
    await h.close();
  }
}

/**
 * HDF5 (Keras .weights.h5 / .h5): the superblock records the end-of-file
 * address, which the library writes when it closes the file; until then it
 * lags behind the file's size.
 */
export async function checkHdf5(path: string): Promise<FileCheck> {
  const { bytes, size } = await head(path, 128);
  if (size < 8 || !bytes.subarray(0, 8).equals(HDF5_MAGIC)) {
    if (size < 8 && HDF5_MAGIC.subarray(0, size).equals(bytes)) return { ok: false, short: true, why: `${size} bytes so far, not yet the HDF5 signature` };
    // A user block before the superblock (rare for Keras); nothing cheap to check.
    return OK;
  }
  const version = bytes[8];
  let eofAt: number;
  let baseAt: number;
  let offsets: number;
  if (version === 0 || version === 1) {
    offsets = bytes[13]!;
    baseAt = version === 0 ? 24 : 28;
    eofAt = baseAt + 2 * offsets;
  } else if (version === 2 || version === 3) {
    offsets = bytes[9]!;
    baseAt = 12;
    eofAt = baseAt + 2 * offsets;
  } else {
    return { ok: false, short: false, why: `unknown HDF5 superblock version ${version}` };
  }
  if (offsets !== 8 && offsets !== 4) return { ok: false, short: false, why: `HDF5 size of offsets ${offsets}, expected 4 or 8` };
  if (bytes.length < eofAt + offsets) return { ok: false, short: true, why: `${size} bytes so far, not yet the whole superblock` };
  const read = (at: number): number => (offsets === 8 ? Number(bytes.readBigUInt64LE(at)) : bytes.readUInt32LE(at));
  const eof = read(baseAt) + read(eofAt);
  if (eof === size) return OK;
  // While the file is open the superblock on disk lags either way, so a mismatch is 'not yet', never a contradiction.
  return { ok: false, short: true, why: `the HDF5 superblock's end-of-file address is ${eof}, the file has ${size} bytes` };
}

/** The check a file's name calls for; null when its format has no end sign of its own. */
export function checkFor(name: string): ((path: string) => Promise<FileCheck>) | null {
  const lower = name.toLowerCase();
  if (lower.endsWith('.safetensors')) return checkSafetensors;
  if (lower.endsWith('.ckpt') || lower.endsWith('.keras') || lower.endsWith('.npz')) return checkZip;
  if (lower.endsWith('.pt') || lower.endsWith('.pth') || lower.endsWith('.bin')) return checkTorch;
  if (lower.endsWith('.h5') || lower.endsWith('.hdf5')) return checkHdf5;
  return null;
}

/** The file's check, or OK for a format without one. A file that vanished is reported as short (the caller rescans). */
export async function checkFile(path: string, name: string): Promise<FileCheck> {
  const check = checkFor(name);
  if (!check) return OK;
  try {
    return await check(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ok: false, short: true, why: 'the file is gone' };
    throw e;
  }
}
