// clone: a new store from a remote (origin set), and a restore of its newest
// commit inside the clone (if that fails the clone removes what it made).
// Restore's own rule decides where a commit may be written: one recorded
// outside the store asks for --to, which becomes a note; the clone stands.
import { isWeightlineError } from '../../../src-shared/errors';
import type { CommitId } from '../../../src-shared/model';
import { shortId } from '../../../src-shared/format';
import { progressOf, type VerbContext } from './context';

export interface CloneArgs {
  readonly url: string;
  /** A new or empty folder: absolute, or relative to the context's cwd. */
  readonly dir: string;
  readonly endpoint?: string;
  readonly region?: string;
  /** Restore the newest commit (default true). */
  readonly checkout?: boolean;
}

export interface CloneOutcome {
  readonly root: string;
  readonly head: CommitId | null;
  readonly fetched: readonly CommitId[];
  /** Where the newest commit was restored, relative to the store root; null when it was not. */
  readonly restored: string | null;
  /** What the user should know (the restore's notes; why HEAD was not restored). */
  readonly notes: readonly string[];
}

export async function clone(ctx: VerbContext, args: CloneArgs): Promise<CloneOutcome> {
  const path = await import('node:path');
  const api = await import('../remote/index');
  let restored: string | null = null;
  const notes: string[] = [];
  let refused: string | null = null;
  const checkout = async (store: import('../store/store').Store, head: string): Promise<void> => {
    const { restore } = await import('../ops/restore');
    try {
      const done = await restore(store, head, { ...progressOf(ctx), fetchObjects: await api.remoteObjectFetcher(store, ctx.onProgress ? { onProgress: ctx.onProgress } : {}) });
      restored = path.relative(store.root, done.target) || '.';
      notes.push(...(done.notes ?? []).map((n) => n.message));
    } catch (e) {
      if (!isWeightlineError(e) || e.code !== 'UNSAFE_PATH') throw e;
      refused = `not restored: commit ${shortId(head)}: ${e.message}`;
    }
  };
  const res = await api.clone(args.url, path.resolve(ctx.cwd ?? '.', args.dir), {
    ...(args.endpoint ? { endpoint: args.endpoint } : {}), ...(args.region ? { region: args.region } : {}), ...progressOf(ctx),
    ...(args.checkout === false ? {} : { checkout }),
  });
  return { root: res.root, head: res.head, fetched: res.fetched, restored, notes: [...notes, ...(refused ? [refused] : [])] };
}
