import { createHash, type Hash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import { WeightlineError } from '../../../src-shared/errors';
import { FullSource } from '../base/file-source';
import { blockChecksum, sha256File } from '../base/fsutil';
import { BLOCK_SIZE, BlockMode, blockCount, type BlockRef, type ManifestFile } from '../base/manifest';
import { streamMap, type LayoutLike } from '../base/streams';
import { DeltaWriter } from '../codec/delta-writer';
import { encodeBlockJob, encodeParallelism } from '../codec/encode-pool';
import { openPacked, packTable, packTrailer } from '../rebuild/packed';
import { recordPack } from '../store/packs';
import { quarantineObject } from '../store/quarantine';
import type { Store } from '../store/store';

// Packing turns a raw full object into its packed form (rebuild/packed.ts):
// what cleanup does to the full parameters of CHECKPOINTs that left the hot
// set. The packed object is decoded and hashed before it is adopted, so the
// raw object is only ever deleted (by cleanup, afterwards) once a bit-exact
// copy of its bytes is in the store.
//
// The packed bytes are a pure function of the raw bytes: blocks are encoded in
// parallel but laid down in stream and block order, whatever order the
// workers finish in. So measuring a pack (the cleanup preview) gives exactly
// the size and name the run will write, and a packed object can be rebuilt to
// its name.

// Packed blocks keep the plane rules of delta encoding 1 (PACK_ENCODING 1,
// store/pack-sizes.ts): encoding 2's settings were measured on XOR deltas, not
// on raw parameters, and a pack made again must keep its name.
const PACK_PLANES_ENCODING = 1;

interface PackOpts { readonly onBytes?: (n: number) => void; readonly signal?: AbortSignal }

/**
 * Encodes every block of `source` as a Raw block, handing the payloads to
 * `sink` in file order (stream by stream, block by block), and returns the
 * block table. `sink` returns the offset the payload was laid at.
 */
async function encodePacked(source: FullSource, layout: LayoutLike, sink: (payload: Buffer) => Promise<number>, opts: PackOpts): Promise<BlockRef[][]> {
  const map = streamMap(layout);
  const streams: BlockRef[][] = map.lengths.map(() => []);
  const queue: Array<{ s: number; job: Promise<Buffer> }> = [];
  const drain = async (): Promise<void> => {
    const { s, job } = queue.shift()!;
    const payload = await job;
    const at = await sink(payload);
    streams[s]!.push([BlockMode.Raw, at, payload.length, blockChecksum(payload)]);
  };
  try {
    for (let s = 0; s < map.lengths.length; s++) {
      const length = map.lengths[s]!;
      for (let k = 0; k < blockCount(length); k++) {
        if (opts.signal?.aborted) throw new WeightlineError('CANCELLED', 'packing was cancelled; the raw full parameters stay');
        const len = Math.min(BLOCK_SIZE, length - k * BLOCK_SIZE);
        const fresh = await source.readStream(s, k * BLOCK_SIZE, len);
        const job = encodeBlockJob({ fresh, old: null, width: map.widths[s]!, figures: null, encoding: PACK_PLANES_ENCODING }, { fresh: true, old: false }).then((r) => {
          if (r.mode !== BlockMode.Raw) throw new Error('a block encoded without a base must be Raw');
          const [only] = r.parts;
          return r.parts.length === 1 && only ? Buffer.from(only.buffer, only.byteOffset, only.byteLength) : Buffer.concat(r.parts);
        });
        job.catch(() => undefined); // awaited in order below; a failure surfaces there
        queue.push({ s, job });
        opts.onBytes?.(len);
        while (queue.length >= encodeParallelism()) await drain();
      }
    }
    while (queue.length > 0) await drain();
  } catch (e) {
    await Promise.allSettled(queue.map((q) => q.job));
    throw e;
  }
  return streams;
}

async function openRaw(store: Store, file: ManifestFile, label: string): Promise<FullSource> {
  const source = await FullSource.tryOpen(store.objectPath(file.sha256), { bytes: file.bytes, tensors: file.tensors }, label);
  if (!source) throw new WeightlineError('BROKEN_CHAIN', `${label} are not on disk to pack`, store.objectPath(file.sha256));
  return source;
}

const labelOf = (file: ManifestFile): string => `the full parameters of ${file.path} (object ${file.sha256.slice(0, 12)})`;

/** The size and name of the packed object `packFull` would write for `file` (its raw object must be on disk), without writing anything. */
export async function measurePacked(store: Store, file: ManifestFile, opts: PackOpts = {}): Promise<{ bytes: number; sha256: string }> {
  const layout = { bytes: file.bytes, tensors: file.tensors };
  const source = await openRaw(store, file, labelOf(file));
  const hash: Hash = createHash('sha256');
  let size = 0;
  let streams;
  try {
    streams = await encodePacked(source, layout, async (payload) => {
      const at = size;
      hash.update(payload);
      size += payload.length;
      return at;
    }, opts);
  } finally {
    await source.close();
  }
  const trailer = packTrailer(packTable(file.sha256, layout, streams));
  hash.update(trailer);
  return { bytes: size + trailer.length, sha256: hash.digest('hex') };
}

/**
 * Decodes the packed object `packed` as the packed form of `file` and hashes
 * what comes out: true when it gives the full object's bytes exactly. Any
 * damage (wrong kind of file, bad table, a block failing its checksum, wrong
 * bytes) is false; only cancellation and a full disk are thrown.
 */
export async function packDecodesTo(store: Store, packed: string, file: ManifestFile, signal?: AbortSignal): Promise<boolean> {
  return packFileDecodesTo(store.objectPath(packed), packed, file, signal);
}

/** packDecodesTo for a file anywhere (a candidate in quarantine), named `packed`. */
export async function packFileDecodesTo(path: string, packed: string, file: ManifestFile, signal?: AbortSignal): Promise<boolean> {
  const layout = { bytes: file.bytes, tensors: file.tensors };
  try {
    const st = await fs.stat(path);
    if (!st.isFile()) return false;
    const source = await openPacked(path, packed, file.sha256, layout, labelOf(file));
    const hash = createHash('sha256');
    let n = 0;
    try {
      for await (const chunk of source.chunks()) {
        if (signal?.aborted) throw new WeightlineError('CANCELLED', 'checking a pack was cancelled');
        hash.update(chunk);
        n += chunk.length;
      }
    } finally {
      await source.close();
    }
    return n === file.bytes && hash.digest('hex') === file.sha256;
  } catch (e) {
    const code = (e as WeightlineError).code;
    if (code === 'CANCELLED' || code === 'DISK_FULL') throw e;
    return false;
  }
}

/**
 * Packs the raw full object of `file` (which must be on disk and intact; the
 * caller proved it) and records the pack. Returns the packed object, its size
 * and whether it added bytes to the store (false when an intact object of
 * that name was there already), or null when it would take `maxBytes` or
 * more (nothing is kept then).
 */
export async function packFull(
  store: Store, file: ManifestFile,
  opts: PackOpts & { maxBytes?: number } = {},
): Promise<{ object: string; bytes: number; added: boolean } | null> {
  const layout = { bytes: file.bytes, tensors: file.tensors };
  const label = labelOf(file);
  const source = await openRaw(store, file, label);
  const temp = store.tempPath('pack');
  const writer = new DeltaWriter(temp);
  try {
    let streams;
    try {
      streams = await encodePacked(source, layout, (payload) => writer.append(payload), opts);
    } finally {
      await source.close();
    }
    await writer.append(packTrailer(packTable(file.sha256, layout, streams)));
    const done = await writer.finish();
    if (!done) throw new Error(`packing ${label} wrote nothing`);
    if (opts.maxBytes !== undefined && done.bytes >= opts.maxBytes) {
      // Incompressible bytes: the packed form would not save anything; the raw object stays.
      await fs.rm(temp, { force: true });
      return null;
    }
    // Decode what was written and compare with the full object's name.
    const check = await openPacked(temp, done.sha256, file.sha256, layout, label);
    const hash = createHash('sha256');
    let n = 0;
    try {
      for await (const chunk of check.chunks()) { hash.update(chunk); n += chunk.length; }
    } finally {
      await check.close();
    }
    const got = hash.digest('hex');
    if (n !== file.bytes || got !== file.sha256) {
      throw new WeightlineError('CORRUPT', `packing ${label} gave bytes with sha256 ${got.slice(0, 12)} (${n} bytes), expected ${file.sha256.slice(0, 12)} (${file.bytes}); the raw object is kept`, store.objectPath(file.sha256));
    }
    // An object already under that name (a pack made before, whose record a
    // crash or a sync tool lost) is adopted as is, so it must hash right: a
    // damaged one goes to quarantine and the fresh bytes take its place.
    const existing = store.objectPath(done.sha256);
    let added = true;
    if (await fs.lstat(existing).catch(() => null)) {
      if ((await sha256File(existing).catch(() => null)) === done.sha256) added = false;
      else await quarantineObject(store, done.sha256);
    }
    await store.adoptObject(temp, done.sha256);
    await recordPack(store, file.sha256, done.sha256);
    return { object: done.sha256, bytes: done.bytes, added };
  } catch (e) {
    await writer.discard().catch(() => undefined);
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw e;
  }
}

/** Packing must save at least this share of the raw bytes to be worth a decode on every restore. */
export const PACK_MUST_SAVE = 0.05;

/** The size a packed object must stay under to be kept (it saves PACK_MUST_SAVE of the raw bytes). */
export function packMaxBytes(rawBytes: number): number {
  return Math.floor(rawBytes * (1 - PACK_MUST_SAVE));
}
