// What the app says about forgets, undos and the operations log, from the
// typed results (ForgetPlan, UndoResult, OpInfo): one place for the words, so
// the notice, the confirm and the operations list agree.
import { humanBytes, shortId } from '../../../src-shared/format';
import type { ForgetPlan, OpInfo, OpKind, TrashInfo, UndoResult } from '../../../src-shared/model';

/** A day as people read it: "Dec 14, 2026". */
export function dayText(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleDateString('en-US', { year: 'numeric', month: 'short', day: 'numeric' });
}

export function versionsText(n: number): string {
  return `${n} version${n === 1 ? '' : 's'}`;
}

/** The notice after a forget: how many went, what comes back once the trash is emptied, and until when an undo can put them back. */
export function forgetDoneText(plan: ForgetPlan): string {
  if (plan.forgotten === 0) return 'Nothing was forgotten: every version is kept.';
  const freed = humanBytes(Math.max(0, plan.bytesFreed));
  return plan.trashUntil
    ? `Forgot ${versionsText(plan.forgotten)}, ${freed} freed once the trash is emptied (until ${dayText(plan.trashUntil)}).`
    : `Forgot ${versionsText(plan.forgotten)}, ${freed} freed.`;
}

export function undoDoneText(r: UndoResult): string {
  const n = r.restored.length;
  return `Undid the ${opKindText(r.undone.kind).toLowerCase()} of ${dayText(r.undone.startedAt)}: ${versionsText(n)} ${n === 1 ? 'is' : 'are'} back.`;
}

export function opKindText(kind: OpKind): string {
  switch (kind) {
    case 'forget': return 'Forget';
    case 'cleanup': return 'Cleanup';
    case 'repair': return 'Repair quarantine';
    case 'undo': return 'Undo';
    case 'trash-purge': return 'Trash emptied';
  }
}

/** The one operation an Undo button acts on: the newest that can still be undone (what `weightline undo` puts back). */
export function undoableOp(ops: readonly OpInfo[]): OpInfo | null {
  return ops.find((o) => o.undoable) ?? null;
}

/** "2.1 GB in trash, gone by Dec 14" for the status line; null when empty. */
export function trashText(t: TrashInfo | null | undefined): string | null {
  if (!t || t.bytes <= 0) return null;
  return `${humanBytes(t.bytes)} in trash${t.goneBy ? `, gone by ${dayText(t.goneBy)}` : ''}`;
}

/** "2.1 GB in trash": the status line's short form (trashText on hover). */
export function trashShort(t: TrashInfo | null | undefined): string | null {
  return t && t.bytes > 0 ? `${humanBytes(t.bytes)} in trash` : null;
}

/** The confirm button of a forget: it names the count and the exact bytes. */
export function forgetConfirmText(plan: ForgetPlan): string {
  return `Forget ${versionsText(plan.forgotten)} (frees ${humanBytes(Math.max(0, plan.bytesFreed))})`;
}

/** Where a kept commit's storage moves to, in words. */
export function rebasedText(onto: string | null | undefined, bytes: number | undefined): string {
  const size = bytes !== undefined ? ` (${humanBytes(bytes)})` : '';
  return onto === null ? `becomes a CHECKPOINT${size}` : `re-based onto ${shortId(onto ?? '')}${size}`;
}
