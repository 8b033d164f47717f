import type { CommitId, CommitType } from '../../../src-shared/model';
import type { Manifest, ManifestFile } from '../base/manifest';
import { WeightlineError } from '../../../src-shared/errors';
import { commitSummaries, type CommitSummary } from './log-index';
import { readPacksOrDamage } from './packs';
import type { Store } from './store';

// The one model of the history that log, cleanup, restore, verify, repair and
// the UI share: who is whose parent and child, which objects each commit's
// files name, which full objects are on disk, and the distances everything
// else is measured in (chain lengths, the tips of the lines). Before it, each
// verb kept its own idea of "chain length" and "has full parameters", and they
// disagreed. Which commits keep full parameters is the keep rule's
// (src-shared/policy/keep.ts), not the graph's.
//
// A graph is a snapshot: object presence is read once when it is built, so a
// verb reasons about one consistent state and re-reads (builds a new graph)
// when it must see another writer's changes.

/** What the graph needs of one file of a commit. */
export interface GraphFile {
  readonly path: string;
  readonly sha256: string;
  readonly bytes: number;
  /** The delta object, null when the delta stores nothing or there is no delta. */
  readonly deltaObject: string | null;
  readonly deltaBytes: number;
  /** Whether the commit stores a delta for this file (false in a CHECKPOINT). */
  readonly hasDelta: boolean;
}

export interface GraphCommit {
  readonly id: CommitId;
  readonly parent: CommitId | null;
  readonly type: CommitType;
  readonly createdAt: string;
  readonly files: readonly GraphFile[];
}

export function graphCommitOf(id: string, m: Manifest): GraphCommit {
  return {
    id: id as CommitId,
    parent: m.parent as CommitId | null,
    type: m.type,
    createdAt: m.createdAt,
    files: m.files.map((f: ManifestFile) => ({
      path: f.path, sha256: f.sha256, bytes: f.bytes,
      deltaObject: f.delta?.object ?? null, deltaBytes: f.delta?.bytes ?? 0, hasDelta: f.delta !== null,
    })),
  };
}

/**
 * A graph commit from its log-index summary: what a route search asks of the
 * graph (parents, children, the objects each file names). File paths are not
 * in the index, so they are ''; a route takes its files from the manifests.
 */
export function graphCommitOfSummary(id: string, s: CommitSummary): GraphCommit {
  return {
    id: id as CommitId,
    parent: s.parent as CommitId | null,
    type: s.type,
    createdAt: s.createdAt,
    files: s.files.map(([sha256, bytes, deltaBytes], i) => {
      const delta = s.deltaObjects[i] ?? null;
      return { path: '', sha256, bytes, deltaObject: delta || null, deltaBytes, hasDelta: delta !== null };
    }),
  };
}

