// The one contract between the UI and the main side, served over Electron IPC
// and over HTTP/WebSocket (browser mode) by the same adapter shape. Arguments
// are validated with these schemas where they arrive; results come from our
// own main side. Model bytes never cross it: only paths, ids and figures.

import { z } from 'zod';
import type { WeightlineErrorJSON } from './errors';
import { SETTING_SCHEMAS, type Settings } from './policy/settings';
import type {
  CleanupPlan, CommitId, CommitResult, DiffResult, LogEntry, Progress, RepairResult, RestoreResult, ShowResult, StatusResult, VerifyResult, PinResult,
} from './model';

const commitRef = z.string().min(4).max(80);
const absPath = z.string().min(1).max(4096);
const remoteName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a letter or digit, then letters, digits, ".", "_" or "-" (64 at most)');

export const jobRequest = z.discriminatedUnion('kind', [
  // allowEmpty: commit even when every file matches HEAD (otherwise nothing is committed and the result says unchanged).
  z.object({ kind: z.literal('commit'), path: absPath, message: z.string().max(10_000), checkpoint: z.boolean().default(false), allowEmpty: z.boolean().default(false) }),
  z.object({
    kind: z.literal('restore'), commit: commitRef, to: absPath.optional(), force: z.boolean().default(false),
    link: z.enum(['auto', 'reflink', 'hardlink', 'symlink', 'copy']).default('auto'),
  }),
  z.object({ kind: z.literal('cleanup') }),
  // Pinning a commit whose full parameters a cleanup removed rebuilds them (verified), so it is a job.
  z.object({ kind: z.literal('pin'), commit: commitRef, pinned: z.boolean() }),
  z.object({ kind: z.literal('verify') }),
  z.object({ kind: z.literal('diff'), from: commitRef, to: commitRef }),
  // A dry run only reads (it runs beside a writer, like verify); a real repair is a writing job.
  // No default: a caller must say which, so a forgotten flag never writes.
  z.object({ kind: z.literal('repair'), dryRun: z.boolean() }),
  // status.get answers from stat data only; this job hashes what it could not
  // judge (the working copy and restored links) and answers the full status.
  // Reads only (it refreshes the stat cache).
  z.object({ kind: z.literal('status') }),
  // The cleanup planner's preview, which proves routes by hashing objects:
  // read-only, beside a writer. keepFullLatest previews a changed setting.
  z.object({ kind: z.literal('cleanupPreview'), keepFullLatest: SETTING_SCHEMAS.keepFullLatest.optional() }),
  // Writes the sample history into a missing or empty folder (the job's root);
  // store.openSample starts it and opens the store when it is done.
  z.object({ kind: z.literal('sample') }),
  // Hashes the working copy HEAD came from, to confirm what `workingCopy.get`
  // (stat only) calls "probably changed". Reads only; refreshes the stat cache.
  z.object({ kind: z.literal('workingCopy') }),
  // Remotes (issue 14). Push uploads what the remote lacks: it reads the store
  // (and writes only the remote cache), so it runs beside a writer. Fetch
  // brings the remote's manifests into commits/: a writing job. remote: the
  // store's only remote, or origin, when absent. A restore of a commit whose
  // objects are on a remote downloads them (the restore job).
  z.object({ kind: z.literal('push'), remote: remoteName.optional() }),
  z.object({ kind: z.literal('fetch'), remote: remoteName.optional() }),
]);
export type JobRequest = z.input<typeof jobRequest>;
export type JobKind = JobRequest['kind'];

export interface StoreInfo {
  readonly root: string;
  readonly head: CommitId | null;
  /** Set when HEAD is damaged (head is then null): what is wrong and what to do. */
  readonly headProblem?: string;
}

/** Whether a job writes to the store: only one writing job runs at a time. */
export function isWritingJob(request: JobRequest): boolean {
  switch (request.kind) {
    case 'commit': case 'restore': case 'cleanup': case 'pin': return true;
    case 'verify': case 'diff': case 'workingCopy': return false;
    case 'repair': return !request.dryRun;
    case 'fetch': return true;
    case 'push': return false;
    case 'status': case 'cleanupPreview': return false;
    // Writes a new store of its own, never the open one.
    case 'sample': return false;
  }
}

// The store's settings: one type, with its bounds, in the policy module.
export type { Settings };

export interface PathEntry { readonly name: string; readonly path: string; readonly dir: boolean }

