import { WeightlineError } from '../../../src-shared/errors';
import type { CommitId, LogEntry } from '../../../src-shared/model';
import type { Manifest } from '../base/manifest';
import { commitSummaries, summarize, type CommitSummary } from './log-index';
import { HistoryGraph, newestFirst, objectSizesWithPacks, type GraphCommit } from './graph';
import { readTagsFile } from './store-files';
import type { Store } from './store';

// Questions about the commit graph: which commit a name means, what a restore
// would replay, and the per-commit storage figures the log shows.

/**
 * A commit id from a name: HEAD, a tag, a unique prefix of 4+ hex characters,
 * and after any of them any run of git's parent steps: `~N` (N parents back,
 * `~` alone is one), `^` (one parent back; `^^` two), `^1` (the first and only
 * parent), `^0` (the commit itself). Resolution order: HEAD, then a tag, then
 * a commit id; the names never overlap (a tag name is never HEAD and never 4
 * to 64 hex characters, src-shared/verbs.ts tagNameSchema), so the order only
 * decides which file is read first (tags.json is not read for an id).
 */
export async function resolveCommit(store: Store, ref: string): Promise<CommitId> {
  const m = /^(.+?)((?:~\d*|\^\d*)+)$/u.exec(ref);
  const base = m ? m[1]! : ref;
  const steps = m ? parentSteps(ref, m[2]!) : 0;
  let id: string | null = base === 'HEAD' ? await store.readHead() : HEX_REF.test(base) ? await resolveId(store, base) : await resolveTag(store, base, ref);
  if (!id) throw new WeightlineError('NOT_FOUND', 'HEAD points to no commit yet; make a first commit');
  for (let n = 0; n < steps; n++) {
    const parent: string | null = (await store.readManifest(id)).parent;
    // n steps taken so far: that is how many commits lie behind the starting point.
    if (!parent) throw new WeightlineError('NOT_FOUND', `${ref}: only ${n} commit(s) lie behind ${base}; the oldest is ${n === 0 ? base : `${base}~${n}`}`);
    id = parent;
  }
  return id as CommitId;
}

/** How many parents back a suffix such as `~3^^` goes. A commit has one parent at most, so `^2` names none. */
function parentSteps(ref: string, suffix: string): number {
  let steps = 0;
  for (const [, op, digits] of suffix.matchAll(/([~^])(\d*)/gu)) {
    const n = digits === '' ? 1 : Number(digits);
    if (op === '~') steps += n;
    else if (n > 1) throw new WeightlineError('NOT_FOUND', `${ref}: ^${n} names a commit's parent number ${n}, and a Weightline commit has one parent at most (use ~N to go N commits back)`);
    else steps += n;
  }
  return steps;
}

const HEX_REF = /^[0-9a-f]{4,64}$/iu;

