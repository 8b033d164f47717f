import * as path from 'node:path';
import type { CommitId } from '../../../src-shared/model';
import { writeFileAtomic } from '../base/fsutil';
import { newestFirst } from './graph';
import { WeightlineError } from '../../../src-shared/errors';
import { commitSummaries, summarize, type CommitSummary } from './log-index';
import { readLogIndexFile, readTipsFile, tipsFileContent } from './store-files';
import type { Store } from './store';

// A store follows many paths (a model file, a second model's folder): each
// path has its own line of history, and a commit of path P takes as parent
// the newest commit of P's current line, never a commit of another model.
// HEAD stays what it always was (the commit last made or restored), so one
// file is not enough to know where P's line stands once Q was committed
// after a restore of an old P: tips.json remembers, per path, the commit
// last made or restored there. docs/STORE-FORMAT.md "Lines of history".
//
// The rule, per path P:
// 1. HEAD, when HEAD is a commit of P (the last thing done was to P);
// 2. else tips.json's entry for P, when it names a commit of P;
// 3. else (no file, damaged, or an entry naming a commit that is gone) the
//    newest commit of P among HEAD's ancestors (a store from before
//    tips.json, whose paths shared one line), else the newest commit of P.
// Step 3 is also how a damaged tips.json is rebuilt: all it can lose is
// which commit of a path other than HEAD's was restored last.

const FILE = 'tips.json';

/** The line a commit belongs to: its run's (meta.run, a training run's folder) when it has one, else its path's. */
export function summaryLine(store: Store, s: { readonly path: string; readonly meta?: { readonly run?: string } }): string {
  return lineKey(store, s.meta?.run ?? s.path);
}

/** The key a path's line is known by: the source path as commit records it now (relative, posix), whatever an older version wrote. */
export function lineKey(store: Store, sourcePath: string): string {
  return store.sourcePathFor(store.resolveSource(sourcePath));
}

export interface LineOptions {
  /** HEAD as the caller read it (null: none, or damaged for a reader that only looks); read here when absent. */
  readonly head?: CommitId | null;
  readonly summaries?: ReadonlyMap<string, CommitSummary>;
}

/** For every path that has commits, the newest commit of its current line (the rule above). */
export async function currentLines(store: Store, opts: LineOptions = {}): Promise<Map<string, CommitId>> {
  const summaries = opts.summaries ?? (await readableSummaries(store));
  const head = opts.head !== undefined ? opts.head : await store.readHead();
  const recorded = (await readTipsFile(store.dir))?.paths ?? {};
  const keyOf = new Map<string, string>();
  const byKey = new Map<string, Array<{ id: string; createdAt: string }>>();
  for (const [id, s] of summaries) {
    const key = summaryLine(store, s);
    keyOf.set(id, key);
    const list = byKey.get(key);
    if (list) list.push({ id, createdAt: s.createdAt }); else byKey.set(key, [{ id, createdAt: s.createdAt }]);
  }
  // HEAD's ancestors, newest first; a cycle (only a forged history has one) ends the walk.
  const ancestry: string[] = [];
  const seen = new Set<string>();
  for (let cur: string | null = head ?? null; cur && summaries.has(cur) && !seen.has(cur); cur = summaries.get(cur)!.parent) {
    seen.add(cur);
    ancestry.push(cur);
  }
  const out = new Map<string, CommitId>();
  for (const [key, commits] of byKey) {
    if (head && keyOf.get(head) === key) { out.set(key, head); continue; }
    const entry = Object.hasOwn(recorded, key) ? recorded[key] : undefined;
    if (entry && keyOf.get(entry) === key) { out.set(key, entry as CommitId); continue; }
    const onLine = ancestry.find((id) => keyOf.get(id) === key);
    out.set(key, (onLine ?? [...commits].sort(newestFirst)[0]!.id) as CommitId);
  }
  return out;
}

/**
 * Every readable commit's summary. One damaged manifest (verify names it,
 * repair sets it aside) must not stop commits of every path, so where the
 * log index cannot be completed the unreadable commits are left out.
 */
async function readableSummaries(store: Store): Promise<ReadonlyMap<string, CommitSummary>> {
  try {
    return await commitSummaries(store);
  } catch (e) {
    if (!(e instanceof WeightlineError)) throw e;
    const known = await readLogIndexFile(store.dir);
    const out = new Map<string, CommitSummary>();
    for (const id of await store.listCommitIds()) {
      if (Object.hasOwn(known, id)) { out.set(id, known[id]! as CommitSummary); continue; }
      const m = await store.readManifest(id).catch(() => null);
      if (m) out.set(id, summarize(m));
    }
    return out;
  }
}

/** The parent a commit of this source path takes: the newest commit of its line, or null for a path with no commits yet. */
export async function lineTip(store: Store, sourcePath: string, opts: LineOptions = {}): Promise<CommitId | null> {
  return (await currentLines(store, opts)).get(lineKey(store, sourcePath)) ?? null;
}

/**
 * Records where every line stands now; called under the write lock after
 * HEAD moved (a commit, a restore to the commit's own path, a repair). The
 * file is written whole (temp file, fsync, rename), so a crash leaves the old
 * record, which the rule reads right for HEAD's path and at worst one step
 * behind for another.
 */
export async function recordLines(store: Store): Promise<void> {
  await writeFileAtomic(path.join(store.dir, FILE), tipsFileContent(await currentLines(store)));
}

/** True when tips.json is missing, damaged, or names a commit that is not the newest of its path's line any more (a repair rewrites it then). */
export async function linesRecordStale(store: Store): Promise<boolean> {
  const recorded = await readTipsFile(store.dir);
  if (!recorded) return (await store.listCommitIds()).length > 0;
  const lines = await currentLines(store);
  const keys = Object.keys(recorded.paths);
  return keys.length !== lines.size || keys.some((k) => lines.get(k) !== recorded.paths[k]);
}
