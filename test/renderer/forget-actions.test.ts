// The app after a forget: the notice says what went and until when, its Undo
// starts an undo job for that operation, the preview on the graph ends, and
// the operations log (with the trash) is read again; a dry run changes none
// of that. A shift-click range is what "Forget N selected…" names.
import { describe, expect, it } from 'vitest';
import type { JobEvent } from '../../src-shared/contract';
import type { ForgetPlan, UndoResult } from '../../src-shared/model';
import { createActions } from '../../src-renderer/src/state/actions';
import { createAppStore } from '../../src-renderer/src/state/app-store';
import { cid, entry, fakeApi, until } from './fake-api';

const A = cid('a1'), B = cid('b2'), C = cid('c3'), D = cid('d4');

async function opened() {
  const api = fakeApi();
  api.answer('store.current', () => ({ root: '/tmp/p', head: D }));
  api.answer('commits.list', () => ({ head: D, commits: [entry(D, { parent: C }), entry(C, { parent: B }), entry(B, { parent: A }), entry(A)] }));
  api.answer('status.get', () => ({ head: D, storeBytes: 4000, logicalBytes: 4000, dirty: false, path: 'model.safetensors' }));
  api.answer('commits.get', ({ id }) => ({ ...entry(id as never), files: [] }) as never);
  api.answer('remotes.list', () => ({ remotes: [], credentials: '' }));
  api.answer('settings.get', () => ({ maxChainLength: 64, maxRouteRead: 4, keepFullLatest: 2, autoCleanup: false, trashDays: 7, maxStoreBytes: 0, minFreeBytes: 0, autoForget: false }));
  api.answer('jobs.list', () => []);
  let trash = 0;
  api.answer('ops.list', () => ({ ops: [], trash: { bytes: trash, operations: trash ? 1 : 0, goneBy: null } }));
  let n = 0;
  api.answer('jobs.start', () => ({ jobId: `job-${++n}` }));
  const store = createAppStore();
  const act = createActions(store, () => api, { coalesceMs: 0 });
  await act.start();
  return { api, store, act, setTrash: (b: number) => { trash = b; } };
}

const plan = (over: Partial<ForgetPlan> = {}): ForgetPlan => ({
  commits: [], forgotten: 2, kept: 2, bytesRemoved: 2000, bytesAdded: 500, bytesFreed: 1500, storeBytesBefore: 4000, storeBytesAfter: 2500,
  policy: '--keep-last 2', dryRun: false, op: 'op-7', trashUntil: '2026-12-14T12:00:00.000Z', ...over,
});
const done = (jobId: string, result: JobEvent['result']): JobEvent => ({ jobId, kind: result!.kind, state: 'done', result });

describe('after a forget', () => {
  it('shows what went with an Undo for that operation, ends the preview, and reads the trash again', async () => {
    const { api, store, act, setTrash } = await opened();
    expect(api.callsOf('ops.list')).toHaveLength(1);
    act.setRetentionDraft({ keepLast: 2 }, { onGraph: true });
    const jobId = await act.startForget({ policy: { keepLast: 2 } }, false);
    expect(api.callsOf('jobs.start').at(-1)).toEqual({ kind: 'forget', dryRun: false, policy: { keepLast: 2 } });
    setTrash(2000);
    api.emit('job', done(jobId, { kind: 'forget', value: plan() }));
    const s = await until(store, (x) => x.ops?.trash.bytes === 2000);
    expect(s.retention).toEqual({ draft: null, onGraph: false, exact: null });
    const notice = s.notices.at(-1)!;
    expect(notice.text).toBe('Forgot 2 versions, 1.5 KB freed once the trash is emptied (until Dec 14, 2026).');
    expect(notice.action?.label).toBe('Undo');
    notice.action!.run();
    await until(store, (x) => x.jobs.some((j) => j.kind === 'undo'));
    expect(api.callsOf('jobs.start').at(-1)).toEqual({ kind: 'undo', op: 'op-7' });
    const undone: UndoResult = { undone: { id: 'op-7', kind: 'forget', startedAt: '2026-12-07T12:00:00.000Z', state: 'undone', summary: '', commits: [B, C], bytes: 2000, undoable: false }, restored: [B, C], op: 'op-8' };
    api.emit('job', done('job-2', { kind: 'undo', value: undone }));
    expect(store.getState().notices.at(-1)!.text).toBe('Undid the forget of Dec 7, 2026: 2 versions are back.');
  });

  it('offers no Undo when nothing went to the trash (trashDays 0), and a dry run changes nothing', async () => {
    const { api, store, act } = await opened();
    act.setRetentionDraft({ keepLast: 2 }, { onGraph: true });
    const preview = await act.startForget({ refs: [B, C] }, true);
    expect(api.callsOf('jobs.start').at(-1)).toEqual({ kind: 'forget', dryRun: true, refs: [B, C] });
    const before = store.getState().notices.length;
    api.emit('job', done(preview, { kind: 'forget', value: plan({ dryRun: true, op: undefined, trashUntil: undefined }) }));
    expect(store.getState().notices).toHaveLength(before);
    expect(store.getState().retention.draft).toEqual({ keepLast: 2 });
    const { trashUntil: _t, ...noTrash } = plan();
    api.emit('job', done('job-9', { kind: 'forget', value: noTrash }));
    expect(store.getState().notices.at(-1)!.action).toBeUndefined();
  });
});

describe('a shift-click range', () => {
  it('runs from the selected row to the clicked one, and a right-click inside it keeps it', async () => {
    const { store, act } = await opened();
    act.select(C);
    act.selectRange(A);
    expect(act.rangeSelection()).toEqual([C, B, A]);
    act.openMenu(B, 10, 10);
    expect(store.getState().range).toEqual({ anchor: C, to: A });
    expect(act.rangeSelection()).toEqual([C, B, A]);
    // A right-click outside it, or a plain click, ends it.
    act.openMenu(D, 10, 10);
    expect(store.getState().range).toBeNull();
    act.selectRange(B);
    expect(act.rangeSelection()).toEqual([D, C, B]);
    act.select(A);
    expect(act.rangeSelection()).toEqual([]);
  });
});
