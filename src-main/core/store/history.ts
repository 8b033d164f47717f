import { WeightlineError } from '../../../src-shared/errors';
import type { CommitId, LogEntry } from '../../../src-shared/model';
import type { Manifest } from '../base/manifest';
import { commitSummaries, type CommitSummary } from './log-index';
import type { Store } from './store';

// Questions about the commit graph: which commit a name means, what a restore
// would replay, and the per-commit storage figures the log shows.

export async function resolveCommit(store: Store, ref: string): Promise<CommitId> {
  const m = /^(HEAD)(?:~(\d+))?$/.exec(ref) ?? /^(.+?)~(\d+)$/.exec(ref);
  if (m) {
    let id: string | null = m[1] === 'HEAD' ? await store.readHead() : await resolveCommit(store, m[1]!);
    if (!id) throw new WeightlineError('NOT_FOUND', 'HEAD points to no commit yet; make a first commit');
    for (let n = Number(m[2] ?? 0); n > 0; n--) {
      const parent: string | null = (await store.readManifest(id)).parent;
      if (!parent) throw new WeightlineError('NOT_FOUND', `${ref}: the history has only ${Number(m[2]) - n + 1} commit(s) behind that point`);
      id = parent;
    }
    return id as CommitId;
  }
  const prefix = ref.toLowerCase();
  if (!/^[0-9a-f]{4,64}$/.test(prefix)) {
    throw new WeightlineError('BAD_USAGE', `expected a commit id (4 to 64 hex characters), HEAD or HEAD~N; found "${ref}"`);
  }
  const matches = (await store.listCommitIds()).filter((id) => id.startsWith(prefix));
  if (matches.length === 0) throw new WeightlineError('NOT_FOUND', `no commit matches "${ref}"`);
  if (matches.length > 1) {
    throw new WeightlineError('AMBIGUOUS', `"${ref}" matches ${matches.length} commits (${matches.slice(0, 4).map((i) => i.slice(0, 12)).join(', ')}); give more characters`);
  }
  return matches[0] as CommitId;
}

/** True when every file's full parameters are on disk. */
export async function hasFull(store: Store, manifest: Manifest): Promise<boolean> {
  for (const f of manifest.files) if (!(await store.hasObject(f.sha256))) return false;
  return true;
}

/** Number of DELTA commits between this one and the nearest CHECKPOINT at or above it (0 for a CHECKPOINT). */
export async function deltasSinceCheckpoint(store: Store, id: string): Promise<number> {
  let n = 0;
  let cur: string | null = id;
  while (cur) {
    const m = await store.readManifest(cur);
    if (m.type === 'CHECKPOINT') return n;
    n++;
    cur = m.parent;
  }
  return n;
}

/** Deltas a rebuild replays: the distance to the nearest ancestor whose full parameters are on disk. */
export async function restoreChainLength(store: Store, id: string): Promise<number> {
  let n = 0;
  let cur: string | null = id;
  while (cur) {
    const m = await store.readManifest(cur);
    if (await hasFull(store, m)) return n;
    n++;
    cur = m.parent;
  }
  return n;
}

/** Every commit, newest first (by creation time, then id for a stable order). */
export async function allCommits(store: Store): Promise<ReadonlyArray<{ id: CommitId; manifest: Manifest }>> {
  const ids = await store.listCommitIds();
  const list = await Promise.all(ids.map(async (id) => ({ id: id as CommitId, manifest: await store.readManifest(id) })));
  return list.sort((a, b) => (a.manifest.createdAt < b.manifest.createdAt ? 1 : a.manifest.createdAt > b.manifest.createdAt ? -1 : a.id < b.id ? 1 : -1));
}

/** The log: storage figures per commit, newest first. */
export async function logEntries(store: Store): Promise<LogEntry[]> {
  const summaries = await commitSummaries(store);
  const commits = [...summaries.entries()]
    .map(([id, summary]) => ({ id: id as CommitId, summary }))
    .sort((a, b) => (a.summary.createdAt < b.summary.createdAt ? 1 : a.summary.createdAt > b.summary.createdAt ? -1 : a.id < b.id ? 1 : -1));
  const pins = await store.readPins();
  // An object shared by several commits (an unchanged config.json, an
  // unchanged model) is on disk once: count it for the oldest commit that has
  // it, so the per-commit figures add up to what the disk holds.
  const counted = new Set<string>();
  // One stat per distinct object, many at a time: a 10,000-commit log is
  // mostly waiting on the file system otherwise.
  const sizes = new Map<string, number | null>();
  const shas = [...new Set(commits.flatMap((c) => c.summary.files.map((f) => f[0])))];
  for (let i = 0; i < shas.length; i += 256) {
    const batch = shas.slice(i, i + 256);
    const got = await Promise.all(batch.map((sha) => store.objectSize(sha)));
    batch.forEach((sha, k) => sizes.set(sha, got[k]!));
  }
  const full = new Map<string, { bytes: number; all: boolean }>();
  for (const { id, summary } of [...commits].reverse()) {
    let bytes = 0;
    let all = true;
    for (const [sha] of summary.files) {
      const size = sizes.get(sha) ?? null;
      if (size === null) { all = false; continue; }
      if (!counted.has(sha)) { counted.add(sha); bytes += size; }
    }
    full.set(id, { bytes, all });
  }
  const byId = new Map<string, CommitSummary>(commits.map((c) => [c.id, c.summary]));
  const chain = new Map<string, number>();
  const chainOf = (id: string): number => {
    const known = chain.get(id);
    if (known !== undefined) return known;
    // Iterative walk: histories can be far deeper than the call stack.
    const path: string[] = [];
    let cur: string | null = id;
    let base = 0;
    while (cur) {
      const k = chain.get(cur);
      if (k !== undefined) { base = k; break; }
      if (full.get(cur)?.all) { chain.set(cur, 0); base = 0; break; }
      path.push(cur);
      cur = byId.get(cur)?.parent ?? null;
    }
    for (let i = path.length - 1; i >= 0; i--) chain.set(path[i]!, ++base);
    return chain.get(id)!;
  };
  return commits.map(({ id, summary }) => {
    const f = full.get(id)!;
    return {
      id,
      parent: summary.parent as CommitId | null,
      type: summary.type,
      message: summary.message,
      createdAt: summary.createdAt,
      logicalBytes: summary.files.reduce((s, x) => s + x[1], 0),
      fullBytes: f.bytes,
      deltaBytes: summary.files.reduce((s, x) => s + x[2], 0),
      path: summary.path,
      hasFull: f.all,
      chainLength: chainOf(id),
      pinned: pins.has(id),
    };
  });
}
