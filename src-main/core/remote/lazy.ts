import type { ProgressListener } from '../../../src-shared/model';
import type { Manifest } from '../base/manifest';
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

/** The hook ops/restore.ts calls before it reads: true when it added objects (the caller loads a new graph). */
export type FetchObjects = (id: string, manifest: Manifest, graph: HistoryGraph, signal?: AbortSignal) => Promise<boolean>;

/** A FetchObjects over every remote of the store, or undefined when it has none. */
export async function remoteObjectFetcher(store: Store, opts: LazyOptions = {}): Promise<FetchObjects | undefined> {
  const remotes = await readRemotes(store);
  if (Object.keys(remotes).length === 0) return undefined;
  return async (id, manifest, graph, signal) => (await fetchRouteObjects(store, id, manifest, graph, { ...opts, signal })).objects > 0;
}

export interface RouteDownload {
  readonly objects: number;
  readonly bytes: number;
}

export async function fetchRouteObjects(store: Store, id: string, manifest: Manifest, graph: HistoryGraph, opts: LazyOptions & { signal?: AbortSignal } = {}): Promise<RouteDownload> {
  const names = Object.keys(await readRemotes(store));
  const caches = new Map<string, RemoteCache>();
  for (const n of names) { const c = await readRemoteCache(store, n); if (c) caches.set(n, c); }
  const remotes = new Map<string, Remote>();
  const remoteOf = async (n: string): Promise<Remote> => {
    if (!remotes.has(n)) remotes.set(n, await Remote.open(store, n, opts.connect));
    return remotes.get(n)!;
  };
  let listed = false;
  // Needed objects, which remote holds each (the first that lists it), and for a packed one the full object it packs.
  const need = new Map<string, { remote: string; bytes: number; packs: string | null }>();
  for (const file of manifest.files) {
    const local = await findRoute(store, graph, id, file, { usable: (sha) => graph.objectSize(sha) !== null });
    if (local) continue;
    for (;;) {
      const where = new Map<string, { remote: string; bytes: number }>();
      const remotePacks = new Map<string, string>();
      for (const [n, c] of caches) {
        for (const [sha, bytes] of Object.entries(c.objects)) if (!where.has(sha)) where.set(sha, { remote: n, bytes });
        for (const [full, packed] of Object.entries(c.packs ?? {})) if (!remotePacks.has(full) && c.objects[packed] !== undefined) remotePacks.set(full, packed);
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
        packs.set(full, packed);
        sizes.set(packed, graph.objectSize(packed) ?? where.get(packed)!.bytes);
      }
      const wide = new HistoryGraph(graph.commits, sizes, packs);
      const route = await findRoute(store, wide, id, file, { usable: (sha) => wide.objectSize(sha) !== null });
      if (route) {
        const packedStep = route.steps[0]?.kind === 'packed' ? route.steps[0] : null;
        for (const o of route.objects) {
          if (graph.objectSize(o) !== null || need.has(o)) continue;
          const packsFull = packedStep && packedStep.object === o ? packedStep.file.sha256 : null;
          need.set(o, { ...where.get(o)!, packs: packsFull });
        }
        break;
      }
      // The caches may be old (or missing): list the remotes once, then give up (the restore says what is missing).
      if (listed) break;
      listed = true;
      for (const n of names) {
        const r = await remoteOf(n);
        const [objects, packKeys] = await Promise.all([r.list(keys.objects(r.loc), opts.signal), r.list(keys.packs(r.loc), opts.signal)]);
        const c: RemoteCache = {
          at: new Date().toISOString(), commits: caches.get(n)?.commits ?? [],
          objects: Object.fromEntries([...objects].filter(([k]) => HEX64.test(k))),
          packs: Object.fromEntries(remotePackIndex(packKeys.keys(), objects)),
        };
        caches.set(n, c);
        await writeRemoteCache(store, n, c).catch(() => undefined);
      }
    }
  }
  if (need.size === 0) return { objects: 0, bytes: 0 };
  const total = [...need.values()].reduce((s, x) => s + x.bytes, 0);
  let done = 0;
  const onBytes = (n: number): void => { done += n; opts.onProgress?.({ phase: 'downloading', bytesDone: done, bytesTotal: total }); };
  // Several objects at once: a large one takes every slot (its ranges run in
  // parallel inside downloadObject), small ones (deltas) share them. Each is
  // streamed to disk, so memory stays flat whatever the sizes.
  await runBounded([...need].sort((a, b) => b[1].bytes - a[1].bytes).map(([sha, { remote, bytes, packs }]) => ({
    weight: bytes > RANGE_SIZE ? RANGES_IN_FLIGHT : 1,
    run: async () => {
      const r = await remoteOf(remote);
      const got = await r.downloadObject(store, sha, onBytes, opts.signal, bytes);
      // A packed full object is usable once the store's own pack index names it (as cleanup records its packs).
      if (packs) await recordPack(store, packs, sha);
      opts.onObject?.(sha, got, remote);
    },
  })), RANGES_IN_FLIGHT, opts.signal);
  return { objects: need.size, bytes: total };
}
