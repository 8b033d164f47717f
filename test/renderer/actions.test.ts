// The renderer's actions on a fresh store and a fake API: the order of
// answers, the commit to select, pins as jobs, the working copy the main side
// confirms, typed restore notes, and who verifies after a repair.
import { DEFAULT_SETTINGS } from '../../src-shared/policy/settings';
import { describe, expect, it } from 'vitest';
import type { JobEvent, WorkingCopyState } from '../../src-shared/contract';
import type { RepairResult, RestoreResult } from '../../src-shared/model';
import { createActions, restoreNotice, shownWorkingCopy } from '../../src-renderer/src/state/actions';
import { createAppStore, initialState, withNotice } from '../../src-renderer/src/state/app-store';
import { cid, entry, fakeApi, until, type FakeApi } from './fake-api';

const A = cid('a1');
const B = cid('b2');
const C = cid('c3');
const ROOT = '/tmp/project';

function wcState(over: Partial<WorkingCopyState> = {}): WorkingCopyState {
  return {
    state: 'matches', head: B, path: 'model.safetensors', absPath: `${ROOT}/model.safetensors`, files: 1, bytes: 1000,
    changedFiles: [], signature: 'sig-1', paths: [], ...over,
  };
}

/** A store with two commits (B is HEAD), open, every quick call answered. */
async function opened(): Promise<{ api: FakeApi; store: ReturnType<typeof createAppStore>; act: ReturnType<typeof createActions> }> {
  const api = fakeApi();
  api.answer('store.current', () => ({ root: ROOT, head: B }));
  api.answer('commits.list', () => ({ head: B, commits: [entry(B, { parent: A }), entry(A, { type: 'CHECKPOINT' })] }));
  api.answer('status.get', () => ({ head: B, storeBytes: 2000, logicalBytes: 2000, dirty: false, path: 'model.safetensors' }));
  api.answer('commits.get', ({ id }) => ({ ...entry(id as never), files: [] }) as never);
  api.answer('remotes.list', () => ({ remotes: [], credentials: '' }));
  api.answer('jobs.list', () => []);
  let n = 0;
  api.answer('jobs.start', () => ({ jobId: `job-${++n}` }));
  const store = createAppStore();
  const act = createActions(store, () => api, { coalesceMs: 0 });
  await act.start();
  return { api, store, act };
}

const done = (jobId: string, result: JobEvent['result']): JobEvent => ({ jobId, kind: result!.kind, state: 'done', result });

describe('a fresh store', () => {
  it('starts from the initial state, and two stores with their actions share nothing', async () => {
    const one = await opened();
    const other = createAppStore();
    expect(other.getState()).toEqual(initialState);
    expect(one.store.getState().phase).toBe('open');
    expect(one.store.getState().commits).toHaveLength(2);
    one.act.setQuery('epoch');
    expect(other.getState().query).toBe('');
    // Notice keys count per store.
    one.act.reportError(new Error('x'));
    one.act.reportError(new Error('y'));
    expect(one.store.getState().notices.map((n) => n.key)).toEqual([1, 2]);
    expect(withNotice(other.getState(), { tone: 'info', error: null, text: 'z' }).notices[0]!.key).toBe(1);
  });

  it('subscribes to job, storeChanged and workingCopy once, however often start runs, and stop lets go', async () => {
    const { api, act } = await opened();
    await act.start();
    expect([api.listeners('job'), api.listeners('storeChanged'), api.listeners('workingCopy')]).toEqual([1, 1, 1]);
    act.stop();
    expect([api.listeners('job'), api.listeners('storeChanged'), api.listeners('workingCopy')]).toEqual([0, 0, 0]);
  });
});

describe('refresh', () => {
  it('keeps the newer answer when an older, slower one arrives after it', async () => {
    const { api, store, act } = await opened();
    const first = api.hold('commits.list');
    const second = api.hold('commits.list');
    const r1 = act.refresh();
    const r2 = act.refresh();
    await Promise.all([first.asked, second.asked]);
    second.resolve({ head: C, commits: [entry(C, { parent: B }), entry(B, { parent: A }), entry(A)] });
    await r2;
    first.resolve({ head: B, commits: [entry(B, { parent: A }), entry(A)] });
    await r1;
    expect(store.getState().head).toBe(C);
    expect(store.getState().commits).toHaveLength(3);
  });

  it('selects a commit asked for once a list holding it arrives, even after a refresh that did not have it', async () => {
    const { api, store, act } = await opened();
    const focus = store.getState().focusTick;
    await act.refresh({ select: C });
    expect(store.getState().selectedId).toBe(B);
    expect(store.getState().sync.wantSelect).toBe(C);
    api.answer('commits.list', () => ({ head: C, commits: [entry(C, { parent: B }), entry(B, { parent: A }), entry(A)] }));
    await act.refresh();
    expect(store.getState().selectedId).toBe(C);
    expect(store.getState().focusTick).toBe(focus + 1);
    expect(store.getState().sync.wantSelect).toBeNull();
  });
});

