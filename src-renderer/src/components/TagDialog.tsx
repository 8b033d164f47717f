// Name a commit: "Tag…" from its menu or the details pane. The name is
// checked as it is typed with the same rule the store applies (tagNameSchema),
// and the rule is shown, so a refused name never reaches the job.
import { useState, type FormEvent } from 'react';
import { shortId } from '../../../src-shared/format';
import type { CommitId } from '../../../src-shared/model';
import { tagNameSchema } from '../../../src-shared/verbs';
import { toErrorJSON } from '../lib/error-words';
import { useDialogJob } from '../hooks/use-dialog-job';
import { useApp } from '../state/app-store';
import { cancelJob, closeDialog, startTag } from '../state/actions';
import { Dialog } from './Dialog';
import { ErrorMessage } from './ErrorMessage';

export const TAG_RULE = 'Letters, digits, ".", "_", "-" and "/"; not HEAD, not a hex string that reads as a commit id.';

/** Why a name is refused (the schema's first reason), or null when it is a valid tag name. */
export function tagNameProblem(name: string): string | null {
  const r = tagNameSchema.safeParse(name);
  return r.success ? null : (r.error.issues[0]?.message ?? 'not a valid tag name');
}

export function TagDialog({ id }: { id: CommitId }) {
  const entry = useApp((s) => s.commits.find((c) => c.id === id));
  // Taken by another commit: the tag moves (newest setting wins), and the dialog says so first.
  const owners = useApp((s) => s.commits);
  const [name, setName] = useState('');
  const { jobId, setJobId, error, setError, running } = useDialogJob('Tagging was cancelled.');
  const trimmed = name.trim();
  const problem = trimmed === '' ? null : tagNameProblem(trimmed);
  const movesFrom = trimmed ? owners.find((c) => c.id !== id && c.tags?.includes(trimmed)) : undefined;
  const already = entry?.tags?.includes(trimmed) ?? false;

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if (running || trimmed === '' || problem || already) return;
    setError(null);
    try {
      setJobId(await startTag(trimmed, id));
    } catch (err) {
      setError(toErrorJSON(err));
    }
  };

  return (
    <Dialog title={<>Tag <span className="muted">{entry?.message || shortId(id)}</span></>} onClose={closeDialog} busy={running}>
      <form className="form" onSubmit={(e) => void submit(e)}>
        <div className="field">
          <label htmlFor="tag-name">Tag name</label>
          <input
            id="tag-name" type="text" value={name} onChange={(e) => setName(e.target.value)} disabled={running}
            placeholder="best, v1.0, release/2026-12" spellCheck={false} autoComplete="off" data-autofocus
            aria-invalid={problem !== null} aria-describedby="tag-rule"
          />
          <span id="tag-rule" className={`hint${problem ? ' problem-text' : ''}`} data-testid="tag-rule">
            {problem ? `Not a tag name: ${problem}.` : TAG_RULE}
          </span>
          {movesFrom && <span className="hint warn-text">{trimmed} now names {shortId(movesFrom.id)} ({movesFrom.message || 'no message'}); it moves to this commit.</span>}
          {already && <span className="hint">This commit is already tagged {trimmed}.</span>}
        </div>
        <p className="hint">Use it anywhere a commit is asked for: <code>weightline restore {trimmed || 'NAME'}</code>, <code>diff {trimmed || 'NAME'} HEAD</code>.</p>
        {error && <ErrorMessage error={error} />}
        <div className="dialog-buttons">
          {running && jobId
            ? <button type="button" onClick={() => void cancelJob(jobId)}>Cancel</button>
            : <button type="button" onClick={closeDialog}>Cancel</button>}
          <button type="submit" className="primary" disabled={running || trimmed === '' || problem !== null || already}>Tag</button>
        </div>
      </form>
    </Dialog>
  );
}
