// Remotes: where the store is shared, in S3-compatible object
// storage. The list, adding and removing one (name, s3:// URL, endpoint,
// region), and Push / Fetch, which run as jobs (progress and Cancel in the
// jobs panel). Credentials are never stored or shown: the dialog says where
// the main side will find them (the AWS chain of the process that runs it).
import { useEffect, useState, type FormEvent } from 'react';
import type { RemoteView } from '../../../src-shared/contract';
import type { WeightlineErrorJSON } from '../../../src-shared/errors';
import { toErrorJSON } from '../lib/error-words';
import { addRemote, closeDialog, loadRemotes, openDialog, removeRemote, reportError, startFetch, startPush } from '../state/actions';
import { useApp } from '../state/app-store';
import { Dialog } from './Dialog';
import { ErrorMessage } from './ErrorMessage';
import { RelativeTime } from './RelativeTime';

/** The remote Push and Fetch use without asking: the only one, or origin (as the CLI does). */
export function defaultRemote(list: readonly RemoteView[]): RemoteView | null {
  return list.length === 1 ? list[0]! : list.find((r) => r.name === 'origin') ?? null;
}

/** Toolbar: Push and Fetch (to the default remote) once the store has one, and the remote settings. */
export function RemoteButtons() {
  const remotes = useApp((s) => s.remotes);
  // A string, not a new array: a selector must return a stable value.
  const running = useApp((s) => s.jobs.filter((j) => j.state === 'running' && (j.kind === 'push' || j.kind === 'fetch')).map((j) => j.kind).sort().join(' '));
  if (!remotes) return null;
  const target = defaultRemote(remotes.list);
  const why = remotes.list.length === 0 ? 'Add a remote first (Remotes…)' : target ? undefined : 'Several remotes and none is called origin: push from Remotes…';
  return (
    <>
      {remotes.list.length > 0 && (
        <>
          <button type="button" disabled={!target || running.includes('push')} aria-busy={running.includes('push')} title={why ?? `Upload the commits ${target!.name} lacks (${target!.url})`} onClick={() => target && void startPush(target.name).catch(reportError)}>Push</button>
          <button type="button" disabled={!target || running.includes('fetch')} aria-busy={running.includes('fetch')} title={why ?? `Bring ${target!.name}'s history (${target!.url}); data comes with a restore`} onClick={() => target && void startFetch(target.name).catch(reportError)}>Fetch</button>
        </>
      )}
      {/* An icon beside Settings: the toolbar must stay one row at 1280 px and two at 1024. */}
      <button type="button" className="icon-button" aria-label="Remotes…" title="Remotes: where this store is shared (S3-compatible storage)" onClick={() => openDialog({ kind: 'remotes' })}>
        <svg width="18" height="16" viewBox="0 0 18 16" aria-hidden="true">
          <path d="M5 13h8.5a3 3 0 0 0 .4-5.97A4.5 4.5 0 0 0 5.2 6.1 3.5 3.5 0 0 0 5 13z" fill="none" stroke="currentColor" strokeWidth="1.4" strokeLinejoin="round" />
        </svg>
      </button>
    </>
  );
}

