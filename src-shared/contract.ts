// The one contract between the UI and the main side, served over Electron IPC
// and over HTTP/WebSocket (browser mode) by the same adapter shape. Arguments
// are validated with these schemas where they arrive; results come from our
// own main side. Model bytes never cross it: only paths, ids and figures.

import { z } from 'zod';
import type { WeightlineErrorJSON } from './errors';
import type {
  CleanupPlan, CommitId, CommitResult, DiffResult, LogEntry, Progress, RepairResult, RestoreResult, ShowResult, StatusResult, VerifyResult,
} from './model';

const commitRef = z.string().min(4).max(80);
const absPath = z.string().min(1).max(4096);

export const jobRequest = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('commit'), path: absPath, message: z.string().max(10_000), checkpoint: z.boolean().default(false) }),
  z.object({
    kind: z.literal('restore'), commit: commitRef, to: absPath.optional(), force: z.boolean().default(false),
    link: z.enum(['auto', 'reflink', 'hardlink', 'symlink', 'copy']).default('auto'),
  }),
  z.object({ kind: z.literal('cleanup') }),
  z.object({ kind: z.literal('verify') }),
  z.object({ kind: z.literal('diff'), from: commitRef, to: commitRef }),
  // A dry run only reads (it runs beside a writer, like verify); a real repair is a writing job.
  // No default: a caller must say which, so a forgotten flag never writes.
  z.object({ kind: z.literal('repair'), dryRun: z.boolean() }),
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
    case 'commit': case 'restore': case 'cleanup': return true;
    case 'verify': case 'diff': return false;
    case 'repair': return !request.dryRun;
  }
}

export interface Settings {
  readonly maxChainLength: number;
  readonly keepFullLatest: number;
  readonly autoCleanup: boolean;
}

export interface PathEntry { readonly name: string; readonly path: string; readonly dir: boolean }

export type JobResult =
  | { readonly kind: 'commit'; readonly value: CommitResult }
  | { readonly kind: 'restore'; readonly value: RestoreResult }
  | { readonly kind: 'cleanup'; readonly value: CleanupPlan }
  | { readonly kind: 'verify'; readonly value: VerifyResult }
  | { readonly kind: 'diff'; readonly value: DiffResult }
  | { readonly kind: 'repair'; readonly value: RepairResult };

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
    maxChainLength: z.number().int().min(1).max(1000).optional(),
    keepFullLatest: z.number().int().min(1).max(1000).optional(),
    autoCleanup: z.boolean().optional(),
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
} as const;

export type CallName = keyof typeof calls;
export type CallArgs<N extends CallName> = z.input<(typeof calls)[N]>;

export interface CallResults {
  'store.current': StoreInfo | null;
  'store.open': StoreInfo;
  'store.create': StoreInfo;
  'store.openSample': StoreInfo;
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
