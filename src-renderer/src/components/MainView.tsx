// The open store: toolbar, what is wrong with the store (banners), graph with
// storage chart, details; dialogs, the
// context menu and jobs float above. Global keys: "/" search, Home to HEAD.
import { useEffect } from 'react';
import { useApp } from '../state/app-store';
import { closeMenu, focusSearch, jumpToHead } from '../state/actions';
import { CleanupDialog } from './CleanupDialog';
import { CommitDialog } from './CommitDialog';
import { CommitGraph } from './CommitGraph';
import { ContextMenu } from './ContextMenu';
import { DetailsPane } from './DetailsPane';
import { JobsPanel } from './JobsPanel';
import { RepairDialog } from './RepairDialog';
import { RestoreDialog } from './RestoreDialog';
import { StorageChart } from './StorageChart';
import { StoreBanners } from './StoreBanners';
import { Toolbar } from './Toolbar';

export function MainView() {
  const dialog = useApp((s) => s.dialog);

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
      <div className="workspace">
        <div className="history">
          <CommitGraph />
          <StorageChart />
        </div>
        <DetailsPane />
      </div>
      <JobsPanel />
      <ContextMenu />
      {dialog?.kind === 'commit' && <CommitDialog key="commit" presetPath={dialog.presetPath} />}
      {dialog?.kind === 'restore' && <RestoreDialog key={`restore-${dialog.id}`} id={dialog.id} />}
      {dialog?.kind === 'cleanup' && <CleanupDialog key="cleanup" />}
      {dialog?.kind === 'repair' && <RepairDialog key="repair" />}
    </div>
  );
}
