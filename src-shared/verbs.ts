// The one registry of verbs: for each, its argument schema, whether it writes
// (and so takes the store's lock: one writing job at a time), its label, its
// class (a quick call answered on the main side, or a job run in a job
// process) and the CLI command that runs it. The contract's jobRequest,
// isWritingJob and JobResult, the app's cached-view rule, the job runner's
// dispatch and the UI's job labels all read it, so a new verb is declared here
// once (and implemented once, in src-main/core/verbs/).

import { z } from 'zod';
import { SETTING_SCHEMAS } from './policy/settings';
import { commitMetaSchema } from './meta';
import { retentionPolicySchema } from './policy/retention';
import type {
  CleanupPlan, CommitId, CommitResult, DiffResult, ForgetPlan, PinResult, UndoResult, RepairResult, RestoreResult, RunFollowResult, TagResult, StatusResult, VerifyResult,
} from './model';
import type { PathWorkingCopy } from './model';

// A commit id prefix (4+ hex), HEAD or a tag (a name may be one character), with ~N or ^ after it; resolveCommit says what is wrong with one.
const commitRef = z.string().min(1).max(200);
const absPath = z.string().min(1).max(4096);
export const remoteNameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a letter or digit, then letters, digits, ".", "_" or "-" (64 at most)');

/**
 * A tag's name: git's rules, simplified (letters, digits, ".", "_", "-", "/"
 * inside; never a commit-id-like hex string or HEAD, so a ref never means two things).
 */
export const tagNameSchema = z.string().min(1).max(128)
  .regex(/^[A-Za-z0-9_][A-Za-z0-9._/-]*$/u, 'letters, digits, ".", "_", "-" or "/", starting with a letter, digit or "_"')
  // Either case: a commit id prefix is read in either case too.
  .refine((n) => !/^[0-9a-f]{4,64}$/iu.test(n), 'not 4 to 64 hex characters (that reads as a commit id)')
  .refine((n) => n !== 'HEAD' && !n.includes('..') && !n.endsWith('/') && !n.endsWith('.') && !n.includes('//'), 'not HEAD, no "..", "//", and no "/" or "." at the end');

export type VerbClass = 'quick' | 'job';

interface VerbSpec<S extends z.ZodType> {
  readonly args: S;
  readonly class: VerbClass;
  /** Writes the store (takes its lock); a function where the arguments decide (repair's dry run reads only). */
  readonly writes: boolean | ((args: z.output<S>) => boolean);
  /**
   * Leaves the open store as it was (reads only, or writes a new store
   * elsewhere), so the app keeps its cached view when it ends. Differs from
   * `writes` for push, which takes no lock but rewrites the remote caches
   * (where each commit's data is).
   */
  readonly keepsStore: boolean;
  /** How the UI's job list names it. */
  readonly label: string;
  /** The UI shows its progress where it was asked for (a badge, a dialog's preview), not in the jobs panel. */
  readonly background?: boolean;
  /** The CLI command that runs it, or null when only the app runs it. */
  readonly cli: string | null;
  /** For a quick verb: the contract call that runs it, whose argument schema is `args` (null: the CLI alone runs it). */
  readonly call?: string | null;
  /** Arguments it accepts (the registry's reachability test starts it with them). */
  readonly example: z.input<S>;
}

const spec = <S extends z.ZodType>(s: VerbSpec<S>): VerbSpec<S> => s;

