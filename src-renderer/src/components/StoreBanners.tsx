// What is wrong with the store, between the toolbar and the history: a
// damaged HEAD, restored links whose bytes changed (a link written into in
// place damaged the store's copy: Repair), and what the last verify found.
import { useMemo, useState } from 'react';
import { shortId } from '../../../src-shared/format';
import type { RestoredLinkProblem } from '../../../src-shared/model';
import { appWords, linkProblemText, linkTodo } from '../lib/repair-words';
import { verifySummary, verifySummaryText } from '../lib/verify-summary';
import { useApp } from '../state/app-store';
import { hideVerifySummary, openDialog } from '../state/actions';

const MAX_LINKS = 5;

export function StoreBanners() {
  return (
    <div className="banners">
      <HeadBanner />
      <LinkBanners />
      <VerifyBanner />
    </div>
  );
}

function HeadBanner() {
  const problem = useApp((s) => s.headProblem);
  if (!problem) return null;
  return (
    <section className="banner banner-danger" aria-label="HEAD is damaged">
      <div className="banner-body">
        <strong className="banner-title">HEAD is damaged</strong>
        <div className="banner-text">{appWords(problem)}</div>
        <div className="banner-hint">The history below is read from the commits themselves. New commits are refused until HEAD names a commit again: restore the commit to continue from to its own path.</div>
      </div>
    </section>
  );
}

function LinkBanners() {
  const links = useApp((s) => s.status?.links);
  const inPlace = useMemo(() => (links ?? []).filter((l) => l.problem === 'changed-in-place'), [links]);
  const other = useMemo(() => (links ?? []).filter((l) => l.problem !== 'changed-in-place'), [links]);
  // Broken and modified links harm nothing in the store: the user may put them out of sight until they change.
  const otherKey = other.map((l) => `${l.path}\0${l.problem}`).join('\n');
  const [hiddenKey, setHiddenKey] = useState<string | null>(null);
  return (
    <>
      {inPlace.length > 0 && (
        <section className="banner banner-danger" aria-label="Links changed in place">
          <div className="banner-body">
            <strong className="banner-title">
              {inPlace.length === 1 ? 'A restored link was changed in place' : `${inPlace.length} restored links were changed in place`}
            </strong>
            <LinkList links={inPlace} />
            <div className="banner-hint">Repair moves the damaged copy aside (the file keeps what was written into it) and rebuilds the committed version from intact bytes.</div>
          </div>
          <div className="banner-actions">
            <button type="button" className="primary" onClick={() => openDialog({ kind: 'repair' })}>Repair…</button>
          </div>
        </section>
      )}
      {other.length > 0 && hiddenKey !== otherKey && (
        <section className="banner banner-warn" aria-label="Restored links that changed">
          <div className="banner-body">
            <strong className="banner-title">
              {other.length === 1 ? 'A restored link no longer matches its commit' : `${other.length} restored links no longer match their commits`}
            </strong>
            <LinkList links={other} />
            <div className="banner-hint">{linkTodo(other.map((l) => l.problem))}</div>
          </div>
          <div className="banner-actions">
            <button type="button" className="icon-button" aria-label="Hide these link messages" onClick={() => setHiddenKey(otherKey)}>×</button>
          </div>
        </section>
      )}
    </>
  );
}

function LinkList({ links }: { links: readonly RestoredLinkProblem[] }) {
  return (
    <ul className="banner-list">
      {links.slice(0, MAX_LINKS).map((l) => (
        <li key={l.path} data-link-problem={l.problem}>
          <code className="path">{l.path}</code> <span className="muted">(restored from <code>{shortId(l.commit)}</code>)</span>: {linkProblemText(l.problem)}
        </li>
      ))}
      {links.length > MAX_LINKS && <li className="muted">and {links.length - MAX_LINKS} more (weightline status lists them all)</li>}
    </ul>
  );
}

function VerifyBanner() {
  const verify = useApp((s) => s.verify);
  const hidden = useApp((s) => s.verifySummaryHidden);
  const summary = useMemo(() => (verify ? verifySummary(Object.values(verify)) : null), [verify]);
  if (!summary || hidden) return null;
  const clean = summary.problems === 0;
  const tone = clean ? 'ok' : summary.lost > 0 ? 'danger' : 'warn';
  return (
    <section className={`banner banner-${tone}`} aria-label="Verify summary" data-testid="verify-summary">
      <div className="banner-body">
        <strong className="banner-title">{verifySummaryText(summary)}</strong>
        {!clean && (
          <div className="banner-hint">
            {summary.restorable > 0 && 'Commits marked “still restores” come back bit-exact by another route. '}
            Repair sets damaged objects aside (never deletes them) and rebuilds what intact bytes allow. Select a commit for the details.
          </div>
        )}
      </div>
      <div className="banner-actions">
        {!clean && <button type="button" className="primary" onClick={() => openDialog({ kind: 'repair' })}>Repair…</button>}
        <button type="button" className="icon-button" aria-label="Hide the verify summary" onClick={hideVerifySummary}>×</button>
      </div>
    </section>
  );
}