export type JobResult =
  | { readonly kind: 'commit'; readonly value: CommitResult }
  | { readonly kind: 'restore'; readonly value: RestoreResult }
  | { readonly kind: 'cleanup'; readonly value: CleanupPlan }
  | { readonly kind: 'pin'; readonly value: PinResult }
  | { readonly kind: 'verify'; readonly value: VerifyResult }
  | { readonly kind: 'diff'; readonly value: DiffResult }
  | { readonly kind: 'repair'; readonly value: RepairResult }
  | { readonly kind: 'status'; readonly value: StatusResult }
  | { readonly kind: 'cleanupPreview'; readonly value: CleanupPlan }
  | { readonly kind: 'sample'; readonly value: StoreInfo }
  | { readonly kind: 'workingCopy'; readonly value: WorkingCopyState }
  | { readonly kind: 'push'; readonly value: PushSummary }
  | { readonly kind: 'fetch'; readonly value: FetchSummary };

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
}

/** One remote of the store, as the remote settings show it. Nothing secret. */
export interface RemoteView {
  readonly name: string;
  readonly url: string;
  /** null: AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL where Weightline runs, else AWS. */
  readonly endpoint: string | null;
  /** null: the AWS chain's region. */
  readonly region: string | null;
  /** When the remote was last listed (push, fetch), null if never. */
  readonly listedAt: string | null;
  /** Commits it held then. */
  readonly commits: number | null;
}

