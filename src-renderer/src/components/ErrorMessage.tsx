import type { WeightlineErrorJSON } from '../../../src-shared/errors';
import { errorWords } from '../lib/error-words';

/** What happened, to which file, and what to do: the three things a person needs to act. */
export function ErrorMessage({ error }: { error: WeightlineErrorJSON }) {
  const w = errorWords(error);
  return (
    <div className="error-message" role="alert">
      <strong className="error-title">{w.title}</strong>
      {w.file && <div className="error-file">File: <code>{w.file}</code></div>}
      <div className="error-detail">{w.detail}</div>
      <div className="error-todo">{w.todo}</div>
    </div>
  );
}
