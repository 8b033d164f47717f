// Everything that talks to the main side. Components call these and read the
// zustand store; they never call the API themselves, so the order of updates
// (refresh after a job, select the new commit) lives in one place.
import { getApi } from '../api';
import type { JobEvent, JobRequest, Settings, StoreInfo, WorkingCopyState } from '../../../src-shared/contract';
import { shortId, humanBytes } from '../../../src-shared/format';
import type { CommitId, RepairResult, StatusResult } from '../../../src-shared/model';
import { cleanupDoneText } from '../lib/cleanup-words';
import { compareSource, orderPair } from '../lib/compare';
import { toErrorJSON } from '../lib/error-words';
import { appWords, repairHeadline } from '../lib/repair-words';
import { applyJobEvent, pushNotice, useApp, type DialogState } from './app-store';

const set = useApp.setState;
const get = useApp.getState;

let unsubscribe: (() => void) | null = null;
let refreshTimer: ReturnType<typeof setTimeout> | null = null;
let refreshSeq = 0;
/** A commit to select once a list holding it arrives (a newer refresh must not drop the wish). */
let wantSelect: CommitId | null = null;

export function reportError(e: unknown): void {
  const error = toErrorJSON(e);
  pushNotice({ tone: 'error', error, text: error.message });
}

/** Subscribe to job and store events once, then find out whether a store is open. */
export async function start(): Promise<void> {
  const api = getApi();
  if (!unsubscribe) {
    const offJob = api.on('job', onJobEvent);
    const offStore = api.on('storeChanged', () => scheduleRefresh());
    unsubscribe = () => { offJob(); offStore(); };
  }
  // Jobs started before this page loaded (a reload, a second window) keep
  // showing their progress here.
  api.call('jobs.list', {}).then((events) => {
    const now = Date.now();
    set((s) => ({ jobs: events.reduce((jobs, ev) => applyJobEvent(jobs, ev, now), s.jobs).map((j) => (j.state === 'running' ? j : { ...j, dismissed: true })) }));
  }, () => { /* an older server without jobs.list: nothing to show */ });
  try {
    const current = await api.call('store.current', {});
    if (current) await enterStore(current);
    else await showWelcome();
  } catch (e) {
    reportError(e);
    await showWelcome();
  }
}

export async function showWelcome(): Promise<void> {
  set({ phase: 'welcome' });
  try {
    set({ recent: await getApi().call('store.recent', {}) });
  } catch (_e) {
    // The recent list is a convenience; the welcome view works without it.
  }
}

async function enterStore(info: StoreInfo): Promise<void> {
  wantSelect = null;
  set({
    phase: 'open', store: info, commits: [], head: info.head, headProblem: info.headProblem ?? null, status: null, selectedId: null,
    details: {}, compare: null, comparePick: null, workingCopy: { state: null, jobId: null, problem: null }, verify: null, verifyJobId: null, verifySummaryHidden: false, query: '', dialog: null, menu: null,
  });
  await refresh({ selectHead: true });
}

export async function openStore(path: string): Promise<void> {
  await enterStore(await getApi().call('store.open', { path }));
}

export async function createStore(path: string): Promise<void> {
  await enterStore(await getApi().call('store.create', { path }));
}

export async function openSample(path?: string): Promise<void> {
  const api = getApi();
  const info = await api.call('store.openSample', path ? { path } : {});
  // Not made yet: a `sample` job makes it (its progress shows in the jobs panel); open it when done.
  if (info.jobId) await jobEnded(info.jobId);
  if (get().phase === 'open' && get().store?.root === info.root) return; // opened meanwhile by its storeChanged
  await enterStore(info.jobId ? await api.call('store.open', { path: info.root }) : info);
}

/** Resolves when the job is done; rejects with its error when it failed or was cancelled. */
function jobEnded(jobId: string): Promise<void> {
  const api = getApi();
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (ev: JobEvent): void => {
      if (settled || ev.jobId !== jobId || ev.state === 'running') return;
      settled = true;
      off();
      if (ev.state === 'done') resolve();
      else reject(ev.error ? Object.assign(new Error(ev.error.message), ev.error) : new Error(`the ${ev.kind} job was ${ev.state}`));
    };
    const off = api.on('job', settle);
    // It may have ended before we listened.
    api.call('jobs.list', {}).then((events) => { for (const ev of events) settle(ev); }, () => undefined);
  });
}

