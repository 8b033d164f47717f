// The followed run's live line, under the toolbar for as long as the watch
// job runs: what its job says now (Progress.detail), and Stop. When it ends
// the strip says how (stopped, failed with its error) until closed.
import { useApp } from '../state/app-store';
import { dismissFollow, stopFollow } from '../state/actions';
import { ErrorMessage } from './ErrorMessage';

export function FollowStrip() {
  const job = useApp((s) => (s.followJobId ? s.jobs.find((j) => j.jobId === s.followJobId) ?? null : null));
  // Always an element: the app's grid keeps a row for it, empty when nothing is followed.
  if (!job) return <div className="follow-slot" />;
  const running = job.state === 'running';
  const line = job.progress?.detail ?? (job.progress?.phase ? job.progress.phase : 'starting…');
  return (
    <div className="follow-slot">
      <section className={`follow-strip follow-${job.state}`} aria-label="Following a run" aria-live="polite">
        <span className={`follow-dot${running ? ' live' : ''}`} aria-hidden="true" />
        <strong className="follow-label">{job.label}</strong>
        <span className="follow-detail" data-testid="follow-detail" title={line}>
          {running ? line : job.state === 'done' ? 'stopped' : job.state === 'cancelled' ? 'stopped' : 'failed'}
        </span>
        {running
          ? <button type="button" className="small" onClick={stopFollow}>Stop</button>
          : <button type="button" className="icon-button" aria-label="Close" onClick={dismissFollow}>×</button>}
      </section>
      {job.state === 'failed' && job.error && <div className="follow-error"><ErrorMessage error={job.error} /></div>}
    </div>
  );
}
