// commit: a file or folder as a new version (the lock, the CHECKPOINT rule and
// autoCleanup are ops/commit's).
import type { CommitMeta, CommitResult } from '../../../src-shared/model';
import { progressOf, storeOf, type VerbContext } from './context';

export interface CommitArgs {
  /** Absolute, or relative to the context's cwd. */
  readonly path: string;
  readonly message: string;
  readonly checkpoint?: boolean;
  /** Commit even when every file matches HEAD (otherwise the result says unchanged). */
  readonly allowEmpty?: boolean;
  /** Step, epoch and metrics (`commit --step N --metric eval_loss=0.41`), or a run's meta from watch/import. */
  readonly meta?: CommitMeta;
  /** Read the files from here (a capture), record `path` as the source (ops/commit.ts). */
  readonly readFrom?: string;
}

export async function commit(ctx: VerbContext, args: CommitArgs): Promise<CommitResult> {
  const store = await storeOf(ctx);
  const path = await import('node:path');
  const target = path.resolve(ctx.cwd ?? store.root, args.path);
  const { commit: run } = await import('../ops/commit');
  return run(store, target, {
    message: args.message, checkpoint: args.checkpoint ?? false, skipUnchanged: !args.allowEmpty,
    ...(args.meta ? { meta: args.meta } : {}), ...(args.readFrom !== undefined ? { readFrom: args.readFrom } : {}), ...progressOf(ctx),
  });
}
