import type { Command } from 'commander';
import type { OpInfo, TrashInfo, UndoResult } from '../../src-shared/model';
import { printable } from '../../src-shared/printable';
import type { VerbContext } from '../core/verbs';
import { verbs } from '../core/verbs';
import type { CommandContext } from './command-context';
import { shortId, trashText } from './format';

// `weightline undo` and `weightline ops`: the operations log
// (docs/STORE-FORMAT.md, "Trash and the operations log").

export interface OpsCommandContext extends CommandContext {
  verbCtx(): VerbContext;
  withBar<T>(json: boolean | undefined, run: (ctx: VerbContext) => Promise<T>): Promise<T>;
}

export function registerOps(program: Command, ctx: OpsCommandContext): void {
  const { out, err, json } = ctx;
  program.command('undo')
    .description('put back the last forget (its versions come back from the trash exactly as they were), or the operation named')
    .argument('[op]', 'an operation id from `weightline ops` (or a unique prefix); default: the last forget')
    .option('--json', 'print JSON: {"undone":{"id","kind","state","summary","commits",…},"restored":["<id>",…],"op":"<undo id>","notes"?}')
    .action(async (op: string | undefined, o: { json?: boolean }) => {
      const res = await ctx.withBar(o.json, (c) => verbs.undo(c, { op }));
      for (const n of res.notes ?? []) err(`weightline: note: ${printable(n)}`);
      if (o.json) json(res);
      else out(formatUndo(res));
    });

  program.command('ops')
    .description('list the operations log, newest first: what each forget, cleanup, repair and undo changed, and whether it can still be undone')
    .option('--json', 'print JSON: {"ops":[{"id","kind","startedAt","finishedAt","state","summary","commits","bytes","undoable","whyNot"?,"trashUntil"?}],"trash":{"bytes","operations","goneBy"}}')
    .action(async (o: { json?: boolean }) => {
      const res = await verbs.ops(ctx.verbCtx());
      if (o.json) json(res);
      else out(formatOps(res.ops, res.trash));
    });
}

export function formatUndo(res: UndoResult): string {
  const n = res.restored.length;
  return [
    `Put back operation ${res.undone.id}: ${n} version(s) are in the history again (${res.restored.slice(0, 4).map(shortId).join(', ')}${n > 4 ? ', …' : ''}).`,
    `Recorded as ${res.op} in the operations log (\`weightline ops\`).`,
  ].join('\n');
}

/** Newest first: id, kind, time, state, summary, and whether an undo can put it back (and if not, why). */
export function formatOps(ops: readonly OpInfo[], trash: TrashInfo): string {
  if (ops.length === 0) return 'No operations yet (forget, cleanup, repair and undo are recorded here).';
  const lines: string[] = [];
  for (const op of ops) {
    const when = (op.finishedAt ?? op.startedAt).replace('T', ' ').slice(0, 19);
    lines.push(`${op.id}  ${op.kind.padEnd(7)}  ${when} UTC  ${op.state}`);
    lines.push(`    ${printable(op.summary)}`);
    lines.push(`    undo: ${op.undoable ? `yes${op.trashUntil ? ` (until ${op.trashUntil.slice(0, 10)} at the latest)` : ''}` : `no (${printable(op.whyNot ?? 'not undoable')})`}`);
  }
  if (trash.bytes > 0 || trash.operations > 0) lines.push('', `trash: ${trashText(trash)}`);
  return lines.join('\n');
}
