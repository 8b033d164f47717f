import type { Note, ProgressListener } from '../../../src-shared/model';
import { WeightlineError } from '../../../src-shared/errors';
import type { Manifest, ManifestFile } from '../base/manifest';
import { findRoute } from '../rebuild/route';
import { HistoryGraph } from '../store/graph';
import { recordPack } from '../store/packs';
import { HEX64 } from '../store/store-files';
import type { Store } from '../store/store';
import { RANGE_SIZE, RANGES_IN_FLIGHT, Remote, type ConnectOptions } from './client';
import { runBounded } from './pool';
import { readRemoteCache, readRemotes, writeRemoteCache, type RemoteCache } from './remote-files';
import { keys, remotePacks as remotePackIndex } from './url';

// Lazy restore: when no route through the objects on disk reaches a file of
// the commit being restored, plan the route again as if the remotes' objects
// (and their packs) were on disk, and download just the objects of that route
// that are not (each hash-checked, then renamed into objects/; a packed one
// also recorded in packs/). The restore then reads the
// route from disk as usual: everything after the download is the code that
// restores local commits.

export interface LazyOptions {
  readonly onProgress?: ProgressListener;
  readonly connect?: ConnectOptions;
  /** Called after each object arrives (tests count what a restore downloaded). */
  readonly onObject?: (sha: string, bytes: number, remote: string) => void;
}

/**
 * The hook ops/restore.ts calls before it reads: `added` when it put objects
 * on disk (the caller loads a new graph), with notes for the user (a damaged
 * remote object that was routed around).
 */
export type FetchObjects = (id: string, manifest: Manifest, graph: HistoryGraph, signal?: AbortSignal) => Promise<{ readonly added: boolean; readonly notes: readonly Note[] }>;

/** A FetchObjects over every remote of the store, or undefined when it has none. */
export async function remoteObjectFetcher(store: Store, opts: LazyOptions = {}): Promise<FetchObjects | undefined> {
  const remotes = await readRemotes(store);
  if (Object.keys(remotes).length === 0) return undefined;
  return async (id, manifest, graph, signal) => {
    const r = await fetchRouteObjects(store, id, manifest, graph, { ...opts, signal });
    return { added: r.objects > 0, notes: r.notes };
  };
}

export interface RouteDownload {
  readonly objects: number;
  readonly bytes: number;
  /** A remote object found damaged or missing, and routed around (as a local restore does). */
  readonly notes: readonly Note[];
}

/** Files planned between two looks at the event loop: Ctrl+C is heard while a huge commit is planned. */
const PLAN_BATCH = 512;

/** The largest a packed form of a full object of `full` bytes can be: raw planes where zstd does not help, plus its table (rebuild/packed.ts). */
function maxPackedBytes(full: number): number {
  return full + Math.ceil(full / 16) + 1024 * 1024;
}

interface Wanted { readonly remote: string; readonly bytes: number; readonly packs: string | null; readonly what: string }

/**
 * Downloads the objects that routes to every file of the commit need and the
 * store lacks. Planning is linear in the files (one wide graph for all of
 * them, indexed lookups in findRoute) and stops on the signal. A remote object
 * whose listed size differs from what the manifests say, or whose bytes do not
 * hash to its name, or that is missing, is not used: the files whose route
 * needed it are planned again without it (the next intact route, as a local
 * restore takes), and a note says so. Only when no route is left does the
 * restore fail, naming what is missing.
 */
