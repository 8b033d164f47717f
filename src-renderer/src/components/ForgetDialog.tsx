// "Forget…": what goes and what stays (and why) before anything changes. The
// dry run is the forget job itself with dryRun (it re-bases into temp space,
// so the bytes are exact: the run reports the same figure); its progress and
// cancel show here. Only the confirm, which names the count and the bytes,
// forgets; what went can be put back from the trash (Undo) for trashDays.
import { useEffect, useMemo, useState } from 'react';
import { getApi } from '../api';
import { humanBytes, shortId } from '../../../src-shared/format';
import type { CommitId, ForgetPlan, LogEntry } from '../../../src-shared/model';
import type { RetentionPolicy } from '../../../src-shared/policy/retention';
import { forgetConfirmText, rebasedText, versionsText } from '../lib/forget-words';
import { policyKey } from '../lib/retention-form';
import { useForgetJob } from '../hooks/use-forget-job';
import { useApp } from '../state/app-store';
import { closeDialog, setRetentionExact } from '../state/actions';
import { Dialog } from './Dialog';
import { ErrorMessage } from './ErrorMessage';
import { JobProgress } from './JobProgress';
import { SizeBar } from './SizeBar';

const MAX_LISTED = 200;

interface Props {
  readonly refs?: readonly CommitId[] | undefined;
  readonly policy?: RetentionPolicy | undefined;
}

