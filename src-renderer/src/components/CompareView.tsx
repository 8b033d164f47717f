// Comparing any two commits: A (the base) and B. Picked by Ctrl/Cmd-click on a
// second row (the selected row is A), or "Compare with…" in a row's context
// menu and then a click on B. A child against its parent reads the figures
// stored at commit time; any other pair runs a diff job (progress, Cancel).
// The per-tensor figures use the same TensorTable and LayerChart as the
// details pane.
import { useEffect, useMemo } from 'react';
import { shortId } from '../../../src-shared/format';
import type { CommitId, LogEntry } from '../../../src-shared/model';
import { compareSummary, formatFraction, formatMaxAbs, relationText } from '../lib/compare';
import { formatRelChange } from '../lib/tensor-rows';
import { useJob } from '../hooks/use-job';
import { useApp, type CompareState } from '../state/app-store';
import { beginComparePick, cancelComparePick, cancelJob, closeCompare, startCompare } from '../state/actions';
import { Dialog } from './Dialog';
import { ErrorMessage } from './ErrorMessage';
import { JobProgress } from './JobProgress';
import { TensorChanges } from './TensorChanges';

const GRAPH_ROW = '[role="listbox"][aria-label="Commits, newest first"] [role="option"][data-commit]';

export function CompareView() {
  const open = useApp((s) => s.dialog?.kind === 'compare');
  const compare = useApp((s) => s.compare);
  const pick = useApp((s) => s.comparePick);
  useCompareClicks();
  return (
    <>
      {pick && <PickBanner a={pick} />}
      {open && compare && <CompareDialog compare={compare} />}
    </>
  );
}

/**
 * Clicks on graph rows, seen before the row's own handler selects it (window,
 * capture phase), so the commit selected until then is still known: with
 * Ctrl/Cmd held it is A and the clicked row B; after "Compare with…" the
 * clicked row is B. The row's handler then selects B as usual.
 */
function useCompareClicks(): void {
  useEffect(() => {
    const onClick = (e: MouseEvent): void => {
      const target = e.target instanceof Element ? e.target.closest<HTMLElement>(GRAPH_ROW) : null;
      const b = target?.dataset.commit as CommitId | undefined;
      if (!b || e.button !== 0) return;
      const s = useApp.getState();
      if (s.comparePick) {
        if (s.comparePick !== b) void startCompare(s.comparePick, b);
        return;
      }
      if ((e.ctrlKey || e.metaKey) && s.selectedId && s.selectedId !== b) void startCompare(s.selectedId, b);
    };
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === 'Escape' && useApp.getState().comparePick) cancelComparePick();
    };
    window.addEventListener('click', onClick, true);
    window.addEventListener('keydown', onKey);
    return () => { window.removeEventListener('click', onClick, true); window.removeEventListener('keydown', onKey); };
  }, []);
}

function PickBanner({ a }: { a: CommitId }) {
  const entry = useApp((s) => s.commits.find((c) => c.id === a));
  return (
    <div className="compare-pick" role="status" aria-label="Pick a commit to compare">
      <span>
        Compare <code>{shortId(a)}</code> <span className="compare-pick-message">{entry?.message || ''}</span> with… click another commit in the graph.
      </span>
      <button type="button" className="small" onClick={cancelComparePick}>Cancel</button>
    </div>
  );
}

