import { humanBytes, humanDuration } from '../../../src-shared/format';
import { secondsLeft } from '../lib/eta';
import type { JobView } from '../state/app-store';

/** A job's bar with bytes done, bytes in all and the time left. */
export function JobProgress({ job }: { job: JobView }) {
  const p = job.progress;
  const total = p?.bytesTotal ?? 0;
  const done = p?.bytesDone ?? 0;
  const left = p ? secondsLeft(job.samples, total) : null;
  const fraction = total > 0 ? Math.min(1, done / total) : null;
  return (
    <div className="job-progress">
      <progress
        max={1}
        value={fraction ?? undefined}
        aria-label={`${job.label} progress`}
        aria-valuetext={fraction === null ? 'starting' : `${Math.round(fraction * 100)}%`}
      />
      <div className="job-figures">
        <span>{p?.phase ? capitalize(p.phase) : 'Starting'}</span>
        {total > 0 && <span className="num">{humanBytes(done)} of {humanBytes(total)}</span>}
        {left !== null && <span className="muted">{humanDuration(left)} left</span>}
      </div>
    </div>
  );
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
