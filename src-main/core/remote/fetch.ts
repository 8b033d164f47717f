import * as fs from 'node:fs/promises';
import { setMaxListeners } from 'node:events';
import * as path from 'node:path';
import { isWeightlineError, WeightlineError } from '../../../src-shared/errors';
import type { FetchSummary } from '../../../src-shared/contract';
import type { CommitId, ProgressListener } from '../../../src-shared/model';
import { fsyncDir, mapFsError, sha256, writeFileAtomic } from '../base/fsutil';
import { newestFirst } from '../store/graph';
import { unwinding, withWriteLock } from '../store/lock';
import type { Manifest } from '../base/manifest';
import { isOutsideSource } from '../base/manifest-paths';
import { fetchedOutsideFileContent, HEX64, parseManifest, readFetchedOutsideFile } from '../store/store-files';
import { Store } from '../store/store';
import { Remote, type ConnectOptions } from './client';
import { MANIFEST_READ_SLOTS, MARKER_LIMIT, manifestWeight } from './limits';
import { runBounded } from './pool';
import { listRemoteTags } from './tags';
import { mergeTagSettings, readTags, writeTags } from '../store/tags';
import { checkMarker } from './push';
import { defaultRemote, REMOTE_NAME, readRemotes, writeRemoteCache, writeRemotes } from './remote-files';
import { checkEndpoint, keys, remotePacks, remoteRoutes } from './url';
import { migrateForForget, routeRecordPath, ROUTES_DIR } from '../store/routes';
import { chooseRoute, type ChosenRoute } from './route-records';

// Fetch brings the remote's history: the manifests this store lacks (each
// hash-checked and schema-checked, written like every store file: temp,
// fsync, rename, parents first). Objects stay on the remote until a restore
// needs them (lazy.ts); the remote cache records which the remote holds.

export interface FetchOptions {
  readonly remote?: string;
  readonly onProgress?: ProgressListener;
  readonly signal?: AbortSignal;
  readonly connect?: ConnectOptions;
}

/** What a fetch did: the contract's FetchSummary (the app's fetch job returns it as is). */
export type FetchResult = FetchSummary;

export async function fetchRemote(store: Store, opts: FetchOptions = {}): Promise<FetchResult> {
  const name = opts.remote ?? (await defaultRemote(store));
  const remote = await Remote.open(store, name, opts.connect);
  return withWriteLock(store, 'fetch', (signal) => fetchLocked(store, remote, { ...opts, signal }), undefined, { signal: opts.signal });
}

