// status: HEAD, the store's size, and the working copy against HEAD, in two
// speeds: `status` hashes what stat cannot vouch for (the CLI, the status
// job); `statusQuick` is stat only (the app's main side, within the quick
// budget: "probably-changed" until a job hashes).
import type { StatusResult } from '../../../src-shared/model';
import { rawCopies, type RawCopies } from '../../../src-shared/storage-totals';
import type { WorkingCopyState } from '../../../src-shared/verbs';
import { locations, storeOf, summariesOf, type VerbContext } from './context';
import { workingCopyQuick } from './working-copy';

export async function status(ctx: VerbContext): Promise<StatusResult> {
  const store = await storeOf(ctx);
  ctx.onProgress?.({ phase: 'hashing', bytesDone: 0, bytesTotal: 0 });
  return (await import('../ops/inspect')).status(store);
}

/** workingCopy: the state the caller already has (the app's, confirmed by a job where stat could not tell). */
export async function statusQuick(ctx: VerbContext, args: { readonly workingCopy?: WorkingCopyState } = {}): Promise<StatusResult> {
  const store = await storeOf(ctx);
  const { quickStatus } = await import('../ops/inspect');
  const [quick, wc] = await Promise.all([quickStatus(store, await summariesOf(ctx, store)), args.workingCopy ?? workingCopyQuick({ ...ctx, store })]);
  return { ...quick, dirty: wc.state !== 'matches' && wc.state !== 'no-head', ...(wc.state === 'no-head' ? {} : { workingCopy: wc.state, paths: wc.paths }) };
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
