// The working copy of every path that has commits, each against the newest
// commit of its line: stat only (quick, the app's
// main side) or hashing what stat cannot vouch for (the workingCopy job).
import type { WorkingCopyState } from '../../../src-shared/verbs';
import { progressOf, storeOf, summariesOf, type VerbContext } from './context';

// Loaded on use: the quick reading runs on the app's main side on every refresh, the CLI never needs it.
const check = async () => import('../ops/working-copy-check');

export async function workingCopyQuick(ctx: VerbContext): Promise<WorkingCopyState> {
  const store = await storeOf(ctx);
  // The summaries the app already holds for this state of the store: no second read of the log index per refresh.
  return (await check()).quickWorkingCopy(store, await summariesOf(ctx, store));
}

export async function workingCopy(ctx: VerbContext): Promise<WorkingCopyState> {
  return (await check()).hashWorkingCopy(await storeOf(ctx), progressOf(ctx));
}
