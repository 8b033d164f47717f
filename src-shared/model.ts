// Plain data the engine hands to the CLI, the app and the browser. Field names
// here are pinned by the CLI's JSON output: add fields, never rename them.
import type { CheckpointReason } from './policy/checkpoint';

export type CommitId = string & { readonly __brand: 'CommitId' };
export type CommitType = 'CHECKPOINT' | 'DELTA';
export type TensorStatus = 'unchanged' | 'changed' | 'added' | 'removed';

/**
 * What a training run says about a commit: its step, epoch and metrics, which
 * trainer wrote it and where (the run folder and the checkpoint's name in it),
 * and the trainer's own "best" marker as of that save. Filled by watch and
 * import from the trainer's files, or by `commit --step/--epoch/--metric`.
 * Every field is optional: a plain commit has none.
 */
export interface CommitMeta {
  readonly step?: number;
  readonly epoch?: number;
  /** Metric name → value (eval_loss, val_acc, learning_rate …), finite numbers only. */
  readonly metrics?: Readonly<Record<string, number>>;
  /** Which layout it was recognised as: 'hf-trainer', 'lightning', 'keras', 'tf-checkpoint', 'plain', or absent for a hand commit. */
  readonly trainer?: string;
  /** The run folder it was taken from (store-relative posix path, or absolute outside the store). */
  readonly run?: string;
  /** The checkpoint's name in its run (a folder name, a file name, a TF prefix). */
  readonly checkpoint?: string;
  /** The trainer's own best checkpoint as of this save (HF trainer_state.json best_model_checkpoint, Lightning best_model_path), by its name in the run. */
  readonly trainerBest?: string;
  /** The metric the trainer ranks by, when it says (HF metric_for_best_model, Lightning monitor). */
  readonly trainerBestMetric?: string;
}

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
   * Present when the store has remotes: its data on this machine
   * only, on a remote only (fetched history whose objects a restore downloads),
   * or both.
   */
  readonly location?: CommitLocation;
  /** Step, epoch, metrics and where a training run wrote it (absent for a plain commit). */
  readonly meta?: CommitMeta;
  /** Tags naming this commit (absent when none). */
  readonly tags?: readonly string[];
  /**
   * Present (true) on commits that descend from HEAD: newer versions of HEAD's
   * line after a restore moved HEAD back. The next commit does not follow
   * them; it starts a new branch from HEAD.
   */
  readonly aheadOfHead?: true;
  /**
   * Present when a forget removed commits between this one and `parent`:
   * how many (the graph draws the edge to the kept ancestor marked "N forgotten").
   * `parent` is then the nearest kept ancestor.
   */
  readonly forgottenBefore?: number;
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
  /** For a CHECKPOINT, the rule that made it one, when its manifest records it (commits from before it was recorded do not). */
  readonly checkpointReason?: CheckpointReason;
}

/** The second side of a diff that is the files at the commit's path now, not a commit. */
export const WORKING = 'WORKING';

