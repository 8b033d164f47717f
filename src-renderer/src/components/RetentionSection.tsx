// The settings pane's Retention section: a draft policy in restic's words
// (keep last, keep best by a metric the runs log, keep every Nth, keep
// within), previewed live on the graph as it is typed (the shared rule played
// on the log: lib/retention-form.ts), with the exact bytes from the forget
// preview job, a confirm that names count and bytes, and "Save as the store's
// policy" (retention.set). Beside it the trash and disk-budget settings, which
// the pane saves with the others.
import { useEffect, useId, useMemo, useState } from 'react';
import { getApi } from '../api';
import type { Settings } from '../../../src-shared/contract';
import { humanBytes } from '../../../src-shared/format';
import { isEmptyPolicy, policyText, type RetentionPolicy } from '../../../src-shared/policy/retention';
import { metricNames } from '../lib/run-metrics';
import {
  checkRetentionDraft, estimatePreview, exactPreview, policyKey, reasonTally, retentionDraftOf,
  type RetentionDraft, type RetentionPreview,
} from '../lib/retention-form';
import { versionsText } from '../lib/forget-words';
import type { SettingsDraft } from '../lib/settings-form';
import { toErrorJSON } from '../lib/error-words';
import { useForgetJob } from '../hooks/use-forget-job';
import { useApp } from '../state/app-store';
import { closeDialog, openDialog, reportError, saveRetentionPolicy, setRetentionDraft, setRetentionExact } from '../state/actions';
import { ErrorMessage } from './ErrorMessage';
import { JobProgress } from './JobProgress';
import { NumberField } from './SettingField';

interface Props {
  readonly draft: SettingsDraft;
  readonly saved: Settings;
  readonly errors: Partial<Record<'trashDays' | 'maxStoreBytes' | 'minFreeBytes', string>>;
  readonly disabled: boolean;
  readonly set: (patch: Partial<SettingsDraft>) => void;
}

/** The preview the graph shows for a policy: the exact plan when the preview job has answered for it, else the rule played on the log. */
export function usePreview(policy: RetentionPolicy | null): RetentionPreview | null {
  const commits = useApp((s) => s.commits);
  const head = useApp((s) => s.head);
  const exact = useApp((s) => s.retention.exact);
  return useMemo(() => {
    if (!policy || isEmptyPolicy(policy)) return null;
    if (exact && exact.key === policyKey(policy)) return exactPreview(exact.plan);
    return estimatePreview(commits, head, policy);
  }, [commits, head, exact, policy]);
}

