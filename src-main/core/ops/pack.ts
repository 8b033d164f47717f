import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import { WeightlineError } from '../../../src-shared/errors';
import { FullSource } from '../base/file-source';
import { BLOCK_SIZE, tensorRegions, type ManifestFile } from '../base/manifest';
import { DeltaWriter } from '../codec/delta-writer';
import { encodeFile } from '../codec/encode-file';
import { encodeBlock } from '../codec/block-codec';
import { openPacked, packTable, packTrailer } from '../rebuild/packed';
import { recordPack } from '../store/packs';
import type { Store } from '../store/store';
import { streamMap } from '../base/streams';

// Packing turns a raw full object into its packed form (rebuild/packed.ts):
// what cleanup does to the full parameters of CHECKPOINTs that left the hot
// set. The packed object is decoded and hashed before it is adopted, so the
// raw object is only ever deleted (by cleanup, afterwards) once a bit-exact
// copy of its bytes is in the store.

/**
 * Packs the raw full object of `file` (which must be on disk and intact; the
 * caller proved it) and records the pack. Returns the packed object and its
 * size, or null when it would take `maxBytes` or more (nothing is kept then).
 */
export async function packFull(
  store: Store, file: ManifestFile,
  opts: { onBytes?: (n: number) => void; signal?: AbortSignal; maxBytes?: number } = {},
): Promise<{ object: string; bytes: number } | null> {
  const layout = { bytes: file.bytes, tensors: file.tensors };
  const label = `the full parameters of ${file.path} (object ${file.sha256.slice(0, 12)})`;
  const source = await FullSource.tryOpen(store.objectPath(file.sha256), layout, label);
  if (!source) throw new WeightlineError('BROKEN_CHAIN', `${label} are not on disk to pack`, store.objectPath(file.sha256));
  const temp = store.tempPath('pack');
  const writer = new DeltaWriter(temp);
  try {
    let streams;
    try {
      streams = (await encodeFile(source, tensorRegions(file), null, { writer, onBytes: opts.onBytes, signal: opts.signal })).streams;
    } finally {
      await source.close();
    }
    await writer.append(packTrailer(packTable(file.sha256, layout, streams.map((s) => s.blocks))));
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
    await store.adoptObject(temp, done.sha256);
    await recordPack(store, file.sha256, done.sha256);
    return { object: done.sha256, bytes: done.bytes };
  } catch (e) {
    await writer.discard().catch(() => undefined);
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw e;
  }
}

/** Packing must save at least this share of the raw bytes to be worth a decode on every restore. */
export const PACK_MUST_SAVE = 0.05;

// An estimate compresses a few evenly spread 4 MiB blocks of each stream,
// enough to tell a 0.6 packing from a 0.9 one without reading whole models in
// a preview. The run reports the exact figure.
const SAMPLE_BLOCKS = 6;

/** Estimated size of the packed form of `file` (its raw object must be on disk). */
export async function estimatePacked(store: Store, file: ManifestFile): Promise<number> {
  const layout = { bytes: file.bytes, tensors: file.tensors };
  const source = await FullSource.tryOpen(store.objectPath(file.sha256), layout, file.path);
  if (!source) return file.bytes;
  try {
    const map = streamMap(layout);
    const all: Array<{ stream: number; k: number; len: number }> = [];
    map.lengths.forEach((length, s) => {
      for (let k = 0; k * BLOCK_SIZE < length; k++) all.push({ stream: s, k, len: Math.min(BLOCK_SIZE, length - k * BLOCK_SIZE) });
    });
    if (all.length === 0) return 0;
    const step = Math.max(1, Math.floor(all.length / SAMPLE_BLOCKS));
    let sampledIn = 0, sampledOut = 0;
    for (let i = 0; i < all.length; i += step) {
      const b = all[i]!;
      const data = await source.readStream(b.stream, b.k * BLOCK_SIZE, b.len);
      sampledIn += b.len;
      sampledOut += encodeBlock(data, map.widths[b.stream]!).length;
    }
    // The table is a few dozen bytes a block.
    return Math.round((file.bytes * sampledOut) / sampledIn) + 64 * all.length + 256;
  } finally {
    await source.close();
  }
}
