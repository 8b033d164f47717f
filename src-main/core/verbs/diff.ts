// diff: per-tensor change figures between two commits, or a commit and the
// working copy at its path (reads both versions).
import type { DiffResult } from '../../../src-shared/model';
import { storeOf, type VerbContext } from './context';

/** to: the files at from's path now (the working copy) when absent. */
export interface DiffArgs { readonly from: string; readonly to?: string }

export async function diff(ctx: VerbContext, args: DiffArgs): Promise<DiffResult> {
  const store = await storeOf(ctx);
  // diff reports no progress of its own; say which phase it is in.
  ctx.onProgress?.({ phase: 'comparing', bytesDone: 0, bytesTotal: 0 });
  const { diff: run } = await import('../ops/inspect');
  return run(store, args.from, args.to);
}
