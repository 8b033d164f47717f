import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { WeightlineError } from '../../../src-shared/errors';
import { withWriteLock } from '../store/lock';
import { commitSummaries, type CommitSummary } from '../store/log-index';
import { readPacks } from '../store/packs';
import type { Store } from '../store/store';
import { dropRemoteCache, readRemoteCache, readRemotes, REMOTE_NAME, writeRemotes, type RemoteConfig } from './remote-files';
import { checkEndpoint, parseRemoteUrl, redactEndpoint, remoteUrl } from './url';

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
  if (opts.endpoint !== undefined) checkEndpoint(opts.endpoint);
  const config: RemoteConfig = { url: remoteUrl(loc), endpoint: opts.endpoint ?? null, region: opts.region ?? null };
  await withWriteLock(store, 'remote', async () => {
    const remotes = await readRemotes(store);
    if (remotes[name]) throw new WeightlineError('REFUSED', `a remote named "${name}" already exists (${remotes[name]!.url}); remove it first (\`weightline remote remove ${name}\`)`);
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
    // An endpoint with user info (older versions accepted one, a secret in remotes.json) is listed without it.
    out.push({ name, ...r, endpoint: r.endpoint === null ? null : redactEndpoint(r.endpoint), listedAt: c?.at ?? null, commits: c ? c.commits.length : null });
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
 * was last listed. "Here": every file's full object (raw or packed) or delta
 * object is on disk (a commit fetched but never restored has neither). Null
 * when the store has no remote (then every commit is local and the caller
 * says nothing). Cheap on long histories: the log index (one file; a caller
 * that has it passes it), the remote caches, one readdir of the pack index and
 * one per objects/ subfolder; no manifest is read.
 */
export async function commitLocations(store: Store, known?: ReadonlyMap<string, CommitSummary>): Promise<Locations | null> {
  const remotes = await readRemotes(store);
  if (Object.keys(remotes).length === 0) return null;
  const onRemote = new Set<string>();
  const perRemote: Array<{ name: string; url: string; commits: number; listedAt: string | null }> = [];
  for (const [name, r] of Object.entries(remotes)) {
    const c = await readRemoteCache(store, name);
    for (const id of c?.commits ?? []) onRemote.add(id);
    perRemote.push({ name, url: r.url, commits: c?.commits.length ?? 0, listedAt: c?.at ?? null });
  }
  const [summaries, objects, packs] = await Promise.all([known ?? commitSummaries(store), store.listObjects(), readPacks(store)]);
  const packedHere = (full: string): boolean => (packs.get(full) ?? []).some((p) => objects.has(p));
  const out = new Map<string, CommitLocation>();
  for (const [id, s] of summaries) {
    const here = s.files.every(([sha], i) => {
      const delta = s.deltaObjects[i] ?? null;
      // A delta that stores nothing (every block Same, '') is here with its commit.
      return objects.has(sha) || packedHere(sha) || delta === '' || (delta !== null && objects.has(delta));
    });
    out.set(id, onRemote.has(id) ? (here ? 'both' : 'remote') : 'local');
  }
  return { commits: out, remotes: perRemote };
}

/**
 * Where the AWS chain will find credentials for this process, in words, for
 * the app's remote settings (nothing secret is ever stored or shown): the
 * environment, a named profile, the shared files, or none.
 */
export async function credentialsSource(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) return 'the environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)';
  const home = env.HOME ?? env.USERPROFILE ?? '';
  const file = env.AWS_SHARED_CREDENTIALS_FILE ?? (home ? path.join(home, '.aws', 'credentials') : '');
  const config = env.AWS_CONFIG_FILE ?? (home ? path.join(home, '.aws', 'config') : '');
  const found = [file, config].filter((f) => f && existsSync(f));
  if (env.AWS_PROFILE) return `the profile "${env.AWS_PROFILE}" (AWS_PROFILE) in ${found.length ? found.join(' and ') : 'the shared AWS files, which do not exist here'}`;
  if (found.length) return `the default profile in ${found.join(' and ')}`;
  return 'none found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) where Weightline runs, then restart it';
}

/**
 * Which remote holds an object this store lacks, by the remotes' caches (a
 * full object the remote holds packed counts: restore downloads the packed
 * form); undefined when the store has no remote. For verify and repair: such
 * objects are elsewhere, not missing.
 */
export async function remoteObjectHolder(store: Store): Promise<((sha: string) => string | null) | undefined> {
  const names = Object.keys(await readRemotes(store));
  if (names.length === 0) return undefined;
  const where = new Map<string, string>();
  for (const name of names) {
    const cache = await readRemoteCache(store, name);
    for (const sha of Object.keys(cache?.objects ?? {})) if (!where.has(sha)) where.set(sha, name);
    for (const [full, packed] of Object.entries(cache?.packs ?? {})) if (!where.has(full) && cache?.objects[packed] !== undefined) where.set(full, name);
  }
  return (sha) => where.get(sha) ?? null;
}
