// How much Weightline reads of a remote key it has not yet verified
// (docs/STORE-FORMAT.md, "Remote limits"). A remote is anyone's bucket: its
// listing and its bytes are claims until hashed, so every read is bounded
// before it starts and stops at the bound whatever the server sends.

/**
 * The largest manifest key Weightline reads. A manifest weighs about 190
 * bytes per file, 280 per tensor and 55 per 4 MiB block of parameters: the
 * largest open checkpoints (DeepSeek-V3, 671B parameters in 163 files, about
 * 92,000 tensors and 230,000 blocks) come to about 40 MB, a 200,000-file folder
 * to 38 MB. 64 MiB leaves 1.6× over the largest of them, while a fetch's
 * manifests in memory stay bounded (MANIFEST_BYTES_IN_FLIGHT). Push refuses to
 * send a manifest over it, so no store puts on a remote what fetch would refuse.
 */
export const MANIFEST_LIMIT = 64 * 1024 * 1024;

/** Manifest bytes being read at once by a fetch or verify --remote: one manifest at the limit, or many small ones. */
export const MANIFEST_BYTES_IN_FLIGHT = MANIFEST_LIMIT;

/** The remote's marker (weightline-remote.json): a few dozen bytes. */
export const MARKER_LIMIT = 64 * 1024;

/** "64 MiB": how messages state a limit. */
export function limitText(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${bytes / (1024 * 1024)} MiB` : `${bytes / 1024} KiB`;
}

/** A manifest's share of MANIFEST_BYTES_IN_FLIGHT for runBounded (capacity MANIFEST_READ_SLOTS): its listed size in slots, at least one. */
export const MANIFEST_READ_SLOTS = 64;
export function manifestWeight(listedBytes: number): number {
  return Math.max(1, Math.ceil((Math.min(listedBytes, MANIFEST_LIMIT) / MANIFEST_BYTES_IN_FLIGHT) * MANIFEST_READ_SLOTS));
}
