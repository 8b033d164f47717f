// Everything about the selected commit: where its bytes are, what a restore
// costs, its files and tensors, and which layers changed most.
import { exactTime, humanBytes, shortId } from '../../../src-shared/format';
import type { FileSummary, LogEntry, VerifyCommit } from '../../../src-shared/model';
import { checkpointWhy } from '../lib/commit-words';
import { appWords } from '../lib/repair-words';
import { AHEAD_OF_HEAD_TITLE } from '../lib/row-title';
import { verdictOf } from '../lib/verify-summary';
import { useApp } from '../state/app-store';
import { deleteTag, openDialog, select, setPinned } from '../state/actions';
import { useRunMetrics } from '../hooks/use-run-metrics';
import { formatMetric, metricDirection, type BestMark } from '../lib/run-metrics';
import { bestTitle } from '../lib/run-words';
import { CopyButton } from './CopyButton';
import { RelativeTime } from './RelativeTime';
import { TensorChanges } from './TensorChanges';

export function DetailsPane() {
  const selectedId = useApp((s) => s.selectedId);
  const entry = useApp((s) => s.commits.find((c) => c.id === s.selectedId));
  const show = useApp((s) => (s.selectedId ? s.details[s.selectedId] : undefined));
  const head = useApp((s) => s.head);
  const verify = useApp((s) => (s.selectedId ? s.verify?.[s.selectedId] : undefined));
  const run = useRunMetrics();

  if (!selectedId || !entry) {
    return <aside className="details empty-pane" aria-label="Commit details"><p className="muted">Select a commit to see its details.</p></aside>;
  }
  // Comparing two commits has its own view (CompareView); this pane shows the selected commit.
  const files: readonly FileSummary[] | null = show?.files ?? null;

  return (
    <aside className="details" aria-label="Commit details">
      <header className="details-head">
        <h2 className="details-title">{entry.message || <span className="muted">(no message)</span>}</h2>
        <div className="details-tags">
          <span className={`badge ${entry.type === 'CHECKPOINT' ? 'badge-checkpoint' : 'badge-type'}`}>{entry.type}</span>
          {entry.id === head && <span className="head-tag">HEAD</span>}
          {entry.pinned && <span className="badge badge-pinned">pinned</span>}
          {entry.aheadOfHead && <span className="ahead-tag" title={AHEAD_OF_HEAD_TITLE}>ahead of HEAD</span>}
        </div>
      </header>
      <dl className="facts">
        <dt>Time</dt>
        <dd><RelativeTime iso={entry.createdAt} /> <span className="muted">· {exactTime(entry.createdAt)}</span></dd>
        <dt>Id</dt>
        <dd className="id-line"><code className="full-id">{entry.id}</code><CopyButton text={entry.id} what="commit id" label="Copy id" /></dd>
        <dt>Parent</dt>
        <dd>{entry.parent
          ? <button type="button" className="link" onClick={() => select(entry.parent, { focus: true })}><code>{shortId(entry.parent)}</code></button>
          : <span className="muted">none (first commit)</span>}</dd>
        <dt>Type</dt>
        <dd>
          {entry.type === 'CHECKPOINT' ? 'CHECKPOINT: keeps full parameters as a base for rebuilding' : 'DELTA: stored as the difference from its parent'}
          {entry.type === 'CHECKPOINT' && show?.checkpointReason && (
            <div className="muted" data-testid="checkpoint-reason">Why: {checkpointWhy(show.checkpointReason)}</div>
          )}
        </dd>
        <dt>Size</dt>
        <dd>{humanBytes(entry.logicalBytes)} <span className="muted">as files</span></dd>
        <dt>On disk</dt>
        <dd>{onDisk(entry)}</dd>
        <dt>Restore cost</dt>
        <dd>{entry.chainLength === 0
          ? 'reads the full parameters directly'
          : `rebuilds by replaying ${entry.chainLength} delta${entry.chainLength === 1 ? '' : 's'}`}</dd>
        <dt>Path</dt>
        <dd><code className="path">{entry.path || '.'}</code></dd>
        <dt>Pinned</dt>
        <dd>
          {entry.pinned ? 'yes, cleanup keeps its full parameters' : 'no'}{' '}
          <button type="button" className="link" onClick={() => void setPinned(entry.id, !entry.pinned)}>{entry.pinned ? 'Unpin' : 'Pin'}</button>
        </dd>
        <dt>Tags</dt>
        <dd className="tag-list" data-testid="details-tags">
          {(entry.tags ?? []).map((t) => (
            <span key={t} className="tag-chip">
              {t}
              <button type="button" className="tag-remove" aria-label={`Delete tag ${t}`} title={`Delete tag ${t} (the commit stays)`} onClick={() => void deleteTag(t)}>×</button>
            </span>
          ))}
          <button type="button" className="link" onClick={() => openDialog({ kind: 'tag', id: entry.id })}>Tag…</button>
        </dd>
        {entry.meta && <RunFacts entry={entry} best={run.best.get(entry.id)} />}
        {verify && (
          <>
            <dt>Verified</dt>
            <dd><VerifyFinding verify={verify} /></dd>
          </>
        )}
      </dl>

      {files === null ? (
        <p className="muted loading-line">Loading files…</p>
      ) : (
        <>
          <section aria-label="Files">
            <h3>Files</h3>
            <ul className="files">
              {files.map((f) => (
                <li key={f.path}>
                  <code className="path file-path" title={f.sha256 ? `${f.path}\nsha256 ${f.sha256}` : f.path}><span>{f.path}</span></code>
                  <span className="muted">{f.format || 'bytes'}</span>
                  <span className={`status status-${f.status}`}>{f.status}</span>
                  <span className="num">{humanBytes(f.bytes)}</span>
                </li>
              ))}
            </ul>
          </section>
          <TensorChanges files={files} tensorsClassName="tensors-section" />
        </>
      )}
    </aside>
  );
}