export function ForgetDialog({ refs, policy }: Props) {
  const commits = useApp((s) => s.commits);
  const exactKnown = useApp((s) => (policy && s.retention.exact?.key === policyKey(policy) ? s.retention.exact.plan : null));
  const byId = useMemo(() => new Map<string, LogEntry>(commits.map((c) => [c.id, c])), [commits]);
  const preview = useForgetJob('The preview was cancelled.');
  const run = useForgetJob('The forget was cancelled; nothing was forgotten.');
  const [trashDays, setTrashDays] = useState<number | null>(null);
  useEffect(() => {
    let live = true;
    getApi().call('settings.get', {}).then((s) => { if (live) setTrashDays(s.trashDays); }, () => undefined);
    return () => { live = false; };
  }, []);

  // The exact plan: the one the retention section already ran for this policy, else a dry run now.
  useEffect(() => {
    if (!exactKnown) void preview.start({ ...(policy ? { policy } : {}), ...(refs ? { refs } : {}) }, true);
    // Once, for the dialog's request.
  }, []);
  const plan: ForgetPlan | null = exactKnown ?? preview.plan;
  useEffect(() => { if (policy && preview.plan) setRetentionExact({ key: policyKey(policy), plan: preview.plan }); }, [preview.plan]);

  // Done: the notice (with Undo) says what went; the dialog closes (actions.onJobEvent).
  useEffect(() => { if (run.plan) closeDialog(); }, [run.plan]);

  const busy = preview.running || run.running;
  const label = (id: string): string => byId.get(id)?.message || '(no message)';
  const gone = plan ? plan.commits.filter((c) => c.verdict === 'forget') : [];
  // Named commits: the ones that stay are those named but protected (the rest were simply not named).
  const kept = plan ? plan.commits.filter((c) => c.verdict === 'keep' && (!refs || !(c.reasons.length === 1 && c.reasons[0] === 'not named'))) : [];
  const rebased = plan ? plan.commits.filter((c) => c.rebasedOnto !== undefined) : [];
  const title = refs ? (refs.length === 1 ? `Forget ${shortId(refs[0]!)}` : `Forget ${versionsText(refs.length)}`) : 'Forget by policy';

  return (
    <Dialog title={title} onClose={closeDialog} wide busy={busy}>
      {!plan && preview.running && <p className="muted">Working out exactly what a forget would free: re-basing the kept versions into temp space…</p>}
      {!plan && preview.job && preview.running && (
        <div className="forget-running">
          <JobProgress job={preview.job} />
        </div>
      )}
      {preview.error && <ErrorMessage error={preview.error} />}
      {plan && (
        <div className="forget">
          <p className="forget-headline" data-testid="forget-headline">
            {plan.forgotten === 0
              ? 'Nothing would be forgotten: every version named is kept (see why below).'
              : <>Forgets <strong data-testid="forget-count" data-count={plan.forgotten}>{versionsText(plan.forgotten)}</strong> and frees exactly{' '}
                <strong data-testid="forget-freed" data-bytes={plan.bytesFreed}>{humanBytes(Math.max(0, plan.bytesFreed))}</strong> once the trash is emptied
                {plan.bytesAdded > 0 && <> (re-based routes of the kept versions take {humanBytes(plan.bytesAdded)})</>}.
                Every kept version stays restorable, bit for bit.</>}
          </p>
          <SizeBar before={plan.storeBytesBefore} after={plan.storeBytesAfter} />
          {gone.length > 0 && (
            <section aria-label="Versions that go">
              <h3>Go</h3>
              <ul className="forget-list" data-testid="forget-gone">
                {gone.slice(0, MAX_LISTED).map((c) => (
                  <li key={c.id} data-commit={c.id}>
                    <code>{shortId(c.id)}</code>
                    <span className="ellipsis forget-gone-message">{label(c.id)}</span>
                    <span className="muted num">{byId.get(c.id)?.meta?.step !== undefined ? `step ${byId.get(c.id)!.meta!.step}` : ''}</span>
                  </li>
                ))}
              </ul>
              {gone.length > MAX_LISTED && <p className="muted">and {gone.length - MAX_LISTED} more</p>}
            </section>
          )}
          {kept.length > 0 && (
            <section aria-label="Kept, and why">
              <h3>{refs ? 'Named but kept, and why' : 'Kept, and why'}</h3>
              <ul className="forget-list forget-kept" data-testid="forget-kept">
                {kept.slice(0, MAX_LISTED).map((c) => (
                  <li key={c.id} data-commit={c.id}>
                    <code>{shortId(c.id)}</code>
                    <span className="ellipsis">{label(c.id)}</span>
                    <span className="kept-reasons">{c.reasons.join(', ')}</span>
                  </li>
                ))}
              </ul>
              {kept.length > MAX_LISTED && <p className="muted">and {kept.length - MAX_LISTED} more</p>}
            </section>
          )}
          {rebased.length > 0 && (
            <p className="hint" data-testid="forget-rebased">
              {rebased.length === 1 ? 'One kept version' : `${rebased.length} kept versions`} had a delta against a version that goes:{' '}
              {rebased.slice(0, 3).map((c) => `${shortId(c.id)} ${rebasedText(c.rebasedOnto, c.rebasedBytes)}`).join('; ')}
              {rebased.length > 3 ? `; and ${rebased.length - 3} more` : ''}. Commit ids do not change.
            </p>
          )}
        </div>
      )}
      {plan && plan.forgotten > 0 && trashDays !== null && (
        <p className="hint forget-trash" data-testid="forget-trash">
          {trashDays > 0
            ? `What goes is kept in the trash for ${trashDays} day${trashDays === 1 ? '' : 's'} (or until a commit needs the space): Undo puts it back.`
            : 'trashDays is 0: the space is freed at once and this cannot be undone.'}
        </p>
      )}
      {run.job && run.running && <JobProgress job={run.job} />}
      {run.error && <ErrorMessage error={run.error} />}
      <div className="dialog-buttons">
        {preview.running
          ? <button type="button" onClick={preview.cancel}>Cancel preview</button>
          : run.running
            ? <button type="button" onClick={run.cancel}>Cancel forget</button>
            : <button type="button" onClick={closeDialog}>Close</button>}
        <button
          type="button" className="primary danger" data-testid="forget-confirm"
          disabled={!plan || plan.forgotten === 0 || busy}
          onClick={() => void run.start({ ...(policy ? { policy } : {}), ...(refs ? { refs } : {}) }, false)}
        >
          {plan ? forgetConfirmText(plan) : 'Forget'}
        </button>
      </div>
    </Dialog>
  );
}