/** Every job kind: the work runs in a job process (src-main/jobs), started by jobs.start or by the main side itself. */
export const JOB_VERBS = {
  // allowEmpty: commit even when every file matches HEAD (otherwise nothing is committed and the result says unchanged).
  commit: spec({
    args: z.object({ kind: z.literal('commit'), path: absPath, message: z.string().max(10_000), checkpoint: z.boolean().default(false), allowEmpty: z.boolean().default(false), meta: commitMetaSchema.optional() }),
    class: 'job', writes: true, keepsStore: false, label: 'Commit', cli: 'commit',
    example: { kind: 'commit', path: '/tmp/model.safetensors', message: '' },
  }),
  restore: spec({
    args: z.object({
      kind: z.literal('restore'), commit: commitRef, to: absPath.optional(), force: z.boolean().default(false),
      link: z.enum(['auto', 'reflink', 'hardlink', 'symlink', 'copy']).default('auto'),
    }),
    class: 'job', writes: true, keepsStore: false, label: 'Restore', cli: 'restore',
    example: { kind: 'restore', commit: 'HEAD' },
  }),
  cleanup: spec({
    args: z.object({ kind: z.literal('cleanup') }),
    class: 'job', writes: true, keepsStore: false, label: 'Cleanup', cli: 'cleanup', example: { kind: 'cleanup' },
  }),
  // Pin and unpin: pinning a commit whose full parameters a cleanup removed rebuilds them (verified), so "pinned" always means "kept".
  pin: spec({
    args: z.object({ kind: z.literal('pin'), commit: commitRef, pinned: z.boolean() }),
    class: 'job', writes: true, keepsStore: false, label: 'Pin', cli: 'pin', example: { kind: 'pin', commit: 'HEAD', pinned: true },
  }),
  verify: spec({
    args: z.object({ kind: z.literal('verify') }),
    class: 'job', writes: false, keepsStore: true, label: 'Verify', cli: 'verify', example: { kind: 'verify' },
  }),
  diff: spec({
    args: z.object({ kind: z.literal('diff'), from: commitRef, to: commitRef }),
    class: 'job', writes: false, keepsStore: true, label: 'Compare', cli: 'diff', example: { kind: 'diff', from: 'HEAD', to: 'HEAD' },
  }),
  // A dry run only reads (it runs beside a writer, like verify); a real repair writes.
  // No default: a caller must say which, so a forgotten flag never writes.
  repair: spec({
    args: z.object({ kind: z.literal('repair'), dryRun: z.boolean() }),
    class: 'job', writes: (a) => !a.dryRun, keepsStore: false, label: 'Repair', cli: 'repair', example: { kind: 'repair', dryRun: true },
  }),
  // status.get answers from stat data only; this job hashes what it could not
  // judge (the working copy and restored links). Reads only (it refreshes the stat cache).
  status: spec({
    args: z.object({ kind: z.literal('status') }),
    class: 'job', writes: false, keepsStore: true, label: 'Check status', background: true, cli: 'status', example: { kind: 'status' },
  }),
  // The cleanup planner's preview, which proves routes by hashing objects:
  // read-only, beside a writer. keepFullLatest previews a changed setting.
  cleanupPreview: spec({
    args: z.object({ kind: z.literal('cleanupPreview'), keepFullLatest: SETTING_SCHEMAS.keepFullLatest.optional() }),
    class: 'job', writes: false, keepsStore: true, label: 'Cleanup preview', background: true, cli: 'cleanup', example: { kind: 'cleanupPreview' },
  }),
  // Writes the sample history into a missing or empty folder (the job's root),
  // never the open store; store.openSample starts it.
  sample: spec({
    args: z.object({ kind: z.literal('sample') }),
    class: 'job', writes: false, keepsStore: true, label: 'Making the sample history', cli: 'demo', example: { kind: 'sample' },
  }),
  // Hashes the working copy HEAD came from, to confirm what `workingCopy.get`
  // (stat only) calls "probably changed". Reads only; refreshes the stat cache.
  // The main side starts it (once per working-copy signature), not the UI.
  workingCopy: spec({
    args: z.object({ kind: z.literal('workingCopy') }),
    class: 'job', writes: false, keepsStore: true, label: 'Check working copy', background: true, cli: 'status', example: { kind: 'workingCopy' },
  }),
  // Push uploads what the remote lacks: it reads the store (and writes only the
  // remote cache), so it runs beside a writer. Fetch brings the remote's
  // manifests into commits/: a writer. remote: the store's only remote, or
  // origin, when absent.
  push: spec({
    args: z.object({ kind: z.literal('push'), remote: remoteNameSchema.optional() }),
    class: 'job', writes: false, keepsStore: false, label: 'Push', cli: 'push', example: { kind: 'push' },
  }),
  fetch: spec({
    args: z.object({ kind: z.literal('fetch'), remote: remoteNameSchema.optional() }),
    class: 'job', writes: true, keepsStore: false, label: 'Fetch', cli: 'fetch', example: { kind: 'fetch' },
  }),
  // A tag names a commit (`restore best`); commit null deletes it. Writes the
  // store's tag records under its lock.
  tag: spec({
    args: z.object({ kind: z.literal('tag'), name: tagNameSchema, commit: commitRef.nullable() }),
    class: 'job', writes: true, keepsStore: false, label: 'Tag', cli: 'tag', example: { kind: 'tag', name: 'best', commit: 'HEAD' },
  }),
  // Follows a training run's folder: commits each checkpoint its trainer
  // completes, until cancelled (the app's "Follow a run…"; the CLI's watch is
  // the same verb in the foreground). It takes the store's lock for each
  // commit only, so it is not a writer that holds other jobs off for hours;
  // a commit that meets the lock waits for it.
  watch: spec({
    args: z.object({
      kind: z.literal('watch'), dir: absPath, then: z.enum(['keep', 'remove']).default('keep'),
      keepNewest: z.number().int().min(1).max(1000).default(1),
      /** Commit what is complete now, then stop (no following). */
      once: z.boolean().default(false),
    }),
    class: 'job', writes: false, keepsStore: false, label: 'Following a run', cli: 'watch', example: { kind: 'watch', dir: '/tmp/run', once: true },
  }),
  // A finished run's folder, every complete checkpoint in step order, as one
  // resumable job (what is already committed is found by its bytes).
  import: spec({
    args: z.object({ kind: z.literal('import'), dir: absPath, base: commitRef.optional() }),
    class: 'job', writes: true, keepsStore: false, label: 'Import a run', cli: 'import', example: { kind: 'import', dir: '/tmp/run' },
  }),
  // Forgets versions by a retention policy or by name (`forget A..B`, refs),
  // re-basing what it keeps; a dry run only reads (it encodes the re-based
  // deltas into temp space to give exact bytes) and runs beside a writer.
  // policy absent and no refs: the stored policy (retention.json).
  forget: spec({
    args: z.object({
      kind: z.literal('forget'),
      policy: retentionPolicySchema.optional(),
      refs: z.array(z.string().min(1).max(400)).max(1000).optional(),
      dryRun: z.boolean(),
    }),
    class: 'job', writes: (a) => !a.dryRun, keepsStore: false, label: 'Forget', cli: 'forget',
    example: { kind: 'forget', policy: { keepLast: 3 }, dryRun: true },
  }),
  // Puts back the last operation that can still be undone (a forget), from the trash.
  undo: spec({
    args: z.object({ kind: z.literal('undo'), op: z.string().max(64).optional() }),
    class: 'job', writes: true, keepsStore: false, label: 'Undo', cli: 'undo', example: { kind: 'undo' },
  }),
} as const;