/** Reload the commit list and the status; later calls win over slower earlier ones. */
export async function refresh(opts: { selectHead?: boolean; select?: CommitId } = {}): Promise<void> {
  const seq = ++refreshSeq;
  if (opts.select) wantSelect = opts.select;
  const api = getApi();
  try {
    // The graph first: on a large store status.get (which sizes the store on
    // disk) is the slower call, and the server would answer the list after it.
    const list = await api.call('commits.list', {});
    if (seq !== refreshSeq) return;
    const s = get();
    let selectedId = s.selectedId;
    let focusTick = s.focusTick;
    if (wantSelect && list.commits.some((c) => c.id === wantSelect)) {
      selectedId = wantSelect;
      wantSelect = null;
      // A commit just made here: bring its row into view and focus.
      focusTick += 1;
    } else if (opts.selectHead || !selectedId || !list.commits.some((c) => c.id === selectedId)) {
      selectedId = list.head ?? list.commits[0]?.id ?? null;
    }
    const headProblem = list.headProblem ?? null;
    set({ commits: list.commits, head: list.head, headProblem, selectedId, focusTick });
    void loadRemotes();
    if (selectedId) void loadDetails(selectedId);
    // status.get reads HEAD and would fail the same way; the banner already says what is wrong.
    if (headProblem) { set({ status: null }); return; }
    const status = await api.call('status.get', {});
    if (seq !== refreshSeq) return;
    // status.get judges links by stat alone: one whose stat changed is listed
    // as unconfirmed. Show no problem for it until a status job has hashed it
    // (a touched file is not a damaged store), then show what the job found.
    const unconfirmed = new Set(status.linksUnconfirmed ?? []);
    set({ status: unconfirmed.size ? { ...status, links: (status.links ?? []).filter((l) => !unconfirmed.has(l.path)) } : status });
    if (unconfirmed.size && !linkCheckJob) {
      linkCheckJob = 'starting';
      try {
        const { jobId } = await api.call('jobs.start', { kind: 'status' });
        linkCheckJob = jobId;
        // On a small store it may have finished before jobs.start answered.
        const seen = get().jobs.find((j) => j.jobId === jobId && j.state !== 'running');
        if (seen) { linkCheckJob = null; if (seen.result?.kind === 'status') applyLinkCheck(seen.result.value); }
      } catch { linkCheckJob = null; }
    }
  } catch (e) {
    if (seq === refreshSeq) reportError(e);
  }
}

/** The status job confirming links whose stat changed, while it runs. */
let linkCheckJob: string | null = null;

/** The hashed answer for the links; the rest of the status stays the quick one. */
function applyLinkCheck(checked: StatusResult): void {
  const current = get().status;
  if (current) set({ status: { ...current, links: checked.links ?? [], linksUnconfirmed: [] } });
}

function scheduleRefresh(): void {
  // A store opened while the welcome view shows (the sample history the app
  // makes on a first run, once its job is done): show it.
  if (get().phase === 'welcome') {
    void getApi().call('store.current', {}).then((current) => { if (current && get().phase === 'welcome') return enterStore(current); }, () => undefined);
    return;
  }
  if (get().phase !== 'open') return;
  if (refreshTimer) clearTimeout(refreshTimer);
  // Coalesce bursts (a cleanup touches many objects) into one reload.
  refreshTimer = setTimeout(() => { refreshTimer = null; void refresh(); }, 120);
}

export function select(id: CommitId | null, opts: { focus?: boolean } = {}): void {
  set((s) => ({ selectedId: id, menu: null, focusTick: opts.focus ? s.focusTick + 1 : s.focusTick }));
  if (id) void loadDetails(id);
}

const loading = new Set<string>();
export async function loadDetails(id: CommitId): Promise<void> {
  if (get().details[id] || loading.has(id)) return;
  loading.add(id);
  try {
    const show = await getApi().call('commits.get', { id });
    set((s) => ({ details: { ...s.details, [id]: show } }));
  } catch (e) {
    reportError(e);
  } finally {
    loading.delete(id);
  }
}

export function setQuery(query: string): void {
  set({ query });
}

export function openDialog(dialog: DialogState): void {
  set({ dialog, menu: null });
}

export function closeDialog(): void {
  set({ dialog: null });
}