describe('pins', () => {
  it('pin and unpin each start a pin job, also for a commit whose full parameters are on disk; pins.set is never called', async () => {
    const { api, store, act } = await opened();
    expect(store.getState().commits.find((c) => c.id === A)!.hasFull).toBe(true);
    await act.setPinned(A, true);
    await act.setPinned(A, false);
    expect(api.callsOf('jobs.start')).toEqual([
      { kind: 'pin', commit: A, pinned: true },
      { kind: 'pin', commit: A, pinned: false },
    ]);
    expect(api.calls.map((c) => c.name as string)).not.toContain('pins.set');
    expect(store.getState().jobs.map((j) => j.label)).toEqual([`Pin ${A.slice(0, 12)}`, `Unpin ${A.slice(0, 12)}`]);
  });
});

describe('the working copy', () => {
  it('shows a quick "probably changed" and starts no hash job of its own', async () => {
    const { api, store, act } = await opened();
    api.answer('workingCopy.get', () => wcState({ state: 'probably-changed', changedFiles: ['model.safetensors'] }));
    await act.refreshWorkingCopy();
    expect(store.getState().workingCopy.state?.state).toBe('probably-changed');
    expect(api.callsOf('jobs.start')).toEqual([]);
  });

  it('follows the main side: its job shows as checking, its workingCopy event is the answer, and that answer holds for its signature', async () => {
    const { api, store, act } = await opened();
    api.answer('workingCopy.get', () => wcState({ state: 'probably-changed' }));
    await act.refreshWorkingCopy();
    api.emit('job', { jobId: 'main-wc', kind: 'workingCopy', state: 'running' });
    expect(store.getState().workingCopy.jobId).toBe('main-wc');
    // The hashing job stays out of the jobs panel: the badge is its view.
    expect(store.getState().jobs.find((j) => j.jobId === 'main-wc')!.dismissed).toBe(true);

    const confirmed = wcState({ state: 'changed', changedFiles: ['model.safetensors'] });
    api.emit('workingCopy', confirmed);
    api.emit('job', done('main-wc', { kind: 'workingCopy', value: confirmed }));
    expect(store.getState().workingCopy).toMatchObject({ state: confirmed, confirmed, jobId: null, problem: null });

    // A read-only store cannot save its stat cache: the quick answer still says "probably", for the same signature.
    await act.refreshWorkingCopy();
    expect(store.getState().workingCopy.state?.state).toBe('changed');
    // The file changed again: a new signature, so the confirmed answer no longer holds.
    api.answer('workingCopy.get', () => wcState({ state: 'probably-changed', signature: 'sig-2' }));
    await act.refreshWorkingCopy();
    expect(store.getState().workingCopy.state).toMatchObject({ state: 'probably-changed', signature: 'sig-2' });
    expect(api.callsOf('jobs.start')).toEqual([]);
  });

  it('says why a check stopped, and Check asks for one only when the user presses it', async () => {
    const { api, store, act } = await opened();
    api.answer('workingCopy.get', () => wcState({ state: 'probably-changed' }));
    await act.refreshWorkingCopy();
    api.emit('job', { jobId: 'main-wc', kind: 'workingCopy', state: 'running' });
    act.cancelWorkingCopyCheck();
    expect(api.callsOf('jobs.cancel')).toEqual([{ jobId: 'main-wc' }]);
    api.emit('job', { jobId: 'main-wc', kind: 'workingCopy', state: 'cancelled' });
    expect(store.getState().workingCopy).toMatchObject({ jobId: null, problem: 'the check was cancelled' });

    await act.recheckWorkingCopy();
    expect(api.callsOf('jobs.start')).toEqual([{ kind: 'workingCopy' }]);
    expect(store.getState().workingCopy).toMatchObject({ jobId: 'job-1', problem: null });
    api.emit('job', { jobId: 'job-1', kind: 'workingCopy', state: 'failed', error: { code: 'PERMISSION', message: 'EACCES: model.safetensors' } });
    expect(store.getState().workingCopy).toMatchObject({ jobId: null, problem: 'EACCES: model.safetensors' });
  });

  it('a check already running when the page loads shows in the badge', async () => {
    const api = fakeApi();
    api.answer('jobs.list', () => [{ jobId: 'earlier', kind: 'workingCopy', state: 'running' }]);
    api.answer('store.current', () => null);
    api.answer('store.recent', () => []);
    const store = createAppStore();
    await createActions(store, () => api).start();
    await until(store, (s) => s.workingCopy.jobId === 'earlier');
    expect(store.getState().jobs.map((j) => j.jobId)).toEqual(['earlier']);
  });
});

