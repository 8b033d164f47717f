// The one contract between the UI and the main side, served over Electron IPC
// and over HTTP/WebSocket (browser mode) by the same adapter shape. Arguments
// are validated with these schemas where they arrive; results come from our
// own main side. Model bytes never cross it: only paths, ids and figures.

import { z } from 'zod';
import type { WeightlineErrorJSON } from './errors';
import { SETTING_SCHEMAS, type Settings } from './policy/settings';
import type { CleanupPlan, CommitId, LogEntry, OpInfo, Progress, RestoredLinkProblem, ShowResult, StatusResult, TrashInfo } from './model';
import type { RetentionPolicy } from './policy/retention';
import { jobRequest, QUICK_VERBS, type JobKind, type JobResult, type StoreInfo, type WorkingCopyState } from './verbs';

const absPath = z.string().min(1).max(4096);

// Job kinds, their schemas, which write and what they answer: declared once, in the verb registry.
export { jobRequest, isWritingJob, type JobRequest, type JobKind, type JobResult, type JobResults } from './verbs';
export type { StoreInfo, PushSummary, FetchSummary, WorkingCopyState } from './verbs';

// The store's settings: one type, with its bounds, in the policy module.
export type { Settings };

export interface PathEntry { readonly name: string; readonly path: string; readonly dir: boolean }

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
  'store.create': QUICK_VERBS.init.args,
  'store.openSample': z.object({ path: absPath.optional() }),
  'store.recent': z.object({}),
  'commits.list': QUICK_VERBS.log.args,
  'commits.get': QUICK_VERBS.show.args,
  'status.get': QUICK_VERBS.statusQuick.args,
  'cleanup.preview': z.object({}),
  'settings.get': QUICK_VERBS.configGet.args,
  'settings.set': z.object({
    // The store's own rules (src-shared/policy/settings.ts), so every door refuses alike.
    maxChainLength: SETTING_SCHEMAS.maxChainLength.optional(),
    maxRouteRead: SETTING_SCHEMAS.maxRouteRead.optional(),
    keepFullLatest: SETTING_SCHEMAS.keepFullLatest.optional(),
    autoCleanup: SETTING_SCHEMAS.autoCleanup.optional(),
    trashDays: SETTING_SCHEMAS.trashDays.optional(),
    maxStoreBytes: SETTING_SCHEMAS.maxStoreBytes.optional(),
    minFreeBytes: SETTING_SCHEMAS.minFreeBytes.optional(),
    autoForget: SETTING_SCHEMAS.autoForget.optional(),
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
  /**
   * Quick (stat only, never hashes): the working copy against HEAD. On
   * "probably-changed" the main side starts a workingCopy job itself (once per
   * signature) and sends the confirmed state as a `workingCopy` event; while
   * the signature holds, later calls answer that confirmed state.
   */
  'workingCopy.get': QUICK_VERBS.workingCopyQuick.args,
  /** The cleanup plan as it would be with changed settings (the settings pane's preview); changes nothing. */
  'cleanup.previewWith': z.object({ keepFullLatest: SETTING_SCHEMAS.keepFullLatest }),
  /** The store's remotes, and where credentials come from (never stored, never shown). */
  'remotes.list': QUICK_VERBS.remoteList.args,
  'remotes.add': QUICK_VERBS.remoteAdd.args,
  /** Forgets a remote (nothing on the remote is touched). */
  'remotes.remove': QUICK_VERBS.remoteRemove.args,
  /** The operations log, newest first, and what the trash holds. */
  'ops.list': QUICK_VERBS.ops.args,
  /** The stored retention policy (null: none stored). */
  'retention.get': QUICK_VERBS.retentionGet.args,
  'retention.set': QUICK_VERBS.retentionSet.args,
} as const;

export type CallName = keyof typeof calls;
export type CallArgs<N extends CallName> = z.input<(typeof calls)[N]>;

/**
 * Which calls are which, so the main side never blocks (a window that waits on a hash of a 10 GB model freezes):
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
  // ops/*.json and a stat of trash/: small files.
  'ops.list': 'quick',
  'retention.get': 'quick',
  'retention.set': 'quick',
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
  'ops.list': { readonly ops: readonly OpInfo[]; readonly trash: TrashInfo };
  'retention.get': { readonly policy: RetentionPolicy | null };
  'retention.set': { readonly policy: RetentionPolicy | null };
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
  /**
   * Restored links status.get judged from stat alone (its linksUnconfirmed),
   * hashed by a status job the main side started: every restored link's
   * problem as that job found it. The renderer shows it; it never starts the job.
   */
  linksChecked: LinksChecked;
}
export type EventName = keyof Events;

/** A linksChecked event: the store it is about and its restored links' problems. */
export interface LinksChecked {
  readonly root: string;
  readonly links: readonly RestoredLinkProblem[];
}

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
