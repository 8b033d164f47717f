import { WeightlineError } from '../../../src-shared/errors';
import { DELTA_ENCODING } from './encoding';
import { splitPlanes, joinPlanes } from './planes';
import { decodeSparsePlane, encodeSparsePlane } from './sparse-plane';
import { zstdCompress, zstdDecompress, type ZstdSetting } from './zstd';

// One stored block: its bytes split into byte planes, each plane stored either
// zstd-compressed or raw. Low mantissa planes of float updates are noise that
// no compressor shrinks; a sample tells, and storing them raw halves the time
// spent compressing for the same size (measured: bench/RESULTS.md).
//
// Payload: u8 plane count P, then P × (u8 kind: 0 raw / 1 zstd / 2 sparse,
// u32le length), then the planes' stored bytes in order. See
// docs/STORE-FORMAT.md. Which kind and which zstd settings a plane gets is
// part of the delta encoding (encoding.ts): storePlane keeps every encoding's
// rules, so repair can write a delta of an older encoding again to its name.

// Stores written before per-plane payloads hold one zstd frame of all planes.
// Its magic number cannot be mistaken for a plane count: byte 0 would say 40
// planes, and no element is wider than 16 bytes.
const ZSTD_MAGIC = 0xfd2fb528;

const SAMPLE = 64 * 1024;
const INCOMPRESSIBLE = 0.97;
const RAW = 0, ZSTD = 1, SPARSE = 2;

/** Encodes `data`, or `data ^ xorWith` (a delta block) without materialising the XOR. */
export function encodeBlock(data: Uint8Array, width: number, xorWith?: Uint8Array, encoding = DELTA_ENCODING): Buffer {
  return encodePlanes(splitPlanes(data, width, xorWith), width, encoding);
}

/**
 * Encodes a block already split into byte planes (codec/planes.ts), e.g. by
 * the fused XOR + planes + figures pass. `planes` may be a reused buffer:
 * everything kept is copied (zstd output, Buffer.concat) before returning.
 */
export function encodePlanes(planes: Buffer, width: number, encoding = DELTA_ENCODING): Buffer {
  return Buffer.concat(encodePlaneParts(planes, width, encoding));
}

/**
 * The payload of encodePlanes in its parts, header first, not joined: a RAW
 * plane is a view into `planes` itself, so the caller must keep `planes`
 * untouched until the parts are written (delta-writer.ts writes them with
 * one writev). Joining them cost a copy of every payload into fresh memory
 * (measured: 0.9 s of worker time for a 443 MB f32 commit, page faults
 * mostly).
 */
export function encodePlaneParts(planes: Buffer, width: number, encoding = DELTA_ENCODING): Buffer[] {
  // Whole elements go into planes; a sub-element tail rides with the last plane.
  const n = width > 1 ? Math.floor(planes.length / width) : planes.length;
  const count = width > 1 ? width : 1;
  // Its own memory, not a slice of Node's shared 8 KiB pool: sent to another thread, a slice takes the whole pool along.
  const header = Buffer.allocUnsafeSlow(1 + 5 * count);
  header[0] = count;
  const parts: Buffer[] = [header];
  for (let p = 0; p < count; p++) {
    const start = p * n;
    const end = p === count - 1 ? planes.length : start + n;
    const { kind, stored } = storePlane(planes.subarray(start, end), p, count, encoding);
    header[1 + 5 * p] = kind;
    header.writeUInt32LE(stored.length, 2 + 5 * p);
    parts.push(stored);
  }
  return parts;
}

/**
 * How one plane is stored: its kind byte and stored bytes (which may be the
 * plane itself, for RAW). `plane` is plane number `p` of `count`. The choice
 * is a pure function of the plane's bytes, its place and the encoding, never
 * of what this thread stored before: a delta's bytes must not depend on which
 * worker encoded which block (delta-writer.ts).
 */
export function storePlane(plane: Buffer, p: number, count: number, encoding = DELTA_ENCODING): { kind: number; stored: Buffer } {
  void p;
  if (encoding === 1) return storeProbed(plane, 'level1', true);
  const stats = sampleStats(plane);
  if (mostlyZero(stats)) {
    const stored = encodeSparsePlane(plane);
    if (stored && stored.length < plane.length) return { kind: SPARSE, stored };
  }
  // A byte histogram that is clearly skewed compresses: the probe could only
  // say so again (it was pure cost on every float's top two planes).
  return storeProbed(plane, count > 1 ? 'elementPlane' : 'level1', looksNoisy(stats));
}

/** zstd, unless a probe of the first 64 KiB (when `probe`) or the whole plane says it does not pay. */
function storeProbed(plane: Buffer, setting: ZstdSetting, probe: boolean): { kind: number; stored: Buffer } {
  if (probe && plane.length > SAMPLE) {
    const sample = zstdCompress(plane.subarray(0, SAMPLE), setting);
    if (sample.length >= SAMPLE * INCOMPRESSIBLE) return { kind: RAW, stored: plane };
  }
  const stored = zstdCompress(plane, setting);
  return stored.length >= plane.length ? { kind: RAW, stored: plane } : { kind: ZSTD, stored };
}

