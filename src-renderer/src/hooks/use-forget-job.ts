import { useEffect, useRef, useState } from 'react';
import type { WeightlineErrorJSON } from '../../../src-shared/errors';
import type { CommitId, ForgetPlan } from '../../../src-shared/model';
import type { RetentionPolicy } from '../../../src-shared/policy/retention';
import { toErrorJSON } from '../lib/error-words';
import { cancelJob, dismissJob, startForget } from '../state/actions';
import { useJob } from './use-job';

/**
 * One forget job a view starts and shows itself (its progress, its cancel,
 * its plan): a dry run for the exact preview, or the forget. The jobs panel
 * does not repeat it; a failure or a cancel stays here as its error.
 */
export function useForgetJob(cancelledMessage: string): {
  readonly start: (what: { policy?: RetentionPolicy; refs?: readonly CommitId[] }, dryRun: boolean) => Promise<void>;
  readonly cancel: () => void;
  readonly reset: () => void;
  readonly running: boolean;
  readonly job: ReturnType<typeof useJob>;
  /** The plan of the finished job (a dry run's preview, or what the forget did). */
  readonly plan: ForgetPlan | null;
  readonly error: WeightlineErrorJSON | null;
} {
  const [jobId, setJobId] = useState<string | null>(null);
  const [error, setError] = useState<WeightlineErrorJSON | null>(null);
  const job = useJob(jobId);
  const running = jobId !== null && (job === null || job.state === 'running');
  const plan = job?.state === 'done' && job.result?.kind === 'forget' ? job.result.value : null;
  useEffect(() => {
    if (!job || !jobId) return;
    if (job.state === 'failed' || job.state === 'cancelled') {
      setError(job.error ?? { code: 'CANCELLED', message: cancelledMessage });
      setJobId(null);
    }
  }, [job, jobId, cancelledMessage]);
  // A view that goes away while its preview runs: nobody wants the answer (a confirmed forget runs on).
  const live = useRef<{ id: string; dryRun: boolean; running: boolean } | null>(null);
  useEffect(() => { if (live.current && live.current.id === jobId) live.current.running = running; }, [jobId, running]);
  useEffect(() => () => { const l = live.current; if (l?.dryRun && l.running) void cancelJob(l.id); }, []);
  return {
    running, job, plan, error,
    start: async (what, dryRun) => {
      setError(null);
      try {
        const id = await startForget(what, dryRun);
        dismissJob(id);
        live.current = { id, dryRun, running: true };
        setJobId(id);
      } catch (e) {
        setError(toErrorJSON(e));
      }
    },
    cancel: () => { if (jobId) void cancelJob(jobId); },
    reset: () => { setJobId(null); setError(null); },
  };
}
