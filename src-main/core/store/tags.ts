// Tags: names for commits (`restore best`, `diff best HEAD`), kept in
// .weightline/tags.json (docs/STORE-FORMAT.md, "Tags"), written whole
// (temp, fsync, rename) under the write lock. A deletion stays in the file
// with its time, so newest-wins across remotes cannot bring an older setting
// back. On a remote each setting is a write-once record named by the tag, its
// time and its commit (remote/tags.ts sends and reads them); the newest
// setting of a name wins, ties broken by the commit id ("deleted" counts as one).
import * as path from 'node:path';
import { WeightlineError } from '../../../src-shared/errors';
import type { CommitId, TagInfo, TagResult } from '../../../src-shared/model';
import { tagNameSchema } from '../../../src-shared/verbs';
import { writeFileAtomic } from '../base/fsutil';
import { resolveCommit } from './history';
import { withWriteLock } from './lock';
import { HEX64, readTagsFile, TAG_TIME, tagsFileContent, type TagRecordData } from './store-files';
import type { Store } from './store';

export type { TagRecordData };

export async function readTags(store: Store): Promise<ReadonlyMap<string, TagRecordData>> {
  return readTagsFile(store.dir);
}

/** Written under the store's write lock only (the caller holds it). */
export async function writeTags(store: Store, tags: ReadonlyMap<string, TagRecordData>): Promise<void> {
  await writeFileAtomic(path.join(store.dir, 'tags.json'), tagsFileContent(tags));
}

/** The name, or BAD_USAGE saying which rule it breaks. */
export function checkTagName(name: string): string {
  const parsed = tagNameSchema.safeParse(name);
  if (parsed.success) return parsed.data;
  const rule = parsed.error.issues.map((i) => i.message).join('; ');
  throw new WeightlineError('BAD_USAGE', `"${name}" cannot be a tag name: a tag name takes ${rule}`);
}

/**
 * Sets a tag to the commit ref names (moving it if it named another), or
 * deletes it (ref null). The time recorded is now, unless the tag was set
 * later than now by another machine's clock: then just after that, so this
 * setting is the newest wherever it travels.
 */
export async function setTag(store: Store, name: string, ref: string | null, now: () => Date = () => new Date()): Promise<TagResult> {
  checkTagName(name);
  return withWriteLock(store, 'tag', async () => {
    const tags = new Map(await readTags(store));
    const before = tags.get(name);
    const previous = before?.commit ?? null;
    const commit = ref === null ? null : await resolveCommit(store, ref);
    if (commit === null && previous === null) {
      const named = [...tags].filter(([, r]) => r.commit !== null).map(([n]) => n);
      throw new WeightlineError('NOT_FOUND', `no tag named "${name}"; ${named.length ? `the tags are ${named.slice(0, 10).join(', ')}${named.length > 10 ? ', …' : ''}` : 'this store has none'}`);
    }
    // Setting a tag to what it names already changes nothing (and travels nowhere).
    if (commit !== null && commit === previous) return { name, commit, previous };
    let setAt = now().toISOString();
    if (before && setAt <= before.setAt) setAt = new Date(Date.parse(before.setAt) + 1).toISOString();
    tags.set(name, { commit, setAt });
    await writeTags(store, tags);
    return { name, commit, previous };
  });
}

/** The tags there are (deletions left out), by name, each saying whether the store holds its commit. */
export async function listTags(store: Store): Promise<TagInfo[]> {
  const tags = await readTags(store);
  if (tags.size === 0) return [];
  const ids = new Set(await store.listCommitIds());
  const out: TagInfo[] = [];
  for (const [name, r] of [...tags].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (r.commit === null) continue;
    out.push({ name, commit: r.commit, setAt: r.setAt, ...(r.from !== undefined ? { from: r.from } : {}), ...(ids.has(r.commit) ? {} : { missing: true as const }) });
  }
  return out;
}

// ---- settings as records (remote travel) ----

/** One setting of a tag, as it travels: the tag, when, and the commit (null: deleted). */
export interface TagSetting {
  readonly name: string;
  readonly setAt: string;
  readonly commit: CommitId | null;
}

const RECORD_TAIL = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)_([0-9a-f]{64}|deleted)$/u;

/**
 * A setting's record name under a remote's tags/: `<name>/<setAt>_<commit or
 * deleted>`. A name may hold "/", so a record is parsed from its end: a tag
 * name never holds ":", so no part of a name reads as a record's tail.
 */
export function tagRecordName(s: TagSetting): string {
  return `${s.name}/${s.setAt}_${s.commit ?? 'deleted'}`;
}

/** The setting a record name states, or why it is not one. */
export function parseTagRecordName(rel: string): TagSetting | string {
  const cut = rel.lastIndexOf('/');
  const m = cut > 0 ? RECORD_TAIL.exec(rel.slice(cut + 1)) : null;
  if (!m) return 'a tag record named <tag>/<ISO time>_<commit id or "deleted">';
  const name = rel.slice(0, cut);
  if (!tagNameSchema.safeParse(name).success) return 'a valid tag name before the record\'s time';
  if (!TAG_TIME.test(m[1]!) || Number.isNaN(Date.parse(m[1]!))) return 'a valid time';
  const commit = m[2] === 'deleted' ? null : m[2]!;
  if (commit !== null && !HEX64.test(commit)) return 'a commit id';
  return { name, setAt: m[1]!, commit: commit as CommitId | null };
}

/** Which setting of a tag wins: the newer; at the same time the larger commit id ("deleted" counts as one). */
export function newerSetting(a: { readonly setAt: string; readonly commit: string | null }, b: { readonly setAt: string; readonly commit: string | null }): number {
  if (a.setAt !== b.setAt) return a.setAt < b.setAt ? -1 : 1;
  const ca = a.commit ?? 'deleted';
  const cb = b.commit ?? 'deleted';
  return ca === cb ? 0 : ca < cb ? -1 : 1;
}

/**
 * The local tags with a remote's settings merged in: per name the newest
 * setting wins (a local one newer than the remote's stays). Returns the merged
 * map and the names whose setting came from the remote. Pure: the caller
 * writes the result under the lock.
 */
export function mergeTagSettings(local: ReadonlyMap<string, TagRecordData>, remoteName: string, settings: readonly TagSetting[]): { merged: Map<string, TagRecordData>; changed: string[] } {
  const best = new Map<string, TagSetting>();
  for (const s of settings) {
    const cur = best.get(s.name);
    if (!cur || newerSetting(s, cur) > 0) best.set(s.name, s);
  }
  const merged = new Map(local);
  const changed: string[] = [];
  for (const [name, s] of best) {
    const mine = local.get(name);
    if (mine && newerSetting(s, mine) <= 0) continue;
    merged.set(name, { commit: s.commit, setAt: s.setAt, from: remoteName });
    changed.push(name);
  }
  return { merged, changed: changed.sort() };
}
