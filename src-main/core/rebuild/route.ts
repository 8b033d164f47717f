import { WeightlineError } from '../../../src-shared/errors';
import type { CommitId } from '../../../src-shared/model';
import { FullSource, type FileSource } from '../base/file-source';
import { BlockMode, type FileDelta, type Manifest, type ManifestFile } from '../base/manifest';
import { streamMap } from '../base/streams';
import type { HistoryGraph } from '../store/graph';
import type { Store } from '../store/store';
import { openPacked } from './packed';
import { DeltaSource } from './source';

// A route is one way to rebuild one file of one commit: start from a full
// object somewhere in the history and apply deltas along the tree to reach it.
// XOR deltas are symmetric, so a delta rebuilds a child from its parent
// (forward, the usual way) and also the parent from its child (backward),
// wherever the child's delta holds the parent's stream as Same or Xor blocks.
// A route may go up to a common ancestor and down again (from a sibling's full
// parameters). Routes are found by a shortest-path search from the file we
// want, through objects the caller considers usable (present, not known bad,
// or proved by hashing: the caller decides).

export type RouteStep =
  /** Read the file's full object. Always the first step. */
  | { readonly kind: 'full'; readonly commit: CommitId; readonly file: ManifestFile }
  /** Read the file's packed full object (rebuild/packed.ts). Always the first step. */
  | { readonly kind: 'packed'; readonly commit: CommitId; readonly file: ManifestFile; readonly object: string }
  /** A file new in its commit: its delta stores every block, no base needed. Always the first step. */
  | { readonly kind: 'self'; readonly commit: CommitId; readonly file: ManifestFile }
  /** This file from the previous step's file (its parent's) through this file's delta. */
  | { readonly kind: 'forward'; readonly commit: CommitId; readonly file: ManifestFile }
  /** This file from the previous step's file (its child's) through the child's delta, inverted. */
  | { readonly kind: 'backward'; readonly commit: CommitId; readonly file: ManifestFile; readonly via: ManifestFile };

export interface Route {
  /** From the source to the file wanted. */
  readonly steps: readonly RouteStep[];
  /** Every object the route reads: the source's full object (if any) and each delta object. */
  readonly objects: readonly string[];
  /** The source's raw full object, or null for a route that starts at a packed object or a new file's delta. */
  readonly fullObject: string | null;
}

/** The usual route: the file's own full object, or forward only from the nearest ancestor. */
export function isUsual(route: Route): boolean {
  return route.steps.every((s) => s.kind !== 'backward');
}

export function describeRoute(route: Route): string {
  const first = route.steps[0]!;
  const start = first.kind === 'full' ? `the full parameters of ${first.commit.slice(0, 12)}`
    : first.kind === 'packed' ? `the packed full parameters of ${first.commit.slice(0, 12)}`
      : `the delta of ${first.commit.slice(0, 12)}`;
  const back = route.steps.filter((s) => s.kind === 'backward').length;
  const fwd = route.steps.filter((s) => s.kind === 'forward').length;
  const parts = [fwd ? `${fwd} delta(s) forward` : '', back ? `${back} delta(s) backward` : ''].filter(Boolean);
  return parts.length ? `from ${start}, ${parts.join(' and ')}` : `from ${start}`;
}

/** Whether a file (`parent`) can be rebuilt from its child's file through the child's delta. */
export function invertible(child: ManifestFile, parent: ManifestFile): boolean {
  return invertedDelta(child, parent) !== null;
}

/**
 * The child's delta read the other way: for every stream of the parent's
 * file, the child's stream based on it, whose blocks must all be Same or Xor
 * (a Raw block holds the child's bytes alone and says nothing of the parent's).
 */
