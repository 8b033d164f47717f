// Restore a version, to where it came from or to another folder. Uncommitted
// work at the target is shown and protected: commit it first, or say
// explicitly that it may be overwritten.
import { useEffect, useState, type FormEvent } from 'react';
import { getApi } from '../api';
import { humanBytes, shortId } from '../../../src-shared/format';
import type { CommitId, LinkMode, StatusResult } from '../../../src-shared/model';
import { joinPath } from '../lib/path-complete';
import { toErrorJSON } from '../lib/error-words';
import { useDialogJob } from '../hooks/use-dialog-job';
import { useApp } from '../state/app-store';
import { cancelJob, closeDialog, openDialog, startJob } from '../state/actions';
import { Dialog } from './Dialog';
import { ErrorMessage } from './ErrorMessage';
import { JobProgress } from './JobProgress';
import { PathField } from './PathField';

const LINK_MODES: readonly { mode: LinkMode; text: string }[] = [
  { mode: 'auto', text: 'auto: the cheapest safe way this disk supports' },
  { mode: 'reflink', text: 'reflink: copy-on-write clone (Btrfs, XFS, APFS)' },
  { mode: 'hardlink', text: 'hardlink: share the stored file (read-only use)' },
  { mode: 'symlink', text: 'symlink: point at the stored file' },
  { mode: 'copy', text: 'copy: an independent copy' },
];

export function RestoreDialog({ id }: { id: CommitId }) {
  const entry = useApp((s) => s.commits.find((c) => c.id === id));
  const root = useApp((s) => s.store?.root ?? '');
  const show = useApp((s) => s.details[id]);
  const [where, setWhere] = useState<'own' | 'folder'>('own');
  const [folder, setFolder] = useState('');
  const [link, setLink] = useState<LinkMode>('auto');
  const [status, setStatus] = useState<StatusResult | null>(null);
  const [overwrite, setOverwrite] = useState(false);
  const { jobId, setJobId, error, setError, running, job } = useDialogJob('The restore was cancelled.');

  // Fresh status on open: the working copy may have changed since the list loaded.
  useEffect(() => {
    let live = true;
    getApi().call('status.get', {}).then((s) => { if (live) setStatus(s); }, (e: unknown) => { if (live) setError(toErrorJSON(e)); });
    return () => { live = false; };
  }, []);


  if (!entry) return null;
  const ownPath = joinPath(root, entry.path);
  // The engine writes the version *as* the target path: a file version becomes
  // that file. The dialog asks for a folder, so put the file's name under it.
  const baseName = entry.path.split(/[\\/]/).pop() ?? entry.path;
  const singleFile = show ? show.files.length === 1 && show.files[0]!.path === baseName : !entry.path.endsWith('/');
  const folderTarget = folder.trim() === '' ? '' : singleFile ? joinPath(folder.trim(), baseName) : folder.trim();
  const dirtyHere = where === 'own' && status?.dirty === true;
  // Fetched history whose objects are on a remote: the same restore job downloads them first.
  const remoteOnly = entry.location === 'remote';
  const canRestore = !running && status !== null && (!dirtyHere || overwrite) && (where === 'own' || folder.trim() !== '');

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if (!canRestore) return;
    setError(null);
    try {
      const to = where === 'folder' ? folderTarget : undefined;
      setJobId(await startJob(
        { kind: 'restore', commit: entry.id, ...(to ? { to } : {}), force: dirtyHere && overwrite, link },
        `${remoteOnly ? 'Fetch and restore' : 'Restore'} ${shortId(entry.id)}${to ? ` to ${to}` : ''}`,
      ));
    } catch (err) {
      setError(toErrorJSON(err));
    }
  };

  const workingPath = status?.path ? joinPath(root, status.path) : ownPath;
  return (
    <Dialog title={<>Restore <code>{shortId(entry.id)}</code> {entry.message && <span className="muted">“{entry.message}”</span>}</>} onClose={closeDialog} busy={running}>
      <form className="form" onSubmit={(e) => void submit(e)}>
        <p className="restore-cost">
          {humanBytes(entry.logicalBytes)} ·{' '}
          {entry.chainLength === 0 ? 'copies the full parameters' : `rebuilt by replaying ${entry.chainLength} delta${entry.chainLength === 1 ? '' : 's'}`}
        </p>
        {remoteOnly && <p className="hint" data-testid="fetch-note">Its data is on the remote: the restore first downloads just the objects its route needs (each checked against its hash) and keeps them in this store.</p>}
        <fieldset className="choices" disabled={running}>
          <legend>Restore to</legend>
          <label className="radio">
            <input type="radio" name="where" checked={where === 'own'} onChange={() => setWhere('own')} />
            <span>its own path</span>
            <code className="radio-detail">{ownPath}</code>
          </label>
          <label className="radio">
            <input type="radio" name="where" checked={where === 'folder'} onChange={() => setWhere('folder')} />
            <span>another folder</span>
          </label>
          {where === 'folder' && (
            <>
              <PathField pick="folder" label="Folder" value={folder} onChange={setFolder} autoFocus placeholder="/path/to/folder/" />
              {folderTarget && <p className="hint">Writes <code className="path">{folderTarget}</code></p>}
            </>
          )}
        </fieldset>
        <div className="field">
          <label htmlFor="link-mode">Link mode</label>
          <select id="link-mode" value={link} onChange={(e) => setLink(e.target.value as LinkMode)} disabled={running}>
            {LINK_MODES.map((m) => <option key={m.mode} value={m.mode}>{m.text}</option>)}
          </select>
        </div>
        {status === null && !error && <p className="muted">Checking the working copy…</p>}
        {dirtyHere && (
          <div className="warning" role="alert">
            <strong>Uncommitted changes</strong>
            <p>The working copy at <code className="path">{workingPath}</code> differs from its last commit. Restoring here would replace it.</p>
            <div className="warning-actions">
              <button type="button" onClick={() => openDialog({ kind: 'commit', presetPath: workingPath })}>Commit them first</button>
              <label className="check">
                <input type="checkbox" checked={overwrite} onChange={(e) => setOverwrite(e.target.checked)} disabled={running} />
                Overwrite the uncommitted changes
              </label>
            </div>
          </div>
        )}
        {job && running && <JobProgress job={job} />}
        {error && <ErrorMessage error={error} />}
        <div className="dialog-buttons">
          {running && jobId
            ? <button type="button" onClick={() => void cancelJob(jobId)}>Cancel restore</button>
            : <button type="button" onClick={closeDialog}>Cancel</button>}
          <button type="submit" className="primary" disabled={!canRestore}>{remoteOnly ? 'Fetch and restore' : 'Restore'}</button>
        </div>
      </form>
    </Dialog>
  );
}
