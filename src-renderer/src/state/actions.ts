// Everything that talks to the main side. Components call these and read the
// zustand store; they never call the API themselves, so the order of updates
// (refresh after a job, select the new commit) lives in one place.
//
// The main side owns the protocols: it decides when the working copy and
// restored links are hashed (and says what it found in `workingCopy` and
// `linksChecked` events), and a pin is always a
// `pin` job, which rebuilds full parameters where a cleanup removed them. What
// is left here is UI state, all of it in the store: `createActions` binds the
// actions to one store and one API, so a test makes a fresh pair.
import { getApi } from '../api';
import type { JobEvent, JobRequest, LinksChecked, Settings, StoreInfo, WeightlineApi, WorkingCopyState } from '../../../src-shared/contract';
import { shortId, humanBytes } from '../../../src-shared/format';
import { BACKGROUND_JOBS, jobLabel } from '../../../src-shared/verbs';
import type { CommitId, Note, RepairResult, RestoreResult } from '../../../src-shared/model';
import type { RetentionPolicy } from '../../../src-shared/policy/retention';
import { cleanupDoneText } from '../lib/cleanup-words';
import { forgetDoneText, undoDoneText } from '../lib/forget-words';
import { policyArgs, rangeIds } from '../lib/retention-form';
import { commitDoneWords } from '../lib/commit-words';
import { pathToCommit } from '../lib/working-copy-words';
import { compareSource, orderPair } from '../lib/compare';
import { toErrorJSON } from '../lib/error-words';
import { appWords, repairHeadline } from '../lib/repair-words';
import {
  appStore, applyJobEvent, withNotice, type AppState, type AppStore, type DialogState, type Notice, type SyncState,
} from './app-store';

export interface ActionsOptions {
  /** Store events in a burst (a cleanup touches many objects) are folded into one reload after this long. */
  readonly coalesceMs?: number;
}

/** What the app says for a restore note: its own words where the CLI's sentence names a command, from the note's typed fields. */
export function restoreNoteWords(n: Note, r: RestoreResult): string {
  if (n.code === 'HEAD_MOVED' && r.head.moved && r.head.to && r.head.descendants > 0) {
    const k = r.head.descendants;
    return `HEAD is now at ${shortId(r.head.to)}${r.head.from ? ` (was ${shortId(r.head.from)})` : ''}, which has ${k} newer commit${k === 1 ? '' : 's'} after it: `
      + `the next commit starts a new branch from ${shortId(r.head.to)}. The newer commits stay in the list, marked "ahead"`
      + `${r.head.newestDescendant ? `; "Go back to newest" restores ${shortId(r.head.newestDescendant)}` : ''}.`;
  }
  return appWords(n.message);
}

/** The actions a restore's notes lead to (their `next`), each a dialog. */
export interface RestoreNoticeActions {
  readonly openRepair: () => void;
  readonly openCleanup: () => void;
  /** Opens the restore dialog for a commit (the newest one after the restored commit). */
  readonly openRestore: (id: CommitId) => void;
}

/** What a restore tells the user: the line, its notes, and the dialog a note's `next` leads to. */
export function restoreNotice(r: RestoreResult, to: RestoreNoticeActions): Omit<Notice, 'key'> {
  const text = `Restored ${shortId(r.id)} to ${r.target} (${r.files} file${r.files === 1 ? '' : 's'}, ${humanBytes(r.bytes)}).`;
  const notes: readonly Note[] = r.notes ?? [];
  if (notes.length === 0) return { tone: 'info', error: null, text };
  // Notes say something the user must know (a version rebuilt by another
  // route because an object is damaged, HEAD moved back): they stay until
  // closed. A damaged object comes first: it is the one to act on.
  const newest = r.head.newestDescendant;
  const next = notes.some((n) => n.next === 'repair') ? 'repair'
    : notes.some((n) => n.next === 'cleanup') ? 'cleanup'
      : notes.some((n) => n.next === 'restore') && newest ? 'restore' : null;
  return {
    tone: 'warn', error: null, text, details: notes.map((n) => restoreNoteWords(n, r)),
    ...(next === 'repair' ? { action: { label: 'Repair…', run: to.openRepair } } : {}),
    ...(next === 'cleanup' ? { action: { label: 'Cleanup…', run: to.openCleanup } } : {}),
    ...(next === 'restore' && newest ? { action: { label: 'Go back to newest…', run: () => to.openRestore(newest) } } : {}),
  };
}

/**
 * The working copy to show for a quick (stat only) answer: a "probably
 * changed" the main side has already confirmed for the same signature is its
 * confirmed answer.
 */
export function shownWorkingCopy(quick: WorkingCopyState, confirmed: WorkingCopyState | null): WorkingCopyState {
  return quick.state === 'probably-changed' && confirmed?.signature === quick.signature ? confirmed : quick;
}

export type Actions = ReturnType<typeof createActions>;

