// Record a new version: pick the model file or folder, a message, and whether
// to keep full parameters (CHECKPOINT). Progress shows in place; a bad file
// fails before anything is written, and the error says which file and why.
import { useState, type FormEvent } from 'react';
import { joinPath } from '../lib/path-complete';
import { toErrorJSON } from '../lib/error-words';
import { useDialogJob } from '../hooks/use-dialog-job';
import { useApp } from '../state/app-store';
import { cancelJob, closeDialog, startJob } from '../state/actions';
import { Dialog } from './Dialog';
import { ErrorMessage } from './ErrorMessage';
import { JobProgress } from './JobProgress';
import { PathField } from './PathField';

export function CommitDialog({ presetPath }: { presetPath: string | null }) {
  const root = useApp((s) => s.store?.root ?? '');
  const statusPath = useApp((s) => s.status?.path ?? null);
  const [path, setPath] = useState(() => presetPath ?? (statusPath ? joinPath(root, statusPath) : joinPath(root, '')));
  const [message, setMessage] = useState('');
  const [checkpoint, setCheckpoint] = useState(false);
  const { jobId, setJobId, error, setError, running, job } = useDialogJob('The commit was cancelled.');


  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if (running || path.trim() === '') return;
    setError(null);
    try {
      const name = path.replace(/[\\/]+$/, '').split(/[\\/]/).pop() ?? path;
      setJobId(await startJob({ kind: 'commit', path: path.trim(), message, checkpoint }, `Commit ${name}`));
    } catch (err) {
      setError(toErrorJSON(err));
    }
  };

  return (
    <Dialog title="Commit a new version" onClose={closeDialog} busy={running}>
      <form className="form" onSubmit={(e) => void submit(e)}>
        <PathField pick="file-or-folder" label="Model file or folder" value={path} onChange={setPath} disabled={running} placeholder="/path/to/model.safetensors" />
        <div className="field">
          <label htmlFor="commit-message">Message</label>
          <input id="commit-message" type="text" value={message} onChange={(e) => setMessage(e.target.value)} disabled={running} placeholder="What changed, e.g. “epoch 12, lr 3e-4”" data-autofocus />
        </div>
        <label className="switch">
          <input type="checkbox" role="switch" checked={checkpoint} onChange={(e) => setCheckpoint(e.target.checked)} disabled={running} />
          <span className="switch-track" aria-hidden="true" />
          <span>
            CHECKPOINT
            <span className="hint">Keep the full parameters on disk: a fast restore point, and a base that later deltas build on.</span>
          </span>
        </label>
        {job && running && <JobProgress job={job} />}
        {error && <ErrorMessage error={error} />}
        <div className="dialog-buttons">
          {running && jobId
            ? <button type="button" onClick={() => void cancelJob(jobId)}>Cancel commit</button>
            : <button type="button" onClick={closeDialog}>Cancel</button>}
          <button type="submit" className="primary" disabled={running || path.trim() === ''}>Commit</button>
        </div>
      </form>
    </Dialog>
  );
}
