// Zip access shared by the PyTorch, npz and Keras parsers: list the central
// directory, find where an entry's bytes start in the file, read a small entry.
// Only the end records, the central directory, local headers and the entries
// asked for are read.
//
// Our own reader, not a library: every offset and size the file claims (the
// zip64 end-of-central-directory locator and record, the central directory's
// offset and size, each local header's offset, each entry's sizes) is checked
// against the file before it is used, so a mangled zip is a BAD_FORMAT error.
// yauzl, used before, passed a zip64 locator offset near 2^55 straight to
// fs.read, which threw a RangeError from inside a callback: an uncaught crash
// that left the store lock behind.

import { open, type FileHandle } from 'node:fs/promises';
import { promisify } from 'node:util';
import { inflateRaw } from 'node:zlib';
import { WeightlineError } from '../../../src-shared/errors';
import { MAX_READ } from './file-bytes';

export const ZIP_STORED = 0;
export const ZIP_DEFLATED = 8;

export interface ZipEntryInfo {
  readonly name: string;
  /** 0 stored, 8 deflated, anything else unsupported. */
  readonly method: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly encrypted: boolean;
}

/** An open zip file; close it when done (see withZip). */
export interface ZipReader {
  readonly entries: readonly ZipEntryInfo[];
  /** Absolute file offset of the entry's (possibly compressed) bytes, from its local header. */
  dataStart(entry: ZipEntryInfo): Promise<number>;
  /** The entry's uncompressed bytes; BAD_FORMAT if it is larger than maxBytes. */
  read(entry: ZipEntryInfo, maxBytes: number): Promise<Buffer>;
}

const EOCD_SIG = 0x06054b50;
const EOCD_SIZE = 22;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_LOCATOR_SIZE = 20;
const ZIP64_EOCD_SIG = 0x06064b50;
const ZIP64_EOCD_SIZE = 56;
const CENTRAL_SIG = 0x02014b50;
const CENTRAL_SIZE = 46;
const LOCAL_SIG = 0x04034b50;
const LOCAL_SIZE = 30;
const MAX_COMMENT = 0xffff;
const ZIP64_EXTRA = 0x0001;

const inflateRawAsync = promisify(inflateRaw);

interface RawEntry {
  readonly localHeader: number;
}

class ZipFile {
  private constructor(
    private readonly handle: FileHandle,
    private readonly path: string,
    private readonly size: number,
  ) {}

  static async open(path: string): Promise<ZipFile> {
    const handle = await open(path, 'r');
    try {
      return new ZipFile(handle, path, (await handle.stat()).size);
    } catch (e) {
      await handle.close();
      throw e;
    }
  }

  close(): Promise<void> {
    return this.handle.close();
  }

  fail(message: string): never {
    throw new WeightlineError('BAD_FORMAT', `corrupt or truncated zip: ${message}`, this.path);
  }

