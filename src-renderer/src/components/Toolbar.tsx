// The store, what it takes on disk against what plain copies would take, and
// the four actions. Button names are exact ("Commit", "Restore", "Cleanup",
// "Verify"): tests and screen readers rely on them.
import { useLayoutEffect, useMemo, useRef } from 'react';
import { humanBytes } from '../../../src-shared/format';
import { againstLabel, againstTitle, againstTone, storageSummary } from '../lib/storage-summary';
import { useApp } from '../state/app-store';
import { openDialog, showWelcome, startVerify } from '../state/actions';
import { RemoteButtons } from './RemotesDialog';
import { ThemeToggle } from './ThemeToggle';
import { WorkingCopyBadge } from './WorkingCopyBadge';

export function Toolbar() {
  const root = useApp((s) => s.store?.root ?? '');
  const commits = useApp((s) => s.commits);
  const storeBytes = useApp((s) => s.status?.storeBytes ?? null);
  const keepFullLatest = useApp((s) => s.keepFullLatest ?? undefined);
  const selectedId = useApp((s) => s.selectedId);
  const verifying = useApp((s) => s.verifyJobId !== null);
  const summary = useMemo(() => (storeBytes === null ? null : storageSummary(commits, storeBytes, keepFullLatest)), [commits, storeBytes, keepFullLatest]);
  const against = summary ? againstLabel(summary.against) : null;
  const ref = useRef<HTMLElement>(null);
  // Notices sit just under the toolbar, however many lines it wraps to (a
  // forget's notice with Undo stays a while and must not cover its buttons).
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const root = document.documentElement;
    const put = (): void => root.style.setProperty('--toolbar-bottom', `${Math.round(el.getBoundingClientRect().bottom)}px`);
    put();
    const ro = new ResizeObserver(put);
    ro.observe(el);
    return () => { ro.disconnect(); root.style.removeProperty('--toolbar-bottom'); };
  }, []);

  return (
    <header className="toolbar" ref={ref}>
      <div className="store-id">
        <span className="app-name">Weightline</span>
        <code className="store-path" title={root}><span>{root}</span></code>
        <button type="button" className="link small-text" onClick={() => void showWelcome()}>Switch store</button>
      </div>
      <WorkingCopyBadge />
      <dl className="summary" aria-label="Storage summary">
        <div className="stat">
          <dt>All versions as full copies</dt>
          <dd data-testid="summary-full" data-bytes={summary?.fullCopies}>{summary ? humanBytes(summary.fullCopies) : '–'}</dd>
        </div>
        <div className="stat">
          <dt>On disk</dt>
          <dd data-testid="summary-disk" data-bytes={summary?.onDisk}>{summary ? humanBytes(summary.onDisk) : '–'}</dd>
        </div>
        {/* A store larger than its versions is not a saving: "Over the versions +56%", in a caution tone, the reason on hover. */}
        <div className={`stat stat-saving saving-${summary ? againstTone(summary.against) : 'none'}`} title={summary ? againstTitle(summary.against, summary.raw) : undefined}>
          <dt data-testid="summary-saving-term">{against?.term ?? 'Saving'}</dt>
          <dd data-testid="summary-saving" data-kind={summary?.against.kind}>{against?.value ?? '–'}</dd>
        </div>
      </dl>
      <div className="actions">
        <button type="button" className="primary" onClick={() => openDialog({ kind: 'commit', presetPath: null })}>Commit</button>
        <button type="button" disabled={!selectedId} onClick={() => selectedId && openDialog({ kind: 'restore', id: selectedId })}>Restore</button>
        <button type="button" onClick={() => openDialog({ kind: 'cleanup' })}>Cleanup</button>
        <button type="button" title="Commit each checkpoint a trainer writes into a folder, as it lands" onClick={() => openDialog({ kind: 'follow' })}>Follow a run…</button>
        <button type="button" aria-busy={verifying} disabled={verifying} onClick={() => void startVerify()}>
          Verify
        </button>
        <RemoteButtons />
        <button type="button" className="icon-button ops-button" aria-label="Operations" title="Operations: recent forgets, cleanups, repairs and undos; Undo" onClick={() => openDialog({ kind: 'ops' })}>
          <svg width="16" height="16" viewBox="0 0 16 16" aria-hidden="true">
            <g fill="none" stroke="currentColor" strokeWidth="1.4" strokeLinecap="round" strokeLinejoin="round">
              <path d="M2.5 8a5.5 5.5 0 1 0 1.6-3.9" /><path d="M2.2 2.6v2.6h2.6" /><path d="M8 5v3.2l2.2 1.4" />
            </g>
          </svg>
        </button>
        <button type="button" className="icon-button settings-button" aria-label="Settings" title="Settings: keepFullLatest, maxChainLength, autoCleanup, retention" onClick={() => openDialog({ kind: 'settings' })}>
          <svg width="16" height="16" viewBox="0 0 16 16" aria-hidden="true">
            <g fill="none" stroke="currentColor" strokeWidth="1.4" strokeLinecap="round">
              <path d="M2 4h7M12 4h2M2 8h2M7 8h7M2 12h5M10 12h4" />
              <circle cx="10.5" cy="4" r="1.5" /><circle cx="5.5" cy="8" r="1.5" /><circle cx="8.5" cy="12" r="1.5" />
            </g>
          </svg>
        </button>
        <ThemeToggle />
      </div>
    </header>
  );
}
