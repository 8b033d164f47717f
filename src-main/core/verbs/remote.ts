// remote add / list / remove: remotes.json and the remote caches only (small
// files, no network; the AWS SDK never loads for these).
import type { RemoteView } from '../../../src-shared/contract';
import { storeOf, type VerbContext } from './context';

const remotes = async () => import('../remote/remotes');

export interface RemoteAddArgs {
  readonly name: string;
  readonly url: string;
  readonly endpoint?: string;
  readonly region?: string;
}

function view(r: import('../remote/remotes').RemoteInfo): RemoteView {
  return { name: r.name, url: r.url, endpoint: r.endpoint, region: r.region, listedAt: r.listedAt, commits: r.commits };
}

export async function remoteAdd(ctx: VerbContext, args: RemoteAddArgs): Promise<RemoteView> {
  const info = await (await remotes()).addRemote(await storeOf(ctx), args.name, args.url, { ...(args.endpoint ? { endpoint: args.endpoint } : {}), ...(args.region ? { region: args.region } : {}) });
  return view(info);
}

export async function remoteRemove(ctx: VerbContext, args: { readonly name: string }): Promise<{ readonly name: string; readonly removed: true }> {
  await (await remotes()).removeRemote(await storeOf(ctx), args.name);
  return { name: args.name, removed: true };
}

export async function remoteList(ctx: VerbContext): Promise<{ readonly remotes: readonly RemoteView[]; readonly credentials: string }> {
  const api = await remotes();
  const [list, credentials] = await Promise.all([api.listRemotes(await storeOf(ctx)), api.credentialsSource()]);
  return { remotes: list.map(view), credentials };
}

/** The names of the store's remotes (push tells a remote's name from a commit by it). */
export async function remoteNames(ctx: VerbContext): Promise<string[]> {
  return Object.keys(await (await import('../remote/remote-files')).readRemotes(await storeOf(ctx)));
}