describe('a restore\'s notes', () => {
  const restored = (notes?: RestoreResult['notes']): RestoreResult => ({ id: B, target: `${ROOT}/model.safetensors`, files: 1, bytes: 1000, head: { moved: false, from: B, to: B, descendants: 0, newestDescendant: null }, ...(notes ? { notes } : {}) });
  const never = (): void => { throw new Error('not expected'); };
  const nowhere = { openRepair: never, openCleanup: never, openRestore: never };

  it('none: a line that fades', () => {
    const n = restoreNotice(restored(), nowhere);
    expect(n).toMatchObject({ tone: 'info', text: `Restored ${B.slice(0, 12)} to ${ROOT}/model.safetensors (1 file, 1.0 KB).` });
    expect(n.action).toBeUndefined();
  });

  it('a note whose next step is repair offers Repair…, whatever its words; the details are the messages', () => {
    let opened = '';
    const n = restoreNotice(restored([
      { code: 'HEAD_MOVED', message: 'HEAD now points to an older commit.', next: 'commit' },
      // No word "damaged" in it: the action comes from `next`, not from the text.
      { code: 'REBUILT_AROUND_DAMAGE', message: 'Rebuilt by another route; run "weightline repair" to mend it.', next: 'repair', files: ['model.safetensors'] },
    ]), { ...nowhere, openRepair: () => { opened = 'repair'; } });
    expect(n.tone).toBe('warn');
    expect(n.details).toEqual(['HEAD now points to an older commit.', 'Rebuilt by another route; run Repair to mend it.']);
    expect(n.action?.label).toBe('Repair…');
    n.action!.run();
    expect(opened).toBe('repair');
  });

  it('a note that mentions damage but leads nowhere offers no Repair', () => {
    const n = restoreNotice(restored([{ code: 'OTHER', message: 'The old copy was damaged and has been replaced.' }]), nowhere);
    expect(n.tone).toBe('warn');
    expect(n.action).toBeUndefined();
  });

  it('HEAD moved back: says so in the app\'s words from the typed fields, and offers to go back to the newest', () => {
    let wanted: string | null = null;
    const r: RestoreResult = {
      ...restored([{ code: 'HEAD_MOVED', message: `HEAD is now at ${B.slice(0, 12)}; "weightline restore ${C.slice(0, 12)}" goes back to the newest`, next: 'restore' }]),
      head: { moved: true, from: C, to: B, descendants: 2, newestDescendant: C },
    };
    const n = restoreNotice(r, { ...nowhere, openRestore: (id) => { wanted = id; } });
    expect(n.tone).toBe('warn');
    expect(n.details).toEqual([
      `HEAD is now at ${B.slice(0, 12)} (was ${C.slice(0, 12)}), which has 2 newer commits after it: the next commit starts a new branch from ${B.slice(0, 12)}. `
      + `The newer commits stay in the list, marked "ahead"; "Go back to newest" restores ${C.slice(0, 12)}.`,
    ]);
    expect(n.details!.join(' ')).not.toContain('weightline');
    expect(n.action?.label).toBe('Go back to newest…');
    n.action!.run();
    expect(wanted).toBe(C);
  });

  it('a damaged object\'s Repair wins over going back to the newest', () => {
    const r: RestoreResult = {
      ...restored([{ code: 'HEAD_MOVED', message: 'moved', next: 'restore' }, { code: 'OBJECT_DAMAGED', message: 'bad', next: 'repair' }]),
      head: { moved: true, from: B, to: B, descendants: 1, newestDescendant: B },
    };
    expect(restoreNotice(r, nowhere).action?.label).toBe('Repair…');
  });

  it('arrives as a notice when the restore job ends', async () => {
    const { api, store } = await opened();
    api.emit('job', done('r1', { kind: 'restore', value: restored([{ code: 'OBJECT_DAMAGED', message: 'An object failed its hash.', next: 'repair' }]) }));
    const notice = store.getState().notices.at(-1)!;
    expect(notice.action?.label).toBe('Repair…');
    notice.action!.run();
    expect(store.getState().dialog).toEqual({ kind: 'repair' });
  });
});