export interface DiffResult {
  readonly from: CommitId;
  /** A commit, or WORKING: the working copy at the first commit's path. */
  readonly to: CommitId | typeof WORKING;
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
   * Every path that has commits (HEAD's first): its working copy against the
   * newest commit of that path's line, with each changed file. `workingCopy`
   * is these combined ('matches' only when every path matches). Absent when
   * there is no HEAD; the app's quick status.get leaves it to workingCopy.get.
   */
  readonly paths?: readonly PathWorkingCopy[];
  /**
   * Paths in `links` whose problem was judged from stat data only (their stat
   * differs from when they were last hashed): a `status` job confirms them.
   * Absent when every link's state is known.
   */
  readonly linksUnconfirmed?: readonly string[];
  /**
   * What a cleanup at the store's own keepFullLatest would do, estimated from
   * the log (cleanup --dry-run proves it): null when the settings, pins or
   * links cannot be read. Absent from the app's quick status.
   */
  readonly cleanup?: CleanupEstimate | null;
  /** What the trash holds (forgotten versions an undo can bring back), absent when empty. */
  readonly trash?: TrashInfo;
}

export interface CleanupEstimate {
  /** The setting the estimate is for (the store's own). */
  readonly keepFullLatest: number;
  /** Bytes of raw full parameters the cleanup would delete: those of DELTA commits no keep rule holds, not named by a commit that keeps its own. 0 when nothing. */
  readonly bytesFreeable: number;
  /** Commits whose full parameters it would delete. */
  readonly commits: number;
  /** CHECKPOINTs out of the newest keepFullLatest it would pack (their saving is measured by cleanup --dry-run). */
  readonly checkpointsToPack: number;
  /** Bytes of raw (unpacked) full parameters on disk. */
  readonly rawBytes: number;
  readonly estimated: true;
}

/** One file of a working copy that differs from its commit (src-shared/policy/working-copy.ts decides). */
export interface FileChange {
  /** The file's path inside the source (for a single-file source: the committed file's name). */
  readonly path: string;
  readonly change: 'modified' | 'deleted' | 'added';
}

export type WorkingCopyVerdict = 'matches' | 'changed' | 'probably-changed' | 'missing';

/** One path's working copy against the newest commit of that path's line. */
export interface PathWorkingCopy {
  /** The source path, relative to the store root ('.' for the root itself). */
  readonly path: string;
  /** The same, absolute. */
  readonly absPath: string;
  /** The newest commit of the path's line, the version the working copy is compared with. */
  readonly commit: CommitId;
  /** The commit's source kind: a single file (its one file is the path itself) or a folder. */
  readonly kind: 'file' | 'folder';
  readonly state: WorkingCopyVerdict;
  /** Differences known for sure (modified, deleted, added), by file path inside the source. */
  readonly changes: readonly FileChange[];
  /** Files only hashing can judge (state probably-changed). */
  readonly unknown: readonly string[];
  /** Files and bytes at the path now. */
  readonly files: number;
  readonly bytes: number;
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
  /** True when every file matched the newest commit of the path's line and no commit was made: id, type and parent are then that commit's (HEAD does not move). */
  readonly unchanged?: boolean;
  /**
   * What the automatic cleanup after the commit did (autoCleanup on): absent
   * when it did not run. The commit's raw full parameters may be among what it
   * freed, so "kept until a cleanup" is said only when it did not run.
   */
  readonly autoCleanup?: AutoCleanupReport;
  /** For a CHECKPOINT this commit made: the rule that made it one (src-shared/policy/checkpoint.ts). */
  readonly checkpointReason?: CheckpointReason;
}

export interface AutoCleanupReport {
  /** Bytes of full parameters it deleted. */
  readonly bytesFreed: number;
  /** CHECKPOINTs it packed, and the bytes packing saved. */
  readonly packs: number;
  readonly bytesPackSaved: number;
  /** Commits whose full parameters it deleted. */
  readonly commits: readonly CommitId[];
}

/** What `pin` did: the pin, and the full parameters it rebuilt where a cleanup had removed them. */
export interface PinResult {
  readonly id: CommitId;
  readonly pinned: boolean;
  /** Files whose full parameters were rebuilt through the verified read path and stored again. */
  readonly rebuiltFiles: number;
  readonly rebuiltBytes: number;
  /** Whether the commit was pinned before this call (a pin of a pinned commit changes nothing). */
  readonly wasPinned: boolean;
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
  | 'NOT_LINKED'            // --link hardlink/symlink asked, but these files were rebuilt and written as copies (no full object to link)
  | 'REPLACED_COMMITTED'    // the working copy differed from HEAD but a commit holds its bytes: replaced without --force, nothing lost
  | 'BAD_FORMAT'            // a checkpoint that will never complete (a file cut or malformed, and the trainer has moved on): skipped
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
  /**
   * Whether HEAD moved (a restore to the commit's own path moves it; one
   * --to elsewhere never does), from what to what, and how many newer commits
   * descend from the restored one: with any, the next commit starts a new
   * branch from it (a HEAD_MOVED note says so).
   */
  readonly head: RestoreHead;
}

export interface RestoreHead {
  readonly moved: boolean;
  readonly from: CommitId | null;
  readonly to: CommitId | null;
  /** Commits that descend from the restored one (0: it is the tip of its line). */
  readonly descendants: number;
  /** The newest of those descendants (where `restore` goes back to), or null. */
  readonly newestDescendant: CommitId | null;
}

export interface Progress {
  readonly phase: string;
  readonly bytesDone: number;
  readonly bytesTotal: number;
  /** A job that runs on (watch): its one-line live status ("following runs/a: 12 committed, 1 waiting to settle"). */
  readonly detail?: string;
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
  /** Store files (not commits) found damaged, each "damaged <file>: …" with what to do (tags.json); absent when none. */
  readonly files?: readonly string[];
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
  /** A delta object repair encoded again to its name (ops/rebuild-delta.ts), or (absent) a full object. */
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

// ---- following a training run (watch, import) ----

/** One checkpoint watch or import dealt with. */
export interface RunCheckpointReport {
  /** Its name in the run (checkpoint-500, epoch=3-step=1200.ckpt, ckpt-7). */
  readonly checkpoint: string;
  /** The commit made, or the one that already held these bytes (a restart, a re-import); null when skipped. */
  readonly commit: CommitId | null;
  /** True when an existing commit already held it (no new commit). */
  readonly already?: boolean;
  readonly meta?: CommitMeta;
  /** Why it was skipped (a corrupt checkpoint): code, sentence, file. */
  readonly skipped?: Note;
}

/** What a watch (when it stops) or an import did. */
export interface RunFollowResult {
  /** The run folder, relative to the store root. */
  readonly run: string;
  /** The layout it was recognised as ('hf-trainer', 'lightning', 'keras', 'tf-checkpoint', 'plain'). */
  readonly trainer: string | null;
  readonly checkpoints: readonly RunCheckpointReport[];
  /** Trainer copies removed after their commit was verified (--then remove). */
  readonly removed: readonly string[];
  /** Why it stopped: done (import, or watch --once), cancelled, the folder went away, the disk is full. */
  readonly stopped: 'done' | 'cancelled' | 'folder-gone' | 'disk-full';
  readonly notes: readonly Note[];
}

// ---- tags ----

/** A tag: a name for a commit (`restore best`, `diff best HEAD`). */
export interface TagInfo {
  readonly name: string;
  readonly commit: CommitId;
  /** When it was set to this commit (ISO time): across remotes the newest setting wins. */
  readonly setAt: string;
  /** The remote it was fetched from, when a fetched setting won (absent for a tag set here). */
  readonly from?: string;
  /** Present (true) when the store does not hold the commit (a tag fetched without its commit): it resolves to nothing until a fetch brings it. */
  readonly missing?: true;
}

/** What `tag` did: the tag as it now is, or deleted (commit null). */
export interface TagResult {
  readonly name: string;
  readonly commit: CommitId | null;
  /** The commit it named before, if any. */
  readonly previous: CommitId | null;
}

// ---- forget, trash and the operations log ----

/** One commit a forget decides on: it goes, or stays with its reasons (src-shared/policy/retention.ts). */
export interface ForgetCommit {
  readonly id: CommitId;
  readonly verdict: 'keep' | 'forget';
  /** Why it stays, in words ("newest 3 (#1)", "best 3 by eval_loss (#2, 0.41)", "tag best"); empty when it goes. */
  readonly reasons: readonly string[];
  /** Kept commits whose stored delta was against a forgotten commit: encoded again against `rebasedOnto` (null: it becomes a CHECKPOINT). */
  readonly rebasedOnto?: CommitId | null;
  /** Bytes of the re-based route it gets (its delta objects, or its full parameters for a CHECKPOINT, whether written now or already stored): exact, encoded in the preview too. */
  readonly rebasedBytes?: number;
}

export interface ForgetPlan {
  /** Every commit of the store, newest first, with its verdict. */
  readonly commits: readonly ForgetCommit[];
  readonly forgotten: number;
  readonly kept: number;
  /** Bytes that leave objects/ and commits/ (into the trash): objects only forgotten commits name, their manifests and route records. */
  readonly bytesRemoved: number;
  /** Bytes the re-based routes add (new delta objects; full objects of kept commits that become CHECKPOINTs; the new route records). */
  readonly bytesAdded: number;
  /** bytesRemoved − bytesAdded: what the store shrinks by once the trash is emptied; exact to the byte (the run reports the same figure). */
  readonly bytesFreed: number;
  readonly storeBytesBefore: number;
  readonly storeBytesAfter: number;
  /** The policy applied, as flags ("--keep-last 3 --keep-every 10"), or the refs named. */
  readonly policy: string;
  /** True for a preview (nothing changed). */
  readonly dryRun: boolean;
  /** The operation it recorded (ops/<id>.json), absent in a preview or when nothing was forgotten. */
  readonly op?: string;
  /** When the trash of this forget is emptied at the latest (ISO), absent in a preview or when nothing went. */
  readonly trashUntil?: string;
}

export type OpKind = 'forget' | 'cleanup' | 'repair' | 'undo' | 'trash-purge';

/** One entry of the operations log (`weightline ops`). */
export interface OpInfo {
  readonly id: string;
  readonly kind: OpKind;
  readonly startedAt: string;
  readonly finishedAt?: string;
  /** planned / moving (interrupted if no writer runs) / done / undoing / undone. */
  readonly state: 'planned' | 'moving' | 'done' | 'undoing' | 'undone';
  /** What it changed, in one sentence. */
  readonly summary: string;
  /** Commits it removed (forget) or put back (undo). */
  readonly commits: readonly CommitId[];
  readonly bytes: number;
  /** Whether `weightline undo` can still put it back, and if not, why. */
  readonly undoable: boolean;
  readonly whyNot?: string;
  /** When its trash is emptied at the latest (ISO). */
  readonly trashUntil?: string;
}

export interface UndoResult {
  /** The operation put back. */
  readonly undone: OpInfo;
  /** Commits back in the history. */
  readonly restored: readonly CommitId[];
  /** The undo's own entry in the operations log. */
  readonly op: string;
  /** What a person should know (a put-back commit no route rebuilds, objects left in place), absent when nothing. */
  readonly notes?: readonly string[];
}

/** What the trash holds (status, the app's toolbar). */
export interface TrashInfo {
  readonly bytes: number;
  readonly operations: number;
  /** When the oldest of it is emptied at the latest (ISO), null when empty. */
  readonly goneBy: string | null;
}
