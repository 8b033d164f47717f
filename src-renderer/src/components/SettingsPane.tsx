// The store's settings (keepFullLatest, maxRouteRead, maxChainLength,
// autoCleanup), with a live preview of what a change frees or costs before it
// is saved: the cleanup planner's own figures for keepFullLatest
// (`cleanup.previewWith`, which changes nothing; what it deletes and what it
// packs shown apart), and an estimate from this store's history for
// maxRouteRead and maxChainLength. Errors show beside the field; saving is
// `settings.set`.
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { getApi } from '../api';
import type { Settings } from '../../../src-shared/contract';
import type { WeightlineErrorJSON } from '../../../src-shared/errors';
import { humanBytes } from '../../../src-shared/format';
import type { CleanupPlan } from '../../../src-shared/model';
import { toErrorJSON } from '../lib/error-words';
import {
  changesFrom, chainEstimate, checkDraft, cleanupDifference, draftOf, ROUTE_READ_MAX, ROUTE_READ_MIN,
  type ChainEstimate, type SettingsDraft,
} from '../lib/settings-form';
import { packSummary, packText } from '../lib/cleanup-words';
import { useApp } from '../state/app-store';
import { closeDialog, saveSettings } from '../state/actions';
import { Dialog } from './Dialog';
import { ErrorMessage } from './ErrorMessage';
import { SizeBar } from './SizeBar';
import { NumberField } from './SettingField';
import { RetentionSection } from './RetentionSection';

/** Typing "12" must not plan twice: wait for a pause. */
const PREVIEW_DELAY_MS = 300;

type PlanState = { readonly plan: CleanupPlan | null; readonly error: WeightlineErrorJSON | null; readonly loading: boolean };

export function SettingsPane() {
  const [saved, setSaved] = useState<Settings | null>(null);
  const [draft, setDraft] = useState<SettingsDraft | null>(null);
  const [loadError, setLoadError] = useState<WeightlineErrorJSON | null>(null);
  const [saveError, setSaveError] = useState<WeightlineErrorJSON | null>(null);
  const [saving, setSaving] = useState(false);
  const [base, setBase] = useState<PlanState>({ plan: null, error: null, loading: true });
  const [next, setNext] = useState<PlanState>({ plan: null, error: null, loading: false });
  const commits = useApp((s) => s.commits);

  useEffect(() => {
    let live = true;
    getApi().call('settings.get', {}).then((s) => {
      if (!live) return;
      setSaved(s);
      setDraft(draftOf(s));
    }, (e: unknown) => { if (live) setLoadError(toErrorJSON(e)); });
    return () => { live = false; };
  }, []);

  // The plan with the saved settings: what every figure is compared with.
  useEffect(() => {
    if (!saved) return;
    let live = true;
    setBase({ plan: null, error: null, loading: true });
    getApi().call('cleanup.previewWith', { keepFullLatest: saved.keepFullLatest }).then(
      (plan) => { if (live) setBase({ plan, error: null, loading: false }); },
      (e: unknown) => { if (live) setBase({ plan: null, error: toErrorJSON(e), loading: false }); },
    );
    return () => { live = false; };
  }, [saved]);

  const checked = useMemo(() => (draft ? checkDraft(draft) : null), [draft]);
  const keep = checked?.values?.keepFullLatest ?? null;

  // The plan with the draft's keepFullLatest, a moment after typing stops.
  useEffect(() => {
    if (!saved || keep === null || keep === saved.keepFullLatest) { setNext({ plan: null, error: null, loading: false }); return; }
    let live = true;
    setNext((n) => ({ ...n, loading: true }));
    const t = setTimeout(() => {
      getApi().call('cleanup.previewWith', { keepFullLatest: keep }).then(
        (plan) => { if (live) setNext({ plan, error: null, loading: false }); },
        (e: unknown) => { if (live) setNext({ plan: null, error: toErrorJSON(e), loading: false }); },
      );
    }, PREVIEW_DELAY_MS);
    return () => { live = false; clearTimeout(t); };
  }, [saved, keep]);

  const changes = saved && checked?.values ? changesFrom(saved, checked.values) : null;
  const dirty = !!changes && Object.keys(changes).length > 0;

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if (!changes || !dirty || saving) return;
    setSaving(true);
    setSaveError(null);
    try {
      const s = await saveSettings(changes);
      setSaved(s);
      setDraft(draftOf(s));
      closeDialog();
    } catch (err) {
      setSaveError(toErrorJSON(err));
    } finally {
      setSaving(false);
    }
  };

  const set = (patch: Partial<SettingsDraft>): void => setDraft((d) => (d ? { ...d, ...patch } : d));

  return (
    <Dialog title="Settings" onClose={closeDialog} wide busy={saving}>
      {loadError && <ErrorMessage error={loadError} />}
      {!draft && !loadError && <p className="muted">Reading the store’s settings…</p>}
      {draft && saved && checked && (
        <form className="form settings" onSubmit={(e) => void submit(e)} noValidate>
          <div className="settings-grid">
            <div className="settings-fields">
              <NumberField
                name="keepFullLatest" label="Keep full parameters of the newest" unit="commits per branch"
                hint="Cleanup keeps these (and every CHECKPOINT, branch tip, pinned or linked commit) fast to restore."
                value={draft.keepFullLatest} saved={saved.keepFullLatest} error={checked.errors.keepFullLatest} disabled={saving}
                onChange={(v) => set({ keepFullLatest: v })}
              />
              <NumberField
                name="maxRouteRead" label="Longest rebuild read" unit="× the model's size of deltas before a CHECKPOINT"
                hint="When a rebuild from the last CHECKPOINT would read more delta bytes than this many times the model's size, the next commit stores full parameters (a CHECKPOINT). Decimals allowed."
                value={draft.maxRouteRead} saved={saved.maxRouteRead} error={checked.errors.maxRouteRead} disabled={saving}
                decimals step={0.5} min={ROUTE_READ_MIN} max={ROUTE_READ_MAX}
                onChange={(v) => set({ maxRouteRead: v })}
              />
              <NumberField
                name="maxChainLength" label="Longest delta chain" unit="DELTAs before a CHECKPOINT"
                hint="After this many DELTAs in a row, the next commit stores full parameters (a CHECKPOINT), whatever their size."
                value={draft.maxChainLength} saved={saved.maxChainLength} error={checked.errors.maxChainLength} disabled={saving}
                onChange={(v) => set({ maxChainLength: v })}
              />
              <label className="switch">
                <input type="checkbox" role="switch" name="autoCleanup" checked={draft.autoCleanup} disabled={saving} onChange={(e) => set({ autoCleanup: e.target.checked })} />
                <span className="switch-track" aria-hidden="true" />
                <span>
                  Clean up after every commit
                  <span className="hint">autoCleanup: each commit then drops the full parameters nobody needs fast, as Cleanup does.</span>
                </span>
              </label>
            </div>
            <SettingsPreview
              saved={saved} values={checked.values} base={base} next={next} commits={commits}
            />
          </div>
          <RetentionSection draft={draft} saved={saved} errors={checked.errors} disabled={saving} set={set} />
          {saveError && <ErrorMessage error={saveError} />}
          <div className="dialog-buttons">
            <span className="settings-dirty muted" aria-live="polite">
              {checked.values === null ? `Fix the marked field${Object.keys(checked.errors).length > 1 ? 's' : ''} to save.` : dirty ? `${Object.keys(changes!).length} unsaved change${Object.keys(changes!).length === 1 ? '' : 's'}` : 'No changes'}
            </span>
            <button type="button" onClick={closeDialog} disabled={saving}>Cancel</button>
            <button type="submit" className="primary" disabled={!dirty || saving}>{saving ? 'Saving…' : 'Save'}</button>
          </div>
        </form>
      )}
      {!draft && (
        <div className="dialog-buttons"><button type="button" onClick={closeDialog}>Close</button></div>
      )}
    </Dialog>
  );
}