export function RetentionSection({ draft, saved, errors, disabled, set }: Props) {
  const commits = useApp((s) => s.commits);
  const metrics = useMemo(() => metricNames(commits).filter((m) => !m.bookkeeping), [commits]);
  const [stored, setStored] = useState<RetentionPolicy | null | undefined>(undefined);
  const [form, setForm] = useState<RetentionDraft | null>(null);
  const ids = { last: useId(), best: useId(), metric: useId(), dir: useId(), every: useId(), within: useId() };

  useEffect(() => {
    let live = true;
    getApi().call('retention.get', {}).then((r) => {
      if (!live) return;
      setStored(r.policy);
      // Back from the graph ("Edit policy…"): the draft on show, not the stored one.
      setForm(retentionDraftOf(useApp.getState().retention.draft ?? r.policy));
    }, () => { if (live) { setStored(null); setForm(retentionDraftOf(useApp.getState().retention.draft)); } });
    return () => { live = false; };
  }, []);

  const checked = useMemo(() => (form ? checkRetentionDraft(form) : null), [form]);
  const policy = checked?.policy ?? null;
  const key = policyKey(policy);
  const touched = form !== null && stored !== undefined && key !== policyKey(stored ?? null);
  const active = policy !== null && !isEmptyPolicy(policy);
  const preview = usePreview(active ? policy : null);
  const exact = useForgetJob('The preview was cancelled.');

  // The graph previews the draft once the person has changed it (not the stored policy merely shown).
  useEffect(() => {
    if (touched && active) setRetentionDraft(policy);
    else setRetentionDraft(null);
    // Keyed on the policy's value, not the object made on each keystroke.
  }, [key, touched, active]);

  // Closing the pane ends the preview, unless it was put on the graph ("Show on the graph", "Forget…").
  useEffect(() => () => { if (!useApp.getState().retention.onGraph) setRetentionDraft(null); }, []);

  // The exact preview answers for the policy it ran with: the graph uses it while the draft is that policy.
  const [exactFor, setExactFor] = useState<string | null>(null);
  useEffect(() => {
    if (exact.plan && exact.plan.dryRun && exactFor !== null) setRetentionExact({ key: exactFor, plan: exact.plan });
  }, [exact.plan, exactFor]);
  const exactPlan = exact.plan && exactFor === key ? exact.plan : null;

  const change = (patch: Partial<RetentionDraft>): void => setForm((f) => (f ? { ...f, ...patch } : f));
  const runExact = (): void => {
    if (!policy) return;
    setExactFor(key);
    void exact.start({ policy }, true);
  };
  const saveAsStore = async (): Promise<void> => {
    try {
      await saveRetentionPolicy(active ? policy : null);
      setStored(active ? policy : null);
    } catch (e) {
      reportError(toErrorJSON(e));
    }
  };
  const tally = preview ? reasonTally(preview).slice(0, 6) : [];

  return (
    <section className="retention" aria-label="Retention">
      <h3>Retention <span className="muted">(forget versions by a policy; kept ones stay bit-exact)</span></h3>
      <div className="retention-grid">
        <div className="retention-fields">
          {!form && <p className="muted">Reading the store’s retention policy…</p>}
          {form && (
            <>
              <div className={`field retention-field${checked?.errors.keepLast ? ' invalid' : ''}`}>
                <label htmlFor={ids.last}>Keep the newest <span className="muted">(--keep-last)</span></label>
                <div className="settings-input-row">
                  <input id={ids.last} name="keepLast" type="text" inputMode="numeric" value={form.keepLast} placeholder="–" disabled={disabled}
                    aria-invalid={checked?.errors.keepLast ? true : undefined} onChange={(e) => change({ keepLast: e.target.value })} />
                  <span className="settings-unit muted">versions of each run</span>
                </div>
                {checked?.errors.keepLast && <span className="field-error" role="alert">{checked.errors.keepLast}</span>}
              </div>
              <div className={`field retention-field${checked?.errors.keepBest ? ' invalid' : ''}`}>
                <label htmlFor={ids.best}>Keep the best <span className="muted">(--keep-best)</span></label>
                <div className="settings-input-row">
                  <input id={ids.best} name="bestCount" type="text" inputMode="numeric" value={form.bestCount} placeholder="–" disabled={disabled}
                    aria-invalid={checked?.errors.keepBest ? true : undefined} onChange={(e) => change({ bestCount: e.target.value })} />
                  <span className="muted retention-by">by</span>
                  <select id={ids.metric} name="bestMetric" aria-label="Metric to rank by" value={form.bestMetric} disabled={disabled || metrics.length === 0}
                    onChange={(e) => change({ bestMetric: e.target.value, ...(form.bestCount.trim() === '' && e.target.value ? { bestCount: '1' } : {}) })}>
                    <option value="">{metrics.length === 0 ? 'no metrics logged' : 'a metric…'}</option>
                    {metrics.map((m) => <option key={m.name} value={m.name}>{m.name}</option>)}
                    {form.bestMetric && !metrics.some((m) => m.name === form.bestMetric) && <option value={form.bestMetric}>{form.bestMetric}</option>}
                  </select>
                  <select id={ids.dir} name="bestDirection" aria-label="Which way is better" value={form.bestDirection} disabled={disabled}
                    onChange={(e) => change({ bestDirection: e.target.value as RetentionDraft['bestDirection'] })}>
                    <option value="auto">{form.bestMetric ? `auto: ${metrics.find((m) => m.name === form.bestMetric)?.direction === 'higher' ? 'max' : 'min'}` : 'auto'}</option>
                    <option value="min">min: smaller is better</option>
                    <option value="max">max: larger is better</option>
                  </select>
                </div>
                {checked?.errors.keepBest && <span className="field-error" role="alert">{checked.errors.keepBest}</span>}
              </div>
              <div className={`field retention-field${checked?.errors.keepEvery ? ' invalid' : ''}`}>
                <label htmlFor={ids.every}>Keep every <span className="muted">(--keep-every)</span></label>
                <div className="settings-input-row">
                  <input id={ids.every} name="keepEvery" type="text" inputMode="numeric" value={form.keepEvery} placeholder="–" disabled={disabled}
                    aria-invalid={checked?.errors.keepEvery ? true : undefined} onChange={(e) => change({ keepEvery: e.target.value })} />
                  <span className="settings-unit muted">th version (by step where the run logs steps)</span>
                </div>
                {checked?.errors.keepEvery && <span className="field-error" role="alert">{checked.errors.keepEvery}</span>}
              </div>
              <div className={`field retention-field${checked?.errors.keepWithin ? ' invalid' : ''}`}>
                <label htmlFor={ids.within}>Keep everything within <span className="muted">(--keep-within)</span></label>
                <div className="settings-input-row">
                  <input id={ids.within} name="keepWithin" type="text" value={form.keepWithin} placeholder="e.g. 7d" disabled={disabled}
                    aria-invalid={checked?.errors.keepWithin ? true : undefined} onChange={(e) => change({ keepWithin: e.target.value })} />
                  <span className="settings-unit muted">of the newest commit (7d, 2w, 36h, 1y6m)</span>
                </div>
                {checked?.errors.keepWithin && <span className="field-error" role="alert">{checked.errors.keepWithin}</span>}
              </div>
              <p className="hint">Always kept: HEAD, pinned, tagged and linked versions, and the newest of every branch.</p>
            </>
          )}
          <NumberField
            name="trashDays" label="Keep forgotten versions in the trash for" unit="days (an undo can bring them back)"
            hint="0: a forget frees its space at once and cannot be undone. A commit that needs the space empties the oldest trash first."
            value={draft.trashDays} saved={saved.trashDays} error={errors.trashDays} disabled={disabled} max={365} min={0}
            onChange={(v) => set({ trashDays: v })}
          />
          <NumberField
            name="maxStoreBytes" label="Disk budget for the store" unit="(like 50G; 0: none)" savedText={humanBytes(saved.maxStoreBytes)}
            hint="A commit that would take the store past this applies the stored policy (autoForget) or is refused before writing."
            value={draft.maxStoreBytes} saved={saved.maxStoreBytes} error={errors.maxStoreBytes} disabled={disabled} text
            onChange={(v) => set({ maxStoreBytes: v })}
          />
          <NumberField
            name="minFreeBytes" label="Keep free on the disk" unit="(like 10G; 0: none)" savedText={humanBytes(saved.minFreeBytes)}
            hint="Checked like the budget, before a commit writes."
            value={draft.minFreeBytes} saved={saved.minFreeBytes} error={errors.minFreeBytes} disabled={disabled} text
            onChange={(v) => set({ minFreeBytes: v })}
          />
          <label className="switch">
            <input type="checkbox" role="switch" name="autoForget" checked={draft.autoForget} disabled={disabled} onChange={(e) => set({ autoForget: e.target.checked })} />
            <span className="switch-track" aria-hidden="true" />
            <span>
              Apply the store’s policy by itself
              <span className="hint">autoForget: after every cleanup, and when a commit would break the disk budget.</span>
            </span>
          </label>
        </div>
        <div className="settings-preview retention-preview" data-testid="retention-preview" aria-live="polite">
          <h4>On the graph</h4>
          {!active && <p className="muted">{checked && checked.policy === null ? 'Fix the marked field to see what would go.' : 'Name a rule to see which versions would go.'}</p>}
          {active && preview && (
            <>
              <p data-testid="retention-counts" data-forget={preview.forget} data-keep={preview.keep}>
                <strong>{versionsText(preview.forget)}</strong> would go, {preview.keep} stay{' '}
                <span className="muted">({preview.source === 'exact' ? 'exact, from the forget preview' : 'from the log; links are read by the exact preview'})</span>
              </p>
              <p className="reason-summary">
                {tally.map((t) => <span key={t.reason} className="reason-chip">{t.reason} <span className="muted">{t.count}</span></span>)}
              </p>
              <p className="muted policy-text"><code>weightline forget {policyText(policy)}</code></p>
              {exact.running && exact.job && (
                <div className="retention-exact-running">
                  <JobProgress job={exact.job} />
                  <button type="button" className="small" onClick={exact.cancel}>Cancel preview</button>
                </div>
              )}
              {exactPlan && (
                <p data-testid="retention-exact" data-bytes={exactPlan.bytesFreed}>
                  Frees exactly <strong>{humanBytes(Math.max(0, exactPlan.bytesFreed))}</strong> ({exactPlan.bytesFreed.toLocaleString('en-US')} bytes) once the trash is emptied:
                  the store goes from {humanBytes(exactPlan.storeBytesBefore)} to {humanBytes(exactPlan.storeBytesAfter)}.
                </p>
              )}
              {exact.error && <ErrorMessage error={exact.error} />}
              <div className="retention-buttons">
                <button type="button" className="small" disabled={disabled || exact.running} onClick={runExact}>Preview exact bytes</button>
                <button type="button" className="small" disabled={disabled} onClick={() => { setRetentionDraft(policy, { onGraph: true }); closeDialog(); }}>Show on the graph</button>
                <button
                  type="button" className="small danger" disabled={disabled || preview.forget === 0}
                  onClick={() => { setRetentionDraft(policy, { onGraph: true }); openDialog({ kind: 'forget', policy: policy! }); }}
                >
                  Forget {versionsText(preview.forget)}…
                </button>
              </div>
            </>
          )}
          <div className="retention-buttons">
            <button type="button" className="small" disabled={disabled || !form || checked?.policy === null || !touched} onClick={() => void saveAsStore()}>
              {active ? 'Save as the store’s policy' : 'Remove the store’s policy'}
            </button>
            <span className="muted small-text">{stored ? <>Stored: <code>{policyText(stored)}</code></> : 'No policy stored.'}</span>
          </div>
        </div>
      </div>
    </section>
  );
}
