// Plain data the engine hands to the CLI, the app and the browser. Field names
// here are pinned by the CLI's JSON output: add fields, never rename them.

export type CommitId = string & { readonly __brand: 'CommitId' };
export type CommitType = 'CHECKPOINT' | 'DELTA';
export type TensorStatus = 'unchanged' | 'changed' | 'added' | 'removed';

export interface LogEntry {
  readonly id: CommitId;
  readonly parent: CommitId | null;
  readonly type: CommitType;
  readonly message: string;
  readonly createdAt: string;
  /** Size of this version's files. */
  readonly logicalBytes: number;
  /** Bytes of this commit's full parameters on disk now (0 once pruned); an object shared with an older commit counts there. */
  readonly fullBytes: number;
  /** Bytes of this commit's delta on disk. */
  readonly deltaBytes: number;
  /** Where the version lives in the working copy, relative to the store root. */
  readonly path: string;
  /** Whether every file's full parameters are on disk. */
  readonly hasFull: boolean;
  /** Deltas a restore replays (0 when the full parameters are on disk). */
  readonly chainLength: number;
  readonly pinned: boolean;
  /**
   * Present (true) when the full parameters on disk are only in packed form
   * (byte planes + zstd: a CHECKPOINT a cleanup moved out of the hot set), so
   * `fullBytes` is the packed size and no raw copy is kept. Absent otherwise.
   */
  readonly packed?: true;
  /**
   * Present when the store has remotes (issue 14): its data on this machine
   * only, on a remote only (fetched history whose objects a restore downloads),
   * or both.
   */
  readonly location?: CommitLocation;
}

export type CommitLocation = 'local' | 'remote' | 'both';

export interface TensorSummary {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly bytes: number;
  readonly status: TensorStatus;
  readonly changedFraction: number | null;
  readonly maxAbsDiff: number | null;
  readonly relChange: number | null;
}

export interface FileSummary {
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly format: string;
  readonly status: TensorStatus;
  readonly tensors: readonly TensorSummary[];
}

export interface ShowResult extends LogEntry {
  readonly files: readonly FileSummary[];
}

export interface DiffResult {
  readonly from: CommitId;
  readonly to: CommitId;
  readonly files: readonly FileSummary[];
}

export interface StatusResult {
  readonly head: CommitId | null;
  readonly storeBytes: number;
  readonly logicalBytes: number;
  readonly dirty: boolean;
  readonly path: string | null;
  /** Restored links whose target is gone or whose content no longer matches their commit. */
  readonly links?: readonly RestoredLinkProblem[];
  /**
   * The working copy against HEAD, as `dirty` says it (dirty is false only for
   * 'matches'). The app's status.get is stat only: 'probably-changed' means a
   * file's size, mtime or inode differs from when it was last hashed, and a
   * `workingCopy` or `status` job hashes it. Absent when there is no HEAD.
   */
  readonly workingCopy?: 'matches' | 'changed' | 'probably-changed' | 'missing';
  /**
   * Paths in `links` whose problem was judged from stat data only (their stat
   * differs from when they were last hashed): a `status` job confirms them.
   * Absent when every link's state is known.
   */
  readonly linksUnconfirmed?: readonly string[];
}

export interface CommitResult {
  readonly id: CommitId;
  readonly type: CommitType;
  readonly parent: CommitId | null;
  readonly logicalBytes: number;
  readonly deltaBytes: number;
  /**
   * Bytes of full parameters this commit added to the store: 0 when the store
   * already held these exact bytes (an older commit's, shown in its log line).
   */
  readonly fullBytesAdded?: number;
  /** True when every file matched HEAD and no commit was made: id, type and parent are then HEAD's. */
  readonly unchanged?: boolean;
}

/** What `pin` did: the pin, and the full parameters it rebuilt where a cleanup had removed them. */
export interface PinResult {
  readonly id: CommitId;
  readonly pinned: boolean;
  /** Files whose full parameters were rebuilt through the verified read path and stored again. */
  readonly rebuiltFiles: number;
  readonly rebuiltBytes: number;
}

/**
 * Something an operation wants the user to know, as data: the UI picks its
 * action from `next` and its wording from `code`, never by matching `message`.
 */
export type NoteCode =
  | 'LEFT_OUT'              // files the commit holds that restore never writes (inside .git, .weightline, ...)
  | 'REBUILT_AROUND_DAMAGE' // a damaged object was routed around; the version is bit-exact
  | 'OBJECT_DAMAGED'        // an object failed its hash on the way
  | 'FETCHED'               // objects were downloaded from a remote first
  | 'HEAD_MOVED'            // HEAD now points to an older commit: the next commit starts a branch from it
  | 'AUTO_CHECKPOINT'       // a commit became a CHECKPOINT by a rule, not by request
  | 'AUTO_CLEANUP'          // autoCleanup ran after a commit
  | 'OTHER';
export interface Note {
  readonly code: NoteCode;
  /** The sentence the CLI prints and the app shows. */
  readonly message: string;
  /** The command that deals with it, when there is one. */
  readonly next?: 'repair' | 'cleanup' | 'restore' | 'commit';
  /** Files (store-relative or as the manifest names them) the note is about. */
  readonly files?: readonly string[];
}

