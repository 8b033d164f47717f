// Short messages at the top: confirmations fade; errors, warnings (a
// restore's notes) and confirmations with lines under them (what autoCleanup
// freed, why a commit became a CHECKPOINT: more than a glance reads) stay
// until closed.
import { useEffect } from 'react';
import { dismissNotice, useApp } from '../state/app-store';
import { ErrorMessage } from './ErrorMessage';

const INFO_MS = 5000;
/** A confirmation with a button (a forget's Undo) stays long enough to reach for it; the operations list keeps the Undo after. */
const ACTION_MS = 30_000;

export function Notices() {
  const notices = useApp((s) => s.notices);
  useEffect(() => {
    const infos = notices.filter((n) => n.tone === 'info' && !(n.details && n.details.length > 0));
    if (infos.length === 0) return;
    const quick = infos.filter((n) => !n.action);
    const slow = infos.filter((n) => n.action);
    const t = quick.length ? setTimeout(() => quick.forEach((n) => dismissNotice(n.key)), INFO_MS) : undefined;
    const u = slow.length ? setTimeout(() => slow.forEach((n) => dismissNotice(n.key)), ACTION_MS) : undefined;
    return () => { clearTimeout(t); clearTimeout(u); };
  }, [notices]);
  return (
    <div className="notices" aria-live="polite">
      {notices.map((n) => (
        <div key={n.key} className={`notice notice-${n.tone}`} role={n.tone === 'error' ? undefined : 'status'}>
          {n.error ? <ErrorMessage error={n.error} /> : (
            <div>
              <div>{n.text}</div>
              {n.details && n.details.length > 0 && <ul className="notice-details">{n.details.map((d, i) => <li key={i}>{d}</li>)}</ul>}
              {n.action && (
                <button type="button" className="small notice-action" onClick={() => { dismissNotice(n.key); n.action!.run(); }}>{n.action.label}</button>
              )}
            </div>
          )}
          <button type="button" className="icon-button" aria-label="Dismiss message" onClick={() => dismissNotice(n.key)}>×</button>
        </div>
      ))}
    </div>
  );
}
