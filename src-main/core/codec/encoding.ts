// The delta encoding: what makes the bytes of a delta object (and of a packed
// object) a pure function of the two versions. Deltas a commit writes carry
// this number (`FileDelta.encoding`), so repair knows it can encode one again
// to its own name (ops/rebuild-delta.ts); deltas without it were written
// before, when blocks landed in the order the workers finished them.
//
// Encoding 1 is, in full (docs/STORE-FORMAT.md, "Deterministic encoding"):
// streams and their bases as encode-file.ts chooses them; 4 MiB blocks
// (base/manifest.ts BLOCK_SIZE); a block equal to its base is Same; a changed
// block is Xor unless its XOR payload exceeds 0.8 of the block and the plain
// payload is 2% smaller (block-work.ts); payloads as block-codec.ts writes
// them (a plane is raw when the zstd frame of its first 64 KiB is 97% of it or
// more, or when zstd does not make it smaller); zstd 1.5.7 (zstd-napi's bundled
// library) at level 1 with every other parameter at its default, one frame per
// plane, no dictionary, one thread (zstd.ts); stored blocks laid out in block
// order, stream by stream. Nothing else (worker count, kernel kind, machine)
// changes a byte.
//
// Encoding 2 is encoding 1 with other plane rules (block-codec.ts storePlane):
// a plane whose evenly spread sample is 90% zeros is stored sparse (kind 2)
// when that is smaller; the 64 KiB probe runs only where the sample's byte
// histogram looks like noise; planes of elements wider than one byte use zstd
// level 1 with minMatch 7 and hashLog 8 (zstd.ts).
//
// Change any of these and this number must change with it:
// test/core/determinism.test.ts pins the bytes of a fixed pair. The encoder
// keeps the rules of every encoding, so repair can make an older delta again.
export const DELTA_ENCODING = 2;

/** The encodings this Weightline can write again (repair): every one up to its own. */
export function encodes(encoding: number | undefined): encoding is number {
  return encoding !== undefined && Number.isInteger(encoding) && encoding >= 1 && encoding <= DELTA_ENCODING;
}
