// The history as a Git-GUI-style graph: newest on top, virtualised so that a
// store with 10,000 commits mounts ~30 rows, not 10,000.
import { useCallback, useDeferredValue, useEffect, useMemo, useRef, type CSSProperties, type KeyboardEvent } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { computeLanes } from '../../../src-shared/graph-lanes';
import { filterCommits } from '../lib/filter-commits';
import { dashedColumns, maxLaneWidth, type LaneGeometry } from '../lib/lane-geometry';
import { rangeIds } from '../lib/retention-form';
import { trashShort, trashText } from '../lib/forget-words';
import { useApp } from '../state/app-store';
import { jumpToHead, openDialog, openMenu, select, selectRange } from '../state/actions';
import { usePreview } from './RetentionSection';
import { useRunMetrics } from '../hooks/use-run-metrics';
import { sortCommits } from '../lib/run-metrics';
import { CommitRow } from './CommitRow';
import { RunColumnsHead, runColumnTracks } from './RunColumnsHead';
import { SearchField } from './SearchField';

const ROW_HEIGHT = 36;
const GEOMETRY: LaneGeometry = { laneWidth: 14, rowHeight: ROW_HEIGHT };
/** Beyond this many parallel lanes the graph is clipped rather than pushing the text off screen. */
const MAX_LANES = 12;