export interface RestoreResult {
  readonly id: CommitId;
  readonly target: string;
  readonly files: number;
  readonly bytes: number;
  readonly link?: LinkReport;
  /** What the user should know: a version rebuilt by another route because an object is damaged, and so on. */
  readonly notes?: readonly Note[];
}

export interface Progress {
  readonly phase: string;
  readonly bytesDone: number;
  readonly bytesTotal: number;
}
export type ProgressListener = (p: Progress) => void;

// ---- storage lifecycle (cleanup, verify, links) ----

export type KeepReason = 'checkpoint' | 'branch-tip' | 'newest' | 'pinned' | 'linked' | 'broken-chain' | 'already-pruned';

export interface CleanupCommit {
  readonly id: CommitId;
  /** Bytes deleting this commit's full parameters frees (objects no kept commit still needs). */
  readonly bytesFreed: number;
  /** Deltas a restore replays now and after the cleanup. */
  readonly chainBefore: number;
  readonly chainAfter: number;
  /** Bytes a restore reads now and after the cleanup (full object or base + deltas). */
  readonly readBytesBefore: number;
  readonly readBytesAfter: number;
}

export interface KeptCommit {
  readonly id: CommitId;
  readonly reasons: readonly KeepReason[];
  /** For broken-chain: what is wrong with the chain below it. */
  readonly detail?: string;
}

/** A commit whose full parameters cleanup keeps in packed form (byte planes + zstd) instead of raw. */
export interface CleanupPack {
  readonly id: CommitId;
  /** Raw full objects of the commit that go (those no other kept commit still needs raw). */
  readonly rawBytes: number;
  /** Bytes the packed form adds to the store: measured by encoding every block in a preview, so the run agrees to the byte. */
  readonly packedBytes: number;
}

export interface CleanupPlan {
  readonly commits: readonly CleanupCommit[];
  readonly kept: readonly KeptCommit[];
  /** Bytes deleting full parameters frees (exact: the preview and the run agree to the byte). */
  readonly bytesFreed: number;
  /** CHECKPOINTs (out of the hot set) whose raw full parameters are replaced by their packed form. */
  readonly packs: readonly CleanupPack[];
  /** Raw bytes minus packed bytes over `packs` (exact in a preview too). */
  readonly bytesPackSaved: number;
  readonly storeBytesBefore: number;
  /** storeBytesBefore − bytesFreed − bytesPackSaved. */
  readonly storeBytesAfter: number;
}

export interface VerifyCommit {
  readonly id: CommitId;
  /** Every object this commit's files name is intact and every file rebuilds bit-exact. */
  readonly ok: boolean;
  /** What is damaged or missing, or null when ok. */
  readonly error: string | null;
  /**
   * Whether a restore still gives the committed bytes (by some intact route),
   * even when ok is false because one of its objects is damaged.
   */
  readonly restorable: boolean;
  /** How it was rebuilt when not by its usual route (e.g. "backward from 3f2a91c0d1e2"), else null. */
  readonly route: string | null;
  /**
   * Something lost that no repair brings back, on a commit that is ok (it
   * restores bit-exact): e.g. a delta object written before deterministic
   * encoding that is gone. Absent or null when there is nothing to say.
   */
  readonly warning?: string | null;
}

export interface VerifyResult {
  readonly ok: boolean;
  readonly commits: readonly VerifyCommit[];
}

// ---- repair ----

/**
 * Per commit after a repair: intact (nothing to do), repaired (a damaged or
 * missing object was rebuilt), restorable (a damaged object remains but an
 * intact route gives the version), lost (no intact route: the detail says why).
 */
export type RepairOutcome = 'intact' | 'repaired' | 'restorable' | 'lost';

export interface RepairCommit {
  readonly id: CommitId;
  readonly outcome: RepairOutcome;
  readonly detail: string | null;
}

export interface QuarantinedObject {
  readonly object: string;
  /** Where the damaged bytes were moved (inside .weightline/quarantine/). */
  readonly path: string;
  readonly reason: string;
}

export interface RebuiltObject {
  readonly object: string;
  /** The commit whose file it is, and how it was rebuilt. */
  readonly commit: CommitId;
  readonly path: string;
  readonly route: string;
  /** A delta object encoded again (issue 18), or (absent) a full object. */
  readonly kind?: 'full' | 'delta';
}

export interface RepairResult {
  readonly dryRun: boolean;
  /** True when no commit is lost. */
  readonly ok: boolean;
  readonly commits: readonly RepairCommit[];
  readonly quarantined: readonly QuarantinedObject[];
  readonly rebuilt: readonly RebuiltObject[];
}

export type LinkMode = 'auto' | 'reflink' | 'hardlink' | 'symlink' | 'copy';

export interface LinkReport {
  /** Files placed by reflink, hard link or symlink instead of a copy. */
  readonly linked: number;
  readonly bytesNotCopied: number;
  readonly mode: LinkMode;
  readonly warning: string | null;
}

export interface RestoredLinkProblem {
  readonly path: string;
  readonly commit: CommitId;
  /**
   * broken: the file is gone; modified: the file was replaced and no longer
   * matches its commit (the store's copy is fine); changed-in-place: the file
   * still shares its bytes with the store and they were written into, so the
   * store's copy is damaged ("weightline repair" rebuilds it where it can).
   */
  readonly problem: 'broken' | 'modified' | 'changed-in-place';
}
