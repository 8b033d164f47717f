import { Compressor, Decompressor } from 'zstd-napi';

// Level 3 is zstd's default: on byte planes of XOR deltas, higher levels buy a
// few percent at several times the time (measured in bench/).
const LEVEL = 3;

let compressor: Compressor | undefined;
let decompressor: Decompressor | undefined;

export function zstdCompress(data: Uint8Array): Buffer {
  if (!compressor) {
    compressor = new Compressor();
    compressor.setParameters({ compressionLevel: LEVEL });
  }
  return compressor.compress(data);
}

export function zstdDecompress(data: Uint8Array): Buffer {
  decompressor ??= new Decompressor();
  return decompressor.decompress(data);
}
