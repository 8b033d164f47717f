// repair: set damaged objects aside and rebuild what intact bytes allow;
// commits whose objects a remote holds are restorable there, not lost.
import type { RepairResult } from '../../../src-shared/model';
import { progressOf, remoteHolder, storeOf, type VerbContext } from './context';

export interface RepairArgs { readonly dryRun: boolean }

export async function repair(ctx: VerbContext, args: RepairArgs): Promise<RepairResult> {
  const store = await storeOf(ctx);
  const elsewhere = await remoteHolder(store);
  return (await import('../ops/repair')).repair(store, { dryRun: args.dryRun, ...progressOf(ctx), ...(elsewhere ? { elsewhere } : {}) });
}
