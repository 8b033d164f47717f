// The operations log (`weightline ops`), newest first: what each forget,
// cleanup, repair quarantine and undo changed, and whether it can still be
// undone. Undo acts on the newest undoable one, as `weightline undo` does.
import { useEffect } from 'react';
import { exactTime, humanBytes } from '../../../src-shared/format';
import { dayText, opKindText, trashText, undoableOp } from '../lib/forget-words';
import { useApp } from '../state/app-store';
import { closeDialog, loadOps, startUndo } from '../state/actions';
import { Dialog } from './Dialog';
import { RelativeTime } from './RelativeTime';

export function OpsDialog() {
  const ops = useApp((s) => s.ops);
  const undoing = useApp((s) => s.jobs.some((j) => j.kind === 'undo' && j.state === 'running'));
  useEffect(() => { void loadOps(); }, []);
  const next = ops ? undoableOp(ops.list) : null;
  const trash = trashText(ops?.trash);
  return (
    <Dialog title="Operations" onClose={closeDialog} wide>
      {!ops && <p className="muted">Reading the operations log…</p>}
      {ops && (
        <>
          <p className="ops-trash" data-testid="ops-trash" data-bytes={ops.trash.bytes}>
            {trash ? `${trash}.` : 'The trash is empty.'}{' '}
            {ops.trash.bytes > 0 && <span className="muted">Forgotten versions stay there until then, or until a commit needs the space (oldest first).</span>}
          </p>
          {ops.list.length === 0 && <p className="muted">No operations yet: forgets, cleanups, repairs and undos are listed here.</p>}
          {ops.list.length > 0 && (
            <div className="ops-table" role="table" aria-label="Operations, newest first">
              <div role="row" className="ops-row ops-head">
                <span role="columnheader">Operation</span>
                <span role="columnheader">When</span>
                <span role="columnheader">What it changed</span>
                <span role="columnheader" className="num">Bytes</span>
                <span role="columnheader"><span className="visually-hidden">Undo</span></span>
              </div>
              {ops.list.map((o) => (
                <div role="row" className={`ops-row ops-${o.state}`} key={o.id} data-op={o.id} data-kind={o.kind}>
                  <span role="cell" className="ops-kind">{opKindText(o.kind)}{o.state !== 'done' && <span className="muted"> ({o.state})</span>}</span>
                  <span role="cell" title={exactTime(o.startedAt)}><RelativeTime iso={o.startedAt} /></span>
                  <span role="cell" className="ops-summary">
                    {/[.!?]$/u.test(o.summary) ? o.summary : `${o.summary}.`}
                    {o.undoable && o.trashUntil && <span className="muted"> Can be undone until {dayText(o.trashUntil)}.</span>}
                    {!o.undoable && o.whyNot && <span className="muted"> {o.whyNot}</span>}
                  </span>
                  <span role="cell" className="num">{o.bytes > 0 ? humanBytes(o.bytes) : ''}</span>
                  <span role="cell">
                    {next?.id === o.id && (
                      <button type="button" className="small" disabled={undoing} onClick={() => void startUndo(o.id)}>{undoing ? 'Undoing…' : 'Undo'}</button>
                    )}
                  </span>
                </div>
              ))}
            </div>
          )}
        </>
      )}
      <div className="dialog-buttons"><button type="button" onClick={closeDialog}>Close</button></div>
    </Dialog>
  );
}
