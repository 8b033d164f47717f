// show: one commit, its files, tensors and change figures (stored at commit time).
import type { CommitId, ShowResult } from '../../../src-shared/model';
import { storeOf, summariesOf, type VerbContext } from './context';

/** ref: HEAD when absent, as git show. */
export interface ShowArgs { readonly ref?: string }

export async function show(ctx: VerbContext, args: ShowArgs): Promise<ShowResult> {
  const store = await storeOf(ctx);
  const { show: run } = await import('../ops/inspect');
  return run(store, args.ref, await summariesOf(ctx, store));
}

/** HEAD, or null when there is none or it is damaged (show marks the commit HEAD is). */
export async function headOf(ctx: VerbContext): Promise<CommitId | null> {
  const head = await (await storeOf(ctx)).headState();
  return head.ok ? head.commit : null;
}
