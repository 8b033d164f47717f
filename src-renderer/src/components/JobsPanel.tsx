// Running and recently finished jobs, docked along the bottom of the window
// (never over the table): progress, time left, Cancel; failures stay until
// dismissed, successes fade on their own.
import { useEffect } from 'react';
import { useApp, type JobView } from '../state/app-store';
import { cancelJob, dismissJob } from '../state/actions';
import { ErrorMessage } from './ErrorMessage';
import { JobProgress } from './JobProgress';

const DONE_VISIBLE_MS = 6000;

export function JobsPanel() {
  const jobs = useApp((s) => s.jobs);
  const shown = jobs.filter((j) => !j.dismissed);

  // Keyed on the finished jobs only: progress events of other jobs re-render
  // the panel several times a second and must not restart the timer.
  const doneKey = shown.filter((j) => j.state === 'done').map((j) => j.jobId).join(' ');
  useEffect(() => {
    if (doneKey === '') return;
    const t = setTimeout(() => doneKey.split(' ').forEach(dismissJob), DONE_VISIBLE_MS);
    return () => clearTimeout(t);
  }, [doneKey]);

  if (shown.length === 0) return null;
  return (
    <section className="jobs-panel" aria-label="Jobs">
      <h2 className="jobs-title">Jobs</h2>
      <ul>
        {shown.map((j) => <JobItem key={j.jobId} job={j} />)}
      </ul>
    </section>
  );
}

function JobItem({ job }: { job: JobView }) {
  return (
    <li className={`job job-${job.state}`} aria-label={`${job.label}: ${job.state}`}>
      <div className="job-line">
        <span className="job-label">{job.label}</span>
        <span className="job-state">{stateText(job)}</span>
        {job.state === 'running'
          ? <button type="button" className="small" aria-label={`Cancel ${job.label}`} onClick={() => void cancelJob(job.jobId)}>Cancel</button>
          : <button type="button" className="icon-button" aria-label={`Dismiss ${job.label}`} onClick={() => dismissJob(job.jobId)}>×</button>}
      </div>
      {job.state === 'running' && <JobProgress job={job} />}
      {job.state === 'failed' && job.error && <ErrorMessage error={job.error} />}
    </li>
  );
}

function stateText(job: JobView): string {
  switch (job.state) {
    case 'running': return '';
    case 'done': return 'done';
    case 'failed': return 'failed';
    case 'cancelled': return 'cancelled, nothing changed';
  }
}
