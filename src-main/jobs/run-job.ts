// What a job does, given a store root and a validated request: one call into
// the core per kind. Runs inside the job process (job-process.ts); kept apart
// from the process plumbing so it reads as the list of jobs there are.
import type { JobRequest, JobResult } from '../../src-shared/contract';
import type { ProgressListener } from '../../src-shared/model';
import { cleanup, cleanupPlan, cleanupPlanWith } from '../core/ops/cleanup';
import { commit } from '../core/ops/commit';
import { pin } from '../core/ops/pin';
import { createDemoStore } from '../core/ops/demo';
import { diff, status } from '../core/ops/inspect';
import { repair } from '../core/ops/repair';
import { restore } from '../core/ops/restore';
import { verify } from '../core/ops/verify';
import { Store } from '../core/store/store';
import { hashWorkingCopy } from './working-copy-check';

export interface RunJobOptions {
  readonly onProgress: ProgressListener;
  readonly signal: AbortSignal;
}

export async function runJob(root: string, request: JobRequest, opts: RunJobOptions): Promise<JobResult> {
  const { onProgress, signal } = opts;
  // The one job whose root is not a store yet: it makes one.
  if (request.kind === 'sample') {
    const made = await createDemoStore(root, { onProgress, signal });
    const head = made.commits[made.commits.length - 1] ?? null;
    return { kind: 'sample', value: { root: made.root, head } };
  }
  const store = await Store.open(root);
  switch (request.kind) {
    case 'commit':
      return { kind: 'commit', value: await commit(store, request.path, { message: request.message, checkpoint: request.checkpoint ?? false, skipUnchanged: !request.allowEmpty, onProgress, signal }) };
    case 'restore':
      return {
        kind: 'restore',
        value: await restore(store, request.commit, {
          ...(request.to ? { to: request.to } : {}), force: request.force ?? false, link: request.link ?? 'auto', onProgress, signal,
        }),
      };
    case 'cleanup':
      return { kind: 'cleanup', value: await cleanup(store, { onProgress, signal }) };
    case 'pin':
      return { kind: 'pin', value: await pin(store, request.commit, request.pinned, { onProgress, signal }) };
    case 'verify':
      return { kind: 'verify', value: await verify(store, { onProgress, signal }) };
    case 'diff':
      // diff reports no progress of its own; say which phase it is in.
      onProgress({ phase: 'comparing', bytesDone: 0, bytesTotal: 0 });
      return { kind: 'diff', value: await diff(store, request.from, request.to) };
    case 'repair':
      return { kind: 'repair', value: await repair(store, { dryRun: request.dryRun, onProgress, signal }) };
    case 'status':
      onProgress({ phase: 'hashing', bytesDone: 0, bytesTotal: 0 });
      return { kind: 'status', value: await status(store) };
    case 'cleanupPreview':
      onProgress({ phase: 'planning', bytesDone: 0, bytesTotal: 0 });
      return { kind: 'cleanupPreview', value: request.keepFullLatest === undefined ? await cleanupPlan(store) : await cleanupPlanWith(store, { keepFullLatest: request.keepFullLatest }) };
    case 'workingCopy':
      return { kind: 'workingCopy', value: await hashWorkingCopy(store, { onProgress, signal }) };
  }
}
