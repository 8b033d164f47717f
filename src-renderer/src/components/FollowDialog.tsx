// "Follow a run…": point Weightline at a trainer's output folder. A watch job
// then commits each checkpoint the trainer completes, until stopped from the
// strip under the toolbar; what to do with the trainer's own copies is chosen
// here (kept, or removed once committed and verified, except the newest N).
import { useState, type FormEvent } from 'react';
import { joinPath } from '../lib/path-complete';
import { toErrorJSON } from '../lib/error-words';
import type { WeightlineErrorJSON } from '../../../src-shared/errors';
import { useApp } from '../state/app-store';
import { closeDialog, startFollow } from '../state/actions';
import { Dialog } from './Dialog';
import { ErrorMessage } from './ErrorMessage';
import { PathField } from './PathField';

export function FollowDialog() {
  const root = useApp((s) => s.store?.root ?? '');
  const following = useApp((s) => s.jobs.some((j) => j.jobId === s.followJobId && j.state === 'running'));
  const [dir, setDir] = useState(() => joinPath(root, ''));
  const [then, setThen] = useState<'keep' | 'remove'>('keep');
  const [keepNewest, setKeepNewest] = useState(1);
  const [error, setError] = useState<WeightlineErrorJSON | null>(null);
  const [starting, setStarting] = useState(false);
  const path = dir.trim().replace(/(.)[\\/]+$/u, '$1');

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if (starting || path === '') return;
    setError(null);
    setStarting(true);
    try {
      await startFollow({ dir: path, then, keepNewest });
      closeDialog();
    } catch (err) {
      setError(toErrorJSON(err));
      setStarting(false);
    }
  };

  return (
    <Dialog title="Follow a training run" onClose={closeDialog} busy={starting}>
      <form className="form" onSubmit={(e) => void submit(e)}>
        <PathField pick="folder" label="Run folder (the trainer's output_dir)" value={dir} onChange={setDir} disabled={starting} placeholder="/path/to/runs/my-run" autoFocus />
        <p className="hint">
          Each checkpoint the trainer completes becomes a commit on the run's line, with its step, epoch and metrics. A checkpoint
          still being written is never committed; one the trainer deletes right after writing it is captured first.
        </p>
        <fieldset className="choices">
          <legend>After each checkpoint is committed and verified, the trainer's own copy is</legend>
          <label className="radio">
            <input type="radio" name="then" checked={then === 'keep'} onChange={() => setThen('keep')} disabled={starting} />
            <span>kept</span>
            <span className="radio-detail">The folder stays as the trainer leaves it.</span>
          </label>
          <label className="radio">
            <input type="radio" name="then" checked={then === 'remove'} onChange={() => setThen('remove')} disabled={starting} />
            <span>removed, except the newest
              {' '}<input
                type="number" className="narrow-number" min={1} max={1000} value={keepNewest} disabled={starting || then !== 'remove'}
                aria-label="Checkpoints to keep in the run folder"
                onChange={(e) => setKeepNewest(Math.max(1, Math.min(1000, Math.round(Number(e.target.value)) || 1)))}
              />{' '}checkpoint{keepNewest === 1 ? '' : 's'}
            </span>
            <span className="radio-detail">The trainer can still resume from its folder; anything a process still has open is left alone. Every version stays in the store.</span>
          </label>
        </fieldset>
        {following && <p className="hint warn-text">A run is already followed from this window; this one is followed as well.</p>}
        {error && <ErrorMessage error={error} />}
        <div className="dialog-buttons">
          <button type="button" onClick={closeDialog}>Cancel</button>
          <button type="submit" className="primary" disabled={starting || path === ''}>Follow</button>
        </div>
      </form>
    </Dialog>
  );
}
