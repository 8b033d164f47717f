// Issue 11, item 3: what the toolbar's working-copy badge says in each state,
// and that its hashing job stays out of the jobs panel.
import { describe, expect, it } from 'vitest';
import type { WorkingCopyState } from '../../src-shared/contract';
import type { PathWorkingCopy } from '../../src-shared/model';
import { describeWorkingCopy, pathToCommit } from '../../src-renderer/src/lib/working-copy-words';
import { applyJobEvent } from '../../src-renderer/src/state/app-store';
import { BACKGROUND_JOBS, JOB_KINDS, jobLabel } from '../../src-shared/verbs';

const base: WorkingCopyState = {
  state: 'matches', head: 'h'.repeat(64) as WorkingCopyState['head'], path: 'run/model.safetensors', absPath: '/data/run/model.safetensors',
  files: 1, bytes: 8_675_688, changedFiles: [], signature: 'sig', paths: [],
};

describe('describeWorkingCopy', () => {
  it('names the file and says how it stands against HEAD', () => {
    expect(describeWorkingCopy(base, false)).toMatchObject({ tone: 'clean', name: 'model.safetensors', words: 'matches HEAD' });
    expect(describeWorkingCopy({ ...base, state: 'changed', changedFiles: ['model.safetensors'] }, false))
      .toMatchObject({ tone: 'dirty', name: 'model.safetensors', words: 'changed since HEAD' });
    const probably = describeWorkingCopy({ ...base, state: 'probably-changed' }, true);
    expect(probably).toMatchObject({ tone: 'unknown', words: 'probably changed since HEAD' });
    expect(probably.title).toContain('hashing it now');
    expect(describeWorkingCopy({ ...base, state: 'missing', files: 0, bytes: 0 }, false)).toMatchObject({ tone: 'none', words: 'no working copy' });
    expect(describeWorkingCopy({ ...base, state: 'no-head', path: null, absPath: null, head: null }, false)).toMatchObject({ name: null, words: 'no working copy' });
  });

  it('names a model folder by its own name, also when it is the store root, and lists changed files', () => {
    const folder = { ...base, state: 'changed' as const, path: '', absPath: '/data/run1', files: 3, changedFiles: ['a.bin', 'b.bin'] };
    const w = describeWorkingCopy(folder, false);
    expect(w.name).toBe('run1');
    expect(w.title).toContain('3 files');
    expect(w.title).toContain('a.bin, b.bin');
  });
});

describe('the workingCopy job in the job list', () => {
  it('is labelled and hidden from the jobs panel (the badge shows it)', () => {
    expect(jobLabel('workingCopy')).toBe('Check working copy');
    const jobs = applyJobEvent([], { jobId: 'j1', kind: 'workingCopy', state: 'running' }, 1);
    expect(jobs[0]).toMatchObject({ dismissed: true, label: 'Check working copy' });
    expect(applyJobEvent([], { jobId: 'j2', kind: 'diff', state: 'running' }, 1)[0]!.dismissed).toBe(false);
  });
});

describe('job kinds in the job list come from the registry', () => {
  it('labels each kind with its registry label and hides exactly the background kinds', () => {
    for (const kind of JOB_KINDS) {
      const [job] = applyJobEvent([], { jobId: `j-${kind}`, kind, state: 'running' }, 1);
      expect(job!.label).toBe(jobLabel(kind));
      expect(job!.dismissed).toBe(BACKGROUND_JOBS.has(kind));
    }
    expect([...BACKGROUND_JOBS].sort()).toEqual(['cleanupPreview', 'status', 'workingCopy']);
  });
});

describe('a store that follows several paths', () => {
  const H = 'h'.repeat(64) as WorkingCopyState['head'] & string;
  const O = 'o'.repeat(64) as WorkingCopyState['head'] & string;
  const model = (over: Partial<PathWorkingCopy> = {}): PathWorkingCopy => ({
    path: 'run/model.safetensors', absPath: '/data/run/model.safetensors', commit: H, kind: 'file', state: 'matches', changes: [], unknown: [], files: 1, bytes: 10, ...over,
  });
  const ckpt = (over: Partial<PathWorkingCopy> = {}): PathWorkingCopy => ({
    path: 'ckpt', absPath: '/data/ckpt', commit: O, kind: 'folder', state: 'matches', changes: [], unknown: [], files: 3, bytes: 30, ...over,
  });
  const many = (paths: PathWorkingCopy[], state: WorkingCopyState['state']): WorkingCopyState => ({ ...base, state, paths });

  it('names the one path that differs, against its own commit, and lists every path with its files in the tooltip', () => {
    const st = many([model(), ckpt({ state: 'changed', changes: [{ path: 'weights.bin', change: 'modified' }, { path: 'README.md', change: 'added' }] })], 'changed');
    const w = describeWorkingCopy(st, false);
    expect(w).toMatchObject({ tone: 'dirty', name: 'ckpt', words: 'changed (1 of 2 paths)' });
    expect(w.title.split('\n')).toEqual([
      '2 model paths, each against the newest commit of its line:',
      'run/model.safetensors: matches HEAD',
      `ckpt: changed since ${O.slice(0, 12)} (weights.bin modified, README.md added)`,
    ]);
    // Commit… fills in the path that differs, not HEAD's.
    expect(pathToCommit(st)).toBe('/data/ckpt');
  });

  it('counts several paths that differ, and says all match when they do', () => {
    const st = many([model({ state: 'changed', changes: [{ path: 'model.safetensors', change: 'modified' }] }), ckpt({ state: 'probably-changed', unknown: ['a.bin'] })], 'changed');
    expect(describeWorkingCopy(st, false)).toMatchObject({ tone: 'dirty', name: null, words: '1 of 2 paths changed' });
    expect(describeWorkingCopy(st, false).title).toContain(`ckpt: probably changed since ${O.slice(0, 12)} (a.bin modified?)`);
    expect(pathToCommit(st)).toBe(base.absPath);
    expect(describeWorkingCopy(many([model(), ckpt()], 'matches'), false)).toMatchObject({ tone: 'clean', words: '2 paths match their commits' });
  });

  it('one path keeps the single-path words', () => {
    expect(describeWorkingCopy({ ...base, paths: [model()] }, false).words).toBe('matches HEAD');
  });
});
