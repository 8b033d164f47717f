// The working copy HEAD came from, against HEAD: stat only (quick, the app's
// main side) or hashing what stat cannot vouch for (the workingCopy job).
import type { WorkingCopyState } from '../../../src-shared/verbs';
import { progressOf, storeOf, type VerbContext } from './context';

// The two readings live in jobs/working-copy-check.ts for now (being reworked
// beside this layer to cover every path); they move under core/ops with it.
const check = async () => import('../../jobs/working-copy-check');

export async function workingCopyQuick(ctx: VerbContext): Promise<WorkingCopyState> {
  return (await check()).quickWorkingCopy(await storeOf(ctx));
}

export async function workingCopy(ctx: VerbContext): Promise<WorkingCopyState> {
  return (await check()).hashWorkingCopy(await storeOf(ctx), progressOf(ctx));
}
