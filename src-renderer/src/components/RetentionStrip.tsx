// A retention draft shown on the graph with the settings closed: what it
// would forget, and the ways on (exact bytes and confirm, back to editing,
// end the preview). The rows themselves carry the marks (CommitRow).
import { policyText } from '../../../src-shared/policy/retention';
import { versionsText } from '../lib/forget-words';
import { useApp } from '../state/app-store';
import { clearRetentionPreview, openDialog } from '../state/actions';
import { usePreview } from './RetentionSection';

export function RetentionStrip() {
  const draft = useApp((s) => s.retention.draft);
  const onGraph = useApp((s) => s.retention.onGraph);
  const dialog = useApp((s) => s.dialog);
  const preview = usePreview(draft);
  if (!draft || !onGraph || !preview || dialog?.kind === 'settings' || dialog?.kind === 'forget') return null;
  return (
    <section className="retention-strip" aria-label="Retention preview" data-testid="retention-strip">
      <span className="retention-strip-text">
        <strong>Retention preview</strong> <code>{policyText(draft)}</code>:{' '}
        {versionsText(preview.forget)} would go (struck through), {preview.keep} stay
        {preview.source === 'estimate' ? '' : ' (exact)'}.
      </span>
      <span className="retention-strip-buttons">
        <button type="button" className="small danger" disabled={preview.forget === 0} onClick={() => openDialog({ kind: 'forget', policy: draft })}>
          Forget {versionsText(preview.forget)}…
        </button>
        <button type="button" className="small" onClick={() => openDialog({ kind: 'settings' })}>Edit policy…</button>
        <button type="button" className="small" onClick={clearRetentionPreview}>End preview</button>
      </span>
    </section>
  );
}