export type JobKind = keyof typeof JOB_VERBS;
type JobSchema<K extends JobKind> = (typeof JOB_VERBS)[K]['args'];
type AnyJobSchema = JobSchema<JobKind>;
/** A job request as a caller writes it (defaults may be left out). */
export type JobRequest = z.input<AnyJobSchema>;
/** A job request after its schema's defaults are applied. */
export type JobArgs<K extends JobKind = JobKind> = z.output<JobSchema<K>>;

export const JOB_KINDS = Object.keys(JOB_VERBS) as readonly JobKind[];

/** Every job request, checked where it arrives (jobs.start, the job process). */
export const jobRequest = z.discriminatedUnion(
  'kind',
  JOB_KINDS.map((k) => JOB_VERBS[k].args) as unknown as [AnyJobSchema, ...AnyJobSchema[]],
) as unknown as z.ZodType<z.output<AnyJobSchema>, z.input<AnyJobSchema>>;

/** Whether a job writes to the store: only one writing job runs at a time. */
export function isWritingJob(request: JobRequest): boolean {
  const w = JOB_VERBS[request.kind].writes as boolean | ((a: JobRequest) => boolean);
  return typeof w === 'function' ? w(request) : w;
}

/** Job kinds that leave the open store as it was: the main side's cached view stays when one ends. */
export const JOBS_KEEPING_STORE: ReadonlySet<JobKind> = new Set(JOB_KINDS.filter((k) => JOB_VERBS[k].keepsStore));

/** Job kinds whose progress the UI shows where they were asked for, not in its jobs panel. */
export const BACKGROUND_JOBS: ReadonlySet<JobKind> = new Set(JOB_KINDS.filter((k) => (JOB_VERBS[k] as VerbSpec<z.ZodType>).background === true));

export function jobLabel(kind: JobKind): string {
  return JOB_VERBS[kind].label;
}

/**
 * Verbs answered without a job process: by the CLI at once, and by the app's
 * main side within the quick budget (stat data and small files only), or by
 * the CLI alone (clone and verifyRemote talk to a remote and have no job yet).
 */
