// status: HEAD, the store's size, and the working copy against HEAD, in two
// speeds: `status` hashes what stat cannot vouch for (the CLI, the status
// job); `statusQuick` is stat only (the app's main side, within the quick
// budget: "probably-changed" until a job hashes).
import { WeightlineError } from '../../../src-shared/errors';
import type { StatusResult, TrashInfo } from '../../../src-shared/model';
import { rawCopies, type RawCopies } from '../../../src-shared/storage-totals';
import type { WorkingCopyState } from '../../../src-shared/verbs';
import { locations, storeOf, summariesOf, type Store, type VerbContext } from './context';
import { workingCopyQuick } from './working-copy';

export async function status(ctx: VerbContext): Promise<StatusResult> {
  const store = await storeOf(ctx);
  ctx.onProgress?.({ phase: 'hashing', bytesDone: 0, bytesTotal: 0 });
  const [s, trash] = await Promise.all([(await import('../ops/inspect')).status(store), trashOf(store)]);
  return { ...s, ...trash };
}

/**
 * What the trash holds, for the status line: absent when empty. A damaged
 * operation record leaves it out rather than failing status (a reader that
 * only looks); `weightline ops` and every writer name the file.
 */
async function trashOf(store: Store): Promise<{ trash?: TrashInfo }> {
  const { trashInfo } = await import('../ops/undo');
  const t = await trashInfo(store).catch((e: unknown) => {
    if (e instanceof WeightlineError && e.code === 'CORRUPT') return null;
    throw e;
  });
  return t && (t.bytes > 0 || t.operations > 0) ? { trash: t } : {};
}

/** workingCopy: the state the caller already has (the app's, confirmed by a job where stat could not tell). */
export async function statusQuick(ctx: VerbContext, args: { readonly workingCopy?: WorkingCopyState } = {}): Promise<StatusResult> {
  const store = await storeOf(ctx);
  const { quickStatus } = await import('../ops/inspect');
  const [quick, wc, trash] = await Promise.all([quickStatus(store, await summariesOf(ctx, store)), args.workingCopy ?? workingCopyQuick({ ...ctx, store }), trashOf(store)]);
  return { ...quick, ...trash, dirty: wc.state !== 'matches' && wc.state !== 'no-head', ...(wc.state === 'no-head' ? {} : { workingCopy: wc.state, paths: wc.paths }) };
}

export interface RemoteCounts {
  readonly remotes: ReadonlyArray<{ readonly name: string; readonly url: string; readonly commits: number; readonly listedAt: string | null }>;
  readonly commitsLocalOnly: number;
  readonly commitsRemoteOnly: number;
  readonly commitsBoth: number;
}

/** What `weightline status` adds: where commits are (with remotes) and the raw copies a cleanup could trim (from the log: an estimate, no plan). */
export async function statusExtras(ctx: VerbContext): Promise<{ readonly root: string; readonly remotes: RemoteCounts | null; readonly rawCopies: RawCopies }> {
  const store = await storeOf(ctx);
  const summaries = await summariesOf(ctx, store);
  const where = await locations(store, summaries);
  const count = (l: string): number => (where ? [...where.commits.values()].filter((x) => x === l).length : 0);
  const remotes = where ? { remotes: where.remotes, commitsLocalOnly: count('local'), commitsRemoteOnly: count('remote'), commitsBoth: count('both') } : null;
  const raw = rawCopies(await (await import('../ops/inspect')).log(store, summaries), (await store.readConfig()).keepFullLatest);
  return { root: store.root, remotes, rawCopies: raw };
}