export function invertedDelta(child: ManifestFile, parent: ManifestFile): FileDelta | null {
  const d = child.delta;
  if (!d || d.basePath !== parent.path) return null;
  const childLengths = streamMap({ bytes: child.bytes, tensors: child.tensors }).lengths;
  const parentLengths = streamMap({ bytes: parent.bytes, tensors: parent.tensors }).lengths;
  const streams: FileDelta['streams'][number][] = [];
  for (let j = 0; j < parentLengths.length; j++) {
    if (parentLengths[j] === 0) { streams.push({ base: null, blocks: [] }); continue; }
    const i = d.streams.findIndex((s) => s.base === j);
    const s = d.streams[i];
    if (!s || childLengths[i] !== parentLengths[j]) return null;
    if (!s.blocks.every((b) => b === 0 || b[0] === BlockMode.Xor)) return null;
    streams.push({ base: i, blocks: s.blocks });
  }
  return { object: d.object, bytes: d.bytes, basePath: child.path, streams };
}

export interface RouteQuery {
  /** Whether an object may be read: on disk and not known to be damaged (the caller may hash it to decide). */
  readonly usable: (sha: string) => boolean | Promise<boolean>;
  /** Whether routes may read deltas backward (default yes; cleanup proves its pruning on forward routes). */
  readonly allowBackward?: boolean;
  /** Where other commits' manifests come from (default: the store; verify --remote passes the remote's, checked). */
  readonly manifest?: (id: string) => Promise<Manifest | null>;
}

interface Node { readonly commit: CommitId; readonly file: ManifestFile }

// A backward step reads and decodes as much as a forward one; forward wins ties
// only because it is the route people expect (and cleanup's figures assume).
const FORWARD_COST = 1;
const BACKWARD_COST = 1.001;
// Unpacking decodes every block, as a delta does; the raw object is a plain read.
const PACKED_COST = 1;

/**
 * The cheapest route to a file of a commit whose objects are all usable, or
 * null when there is none. Manifests come from the store (cached there).
 */
export async function findRoute(store: Store, graph: HistoryGraph, commit: string, file: ManifestFile, q: RouteQuery): Promise<Route | null> {
  // The file's own full object, usable, is the cheapest route there is (cost 0,
  // first out of the search): answered without the search's allocations, which
  // dominate planning a commit of 200,000 files.
  if (graph.objectSize(file.sha256) !== null && (await q.usable(file.sha256))) {
    return { steps: [{ kind: 'full', commit: commit as CommitId, file }], objects: [file.sha256], fullObject: file.sha256 };
  }
  // Nothing to start from and nowhere to go (no packed form, no delta, no child): no route, again without the search.
  if (file.delta === null && graph.packedObject(file.sha256) === null && graph.children(commit).length === 0) return null;
  const key = (n: Node): string => `${n.commit}\u0000${n.file.path}`;
  // Dijkstra from the file wanted outwards; `towards` links each node to the
  // one it helps rebuild (the next step on the way to the target).
  const start: Node = { commit: commit as CommitId, file };
  const dist = new Map<string, number>([[key(start), 0]]);
  const towards = new Map<string, { node: Node; kind: 'forward' | 'backward' } | null>([[key(start), null]]);
  const nodes = new Map<string, Node>([[key(start), start]]);
  // Equal costs pop in the order they were pushed (seq), as the stable sort this heap replaced did: the same route every time.
  let seq = 0;
  const heap = new MinHeap<{ node: Node; cost: number; source?: 'full' | 'packed' | 'self'; seq: number }>((a, b) => a.cost - b.cost || a.seq - b.seq);
  const open = {
    get size(): number { return heap.size; },
    push: (x: { node: Node; cost: number; source?: 'full' | 'packed' | 'self' }): void => heap.push({ ...x, seq: seq++ }),
    pop: () => heap.pop(),
  };
  open.push({ node: start, cost: 0 });
  const usableCache = new Map<string, boolean>();
  const usable = async (sha: string | null): Promise<boolean> => {
    if (sha === null) return true;
    if (!usableCache.has(sha)) usableCache.set(sha, await q.usable(sha));
    return usableCache.get(sha)!;
  };
  const manifest = async (id: string): Promise<Manifest | null> => (!graph.has(id) ? null : q.manifest ? q.manifest(id) : store.readManifest(id).catch(() => null));
  const relax = (node: Node, cost: number, from: Node, kind: 'forward' | 'backward'): void => {
    const k = key(node);
    if ((dist.get(k) ?? Infinity) <= cost) return;
    dist.set(k, cost);
    nodes.set(k, node);
    towards.set(k, { node: from, kind });
    open.push({ node, cost });
  };
  const done = new Set<string>();
  while (open.size > 0) {
    const { node, cost, source } = open.pop()!;
    const k = key(node);
    if (source) return buildRoute(node, source, towards, key, graph);
    if (done.has(k)) continue;
    done.add(k);
    // Sources: the file's own full object, or a new file's self-contained delta.
    if (await usable(node.file.sha256) && graph.objectSize(node.file.sha256) !== null) open.push({ node, cost, source: 'full' });
    const packed = graph.packedObject(node.file.sha256);
    if (packed && (await usable(packed))) open.push({ node, cost: cost + PACKED_COST, source: 'packed' });
    const d = node.file.delta;
    if (d && (await usable(d.object))) {
      if (d.basePath === null) open.push({ node, cost: cost + FORWARD_COST, source: 'self' });
      else {
        // The parent as the commit's manifest names it (route record applied), not as the graph does: a graph from
        // the log index is a cache, and a wrong parent would rebuild wrong bytes that no object is to blame for.
        const parentId = (await manifest(node.commit))?.parent as CommitId | null | undefined;
        const parent = parentId ? await manifest(parentId) : null;
        const pf = parent ? filesByPath(parent).get(d.basePath) : undefined;
        if (parentId && pf) relax({ commit: parentId, file: pf }, cost + FORWARD_COST, node, 'forward');
      }
    }
    if (q.allowBackward === false) continue;
    for (const childId of graph.children(node.commit)) {
      const child = await manifest(childId);
      // A child only by the graph's word (a stale or damaged log index) is no child.
      if (child?.parent !== node.commit) continue;
      for (const cf of filesByBase(child).get(node.file.path) ?? []) {
        if (!cf.delta || !invertible(cf, node.file)) continue;
        if (!(await usable(cf.delta.object))) continue;
        relax({ commit: childId, file: cf }, cost + BACKWARD_COST, node, 'backward');
      }
    }
  }
  return null;
}