export async function fetchRouteObjects(store: Store, id: string, manifest: Manifest, graph: HistoryGraph, opts: LazyOptions & { signal?: AbortSignal } = {}): Promise<RouteDownload> {
  const { signal } = opts;
  const names = Object.keys(await readRemotes(store));
  const caches = new Map<string, RemoteCache>();
  for (const n of names) { const c = await readRemoteCache(store, n); if (c) caches.set(n, c); }
  const remotes = new Map<string, Remote>();
  const remoteOf = async (n: string): Promise<Remote> => {
    if (!remotes.has(n)) remotes.set(n, await Remote.open(store, n, opts.connect));
    return remotes.get(n)!;
  };
  // What the manifests say each object weighs: a remote's listing is a claim to check against it.
  const expected = new Map<string, number>();
  for (const c of graph.commits) {
    for (const f of c.files) {
      expected.set(f.sha256, f.bytes);
      if (f.deltaObject) expected.set(f.deltaObject, f.deltaBytes);
    }
  }
  /** Remote objects not to use, with why (for the note): found damaged or missing by a download, or refused from the listing. */
  const bad = new Map<string, string>();
  const refused = new Map<string, string>();
  let wide = widen(graph, caches, expected, bad, refused);
  const downloaded = new Set<string>();
  const onDisk = (sha: string): boolean => graph.objectSize(sha) !== null || downloaded.has(sha);
  const notes: Note[] = [];
  let objects = 0;
  let bytes = 0;
  let listed = false;
  let files: readonly ManifestFile[] = manifest.files;
  // Set inside download tasks (closures): typed by assertion so the checks after them are not narrowed to null.
  let firstFailure = null as { error: unknown } | null;
  for (;;) {
    // Needed objects, which remote holds each (the first that lists it), for a packed one the full object it packs, and the files that need each.
    const need = new Map<string, Wanted>();
    const filesOf = new Map<string, ManifestFile[]>();
    let unrouted = 0;
    for (let i = 0; i < files.length; i++) {
      if (i % PLAN_BATCH === 0) await yieldToSignals(signal);
      const file = files[i]!;
      if (await findRoute(store, graph, id, file, { usable: (sha) => graph.objectSize(sha) !== null })) continue;
      const route = await findRoute(store, wide.graph, id, file, { usable: (sha) => wide.graph.objectSize(sha) !== null });
      if (!route) { unrouted++; continue; }
      const packedStep = route.steps[0]?.kind === 'packed' ? route.steps[0] : null;
      for (const o of route.objects) {
        if (onDisk(o)) continue;
        if (!need.has(o)) {
          const packsFull = packedStep && packedStep.object === o ? packedStep.file.sha256 : null;
          need.set(o, { ...wide.where.get(o)!, packs: packsFull, what: `${file.path}: the ${packsFull ? 'packed full parameters' : o === file.sha256 ? 'full parameters' : 'delta'} (object ${o.slice(0, 12)})` });
        }
        const users = filesOf.get(o);
        if (users) users.push(file); else filesOf.set(o, [file]);
      }
    }
    // The caches may be old (or missing): list the remotes once and plan again (the restore says what is still missing).
    if (unrouted > 0 && !listed) {
      listed = true;
      for (const n of names) {
        const r = await remoteOf(n);
        const [objs, packKeys] = await Promise.all([r.list(keys.objects(r.loc), signal), r.list(keys.packs(r.loc), signal)]);
        const c: RemoteCache = {
          at: new Date().toISOString(), commits: caches.get(n)?.commits ?? [],
          objects: Object.fromEntries([...objs].filter(([k]) => HEX64.test(k))),
          packs: Object.fromEntries(remotePackIndex(packKeys.keys(), objs)),
        };
        caches.set(n, c);
        await writeRemoteCache(store, n, c).catch(() => undefined);
      }
      wide = widen(graph, caches, expected, bad, refused);
      files = manifest.files;
      continue;
    }
    // No route left for some file and a remote object was found damaged or missing on the way: that is why, say so.
    if (unrouted > 0 && firstFailure) throw firstFailure.error;
    if (unrouted > 0 && refused.size > 0) {
      const [sha, why] = [...refused][0]!;
      throw new WeightlineError('REMOTE_CORRUPT', `${why} (key ${sha}); it was not downloaded and no other route rebuilds the commit from the remote. Delete that key on the remote and push again from a store that has it ("weightline verify --remote" lists every damaged key)`);
    }
    if (need.size === 0) break;
    const total = [...need.values()].reduce((s, x) => s + x.bytes, 0);
    let done = 0;
    const onBytes = (n: number): void => { done += n; opts.onProgress?.({ phase: 'downloading', bytesDone: done, bytesTotal: total }); };
    const failed: string[] = [];
    // Several objects at once: a large one takes every slot (its ranges run in
    // parallel inside downloadObject), small ones (deltas) share them. Each is
    // streamed to disk, so memory stays flat whatever the sizes.
    await runBounded([...need].sort((a, b) => b[1].bytes - a[1].bytes).map(([sha, w]) => ({
      weight: w.bytes > RANGE_SIZE ? RANGES_IN_FLIGHT : 1,
      run: async () => {
        const r = await remoteOf(w.remote);
        let got: number;
        try {
          got = await r.downloadObject(store, sha, onBytes, signal, w.bytes);
        } catch (e) {
          const code = (e as WeightlineError).code;
          // Damaged or gone on the remote: another route may not need it. Anything else (network, disk, Ctrl+C) stops the restore.
          if (code !== 'REMOTE_CORRUPT' && code !== 'REMOTE_NOT_FOUND') throw e;
          bad.set(sha, `${w.what} on the remote ${w.remote} is ${code === 'REMOTE_CORRUPT' ? 'damaged' : 'missing'} (${keys.object(r.loc, sha)})`);
          firstFailure ??= { error: e };
          failed.push(sha);
          return;
        }
        downloaded.add(sha);
        // A packed full object is usable once the store's own pack index names it (as cleanup records its packs).
        if (w.packs) await recordPack(store, w.packs, sha);
        objects++;
        bytes += got;
        opts.onObject?.(sha, got, w.remote);
      },
    })), RANGES_IN_FLIGHT, signal);
    if (failed.length === 0) break;
    for (const sha of failed) {
      notes.push({
        code: 'OBJECT_DAMAGED',
        message: `${bad.get(sha)!}; routed around it (the restored bytes are checked against the commit's sha256 as always). Run "weightline verify --remote ${need.get(sha)!.remote}", then push again from a store that has it`,
        files: (filesOf.get(sha) ?? []).map((f) => f.path),
      });
    }
    // Plan again, without the bad objects, only the files whose route needed one.
    const again = new Set(failed.flatMap((sha) => filesOf.get(sha) ?? []));
    files = manifest.files.filter((f) => again.has(f));
    wide = widen(graph, caches, expected, bad, refused);
  }
  // Keys refused from the listing alone (never downloaded) that this commit's files name: routed around too.
  const named = new Map<string, string>();
  for (const f of manifest.files) { named.set(f.sha256, f.path); if (f.delta?.object) named.set(f.delta.object, f.path); }
  for (const [sha, why] of refused) {
    if (named.has(sha)) notes.push({ code: 'OBJECT_DAMAGED', message: `${named.get(sha)!}: ${why}; not downloaded, routed around it. Run "weightline verify --remote", then push again from a store that has it`, files: [named.get(sha)!] });
  }
  return { objects, bytes, notes };
}