export function RemotesDialog() {
  const remotes = useApp((s) => s.remotes);
  const [error, setError] = useState<WeightlineErrorJSON | null>(null);
  const [busy, setBusy] = useState(false);
  const list = remotes?.list ?? [];
  const [name, setName] = useState(list.length === 0 ? 'origin' : '');
  const [url, setUrl] = useState('');
  const [endpoint, setEndpoint] = useState('');
  const [region, setRegion] = useState('');

  // Fresh on open: another window or the CLI may have changed them.
  useEffect(() => { void loadRemotes(); }, []);

  const act = async (what: () => Promise<unknown>): Promise<void> => {
    setError(null);
    setBusy(true);
    try { await what(); } catch (e) { setError(toErrorJSON(e)); } finally { setBusy(false); }
  };
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    void act(async () => {
      await addRemote({ name: name.trim(), url: url.trim(), ...(endpoint.trim() ? { endpoint: endpoint.trim() } : {}), ...(region.trim() ? { region: region.trim() } : {}) });
      setName(''); setUrl(''); setEndpoint(''); setRegion('');
    });
  };
  // Push and Fetch are jobs: their progress and Cancel are in the jobs panel, so the dialog closes.
  const run = (start: (n: string) => Promise<string>, n: string): void => { void act(async () => { await start(n); closeDialog(); }); };

  return (
    <Dialog title="Remotes" onClose={closeDialog} wide>
      <p className="muted" data-testid="remote-credentials">
        Credentials are never stored in the store or shown here. Weightline uses the AWS credentials of the environment it was started in: <strong>{remotes?.credentials ?? '…'}</strong>.
      </p>
      {list.length === 0
        ? <p>No remotes yet. Add one to push this store to S3-compatible storage (AWS S3, R2, MinIO, Ceph) and fetch from it.</p>
        : (
          <ul className="remote-list" aria-label="Remotes">
            {list.map((r) => (
              <li key={r.name} className="remote" data-remote={r.name}>
                <div className="remote-head">
                  <strong>{r.name}</strong> <code className="path">{r.url}</code>
                </div>
                <div className="remote-detail muted">
                  endpoint {r.endpoint ? <code>{r.endpoint}</code> : 'from AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, else AWS'}
                  {' · '}region {r.region ?? 'from the AWS settings'}
                  {' · '}{r.listedAt ? <>{r.commits} commit{r.commits === 1 ? '' : 's'} when last listed <RelativeTime iso={r.listedAt} /></> : 'not listed yet'}
                </div>
                <div className="remote-actions">
                  <button type="button" className="small" disabled={busy} onClick={() => run(startPush, r.name)} aria-label={`Push to ${r.name}`}>Push</button>
                  <button type="button" className="small" disabled={busy} onClick={() => run(startFetch, r.name)} aria-label={`Fetch from ${r.name}`}>Fetch</button>
                  <button type="button" className="small" disabled={busy} onClick={() => void act(() => removeRemote(r.name))} aria-label={`Remove ${r.name}`} title="Forget this remote (nothing on the remote is touched)">Remove</button>
                </div>
              </li>
            ))}
          </ul>
        )}
      <form className="form remote-add" onSubmit={submit} aria-label="Add a remote">
        <h3>Add a remote</h3>
        <div className="field">
          <label htmlFor="remote-name">Name</label>
          <input id="remote-name" value={name} onChange={(e) => setName(e.target.value)} placeholder="origin" required pattern="[A-Za-z0-9][A-Za-z0-9._\-]{0,63}" />
        </div>
        <div className="field">
          <label htmlFor="remote-url">URL</label>
          <input id="remote-url" value={url} onChange={(e) => setUrl(e.target.value)} placeholder="s3://bucket/prefix" required />
        </div>
        <div className="field">
          <label htmlFor="remote-endpoint">Endpoint</label>
          <input id="remote-endpoint" value={endpoint} onChange={(e) => setEndpoint(e.target.value)} placeholder="optional, e.g. https://s3.example.com (default: AWS_ENDPOINT_URL_S3, else AWS)" />
        </div>
        <div className="field">
          <label htmlFor="remote-region">Region</label>
          <input id="remote-region" value={region} onChange={(e) => setRegion(e.target.value)} placeholder="optional (default: AWS_REGION or the profile's)" />
        </div>
        {error && <ErrorMessage error={error} />}
        <div className="dialog-buttons">
          <button type="button" onClick={closeDialog}>Close</button>
          <button type="submit" className="primary" disabled={busy || name.trim() === '' || url.trim() === ''}>Add remote</button>
        </div>
      </form>
    </Dialog>
  );
}