/** The commit a tag names; a tag whose commit the store does not hold is NOT_FOUND saying so (never another commit). */
async function resolveTag(store: Store, name: string, ref: string): Promise<CommitId> {
  const r = (await readTagsFile(store.dir)).get(name);
  if (!r || r.commit === null) {
    throw new WeightlineError('BAD_USAGE', `expected a commit id (4 to 64 hex characters), a tag or HEAD, optionally followed by ~N or ^; found "${ref}", and this store has no tag of that name (\`weightline tag --list\` lists them)`);
  }
  if (!(await store.listCommitIds()).includes(r.commit)) {
    throw new WeightlineError('NOT_FOUND', `tag "${name}" names commit ${r.commit.slice(0, 12)}, which this store does not hold${r.from ? ` (the tag came from ${r.from}; \`weightline fetch ${r.from}\` brings the commit once it is pushed there)` : ''}`);
  }
  return r.commit;
}

async function resolveId(store: Store, ref: string): Promise<CommitId> {
  const prefix = ref.toLowerCase();
  if (!/^[0-9a-f]{4,64}$/.test(prefix)) {
    throw new WeightlineError('BAD_USAGE', `expected a commit id (4 to 64 hex characters) or HEAD, optionally followed by ~N or ^; found "${ref}"`);
  }
  const matches = (await store.listCommitIds()).filter((id) => id.startsWith(prefix));
  if (matches.length === 0) throw new WeightlineError('NOT_FOUND', `no commit matches "${ref}"`);
  if (matches.length > 1) {
    throw new WeightlineError('AMBIGUOUS', `"${ref}" matches ${matches.length} commits (${matches.slice(0, 4).map((i) => i.slice(0, 12)).join(', ')}); give more characters`);
  }
  return matches[0] as CommitId;
}

/**
 * The history graph from the log index (one file read, no manifests): enough
 * for the log, chain lengths and the DELTAs since the last CHECKPOINT. Delta
 * objects are not in the index, so verbs that delete or rebuild (cleanup,
 * restore, verify, repair) load the graph from the manifests instead.
 */
export async function indexedGraph(store: Store, known?: ReadonlyMap<string, CommitSummary>): Promise<HistoryGraph> {
  const summaries = known ?? (await commitSummaries(store));
  const commits: GraphCommit[] = [...summaries.entries()].map(([id, s]) => ({
    id: id as CommitId, parent: s.parent as CommitId | null, type: s.type, createdAt: s.createdAt,
    files: s.files.map(([sha256, bytes, deltaBytes]) => ({ path: '', sha256, bytes, deltaObject: null, deltaBytes, hasDelta: s.type === 'DELTA' })),
  }));
  const { sizes, packs } = await objectSizesWithPacks(store, commits);
  return new HistoryGraph(commits, sizes, packs);
}

/**
 * The line from this commit up to the nearest CHECKPOINT: how many DELTAs it
 * holds (0 for a CHECKPOINT) and the bytes of their delta objects, which is
 * what a rebuild from that CHECKPOINT reads on top of its full parameters.
 */
export async function lineSinceCheckpoint(store: Store, id: string): Promise<{ deltas: number; deltaBytes: number }> {
  // From the log index (these figures only choose when the next commit is a CHECKPOINT): the manifests of a long
  // line weigh megabytes. A commit the index cannot summarise (an unreadable manifest) is read, and fails, as before.
  const summaries = await commitSummaries(store).catch((e: unknown) => { if (e instanceof WeightlineError) return null; throw e; });
  let deltas = 0, deltaBytes = 0;
  const seen = new Set<string>();
  for (let cur: string | null = id; cur; ) {
    // Only a damaged or forged route record can lead back to a commit already walked (manifests name parents by hash).
    if (seen.has(cur)) throw new WeightlineError('CORRUPT', `commit ${cur.slice(0, 12)}'s line of parents leads back to itself (a route record no forget writes); \`weightline verify\` names the record`, `${store.dir}/routes`);
    seen.add(cur);
    const s: CommitSummary = summaries?.get(cur) ?? summarize(await store.readManifest(cur));
    if (s.type === 'CHECKPOINT') break;
    deltas++;
    deltaBytes += s.files.reduce((n, f) => n + f[2], 0);
    cur = s.parent;
  }
  return { deltas, deltaBytes };
}

/** Every commit, newest first (by creation time, then id for a stable order). */
export async function allCommits(store: Store): Promise<ReadonlyArray<{ id: CommitId; manifest: Manifest }>> {
  const ids = await store.listCommitIds();
  const list = await Promise.all(ids.map(async (id) => ({ id: id as CommitId, createdAt: '', manifest: await store.readManifest(id) })));
  return list.map((c) => ({ ...c, createdAt: c.manifest.createdAt })).sort(newestFirst).map(({ id, manifest }) => ({ id, manifest }));
}

/** The log: storage figures per commit, newest first. */
export async function logEntries(store: Store, known?: ReadonlyMap<string, CommitSummary>): Promise<LogEntry[]> {
  // One read of the log index serves both (a caller that has it already passes it: the app's main side).
  const summaries = known ?? (await commitSummaries(store));
  const graph = await indexedGraph(store, summaries);
  const pins = await store.readPins();
  const tags = await tagNamesByCommit(store);
  // An object shared by several commits (an unchanged config.json, an
  // unchanged model) is on disk once: count it for the oldest commit that has
  // it, so the per-commit figures add up to what the disk holds.
  const counted = new Set<string>();
  const fullBytes = new Map<string, number>();
  for (const c of [...graph.commits].reverse()) {
    let bytes = 0;
    for (const f of c.files) {
      const size = graph.objectSize(f.sha256);
      if (size !== null && !counted.has(f.sha256)) { counted.add(f.sha256); bytes += size; }
      // Packed full parameters are this commit's storage too (a CHECKPOINT out of the hot set).
      const packed = graph.packedObject(f.sha256);
      const packedSize = packed ? graph.objectSize(packed) : null;
      if (packed && packedSize !== null && !counted.has(packed)) { counted.add(packed); bytes += packedSize; }
    }
    fullBytes.set(c.id, bytes);
  }
  const ahead = await aheadOfHead(store, graph.commits);
  return graph.commits.map((c) => {
    const summary = summaries.get(c.id)!;
    return {
      id: c.id,
      parent: c.parent,
      type: c.type,
      message: summary.message,
      createdAt: c.createdAt,
      logicalBytes: c.files.reduce((s, x) => s + x.bytes, 0),
      fullBytes: fullBytes.get(c.id)!,
      deltaBytes: c.files.reduce((s, x) => s + x.deltaBytes, 0),
      path: summary.path, ...(summary.meta ? { meta: summary.meta } : {}),
      hasFull: graph.hasFull(c.id),
      chainLength: graph.chainLength(c.id),
      pinned: pins.has(c.id),
      ...(tags.has(c.id) ? { tags: tags.get(c.id)! } : {}),
      ...(graph.hasFull(c.id) && !graph.hasRawFull(c.id) ? { packed: true as const } : {}),
      ...(ahead.has(c.id) ? { aheadOfHead: true as const } : {}),
      ...(summary.forgottenBefore ? { forgottenBefore: summary.forgottenBefore } : {}),
    };
  });
}

/** Tag names by the commit they name (deletions left out), each list sorted: the log's labels. */
export async function tagNamesByCommit(store: Store): Promise<ReadonlyMap<string, readonly string[]>> {
  const out = new Map<string, string[]>();
  for (const [name, r] of await readTagsFile(store.dir)) if (r.commit !== null) out.set(r.commit, [...(out.get(r.commit) ?? []), name]);
  for (const names of out.values()) names.sort();
  return out;
}

/**
 * The commits that descend from HEAD: after a restore moved HEAD back, the
 * newer versions of its line, which the next commit does not follow (it
 * starts a new branch from HEAD). Empty when HEAD is a tip, unknown or damaged.
 */
export async function aheadOfHead(store: Store, commits: ReadonlyArray<{ readonly id: CommitId; readonly parent: CommitId | null }>): Promise<ReadonlySet<CommitId>> {
  const head = await store.headState();
  const out = new Set<CommitId>();
  if (!head.ok || !head.commit) return out;
  const children = new Map<string, CommitId[]>();
  for (const c of commits) if (c.parent) children.set(c.parent, [...(children.get(c.parent) ?? []), c.id]);
  const todo = [...(children.get(head.commit) ?? [])];
  while (todo.length > 0) {
    const c = todo.pop()!;
    if (out.has(c)) continue;
    out.add(c);
    todo.push(...(children.get(c) ?? []));
  }
  return out;
}
