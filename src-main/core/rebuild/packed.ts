import * as fs from 'node:fs/promises';
import { z } from 'zod';
import { WeightlineError } from '../../../src-shared/errors';
import { readExactly } from '../base/fsutil';
import { BlockMode, blockCount, type BlockRef, type FileDelta } from '../base/manifest';
import { streamMap, type LayoutLike } from '../base/streams';
import { DeltaSource } from './source';

// Packed full parameters (docs/STORE-FORMAT.md, "Packed full parameters"): a
// full object stored the way a new file's delta is, every block Raw (byte
// planes, then zstd where a plane compresses), followed by the table that says
// where each block lies. One object, named by the sha256 of all its bytes, so
// the ordinary object checks (hash, quarantine, repair) cover the table too.
//
//   [block payloads][table: UTF-8 JSON][u32le table length]["WLPACK01"]

export const PACK_MAGIC = Buffer.from('WLPACK01', 'latin1');
const TRAILER = 4 + PACK_MAGIC.length;
/** A table larger than this is not one Weightline wrote (a 1 TB file has 250k blocks, ~15 MB of table). */
const MAX_TABLE = 64 * 1024 * 1024;

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const count = z.number().int().nonnegative();
const RawBlock = z.tuple([z.literal(BlockMode.Raw), count, count, z.string().regex(/^[0-9a-f]{32}$/)]);
const PackTable = z.strictObject({
  v: z.literal(1),
  full: hex64,
  bytes: count,
  tensors: z.array(z.tuple([count, count, z.number().int().min(1).max(16)])),
  streams: z.array(z.array(RawBlock)),
});
export type PackTable = z.infer<typeof PackTable>;

/** The table of a packed object, for the full object `full` of `layout`. */
export function packTable(full: string, layout: LayoutLike, streams: readonly (readonly BlockRef[])[]): PackTable {
  return {
    v: 1,
    full,
    bytes: layout.bytes,
    tensors: layout.tensors.map((t) => [t.offset, t.length, t.width] as [number, number, number]),
    streams: streams.map((blocks) => blocks.map((b) => {
      if (b === 0 || b[0] !== BlockMode.Raw) throw new Error('a packed stream holds Raw blocks only');
      return [BlockMode.Raw, b[1], b[2], b[3]] as [BlockMode.Raw, number, number, string];
    })),
  };
}

export function packTrailer(table: PackTable): Buffer {
  const json = Buffer.from(JSON.stringify(table), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(json.length, 0);
  return Buffer.concat([json, len, PACK_MAGIC]);
}

/**
 * Reads and checks the table of the packed object at `file`, which must be
 * the packed form of full object `full` laid out as `layout` (the manifest's).
 * Anything else is CORRUPT naming the object, so a reader takes another route.
 */
export async function readPackTable(file: string, full: string, layout: LayoutLike): Promise<PackTable> {
  const bad = (what: string): WeightlineError => new WeightlineError('CORRUPT', `packed full parameters of object ${full.slice(0, 12)}: ${what}`, file);
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (e) {
    // A folder where the object belongs (Windows refuses to open one; POSIX opens it, see below).
    if ((e as NodeJS.ErrnoException).code === 'EISDIR') throw bad('expected a file, found a folder; run "weightline repair" (it moves it into quarantine and rebuilds what it held)');
    throw e;
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw bad('expected a file, found a folder or another kind of file; run "weightline repair" (it moves it into quarantine and rebuilds what it held)');
    const size = st.size;
    if (size < TRAILER) throw bad(`expected at least ${TRAILER} bytes, found ${size}`);
    const trailer = await readExactly(handle, size - TRAILER, TRAILER, file);
    if (!trailer.subarray(4).equals(PACK_MAGIC)) throw bad(`expected the magic "WLPACK01" at the end, found ${JSON.stringify(trailer.subarray(4).toString('latin1'))}`);
    const tableLen = trailer.readUInt32LE(0);
    if (tableLen > MAX_TABLE || tableLen > size - TRAILER) throw bad(`its table claims ${tableLen} bytes in a ${size}-byte object`);
    const payloadEnd = size - TRAILER - tableLen;
    let parsed: unknown;
    try {
      parsed = JSON.parse((await readExactly(handle, payloadEnd, tableLen, file)).toString('utf8'));
    } catch {
      throw bad('its table is not JSON');
    }
    const result = PackTable.safeParse(parsed);
    if (!result.success) throw bad(`its table does not have the expected shape (${result.error.issues[0]?.path.join('.') ?? ''}: ${result.error.issues[0]?.message ?? ''})`);
    const table = result.data;
    if (table.full !== full) throw bad(`expected the pack of ${full.slice(0, 12)}, found the pack of ${table.full.slice(0, 12)}`);
    const same = table.bytes === layout.bytes && table.tensors.length === layout.tensors.length
      && table.tensors.every(([o, l, w], i) => o === layout.tensors[i]!.offset && l === layout.tensors[i]!.length && w === layout.tensors[i]!.width);
    if (!same) throw bad('its table lays the file out differently from the commit\'s manifest');
    const lengths = streamMap(layout).lengths;
    if (table.streams.length !== lengths.length) throw bad(`expected ${lengths.length} streams, found ${table.streams.length}`);
    for (let s = 0; s < lengths.length; s++) {
      const blocks = table.streams[s]!;
      if (blocks.length !== blockCount(lengths[s]!)) throw bad(`stream ${s}: expected ${blockCount(lengths[s]!)} blocks, found ${blocks.length}`);
      for (const [, at, len] of blocks) if (at + len > payloadEnd) throw bad(`stream ${s} names bytes ${at}..${at + len}, past its ${payloadEnd} bytes of blocks`);
    }
    return table;
  } finally {
    await handle.close();
  }
}

/** A reader of a packed full object: a self-contained delta with no base. */
export async function openPacked(file: string, packedSha: string, full: string, layout: LayoutLike, label: string): Promise<DeltaSource> {
  const table = await readPackTable(file, full, layout);
  const delta: FileDelta = {
    object: packedSha,
    bytes: 0,
    basePath: null,
    streams: table.streams.map((blocks) => ({ base: null, blocks })),
  };
  return new DeltaSource(layout, label, delta, null, file);
}


/**
 * The full object a file's pack table names, or null when the file is not a
 * packed object (no magic, no table of the right shape). Repair reads it to
 * rebuild the pack index: a packed object says whose it is.
 */
export async function packTableFull(file: string): Promise<string | null> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch {
    return null;
  }
  try {
    const st = await handle.stat();
    if (!st.isFile() || st.size < TRAILER) return null;
    const trailer = await readExactly(handle, st.size - TRAILER, TRAILER, file);
    if (!trailer.subarray(4).equals(PACK_MAGIC)) return null;
    const tableLen = trailer.readUInt32LE(0);
    if (tableLen > MAX_TABLE || tableLen > st.size - TRAILER) return null;
    const parsed = PackTable.safeParse(JSON.parse((await readExactly(handle, st.size - TRAILER - tableLen, tableLen, file)).toString('utf8')));
    return parsed.success ? parsed.data.full : null;
  } catch {
    return null;
  } finally {
    await handle.close();
  }
}
