// Repair shows its plan before it runs: a dry run (read-only, beside any
// other job) hashes every object and says what would be set aside in the
// quarantine, which full copies would be rebuilt and how, and what becomes of
// each commit. Only the Repair button changes anything; afterwards the store
// is reloaded and verified again (state/actions.ts).
import { useEffect, useMemo, useState } from 'react';
import { shortId } from '../../../src-shared/format';
import type { WeightlineErrorJSON } from '../../../src-shared/errors';
import type { LogEntry, RepairResult } from '../../../src-shared/model';
import { toErrorJSON } from '../lib/error-words';
import { commitsToShow, outcomeCounts, outcomeText, repairHasWork, repairHeadline } from '../lib/repair-words';
import { useDialogJob } from '../hooks/use-dialog-job';
import { useJob } from '../hooks/use-job';
import { cancelJob, closeDialog, dismissJob, startJob, startRepair } from '../state/actions';
import { useApp } from '../state/app-store';
import { Dialog } from './Dialog';
import { ErrorMessage } from './ErrorMessage';
import { JobProgress } from './JobProgress';

const MAX_LISTED = 200;

export function RepairDialog() {
  const commits = useApp((s) => s.commits);
  const byId = useMemo(() => new Map<string, LogEntry>(commits.map((c) => [c.id, c])), [commits]);
  const preview = usePreview();
  const plan = preview.plan;
  const { jobId, setJobId, error, setError, running, job } = useDialogJob('The repair was cancelled; what it did so far is whole.');

  const confirm = async (): Promise<void> => {
    setError(null);
    try {
      setJobId(await startRepair());
    } catch (e) {
      setError(toErrorJSON(e));
    }
  };

  const label = (id: string): string => byId.get(id)?.message || '(no message)';
  const shown = plan ? commitsToShow(plan.commits) : [];
  const intact = plan ? outcomeCounts(plan.commits).intact : 0;
  return (
    <Dialog title="Repair" onClose={closeDialog} wide busy={running}>
      {preview.job && !plan && !preview.error && (
        <>
          <p className="muted">Checking every stored object against its name (nothing is changed)…</p>
          <JobProgress job={preview.job} />
        </>
      )}
      {preview.error && <ErrorMessage error={preview.error} />}
      {plan && (
        <div className="repair" aria-label="Repair preview" role="region">
          <p className="repair-headline" data-testid="repair-headline">{repairHeadline(plan)}</p>

          {plan.quarantined.length > 0 && (
            <section aria-label="Set aside">
              <h3>Set aside in .weightline/quarantine/ (kept, never deleted)</h3>
              <ul className="repair-list">
                {plan.quarantined.slice(0, MAX_LISTED).map((q) => (
                  <li key={q.object} data-object={q.object}>
                    <code title={q.object}>{shortId(q.object)}</code>
                    <span>{q.reason}</span>
                    <code className="path muted" title={q.path}>{relativeToStore(q.path)}</code>
                  </li>
                ))}
              </ul>
            </section>
          )}

          {plan.rebuilt.length > 0 && (
            <section aria-label="Rebuilt">
              <h3>Full copies rebuilt from intact bytes</h3>
              <ul className="repair-list">
                {plan.rebuilt.slice(0, MAX_LISTED).map((r) => (
                  <li key={r.object} data-object={r.object} data-commit={r.commit}>
                    <code title={r.commit}>{shortId(r.commit)}</code>
                    <span><code className="path">{r.path}</code> of “{label(r.commit)}”</span>
                    <span className="muted">{r.route}</span>
                  </li>
                ))}
              </ul>
            </section>
          )}

          <section aria-label="Commits after the repair">
            <h3>Commits after the repair</h3>
            {shown.length > 0 && (
              <ul className="outcome-list">
                {shown.slice(0, MAX_LISTED).map((c) => (
                  <li key={c.id} data-commit={c.id} data-outcome={c.outcome}>
                    <code title={c.id}>{shortId(c.id)}</code>
                    <span className="ellipsis" title={label(c.id)}>{label(c.id)}</span>
                    <span className={`outcome outcome-${c.outcome}`}>{outcomeText(c.outcome, plan.dryRun)}</span>
                    {c.detail && <span className="outcome-detail">{c.detail}</span>}
                  </li>
                ))}
              </ul>
            )}
            {shown.length > MAX_LISTED && <p className="muted">and {shown.length - MAX_LISTED} more</p>}
            {intact > 0 && <p className="muted outcome-intact">{shown.length > 0 ? `The other ${intact}` : `All ${intact}`} commit{intact === 1 ? ' is' : 's are'} intact.</p>}
          </section>
        </div>
      )}
      {job && running && <JobProgress job={job} />}
      {error && <ErrorMessage error={error} />}
      <div className="dialog-buttons">
        {running && jobId
          ? <button type="button" onClick={() => void cancelJob(jobId)}>Cancel repair</button>
          : <button type="button" onClick={closeDialog}>{plan && !repairHasWork(plan) ? 'Close' : 'Cancel'}</button>}
        <button type="button" className="primary" disabled={!plan || !repairHasWork(plan) || running} onClick={() => void confirm()}>
          Repair
        </button>
      </div>
    </Dialog>
  );
}

/** The dry run behind the preview: started when the dialog opens, stopped if it closes first. */
function usePreview(): { readonly plan: RepairResult | null; readonly error: WeightlineErrorJSON | null; readonly job: ReturnType<typeof useJob> } {
  const [jobId, setJobId] = useState<string | null>(null);
  const [error, setError] = useState<WeightlineErrorJSON | null>(null);
  const job = useJob(jobId);
  useEffect(() => {
    let live = true;
    let started: string | null = null;
    startJob({ kind: 'repair', dryRun: true }, 'Repair preview').then((id) => {
      started = id;
      if (live) setJobId(id);
      else void cancelJob(id);
    }, (e: unknown) => { if (live) setError(toErrorJSON(e)); });
    return () => {
      live = false;
      // Read-only: cancelling stops it at once. Its panel entry goes with the dialog.
      if (started) { void cancelJob(started); dismissJob(started); }
    };
  }, []);
  useEffect(() => {
    // Dismissing makes a new job view: once is enough.
    if (!job || !jobId || job.state === 'running' || job.dismissed) return;
    // The preview lives in the dialog, not in the jobs panel.
    dismissJob(jobId);
    if (job.state !== 'done') setError(job.error ?? { code: 'CANCELLED', message: 'The repair preview was stopped.' });
  }, [job, jobId]);
  const plan = job?.state === 'done' && job.result?.kind === 'repair' ? job.result.value : null;
  return { plan, error, job };
}

/** ".weightline/quarantine/…" reads better than the whole absolute path. */
function relativeToStore(p: string): string {
  const m = /[\\/](\.weightline[\\/].*)$/.exec(p);
  return m ? m[1]! : p;
}
