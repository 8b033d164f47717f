// commit: a file or folder as a new version (the lock, the CHECKPOINT rule and
// autoCleanup are ops/commit's).
import type { CommitResult } from '../../../src-shared/model';
import { progressOf, storeOf, type VerbContext } from './context';

export interface CommitArgs {
  /** Absolute, or relative to the context's cwd. */
  readonly path: string;
  readonly message: string;
  readonly checkpoint?: boolean;
  /** Commit even when every file matches HEAD (otherwise the result says unchanged). */
  readonly allowEmpty?: boolean;
}

export async function commit(ctx: VerbContext, args: CommitArgs): Promise<CommitResult> {
  const store = await storeOf(ctx);
  const path = await import('node:path');
  const target = path.resolve(ctx.cwd ?? store.root, args.path);
  const { commit: run } = await import('../ops/commit');
  return run(store, target, { message: args.message, checkpoint: args.checkpoint ?? false, skipUnchanged: !args.allowEmpty, ...progressOf(ctx) });
}
