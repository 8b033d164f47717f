// All UI state in one zustand store. Server data (commits, status, details)
// is a cache of what the main side says; nothing here is computed from
// guesses, so every number on screen traces back to an API answer.
import { createStore, useStore, type StoreApi } from 'zustand';
import type { JobEvent, JobKind, JobResult, JobState, RemoteView, StoreInfo, WorkingCopyState } from '../../../src-shared/contract';
import type { WeightlineErrorJSON } from '../../../src-shared/errors';
import type { CommitId, DiffResult, ForgetPlan, LogEntry, OpInfo, Progress, ShowResult, StatusResult, TrashInfo, VerifyCommit } from '../../../src-shared/model';
import type { RetentionPolicy } from '../../../src-shared/policy/retention';
import { BACKGROUND_JOBS, jobLabel } from '../../../src-shared/verbs';
import { addSample, type ProgressSample } from '../lib/eta';
import type { SortState } from '../lib/run-metrics';

export interface JobView {
  readonly jobId: string;
  readonly kind: JobKind;
  readonly state: JobState;
  readonly label: string;
  readonly progress: Progress | null;
  readonly samples: readonly ProgressSample[];
  readonly startedAt: number;
  readonly endedAt: number | null;
  readonly error: WeightlineErrorJSON | null;
  readonly result: JobResult | null;
  /** Hidden from the jobs panel after the user dismissed it. */
  readonly dismissed: boolean;
}

export type DialogState =
  | { readonly kind: 'commit'; readonly presetPath: string | null }
  | { readonly kind: 'restore'; readonly id: CommitId }
  | { readonly kind: 'cleanup' }
  | { readonly kind: 'repair' }
  | { readonly kind: 'compare' }
  | { readonly kind: 'settings' }
  | { readonly kind: 'remotes' }
  | { readonly kind: 'tag'; readonly id: CommitId }
  | { readonly kind: 'follow' }
  /** "Forget…": named commits (the context menu, a selected range) or a policy (the retention section); a dry run first, then a confirm. */
  | { readonly kind: 'forget'; readonly refs?: readonly CommitId[]; readonly policy?: RetentionPolicy }
  | { readonly kind: 'ops' };

export interface MenuState {
  readonly id: CommitId;
  readonly x: number;
  readonly y: number;
  /** The commit selected before the menu opened it (the menu's "Compare with selected"). */
  readonly previous?: CommitId | null;
}

export interface Notice {
  readonly key: number;
  /** info fades unless it has details; warn (something the user should read, e.g. a restore's notes) and error stay until closed. */
  readonly tone: 'error' | 'warn' | 'info';
  readonly error: WeightlineErrorJSON | null;
  readonly text: string;
  /** Lines under the text (a restore's notes). */
  readonly details?: readonly string[];
  /** A button that leads on (e.g. "Repair…" after a restore found a damaged object). */
  readonly action?: { readonly label: string; readonly run: () => void };
}

/** Two commits compared: what changed from A to B. */
export interface CompareState {
  readonly a: CommitId;
  readonly b: CommitId;
  /** 'stored': B is A's child, so the figures stored at commit time answer; 'job': a diff job computes them. */
  readonly source: 'stored' | 'job';
  readonly jobId: string | null;
  readonly result: DiffResult | null;
  readonly error: WeightlineErrorJSON | null;
  readonly cancelled: boolean;
}

/** The working copy against HEAD: the quick (stat) answer, or what the main side confirmed. */
export interface WorkingCopyView {
  readonly state: WorkingCopyState | null;
  /** The workingCopy job (the main side starts it) confirming a "probably-changed", while it runs. */
  readonly jobId: string | null;
  /** Why the last check could not finish (cancelled, failed), for the badge's tooltip. */
  readonly problem: string | null;
  /**
   * The main side's last confirmed answer (its workingCopy event). It holds for
   * as long as the signature (HEAD and each file's stat) is the same, also when
   * the stat cache could not be saved (a read-only store) and a later quick
   * answer still says "probably changed".
   */
  readonly confirmed: WorkingCopyState | null;
}

/**
 * Which answer is the newest and what waits for one: bookkeeping of calls in
 * flight, kept in the store rather than in module variables so that a fresh
 * store (a test, a second window) starts clean.
 */
export interface SyncState {
  /** Bumped by each refresh; an answer for an older one is dropped. */
  readonly refreshSeq: number;
  /** A commit to select once a list holding it arrives (a newer refresh must not drop the wish). */
  readonly wantSelect: CommitId | null;
  /** Commits whose details are being read. */
  readonly loadingDetails: readonly CommitId[];
  /** Repairs started from this window: it verifies again after them (other windows only refresh). */
  readonly ownRepairs: readonly string[];
  /** Repairs whose end was handled (the event and jobs.start may tell of it in either order). */
  readonly repairsSeen: readonly string[];
  /** Bumped by each workingCopy.get; an answer for an older one is dropped. */
  readonly workingCopySeq: number;
  /** The last notice's key. */
  readonly noticeSeq: number;
}