// Per-manifest indexes, built once per manifest object (the store caches
// manifests): a search step looks a file up by path instead of scanning the
// manifest, which made planning a commit of n files O(n²) (8,000
// files took 24 s in clone).
const byPath = new WeakMap<Manifest, ReadonlyMap<string, ManifestFile>>();
const byBase = new WeakMap<Manifest, ReadonlyMap<string, readonly ManifestFile[]>>();

/** A manifest's files by path (the first of a path, as a scan would find it). */
export function filesByPath(m: Manifest): ReadonlyMap<string, ManifestFile> {
  let index = byPath.get(m);
  if (!index) {
    const built = new Map<string, ManifestFile>();
    for (const f of m.files) if (!built.has(f.path)) built.set(f.path, f);
    byPath.set(m, (index = built));
  }
  return index;
}

/** A manifest's files with a delta, by the path of the parent's file their delta is based on. */
function filesByBase(m: Manifest): ReadonlyMap<string, readonly ManifestFile[]> {
  let index = byBase.get(m);
  if (!index) {
    const built = new Map<string, ManifestFile[]>();
    for (const f of m.files) {
      const base = f.delta?.basePath;
      if (base === null || base === undefined) continue;
      const list = built.get(base);
      if (list) list.push(f); else built.set(base, [f]);
    }
    byBase.set(m, (index = built));
  }
  return index;
}

