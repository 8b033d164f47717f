// restore: a version back at its own path, or anywhere with `to`; a commit
// whose objects only a remote holds has its route's objects downloaded first.
import type { LinkMode, RestoreResult } from '../../../src-shared/model';
import { progressOf, restoreFetcher, storeOf, type VerbContext } from './context';

export interface RestoreArgs {
  readonly commit: string;
  /** Absolute, or relative to the context's cwd; a trailing separator means "into this folder". */
  readonly to?: string;
  readonly force?: boolean;
  readonly link?: LinkMode;
}

export async function restore(ctx: VerbContext, args: RestoreArgs): Promise<RestoreResult> {
  const store = await storeOf(ctx);
  const path = await import('node:path');
  // path.resolve drops a trailing slash, which says "into this folder (even one not made yet)".
  const to = args.to === undefined ? undefined : path.resolve(ctx.cwd ?? store.root, args.to) + (/[\\/]$/.test(args.to) ? path.sep : '');
  const fetchObjects = await restoreFetcher(store, ctx.onProgress);
  const { restore: run } = await import('../ops/restore');
  return run(store, args.commit, {
    ...(to ? { to } : {}), force: args.force ?? false, link: args.link ?? 'auto', ...progressOf(ctx), ...(fetchObjects ? { fetchObjects } : {}),
  });
}
