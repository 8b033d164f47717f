// "Follow a run…" and tags in the renderer's actions, on a fake API: the
// watch job is the strip's (not the jobs panel's), its live line is kept, the
// list refreshes on store changes while it runs, Stop cancels it, a reload
// finds it again; a tag job refreshes the list and says what it did.
import { describe, expect, it } from 'vitest';
import type { JobEvent } from '../../src-shared/contract';
import type { LogEntry } from '../../src-shared/model';
import { createActions } from '../../src-renderer/src/state/actions';
import { createAppStore } from '../../src-renderer/src/state/app-store';
import { cid, entry, fakeApi, until } from './fake-api';

const A = cid('a1');
const B = cid('b2');
const ROOT = '/tmp/project';

async function opened(running: readonly JobEvent[] = []) {
  const api = fakeApi();
  let commits: LogEntry[] = [entry(A, { type: 'CHECKPOINT' })];
  api.answer('store.current', () => ({ root: ROOT, head: A }));
  api.answer('commits.list', () => ({ head: commits[0]!.id, commits }));
  api.answer('status.get', () => ({ head: A, storeBytes: 2000, logicalBytes: 2000, dirty: false, path: 'run' }));
  api.answer('commits.get', ({ id }) => ({ ...entry(id as never), files: [] }) as never);
  api.answer('remotes.list', () => ({ remotes: [], credentials: '' }));
  api.answer('settings.get', () => ({ maxChainLength: 8, maxRouteRead: 4, keepFullLatest: 1, autoCleanup: false }) as never);
  api.answer('jobs.list', () => [...running]);
  let n = 0;
  api.answer('jobs.start', () => ({ jobId: `job-${++n}` }));
  api.answer('jobs.cancel', () => ({ cancelled: true }));
  const store = createAppStore();
  const act = createActions(store, () => api, { coalesceMs: 0 });
  await act.start();
  return { api, store, act, setCommits: (c: LogEntry[]) => { commits = c; } };
}

describe('following a run', () => {
  it('starts a watch job that keeps following, shown in the strip and not in the jobs panel', async () => {
    const { api, store, act } = await opened();
    const jobId = await act.startFollow({ dir: '/data/runs/exp1/', then: 'remove', keepNewest: 2 });
    expect(api.callsOf('jobs.start')).toEqual([{ kind: 'watch', dir: '/data/runs/exp1/', then: 'remove', keepNewest: 2, once: false }]);
    expect(store.getState().followJobId).toBe(jobId);
    const job = store.getState().jobs.find((j) => j.jobId === jobId)!;
    expect(job).toMatchObject({ label: 'Following exp1', dismissed: true });
  });

  it('keeps the live line, and the list follows store changes while the job runs', async () => {
    const { api, store, act, setCommits } = await opened();
    const jobId = await act.startFollow({ dir: '/data/run', then: 'keep', keepNewest: 1 });
    api.emit('job', { jobId, kind: 'watch', state: 'running', progress: { phase: 'following', bytesDone: 1, bytesTotal: 1, detail: 'following run: 1 committed' } });
    expect(store.getState().jobs.find((j) => j.jobId === jobId)!.progress?.detail).toBe('following run: 1 committed');
    setCommits([entry(B, { parent: A, meta: { step: 100, metrics: { eval_loss: 0.5 } } }), entry(A, { type: 'CHECKPOINT' })]);
    api.emit('storeChanged', { root: ROOT });
    const s = await until(store, (x) => x.commits.length === 2);
    expect(s.commits[0]!.meta?.step).toBe(100);
    expect(s.jobs.find((j) => j.jobId === jobId)!.state).toBe('running');
  });

  it('Stop cancels the job; the strip closes only once it has ended', async () => {
    const { api, store, act } = await opened();
    const jobId = await act.startFollow({ dir: '/data/run', then: 'keep', keepNewest: 1 });
    act.stopFollow();
    expect(api.callsOf('jobs.cancel')).toEqual([{ jobId }]);
    act.dismissFollow();
    expect(store.getState().followJobId).toBe(jobId);
    api.emit('job', { jobId, kind: 'watch', state: 'cancelled' });
    act.dismissFollow();
    expect(store.getState().followJobId).toBeNull();
  });

  it('finds a run followed before a reload', async () => {
    const { store } = await opened([{ jobId: 'w1', kind: 'watch', state: 'running' }]);
    const s = await until(store, (x) => x.followJobId !== null);
    expect(s.followJobId).toBe('w1');
    expect(s.jobs.find((j) => j.jobId === 'w1')!.dismissed).toBe(true);
  });

  it('says what the run did when it ends, with the checkpoints it skipped', async () => {
    const { api, store, act } = await opened();
    const jobId = await act.startFollow({ dir: '/data/run', then: 'remove', keepNewest: 1 });
    api.emit('job', {
      jobId, kind: 'watch', state: 'done', result: {
        kind: 'watch', value: {
          run: 'runs/exp1', trainer: 'hf-trainer', removed: ['checkpoint-100'], stopped: 'folder-gone', notes: [],
          checkpoints: [
            { checkpoint: 'checkpoint-100', commit: B },
            { checkpoint: 'checkpoint-200', commit: null, skipped: { code: 'OTHER', message: 'not a safetensors file' } },
          ],
        },
      },
    });
    const notice = store.getState().notices.at(-1)!;
    expect(notice.tone).toBe('warn');
    expect(notice.text).toBe('Stopped following runs/exp1: 1 checkpoint committed, 1 skipped, 1 trainer copy removed; the run folder went away.');
    expect(notice.details).toEqual(['checkpoint-200: not a safetensors file']);
  });
});

describe('tags', () => {
  it('tag and delete are tag jobs; when one is done the list is read again and the notice says what moved', async () => {
    const { api, store, act } = await opened();
    await act.startTag('best', A);
    await act.deleteTag('old');
    expect(api.callsOf('jobs.start')).toEqual([{ kind: 'tag', name: 'best', commit: A }, { kind: 'tag', name: 'old', commit: null }]);
    const lists = api.callsOf('commits.list').length;
    api.emit('job', { jobId: 'job-1', kind: 'tag', state: 'done', result: { kind: 'tag', value: { name: 'best', commit: A, previous: B } } });
    expect(store.getState().notices.at(-1)!.text).toBe(`Tagged ${A.slice(0, 12)} as best (it named ${B.slice(0, 12)} before).`);
    api.emit('job', { jobId: 'job-2', kind: 'tag', state: 'done', result: { kind: 'tag', value: { name: 'old', commit: null, previous: B } } });
    expect(store.getState().notices.at(-1)!.text).toBe(`Deleted tag old (it named ${B.slice(0, 12)}).`);
    expect(api.callsOf('commits.list').length).toBe(lists + 2);
  });
});
