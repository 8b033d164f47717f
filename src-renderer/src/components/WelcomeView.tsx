// No store open yet, or "Switch store": open one, create one, or look at a
// generated sample history to see the app working at once. After "Switch
// store" the store that was open heads the list, marked current, one click
// from going back to it.
import { useState } from 'react';
import type { WeightlineErrorJSON } from '../../../src-shared/errors';
import { toErrorJSON } from '../lib/error-words';
import { useApp } from '../state/app-store';
import { createStore, openSample, openStore, returnToStore } from '../state/actions';
import { ErrorMessage } from './ErrorMessage';
import { PathField } from './PathField';

export function WelcomeView() {
  const current = useApp((s) => s.store?.root ?? null);
  const recentAll = useApp((s) => s.recent);
  const recent = recentAll.filter((r) => r !== current);
  const [path, setPath] = useState('');
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<WeightlineErrorJSON | null>(null);

  const run = async (what: string, f: () => Promise<void>): Promise<void> => {
    setBusy(what);
    setError(null);
    try { await f(); } catch (e) { setError(toErrorJSON(e)); } finally { setBusy(null); }
  };

  return (
    <main className="welcome">
      <div className="welcome-card">
        <h1>Weightline</h1>
        <p className="tagline">Version history for model parameters: bit-exact deltas, any version rebuilt on demand.</p>

        <form className="welcome-open" onSubmit={(e) => { e.preventDefault(); if (path.trim()) void run('open', () => openStore(path.trim())); }}>
          <PathField pick="folder" label="Store folder" value={path} onChange={setPath} placeholder="/path/to/project" autoFocus disabled={busy !== null} />
          <div className="welcome-buttons">
            <button type="submit" className="primary" disabled={busy !== null || path.trim() === ''}>Open store</button>
            <button type="button" disabled={busy !== null || path.trim() === ''} onClick={() => void run('create', () => createStore(path.trim()))}>Create store</button>
          </div>
        </form>

        <div className="welcome-sample">
          <button type="button" disabled={busy !== null} onClick={() => void run('sample', () => openSample())}>Open a sample history</button>
          <span className="muted small-text">A generated training run with checkpoints, deltas and a branch.</span>
        </div>
        {busy && <p className="muted" role="status">{busy === 'sample' ? 'Generating the sample history…' : 'Opening…'}</p>}
        {error && <ErrorMessage error={error} />}

        {(current !== null || recent.length > 0) && (
          <section className="recent" aria-label="Recent stores">
            <h2>Recent</h2>
            <ul>
              {current !== null && (
                <li key={current} className="recent-current" aria-current="true">
                  <button type="button" className="link" disabled={busy !== null} title={`Go back to ${current}`} onClick={() => void run('open', () => returnToStore())}><code>{current}</code></button>
                  <span className="badge recent-current-tag">current</span>
                </li>
              )}
              {recent.map((r) => (
                <li key={r}>
                  <button type="button" className="link" disabled={busy !== null} onClick={() => void run('open', () => openStore(r))}><code>{r}</code></button>
                </li>
              ))}
            </ul>
          </section>
        )}
      </div>
    </main>
  );
}