/** Every call: its argument schema and (as a type) its result. */
export const calls = {
  'store.current': z.object({}),
  'store.open': z.object({ path: absPath }),
  'store.create': z.object({ path: absPath }),
  'store.openSample': z.object({ path: absPath.optional() }),
  'store.recent': z.object({}),
  'commits.list': z.object({}),
  'commits.get': z.object({ id: commitRef }),
  'status.get': z.object({}),
  'cleanup.preview': z.object({}),
  'pins.set': z.object({ id: commitRef, pinned: z.boolean() }),
  'settings.get': z.object({}),
  'settings.set': z.object({
    // The store's own rules (src-shared/policy/settings.ts), so every door refuses alike.
    maxChainLength: SETTING_SCHEMAS.maxChainLength.optional(),
    maxRouteRead: SETTING_SCHEMAS.maxRouteRead.optional(),
    keepFullLatest: SETTING_SCHEMAS.keepFullLatest.optional(),
    autoCleanup: SETTING_SCHEMAS.autoCleanup.optional(),
  }),
  'jobs.start': jobRequest,
  'jobs.cancel': z.object({ jobId: z.string().min(1).max(100) }),
  'fs.complete': z.object({ prefix: z.string().max(4096) }),
  /** Jobs still running, and the last event of each recent one (a reloaded page catches up). */
  'jobs.list': z.object({}),
  /** A native file/folder picker. Electron only: browser mode answers BAD_USAGE (use fs.complete). */
  'dialog.pickPath': z.object({
    kind: z.enum(['file', 'folder', 'file-or-folder']),
    title: z.string().max(200).optional(),
    defaultPath: absPath.optional(),
  }),
  /** Quick (stat only, never hashes): the working copy against HEAD; "probably-changed" is confirmed by a workingCopy job. */
  'workingCopy.get': z.object({}),
  /** The cleanup plan as it would be with changed settings (the settings pane's preview); changes nothing. */
  'cleanup.previewWith': z.object({ keepFullLatest: SETTING_SCHEMAS.keepFullLatest }),
  /** The store's remotes, and where credentials come from (never stored, never shown). */
  'remotes.list': z.object({}),
  'remotes.add': z.object({
    name: remoteName,
    url: z.string().min(6).max(1100).regex(/^s3:\/\//, 's3://bucket[/prefix]'),
    endpoint: z.string().max(2000).regex(/^https?:\/\/[^/\s]+/, 'a URL like https://s3.example.com or http://127.0.0.1:7480').optional(),
    region: z.string().min(1).max(100).optional(),
  }),
  /** Forgets a remote (nothing on the remote is touched). */
  'remotes.remove': z.object({ name: remoteName }),
} as const;

export type CallName = keyof typeof calls;
export type CallArgs<N extends CallName> = z.input<(typeof calls)[N]>;

/**
 * Which calls are which, so the main side never blocks (issue 11, item 9):
 * - quick: answered on the main side from the store's small files and indexes
 *   (HEAD, config, pins, the log index, cached sizes) and stat data, bounded
 *   work whatever the model's size; never reads a model file's or an object's
 *   bytes. Budget: 50 ms on a 10,000-commit store with a 10 GB model
 *   (scripts/responsiveness.mjs measures it; bench/RESPONSIVENESS.md).
 * - job: the work runs in a job process. Either the call starts a job and
 *   answers its id at once (jobs.start, store.openSample when the sample must
 *   be made), or it awaits a job process's answer (cleanup.preview*), so the
 *   main side's event loop stays free while it runs.
 * - ui: answered by the desktop shell (a native dialog), not by the store.
 * Every call must be listed: the type makes a new call fail to compile until it is.
 */
export const CALL_KINDS: { readonly [N in CallName]: 'quick' | 'job' | 'ui' } = {
  'store.current': 'quick',
  'store.open': 'quick',
  'store.create': 'quick',
  'store.openSample': 'job',
  'store.recent': 'quick',
  'commits.list': 'quick',
  'commits.get': 'quick',
  'status.get': 'quick',
  'cleanup.preview': 'job',
  'pins.set': 'quick',
  'settings.get': 'quick',
  'settings.set': 'quick',
  'jobs.start': 'job',
  'jobs.cancel': 'quick',
  'fs.complete': 'quick',
  'jobs.list': 'quick',
  'dialog.pickPath': 'ui',
  'workingCopy.get': 'quick',
  'cleanup.previewWith': 'job',
  // remotes.json and the remote caches: small files, no network (push and fetch are jobs).
  'remotes.list': 'quick',
  'remotes.add': 'quick',
  'remotes.remove': 'quick',
};

/** The calls answered on the main side within the quick budget. */
export const QUICK_CALLS: readonly CallName[] = (Object.keys(CALL_KINDS) as CallName[]).filter((n) => CALL_KINDS[n] === 'quick');

export interface CallResults {
  'store.current': StoreInfo | null;
  'store.open': StoreInfo;
  'store.create': StoreInfo;
  /**
   * The sample store when it exists. Otherwise it is made by a `sample` job
   * (jobId set, head null): the call answers at once, and the store opens
   * (a storeChanged event) when the job is done.
   */
  'store.openSample': StoreInfo & { readonly jobId?: string };
  'store.recent': readonly string[];
  'commits.list': { readonly head: CommitId | null; readonly headProblem?: string; readonly commits: readonly LogEntry[] };
  'commits.get': ShowResult;
  'status.get': StatusResult;
  'cleanup.preview': CleanupPlan;
  'pins.set': { readonly id: CommitId; readonly pinned: boolean };
  'settings.get': Settings;
  'settings.set': Settings;
  'jobs.start': { readonly jobId: string };
  'jobs.cancel': { readonly cancelled: boolean };
  'fs.complete': readonly PathEntry[];
  'jobs.list': readonly JobEvent[];
  /** null when the person closed the picker. */
  'dialog.pickPath': string | null;
  'workingCopy.get': WorkingCopyState;
  'cleanup.previewWith': CleanupPlan;
  'remotes.list': { readonly remotes: readonly RemoteView[]; readonly credentials: string };
  'remotes.add': RemoteView;
  'remotes.remove': { readonly name: string; readonly removed: true };
}

export type JobState = 'running' | 'done' | 'failed' | 'cancelled';

export interface JobEvent {
  readonly jobId: string;
  readonly kind: JobKind;
  readonly state: JobState;
  readonly progress?: Progress;
  readonly result?: JobResult;
  /** For failed jobs: what happened, in words a person can act on. */
  readonly error?: WeightlineErrorJSON;
}

export interface Events {
  job: JobEvent;
  /** Something changed the store (a job, a pin, a CLI commit seen on disk). */
  storeChanged: { readonly root: string };
  /**
   * The working copy as the main side last confirmed it (a hash job ran on
   * what stat called "probably changed"): the renderer shows it, it never
   * decides when to hash.
   */
  workingCopy: WorkingCopyState;
}
export type EventName = keyof Events;

/** What a call returns across either transport: a value, or an expected error the UI shows. */
export type CallOutcome<N extends CallName> = { readonly ok: true; readonly value: CallResults[N] } | { readonly ok: false; readonly error: WeightlineErrorJSON };

/** The client side both transports implement: the renderer only ever sees this. */
export interface WeightlineApi {
  call<N extends CallName>(name: N, args: CallArgs<N>): Promise<CallResults[N]>;
  on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): () => void;
  /** 'electron' shows native pickers; 'browser' a path field with completion. */
  readonly transport: 'electron' | 'browser';
}

export function isCallName(name: unknown): name is CallName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(calls, name);
}

/**
 * The working copy HEAD came from, against HEAD.
 * - no-head: nothing committed yet (or HEAD is damaged);
 * - missing: nothing at HEAD's path;
 * - matches / changed: every file's hash is known for its current size,
 *   mtime and inode (from the stat cache, or hashed by a workingCopy job);
 * - probably-changed: some file's stat differs from when it was last hashed,
 *   so only hashing can tell (a workingCopy job does, off the main side).
 */
export interface WorkingCopyState {
  readonly state: 'no-head' | 'missing' | 'matches' | 'changed' | 'probably-changed';
  readonly head: CommitId | null;
  /** HEAD's source path, relative to the store root ('' for the root itself). */
  readonly path: string | null;
  /** The same, absolute (what the commit dialog takes). */
  readonly absPath: string | null;
  readonly files: number;
  readonly bytes: number;
  /** Files whose stat differs from their last hash (probably-changed), or whose hash differs from HEAD's (changed). */
  readonly changedFiles: readonly string[];
  /** HEAD plus every file's size, mtime and inode: a job's answer holds while this is unchanged. */
  readonly signature: string;
}
