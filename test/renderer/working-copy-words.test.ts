// Issue 11, item 3: what the toolbar's working-copy badge says in each state,
// and that its hashing job stays out of the jobs panel.
import { describe, expect, it } from 'vitest';
import type { WorkingCopyState } from '../../src-shared/contract';
import { describeWorkingCopy } from '../../src-renderer/src/lib/working-copy-words';
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
