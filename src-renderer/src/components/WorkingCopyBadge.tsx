// The working copy against HEAD, always in the toolbar: "model.safetensors
// changed since HEAD" (with Commit… one click away), "matches HEAD", or "no
// working copy". The quick answer comes from file stats; when a file's stat
// changed since it was last hashed, the main side starts a workingCopy job that
// hashes it, and the badge says "checking…" with its progress until the main
// side's workingCopy event says what it found.
import { useEffect } from 'react';
import { describeWorkingCopy, pathToCommit } from '../lib/working-copy-words';
import { useJob } from '../hooks/use-job';
import { useApp } from '../state/app-store';
import { cancelWorkingCopyCheck, commitWorkingCopy, recheckWorkingCopy, refreshWorkingCopy } from '../state/actions';

/** Model files change outside the app (a training loop): look again this often while the window is visible. */
const POLL_MS = 4000;

export function WorkingCopyBadge() {
  const head = useApp((s) => s.head);
  const commitCount = useApp((s) => s.commits.length);
  const wc = useApp((s) => s.workingCopy);
  const job = useJob(wc.jobId);

  // Again whenever the history changes (a commit, a restore), on focus, and on a slow poll.
  useEffect(() => { void refreshWorkingCopy(); }, [head, commitCount]);
  useEffect(() => {
    const tick = (): void => { if (document.visibilityState === 'visible') void refreshWorkingCopy(); };
    const timer = setInterval(tick, POLL_MS);
    window.addEventListener('focus', tick);
    return () => { clearInterval(timer); window.removeEventListener('focus', tick); };
  }, []);

  const st = wc.state;
  if (!st) return null;
  const view = describeWorkingCopy(st, wc.jobId !== null);
  const fraction = job?.progress && job.progress.bytesTotal > 0 ? job.progress.bytesDone / job.progress.bytesTotal : null;
  return (
    <div className={`wc-badge wc-${view.tone}`} role="status" aria-label="Working copy" data-state={st.state} data-paths={st.paths.length} data-checking={wc.jobId ? 'true' : undefined}>
      <span className="wc-dot" aria-hidden="true" />
      <span className="wc-text" title={view.title + (wc.problem ? `\n(${wc.problem})` : '')}>
        {view.name && <code className="wc-name">{view.name}</code>}
        <span className="wc-words">{view.words}</span>
        {wc.jobId && (
          <span className="wc-progress muted">
            {' '}checking{fraction !== null ? ` ${Math.floor(fraction * 100)}%` : '…'}
          </span>
        )}
      </span>
      {wc.jobId && <button type="button" className="icon-button wc-cancel" aria-label="Cancel the working-copy check" title="Cancel the check" onClick={cancelWorkingCopyCheck}>×</button>}
      {!wc.jobId && st.state === 'probably-changed' && (
        <button type="button" className="link small-text" onClick={() => void recheckWorkingCopy()}>Check</button>
      )}
      {(st.state === 'changed' || st.state === 'probably-changed') && (
        <button type="button" className="small wc-commit" onClick={commitWorkingCopy} title={`Commit ${pathToCommit(st) ?? ''}`}>Commit…</button>
      )}
    </div>
  );
}
