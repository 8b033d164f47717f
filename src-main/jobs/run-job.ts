// What a job does, given a store root and a validated request: the request's
// verb (src-main/core/verbs), found by its kind. Runs inside the job process
// (job-process.ts); which verb each kind runs, and whether it writes, is the
// registry's (src-shared/verbs.ts), not this file's.
import type { JobRequest, JobResult } from '../../src-shared/contract';
import type { ProgressListener } from '../../src-shared/model';
import { runJobVerb } from '../core/verbs';

export interface RunJobOptions {
  readonly onProgress: ProgressListener;
  readonly signal: AbortSignal;
}

export async function runJob(root: string, request: JobRequest, opts: RunJobOptions): Promise<JobResult> {
  return runJobVerb({ root, onProgress: opts.onProgress, signal: opts.signal }, request);
}
