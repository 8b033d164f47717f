import * as path from 'node:path';
import { WeightlineError } from '../../../src-shared/errors';
import type { FileSource } from '../base/file-source';
import { sha256File } from '../base/fsutil';
import type { ManifestFile } from '../base/manifest';
import { HistoryGraph } from '../store/graph';
import type { Store } from '../store/store';
import { describeRoute, findRoute, isUsual, openRoute, VanishedObject, type Route } from './route';

// Reading one version of one file: pick the cheapest route whose objects are
// on disk and not known to be damaged, read it, and check the sha256 of what
// came out. When the bytes are wrong, find which object lied, set it aside and
// take the next route: whatever can be rebuilt from intact bytes is rebuilt.

export function fileLabel(commitId: string, path: string): string {
  return `${path} in commit ${commitId.slice(0, 12)}`;
}

export interface OpenOptions {
  /** A graph already loaded by the caller (it knows which objects are on disk). */
  readonly graph?: HistoryGraph;
  /** Objects known to be damaged: no route reads them. */
  readonly bad?: ReadonlySet<string>;
}

/** The cheapest route through objects on disk and not known bad, or a BROKEN_CHAIN error saying what is missing. */
export async function planRoute(store: Store, commitId: string, file: ManifestFile, opts: OpenOptions = {}): Promise<{ route: Route; graph: HistoryGraph }> {
  const bad = opts.bad ?? new Set<string>();
  const found = await routeOnGraph(store, opts.graph ?? (await HistoryGraph.loadIndexed(store)), commitId, file, bad);
  if (!found.route) throw await noRoute(store, found.graph, commitId, file, bad);
  return { route: found.route, graph: found.graph };
}

/**
 * The cheapest route on the graph; on a graph from the log index that finds
 * none, the search again on the graph of every manifest (the index may be
 * stale or damaged: it may only ever cost a search, never a version).
 */
async function routeOnGraph(store: Store, graph: HistoryGraph, commitId: string, file: ManifestFile, bad: ReadonlySet<string>): Promise<{ route: Route | null; graph: HistoryGraph }> {
  const search = (g: HistoryGraph): Promise<Route | null> => findRoute(store, g, commitId, file, { usable: (sha) => g.objectSize(sha) !== null && !bad.has(sha) });
  const route = await search(graph);
  if (route || !graph.fromIndex) return { route, graph };
  const full = await HistoryGraph.load(store);
  return { route: await search(full), graph: full };
}

/** A fresh view after another process changed the store, built the way the last one was. */
function reload(store: Store, graph: HistoryGraph): Promise<HistoryGraph> {
  return graph.fromIndex ? HistoryGraph.loadIndexed(store) : HistoryGraph.load(store);
}

/** A reader over the cheapest route (unverified: callers that hand out bytes check the sha256, see readVersion). */
export async function openFileSource(store: Store, commitId: string, file: ManifestFile, opts: OpenOptions = {}): Promise<FileSource> {
  let graph = opts.graph;
  const bad = new Set(opts.bad ?? []);
  for (let tries = 0; ; tries++) {
    const planned = await planRoute(store, commitId, file, { ...opts, graph, bad });
    try {
      return await openRoute(store, planned.route);
    } catch (e) {
      if (tries >= 8) throw e;
      const object = objectOf(store, e);
      // A packed object whose table is damaged: plan around it.
      if (object && planned.route.objects.includes(object) && (e as WeightlineError).code === 'CORRUPT') { bad.add(object); continue; }
      // A cleanup deleted the full object between planning and opening: plan again on a fresh view.
      if (!(e instanceof VanishedObject)) throw e;
      graph = await reload(store, planned.graph);
    }
  }
}

export interface VerifiedRead {
  readonly route: Route;
  /** How the bytes were rebuilt when not by the usual route, else null. */
  readonly note: string | null;
  /** Objects found damaged on the way (other routes were tried). */
  readonly damaged: readonly string[];
}

/**
 * Reads a version through `attempt`, which consumes a source and returns the
 * sha256 of the bytes it saw (and must make nothing visible unless that equals
 * file.sha256). Routes are tried cheapest first until one gives the committed
 * bytes; objects that turn out damaged are added to `bad` (shared with the
 * caller, so a verb reading many files learns once).
 */
