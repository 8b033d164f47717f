import * as path from 'node:path';
import type { CommitMeta, CommitType } from '../../../src-shared/model';
import { writeFileAtomic } from '../base/fsutil';
import type { Manifest } from '../base/manifest';
import { readLogIndexFile } from './store-files';
import type { Store } from './store';

// What the log and a route search need of each commit, in one file. Reading
// 10,000 manifests (one file each) costs seconds; this index costs one read.
// It is derived data: every entry was taken from a manifest whose hash was
// checked, commits never change, and a missing or unreadable index is rebuilt
// from the manifests. Readers may refresh it without the lock: two racing
// refreshes each write a whole, correct file, and the loser's additions return
// next time. Nothing that cleans up, forgets, repairs or verifies reads it; a
// restore searches its routes on it (HistoryGraph.loadIndexed) and confirms
// every step in the manifests it reads.

export interface CommitSummary {
  readonly parent: string | null;
  readonly type: CommitType;
  readonly message: string;
  readonly createdAt: string;
  readonly path: string;
  /** [sha256, bytes, delta bytes] per file. */
  readonly files: ReadonlyArray<readonly [string, number, number]>;
  /** Per file, its delta object, '' for a delta that stores nothing (every block Same), null for no delta (where a commit's data is, for log and status with remotes). */
  readonly deltaObjects: ReadonlyArray<string | null>;
  /** The manifest's meta block (step, epoch, metrics, run), when it has one. */
  readonly meta?: CommitMeta;
  /** 2 for summaries that carry meta; older entries are summarised again. */
  readonly indexed?: number;
  /** The stamp of the route record it was summarised with (store/routes.ts): a forget or undo that changes the record makes it summarised again. */
  readonly route?: string;
  /** Commits a forget removed between this one and `parent` (the nearest kept ancestor). */
  readonly forgottenBefore?: number;
}

interface IndexFile { readonly version: 1; readonly commits: Record<string, CommitSummary> }

const FILE = 'log-index.json';

export function summarize(m: Manifest, routeStamp?: string): CommitSummary {
  return {
    ...(routeStamp !== undefined ? { route: routeStamp } : {}),
    ...(m.rebased && m.rebased.forgotten > 0 ? { forgottenBefore: m.rebased.forgotten } : {}),
    parent: m.parent, type: m.type, message: m.message, createdAt: m.createdAt, path: m.source.path,
    files: m.files.map((f) => [f.sha256, f.bytes, f.delta?.bytes ?? 0] as const),
    deltaObjects: m.files.map((f) => (f.delta ? f.delta.object ?? '' : null)),
    ...(m.meta ? { meta: m.meta } : {}),
    indexed: 2,
  };
}

export async function commitSummaries(store: Store): Promise<Map<string, CommitSummary>> {
  const file = path.join(store.dir, FILE);
  // Absent or damaged (checked by its schema) reads as empty: rebuilt below.
  const known = await readLogIndexFile(store.dir);
  const ids = await store.listCommitIds();
  const out = new Map<string, CommitSummary>();
  // Own keys only: an id-shaped key is all a manifest name can be, but a cache is never trusted further than it must be.
  // An entry from before delta objects were indexed is summarised again (once: the index is then rewritten).
  const routes = await store.routeRecords();
  const has = (id: string): boolean => Object.hasOwn(known, id) && known[id]!.deltaObjects?.length === known[id]!.files.length && known[id]!.indexed === 2
    && ((known[id] as CommitSummary).route ?? null) === (routes.get(id)?.stamp ?? null);
  const missing = ids.filter((id) => !has(id));
  for (const id of ids) if (has(id)) out.set(id, known[id]! as CommitSummary);
  const added = await Promise.all(missing.map(async (id) => [id, summarize(await store.readManifest(id), routes.get(id)?.stamp)] as const));
  for (const [id, s] of added) out.set(id, s);
  if (added.length > 0) {
    await writeFileAtomic(file, JSON.stringify({ version: 1, commits: Object.fromEntries(out) } satisfies IndexFile)).catch(() => undefined);
  }
  return out;
}