async function fetchLocked(store: Store, remote: Remote, opts: FetchOptions & { signal: AbortSignal }): Promise<FetchResult> {
  const { signal } = opts;
  // Every request in flight listens on the signal (the SDK's abort): up to MANIFEST_READ_SLOTS of them, not a leak.
  setMaxListeners(MANIFEST_READ_SLOTS + 16, signal);
  opts.onProgress?.({ phase: 'listing', bytesDone: 0, bytesTotal: 0 });
  // The tags are listed (and checked) with the rest: a bad tag key stops the fetch before anything lands.
  const [manifests, objects, packKeys, marker, remoteTags, routeKeys] = await Promise.all([
    remote.list(keys.manifests(remote.loc), signal),
    remote.list(keys.objects(remote.loc), signal),
    remote.list(keys.packs(remote.loc), signal),
    remote.getBytes(keys.marker(remote.loc), MARKER_LIMIT, signal),
    listRemoteTags(remote, signal),
    remote.list(keys.routes(remote.loc), signal),
  ]);
  if (marker) checkMarker(remote, marker);
  // Read before anything lands (a damaged tags.json stops the fetch with the store unchanged); the lock keeps it as read.
  const localTags = await readTags(store);
  const local = new Set(await store.listCommitIds());
  const wanted = [...manifests.keys()].filter((k) => HEX64.test(k) && !local.has(k));
  const total = wanted.reduce((s, id) => s + manifests.get(id)!, 0);
  let done = 0;

  // Downloaded into temp files (a long history's manifests need not fit in
  // memory), then renamed into commits/ parents first, so a fetch stopped at
  // any instant leaves a store whose every commit has its parent.
  const temps = new Map<string, { tmp: string; parent: string | null; outside: boolean; route: ChosenRoute | null }>();
  const routes = remoteRoutes(routeKeys);
  const packs = remotePacks(packKeys.keys(), objects);
  // Where each commit's storage may come from: the remote, or this store.
  const held = async (sha: string): Promise<boolean> => objects.has(sha) || packs.has(sha) || (await store.hasObject(sha));
  const present = (id: string): boolean => local.has(id) || manifests.has(id);
  try {
    // Bounded memory: manifests in flight weigh at most MANIFEST_BYTES_IN_FLIGHT by their listed sizes (limits.ts).
    await runBounded(wanted.map((id) => ({ weight: manifestWeight(manifests.get(id)!), run: async () => {
      const key = keys.manifest(remote.loc, id);
      const bytes = await remote.getManifest(key, manifests.get(id)!, signal);
      if (!bytes) throw new WeightlineError('REMOTE_NOT_FOUND', `the remote ${remote.describe()} listed ${key} but does not hold it; run the command again`);
      const actual = sha256(bytes);
      if (actual !== id) throw remote.damaged(key, `${bytes.length} bytes that hash to ${actual}`);
      let manifest: Manifest;
      try {
        manifest = parseManifest(key, bytes, `nothing was fetched and the store is unchanged: the remote ${remote.describe()} holds a commit no Weightline writes (forged, or written by another program); remove ${key} from the remote, or fetch from another`, 'remote');
      } catch (e) {
        // A path that breaks the path rules (docs/STORE-FORMAT.md) is refused as such, naming the key.
        if (isWeightlineError(e) && e.code === 'UNSAFE_PATH') throw e;
        throw remote.damaged(key, `a manifest this Weightline cannot read (${(e as Error).message})`);
      }
      const route = await chooseRoute(remote, id, manifest, routes.get(id) ?? [], present, held, signal);
      const tmp = store.tempPath(`manifest-${id.slice(0, 12)}`);
      await writeDurable(tmp, bytes, store.dir);
      temps.set(id, { tmp, parent: route ? route.record.parent : manifest.parent, outside: isOutsideSource(manifest.source.path), route });
      done += bytes.length;
      opts.onProgress?.({ phase: 'fetching', bytesDone: done, bytesTotal: total });
    } })), MANIFEST_READ_SLOTS, signal);

    // A remote's commit never chooses where on this machine it is written:
    // one whose path is outside the store's folder is recorded before it
    // lands, and restore then asks for --to (ops/restore.ts).
    const outside = [...temps].filter(([, t]) => t.outside).map(([id]) => id);
    if (outside.length) {
      const known = await readFetchedOutsideFile(store.dir);
      await writeFileAtomic(path.join(store.dir, 'fetched-outside.json'), fetchedOutsideFileContent(new Set([...known, ...outside])));
    }

    const fetched: CommitId[] = [];
    let routesTaken = 0;
    const placed = new Set<string>();
    const place = async (id: string): Promise<boolean> => {
      if (placed.has(id) || local.has(id)) return true;
      const t = temps.get(id);
      if (!t) return false;
      // Iterative over the line of parents: histories are deeper than the call stack.
      const line: string[] = [];
      const inLine = new Set<string>();
      for (let cur: string | null = id; cur && !placed.has(cur) && !local.has(cur); cur = temps.get(cur)?.parent ?? null) {
        if (!temps.has(cur)) return false; // an orphan: its parent is on neither side (a push still running); next fetch
        // Manifests name parents by hash, so only a route record (which anyone who can write to the remote can
        // forge) can lead a line back to itself: refused before anything of it is written, never walked forever.
        if (inLine.has(cur)) throw routeCycle(remote, cur, temps);
        inLine.add(cur);
        line.push(cur);
      }
      for (let i = line.length - 1; i >= 0; i--) {
        const c = line[i]!;
        const route = temps.get(c)!.route;
        if (route) {
          // The storage before the commit: it never appears without what rebuilds it. A store that reads
          // route records says so in format.json first (version 2), as a forget does.
          await migrateForForget(store.dir);
          await fs.mkdir(path.join(store.dir, ROUTES_DIR), { recursive: true });
          await writeFileAtomic(routeRecordPath(store.dir, c), route.bytes);
          routesTaken++;
        }
        await fs.rename(temps.get(c)!.tmp, path.join(store.dir, 'commits', `${c}.json`));
        placed.add(c);
        fetched.push(c as CommitId);
      }
      return true;
    };
    for (const id of wanted) {
      if (signal.aborted) throw signal.reason;
      await place(id);
    }
    if (fetched.length) await fsyncDir(path.join(store.dir, 'commits'));

    // Per tag the newest setting wins; a local one newer than the remote's stays.
    const { merged, changed: tags } = mergeTagSettings(localTags, remote.name, remoteTags.settings);
    if (tags.length) await writeTags(store, merged);

    await writeRemoteCache(store, remote.name, {
      at: new Date().toISOString(),
      commits: [...manifests.keys()].filter((k) => HEX64.test(k)),
      objects: Object.fromEntries([...objects].filter(([k]) => HEX64.test(k))),
      packs: Object.fromEntries(packs),
    }).catch(() => undefined);
    return { remote: remote.name, url: remote.url, fetched, remoteCommits: manifests.size, remoteObjects: objects.size, tags, ...(routesTaken ? { routes: routesTaken } : {}) };
  } finally {
    for (const t of temps.values()) await fs.rm(t.tmp, { force: true }).catch(() => undefined);
  }
}

export interface CloneOptions {
  readonly name?: string;
  readonly endpoint?: string;
  readonly region?: string;
  readonly onProgress?: ProgressListener;
  readonly signal?: AbortSignal;
  readonly connect?: ConnectOptions;
  /**
   * Runs after HEAD is set, inside the clone (the CLI restores HEAD here): if
   * it fails, the clone fails and removes what it made, like any other step.
   */
  readonly checkout?: (store: Store, head: CommitId) => Promise<void>;
}

