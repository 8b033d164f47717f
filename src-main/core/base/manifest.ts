import type { CommitMeta, CommitType, TensorStatus } from '../../../src-shared/model';
import type { Dtype, FileFormat, TensorRegion } from './layout';

// The commit manifest: what docs/STORE-FORMAT.md calls a commit. Its sha256
// (over the canonical JSON bytes) is the commit id, so it is written once and
// never changed; mutable facts (pins, whether full parameters remain) live elsewhere.

export const FORMAT_VERSION = 1;

/** Block modes of a stream delta. */
export enum BlockMode {
  /** Same bytes as the base stream: nothing stored. */
  Same = 0,
  /** Stored: zstd(planes(new XOR base)). */
  Xor = 1,
  /** Stored: zstd(planes(new)); used for new streams and where XOR compressed worse. */
  Raw = 2,
}

/** [mode, offset in delta object, stored length, checksum of the stored bytes]; Same blocks are just 0. */
export type BlockRef = 0 | readonly [BlockMode.Xor | BlockMode.Raw, number, number, string];

export interface StreamDelta {
  /** Index of the base stream in the parent file (0 = residual, i+1 = tensor i), or null. */
  readonly base: number | null;
  readonly blocks: readonly BlockRef[];
}

export interface FileDelta {
  /** sha256 of the delta object, null when every block is Same. */
  readonly object: string | null;
  readonly bytes: number;
  /** Path (in the parent commit) of the file this delta is based on, null for a new file. */
  readonly basePath: string | null;
  /** Stream 0 is the residual (all bytes not in a tensor, in file order), stream i+1 is tensor i. */
  readonly streams: readonly StreamDelta[];
  /**
   * The deterministic encoding that wrote it (codec/encoding.ts), so it can be
   * encoded again to its name; absent in deltas written before.
   */
  readonly encoding?: number;
}

export interface ManifestTensor {
  readonly name: string;
  readonly dtype: Dtype;
  readonly shape: readonly number[];
  readonly offset: number;
  readonly length: number;
  readonly width: number;
  readonly le: boolean;
  readonly status: TensorStatus;
  readonly changedFraction: number | null;
  readonly maxAbsDiff: number | null;
  readonly relChange: number | null;
}

export interface ManifestFile {
  /** posix path relative to the commit's source (for a single-file source: its base name). */
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly format: FileFormat;
  readonly status: TensorStatus;
  readonly tensors: readonly ManifestTensor[];
  readonly removedTensors: readonly string[];
  readonly delta: FileDelta | null;
}

export interface Manifest {
  readonly formatVersion: number;
  readonly parent: string | null;
  readonly type: CommitType;
  readonly message: string;
  readonly createdAt: string;
  /** The working copy: a path relative to the store root (posix), or absolute outside it. */
  readonly source: { readonly path: string; readonly kind: 'file' | 'folder' };
  readonly files: readonly ManifestFile[];
  readonly removedFiles: readonly string[];
  /**
   * A CHECKPOINT's rule (src-shared/policy/checkpoint.ts), for `show`.
   * Optional: manifests written before it was recorded have none; a value
   * this version does not know is read as none.
   */
  readonly checkpointReason?: string;
  /**
   * Step, epoch, metrics and run (src-shared/model.ts CommitMeta); optional,
   * absent for a plain commit. A commit with `meta.run` belongs to the run's
   * line of history (store/tips.ts), not its own path's: each checkpoint of a
   * run has its own folder or file name.
   */
  readonly meta?: CommitMeta;
  /**
   * Never in a manifest's bytes: set by Store.readManifest when a forget
   * re-based this commit (a route record, store/routes.ts). `parent`, `type`
   * and the files' `delta` are then the record's (the storage), while the
   * commit id is still the hash of the manifest as written (the identity);
   * `recordedParent` is the parent the manifest names, `forgotten` how many
   * commits a forget removed between the two.
   */
  readonly rebased?: { readonly recordedParent: string | null; readonly recordedType: CommitType; readonly forgotten: number };
}

/** Block size of streams: large enough for zstd to find structure, small enough that a rebuild caching one block per chain link (chain length × 4 MiB: 256 MiB at the default maxChainLength of 64) stays in memory bounds. */
export const BLOCK_SIZE = 4 * 1024 * 1024;

export function blockCount(length: number): number {
  return Math.ceil(length / BLOCK_SIZE);
}

/** A manifest file's tensors as a parser gives them: what the encoder takes for a stored version. */
export function tensorRegions(file: ManifestFile): TensorRegion[] {
  return file.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, offset: t.offset, length: t.length, width: t.width, littleEndian: t.le }));
}
