// Cleanup shows its plan before it runs: which commits lose their full
// parameters and what each frees, which CHECKPOINTs are packed and what that
// saves (kept apart: packing deletes no version's full parameters), the store
// before and after, how restores get slower, and what is kept and why. Only
// Confirm changes anything.
import { useEffect, useMemo, useState } from 'react';
import { getApi } from '../api';
import { humanBytes, shortId } from '../../../src-shared/format';
import type { CleanupPlan, LogEntry } from '../../../src-shared/model';
import { KEEP_REASON_TEXT, reasonCounts } from '../lib/keep-reasons';
import { hasWork, packSummary, packText } from '../lib/cleanup-words';
import { toErrorJSON } from '../lib/error-words';
import { useDialogJob } from '../hooks/use-dialog-job';
import { useApp } from '../state/app-store';
import { cancelJob, closeDialog, startJob } from '../state/actions';
import { Dialog } from './Dialog';
import { ErrorMessage } from './ErrorMessage';
import { JobProgress } from './JobProgress';
import { SizeBar } from './SizeBar';

const MAX_LISTED = 200;

export function CleanupDialog() {
  const commits = useApp((s) => s.commits);
  const byId = useMemo(() => new Map<string, LogEntry>(commits.map((c) => [c.id, c])), [commits]);
  const [plan, setPlan] = useState<CleanupPlan | null>(null);
  const { jobId, setJobId, error, setError, running, job } = useDialogJob('The cleanup was cancelled.');

  useEffect(() => {
    let live = true;
    getApi().call('cleanup.preview', {}).then((p) => { if (live) setPlan(p); }, (e: unknown) => { if (live) setError(toErrorJSON(e)); });
    return () => { live = false; };
  }, []);


  const confirm = async (): Promise<void> => {
    setError(null);
    try {
      setJobId(await startJob({ kind: 'cleanup' }));
    } catch (e) {
      setError(toErrorJSON(e));
    }
  };

  const label = (id: string): string => byId.get(id)?.message || '(no message)';
  const packs = plan ? packSummary(plan) : null;
  const packedIds = new Set(plan?.packs.map((p) => p.id) ?? []);
  return (
    <Dialog title="Cleanup preview" onClose={closeDialog} wide busy={running}>
      {plan === null && !error && <p className="muted">Working out what a cleanup would free…</p>}
      {plan && (
        <div className="cleanup">
          <p className="cleanup-headline">
            {!hasWork(plan) && 'Nothing to clean up: every full copy on disk is still needed.'}
            {hasWork(plan) && plan.commits.length === 0 && 'No commit loses its full parameters.'}
            {plan.commits.length > 0 && <>Frees <strong data-testid="cleanup-freed" data-bytes={plan.bytesFreed}>{humanBytes(plan.bytesFreed)}</strong> by dropping the full parameters of {plan.commits.length} commit{plan.commits.length === 1 ? '' : 's'}. They stay restorable, rebuilt from deltas.</>}
          </p>
          {packs && (
            <p className="cleanup-packs" data-testid="cleanup-packs" data-bytes={packs.savedBytes}>
              {packText(packs)}.{' '}
              <span className="muted">
                Their full parameters stay on disk as byte planes + zstd: a restore decodes them instead of copying.
              </span>
            </p>
          )}
          <SizeBar before={plan.storeBytesBefore} after={plan.storeBytesAfter} />

          {plan.commits.length > 0 && (
            <section aria-label="Commits that lose their full parameters">
              <h3>Lose their full parameters</h3>
              <div className="plan-table" role="table" aria-label="Commits that lose their full parameters">
                <div role="row" className="plan-row plan-head">
                  <span role="columnheader">Commit</span>
                  <span role="columnheader" className="num">Frees</span>
                  <span role="columnheader" className="num">Restore replays</span>
                  <span role="columnheader" className="num">Restore reads</span>
                </div>
                {plan.commits.slice(0, MAX_LISTED).map((c) => (
                  <div role="row" className="plan-row" key={c.id} data-commit={c.id}>
                    <span role="cell" className="plan-commit"><code>{shortId(c.id)}</code> <span className="ellipsis">{label(c.id)}</span></span>
                    <span role="cell" className="num" data-bytes={c.bytesFreed}>{humanBytes(c.bytesFreed)}</span>
                    <span role="cell" className="num">{c.chainBefore} → {c.chainAfter} delta{c.chainAfter === 1 ? '' : 's'}</span>
                    <span role="cell" className="num">{humanBytes(c.readBytesBefore)} → {humanBytes(c.readBytesAfter)}</span>
                  </div>
                ))}
              </div>
              {plan.commits.length > MAX_LISTED && <p className="muted">and {plan.commits.length - MAX_LISTED} more</p>}
            </section>
          )}

          <section aria-label="Kept">
            <h3>Kept, and why</h3>
            <p className="reason-summary">
              {reasonCounts(plan.kept).map((r) => (
                <span key={r.reason} className="reason-chip">{KEEP_REASON_TEXT[r.reason]} <span className="muted">{r.count}</span></span>
              ))}
            </p>
            <ul className="kept-list">
              {plan.kept.filter((k) => !(k.reasons.length === 1 && k.reasons[0] === 'already-pruned')).slice(0, MAX_LISTED).map((k) => (
                <li key={k.id} data-commit={k.id}>
                  <code>{shortId(k.id)}</code>
                  <span className="ellipsis">{label(k.id)}</span>
                  <span className="kept-reasons">{k.reasons.map((r) => KEEP_REASON_TEXT[r]).join(', ')}{k.detail ? `: ${k.detail}` : ''}</span>
                  {packedIds.has(k.id) && <span className="badge badge-packed" data-testid="kept-packed" title="Cleanup keeps its full parameters packed (byte planes + zstd) instead of raw">packed</span>}
                </li>
              ))}
            </ul>
          </section>
        </div>
      )}
      {job && running && <JobProgress job={job} />}
      {error && <ErrorMessage error={error} />}
      <div className="dialog-buttons">
        {running && jobId
          ? <button type="button" onClick={() => void cancelJob(jobId)}>Cancel cleanup</button>
          : <button type="button" onClick={closeDialog}>Close</button>}
        <button type="button" className="primary" disabled={!plan || !hasWork(plan) || running} onClick={() => void confirm()}>
          Confirm cleanup
        </button>
      </div>
    </Dialog>
  );
}
