import { WeightlineError } from '../../../src-shared/errors';
import { BLOCK_SIZE } from '../base/manifest';
import { zstdCompress, zstdDecompress } from './zstd';

// A plane that is almost all zero bytes, stored as where its other bytes are:
// the sign/exponent plane of a float update (after XOR, 97-99% zeros: a sign
// flips or an exponent steps in a few elements of a hundred). zstd on the
// whole plane spends its time walking the zero runs; listing the nonzero
// bytes takes one word compare per four zero bytes, and zstd then only sees
// the short list (measured on a 443 MB f32 fine-tune step: 0.0096 of the
// plane instead of 0.0145, at a tenth of the time).
//
// Stored form (docs/STORE-FORMAT.md, plane kind 2): u32le plane length L,
// then one zstd frame of the entries, one per nonzero byte in order: the
// number of zero bytes since the previous entry (LEB128), then the byte.

/** The most entry bytes worth listing: past this a plane is not sparse enough. */
const MAX_ENTRIES_FRACTION = 0.25;

let entries: Buffer | null = null;
function entriesScratch(length: number): Buffer {
  if (!entries || entries.length < length) entries = Buffer.allocUnsafeSlow(Math.max(length, 256 * 1024));
  return entries;
}

/** The stored form of `plane`, or null when it has too many nonzero bytes to pay. */
export function encodeSparsePlane(plane: Uint8Array): Buffer | null {
  const n = plane.length;
  const limit = Math.floor(n * MAX_ENTRIES_FRACTION);
  // An entry is at most 4 bytes of gap (planes are at most a 4 MiB block) and
  // 1 of value; the limit is checked once per 16 bytes, after up to 16 entries.
  const out = entriesScratch(limit + 16 * 5);
  let o = 0;
  let next = 0; // the position after the last entry
  const head = Math.min(n, (4 - (plane.byteOffset & 3)) & 3);
  // Whole groups of four words; the bytes around them go one by one.
  const groups = (n - head) >>> 4;
  const words = groups > 0 ? new Uint32Array(plane.buffer, plane.byteOffset + head, 4 * groups) : new Uint32Array(0);
  const tail = head + 4 * words.length;
  for (let i = 0; i < n; i++) {
    if (i === head) {
      // Sixteen bytes per test in the aligned middle: most of a sparse plane is zero.
      for (let w = 0; w < words.length; w += 4) {
        if ((words[w]! | words[w + 1]! | words[w + 2]! | words[w + 3]!) === 0) continue;
        for (let x = w; x < w + 4; x++) {
          const v = words[x]!;
          if (v === 0) continue;
          for (let k = 0; k < 4; k++) {
            const b = (v >>> (8 * k)) & 255;
            if (b === 0) continue;
            const at = head + 4 * x + k;
            let gap = at - next;
            while (gap >= 128) { out[o++] = (gap & 127) | 128; gap >>>= 7; }
            out[o++] = gap;
            out[o++] = b;
            next = at + 1;
          }
        }
        if (o > limit) return null;
      }
      i = tail;
      if (i >= n) break;
    }
    const b = plane[i]!;
    if (b === 0) continue;
    let gap = i - next;
    while (gap >= 128) { out[o++] = (gap & 127) | 128; gap >>>= 7; }
    out[o++] = gap;
    out[o++] = b;
    next = i + 1;
    if (o > limit) return null;
  }
  const frame = zstdCompress(out.subarray(0, o));
  const stored = Buffer.allocUnsafe(4 + frame.length);
  stored.writeUInt32LE(n, 0);
  frame.copy(stored, 4);
  return stored;
}

/** The plane a stored sparse plane holds. Damage is CORRUPT naming `label` and plane `p`. */
export function decodeSparsePlane(stored: Uint8Array, p: number, label: string): Buffer {
  const bad = (why: string): WeightlineError => new WeightlineError('CORRUPT', `${label}: sparse plane ${p} ${why}`);
  // The encoder always writes a frame, even of no entries (an empty input would decompress to nothing).
  if (stored.length <= 4) throw bad(`is cut short (${stored.length} bytes)`);
  const n = Buffer.from(stored.buffer, stored.byteOffset, 4).readUInt32LE(0);
  if (n > BLOCK_SIZE) throw bad(`says ${n} bytes, more than a block holds`);
  let list: Buffer;
  try { list = zstdDecompress(stored.subarray(4)); } catch (e) {
    throw bad(`does not decompress: ${(e as Error).message}`);
  }
  const plane = Buffer.alloc(n);
  const wrong = scatter(list, plane);
  if (wrong) throw bad(wrong);
  return plane;
}

/** Writes the listed bytes into `plane` (zeroed); what is wrong with the list, or null. A loop with no throw in it runs twice as fast. */
function scatter(list: Buffer, plane: Buffer): string | null {
  const end = list.length, n = plane.length;
  let at = 0;
  for (let i = 0; i < end;) {
    let c = list[i++]!;
    let gap = c;
    if (c >= 128) {
      gap = c & 127;
      for (let shift = 7; c >= 128; shift += 7) {
        if (i >= end || shift > 21) return `has a damaged entry at byte ${i}`;
        c = list[i++]!;
        gap += (c & 127) * 2 ** shift;
      }
    }
    at += gap;
    if (i >= end || at >= n) return `lists a byte past its ${n} bytes`;
    const v = list[i++]!;
    // The encoder lists nonzero bytes only.
    if (v === 0) return `lists a zero byte at ${at}`;
    plane[at++] = v;
  }
  return null;
}