interface PreviewProps {
  readonly saved: Settings;
  readonly values: Settings | null;
  readonly base: PlanState;
  readonly next: PlanState;
  readonly commits: Parameters<typeof chainEstimate>[0];
}

function SettingsPreview({ saved, values, base, next, commits }: PreviewProps) {
  const keepChanged = values !== null && values.keepFullLatest !== saved.keepFullLatest;
  const chainChanged = values !== null && (values.maxChainLength !== saved.maxChainLength || values.maxRouteRead !== saved.maxRouteRead);
  const autoOn = values !== null && values.autoCleanup && !saved.autoCleanup;
  const autoOff = values !== null && !values.autoCleanup && saved.autoCleanup;
  // The draft's plan: the saved one when keepFullLatest is unchanged.
  const plan = keepChanged ? next.plan : base.plan;
  const loading = keepChanged ? next.loading || (!next.plan && !next.error) : base.loading;
  const error = keepChanged ? next.error : base.error;
  const diff = keepChanged && next.plan && base.plan ? cleanupDifference(next.plan, base.plan) : null;
  const chainNow = useMemo(() => chainEstimate(commits, saved.maxChainLength, saved.maxRouteRead), [commits, saved.maxChainLength, saved.maxRouteRead]);
  const chainNext = useMemo(() => (values ? chainEstimate(commits, values.maxChainLength, values.maxRouteRead) : null), [commits, values]);
  const packs = plan ? packSummary(plan) : null;
  const autoCleanup = values?.autoCleanup ?? saved.autoCleanup;

  return (
    <section className="settings-preview" aria-label="What this changes" aria-busy={loading}>
      <h3>What this changes</h3>
      <div className="preview-block" data-testid="preview-cleanup">
        <h4>Cleanup</h4>
        {values === null && <p className="muted">Fix the marked field to see what a cleanup would free.</p>}
        {values !== null && error && <ErrorMessage error={error} />}
        {values !== null && !error && (loading || !plan) && <p className="muted">Planning a cleanup with {keepChanged ? 'these' : 'the saved'} settings…</p>}
        {values !== null && !error && !loading && plan && (
          <>
            <p>
              {autoCleanup ? 'After the next commit, cleanup' : 'A cleanup now'} would free{' '}
              <strong data-testid="preview-freed" data-bytes={plan.bytesFreed}>{humanBytes(plan.bytesFreed)}</strong>
              {plan.commits.length > 0
                ? <> from {plan.commits.length} commit{plan.commits.length === 1 ? '' : 's'} (they stay restorable, rebuilt from deltas).</>
                : <>: every full copy on disk is still needed.</>}
            </p>
            {packs && (
              <p data-testid="preview-packs" data-bytes={packs.savedBytes}>
                It also {packText(packs, { outOf: values.keepFullLatest }).replace(/^Packs /, 'packs ')}.
              </p>
            )}
            {diff && (
              <p className={`preview-diff ${diff.delta > 0 ? 'frees-more' : diff.delta < 0 ? 'keeps-more' : ''}`} data-testid="preview-diff" data-bytes={diff.delta}>
                {diff.delta > 0 && <>That is <strong>{humanBytes(diff.delta)} more</strong> than with keepFullLatest {saved.keepFullLatest} ({humanBytes(diff.freedNow)}); restores of those commits replay deltas.</>}
                {diff.delta < 0 && <>That is <strong>{humanBytes(-diff.delta)} less</strong> than with keepFullLatest {saved.keepFullLatest} ({humanBytes(diff.freedNow)}). Commits already cleaned up stay rebuilt on demand.</>}
                {diff.delta === 0 && <>The same as with keepFullLatest {saved.keepFullLatest}.</>}
              </p>
            )}
            <SizeBar before={plan.storeBytesBefore} after={plan.storeBytesAfter} />
            {autoOn && <p className="hint">Turning on autoCleanup: every commit then runs this cleanup by itself.</p>}
            {autoOff && <p className="hint">Turning off autoCleanup: full parameters stay until you run Cleanup.</p>}
            {!autoCleanup && !autoOff && <p className="hint">Nothing is deleted until you run Cleanup (autoCleanup is off).</p>}
          </>
        )}
      </div>
      <div className="preview-block" data-testid="preview-chain">
        <h4>Delta chains <span className="muted">(estimate from this store’s averages)</span></h4>
        {chainNext && values ? (
          <>
            <p>
              One commit in {chainNext.checkpointEvery} becomes a CHECKPOINT (≈{humanBytes(chainNext.fullBytes)} of full parameters, kept);
              the others are DELTAs (≈{humanBytes(chainNext.deltaBytes)} each).{' '}
              <span className="muted" data-testid="preview-rule">{ruleWords(chainNext, values)}</span>
            </p>
            <dl className="preview-figures">
              <dt title="After cleanup: CHECKPOINTs keep full parameters, DELTAs keep their deltas">Disk per 100 commits</dt>
              <dd data-testid="preview-per100">≈{humanBytes(chainNext.per100Commits)}{chainChanged && chainNow && <span className="muted"> (now ≈{humanBytes(chainNow.per100Commits)})</span>}</dd>
              <dt>Slowest restore</dt>
              <dd>replays {chainNext.longestReplay} delta{chainNext.longestReplay === 1 ? '' : 's'}, reads ≈{humanBytes(chainNext.worstRestoreBytes)}{chainChanged && chainNow && <span className="muted"> (now {chainNow.longestReplay}, ≈{humanBytes(chainNow.worstRestoreBytes)})</span>}</dd>
            </dl>
            {chainChanged && <p className="hint">Applies to new commits; the history stays as it is.</p>}
          </>
        ) : (
          <p className="muted">{values ? 'No DELTA commits yet to estimate from.' : 'Fix the marked field to see an estimate.'}</p>
        )}
      </div>
    </section>
  );
}

/** Which of the two rules makes the CHECKPOINT, with this store's averages. */
function ruleWords(e: ChainEstimate, v: Settings): string {
  switch (e.rule) {
    case 'route-read': return `The read bound decides: ${e.longestReplay} delta${e.longestReplay === 1 ? '' : 's'} of this size reach ${v.maxRouteRead}× the model (maxRouteRead) before ${v.maxChainLength} DELTAs (maxChainLength).`;
    case 'chain-length': return `The chain bound decides: ${v.maxChainLength} DELTAs (maxChainLength) come before the deltas read ${v.maxRouteRead}× the model (maxRouteRead).`;
    case 'delta-too-large': return 'Deltas here are nearly as large as the model, so every commit stores full parameters.';
  }
}
