// cleanup and its preview. The preview proves routes by hashing objects and
// measures every block it would pack, so it runs as a job in the app.
import type { CleanupPlan } from '../../../src-shared/model';
import { progressOf, storeOf, type VerbContext } from './context';

/** Cleanup, then (autoForget on and a policy stored) the stored policy's forget, reported with it. */
export async function cleanup(ctx: VerbContext): Promise<CleanupPlan> {
  const store = await storeOf(ctx);
  const plan = await (await import('../ops/cleanup')).cleanup(store, progressOf(ctx));
  if (!(await store.readConfig()).autoForget) return plan;
  const policy = await (await import('../store/store-files')).readRetentionFile(store.dir);
  if (!policy) return plan;
  const { forgetVersions } = await import('../ops/forget');
  const { autoForgetReport } = await import('../ops/budget');
  const forgot = await forgetVersions(store, { policy, dryRun: false, ...progressOf(ctx) });
  return { ...plan, autoForget: autoForgetReport(policy, forgot) };
}

export interface CleanupPreviewArgs {
  /** Preview a changed setting (the settings pane) instead of the store's own. */
  readonly keepFullLatest?: number;
}

export async function cleanupPreview(ctx: VerbContext, args: CleanupPreviewArgs = {}): Promise<CleanupPlan> {
  const store = await storeOf(ctx);
  ctx.onProgress?.({ phase: 'planning', bytesDone: 0, bytesTotal: 0 });
  const { cleanupPlan, cleanupPlanWith } = await import('../ops/cleanup');
  return args.keepFullLatest === undefined ? cleanupPlan(store, progressOf(ctx)) : cleanupPlanWith(store, { keepFullLatest: args.keepFullLatest }, progressOf(ctx));
}
