// forget, undo, ops and the stored retention policy (docs/STORE-FORMAT.md, "Forget").
import type { ForgetPlan, OpInfo, TrashInfo, UndoResult } from '../../../src-shared/model';
import type { RetentionPolicy } from '../../../src-shared/policy/retention';
import type { ProgressListener } from '../../../src-shared/model';
import { storeOf, type VerbContext } from './context';

export interface ForgetArgs {
  /** The policy to apply; absent with no refs: the stored one (retention.json). */
  readonly policy?: RetentionPolicy | undefined;
  /** Commits to forget by name: refs and ranges (`A..B`). */
  readonly refs?: readonly string[] | undefined;
  readonly dryRun: boolean;
  readonly onProgress?: ProgressListener;
  readonly signal?: AbortSignal;
}

/** Applies a retention policy or forgets named commits (a dry run says exactly what would go, and the bytes). */
export async function forget(ctx: VerbContext, args: ForgetArgs): Promise<ForgetPlan> {
  const { forgetVersions } = await import('../ops/forget');
  return forgetVersions(await storeOf(ctx), { ...args, onProgress: args.onProgress ?? ctx.onProgress, signal: args.signal ?? ctx.signal });
}

/** Puts back the last operation that can still be undone (or the one named). */
export async function undo(ctx: VerbContext, args: { readonly op?: string | undefined }): Promise<UndoResult> {
  const { undoOperation } = await import('../ops/undo');
  return undoOperation(await storeOf(ctx), { ...args, onProgress: ctx.onProgress, signal: ctx.signal });
}

/** The operations log, newest first, and what the trash holds. */
export async function ops(ctx: VerbContext): Promise<{ ops: OpInfo[]; trash: TrashInfo }> {
  const { listOperations } = await import('../ops/undo');
  return listOperations(await storeOf(ctx));
}

/** The stored retention policy, null when none. */
export async function retentionGet(ctx: VerbContext): Promise<{ policy: RetentionPolicy | null }> {
  const { readRetentionFile } = await import('../store/store-files');
  return { policy: (await readRetentionFile((await storeOf(ctx)).dir)) ?? null };
}

/** Stores (or, with null, removes) the retention policy, under the store's write lock. */
export async function retentionSet(ctx: VerbContext, args: { readonly policy: RetentionPolicy | null }): Promise<{ policy: RetentionPolicy | null }> {
  const { writeRetentionPolicy } = await import('../store/retention-file');
  await writeRetentionPolicy(await storeOf(ctx), args.policy);
  return { policy: args.policy };
}
