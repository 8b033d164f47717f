// cleanup and its preview. The preview proves routes by hashing objects and
// measures every block it would pack, so it runs as a job in the app.
import type { CleanupPlan } from '../../../src-shared/model';
import { progressOf, storeOf, type VerbContext } from './context';

export async function cleanup(ctx: VerbContext): Promise<CleanupPlan> {
  const store = await storeOf(ctx);
  return (await import('../ops/cleanup')).cleanup(store, progressOf(ctx));
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