/** A binary heap: the search's open set, O(log n) per step where a sort per step made long searches quadratic. */
class MinHeap<T> {
  private readonly items: T[] = [];
  constructor(private readonly before: (a: T, b: T) => number) {}
  get size(): number { return this.items.length; }
  push(x: T): void {
    const a = this.items;
    a.push(x);
    for (let i = a.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (this.before(a[i]!, a[p]!) >= 0) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }
  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.before(a[l]!, a[m]!) < 0) m = l;
        if (r < a.length && this.before(a[r]!, a[m]!) < 0) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

function buildRoute(
  source: Node,
  kind: 'full' | 'packed' | 'self',
  towards: Map<string, { node: Node; kind: 'forward' | 'backward' } | null>,
  key: (n: Node) => string,
  graph: HistoryGraph,
): Route {
  const steps: RouteStep[] = [];
  const objects: string[] = [];
  if (kind === 'packed') {
    const object = graph.packedObject(source.file.sha256)!;
    steps.push({ kind, commit: source.commit, file: source.file, object });
    objects.push(object);
  } else {
    steps.push({ kind, commit: source.commit, file: source.file });
    if (kind === 'full') objects.push(source.file.sha256);
    else if (source.file.delta?.object) objects.push(source.file.delta.object);
  }
  let cur = source;
  for (let next = towards.get(key(cur)); next; next = towards.get(key(cur))) {
    // `next.kind` says how cur was reached from next during the search: cur is
    // next's parent (forward: next is rebuilt from cur through next's delta) or
    // next's child (backward: next is rebuilt from cur through cur's delta).
    if (next.kind === 'forward') {
      steps.push({ kind: 'forward', commit: next.node.commit, file: next.node.file });
      if (next.node.file.delta?.object) objects.push(next.node.file.delta.object);
    } else {
      steps.push({ kind: 'backward', commit: next.node.commit, file: next.node.file, via: cur.file });
      if (cur.file.delta?.object) objects.push(cur.file.delta.object);
    }
    cur = next.node;
  }
  return { steps, objects, fullObject: kind === 'full' ? source.file.sha256 : null };
}

/** Thrown by openRoute when an object of the route vanished (a cleanup ran meanwhile): plan again. */
export class VanishedObject extends Error {
  constructor(readonly object: string) { super(`object ${object.slice(0, 12)} vanished`); }
}

/**
 * Opens a reader over the route. The full object is opened at once, so a cleanup deleting it later cannot pull it away.
 * `blockChecks: false` leaves delta block checksums unchecked (see DeltaSource.blockChecks for who may ask).
 */
export async function openRoute(store: Store, route: Route, opts: { blockChecks?: boolean } = {}): Promise<FileSource> {
  let source: FileSource | null = null;
  try {
    for (const step of route.steps) {
      const layout = { bytes: step.file.bytes, tensors: step.file.tensors };
      const label = `${step.file.path} in commit ${step.commit.slice(0, 12)}`;
      switch (step.kind) {
        case 'full': {
          const full = await FullSource.tryOpen(store.objectPath(step.file.sha256), layout, label);
          if (!full) throw new VanishedObject(step.file.sha256);
          source = full;
          break;
        }
        case 'packed': {
          const file = store.objectPath(step.object);
          try {
            const packed = await openPacked(file, step.object, step.file.sha256, layout, label);
            if (opts.blockChecks === false) packed.blockChecks = false;
            source = packed;
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new VanishedObject(step.object);
            throw e;
          }
          break;
        }
        case 'self':
        case 'forward': {
          const d = step.file.delta!;
          const delta: DeltaSource = new DeltaSource(layout, label, d, step.kind === 'self' ? null : source, d.object ? store.objectPath(d.object) : null);
          if (opts.blockChecks === false) delta.blockChecks = false;
          source = delta;
          break;
        }
        case 'backward': {
          const d = invertedDelta(step.via, step.file);
          if (!d) throw new WeightlineError('BROKEN_CHAIN', `${label}: the delta of its child cannot be read backward`);
          const delta: DeltaSource = new DeltaSource(layout, label, d, source, d.object ? store.objectPath(d.object) : null);
          if (opts.blockChecks === false) delta.blockChecks = false;
          source = delta;
          break;
        }
      }
    }
  } catch (e) {
    await source?.close();
    throw e;
  }
  return source!;
}