export function CommitGraph() {
  const commits = useApp((s) => s.commits);
  const head = useApp((s) => s.head);
  // Filtering 10,000 rows per keystroke must not hold up typing: the list
  // follows the search field a frame behind.
  const query = useDeferredValue(useApp((s) => s.query));
  const selectedId = useApp((s) => s.selectedId);
  const verify = useApp((s) => s.verify);
  const focusTick = useApp((s) => s.focusTick);
  const scrollRef = useRef<HTMLDivElement>(null);

  const run = useRunMetrics();
  const sort = useApp((s) => s.runView.sort);
  const { entries, lanes, laneCount, dashed } = useMemo(() => {
    const { entries, nodes } = filterCommits(commits, query);
    const lanes = computeLanes(nodes);
    const laneCount = Math.min(MAX_LANES, maxLaneWidth(lanes));
    // Sorted by a column the rows leave graph order, so the lanes (drawn for
    // that order) are left out until the sort is cleared.
    if (sort) return { entries: sortCommits(entries, sort), lanes: null, laneCount, dashed: null };
    // An edge across forgotten versions is dashed down to the kept ancestor (only where the search left the parent as it is).
    const dashed = entries.some((e) => e.forgottenBefore)
      ? dashedColumns(entries.map((e, i) => ({ id: e.id, parent: nodes[i]!.parent, forgottenBefore: nodes[i]!.parent === e.parent ? e.forgottenBefore : undefined })), lanes)
      : null;
    return { entries, lanes, laneCount, dashed };
  }, [commits, query, sort]);
  const draft = useApp((s) => s.retention.draft);
  const preview = usePreview(draft);
  const range = useApp((s) => s.range);
  const inRange = useMemo(() => new Set(range ? rangeIds(entries, range.anchor, range.to) : []), [entries, range]);
  const trash = useApp((s) => trashShort(s.ops?.trash));
  const trashLong = useApp((s) => trashText(s.ops?.trash));
  const tracks = runColumnTracks(run.columns);

  const virtualizer = useVirtualizer({
    count: entries.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    getItemKey: (i) => entries[i]!.id,
    overscan: 12,
  });

  const selectedIndex = useMemo(() => entries.findIndex((e) => e.id === selectedId), [entries, selectedId]);

  // Keyboard moves and "Home" ask for focus: scroll the row in, then focus it
  // once the virtualiser has mounted it.
  useEffect(() => {
    if (focusTick === 0 || selectedIndex < 0) return;
    virtualizer.scrollToIndex(selectedIndex, { align: 'auto' });
    let tries = 0;
    let frame = 0;
    const focus = (): void => {
      const el = document.getElementById(`commit-${entries[selectedIndex]!.id}`);
      if (el) el.focus({ preventScroll: true });
      else if (tries++ < 10) frame = requestAnimationFrame(focus);
    };
    frame = requestAnimationFrame(focus);
    return () => cancelAnimationFrame(frame);
    // Deliberately keyed on focusTick only: a new focus request moves focus,
    // a selection made by mouse or by a refresh does not.
  }, [focusTick]);

  const onSelect = useCallback((i: number, shift: boolean) => {
    const e = entries[i];
    if (!e) return;
    if (shift) selectRange(e.id);
    else select(e.id);
  }, [entries]);
  const onActivate = useCallback((i: number) => {
    const e = entries[i];
    if (e) { select(e.id); openDialog({ kind: 'restore', id: e.id }); }
  }, [entries]);
  const onMenu = useCallback((i: number, x: number, y: number) => { const e = entries[i]; if (e) openMenu(e.id, x, y); }, [entries]);
  const onKeyDown = useCallback((ev: KeyboardEvent<HTMLDivElement>, row: number) => {
    // Move from the selection, not from the row the key landed on: focus
    // follows a move a frame later, so a quick second key still lands on the
    // old row (a fast ↓↓↑ would otherwise act from a stale place).
    const current = entries.findIndex((e) => e.id === useApp.getState().selectedId);
    const i = current >= 0 ? current : row;
    const move = (to: number): void => {
      const e = entries[Math.max(0, Math.min(entries.length - 1, to))];
      if (e) select(e.id, { focus: true });
    };
    const page = Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? 400) / ROW_HEIGHT) - 1);
    switch (ev.key) {
      case 'ArrowDown': move(i + 1); break;
      case 'ArrowUp': move(i - 1); break;
      case 'PageDown': move(i + page); break;
      case 'PageUp': move(i - page); break;
      case 'End': move(entries.length - 1); break;
      case 'Home': jumpToHead(); break;
      case 'Enter': onActivate(i); break;
      case 'ContextMenu':
      case 'F10': {
        // The Menu key, or Shift+F10 as on Windows, opens the row's context menu.
        if (ev.key === 'F10' && !ev.shiftKey) return;
        const r = ev.currentTarget.getBoundingClientRect();
        onMenu(i, r.left + 120, r.bottom);
        break;
      }
      default: return;
    }
    ev.preventDefault();
  }, [entries, onActivate, onMenu]);

  const items = virtualizer.getVirtualItems();
  return (
    <section className="graph" aria-label="Commit graph" style={{ '--run-columns': tracks.all, '--run-columns-narrow': tracks.narrow } as CSSProperties}>
      <div className="graph-head">
        <SearchField />
        <span className="graph-count muted" aria-live="polite">
          {query.trim() ? `${entries.length} of ${commits.length} commits` : `${commits.length} commit${commits.length === 1 ? '' : 's'}`}
          {inRange.size > 1 && <>, {inRange.size} selected</>}
        </span>
        {trash && (
          <button type="button" className="link small-text trash-link" data-testid="trash-status" title={`${trashLong ?? ''}. The operations log: what went to the trash, and Undo`} onClick={() => openDialog({ kind: 'ops' })}>
            {trash}
          </button>
        )}
      </div>
      {run.any && <RunColumnsHead run={run} laneWidth={laneCount * GEOMETRY.laneWidth} />}
      <div ref={scrollRef} className="graph-scroll">
        {commits.length === 0 ? (
          <p className="empty">No commits yet. Use Commit in the toolbar to record the first version of a model.</p>
        ) : entries.length === 0 ? (
          <p className="empty">No commit message matches “{query}”.</p>
        ) : (
          <div
            role="listbox"
            aria-label="Commits, newest first"
            className="graph-rows"
            style={{ height: virtualizer.getTotalSize() }}
          >
            {items.map((item) => {
              const entry = entries[item.index]!;
              return (
                <CommitRow
                  key={entry.id}
                  index={item.index}
                  entry={entry}
                  lane={lanes ? lanes[item.index]! : null}
                  lanes={laneCount}
                  geometry={GEOMETRY}
                  isHead={entry.id === head}
                  selected={entry.id === selectedId}
                  verify={verify?.[entry.id]}
                  columns={run.columns}
                  best={run.best.get(entry.id)}
                  mark={preview?.marks.get(entry.id)}
                  inRange={inRange.has(entry.id)}
                  dashed={dashed?.[item.index]}
                  style={{ transform: `translateY(${item.start}px)`, height: ROW_HEIGHT }}
                  onSelect={onSelect}
                  onActivate={onActivate}
                  onMenu={onMenu}
                  onKeyDown={onKeyDown}
                />
              );
            })}
          </div>
        )}
      </div>
    </section>
  );
}
