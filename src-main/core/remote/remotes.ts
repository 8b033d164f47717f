import { WeightlineError } from '../../../src-shared/errors';
import { withWriteLock } from '../store/lock';
import { objectSizes, graphCommitOf, type GraphCommit } from '../store/graph';
import type { Store } from '../store/store';
import { dropRemoteCache, readRemoteCache, readRemotes, REMOTE_NAME, writeRemotes, type RemoteConfig } from './remote-files';
import { parseRemoteUrl, remoteUrl } from './url';

// remote add / list / remove, and where each commit's data is: on this
// machine, on a remote, or both (for log and status).

export interface RemoteInfo extends RemoteConfig {
  readonly name: string;
  /** When the remote was last listed (push, fetch, clone), null if never. */
  readonly listedAt: string | null;
  /** Commits the remote held when last listed. */
  readonly commits: number | null;
}

export async function addRemote(store: Store, name: string, url: string, opts: { endpoint?: string; region?: string } = {}): Promise<RemoteInfo> {
  if (!REMOTE_NAME.test(name)) throw new WeightlineError('BAD_USAGE', `a remote name starts with a letter or digit and takes letters, digits, ".", "_" and "-" (64 at most): "${name}"`);
  const loc = parseRemoteUrl(url);
  if (opts.endpoint !== undefined && !/^https?:\/\/[^/\s]+/.test(opts.endpoint)) throw new WeightlineError('BAD_USAGE', `--endpoint takes a URL like https://s3.example.com or http://127.0.0.1:7480, found "${opts.endpoint}"`);
  const config: RemoteConfig = { url: remoteUrl(loc), endpoint: opts.endpoint ?? null, region: opts.region ?? null };
  await withWriteLock(store, 'remote', async () => {
    const remotes = await readRemotes(store);
    if (remotes[name]) throw new WeightlineError('BAD_USAGE', `a remote named "${name}" already exists (${remotes[name]!.url}); remove it first (\`weightline remote remove ${name}\`)`);
    await writeRemotes(store, { ...remotes, [name]: config });
  });
  return { name, ...config, listedAt: null, commits: null };
}

export async function removeRemote(store: Store, name: string): Promise<void> {
  await withWriteLock(store, 'remote', async () => {
    const remotes = await readRemotes(store);
    if (!remotes[name]) throw new WeightlineError('NOT_FOUND', `no remote named "${name}"`);
    const { [name]: _gone, ...rest } = remotes;
    await writeRemotes(store, rest);
    await dropRemoteCache(store, name);
  });
}

export async function listRemotes(store: Store): Promise<RemoteInfo[]> {
  const remotes = await readRemotes(store);
  const out: RemoteInfo[] = [];
  for (const [name, r] of Object.entries(remotes)) {
    const c = await readRemoteCache(store, name);
    out.push({ name, ...r, listedAt: c?.at ?? null, commits: c ? c.commits.length : null });
  }
  return out;
}

export type CommitLocation = 'local' | 'remote' | 'both';

export interface Locations {
  /** Per commit: its data on this machine only, on a remote only, or both. */
  readonly commits: ReadonlyMap<string, CommitLocation>;
  /** Per remote (as last listed): commits it holds. */
  readonly remotes: ReadonlyArray<{ readonly name: string; readonly url: string; readonly commits: number; readonly listedAt: string | null }>;
}

/**
 * Where each commit is. "On a remote": its manifest was there when the remote
 * was last listed. "Here": every file's full object or delta object is on disk
 * (a commit fetched but never restored has neither). Null when the store has
 * no remote (then every commit is local and the caller says nothing).
 */
export async function commitLocations(store: Store): Promise<Locations | null> {
  const remotes = await readRemotes(store);
  if (Object.keys(remotes).length === 0) return null;
  const onRemote = new Set<string>();
  const perRemote: Array<{ name: string; url: string; commits: number; listedAt: string | null }> = [];
  for (const [name, r] of Object.entries(remotes)) {
    const c = await readRemoteCache(store, name);
    for (const id of c?.commits ?? []) onRemote.add(id);
    perRemote.push({ name, url: r.url, commits: c?.commits.length ?? 0, listedAt: c?.at ?? null });
  }
  const ids = await store.listCommitIds();
  const commits: GraphCommit[] = [];
  for (const id of ids) {
    const m = await store.readManifest(id).catch(() => null);
    if (m) commits.push(graphCommitOf(id, m));
  }
  const sizes = await objectSizes(store, commits);
  const out = new Map<string, CommitLocation>();
  for (const c of commits) {
    const here = c.files.every((f) => sizes.has(f.sha256) || (f.deltaObject !== null && sizes.has(f.deltaObject)) || (f.hasDelta && f.deltaObject === null && f.deltaBytes === 0));
    out.set(c.id, onRemote.has(c.id) ? (here ? 'both' : 'remote') : 'local');
  }
  return { commits: out, remotes: perRemote };
}