export function createActions(store: AppStore, api: () => WeightlineApi, opts: ActionsOptions = {}) {
  const set = store.setState;
  const get = store.getState;
  const coalesceMs = opts.coalesceMs ?? 120;
  const setSync = (f: (s: SyncState) => Partial<SyncState>): void => set((s) => ({ sync: { ...s.sync, ...f(s.sync) } }));
  const notify = (n: Omit<Notice, 'key'>): void => set((s) => withNotice(s, n));
  // Handles, not state: the subscription to the API's events and the pending coalesced reload.
  let unsubscribe: (() => void) | null = null;
  let refreshTimer: ReturnType<typeof setTimeout> | null = null;

  function reportError(e: unknown): void {
    const error = toErrorJSON(e);
    notify({ tone: 'error', error, text: error.message });
  }

  /** Subscribe to job, store and working-copy events once, then find out whether a store is open. */
  async function start(): Promise<void> {
    const a = api();
    if (!unsubscribe) {
      const offs = [
        a.on('job', onJobEvent),
        a.on('storeChanged', () => scheduleRefresh()),
        a.on('workingCopy', onWorkingCopy),
        a.on('linksChecked', onLinksChecked),
      ];
      unsubscribe = () => { for (const off of offs) off(); };
    }
    // Jobs started before this page loaded (a reload, a second window) keep
    // showing their progress here.
    a.call('jobs.list', {}).then((events) => {
      const now = Date.now();
      set((s) => ({ jobs: events.reduce((jobs, ev) => applyJobEvent(jobs, ev, now), s.jobs).map((j) => (j.state === 'running' ? j : { ...j, dismissed: true })) }));
      // A working-copy check the main side is running: the badge shows it.
      const wc = events.find((ev) => ev.kind === 'workingCopy' && ev.state === 'running');
      if (wc) set((s) => ({ workingCopy: { ...s.workingCopy, jobId: wc.jobId } }));
      // A run followed from before the reload: its strip comes back (the jobs panel does not show it).
      const follow = events.find((ev) => ev.kind === 'watch' && ev.state === 'running');
      if (follow && !get().followJobId) { set({ followJobId: follow.jobId }); dismissJob(follow.jobId); }
    }, () => { /* an older server without jobs.list: nothing to show */ });
    try {
      const current = await a.call('store.current', {});
      if (current) await enterStore(current);
      else await showWelcome();
    } catch (e) {
      reportError(e);
      await showWelcome();
    }
  }

  /** Stop listening (a test's end; the app listens for as long as the page lives). */
  function stop(): void {
    unsubscribe?.();
    unsubscribe = null;
    if (refreshTimer) clearTimeout(refreshTimer);
    refreshTimer = null;
  }

  /** The welcome view; the open store (if any) stays known, so "Switch store" can lead back to it. */
  async function showWelcome(): Promise<void> {
    set({ phase: 'welcome', dialog: null, menu: null });
    try {
      set({ recent: await api().call('store.recent', {}) });
    } catch (_e) {
      // The recent list is a convenience; the welcome view works without it.
    }
  }

  async function enterStore(info: StoreInfo): Promise<void> {
    set((s) => ({
      phase: 'open', store: info, commits: [], head: info.head, headProblem: info.headProblem ?? null, status: null, keepFullLatest: null, selectedId: null,
      details: {}, compare: null, comparePick: null, workingCopy: { state: null, jobId: null, problem: null, confirmed: null },
      verify: null, verifyJobId: null, verifySummaryHidden: false, query: '', dialog: null, menu: null,
      retention: { draft: null, onGraph: false, exact: null }, ops: null, range: null,
      sync: { ...s.sync, wantSelect: null, loadingDetails: [] },
    }));
    await refresh({ selectHead: true });
  }

  async function openStore(path: string): Promise<void> {
    await enterStore(await api().call('store.open', { path }));
  }

  async function createStore(path: string): Promise<void> {
    await enterStore(await api().call('store.create', { path }));
  }

  async function openSample(path?: string): Promise<void> {
    const a = api();
    const info = await a.call('store.openSample', path ? { path } : {});
    // Not made yet: a `sample` job makes it (its progress shows in the jobs panel); open it when done.
    if (info.jobId) await jobEnded(info.jobId);
    if (get().phase === 'open' && get().store?.root === info.root) return; // opened meanwhile by its storeChanged
    await enterStore(info.jobId ? await a.call('store.open', { path: info.root }) : info);
  }

  /** Resolves when the job is done; rejects with its error when it failed or was cancelled. */
  function jobEnded(jobId: string): Promise<void> {
    const a = api();
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (ev: JobEvent): void => {
        if (settled || ev.jobId !== jobId || ev.state === 'running') return;
        settled = true;
        off();
        if (ev.state === 'done') resolve();
        else reject(ev.error ? Object.assign(new Error(ev.error.message), ev.error) : new Error(`the ${ev.kind} job was ${ev.state}`));
      };
      const off = a.on('job', settle);
      // It may have ended before we listened.
      a.call('jobs.list', {}).then((events) => { for (const ev of events) settle(ev); }, () => undefined);
    });
  }

  /** Reload the commit list and the status; later calls win over slower earlier ones. */
  async function refresh(o: { selectHead?: boolean; select?: CommitId } = {}): Promise<void> {
    setSync((y) => ({ refreshSeq: y.refreshSeq + 1, ...(o.select ? { wantSelect: o.select } : {}) }));
    const seq = get().sync.refreshSeq;
    const a = api();
    try {
      // The graph first: on a large store status.get (which sizes the store on
      // disk) is the slower call, and the server would answer the list after it.
      const list = await a.call('commits.list', {});
      if (seq !== get().sync.refreshSeq) return;
      const s = get();
      const want = s.sync.wantSelect;
      let selectedId = s.selectedId;
      let focusTick = s.focusTick;
      let wantSelect = want;
      if (want && list.commits.some((c) => c.id === want)) {
        selectedId = want;
        wantSelect = null;
        // A commit just made here: bring its row into view and focus.
        focusTick += 1;
      } else if (o.selectHead || !selectedId || !list.commits.some((c) => c.id === selectedId)) {
        selectedId = list.head ?? list.commits[0]?.id ?? null;
      }
      const headProblem = list.headProblem ?? null;
      // An exact forget preview answers for the history it was made on.
      const sameHistory = list.commits.length === s.commits.length && list.commits.every((c, i) => c.id === s.commits[i]!.id && c.parent === s.commits[i]!.parent);
      const range = s.range && list.commits.some((c) => c.id === s.range!.anchor) && list.commits.some((c) => c.id === s.range!.to) ? s.range : null;
      set({
        commits: list.commits, head: list.head, headProblem, selectedId, focusTick, sync: { ...s.sync, wantSelect }, range,
        ...(sameHistory ? {} : { retention: { ...s.retention, exact: null } }),
      });
      void loadRemotes();
      void loadOps();
      if (selectedId) void loadDetails(selectedId);
      // status.get reads HEAD and would fail the same way; the banner already says what is wrong.
      if (headProblem) { set({ status: null }); return; }
      const status = await a.call('status.get', {});
      if (seq !== get().sync.refreshSeq) return;
      // Restored links stat could not judge are left out until the main side
      // has hashed them (its linksChecked event); nothing here starts that job.
      set({ status });
      void loadKeepFullLatest(seq);
    } catch (e) {
      if (seq === get().sync.refreshSeq) reportError(e);
    }
  }

  /** The store's keepFullLatest, for the storage estimates; without it they say what keepFullLatest 1 would free, and say so. */
  async function loadKeepFullLatest(seq: number): Promise<void> {
    try {
      const settings = await api().call('settings.get', {});
      if (seq === get().sync.refreshSeq) set({ keepFullLatest: settings.keepFullLatest });
    } catch {
      // The estimate names the keepFullLatest it assumed; nothing else depends on it.
    }
  }

  /** The main side hashed the restored links status.get could judge by stat only: every link as it found them. */
  function onLinksChecked(checked: LinksChecked): void {
    const current = get().status;
    if (get().phase !== 'open' || get().store?.root !== checked.root || !current) return;
    const { linksUnconfirmed: _judged, ...rest } = current;
    set({ status: { ...rest, links: checked.links } });
  }

  function scheduleRefresh(): void {
    // A store opened while the welcome view shows (the sample history the app
    // makes on a first run, once its job is done): show it. Not when the user
    // left a store for the welcome view ("Switch store"): that is their choice.
    if (get().phase === 'welcome') {
      if (get().store) return;
      void api().call('store.current', {}).then((current) => { if (current && get().phase === 'welcome' && !get().store) return enterStore(current); }, () => undefined);
      return;
    }
    if (get().phase !== 'open') return;
    if (refreshTimer) clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => { refreshTimer = null; void refresh(); }, coalesceMs);
  }

  /** Back to the open store from the welcome view ("Switch store", then its own name). */
  async function returnToStore(): Promise<void> {
    const info = get().store;
    if (!info) return;
    set({ phase: 'open' });
    await refresh();
  }

  function select(id: CommitId | null, o: { focus?: boolean; keepRange?: boolean } = {}): void {
    set((s) => ({ selectedId: id, menu: null, focusTick: o.focus ? s.focusTick + 1 : s.focusTick, ...(o.keepRange ? {} : { range: null }) }));
    if (id) void loadDetails(id);
  }

  /** Shift-click: the rows from the selected one to this one, both included (what "Forget N selected…" names). */
  function selectRange(to: CommitId): void {
    const s = get();
    const anchor = s.range?.anchor ?? s.selectedId;
    if (!anchor || anchor === to) { select(to); return; }
    set({ range: { anchor, to }, selectedId: to, menu: null });
    void loadDetails(to);
  }

  /** The commits of the shift-click range, in list order; empty when none. */
  function rangeSelection(): CommitId[] {
    const r = get().range;
    return r ? rangeIds(get().commits, r.anchor, r.to) : [];
  }

  async function loadDetails(id: CommitId): Promise<void> {
    if (get().details[id] || get().sync.loadingDetails.includes(id)) return;
    setSync((y) => ({ loadingDetails: [...y.loadingDetails, id] }));
    try {
      const show = await api().call('commits.get', { id });
      set((s) => ({ details: { ...s.details, [id]: show } }));
    } catch (e) {
      reportError(e);
    } finally {
      setSync((y) => ({ loadingDetails: y.loadingDetails.filter((x) => x !== id) }));
    }
  }

  function setQuery(query: string): void {
    set({ query });
  }

  function openDialog(dialog: DialogState): void {
    set({ dialog, menu: null });
  }

  function closeDialog(): void {
    set({ dialog: null });
  }

  /** Starts a job; its label names what it works on, or else the registry's label for its kind. */
  async function startJob(req: JobRequest, label: string = jobLabel(req.kind)): Promise<string> {
    const { jobId } = await api().call('jobs.start', req);
    // Events for this job may already have arrived; keep their state, add the label.
    set((s) => {
      const known = s.jobs.some((j) => j.jobId === jobId);
      const jobs = known
        ? s.jobs.map((j) => (j.jobId === jobId ? { ...j, label } : j))
        : [...s.jobs, {
          jobId, kind: req.kind, state: 'running' as const, label, progress: null, samples: [], startedAt: Date.now(),
          endedAt: null, error: null, result: null, dismissed: BACKGROUND_JOBS.has(req.kind),
        }];
      return { jobs };
    });
    return jobId;
  }

  async function cancelJob(jobId: string): Promise<void> {
    try {
      await api().call('jobs.cancel', { jobId });
    } catch (e) {
      reportError(e);
    }
  }

  function dismissJob(jobId: string): void {
    set((s) => ({ jobs: s.jobs.map((j) => (j.jobId === jobId ? { ...j, dismissed: true } : j)) }));
  }

  function onJobEvent(ev: JobEvent): void {
    set((s) => ({ jobs: applyJobEvent(s.jobs, ev, Date.now()) }));
    if (ev.kind === 'workingCopy') onWorkingCopyJob(ev);
    if (ev.state !== 'done' || !ev.result) {
      if (ev.state === 'failed' && ev.kind === 'verify' && get().verifyJobId === ev.jobId) set({ verifyJobId: null });
      if (ev.state === 'failed' || ev.state === 'cancelled') {
        const cmp = get().compare;
        if (cmp && cmp.jobId === ev.jobId) set({ compare: { ...cmp, cancelled: ev.state === 'cancelled', error: ev.state === 'failed' ? ev.error ?? null : null } });
      }
      return;
    }
    const r = ev.result;
    switch (r.kind) {
      case 'commit': {
        void refresh({ select: r.value.id });
        // Like the CLI: an unchanged model makes no commit, and says so; an
        // automatic CHECKPOINT says which rule made it, and autoCleanup what it freed.
        const words = commitDoneWords(r.value);
        if (words) notify({ tone: 'info', error: null, text: words.text, ...(words.details.length ? { details: words.details } : {}) });
        break;
      }
      case 'cleanup':
        void refresh();
        // Freed and packed apart, as the preview said them (cleanupDoneText).
        notify({ tone: 'info', error: null, text: cleanupDoneText(r.value) });
        break;
      case 'restore':
        void refresh();
        notify(restoreNotice(r.value, {
          openRepair: () => openDialog({ kind: 'repair' }),
          openCleanup: () => openDialog({ kind: 'cleanup' }),
          openRestore: (id) => { select(id, { focus: true }); openDialog({ kind: 'restore', id }); },
        }));
        break;
      case 'verify': {
        const verify: Record<string, (typeof r.value.commits)[number]> = {};
        for (const c of r.value.commits) verify[c.id] = c;
        set({ verify, verifyJobId: null, verifySummaryHidden: false });
        break;
      }
      case 'repair':
        // A dry run changes nothing: the repair dialog reads it from its job.
        if (!r.value.dryRun) afterRepair(ev.jobId, r.value);
        break;
      case 'diff': {
        const cmp = get().compare;
        if (cmp && cmp.jobId === ev.jobId) set({ compare: { ...cmp, result: r.value } });
        break;
      }
      case 'workingCopy':
        // Shown by onWorkingCopyJob (the same answer as the main side's workingCopy event).
        break;
      case 'status':
        // The main side's link check: its answer comes as a linksChecked event.
        break;
      case 'push': {
        void refresh();
        const v = r.value;
        notify({
          tone: 'info', error: null,
          text: v.commits.length === 0 && v.objectsUploaded === 0
            ? `${v.remote} already has every commit; nothing to push.`
            : `Pushed ${v.commits.length} commit${v.commits.length === 1 ? '' : 's'} to ${v.remote}: ${v.objectsUploaded} object${v.objectsUploaded === 1 ? '' : 's'}, ${humanBytes(v.bytesUploaded)} sent.`,
        });
        break;
      }
      case 'fetch': {
        void refresh();
        const v = r.value;
        notify({
          tone: 'info', error: null,
          text: v.fetched.length
            ? `Fetched ${v.fetched.length} commit${v.fetched.length === 1 ? '' : 's'} from ${v.remote}. Their data stays on the remote until you restore one.`
            : `Up to date with ${v.remote} (${v.remoteCommits} commit${v.remoteCommits === 1 ? '' : 's'}).`,
        });
        break;
      }
      case 'pin':
        void refresh();
        if (r.value.rebuiltFiles > 0) notify({ tone: 'info', error: null, text: `Pinned ${shortId(r.value.id)}: its full parameters were rebuilt and stored again (${humanBytes(r.value.rebuiltBytes)}).` });
        break;
      case 'tag': {
        void refresh();
        const v = r.value;
        notify({
          tone: 'info', error: null,
          text: v.commit === null
            ? `Deleted tag ${v.name}${v.previous ? ` (it named ${shortId(v.previous)})` : ''}.`
            : `Tagged ${shortId(v.commit)} as ${v.name}${v.previous && v.previous !== v.commit ? ` (it named ${shortId(v.previous)} before)` : ''}.`,
        });
        break;
      }
      case 'watch':
      case 'import': {
        void refresh();
        const v = r.value;
        const made = v.checkpoints.filter((c) => c.commit !== null && !c.already).length;
        const skipped = v.checkpoints.filter((c) => c.skipped).length;
        notify({
          tone: skipped > 0 || v.stopped === 'disk-full' || v.stopped === 'over-budget' || v.stopped === 'folder-gone' ? 'warn' : 'info', error: null,
          text: `${r.kind === 'watch' ? 'Stopped following' : 'Imported'} ${v.run}: ${made} checkpoint${made === 1 ? '' : 's'} committed`
            + `${skipped ? `, ${skipped} skipped` : ''}${v.removed.length ? `, ${v.removed.length} trainer cop${v.removed.length === 1 ? 'y' : 'ies'} removed` : ''}`
            + `${v.stopped === 'disk-full' ? '; the disk is full' : v.stopped === 'over-budget' ? '; the next commit would break the disk budget' : v.stopped === 'folder-gone' ? '; the run folder went away' : ''}.`,
          ...(v.notes.length || skipped ? { details: [...v.checkpoints.flatMap((c) => (c.skipped ? [`${c.checkpoint}: ${appWords(c.skipped.message)}`] : [])), ...v.notes.map((n) => appWords(n.message))] } : {}),
        });
        break;
      }
      case 'forget': {
        // A preview changes nothing: the retention section and the forget dialog read it from its job.
        if (r.value.dryRun) break;
        set((s) => ({ retention: { draft: null, onGraph: false, exact: null }, range: null, dialog: s.dialog?.kind === 'forget' ? null : s.dialog }));
        void refresh();
        const op = r.value.op;
        notify({
          tone: 'info', error: null, text: forgetDoneText(r.value),
          ...(op && r.value.trashUntil ? { action: { label: 'Undo', run: () => void startUndo(op) } } : {}),
        });
        break;
      }
      case 'undo':
        void refresh();
        notify({ tone: 'info', error: null, text: undoDoneText(r.value) });
        break;
      case 'cleanupPreview':
      case 'sample':
        break;
    }
  }

  // ── Forgetting versions ──────────────────────────────────────────────────

  /** The operations log and the trash (quick). A main side that cannot say: none shown. */
  async function loadOps(): Promise<void> {
    try {
      const r = await api().call('ops.list', {});
      set({ ops: { list: r.ops, trash: r.trash } });
    } catch {
      set({ ops: null });
    }
  }

  /** The draft the graph previews (null: none); a new draft drops an exact plan made for another. */
  function setRetentionDraft(draft: RetentionPolicy | null, o: { onGraph?: boolean } = {}): void {
    set((s) => ({ retention: { draft, onGraph: o.onGraph ?? s.retention.onGraph, exact: s.retention.exact } }));
  }

  function setRetentionExact(exact: AppState['retention']['exact']): void {
    set((s) => ({ retention: { ...s.retention, exact } }));
  }

  function clearRetentionPreview(): void {
    set({ retention: { draft: null, onGraph: false, exact: null } });
  }

  /** A forget job: a dry run (the exact preview) or the forget itself. */
  async function startForget(what: { policy?: RetentionPolicy; refs?: readonly CommitId[] }, dryRun: boolean): Promise<string> {
    const n = what.refs?.length ?? 0;
    const label = dryRun ? 'Preview a forget' : what.refs ? `Forget ${n} version${n === 1 ? '' : 's'}` : 'Forget by policy';
    return startJob({ kind: 'forget', dryRun, ...(what.policy ? { policy: policyArgs(what.policy) } : {}), ...(what.refs ? { refs: [...what.refs] } : {}) }, label);
  }

  /** Puts back an operation (the newest undoable one when none is named). */
  async function startUndo(op?: string): Promise<void> {
    try {
      await startJob({ kind: 'undo', ...(op ? { op } : {}) }, 'Undo');
    } catch (e) {
      reportError(e);
    }
  }

  /** Saves the draft as the store's policy (retention.json: autoForget and a bare `weightline forget` apply it). */
  async function saveRetentionPolicy(policy: RetentionPolicy | null): Promise<void> {
    await api().call('retention.set', { policy: policy ? policyArgs(policy) : null });
    notify({ tone: 'info', error: null, text: policy ? 'Saved as the store\'s retention policy.' : 'The store\'s retention policy was removed.' });
  }

  // ---- training runs and tags ----

  /** Names a commit (tag job); a tag of that name moves to it. */
  async function startTag(name: string, commit: CommitId): Promise<string> {
    return startJob({ kind: 'tag', name, commit }, `Tag ${shortId(commit)} as ${name}`);
  }

  async function deleteTag(name: string): Promise<void> {
    try {
      await startJob({ kind: 'tag', name, commit: null }, `Delete tag ${name}`);
    } catch (e) {
      reportError(e);
    }
  }

  /**
   * "Follow a run…": a watch job that runs until stopped. Its strip under the
   * toolbar is its view (not the jobs panel); each checkpoint it commits
   * reaches the list through the store's change events, like a CLI commit.
   */
  async function startFollow(args: { dir: string; then: 'keep' | 'remove'; keepNewest: number }): Promise<string> {
    const name = args.dir.replace(/[\\/]+$/u, '').split(/[\\/]/u).pop() ?? args.dir;
    const jobId = await startJob({ kind: 'watch', dir: args.dir, then: args.then, keepNewest: args.keepNewest, once: false }, `Following ${name}`);
    dismissJob(jobId);
    set({ followJobId: jobId });
    return jobId;
  }

  function stopFollow(): void {
    const id = get().followJobId;
    if (id) void cancelJob(id);
  }

  function setRunView(change: Partial<AppState['runView']>): void {
    set((s) => ({ runView: { ...s.runView, ...change } }));
  }

  /** Closes the strip of a follow that has ended. */
  function dismissFollow(): void {
    const id = get().followJobId;
    const job = id ? get().jobs.find((j) => j.jobId === id) : undefined;
    if (!job || job.state !== 'running') set({ followJobId: null });
  }

  function afterRepair(jobId: string, result: RepairResult): void {
    if (get().sync.repairsSeen.includes(jobId)) return;
    const own = get().sync.ownRepairs.includes(jobId);
    setSync((y) => ({ repairsSeen: [...y.repairsSeen, jobId], ownRepairs: y.ownRepairs.filter((x) => x !== jobId) }));
    // The old verdicts describe objects that were moved or rebuilt: drop them, then check again.
    set({ verify: null });
    void refresh();
    notify({
      tone: result.ok ? 'info' : 'warn', error: null, text: repairHeadline(result),
      // The store keeps the damaged bytes (they may be the only copy of something written through a link): say where they went.
      ...(result.quarantined.length > 0 ? { details: [`The damaged copies are kept in .weightline/quarantine/; delete them once you are sure nothing in them is needed.`] } : {}),
    });
    if (own) void startVerify();
  }

  /** Starts the repair itself (not the dry run); once done the store is reloaded and verified again. */
  async function startRepair(): Promise<string> {
    const jobId = await startJob({ kind: 'repair', dryRun: false });
    // It may have finished before jobs.start answered (a tiny store): its
    // follow-up ran then, all but the verify, which only the starter runs.
    if (get().sync.repairsSeen.includes(jobId)) void startVerify();
    else setSync((y) => ({ ownRepairs: [...y.ownRepairs, jobId] }));
    return jobId;
  }

  function hideVerifySummary(): void {
    set({ verifySummaryHidden: true });
  }

  // ---- remotes ----

  /** The store's remotes (quick: remotes.json and the caches). An older main side without them: none. */
  async function loadRemotes(): Promise<void> {
    try {
      const r = await api().call('remotes.list', {});
      set({ remotes: { list: r.remotes, credentials: r.credentials } });
    } catch {
      set({ remotes: null });
    }
  }

  async function addRemote(args: { name: string; url: string; endpoint?: string; region?: string }): Promise<void> {
    await api().call('remotes.add', args);
    await loadRemotes();
    // The commits gain their local / remote / both badges.
    void refresh();
  }

  async function removeRemote(name: string): Promise<void> {
    await api().call('remotes.remove', { name });
    await loadRemotes();
    void refresh();
  }

  async function startPush(remote?: string): Promise<string> {
    return startJob({ kind: 'push', ...(remote ? { remote } : {}) }, `Push${remote ? ` to ${remote}` : ''}`);
  }

  async function startFetch(remote?: string): Promise<string> {
    return startJob({ kind: 'fetch', ...(remote ? { remote } : {}) }, `Fetch${remote ? ` from ${remote}` : ''}`);
  }

  async function startVerify(): Promise<void> {
    try {
      const jobId = await startJob({ kind: 'verify' }, 'Verify every commit');
      set({ verifyJobId: jobId });
    } catch (e) {
      reportError(e);
    }
  }

  /**
   * Pin and unpin are both a `pin` job: the main side rebuilds the full
   * parameters where a cleanup removed them before it writes the pin, so a pin
   * always means "full parameters kept", whatever this window last listed.
   */
  async function setPinned(id: CommitId, pinned: boolean): Promise<void> {
    set({ menu: null });
    try {
      await startJob({ kind: 'pin', commit: id, pinned }, `${pinned ? 'Pin' : 'Unpin'} ${shortId(id)}`);
    } catch (e) {
      reportError(e);
    }
  }

  async function copyText(text: string, what: string): Promise<void> {
    set({ menu: null });
    try {
      await navigator.clipboard.writeText(text);
      notify({ tone: 'info', error: null, text: `Copied ${what}.` });
    } catch (_e) {
      // Clipboard access can be refused (no user gesture, insecure origin): show the text instead.
      notify({ tone: 'info', error: null, text: `Copy this ${what}: ${text}` });
    }
  }

  // ── Comparing two commits ────────────────────────────────────────────────

  /**
   * Compare A with B (older first unless keepOrder). A child against its parent
   * is answered by the figures stored at commit time (the details of B); any
   * other pair by a diff job, whose progress the compare view shows.
   */
  async function startCompare(x: CommitId, y: CommitId, o: { keepOrder?: boolean } = {}): Promise<void> {
    set({ menu: null, comparePick: null });
    if (x === y) {
      notify({ tone: 'info', error: null, text: 'Pick two different commits to compare.' });
      return;
    }
    const commits = get().commits;
    const { a, b } = o.keepOrder ? { a: x, b: y } : orderPair(commits, x, y);
    const previous = get().compare;
    // Replacing a comparison still computing: its job's answer is no longer wanted.
    if (previous?.jobId && !previous.result && !previous.error && !previous.cancelled) void cancelJob(previous.jobId);
    const source = compareSource(commits, a, b);
    set({ compare: { a, b, source, jobId: null, result: null, error: null, cancelled: false }, dialog: { kind: 'compare' } });
    const still = (): boolean => { const c = get().compare; return !!c && c.a === a && c.b === b; };
    try {
      if (source === 'stored') {
        await loadDetails(b);
        const show = get().details[b];
        if (!still()) return;
        if (show) set({ compare: { ...get().compare!, result: { from: a, to: b, files: show.files } } });
        else set({ compare: { ...get().compare!, error: { code: 'INTERNAL', message: `could not read commit ${shortId(b)}` } } });
        return;
      }
      const jobId = await startJob({ kind: 'diff', from: a, to: b }, `Compare ${shortId(a)} → ${shortId(b)}`);
      // The compare view shows this job's progress and cancel; the jobs panel need not repeat it.
      dismissJob(jobId);
      if (!still()) { void cancelJob(jobId); return; }
      // The job may have finished before we learnt its id.
      const done = get().jobs.find((j) => j.jobId === jobId);
      set({
        compare: {
          ...get().compare!, jobId,
          result: done?.result?.kind === 'diff' ? done.result.value : null,
          cancelled: done?.state === 'cancelled',
          error: done?.state === 'failed' ? done.error : null,
        },
      });
    } catch (e) {
      if (still()) set({ compare: { ...get().compare!, error: toErrorJSON(e) } });
    }
  }

  /** "Compare with…": remember A; the next commit clicked in the graph is B. */
  function beginComparePick(a: CommitId): void {
    set({ menu: null, comparePick: a });
  }

  function cancelComparePick(): void {
    set({ comparePick: null });
  }

  function closeCompare(): void {
    const cmp = get().compare;
    if (cmp?.jobId && !cmp.result && !cmp.error && !cmp.cancelled) void cancelJob(cmp.jobId);
    set({ compare: null, dialog: get().dialog?.kind === 'compare' ? null : get().dialog });
  }

  // ── The working copy against HEAD ────────────────────────────────────────

  /**
   * The quick (stat only) answer. When it says "probably changed" the main
   * side hashes on its own and tells what it found in a workingCopy event;
   * nothing here decides when to hash.
   */
  async function refreshWorkingCopy(): Promise<void> {
    if (get().phase !== 'open') return;
    setSync((y) => ({ workingCopySeq: y.workingCopySeq + 1 }));
    const seq = get().sync.workingCopySeq;
    let quick: WorkingCopyState;
    try {
      quick = await api().call('workingCopy.get', {});
    } catch (e) {
      if (seq === get().sync.workingCopySeq) set((s) => ({ workingCopy: { ...s.workingCopy, problem: toErrorJSON(e).message } }));
      return;
    }
    if (seq !== get().sync.workingCopySeq || get().phase !== 'open') return;
    set((s) => {
      const state = shownWorkingCopy(quick, s.workingCopy.confirmed);
      // A known answer clears the last check's problem; "probably" keeps it in the tooltip.
      return { workingCopy: { ...s.workingCopy, state, problem: state.state === 'probably-changed' ? s.workingCopy.problem : null } };
    });
  }

  /** The main side's confirmed answer. */
  function onWorkingCopy(state: WorkingCopyState): void {
    if (get().phase !== 'open') return;
    set((s) => ({ workingCopy: { ...s.workingCopy, state, confirmed: state, problem: null } }));
  }

  /** The check the main side runs (or the user asked for): the badge shows its progress, and why it stopped. */
  function onWorkingCopyJob(ev: JobEvent): void {
    const wc = get().workingCopy;
    if (ev.state === 'running') {
      if (wc.jobId !== ev.jobId) set({ workingCopy: { ...wc, jobId: ev.jobId, problem: null } });
      return;
    }
    const jobId = wc.jobId === ev.jobId ? null : wc.jobId;
    if (ev.state === 'done' && ev.result?.kind === 'workingCopy') {
      set({ workingCopy: { ...wc, jobId } });
      onWorkingCopy(ev.result.value);
      return;
    }
    set({ workingCopy: { ...wc, jobId, problem: ev.state === 'cancelled' ? 'the check was cancelled' : ev.error?.message ?? 'the check failed' } });
  }

  /** The badge's "Check": the user asks for a hash now (after a cancelled or failed check). */
  async function recheckWorkingCopy(): Promise<void> {
    try {
      set((s) => ({ workingCopy: { ...s.workingCopy, problem: null } }));
      // A background job: the badge is its view, not the jobs panel.
      const jobId = await startJob({ kind: 'workingCopy' });
      const job = get().jobs.find((j) => j.jobId === jobId);
      if (!job || job.state === 'running') set((s) => ({ workingCopy: { ...s.workingCopy, jobId } }));
    } catch (e) {
      set((s) => ({ workingCopy: { ...s.workingCopy, problem: toErrorJSON(e).message } }));
    }
  }

  function cancelWorkingCopyCheck(): void {
    const id = get().workingCopy.jobId;
    if (id) void cancelJob(id);
  }

  /** Commit, one click from the badge: the commit dialog with the working copy's path filled in. */
  function commitWorkingCopy(): void {
    const st = get().workingCopy.state;
    const abs = st ? pathToCommit(st) : null;
    openDialog({ kind: 'commit', presetPath: abs });
  }

  // ── Settings ─────────────────────────────────────────────────────────────

  async function saveSettings(changes: Partial<Settings>): Promise<Settings> {
    const next = await api().call('settings.set', changes);
    void refresh();
    notify({ tone: 'info', error: null, text: 'Settings saved.' });
    return next;
  }

  function openMenu(id: CommitId, x: number, y: number): void {
    const previous = get().selectedId;
    // A right-click inside a shift-click range acts on the range ("Forget N selected…").
    select(id, { keepRange: rangeSelection().includes(id) });
    set({ menu: { id, x, y, previous } });
  }

  function closeMenu(): void {
    set({ menu: null });
  }

  function jumpToHead(): void {
    const head = get().head;
    if (head) {
      set({ query: '' });
      select(head, { focus: true });
    }
  }

  function focusSearch(): void {
    set((s) => ({ searchTick: s.searchTick + 1 }));
  }

  return {
    reportError, start, stop, showWelcome, openStore, createStore, openSample, returnToStore, refresh, select, loadDetails, setQuery,
    openDialog, closeDialog, startJob, cancelJob, dismissJob, startRepair, hideVerifySummary,
    loadRemotes, addRemote, removeRemote, startPush, startFetch, startVerify, setPinned, copyText,
    startCompare, beginComparePick, cancelComparePick, closeCompare,
    refreshWorkingCopy, recheckWorkingCopy, cancelWorkingCopyCheck, commitWorkingCopy,
    saveSettings, openMenu, closeMenu, jumpToHead, focusSearch,
    startTag, deleteTag, startFollow, stopFollow, dismissFollow, setRunView,
    selectRange, rangeSelection, loadOps, setRetentionDraft, setRetentionExact, clearRetentionPreview, startForget, startUndo, saveRetentionPolicy,
  };
}

/** The app's actions: on the app's store, through `getApi()`. */
export const actions: Actions = createActions(appStore, getApi);

export const {
  reportError, start, showWelcome, openStore, createStore, openSample, returnToStore, refresh, select, loadDetails, setQuery,
  openDialog, closeDialog, startJob, cancelJob, dismissJob, startRepair, hideVerifySummary,
  loadRemotes, addRemote, removeRemote, startPush, startFetch, startVerify, setPinned, copyText,
  startCompare, beginComparePick, cancelComparePick, closeCompare,
  refreshWorkingCopy, recheckWorkingCopy, cancelWorkingCopyCheck, commitWorkingCopy,
  saveSettings, openMenu, closeMenu, jumpToHead, focusSearch,
  startTag, deleteTag, startFollow, stopFollow, dismissFollow, setRunView,
  selectRange, rangeSelection, loadOps, setRetentionDraft, setRetentionExact, clearRetentionPreview, startForget, startUndo, saveRetentionPolicy,
} = actions;
