import { useApp, type JobView } from '../state/app-store';

/** The live view of one job (null until it is started). */
export function useJob(jobId: string | null): JobView | null {
  return useApp((s) => (jobId ? s.jobs.find((j) => j.jobId === jobId) ?? null : null));
}
