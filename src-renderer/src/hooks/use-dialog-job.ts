import { useEffect, useState } from 'react';
import type { WeightlineErrorJSON } from '../../../src-shared/errors';
import { closeDialog, dismissJob } from '../state/actions';
import { useJob } from './use-job';

/**
 * The job a dialog starts and watches: done closes the dialog; a failure or a
 * cancel stays in the dialog as its error (the jobs panel need not repeat it).
 */
export function useDialogJob(cancelledMessage: string): {
  readonly jobId: string | null;
  readonly setJobId: (id: string | null) => void;
  readonly error: WeightlineErrorJSON | null;
  readonly setError: (e: WeightlineErrorJSON | null) => void;
  readonly running: boolean;
  readonly job: ReturnType<typeof useJob>;
} {
  const [jobId, setJobId] = useState<string | null>(null);
  const [error, setError] = useState<WeightlineErrorJSON | null>(null);
  const job = useJob(jobId);
  const running = jobId !== null && (job === null || job.state === 'running');
  useEffect(() => {
    if (!job || !jobId) return;
    if (job.state === 'done') { dismissJob(jobId); closeDialog(); }
    else if (job.state === 'failed' || job.state === 'cancelled') {
      setError(job.error ?? { code: 'CANCELLED', message: cancelledMessage });
      dismissJob(jobId);
      setJobId(null);
    }
  }, [job, jobId, cancelledMessage]);
  return { jobId, setJobId, error, setError, running, job };
}