/** Newest first: by creation time, then id, so every view orders commits the same way. */
export function newestFirst(a: { id: string; createdAt: string }, b: { id: string; createdAt: string }): number {
  return a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

export class HistoryGraph {
  private readonly byId: ReadonlyMap<string, GraphCommit>;
  private readonly kids = new Map<string, CommitId[]>();
  private readonly chain = new Map<string, number>();
  /** Every commit, newest first. */
  readonly commits: readonly GraphCommit[];

  /**
   * @param sizes size of every object the commits name that is on disk; an
   *   object absent from the map is not on disk.
   */
  constructor(
    commits: Iterable<GraphCommit>,
    private readonly sizes: ReadonlyMap<string, number>,
    /** full sha256 → its packed object, for packs whose packed object is on disk (its size is in `sizes`). */
    private readonly packs: ReadonlyMap<string, string> = new Map(),
  ) {
    const all = [...commits];
    this.onCycle = parentCycles(all);
    this.commits = all.filter((c) => !this.onCycle.has(c.id)).sort(newestFirst);
    this.byId = new Map(this.commits.map((c) => [c.id, c]));
    for (const c of [...this.commits].reverse()) {
      // Appended in place: a copy per child made a commit with many children quadratic.
      if (c.parent) { const list = this.kids.get(c.parent); if (list) list.push(c.id); else this.kids.set(c.parent, [c.id]); }
    }
  }

  /**
   * Reads every manifest and the presence of every object they name. A
   * manifest that cannot be read is left out of the graph (and listed in
   * `unreadable`): one damaged commit must not make every other unreadable;
   * verbs that delete refuse while the list is not empty.
   */
  static async load(store: Store): Promise<HistoryGraph> {
    const ids = await store.listCommitIds();
    const unreadable = new Map<string, Error>();
    const read = await Promise.all(ids.map(async (id) => {
      try { return graphCommitOf(id, await store.readManifest(id)); } catch (e) { unreadable.set(id, e as Error); return null; }
    }));
    const commits = read.filter((c): c is GraphCommit => c !== null);
    const { sizes, packs, packIndexDamage } = await objectSizesWithPacks(store, commits);
    const graph = new HistoryGraph(commits, sizes, packs);
    for (const id of graph.onCycle) {
      unreadable.set(id, new WeightlineError('CORRUPT', `commit ${id.slice(0, 12)}'s route record leads its line of parents back to itself (a cycle no forget writes); move .weightline/routes/${id}.json away, or \`weightline undo\` the forget that wrote it`, `${store.dir}/routes/${id}.json`));
    }
    graph.unreadable = unreadable;
    graph.packIndexDamage = packIndexDamage;
    return graph;
  }

  /**
   * The graph for reading versions, from the log index (one small file)
   * instead of every manifest: restoring one version of a long history then
   * parses the manifests its route reads, not all of them. The index is a
   * cache, so a graph from it is a hint: findRoute takes every step from
   * manifests it reads (hash-checked), and a search that finds no route on it
   * searches again on load()'s graph (open.ts). Verbs that delete or judge the
   * store (cleanup, forget, repair, verify) use load(). A commit the index
   * cannot summarise (an unreadable manifest) makes this load() itself.
   */
  static async loadIndexed(store: Store): Promise<HistoryGraph> {
    let summaries: ReadonlyMap<string, CommitSummary>;
    try {
      summaries = await commitSummaries(store);
    } catch (e) {
      if (e instanceof WeightlineError) return HistoryGraph.load(store);
      throw e;
    }
    const commits = [...summaries].map(([id, s]) => graphCommitOfSummary(id, s));
    const { sizes, packs, packIndexDamage } = await objectSizesWithPacks(store, commits);
    const graph = new HistoryGraph(commits, sizes, packs);
    graph.packIndexDamage = packIndexDamage;
    graph.fromIndex = true;
    return graph;
  }

  /** Built from the log index (loadIndexed): its facts are to be confirmed by the manifests a reader reads. */
  fromIndex = false;

  /**
   * Commits whose line of parents leads back to themselves, left out of the
   * graph. Manifests name parents by hash, so only a route record (routes/,
   * damaged or forged) can do that; every walk down the parents would
   * otherwise never end. load() lists them as unreadable, naming the record.
   */
  readonly onCycle: ReadonlySet<string>;

  /** Why the pack index could not be read (CORRUPT naming the file), or null: routes then start at raw objects and deltas only. */
  packIndexDamage: WeightlineError | null = null;

  /** Commits whose manifest could not be read (damaged or vanished), with why. */
  unreadable: ReadonlyMap<string, Error> = new Map();

  get(id: string): GraphCommit | undefined {
    return this.byId.get(id);
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  children(id: string): readonly CommitId[] {
    return this.kids.get(id) ?? [];
  }

  /** Commits no other commit names as parent: the ends of the lines of history. */
  tips(): CommitId[] {
    return this.commits.filter((c) => !this.kids.has(c.id)).map((c) => c.id);
  }

  /** Size of an object on disk, or null if it is not there. */
  objectSize(sha: string): number | null {
    return this.sizes.get(sha) ?? null;
  }

  /**
   * True when every file of the commit has full parameters on disk, raw or
   * packed: a rebuild starts there (whether the bytes are intact is another question).
   */
  hasFull(id: string): boolean {
    const c = this.byId.get(id);
    return !!c && c.files.every((f) => this.sizes.has(f.sha256) || this.packs.has(f.sha256));
  }

  /** True when the raw full object of every file is on disk: restorable by copy or link, and what cleanup frees. */
  hasRawFull(id: string): boolean {
    const c = this.byId.get(id);
    return !!c && c.files.every((f) => this.sizes.has(f.sha256));
  }

  /** The packed object of a full object, when one is recorded and on disk. */
  packedObject(fullSha: string): string | null {
    return this.packs.get(fullSha) ?? null;
  }

  /** Every pack whose packed object is on disk: full sha256 → packed object. */
  packedObjects(): ReadonlyMap<string, string> {
    return this.packs;
  }

  /** Deltas a usual (forward) rebuild replays: the distance to the nearest ancestor-or-self with full parameters. */
  chainLength(id: string): number {
    const walked: string[] = [];
    let base = 0;
    // Iterative: histories can be far deeper than the call stack.
    for (let cur: string | null = id; cur && this.byId.has(cur); cur = this.byId.get(cur)!.parent) {
      const known = this.chain.get(cur);
      if (known !== undefined) { base = known; break; }
      if (this.hasFull(cur)) { this.chain.set(cur, 0); break; }
      walked.push(cur);
    }
    for (let i = walked.length - 1; i >= 0; i--) this.chain.set(walked[i]!, ++base);
    return this.chain.get(id) ?? 0;
  }

  /** Every object some commit names as a delta: never deleted as full parameters, whatever else shares its name. */
  deltaObjects(): Set<string> {
    const out = new Set<string>();
    for (const c of this.commits) for (const f of c.files) if (f.deltaObject) out.add(f.deltaObject);
    return out;
  }
}

/**
 * Sizes of the objects the commits name that are on disk, and the packs of
 * their full objects whose packed object is on disk (its size included).
 */
export async function objectSizesWithPacks(store: Store, commits: readonly GraphCommit[]): Promise<{ sizes: Map<string, number>; packs: Map<string, string>; packIndexDamage: WeightlineError | null }> {
  const { packs: recorded, damage } = await readPacksOrDamage(store);
  const named = new Set(commits.flatMap((c) => c.files.map((f) => f.sha256)));
  const wanted = [...recorded].filter(([full]) => named.has(full));
  const sizes = await objectSizes(store, commits, wanted.flatMap(([, packed]) => packed));
  const packs = new Map<string, string>();
  for (const [full, packed] of wanted) {
    const onDisk = packed.find((p) => sizes.has(p));
    if (onDisk) packs.set(full, onDisk);
  }
  return { sizes, packs, packIndexDamage: damage };
}

/** Sizes of the named objects (and of `extra` objects) that are on disk, many stats at a time. */
export async function objectSizes(store: Store, commits: readonly GraphCommit[], extra: readonly string[] = []): Promise<Map<string, number>> {
  const shas = [...new Set([...commits.flatMap((c) => c.files.flatMap((f) => (f.deltaObject ? [f.sha256, f.deltaObject] : [f.sha256]))), ...extra])];
  const sizes = new Map<string, number>();
  for (let i = 0; i < shas.length; i += 256) {
    const batch = shas.slice(i, i + 256);
    const got = await Promise.all(batch.map((sha) => store.objectSize(sha)));
    batch.forEach((sha, k) => { if (got[k] !== null && got[k] !== undefined) sizes.set(sha, got[k]!); });
  }
  return sizes;
}

/** The commits on a cycle of parent links (each commit has one parent, so a walk with a seen set finds every cycle once). */
export function parentCycles(commits: ReadonlyArray<{ readonly id: string; readonly parent: string | null }>): Set<string> {
  const parent = new Map(commits.map((c) => [c.id, c.parent]));
  const settled = new Set<string>();
  const out = new Set<string>();
  for (const c of commits) {
    const walk: string[] = [];
    const inWalk = new Set<string>();
    let cur: string | null = c.id;
    while (cur !== null && parent.has(cur) && !settled.has(cur) && !inWalk.has(cur)) { walk.push(cur); inWalk.add(cur); cur = parent.get(cur) ?? null; }
    if (cur !== null && inWalk.has(cur)) for (const id of walk.slice(walk.indexOf(cur))) out.add(id);
    for (const id of walk) settled.add(id);
  }
  return out;
}
