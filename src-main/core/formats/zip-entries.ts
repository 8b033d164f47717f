// Zip access shared by the PyTorch and npz parsers: list the central
// directory, find where an entry's bytes start in the file, read a small entry.
// Only the central directory, local headers and the entries asked for are read.

import * as yauzl from 'yauzl';
import { WeightlineError } from '../../../src-shared/errors';

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

// yauzl reports format problems as plain Errors; file system errors carry an
// errno code and are not the file's fault, so they pass through unchanged.
function asFormatError(e: unknown, path: string): unknown {
  if (e instanceof WeightlineError) return e;
  if (e instanceof Error && !('code' in e && typeof e.code === 'string')) {
    return new WeightlineError('BAD_FORMAT', `corrupt or truncated zip: ${e.message}`, path);
  }
  return e;
}

/** Opens the zip at path, runs fn, and closes the zip whatever happens. */
export async function withZip<T>(path: string, fn: (zip: ZipReader) => Promise<T>): Promise<T> {
  let zipfile: yauzl.ZipFile;
  try {
    zipfile = await yauzl.openPromise(path, { lazyEntries: true, autoClose: false, validateEntrySizes: true });
  } catch (e) {
    throw asFormatError(e, path);
  }
  try {
    const raw = new Map<ZipEntryInfo, yauzl.Entry>();
    const entries: ZipEntryInfo[] = [];
    try {
      for await (const entry of zipfile.eachEntry()) {
        const info: ZipEntryInfo = {
          name: entry.fileName,
          method: entry.compressionMethod,
          compressedSize: entry.compressedSize,
          uncompressedSize: entry.uncompressedSize,
          encrypted: entry.isEncrypted(),
        };
        raw.set(info, entry);
        entries.push(info);
      }
    } catch (e) {
      throw asFormatError(e, path);
    }
    const rawEntry = (info: ZipEntryInfo): yauzl.Entry => {
      const entry = raw.get(info);
      if (!entry) throw new Error(`zip entry ${info.name} does not belong to ${path}`);
      return entry;
    };
    const reader: ZipReader = {
      entries,
      async dataStart(info) {
        try {
          const header = await zipfile.readLocalFileHeaderPromise(rawEntry(info), { minimal: true });
          return header.fileDataStart;
        } catch (e) {
          throw asFormatError(e, path);
        }
      },
      async read(info, maxBytes) {
        if (info.uncompressedSize > maxBytes) {
          throw new WeightlineError(
            'BAD_FORMAT',
            `zip entry ${info.name}: expected at most ${maxBytes} bytes, found ${info.uncompressedSize}`,
            path,
          );
        }
        try {
          const stream = await zipfile.openReadStreamPromise(rawEntry(info));
          const chunks: Buffer[] = [];
          for await (const chunk of stream) chunks.push(chunk as Buffer);
          return Buffer.concat(chunks);
        } catch (e) {
          throw asFormatError(e, path);
        }
      },
    };
    return await fn(reader);
  } finally {
    zipfile.close();
  }
}