export async function startJob(req: JobRequest, label: string): Promise<string> {
  const { jobId } = await getApi().call('jobs.start', req);
  // Events for this job may already have arrived; keep their state, add the label.
  set((s) => {
    const known = s.jobs.some((j) => j.jobId === jobId);
    const jobs = known
      ? s.jobs.map((j) => (j.jobId === jobId ? { ...j, label } : j))
      : [...s.jobs, {
        jobId, kind: req.kind, state: 'running' as const, label, progress: null, samples: [], startedAt: Date.now(),
        endedAt: null, error: null, result: null, dismissed: false,
      }];
    return { jobs };
  });
  return jobId;
}

export async function cancelJob(jobId: string): Promise<void> {
  try {
    await getApi().call('jobs.cancel', { jobId });
  } catch (e) {
    reportError(e);
  }
}

export function dismissJob(jobId: string): void {
  set((s) => ({ jobs: s.jobs.map((j) => (j.jobId === jobId ? { ...j, dismissed: true } : j)) }));
}

function onJobEvent(ev: JobEvent): void {
  set((s) => ({ jobs: applyJobEvent(s.jobs, ev, Date.now()) }));
  if (ev.state !== 'done' || !ev.result) {
    if (ev.state === 'failed' && ev.kind === 'verify' && get().verifyJobId === ev.jobId) set({ verifyJobId: null });
    if (ev.state === 'failed' || ev.state === 'cancelled') {
      if (ev.jobId === linkCheckJob) linkCheckJob = null;
      const cmp = get().compare;
      if (cmp && cmp.jobId === ev.jobId) set({ compare: { ...cmp, cancelled: ev.state === 'cancelled', error: ev.state === 'failed' ? ev.error ?? null : null } });
      const wc = get().workingCopy;
      if (wc.jobId === ev.jobId) {
        set({ workingCopy: { ...wc, jobId: null, problem: ev.state === 'cancelled' ? 'the check was cancelled' : ev.error?.message ?? 'the check failed' } });
      }
    }
    return;
  }
  const r = ev.result;
  switch (r.kind) {
    case 'commit':
      void refresh({ select: r.value.id });
      // Like the CLI: an unchanged model makes no commit, and says so.
      if (r.value.unchanged) pushNotice({ tone: 'info', error: null, text: `Nothing changed since HEAD (${shortId(r.value.id)}); no commit was made.` });
      break;
    case 'cleanup':
      void refresh();
      // Freed and packed apart, as the preview said them (cleanupDoneText).
      pushNotice({ tone: 'info', error: null, text: cleanupDoneText(r.value) });
      break;
    case 'restore': {
      void refresh();
      const text = `Restored ${shortId(r.value.id)} to ${r.value.target} (${r.value.files} file${r.value.files === 1 ? '' : 's'}, ${humanBytes(r.value.bytes)}).`;
      const notes = r.value.notes ?? [];
      // Notes say something the user must know (a version rebuilt by another
      // route because an object is damaged): they stay until closed.
      if (notes.length === 0) pushNotice({ tone: 'info', error: null, text });
      else {
        const damaged = notes.some((n) => n.next === 'repair');
        pushNotice({
          tone: 'warn', error: null, text, details: notes.map((n) => appWords(n.message)),
          ...(damaged ? { action: { label: 'Repair…', run: () => openDialog({ kind: 'repair' }) } } : {}),
        });
      }
      break;
    }
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
      onWorkingCopyChecked(ev.jobId, r.value);
      break;
    case 'status':
      if (ev.jobId === linkCheckJob) { linkCheckJob = null; applyLinkCheck(r.value); }
      break;
    case 'push': {
      void refresh();
      const v = r.value;
      pushNotice({
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
      pushNotice({
        tone: 'info', error: null,
        text: v.fetched.length
          ? `Fetched ${v.fetched.length} commit${v.fetched.length === 1 ? '' : 's'} from ${v.remote}. Their data stays on the remote until you restore one.`
          : `Up to date with ${v.remote} (${v.remoteCommits} commit${v.remoteCommits === 1 ? '' : 's'}).`,
      });
      break;
    }
    case 'pin':
      void refresh();
      if (r.value.rebuiltFiles > 0) pushNotice({ tone: 'info', error: null, text: `Pinned ${shortId(r.value.id)}: its full parameters were rebuilt and stored again (${humanBytes(r.value.rebuiltBytes)}).` });
      break;
  }
}

/** Repairs started from this window: it re-runs verify after them (other windows only refresh). */
const ownRepairs = new Set<string>();
const repairsSeen = new Set<string>();

function afterRepair(jobId: string, result: RepairResult): void {
  if (repairsSeen.has(jobId)) return;
  repairsSeen.add(jobId);
  // The old verdicts describe objects that were moved or rebuilt: drop them, then check again.
  set({ verify: null });
  void refresh();
  pushNotice({
    tone: result.ok ? 'info' : 'warn', error: null, text: repairHeadline(result),
    // The store keeps the damaged bytes (they may be the only copy of something written through a link): say where they went.
    ...(result.quarantined.length > 0 ? { details: [`The damaged copies are kept in .weightline/quarantine/; delete them once you are sure nothing in them is needed.`] } : {}),
  });
  if (ownRepairs.delete(jobId)) void startVerify();
}

/** Starts the repair itself (not the dry run); once done the store is reloaded and verified again. */
export async function startRepair(): Promise<string> {
  const jobId = await startJob({ kind: 'repair', dryRun: false }, 'Repair');
  ownRepairs.add(jobId);
  // It may have finished before jobs.start answered (a tiny store): its
  // follow-up ran then, all but the verify, which only the starter runs.
  if (repairsSeen.has(jobId) && ownRepairs.delete(jobId)) void startVerify();
  return jobId;
}

export function hideVerifySummary(): void {
  set({ verifySummaryHidden: true });
}

// ---- remotes ----

/** The store's remotes (quick: remotes.json and the caches). An older main side without them: none. */
export async function loadRemotes(): Promise<void> {
  try {
    const r = await getApi().call('remotes.list', {});
    set({ remotes: { list: r.remotes, credentials: r.credentials } });
  } catch {
    set({ remotes: null });
  }
}

export async function addRemote(args: { name: string; url: string; endpoint?: string; region?: string }): Promise<void> {
  await getApi().call('remotes.add', args);
  await loadRemotes();
  // The commits gain their local / remote / both badges.
  void refresh();
}

export async function removeRemote(name: string): Promise<void> {
  await getApi().call('remotes.remove', { name });
  await loadRemotes();
  void refresh();
}

export async function startPush(remote?: string): Promise<string> {
  return startJob({ kind: 'push', ...(remote ? { remote } : {}) }, `Push${remote ? ` to ${remote}` : ''}`);
}

export async function startFetch(remote?: string): Promise<string> {
  return startJob({ kind: 'fetch', ...(remote ? { remote } : {}) }, `Fetch${remote ? ` from ${remote}` : ''}`);
}

export async function startVerify(): Promise<void> {
  try {
    const jobId = await startJob({ kind: 'verify' }, 'Verify every commit');
    set({ verifyJobId: jobId });
  } catch (e) {
    reportError(e);
  }
}

export async function setPinned(id: CommitId, pinned: boolean): Promise<void> {
  set({ menu: null });
  try {
    // The pin job decides whether to rebuild pruned full parameters (verified) before the pin is written.
    await startJob({ kind: 'pin', commit: id, pinned }, `${pinned ? 'Pin' : 'Unpin'} ${shortId(id)}`);
  } catch (e) {
    reportError(e);
  }
}

export async function copyText(text: string, what: string): Promise<void> {
  set({ menu: null });
  try {
    await navigator.clipboard.writeText(text);
    pushNotice({ tone: 'info', error: null, text: `Copied ${what}.` });
  } catch (_e) {
    // Clipboard access can be refused (no user gesture, insecure origin): show the text instead.
    pushNotice({ tone: 'info', error: null, text: `Copy this ${what}: ${text}` });
  }
}

// ── Comparing two commits ──────────────────────────────────────────────────

/**
 * Compare A with B (older first unless keepOrder). A child against its parent
 * is answered by the figures stored at commit time (the details of B); any
 * other pair by a diff job, whose progress the compare view shows.
 */
export async function startCompare(x: CommitId, y: CommitId, opts: { keepOrder?: boolean } = {}): Promise<void> {
  set({ menu: null, comparePick: null });
  if (x === y) {
    pushNotice({ tone: 'info', error: null, text: 'Pick two different commits to compare.' });
    return;
  }
  const commits = get().commits;
  const { a, b } = opts.keepOrder ? { a: x, b: y } : orderPair(commits, x, y);
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
export function beginComparePick(a: CommitId): void {
  set({ menu: null, comparePick: a });
}

export function cancelComparePick(): void {
  set({ comparePick: null });
}

export function closeCompare(): void {
  const cmp = get().compare;
  if (cmp?.jobId && !cmp.result && !cmp.error && !cmp.cancelled) void cancelJob(cmp.jobId);
  set({ compare: null, dialog: get().dialog?.kind === 'compare' ? null : get().dialog });
}

// ── The working copy against HEAD ──────────────────────────────────────────

/** A job's answer for a signature (HEAD + each file's stat) holds until the stat changes. */
let confirmed: { signature: string; state: WorkingCopyState } | null = null;
/** Signatures whose check the user cancelled or that failed: not retried on their own. */
const notRetried = new Set<string>();
let wcSeq = 0;

/**
 * The quick (stat only) answer; when it says "probably-changed", a
 * workingCopy job hashes to confirm, so the main side never hashes a model.
 */
export async function refreshWorkingCopy(opts: { force?: boolean } = {}): Promise<void> {
  if (get().phase !== 'open') return;
  const seq = ++wcSeq;
  let state: WorkingCopyState;
  try {
    state = await getApi().call('workingCopy.get', {});
  } catch (e) {
    if (seq === wcSeq) set({ workingCopy: { ...get().workingCopy, problem: toErrorJSON(e).message } });
    return;
  }
  if (seq !== wcSeq || get().phase !== 'open') return;
  const wc = get().workingCopy;
  if (state.state !== 'probably-changed') {
    set({ workingCopy: { ...wc, state, problem: null } });
    return;
  }
  if (confirmed && confirmed.signature === state.signature) {
    // The stat cache could not be saved (a read-only store): the job's answer still holds.
    set({ workingCopy: { ...wc, state: confirmed.state, problem: null } });
    return;
  }
  set({ workingCopy: { ...wc, state } });
  if (wc.jobId || (!opts.force && notRetried.has(state.signature))) return;
  await checkWorkingCopy(state.signature);
}

async function checkWorkingCopy(signature: string): Promise<void> {
  try {
    set({ workingCopy: { ...get().workingCopy, problem: null } });
    const jobId = await startJob({ kind: 'workingCopy' }, 'Check working copy');
    dismissJob(jobId);
    const job = get().jobs.find((j) => j.jobId === jobId);
    if (job && job.state !== 'running') {
      if (job.result?.kind === 'workingCopy') onWorkingCopyChecked(jobId, job.result.value);
      else notRetried.add(signature);
      return;
    }
    set({ workingCopy: { ...get().workingCopy, jobId } });
  } catch (e) {
    notRetried.add(signature);
    set({ workingCopy: { ...get().workingCopy, problem: toErrorJSON(e).message } });
  }
}

function onWorkingCopyChecked(jobId: string, state: WorkingCopyState): void {
  confirmed = { signature: state.signature, state };
  const wc = get().workingCopy;
  // A newer HEAD (a commit since) makes this answer stale: ask again.
  if (wc.state && wc.state.head !== state.head) { set({ workingCopy: { ...wc, jobId: null } }); void refreshWorkingCopy(); return; }
  set({ workingCopy: { state, jobId: wc.jobId === jobId ? null : wc.jobId, problem: null } });
}

/** The badge's "Check again" after a cancelled or failed check. */
export function recheckWorkingCopy(): void {
  void refreshWorkingCopy({ force: true });
}

export function cancelWorkingCopyCheck(): void {
  const id = get().workingCopy.jobId;
  const sig = get().workingCopy.state?.signature;
  if (sig) notRetried.add(sig);
  if (id) void cancelJob(id);
}

/** Commit, one click from the badge: the commit dialog with the working copy's path filled in. */
export function commitWorkingCopy(): void {
  const abs = get().workingCopy.state?.absPath ?? null;
  openDialog({ kind: 'commit', presetPath: abs });
}

// ── Settings ───────────────────────────────────────────────────────────────

export async function saveSettings(changes: Partial<Settings>): Promise<Settings> {
  const next = await getApi().call('settings.set', changes);
  void refresh();
  pushNotice({ tone: 'info', error: null, text: 'Settings saved.' });
  return next;
}

export function openMenu(id: CommitId, x: number, y: number): void {
  const previous = get().selectedId;
  select(id);
  set({ menu: { id, x, y, previous } });
}

export function closeMenu(): void {
  set({ menu: null });
}

export function jumpToHead(): void {
  const head = get().head;
  if (head) {
    set({ query: '' });
    select(head, { focus: true });
  }
}

export function focusSearch(): void {
  set((s) => ({ searchTick: s.searchTick + 1 }));
}