/**
 * The graph as if every remote's objects (and packs) were on disk, except
 * those in `bad` and those whose listed size is not what the manifests say
 * (added to `refused`: a 2 GiB key under the name of a 1.2 MB object is never
 * downloaded). Built once per plan: O(objects).
 */
function widen(graph: HistoryGraph, caches: ReadonlyMap<string, RemoteCache>, expected: ReadonlyMap<string, number>, bad: ReadonlyMap<string, string>, refused: Map<string, string>): { graph: HistoryGraph; where: Map<string, { remote: string; bytes: number }> } {
  const where = new Map<string, { remote: string; bytes: number }>();
  const remotePacks = new Map<string, string>();
  for (const [n, c] of caches) {
    for (const [sha, bytes] of Object.entries(c.objects)) {
      if (where.has(sha) || bad.has(sha) || refused.has(sha)) continue;
      const want = expected.get(sha);
      if (want !== undefined && bytes !== want) { refused.set(sha, `object ${sha.slice(0, 12)} on the remote ${n} is listed with ${bytes} bytes where its manifest says ${want}`); continue; }
      where.set(sha, { remote: n, bytes });
    }
    for (const [full, packed] of Object.entries(c.packs ?? {})) {
      const listedBytes = c.objects[packed];
      if (remotePacks.has(full) || listedBytes === undefined || bad.has(packed) || refused.has(packed)) continue;
      const fullBytes = expected.get(full);
      if (fullBytes !== undefined && listedBytes > maxPackedBytes(fullBytes)) { refused.set(packed, `the packed object ${packed.slice(0, 12)} on the remote ${n} is listed with ${listedBytes} bytes, more than a packed form of ${fullBytes} bytes can weigh`); where.delete(packed); continue; }
      remotePacks.set(full, packed);
    }
  }
  const sizes = new Map<string, number>();
  for (const c of graph.commits) {
    for (const f of c.files) {
      for (const sha of f.deltaObject ? [f.sha256, f.deltaObject] : [f.sha256]) {
        const s = graph.objectSize(sha) ?? where.get(sha)?.bytes;
        if (s !== undefined) sizes.set(sha, s);
      }
    }
  }
  // Packed full objects on disk stay usable (their sizes are the graph's);
  // a remote's packs are usable where the store has none of its own.
  const packs = new Map(graph.packedObjects());
  for (const packed of packs.values()) { const s = graph.objectSize(packed); if (s !== null) sizes.set(packed, s); }
  for (const [full, packed] of remotePacks) {
    if (packs.has(full)) continue;
    const s = graph.objectSize(packed) ?? where.get(packed)?.bytes;
    if (s === undefined) continue;
    packs.set(full, packed);
    sizes.set(packed, s);
  }
  return { graph: new HistoryGraph(graph.commits, sizes, packs), where };
}

/** Lets signal handlers run (a loop of resolved awaits never does), then stops if the signal fired. */
async function yieldToSignals(signal?: AbortSignal): Promise<void> {
  await new Promise<void>((r) => setImmediate(r));
  if (signal?.aborted) throw signal.reason instanceof WeightlineError ? signal.reason : new WeightlineError('CANCELLED', 'cancelled');
}