  /** Exactly `length` bytes at `offset`, checked against the file size before anything is allocated or read. */
  async read(offset: number, length: number, what: string): Promise<Buffer> {
    if (!(Number.isSafeInteger(offset) && Number.isSafeInteger(length) && offset >= 0 && length >= 0 && length <= this.size - offset)) {
      this.fail(`expected ${length} bytes of ${what} at byte ${offset}, found the file ends at byte ${this.size}`);
    }
    if (length > MAX_READ) this.fail(`expected ${what} of at most ${MAX_READ} bytes, found ${length}; refusing to read it`);
    const buf = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.handle.read(buf, done, length - done, offset + done);
      if (bytesRead === 0) this.fail(`expected ${length} bytes of ${what} at byte ${offset}, read ${done}: the file shrank while being read`);
      done += bytesRead;
    }
    return buf;
  }

  /** A 64-bit field as a number, or BAD_FORMAT if it is beyond what a file offset can be. */
  u64(buf: Buffer, at: number, what: string): number {
    const v = buf.readBigUInt64LE(at);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`${what} is ${v}, far beyond the file's ${this.size} bytes`);
    return Number(v);
  }

  async listEntries(): Promise<{ entries: ZipEntryInfo[]; raw: Map<ZipEntryInfo, RawEntry>; centralStart: number }> {
    const { count, cdOffset, cdSize } = await this.findCentralDirectory();
    const cd = await this.read(cdOffset, cdSize, 'the central directory');
    const entries: ZipEntryInfo[] = [];
    const raw = new Map<ZipEntryInfo, RawEntry>();
    let pos = 0;
    for (let i = 0; i < count; i++) {
      if (pos + CENTRAL_SIZE > cd.length || cd.readUInt32LE(pos) !== CENTRAL_SIG) {
        this.fail(`expected central directory entry ${i + 1} of ${count} at byte ${cdOffset + pos}, found ${pos + 4 > cd.length ? 'the end of the directory' : 'other bytes'}`);
      }
      const flags = cd.readUInt16LE(pos + 8);
      const method = cd.readUInt16LE(pos + 10);
      let compressedSize = cd.readUInt32LE(pos + 20);
      let uncompressedSize = cd.readUInt32LE(pos + 24);
      const nameLen = cd.readUInt16LE(pos + 28);
      const extraLen = cd.readUInt16LE(pos + 30);
      const commentLen = cd.readUInt16LE(pos + 32);
      let localHeader = cd.readUInt32LE(pos + 42);
      const end = pos + CENTRAL_SIZE + nameLen + extraLen + commentLen;
      if (end > cd.length) this.fail(`central directory entry ${i + 1} runs past the end of the directory (byte ${cdOffset + cd.length})`);
      const nameBytes = cd.subarray(pos + CENTRAL_SIZE, pos + CENTRAL_SIZE + nameLen);
      // Bit 11: the name is UTF-8; else it is CP437, which for the ASCII names torch, numpy and Keras write reads the same.
      const name = flags & 0x800 ? nameBytes.toString('utf8') : decodeCp437(nameBytes);
      // Zip64: the extra field holds, in this order, each of these that is 0xffffffff in the fixed part.
      const extra = cd.subarray(pos + CENTRAL_SIZE + nameLen, pos + CENTRAL_SIZE + nameLen + extraLen);
      const wants = [uncompressedSize, compressedSize, localHeader].map((v) => v === 0xffffffff);
      if (wants.some(Boolean)) {
        const z = findExtra(extra, ZIP64_EXTRA);
        if (!z) this.fail(`entry ${JSON.stringify(name)} has 0xffffffff sizes but no zip64 extra field`);
        let at = 0;
        const next = (what: string): number => {
          if (at + 8 > z.length) this.fail(`entry ${JSON.stringify(name)}: zip64 extra field too short for its ${what}`);
          const v = this.u64(z, at, `entry ${JSON.stringify(name)}'s zip64 ${what}`);
          at += 8;
          return v;
        };
        if (wants[0]) uncompressedSize = next('uncompressed size');
        if (wants[1]) compressedSize = next('compressed size');
        if (wants[2]) localHeader = next('local header offset');
      }
      // Every entry's local header and bytes lie before the central directory.
      if (localHeader + LOCAL_SIZE > cdOffset || compressedSize > cdOffset - localHeader - LOCAL_SIZE) {
        this.fail(`entry ${JSON.stringify(name)} claims ${compressedSize} bytes with its local header at byte ${localHeader}, past the central directory at byte ${cdOffset}`);
      }
      if (method === ZIP_STORED && compressedSize !== uncompressedSize) {
        this.fail(`stored entry ${JSON.stringify(name)} claims ${compressedSize} bytes stored and ${uncompressedSize} bytes uncompressed; they must be equal`);
      }
      const info: ZipEntryInfo = { name, method, compressedSize, uncompressedSize, encrypted: (flags & 1) !== 0 };
      entries.push(info);
      raw.set(info, { localHeader });
      pos = end;
    }
    return { entries, raw, centralStart: cdOffset };
  }

  private async findCentralDirectory(): Promise<{ count: number; cdOffset: number; cdSize: number }> {
    if (this.size < EOCD_SIZE) this.fail(`expected at least ${EOCD_SIZE} bytes (the end-of-central-directory record), found ${this.size}`);
    const tailLen = Math.min(this.size, EOCD_SIZE + MAX_COMMENT);
    const tailStart = this.size - tailLen;
    const tail = await this.read(tailStart, tailLen, 'the end of the zip');
    let at = -1;
    for (let i = tail.length - EOCD_SIZE; i >= 0; i--) {
      if (tail.readUInt32LE(i) === EOCD_SIG && i + EOCD_SIZE + tail.readUInt16LE(i + 20) <= tail.length) {
        at = i;
        break;
      }
    }
    if (at < 0) this.fail('no end-of-central-directory record in the last 64 KiB');
    const eocd = tailStart + at;
    let count = tail.readUInt16LE(at + 10);
    let cdSize = tail.readUInt32LE(at + 12);
    let cdOffset = tail.readUInt32LE(at + 16);
    let cdEnd = eocd;

    const locator = eocd - ZIP64_LOCATOR_SIZE;
    if (locator >= 0 && (await this.read(locator, 4, 'a zip64 locator')).readUInt32LE(0) === ZIP64_LOCATOR_SIG) {
      const loc = await this.read(locator, ZIP64_LOCATOR_SIZE, 'the zip64 end-of-central-directory locator');
      const recordAt = this.u64(loc, 8, 'the zip64 end-of-central-directory offset');
      if (recordAt + ZIP64_EOCD_SIZE > locator) {
        this.fail(`the zip64 locator points at byte ${recordAt} for the zip64 end-of-central-directory record, expected a place before the locator at byte ${locator}`);
      }
      const rec = await this.read(recordAt, ZIP64_EOCD_SIZE, 'the zip64 end-of-central-directory record');
      if (rec.readUInt32LE(0) !== ZIP64_EOCD_SIG) this.fail(`expected the zip64 end-of-central-directory record at byte ${recordAt}, found other bytes`);
      count = this.u64(rec, 32, 'the zip64 entry count');
      cdSize = this.u64(rec, 40, 'the zip64 central directory size');
      cdOffset = this.u64(rec, 48, 'the zip64 central directory offset');
      cdEnd = recordAt;
    }
    if (cdOffset > cdEnd || cdSize > cdEnd - cdOffset) {
      this.fail(`the central directory claims ${cdSize} bytes at byte ${cdOffset}, past its end record at byte ${cdEnd}`);
    }
    // Each entry takes at least 46 bytes, so a count the directory cannot hold is a lie told before any allocation.
    if (count > Math.floor(cdSize / CENTRAL_SIZE)) {
      this.fail(`the end record claims ${count} entries, but the central directory's ${cdSize} bytes hold at most ${Math.floor(cdSize / CENTRAL_SIZE)}`);
    }
    return { count, cdOffset, cdSize };
  }

  async dataStart(name: string, raw: RawEntry, compressedSize: number, centralStart: number): Promise<number> {
    const h = await this.read(raw.localHeader, LOCAL_SIZE, `the local header of ${JSON.stringify(name)}`);
    if (h.readUInt32LE(0) !== LOCAL_SIG) this.fail(`expected the local header of ${JSON.stringify(name)} at byte ${raw.localHeader}, found other bytes`);
    const start = raw.localHeader + LOCAL_SIZE + h.readUInt16LE(26) + h.readUInt16LE(28);
    if (start + compressedSize > centralStart) {
      this.fail(`entry ${JSON.stringify(name)}: its ${compressedSize} bytes at byte ${start} run into the central directory at byte ${centralStart}`);
    }
    return start;
  }

  async inflate(name: string, compressed: Buffer, expected: number): Promise<Buffer> {
    let out: Buffer;
    try {
      // One byte more than expected is enough to tell a lying size from a true one, without inflating a bomb.
      out = await inflateRawAsync(compressed, { maxOutputLength: Math.max(1, expected + 1) });
    } catch (e) {
      this.fail(`entry ${JSON.stringify(name)} does not inflate: ${(e as Error).message}`);
    }
    if (out.length !== expected) this.fail(`entry ${JSON.stringify(name)}: expected ${expected} bytes once inflated, found ${out.length === expected + 1 ? 'more' : out.length}`);
    return out;
  }
}