/** What a training run recorded on this commit: step, epoch, metrics, which trainer wrote it and where. */
function RunFacts({ entry, best }: { entry: LogEntry; best: BestMark | undefined }) {
  const m = entry.meta!;
  const metrics = Object.entries(m.metrics ?? {});
  return (
    <>
      {(m.step !== undefined || m.epoch !== undefined) && (
        <>
          <dt>Step</dt>
          <dd data-testid="details-step">
            {m.step ?? '–'}{m.epoch !== undefined && <span className="muted"> · epoch {formatMetric(m.epoch)}</span>}
          </dd>
        </>
      )}
      {metrics.length > 0 && (
        <>
          <dt>Metrics</dt>
          <dd>
            <dl className="metric-list" data-testid="details-metrics">
              {metrics.map(([k, v]) => (
                <div key={k} style={{ display: 'contents' }}>
                  <dt title={metricDirection(k) === 'lower' ? 'lower is better' : 'higher is better'}>{k}</dt>
                  <dd className="num">{formatMetric(v)}</dd>
                  <dd>{best?.metric === k && <span className="best-tag" data-testid="details-best" title={bestTitle(best)}>★ best</span>}</dd>
                </div>
              ))}
            </dl>
          </dd>
        </>
      )}
      {(m.trainer || m.run || m.checkpoint) && (
        <>
          <dt>Run</dt>
          <dd className="details-run">
            {m.run && <code className="path">{m.run}</code>}
            {m.checkpoint && <span> / <code>{m.checkpoint}</code></span>}
            {m.trainer && <span className="muted"> · {m.trainer}</span>}
            {m.trainerBest && <div className="muted">Trainer's best so far: <code>{m.trainerBest}</code>{m.trainerBestMetric ? ` by ${m.trainerBestMetric}` : ''}</div>}
          </dd>
        </>
      )}
    </>
  );
}

/** Verify's finding for one commit: whether it still restores, how, what is damaged, and the way out. */
function VerifyFinding({ verify }: { verify: VerifyCommit }) {
  const verdict = verdictOf(verify);
  if (verdict === 'ok' && verify.warning) {
    // Restores bit-exact; something no repair brings back is gone (e.g. a delta written before deterministic encoding).
    return <div className="verify-finding" data-verdict="ok"><span className="ok-text">✓ every byte checked</span><div className="muted" data-testid="verify-warning">{appWords(verify.warning)}</div></div>;
  }
  if (verdict === 'ok') return <span className="ok-text">✓ every byte checked</span>;
  return (
    <div className="verify-finding" data-verdict={verdict}>
      <strong className={verdict === 'restorable' ? 'warn-text' : 'problem-text'}>
        {verdict === 'restorable' ? '⚠ Problem found — still restores bit-exact' : '✕ Cannot be restored'}
      </strong>
      {/* The error usually names the route already; say it once. */}
      {verify.route && !verify.error?.includes(verify.route) && <div className="muted">By another route: {verify.route}</div>}
      {verify.error && <div className="finding-error">{appWords(verify.error)}</div>}
      <div><button type="button" className="link" onClick={() => openDialog({ kind: 'repair' })}>Repair…</button></div>
    </div>
  );
}

function onDisk(e: LogEntry): string {
  const parts: string[] = [];
  if (e.hasFull && e.packed) parts.push(`full parameters packed, ${humanBytes(e.fullBytes)}`);
  else if (e.hasFull) parts.push(e.fullBytes > 0 ? `full parameters ${humanBytes(e.fullBytes)}` : 'full parameters (shared with an older commit)');
  else parts.push('no full copy (rebuilt on demand)');
  if (e.type === 'DELTA') parts.push(`delta ${humanBytes(e.deltaBytes)}`);
  return parts.join(' + ');
}