export const QUICK_VERBS = {
  // Refused inside another store's folder (a store there would take over the outer one's commits); nested: make one there anyway.
  init: spec({ args: z.object({ path: absPath, nested: z.boolean().default(false) }), class: 'quick', writes: true, keepsStore: false, label: 'Create store', cli: 'init', call: 'store.create', example: { path: '/tmp/store' } }),
  log: spec({ args: z.object({}), class: 'quick', writes: false, keepsStore: true, label: 'Log', cli: 'log', call: 'commits.list', example: {} }),
  show: spec({ args: z.object({ id: commitRef }), class: 'quick', writes: false, keepsStore: true, label: 'Show', cli: 'show', call: 'commits.get', example: { id: 'HEAD' } }),
  statusQuick: spec({ args: z.object({}), class: 'quick', writes: false, keepsStore: true, label: 'Status', cli: null, call: 'status.get', example: {} }),
  // recheck: start the confirming job again for a signature whose check was cancelled or failed (the badge's "Check again").
  workingCopyQuick: spec({ args: z.object({ recheck: z.boolean().optional() }), class: 'quick', writes: false, keepsStore: true, label: 'Working copy', cli: null, call: 'workingCopy.get', example: {} }),
  // The pinned commits (`pin --list`); the app reads the pinned flag of commits.list.
  pins: spec({ args: z.object({}), class: 'quick', writes: false, keepsStore: true, label: 'Pins', cli: 'pin', call: null, example: {} }),
  configGet: spec({ args: z.object({}), class: 'quick', writes: false, keepsStore: true, label: 'Settings', cli: 'config', call: 'settings.get', example: {} }),
  // The app's settings.set has its own schema (each setting's bounds, src-shared/settings.ts); the CLI parses `config KEY VALUE`.
  configSet: spec({ args: z.object({}).catchall(z.unknown()), class: 'quick', writes: true, keepsStore: false, label: 'Change settings', cli: 'config', call: null, example: {} }),
  remoteList: spec({ args: z.object({}), class: 'quick', writes: false, keepsStore: true, label: 'Remotes', cli: 'remote', call: 'remotes.list', example: {} }),
  remoteAdd: spec({
    args: z.object({
      name: remoteNameSchema,
      url: z.string().min(6).max(1100).regex(/^s3:\/\//, 's3://bucket[/prefix]'),
      endpoint: z.string().max(2000).regex(/^https?:\/\/[^/\s]+/, 'a URL like https://s3.example.com or http://127.0.0.1:7480').optional(),
      region: z.string().min(1).max(100).optional(),
    }),
    class: 'quick', writes: true, keepsStore: false, label: 'Add remote', cli: 'remote', call: 'remotes.add', example: { name: 'origin', url: 's3://bucket/prefix' },
  }),
  // Forgets a remote (nothing on the remote is touched).
  remoteRemove: spec({ args: z.object({ name: remoteNameSchema }), class: 'quick', writes: true, keepsStore: false, label: 'Remove remote', cli: 'remote', call: 'remotes.remove', example: { name: 'origin' } }),
  verifyRemote: spec({ args: z.object({ remote: remoteNameSchema }), class: 'quick', writes: false, keepsStore: true, label: 'Verify remote', cli: 'verify', call: null, example: { remote: 'origin' } }),
  clone: spec({ args: z.object({ url: z.string(), dir: absPath }), class: 'quick', writes: false, keepsStore: true, label: 'Clone', cli: 'clone', call: null, example: { url: 's3://bucket/prefix', dir: '/tmp/clone' } }),
  // The operations log (`weightline ops`): recent forgets, cleanups, repairs and undos, and whether each can still be undone.
  ops: spec({ args: z.object({}), class: 'quick', writes: false, keepsStore: true, label: 'Operations', cli: 'ops', call: 'ops.list', example: {} }),
  // The stored retention policy (retention.json), which autoForget and `forget` without flags apply.
  retentionGet: spec({ args: z.object({}), class: 'quick', writes: false, keepsStore: true, label: 'Retention policy', cli: 'forget', call: 'retention.get', example: {} }),
  // policy null: no stored policy (the file is removed).
  retentionSet: spec({ args: z.object({ policy: retentionPolicySchema.nullable() }), class: 'quick', writes: true, keepsStore: false, label: 'Save retention policy', cli: 'forget', call: 'retention.set', example: { policy: { keepLast: 3 } } }),
} as const;

export type QuickVerb = keyof typeof QUICK_VERBS;

/** Every CLI command a verb of the registry names (the reachability test runs `weightline <cmd> --help` for each). */
export const CLI_COMMANDS: readonly string[] = [...new Set(
  [...Object.values(JOB_VERBS), ...Object.values(QUICK_VERBS)].map((v) => v.cli).filter((c): c is string => c !== null),
)];

// ---- result types ----

export interface StoreInfo {
  readonly root: string;
  readonly head: CommitId | null;
  /** Set when HEAD is damaged (head is then null): what is wrong and what to do. */
  readonly headProblem?: string;
}

/** A push's outcome (the CLI's `push --json`). */
export interface PushSummary {
  readonly remote: string;
  readonly url: string;
  /** Commits whose manifests this push sent, parents first. */
  readonly commits: readonly CommitId[];
  /** Commits asked for that the remote already held. */
  readonly alreadyThere: number;
  readonly objectsUploaded: number;
  readonly bytesUploaded: number;
  /** Objects the commits need that the remote already held. */
  readonly objectsAlreadyThere: number;
  /** Full objects the store no longer kept, rebuilt (sha256-checked) to be sent. */
  readonly rebuilt: number;
  /** Full objects sent in their packed form (the store keeps them packed), and the raw bytes that saved. */
  readonly packedSent: number;
  readonly bytesSavedByPacks: number;
  /** Incomplete multipart uploads (left by an interrupted push) aborted for keys the remote now holds. */
  readonly staleUploadsAborted: number;
  /** Tag settings (write-once records) this push sent. */
  readonly tagsSent?: number;
  /** Route records (a forget's re-based storage of a kept commit, `routes/<id>/<sha256>`) this push sent. */
  readonly routesSent?: number;
}

/** A fetch's outcome (the CLI's `fetch --json`). */
export interface FetchSummary {
  readonly remote: string;
  readonly url: string;
  /** Commits new to this store, parents first. */
  readonly fetched: readonly CommitId[];
  /** Commits and objects the remote holds. */
  readonly remoteCommits: number;
  readonly remoteObjects: number;
  /** Tags whose setting came from the remote (newer than this store's), by name. */
  readonly tags?: readonly string[];
  /** Fetched commits stored by a route record from the remote (their parent was forgotten before they were pushed). */
  readonly routes?: number;
}

/**
 * The working copy of every path that has commits, each against the newest
 * commit of its path's line (HEAD's path: HEAD). `state` is them combined:
 * - no-head: nothing committed yet (or HEAD is damaged);
 * - matches: every path matches; changed: some file of some path is known to
 *   differ (modified, deleted or added); probably-changed: no difference is
 *   known but some file's stat differs from when it was last hashed, so only
 *   hashing can tell (a workingCopy job does, off the main side); missing:
 *   nothing at some path, and no path is changed.
 * `path`, `absPath`, `files` and `bytes` describe HEAD's path (the commit
 * dialog commits it); `paths` has every path with its own state and files.
 */
export interface WorkingCopyState {
  readonly state: 'no-head' | 'missing' | 'matches' | 'changed' | 'probably-changed';
  readonly head: CommitId | null;
  /** HEAD's source path, relative to the store root ('.' for the root itself). */
  readonly path: string | null;
  /** The same, absolute (what the commit dialog takes). */
  readonly absPath: string | null;
  readonly files: number;
  readonly bytes: number;
  /** Files of HEAD's path, relative to it, that differ (modified, deleted, added) or whose stat differs from their last hash; `paths` lists every path's. */
  readonly changedFiles: readonly string[];
  /** HEAD, every path's commit and every working file's size, mtime and inode: a job's answer holds while this is unchanged. */
  readonly signature: string;
  /** Every path that has commits, HEAD's first: its commit, state and changed files. */
  readonly paths: readonly PathWorkingCopy[];
}

/** What each job kind answers. */
export interface JobResults {
  commit: CommitResult;
  restore: RestoreResult;
  cleanup: CleanupPlan;
  pin: PinResult;
  verify: VerifyResult;
  diff: DiffResult;
  repair: RepairResult;
  status: StatusResult;
  cleanupPreview: CleanupPlan;
  sample: StoreInfo;
  workingCopy: WorkingCopyState;
  push: PushSummary;
  fetch: FetchSummary;
  tag: TagResult;
  watch: RunFollowResult;
  import: RunFollowResult;
  forget: ForgetPlan;
  undo: UndoResult;
}

export type JobResult = { [K in JobKind]: { readonly kind: K; readonly value: JobResults[K] } }[JobKind];

// A job kind without a result type (or a result type without a kind) fails to compile here.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const resultsCoverEveryKind: Same<keyof JobResults, JobKind> = true;
void resultsCoverEveryKind;
