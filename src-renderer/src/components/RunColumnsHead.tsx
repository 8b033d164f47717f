// The headers of the list's training columns (step, epoch, metrics): a click
// sorts by one (again: the other way, a third time: graph order), and
// "Columns" chooses which metrics are shown.
import { useEffect, useRef, useState } from 'react';
import type { RunMetrics } from '../hooks/use-run-metrics';
import { nextSort, type SortKey } from '../lib/run-metrics';
import { columnTracks } from '../lib/run-words';
import { useApp } from '../state/app-store';
import { setRunView } from '../state/actions';

export const runColumnTracks = columnTracks;

export function RunColumnsHead({ run, laneWidth }: { run: RunMetrics; laneWidth: number }) {
  const sort = useApp((s) => s.runView.sort);
  const header = (key: SortKey, text: string, extra: boolean, title: string) => {
    const active = sort?.key === key;
    return (
      <button
        key={key}
        type="button"
        className={`run-head${extra ? ' run-extra' : ''}${active ? ' active' : ''}`}
        aria-sort={active ? (sort.desc ? 'descending' : 'ascending') : 'none'}
        title={`${title}. Click to sort${active ? ' (again: other way, a third time: graph order)' : ''}`}
        onClick={() => setRunView({ sort: nextSort(sort, key) })}
      >
        <span className="run-head-text">{text}</span>{active && <span className="run-head-arrow" aria-hidden="true">{sort.desc ? '↓' : '↑'}</span>}
      </button>
    );
  };
  return (
    <div className="graph-columns commit-row-grid" role="group" aria-label="Training columns">
      <span style={{ width: laneWidth }} />
      <span className="graph-columns-lead">
        {sort ? <button type="button" className="link small-text" onClick={() => setRunView({ sort: null })}>Graph order</button> : <span className="muted">Message</span>}
        <ColumnChooser run={run} />
      </span>
      {run.columns.step && header('step', 'step', false, 'Training step')}
      {run.columns.epoch && header('epoch', 'epoch', true, 'Epoch')}
      {run.columns.metrics.map((m, i) => header(`metric:${m}`, m, i > 0, m))}
      <span className="commit-time" />
      <span className="commit-id" />
    </div>
  );
}

function ColumnChooser({ run }: { run: RunMetrics }) {
  // Where the menu opens (under the button): fixed, since the header row clips what overflows it.
  const [open, setOpen] = useState<{ x: number; y: number } | null>(null);
  const ref = useRef<HTMLSpanElement>(null);
  useEffect(() => {
    if (!open) return;
    const onDown = (e: MouseEvent): void => { if (!ref.current?.contains(e.target as Node)) setOpen(null); };
    window.addEventListener('mousedown', onDown);
    return () => window.removeEventListener('mousedown', onDown);
  }, [open]);
  if (run.names.length === 0) return null;
  const shown = new Set(run.columns.metrics);
  const toggle = (name: string): void => {
    const next = run.names.map((n) => n.name).filter((n) => (n === name ? !shown.has(n) : shown.has(n)));
    setRunView({ columns: next });
  };
  return (
    <span ref={ref} className="column-chooser">
      <button
        type="button" className="link small-text" aria-expanded={open !== null} aria-haspopup="menu"
        onClick={(e) => { const r = e.currentTarget.getBoundingClientRect(); setOpen(open ? null : { x: r.left, y: r.bottom + 4 }); }}
      >Columns</button>
      {open && (
        <div role="menu" aria-label="Metric columns" className="context-menu column-menu" style={{ left: open.x, top: open.y }}
          onKeyDown={(e) => { if (e.key === 'Escape') { e.stopPropagation(); setOpen(null); } }}>
          {run.names.map((n) => (
            <button key={n.name} role="menuitemcheckbox" aria-checked={shown.has(n.name)} type="button" onClick={() => toggle(n.name)}>
              <span className="check">{shown.has(n.name) ? '✓' : ''}</span>{n.name}
              <span className="muted small-text"> {n.direction === 'lower' ? 'lower is better' : 'higher is better'}</span>
            </button>
          ))}
          <button role="menuitem" type="button" onClick={() => setRunView({ columns: null })}>Default columns</button>
        </div>
      )}
    </span>
  );
}