export interface AppState {
  readonly phase: 'loading' | 'welcome' | 'open';
  readonly store: StoreInfo | null;
  readonly recent: readonly string[];
  readonly commits: readonly LogEntry[];
  readonly head: CommitId | null;
  /** What is wrong with a damaged HEAD (head is then null), else null. */
  readonly headProblem: string | null;
  readonly status: StatusResult | null;
  /** The store's keepFullLatest (settings.get), so storage estimates are of the cleanup the store would run; null until read. */
  readonly keepFullLatest: number | null;
  readonly selectedId: CommitId | null;
  readonly query: string;
  readonly details: Readonly<Record<string, ShowResult>>;
  readonly compare: CompareState | null;
  /** "Compare with…" chose this commit as A; the next row clicked is B. */
  readonly comparePick: CommitId | null;
  readonly workingCopy: WorkingCopyView;
  readonly verify: Readonly<Record<string, VerifyCommit>> | null;
  readonly verifyJobId: string | null;
  /** The user closed the verify summary; a new verify shows it again. */
  readonly verifySummaryHidden: boolean;
  readonly jobs: readonly JobView[];
  readonly dialog: DialogState | null;
  readonly menu: MenuState | null;
  readonly notices: readonly Notice[];
  /** Bumped to ask the graph to move focus to the selected row (after Home, a click in the chart...). */
  readonly focusTick: number;
  /** Bumped by "/" to focus the search field. */
  readonly searchTick: number;
  /** The store's remotes, and where credentials come from; null until listed. */
  readonly remotes: RemotesView | null;
  /** The training columns: which metrics the list shows (null: the defaults), its sort (null: graph order), the chart's metric (null: the one "best" is judged by). */
  readonly runView: RunView;
  /** The "Follow a run…" job this window shows in its strip (a running watch job, or the last one until dismissed). */
  readonly followJobId: string | null;
  /** A retention policy being drafted, previewed on the graph. */
  readonly retention: RetentionView;
  /** The operations log and the trash (ops.list); null until read or when the main side cannot say. */
  readonly ops: OpsView | null;
  /** A shift-click range in the list: from the anchor (the row selected before) to `to`, both included. */
  readonly range: { readonly anchor: CommitId; readonly to: CommitId } | null;
  readonly sync: SyncState;
}

export interface RetentionView {
  /** The draft policy the graph previews (null: no preview). */
  readonly draft: RetentionPolicy | null;
  /** The preview stays on the graph with the settings closed (its strip under the toolbar says so). */
  readonly onGraph: boolean;
  /** The forget preview job's exact plan, for the policy of this key (lib/retention-form.ts policyKey) and this list of commits. */
  readonly exact: { readonly key: string; readonly plan: ForgetPlan } | null;
}

export interface OpsView {
  readonly list: readonly OpInfo[];
  readonly trash: TrashInfo;
}

export interface RunView {
  readonly columns: readonly string[] | null;
  readonly sort: SortState | null;
  readonly chartMetric: string | null;
}

export interface RemotesView {
  readonly list: readonly RemoteView[];
  readonly credentials: string;
}

export const initialState: AppState = {
  phase: 'loading',
  store: null,
  recent: [],
  commits: [],
  head: null,
  headProblem: null,
  status: null,
  keepFullLatest: null,
  selectedId: null,
  query: '',
  details: {},
  compare: null,
  comparePick: null,
  workingCopy: { state: null, jobId: null, problem: null, confirmed: null },
  verify: null,
  verifyJobId: null,
  verifySummaryHidden: false,
  jobs: [],
  dialog: null,
  menu: null,
  notices: [],
  focusTick: 0,
  searchTick: 0,
  remotes: null,
  followJobId: null,
  runView: { columns: null, sort: null, chartMetric: null },
  retention: { draft: null, onGraph: false, exact: null },
  ops: null,
  range: null,
  sync: {
    refreshSeq: 0, wantSelect: null, loadingDetails: [], ownRepairs: [], repairsSeen: [], workingCopySeq: 0, noticeSeq: 0,
  },
};

export type AppStore = StoreApi<AppState>;

/** A store holding nothing yet: the app makes one; each test makes its own. */
export function createAppStore(): AppStore {
  return createStore<AppState>()(() => initialState);
}

/** The app's store, and the hook components read it with (`useApp(selector)`, `useApp.getState()`). */
export const appStore = createAppStore();
export const useApp = Object.assign(<T>(selector: (s: AppState) => T): T => useStore(appStore, selector), appStore);

/** The newest four notices, this one last. */
export function withNotice(s: AppState, n: Omit<Notice, 'key'>): Pick<AppState, 'notices' | 'sync'> {
  const key = s.sync.noticeSeq + 1;
  return { notices: [...s.notices.slice(-3), { ...n, key }], sync: { ...s.sync, noticeSeq: key } };
}

export function pushNotice(n: Omit<Notice, 'key'>, store: AppStore = appStore): void {
  store.setState((s) => withNotice(s, n));
}

export function dismissNotice(key: number, store: AppStore = appStore): void {
  store.setState((s) => ({ notices: s.notices.filter((n) => n.key !== key) }));
}

/** Fold one job event into the job list (events may arrive before jobs.start answers). */
export function applyJobEvent(jobs: readonly JobView[], ev: JobEvent, now: number): JobView[] {
  const existing = jobs.find((j) => j.jobId === ev.jobId);
  const base: JobView = existing ?? {
    jobId: ev.jobId, kind: ev.kind, state: 'running', label: jobLabel(ev.kind), progress: null, samples: [],
    // A background job (the working-copy check, a cleanup preview) shows its progress where it was asked for, not in the jobs panel.
    startedAt: now, endedAt: null, error: null, result: null, dismissed: BACKGROUND_JOBS.has(ev.kind),
  };
  const progress = ev.progress ?? base.progress;
  const next: JobView = {
    ...base,
    state: ev.state,
    progress,
    samples: ev.progress ? addSample(base.samples, { at: now, bytesDone: ev.progress.bytesDone }) : base.samples,
    endedAt: ev.state === 'running' ? null : (base.endedAt ?? now),
    error: ev.error ?? base.error,
    result: ev.result ?? base.result,
  };
  return existing ? jobs.map((j) => (j.jobId === ev.jobId ? next : j)) : [...jobs, next];
}