function CompareDialog({ compare }: { compare: CompareState }) {
  const commits = useApp((s) => s.commits);
  const byId = useMemo(() => new Map<string, LogEntry>(commits.map((c) => [c.id, c])), [commits]);
  const job = useJob(compare.jobId);
  const files = compare.result?.files ?? null;
  const summary = useMemo(() => (files ? compareSummary(files) : null), [files]);
  const running = !compare.result && !compare.error && !compare.cancelled;
  const relation = useMemo(() => relationText(commits, compare.a, compare.b, shortId), [commits, compare.a, compare.b]);

  return (
    <Dialog title="Compare commits" onClose={closeCompare} wide>
      <div className="compare" data-source={compare.source}>
        <div className="compare-pair">
          <CommitChip label="A" id={compare.a} entry={byId.get(compare.a)} />
          <span className="compare-arrow" aria-hidden="true">→</span>
          <CommitChip label="B" id={compare.b} entry={byId.get(compare.b)} />
          <div className="compare-pair-actions">
            <button type="button" className="small" onClick={() => void startCompare(compare.b, compare.a, { keepOrder: true })} title="Compare B → A instead">Swap</button>
            <button type="button" className="small" onClick={() => { closeCompare(); beginComparePick(compare.a); }} title="Keep A, pick another B in the graph">Change B…</button>
          </div>
        </div>
        <p className="compare-relation muted">
          {relation}{' '}
          {compare.source === 'stored'
            ? 'Figures stored when B was committed.'
            : 'Figures computed by reading both versions (a compare job).'}
        </p>

        {running && (
          <div className="compare-running">
            {job ? <JobProgress job={job} /> : <p className="muted">Reading the figures…</p>}
            {compare.jobId && <button type="button" onClick={() => void cancelJob(compare.jobId!)}>Cancel comparison</button>}
          </div>
        )}
        {compare.cancelled && (
          <p className="compare-cancelled" role="status">
            Comparison cancelled; nothing changed.{' '}
            <button type="button" className="link" onClick={() => void startCompare(compare.a, compare.b, { keepOrder: true })}>Compare again</button>
          </p>
        )}
        {compare.error && <ErrorMessage error={compare.error} />}

        {files && summary && (
          <>
            <p className="compare-summary" data-testid="compare-summary">
              <strong>{summary.changed}</strong> of {summary.tensors} tensor{summary.tensors === 1 ? '' : 's'} changed
              {summary.added > 0 && <> · {summary.added} added</>}
              {summary.removed > 0 && <> · {summary.removed} removed</>}
              {summary.files > 1 && <> · {summary.filesChanged} of {summary.files} files changed</>}
            </p>
            {summary.largest.length > 0 && (
              <section aria-label="Largest changes">
                <h3>Largest changes</h3>
                <div className="compare-top" role="table" aria-label="Largest changes">
                  <div role="row" className="compare-top-row compare-top-head">
                    <span role="columnheader">Tensor</span>
                    <span role="columnheader" className="num" title="Share of elements whose value differs">Changed</span>
                    <span role="columnheader" className="num" title="Largest absolute difference of one element">Max |Δ|</span>
                    <span role="columnheader" className="num" title="‖B − A‖ / ‖A‖ (relative L2 change)">Rel. change</span>
                  </div>
                  {summary.largest.map((t) => (
                    <div role="row" className="compare-top-row" key={t.key} data-tensor={t.name}>
                      <span role="cell" className="compare-top-name" title={summary.files > 1 ? `${t.file}: ${t.name}` : t.name}>{t.name}</span>
                      <span role="cell" className="num">{formatFraction(t.changedFraction)}</span>
                      <span role="cell" className="num">{formatMaxAbs(t.maxAbsDiff)}</span>
                      <span role="cell" className="num">{formatRelChange(t.relChange)}</span>
                    </div>
                  ))}
                </div>
              </section>
            )}
            <TensorChanges files={files} tensorsClassName="compare-tensors" />
          </>
        )}
      </div>
      <div className="dialog-buttons">
        <button type="button" onClick={closeCompare}>Close</button>
      </div>
    </Dialog>
  );
}

function CommitChip({ label, id, entry }: { label: string; id: CommitId; entry: LogEntry | undefined }) {
  return (
    <div className="compare-chip" data-testid={`compare-${label.toLowerCase()}`} data-commit={id}>
      <span className="compare-chip-label">{label}</span>
      <code>{shortId(id)}</code>
      <span className="compare-chip-message" title={entry?.message}>{entry?.message || '(no message)'}</span>
    </div>
  );
}