export interface CloneResult extends FetchResult {
  readonly root: string;
  /** The newest commit, where HEAD now points; null for an empty remote. */
  readonly head: CommitId | null;
}

/**
 * A new store in dir from a remote: the remote is checked first (wrong
 * credentials or a missing bucket create nothing), then the store is made,
 * the remote added as `origin`, its history fetched, and HEAD set to the
 * newest commit. The files themselves come with a restore (the CLI restores
 * HEAD at once; only the objects its route needs are downloaded). A clone that
 * fails removes the folder it made.
 */
export async function clone(url: string, dir: string, opts: CloneOptions = {}): Promise<CloneResult> {
  // Ctrl+C between the clone's locked steps still unwinds it (and removes what it made).
  return unwinding(() => cloneUnwinding(url, dir, opts));
}

async function cloneUnwinding(url: string, dir: string, opts: CloneOptions): Promise<CloneResult> {
  const name = opts.name ?? 'origin';
  if (!REMOTE_NAME.test(name)) throw new WeightlineError('BAD_USAGE', `a remote name takes letters, digits, ".", "_" and "-": "${name}"`);
  const root = path.resolve(dir);
  const st = await fs.stat(root).catch(() => null);
  if (st && (!st.isDirectory() || (await fs.readdir(root)).length > 0)) {
    throw new WeightlineError('REFUSED', `${root} already exists and is not an empty folder; clone into a new folder`);
  }
  // Refused before anything is made: a key and secret in the URL would land in remotes.json.
  if (opts.endpoint !== undefined) checkEndpoint(opts.endpoint);
  const config = { url, endpoint: opts.endpoint ?? null, region: opts.region ?? null };
  const probe = new Remote(name, url, config, opts.connect);
  const marker = await probe.getBytes(keys.marker(probe.loc), MARKER_LIMIT, opts.signal);
  if (marker) checkMarker(probe, marker);
  else if ((await probe.list(keys.manifests(probe.loc), opts.signal)).size === 0) {
    throw new WeightlineError('REMOTE_NOT_FOUND', `the remote ${probe.describe()} holds no Weightline history (no ${keys.marker(probe.loc)}); check the URL, or push to it first`);
  }
  const made = !st;
  const before = new Set(st ? await fs.readdir(root) : []);
  try {
    await fs.mkdir(root, { recursive: true });
    const { store } = await Store.initialise(root, { nested: false });
    await withWriteLock(store, 'clone', async () => writeRemotes(store, { ...(await readRemotes(store)), [name]: config }));
    const res = await fetchRemote(store, { remote: name, onProgress: opts.onProgress, signal: opts.signal, connect: opts.connect });
    const head = await newestTip(store);
    if (head) await withWriteLock(store, 'clone', async () => store.writeHead(head));
    if (head && opts.checkout) await opts.checkout(store, head);
    return { ...res, root, head };
  } catch (e) {
    // Only what this clone made: the folder when it made it, else what it put
    // into the empty folder it was given (there was nothing else in it).
    if (made) await fs.rm(root, { recursive: true, force: true }).catch(() => undefined);
    else for (const n of await fs.readdir(root).catch(() => [] as string[])) if (!before.has(n)) await fs.rm(path.join(root, n), { recursive: true, force: true }).catch(() => undefined);
    throw e;
  }
}

/** The newest commit that no other commit names as parent. */
async function newestTip(store: Store): Promise<CommitId | null> {
  const ids = await store.listCommitIds();
  const manifests = await Promise.all(ids.map(async (id) => ({ id, m: await store.readManifest(id) })));
  const parents = new Set(manifests.map((x) => x.m.parent).filter((p): p is string => p !== null));
  const tips = manifests.filter((x) => !parents.has(x.id)).map((x) => ({ id: x.id, createdAt: x.m.createdAt })).sort(newestFirst);
  return (tips[0]?.id as CommitId | undefined) ?? null;
}

/**
 * A temp file's bytes, durable before the rename that places them: the
 * folder they are renamed into is fsynced once for all (fetchLocked), so the
 * temp name itself needs no fsync of its folder.
 */
async function writeDurable(file: string, bytes: Uint8Array, shownAs: string): Promise<void> {
  try {
    const h = await fs.open(file, 'w', 0o644);
    try {
      await h.writeFile(bytes);
      await h.sync();
    } finally {
      await h.close();
    }
  } catch (e) {
    throw mapFsError(e, shownAs);
  }
}

/** The error for route records that lead a commit's line of parents back to itself, naming a record of the cycle. */
function routeCycle(remote: Remote, at: string, temps: ReadonlyMap<string, { readonly route: ChosenRoute | null }>): WeightlineError {
  const route = temps.get(at)?.route;
  const key = route ? keys.route(remote.loc, at, sha256(route.bytes)) : keys.manifest(remote.loc, at);
  return remote.damaged(key, `a route record whose parents lead back to commit ${at.slice(0, 12)} itself (a cycle no forget writes); nothing was fetched from that line: remove the forged routes/ keys from the remote`);
}
