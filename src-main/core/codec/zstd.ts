import { Compressor, Decompressor, type CompressParameters } from 'zstd-napi';

// Level 1: on the byte planes of XOR deltas it is both faster and no larger
// than zstd's default 3 (measured: the mantissa plane of an f32 fine-tune
// step compresses to 0.377 at level 1 vs 0.395 at 3, at 1.6x the speed; real
// PyTorch sequences store 0.5% less, scripts/compare-deltas.mjs).
//
// ELEMENT_PLANE (delta encoding 2, the byte planes of elements wider than one
// byte): a plane that compresses at all is mostly noise with a skewed byte
// histogram, where zstd's gain is its Huffman-coded literals and short matches
// only cost bits. Requiring 7-byte matches from a 256-entry hash table leaves
// little but literals: on the top mantissa plane of a 443 MB f32 fine-tune
// step, 0.354 of the plane instead of 0.377, at 2-2.5x the speed (minMatch
// 6-7 × hashLog 6-12 × fast/dfast measured; the order-0 entropy is 0.304).
export type ZstdSetting = 'level1' | 'elementPlane';

const SETTINGS: Record<ZstdSetting, CompressParameters> = {
  level1: { compressionLevel: 1 },
  elementPlane: { compressionLevel: 1, minMatch: 7, hashLog: 8 },
};

// One context per setting, per thread (worker threads each load this module).
const compressors = new Map<ZstdSetting, Compressor>();
let decompressor: Decompressor | undefined;

export function zstdCompress(data: Uint8Array, setting: ZstdSetting = 'level1'): Buffer {
  let c = compressors.get(setting);
  if (!c) {
    c = new Compressor();
    c.setParameters(SETTINGS[setting]);
    compressors.set(setting, c);
  }
  return c.compress(data);
}

export function zstdDecompress(data: Uint8Array): Buffer {
  decompressor ??= new Decompressor();
  return decompressor.decompress(data);
}