describe('the storage estimate\'s keepFullLatest', () => {
  it('is the store\'s setting, read on each refresh', async () => {
    const { api, store, act } = await opened();
    api.answer('settings.get', () => ({ ...DEFAULT_SETTINGS, maxChainLength: 64, maxRouteRead: 4, keepFullLatest: 3, autoCleanup: false }));
    await act.refresh();
    await until(store, (s) => s.keepFullLatest === 3);
    expect(api.callsOf('settings.get').length).toBeGreaterThan(0);
  });
});

describe('restored links the main side hashes', () => {
  it('starts no status job itself, and shows the links of the main side\'s linksChecked event for its store', async () => {
    const { api, store } = await opened();
    api.answer('status.get', () => ({ head: B, storeBytes: 2000, logicalBytes: 2000, dirty: false, path: 'model.safetensors', links: [], linksUnconfirmed: ['/x/linked.bin'] }));
    await createActions(store, () => api, { coalesceMs: 0 }).refresh();
    expect(store.getState().status?.linksUnconfirmed).toEqual(['/x/linked.bin']);
    expect(api.callsOf('jobs.start')).toEqual([]);
    // Another store's answer is not this one's.
    api.emit('linksChecked', { root: '/elsewhere', links: [{ path: '/x/linked.bin', commit: B, problem: 'modified' }] });
    expect(store.getState().status?.links).toEqual([]);
    api.emit('linksChecked', { root: ROOT, links: [{ path: '/x/linked.bin', commit: B, problem: 'modified' }] });
    expect(store.getState().status?.links).toEqual([{ path: '/x/linked.bin', commit: B, problem: 'modified' }]);
    expect(store.getState().status?.linksUnconfirmed).toBeUndefined();
  });
});

describe('after a repair', () => {
  const repaired: RepairResult = { dryRun: false, ok: true, quarantined: [], rebuilt: [], commits: [] };

  it('the window that started it verifies again; another window only reloads', async () => {
    const { api, store, act } = await opened();
    const jobId = await act.startRepair();
    api.emit('job', done(jobId, { kind: 'repair', value: repaired }));
    await until(store, (s) => s.verifyJobId !== null);
    expect(api.callsOf('jobs.start')).toEqual([{ kind: 'repair', dryRun: false }, { kind: 'verify' }]);

    api.emit('job', done('elsewhere', { kind: 'repair', value: repaired }));
    // The same event twice (jobs.list and the live event) is handled once.
    api.emit('job', done('elsewhere', { kind: 'repair', value: repaired }));
    expect(api.callsOf('jobs.start')).toHaveLength(2);
    expect(store.getState().notices.filter((n) => n.text.startsWith('Nothing to repair'))).toHaveLength(2);
  });

  it('verifies also when the repair ended before jobs.start answered', async () => {
    const { api, store, act } = await opened();
    const start = api.hold('jobs.start');
    const started = act.startRepair();
    await start.asked;
    api.emit('job', done('quick', { kind: 'repair', value: repaired }));
    start.resolve({ jobId: 'quick' });
    await started;
    await until(store, (s) => s.verifyJobId !== null);
    expect(api.callsOf('jobs.start')).toEqual([{ kind: 'repair', dryRun: false }, { kind: 'verify' }]);
    expect(store.getState().sync.ownRepairs).toEqual([]);
  });
});

describe('switching stores', () => {
  it('the welcome view keeps the open store, a store event does not pull the user back, and returning reloads it', async () => {
    const { api, store, act } = await opened();
    api.answer('store.recent', () => ['/elsewhere']);
    await act.showWelcome();
    expect(store.getState()).toMatchObject({ phase: 'welcome', store: { root: ROOT }, recent: ['/elsewhere'] });
    api.emit('storeChanged', { root: ROOT });
    expect(store.getState().phase).toBe('welcome');
    const lists = api.callsOf('commits.list').length;
    await act.returnToStore();
    expect(store.getState().phase).toBe('open');
    expect(api.callsOf('commits.list')).toHaveLength(lists + 1);
  });
});

describe('shownWorkingCopy', () => {
  it('uses the confirmed answer only for a "probably changed" with its signature', () => {
    const confirmed = wcState({ state: 'changed', signature: 's' });
    expect(shownWorkingCopy(wcState({ state: 'probably-changed', signature: 's' }), confirmed)).toBe(confirmed);
    expect(shownWorkingCopy(wcState({ state: 'probably-changed', signature: 't' }), confirmed).state).toBe('probably-changed');
    expect(shownWorkingCopy(wcState({ state: 'matches', signature: 's' }), confirmed).state).toBe('matches');
    expect(shownWorkingCopy(wcState({ state: 'probably-changed' }), null).state).toBe('probably-changed');
  });
});