// Encoding 2 looks at a sample of 4,096 bytes: 64 runs of 64 spread evenly
// over the plane (one cache line each, so the look costs little even where
// the plane is not in cache). A plane with 90% or more zeros there is tried as
// sparse; one whose sample has a collision entropy under 6 bits per byte is
// compressed without a probe (the sign/exponent and top mantissa planes of
// float updates measure 0.1-3 bits; the noise planes 7.9, where the probe
// stays and usually stores them raw). Integer arithmetic only, so no machine
// can decide otherwise.
const SAMPLE_RUNS = 64;
const SAMPLE_RUN = 64;

interface SampleStats { readonly taken: number; readonly zeros: number; readonly sumSquares: number }

function sampleStats(plane: Uint8Array): SampleStats {
  const counts = new Uint32Array(256);
  let taken = 0;
  if (plane.length <= SAMPLE_RUNS * SAMPLE_RUN) {
    for (let i = 0; i < plane.length; i++) counts[plane[i]!]!++;
    taken = plane.length;
  } else {
    const step = Math.floor(plane.length / SAMPLE_RUNS);
    for (let r = 0; r < SAMPLE_RUNS; r++) {
      for (let i = r * step, end = i + SAMPLE_RUN; i < end; i++) counts[plane[i]!]!++;
    }
    taken = SAMPLE_RUNS * SAMPLE_RUN;
  }
  let sumSquares = 0;
  for (const c of counts) sumSquares += c * c;
  return { taken, zeros: counts[0]!, sumSquares };
}

/** 90% or more of the sample is zero bytes. */
function mostlyZero(s: SampleStats): boolean {
  return s.taken > 0 && s.zeros * 10 >= s.taken * 9;
}

/** Collision entropy −log2(Σ(c/n)²) at least 6 bits: zstd may not pay, so a probe decides. */
function looksNoisy(s: SampleStats): boolean {
  return s.sumSquares * 64 <= s.taken * s.taken;
}

/** The kind byte of a plane stored as is: a reader may use its bytes without decoding. */
export const PLANE_RAW = RAW;

/**
 * The bytes of one stored plane of any kind but RAW (a RAW plane is its
 * stored bytes). A damaged plane is CORRUPT naming `label` and the plane.
 */
export function decodeStoredPlane(kind: number, stored: Uint8Array, p: number, label: string): Buffer {
  if (kind === ZSTD) {
    try { return zstdDecompress(stored); } catch (e) {
      throw new WeightlineError('CORRUPT', `${label}: plane ${p} does not decompress: ${(e as Error).message}`);
    }
  }
  if (kind === SPARSE) return decodeSparsePlane(stored, p, label);
  throw new WeightlineError('CORRUPT', `${label}: plane ${p} has unknown kind ${String(kind)}`);
}

export function decodeBlock(payload: Uint8Array, width: number, expected: number, label: string): Buffer {
  return joinPlanes(decodePlanes(payload, width, expected, label), width);
}

/**
 * The block's byte planes, not yet interleaved back into elements. A chain of
 * XOR deltas can be folded in this form (interleaving commutes with XOR), so a
 * rebuild joins planes once instead of once per delta in the chain.
 */
export function decodePlanes(payload: Uint8Array, width: number, expected: number, label: string): Buffer {
  const planes = Buffer.allocUnsafe(expected);
  visitPlanes(payload, width, expected, label, (plane, at) => planes.set(plane, at));
  return planes;
}

/**
 * Hands each plane of a stored block to `visit` with its offset in the
 * block's planes, in order, after checking it fits: a RAW plane as a view of
 * `payload` (no copy: a chain rebuild XORs it straight from its read buffer),
 * any other kind decoded by decodeStoredPlane. Damage found on the way is
 * CORRUPT naming `label`, after some planes may have been visited.
 */
export function visitPlanes(payload: Uint8Array, width: number, expected: number, label: string, visit: (plane: Uint8Array, at: number) => void): void {
  const buf = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  if (buf.length >= 4 && buf.readUInt32LE(0) === ZSTD_MAGIC) { visit(decodeLegacy(buf, expected, label), 0); return; }
  const count = buf[0];
  const want = width > 1 ? width : 1;
  if (count !== want || buf.length < 1 + 5 * want) throw new WeightlineError('CORRUPT', `${label}: block header says ${count} planes, expected ${want}`);
  let at = 1 + 5 * count;
  let out = 0;
  for (let p = 0; p < count; p++) {
    const kind = buf[1 + 5 * p];
    const len = buf.readUInt32LE(2 + 5 * p);
    const stored = buf.subarray(at, at + len);
    if (stored.length !== len) throw new WeightlineError('CORRUPT', `${label}: plane ${p} is cut short (${stored.length} of ${len} bytes)`);
    const plane = kind === RAW ? stored : decodeStoredPlane(kind!, stored, p, label);
    if (out + plane.length > expected) throw new WeightlineError('CORRUPT', `${label}: planes hold more than the block's ${expected} bytes`);
    visit(plane, out);
    out += plane.length;
    at += len;
  }
  if (out !== expected) throw new WeightlineError('CORRUPT', `${label}: block holds ${out} bytes, expected ${expected}`);
}

/** A legacy payload: zstd(planes(x)) in one frame (docs/STORE-FORMAT.md). */
function decodeLegacy(frame: Buffer, expected: number, label: string): Buffer {
  let planes: Buffer;
  try { planes = zstdDecompress(frame); } catch (e) {
    throw new WeightlineError('CORRUPT', `${label}: the block does not decompress: ${(e as Error).message}`);
  }
  if (planes.length !== expected) throw new WeightlineError('CORRUPT', `${label}: block holds ${planes.length} bytes, expected ${expected}`);
  return planes;
}