export async function readVersion(
  store: Store,
  commitId: string,
  file: ManifestFile,
  attempt: (source: FileSource) => Promise<string>,
  opts: { graph?: HistoryGraph; bad?: Set<string>; hashFirst?: boolean } = {},
): Promise<VerifiedRead> {
  let graph = opts.graph ?? (await HistoryGraph.loadIndexed(store));
  // hashFirst: delta block checksums (a second sha256 of every stored byte,
  // the largest cost of a long chain) are left unchecked while the sha256 of
  // what came out decides; on a mismatch or a decode error the route is read
  // again with them, which names the damaged object as before. `attempt`
  // makes nothing visible unless the sha256 matches, so unchecked bytes never
  // escape. Verify and repair, which must locate damage, check every block.
  let checks = !opts.hashFirst;
  const bad = opts.bad ?? new Set<string>();
  const damaged: string[] = [];
  const markBad = (sha: string): void => { if (!bad.has(sha)) { bad.add(sha); damaged.push(sha); } };
  for (let tries = 0; tries < 64; tries++) {
    const planned = await routeOnGraph(store, graph, commitId, file, bad);
    graph = planned.graph;
    const route = planned.route;
    if (!route) throw await noRoute(store, graph, commitId, file, bad);
    let source: FileSource;
    try {
      source = await openRoute(store, route, { blockChecks: checks });
    } catch (e) {
      if (e instanceof VanishedObject) { graph = await reload(store, graph); continue; }
      // A packed object whose table is damaged: another route may still be intact.
      const object = objectOf(store, e);
      if (object && route.objects.includes(object) && (e as WeightlineError).code === 'CORRUPT') { markBad(object); continue; }
      throw e;
    }
    let sha: string;
    try {
      sha = await attempt(source);
    } catch (e) {
      if (!checks && (e as WeightlineError).code === 'CORRUPT') { checks = true; continue; }
      const object = objectOf(store, e);
      if (object && route.objects.includes(object)) {
        // A delta block failed its checksum, or an object is shorter than the manifest says.
        if ((e as WeightlineError).code === 'CORRUPT') { markBad(object); continue; }
        // Deleted under us (a cleanup beside a reader): look again.
        if ((e as WeightlineError).code === 'BROKEN_CHAIN' || (e as WeightlineError).code === 'NOT_FOUND') { graph = await reload(store, graph); continue; }
      }
      throw e;
    } finally {
      await source.close();
    }
    if (sha === file.sha256) {
      return { route, note: isUsual(route) ? null : `rebuilt ${describeRoute(route)}`, damaged };
    }
    if (!checks) { checks = true; continue; }
    // Delta blocks carry checksums, so the liar is most likely a full object
    // written into through a link; hash every object of the route to be sure.
    let found = false;
    for (const o of route.objects) {
      const actual = await sha256File(store.objectPath(o)).catch(() => null);
      if (actual !== null && actual !== o) { markBad(o); found = true; }
    }
    if (!found) {
      throw new WeightlineError('CORRUPT', `${fileLabel(commitId, file.path)}: rebuilt bytes have sha256 ${sha.slice(0, 12)}, expected ${file.sha256.slice(0, 12)}, although every object of the route hashes right (${describeRoute(route)})`);
    }
  }
  throw new WeightlineError('CORRUPT', `${fileLabel(commitId, file.path)}: gave up after 64 routes; run "weightline verify"`);
}

/** The object an error names by its file, if the file is an object of this store. */
export function objectOf(store: Store, e: unknown): string | null {
  const file = (e as WeightlineError)?.file;
  if (!file) return null;
  const rel = path.relative(path.join(store.dir, 'objects'), file).split(path.sep);
  return rel.length === 2 && /^[0-9a-f]{2}$/.test(rel[0]!) && /^[0-9a-f]{62}$/.test(rel[1]!) ? rel[0]! + rel[1]! : null;
}

/**
 * A file of a commit no intact route reaches. `reason` is the sentence
 * without its advice, so a caller that gives its own (commit: repair, or
 * --checkpoint) never has to cut the advice out of the message.
 */
export class NoRouteError extends WeightlineError {
  constructor(code: 'CORRUPT' | 'BROKEN_CHAIN', readonly reason: string, next: string, file?: string) {
    super(code, `${reason}. ${next}`, file);
  }
}

async function noRoute(store: Store, graph: HistoryGraph, commitId: string, file: ManifestFile, bad: ReadonlySet<string>): Promise<NoRouteError> {
  // Say where the usual route breaks: walk up the delta chain to the first
  // object that is damaged or missing.
  const state = (sha: string): 'damaged' | 'missing' | null => (bad.has(sha) ? 'damaged' : graph.objectSize(sha) === null ? 'missing' : null);
  const problems: string[] = [];
  let damaged = false;
  let cur: string = commitId;
  let f: ManifestFile = file;
  for (let depth = 0; depth < 100000; depth++) {
    const own = state(f.sha256);
    if (own === 'damaged') { damaged = true; problems.push(`the full parameters of ${fileLabel(cur, f.path)} are damaged (object ${f.sha256.slice(0, 12)})`); }
    const packed = graph.packedObject(f.sha256);
    if (packed && bad.has(packed)) { damaged = true; problems.push(`the packed full parameters of ${fileLabel(cur, f.path)} are damaged (object ${packed.slice(0, 12)})`); }
    if (!f.delta) { problems.push(`${fileLabel(cur, f.path)} has no delta to rebuild it from${own === 'missing' ? ` and its full parameters are missing (object ${f.sha256.slice(0, 12)})` : ''}`); break; }
    const ds = f.delta.object ? state(f.delta.object) : null;
    if (ds) { damaged ||= ds === 'damaged'; problems.push(`the delta object of ${fileLabel(cur, f.path)} is ${ds} (object ${f.delta.object!.slice(0, 12)})`); break; }
    if (f.delta.basePath === null) break;
    const parentId: string | null = graph.get(cur)?.parent ?? null;
    const parent = parentId && graph.has(parentId) ? await store.readManifest(parentId).catch(() => null) : null;
    const basePath: string = f.delta.basePath;
    const pf = parent?.files.find((x) => x.path === basePath);
    if (!parentId || !pf) { problems.push(`${fileLabel(cur, f.path)}: its parent commit ${parentId ? parentId.slice(0, 12) : ''} or its ${basePath} cannot be read`); break; }
    cur = parentId;
    f = pf;
  }
  if (graph.packIndexDamage) problems.push(`packed full parameters cannot be found while the pack index is damaged (${graph.packIndexDamage.message})`);
  const what = problems.length ? problems.join('; ') : 'no intact route through the history reaches it';
  const reason = `${fileLabel(commitId, file.path)} cannot be rebuilt: ${what}`;
  if (graph.packIndexDamage) return new NoRouteError('CORRUPT', reason, 'Run "weightline repair": it rebuilds the pack index and what intact bytes allow', graph.packIndexDamage.file);
  return new NoRouteError(damaged ? 'CORRUPT' : 'BROKEN_CHAIN', reason, 'Run "weightline repair" to rebuild what intact bytes allow (it reports what is lost)');
}
