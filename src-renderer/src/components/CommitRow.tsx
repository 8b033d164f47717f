import { memo, type CSSProperties, type KeyboardEvent, type MouseEvent } from 'react';
import { exactTime, shortId } from '../../../src-shared/format';
import type { LaneRow } from '../../../src-shared/graph-lanes';
import type { LogEntry, VerifyCommit } from '../../../src-shared/model';
import { formatMetric, type BestMark, type RunColumns } from '../lib/run-metrics';
import { bestTitle } from '../lib/run-words';
import type { DashedColumns, LaneGeometry } from '../lib/lane-geometry';
import { reasonFamily, type PreviewMark } from '../lib/retention-form';
import { AHEAD_OF_HEAD_TITLE, rowTitle } from '../lib/row-title';
import { hoverCommit, leaveCommit, useHoverLink } from '../state/hover-link';
import { LaneCell } from './LaneCell';
import { RelativeTime } from './RelativeTime';
import { StorageBadges } from './StorageBadges';

interface Props {
  readonly index: number;
  readonly entry: LogEntry;
  /** null while the list is sorted by a column (the lanes belong to graph order). */
  readonly lane: LaneRow | null;
  readonly lanes: number;
  readonly geometry: LaneGeometry;
  readonly isHead: boolean;
  readonly selected: boolean;
  readonly verify: VerifyCommit | undefined;
  readonly columns: RunColumns;
  readonly best: BestMark | undefined;
  /** A retention draft on preview: whether this version would go, or why it stays. */
  readonly mark: PreviewMark | undefined;
  /** Inside the shift-click range. */
  readonly inRange: boolean;
  /** Lane lines across forgotten versions (drawn dashed). */
  readonly dashed: DashedColumns | undefined;
  readonly style: CSSProperties;
  readonly onSelect: (index: number, range: boolean) => void;
  readonly onActivate: (index: number) => void;
  readonly onMenu: (index: number, x: number, y: number) => void;
  readonly onKeyDown: (e: KeyboardEvent<HTMLDivElement>, index: number) => void;
}

/** The reason a row shows first: a rule of the policy says more than HEAD, a tag or "branch tip", which the row shows anyway. */
function primaryReason(reasons: readonly string[]): string {
  // A rule of the policy first (the row shows tags, pins and HEAD anyway), without its rank and value ("best 3 by eval_loss"): those are in the title.
  const always = (r: string): boolean => r === 'HEAD' || r === 'branch tip' || r === 'pinned' || r === 'linked by a restore' || r.startsWith('tag ');
  return reasonFamily(reasons.find((r) => !always(r)) ?? reasons.find((r) => r !== 'HEAD' && r !== 'branch tip') ?? reasons[0]!);
}