function findExtra(extra: Buffer, id: number): Buffer | null {
  let at = 0;
  while (at + 4 <= extra.length) {
    const len = extra.readUInt16LE(at + 2);
    if (extra.readUInt16LE(at) === id) return extra.subarray(at + 4, Math.min(extra.length, at + 4 + len));
    at += 4 + len;
  }
  return null;
}

const CP437_HIGH =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';

function decodeCp437(bytes: Buffer): string {
  let s = '';
  for (const b of bytes) s += b < 0x80 ? String.fromCharCode(b) : CP437_HIGH[b - 0x80];
  return s;
}

// A file system error (EACCES, EIO) is not the file's fault and passes through unchanged.
/** Opens the zip at path, runs fn, and closes the zip whatever happens. */
export async function withZip<T>(path: string, fn: (zip: ZipReader) => Promise<T>): Promise<T> {
  const zip = await ZipFile.open(path);
  try {
    const { entries, raw, centralStart } = await zip.listEntries();
    const rawEntry = (info: ZipEntryInfo): RawEntry => {
      const entry = raw.get(info);
      if (!entry) throw new Error(`zip entry ${info.name} does not belong to ${path}`);
      return entry;
    };
    const reader: ZipReader = {
      entries,
      dataStart: (info) => zip.dataStart(info.name, rawEntry(info), info.compressedSize, centralStart),
      async read(info, maxBytes) {
        if (info.uncompressedSize > maxBytes) {
          throw new WeightlineError(
            'BAD_FORMAT',
            `zip entry ${info.name}: expected at most ${maxBytes} bytes, found ${info.uncompressedSize}`,
            path,
          );
        }
        if (info.encrypted) zip.fail(`entry ${JSON.stringify(info.name)} is encrypted`);
        const start = await zip.dataStart(info.name, rawEntry(info), info.compressedSize, centralStart);
        const bytes = await zip.read(start, info.compressedSize, `entry ${JSON.stringify(info.name)}`);
        if (info.method === ZIP_STORED) return bytes;
        if (info.method === ZIP_DEFLATED) return zip.inflate(info.name, bytes, info.uncompressedSize);
        return zip.fail(`entry ${JSON.stringify(info.name)} uses compression method ${info.method}; only stored (0) and deflated (8) are read`);
      },
    };
    return await fn(reader);
  } finally {
    await zip.close();
  }
}
