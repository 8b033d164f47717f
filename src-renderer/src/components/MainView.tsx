// The open store: toolbar, what is wrong with the store (banners), graph with
// storage chart, details; dialogs, the
// context menu and jobs float above. Global keys: "/" search, Home to HEAD.
// The list, the chart and the details pane are split by drag handles whose
// sizes are remembered (lib/pane-sizes.ts); styles.css keeps every pane at
// its minimum whatever the window's size.
import { useEffect, useRef, useState, type CSSProperties } from 'react';
import { useApp } from '../state/app-store';
import { closeMenu, focusSearch, jumpToHead } from '../state/actions';
import { CleanupDialog } from './CleanupDialog';
import { CommitDialog } from './CommitDialog';
import { CommitGraph } from './CommitGraph';
import { CompareView } from './CompareView';
import { ContextMenu } from './ContextMenu';
import { DetailsPane } from './DetailsPane';
import { CHART_HEIGHT, LIST_FRACTION, chartHeightAt, listFractionAt, readStoredSize, writeStoredSize } from '../lib/pane-sizes';
import { JobsPanel } from './JobsPanel';
import { RemotesDialog } from './RemotesDialog';
import { RepairDialog } from './RepairDialog';
import { RestoreDialog } from './RestoreDialog';
import { SettingsPane } from './SettingsPane';
import { SplitHandle } from './SplitHandle';
import { StorageChart } from './StorageChart';
import { StoreBanners } from './StoreBanners';
import { Toolbar } from './Toolbar';
import { FollowDialog } from './FollowDialog';
import { FollowStrip } from './FollowStrip';
import { TagDialog } from './TagDialog';
import { ForgetDialog } from './ForgetDialog';
import { OpsDialog } from './OpsDialog';
import { RetentionStrip } from './RetentionStrip';
import { useRunMetrics } from '../hooks/use-run-metrics';

/** With a metric chart under the storage chart the pair needs this much at least (two plots, one axis). */
const CHART_WITH_METRICS_MIN = 250;

export function MainView() {
  const dialog = useApp((s) => s.dialog);
  const [listFraction, setListFraction] = useState(() => readStoredSize(LIST_FRACTION));
  const [chartHeight, setChartHeight] = useState(() => readStoredSize(CHART_HEIGHT));
  const workspaceRef = useRef<HTMLDivElement>(null);
  const historyRef = useRef<HTMLDivElement>(null);
  const withMetrics = useRunMetrics().metric !== null;
  const chartMin = withMetrics ? CHART_WITH_METRICS_MIN : CHART_HEIGHT.min;
  const shownChartHeight = Math.max(chartHeight, chartMin);

  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (useApp.getState().dialog || e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
      const t = e.target as HTMLElement | null;
      const typing = Boolean(t?.closest('input, textarea, select, [contenteditable="true"]'));
      if (e.key === '/' && !typing) { e.preventDefault(); focusSearch(); }
      else if (e.key === 'Home' && !typing) { e.preventDefault(); jumpToHead(); }
      else if (e.key === 'Escape') closeMenu();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  return (
    <div className="app">
      <Toolbar />
      <StoreBanners />
      {/* One row of the app's grid for the strips under the toolbar (each empty when idle). */}
      <div className="strips">
        <FollowStrip />
        <RetentionStrip />
      </div>
      <div ref={workspaceRef} className="workspace" style={{ '--list-fraction': listFraction } as CSSProperties}>
        <div ref={historyRef} className="history" style={{ '--chart-height': `${shownChartHeight}px` } as CSSProperties}>
          <CommitGraph />
          <SplitHandle
            orientation="horizontal"
            label="Resize the storage chart"
            testId="chart-split"
            value={shownChartHeight}
            min={chartMin}
            max={CHART_HEIGHT.max}
            step={16}
            sizeAt={(e) => {
              const r = historyRef.current!.getBoundingClientRect();
              return Math.max(chartMin, chartHeightAt(r.bottom - e.clientY, r.height));
            }}
            onResize={setChartHeight}
            onCommit={(v) => writeStoredSize(CHART_HEIGHT, v)}
            onReset={() => { setChartHeight(CHART_HEIGHT.fallback); writeStoredSize(CHART_HEIGHT, CHART_HEIGHT.fallback); }}
          />
          <StorageChart />
        </div>
        <SplitHandle
          orientation="vertical"
          label="Resize the commit list and the details"
          testId="details-split"
          value={listFraction * 100}
          min={LIST_FRACTION.min * 100}
          max={LIST_FRACTION.max * 100}
          step={2}
          sizeAt={(e) => {
            const r = workspaceRef.current!.getBoundingClientRect();
            return listFractionAt(e.clientX - r.left, r.width) * 100;
          }}
          onResize={(v) => setListFraction(v / 100)}
          onCommit={(v) => writeStoredSize(LIST_FRACTION, v / 100)}
          onReset={() => { setListFraction(LIST_FRACTION.fallback); writeStoredSize(LIST_FRACTION, LIST_FRACTION.fallback); }}
        />
        <DetailsPane />
      </div>
      <JobsPanel />
      <ContextMenu />
      {dialog?.kind === 'commit' && <CommitDialog key="commit" presetPath={dialog.presetPath} />}
      {dialog?.kind === 'restore' && <RestoreDialog key={`restore-${dialog.id}`} id={dialog.id} />}
      {dialog?.kind === 'cleanup' && <CleanupDialog key="cleanup" />}
      {dialog?.kind === 'repair' && <RepairDialog key="repair" />}
      {dialog?.kind === 'settings' && <SettingsPane key="settings" />}
      {dialog?.kind === 'remotes' && <RemotesDialog key="remotes" />}
      {dialog?.kind === 'tag' && <TagDialog key={`tag-${dialog.id}`} id={dialog.id} />}
      {dialog?.kind === 'follow' && <FollowDialog key="follow" />}
      {dialog?.kind === 'forget' && <ForgetDialog key={`forget-${dialog.refs?.join(',') ?? 'policy'}`} refs={dialog.refs} policy={dialog.policy} />}
      {dialog?.kind === 'ops' && <OpsDialog key="ops" />}
      <CompareView />
    </div>
  );
}