/** One commit in the graph: lanes, message, badges, time, short id. */
export const CommitRow = memo(function CommitRow(p: Props) {
  const { entry } = p;
  const id = shortId(entry.id);
  const message = entry.message || '(no message)';
  // The accessible name carries what a sighted user reads on the row.
  const tags = entry.tags ?? [];
  const label = `${message}, ${id}, ${entry.type}${p.isHead ? ', HEAD' : ''}${entry.aheadOfHead ? ', ahead of HEAD' : ''}`
    + `${tags.length ? `, tagged ${tags.join(', ')}` : ''}${p.best ? `, best by ${p.best.metric}` : ''}, ${exactTime(entry.createdAt)}`
    + `${p.mark ? (p.mark.verdict === 'forget' ? ', would be forgotten' : `, kept: ${p.mark.reasons.join(', ')}`) : ''}`
    + `${entry.forgottenBefore ? `, ${entry.forgottenBefore} forgotten before it` : ''}`;
  const forgets = p.mark?.verdict === 'forget';
  const meta = entry.meta;
  // Lit while the pointer is on this commit's bar in the storage chart.
  const linked = useHoverLink((s) => s.from === 'chart' && s.id === entry.id);
  return (
    <div
      role="option"
      id={`commit-${entry.id}`}
      aria-selected={p.selected}
      aria-label={label}
      data-commit={entry.id}
      tabIndex={p.selected ? 0 : -1}
      className={`commit-row${p.selected ? ' selected' : ''}${p.isHead ? ' is-head' : ''}${entry.type === 'CHECKPOINT' ? ' is-checkpoint' : ''}${entry.aheadOfHead ? ' is-ahead' : ''}${linked ? ' hover-linked' : ''}${forgets ? ' will-forget' : ''}${p.inRange ? ' in-range' : ''}`}
      data-preview={p.mark?.verdict}
      title={rowTitle(entry, p.isHead, p.verify)}
      style={p.style}
      onMouseEnter={() => hoverCommit(entry.id, 'list')}
      onMouseLeave={() => leaveCommit('list')}
      onClick={(e) => p.onSelect(p.index, e.shiftKey)}
      onDoubleClick={() => p.onActivate(p.index)}
      onContextMenu={(e: MouseEvent) => { e.preventDefault(); p.onMenu(p.index, e.clientX, e.clientY); }}
      onKeyDown={(e) => p.onKeyDown(e, p.index)}
    >
      {p.lane
        ? <LaneCell row={p.lane} geometry={p.geometry} lanes={p.lanes} type={entry.type} isHead={p.isHead} ahead={entry.aheadOfHead === true} dashed={p.dashed} />
        : <span className="lanes" style={{ width: p.lanes * p.geometry.laneWidth }} aria-hidden="true" />}
      <span className="commit-main">
        {p.isHead && <span className="head-tag" title="The version in the working copy">HEAD</span>}
        {entry.aheadOfHead && <span className="ahead-tag" title={AHEAD_OF_HEAD_TITLE}>ahead</span>}
        {p.best && <span className="best-tag" data-testid="best-mark" title={bestTitle(p.best)} aria-hidden="true">★</span>}
        {tags.map((t) => <span key={t} className="tag-chip" data-testid="tag-chip" title={`Tag ${t}: restore ${t}, diff ${t} HEAD`}>{t}</span>)}
        {p.mark && p.mark.verdict === 'keep' && p.mark.reasons.length > 0 && (
          <span className="keep-reason" data-testid="keep-reason" title={`Kept: ${p.mark.reasons.join(', ')}`}>
            {primaryReason(p.mark.reasons)}{p.mark.reasons.length > 1 ? ` +${p.mark.reasons.length - 1}` : ''}
          </span>
        )}
        <span className={`commit-message${entry.message ? '' : ' muted'}`}>{message}</span>
        {entry.forgottenBefore !== undefined && entry.forgottenBefore > 0 && (
          <span className="forgotten-chip" data-testid="forgotten-chip" title={`A forget removed ${entry.forgottenBefore} version${entry.forgottenBefore === 1 ? '' : 's'} between this one and its parent (the dashed edge)`}>
            {entry.forgottenBefore} forgotten
          </span>
        )}
        <StorageBadges entry={entry} verify={p.verify} />
      </span>
      {p.columns.step && <span className="run-cell num" data-col="step">{meta?.step ?? ''}</span>}
      {p.columns.epoch && <span className="run-cell num run-extra" data-col="epoch">{formatMetric(meta?.epoch)}</span>}
      {p.columns.metrics.map((m, i) => (
        <span key={m} className={`run-cell num${i > 0 ? ' run-extra' : ''}${p.best?.metric === m ? ' run-best' : ''}`} data-col={`metric:${m}`} title={meta?.metrics?.[m] !== undefined ? `${m} ${meta.metrics[m]}` : `no ${m} recorded`}>
          {formatMetric(meta?.metrics?.[m])}
        </span>
      ))}
      <RelativeTime className="commit-time" iso={entry.createdAt} />
      <code className="commit-id">{id}</code>
    </div>
  );
});
