import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { z } from 'zod';
import { WeightlineError } from '../../../src-shared/errors';
import { writeFileAtomic } from '../base/fsutil';
import { check, HEX64, readCache, readJson } from '../store/store-files';
import type { Store } from '../store/store';
import { parseRemoteUrl } from './url';

// The store's two remote files (docs/STORE-FORMAT.md, "Remotes"), read through
// schemas like every other store file:
//
//   remotes.json              {"<name>": {"url": "s3://bucket/prefix", "endpoint": "http://…" | null, "region": "…" | null}}
//                             nothing secret: credentials come from the AWS chain at run time.
//   remote-cache/<name>.json  what the remote held when last listed (push, fetch, clone): manifests,
//                             objects with sizes, packs (full → packed); a cache,
//                             missing or damaged reads as unknown and is listed again.

export const REMOTE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface RemoteConfig {
  readonly url: string;
  /** S3 endpoint for S3-compatible servers; null: AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, else AWS. */
  readonly endpoint: string | null;
  /** null: the AWS chain's region (AWS_REGION, profile), else us-east-1. */
  readonly region: string | null;
}

const RemoteSchema = z.looseObject({
  url: z.string().refine((u) => { try { parseRemoteUrl(u); return true; } catch { return false; } }, 's3://bucket[/prefix]'),
  endpoint: z.string().url().nullable(),
  region: z.string().min(1).nullable(),
});
const RemotesSchema = z.record(z.string().regex(REMOTE_NAME), RemoteSchema);
const REMOTES_EXPECTED = 'a JSON object mapping remote names to {"url": "s3://bucket/prefix", "endpoint": URL or null, "region": name or null}';

function remotesFile(store: Store): string {
  return path.join(store.dir, 'remotes.json');
}

/** The remotes; none when remotes.json does not exist, CORRUPT when damaged. */
export async function readRemotes(store: Store): Promise<Record<string, RemoteConfig>> {
  const file = remotesFile(store);
  const next = 'fix it, or delete it and add the remotes again (`weightline remote add NAME s3://bucket/prefix`)';
  const raw = await readJson(file, REMOTES_EXPECTED, next);
  if (!raw) return {};
  const remotes = check(file, RemotesSchema, raw.value, REMOTES_EXPECTED, next);
  return Object.fromEntries(Object.entries(remotes).map(([n, r]) => [n, { url: r.url, endpoint: r.endpoint, region: r.region }]));
}

export async function writeRemotes(store: Store, remotes: Readonly<Record<string, RemoteConfig>>): Promise<void> {
  const sorted = Object.fromEntries(Object.entries(remotes).sort(([a], [b]) => (a < b ? -1 : 1)));
  await writeFileAtomic(remotesFile(store), JSON.stringify(sorted, null, 2) + '\n');
}

/** One remote by name, or NOT_FOUND listing the remotes there are. */
export async function getRemote(store: Store, name: string): Promise<RemoteConfig> {
  const remotes = await readRemotes(store);
  const r = remotes[name];
  if (!r) {
    const names = Object.keys(remotes);
    throw new WeightlineError('NOT_FOUND', `no remote named "${name}"; ${names.length ? `this store has ${names.join(', ')}` : 'this store has none'} (add one with \`weightline remote add ${name} s3://bucket/prefix\`)`);
  }
  return r;
}

/** The remote a verb uses when none is named: the only one, or origin. */
export async function defaultRemote(store: Store): Promise<string> {
  const names = Object.keys(await readRemotes(store));
  if (names.length === 1) return names[0]!;
  if (names.includes('origin')) return 'origin';
  if (names.length === 0) throw new WeightlineError('NOT_FOUND', 'this store has no remote; add one with `weightline remote add origin s3://bucket/prefix`');
  throw new WeightlineError('AMBIGUOUS', `this store has several remotes (${names.join(', ')}) and none is called origin: name one`);
}

// ---- the cache of what a remote holds ----

export interface RemoteCache {
  /** When the remote was listed. */
  readonly at: string;
  /** Commits whose manifest the remote holds. */
  readonly commits: readonly string[];
  /** Objects the remote holds, with their sizes. */
  readonly objects: Readonly<Record<string, number>>;
  /** Packs the remote holds: full sha256 → its packed object (absent in caches written before packs were pushed). */
  readonly packs?: Readonly<Record<string, string>>;
}

const CacheSchema = z.looseObject({
  version: z.literal(1),
  at: z.string(),
  commits: z.array(z.string().regex(HEX64)),
  objects: z.record(z.string().regex(HEX64), z.number().int().min(0)),
  packs: z.record(z.string().regex(HEX64), z.string().regex(HEX64)).optional(),
});

function cacheFile(store: Store, name: string): string {
  return path.join(store.dir, 'remote-cache', `${name}.json`);
}

/** What the remote held when last listed; undefined when never listed (or the cache was lost). */
export async function readRemoteCache(store: Store, name: string): Promise<RemoteCache | undefined> {
  const c = await readCache(cacheFile(store, name), CacheSchema);
  return c ? { at: c.at, commits: c.commits, objects: c.objects, ...(c.packs ? { packs: c.packs } : {}) } : undefined;
}

/** Written without the lock, like the log index: two racing writers each write a whole file of true facts. */
export async function writeRemoteCache(store: Store, name: string, cache: RemoteCache): Promise<void> {
  const file = cacheFile(store, name);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, JSON.stringify({ version: 1, ...cache }));
}

export async function dropRemoteCache(store: Store, name: string): Promise<void> {
  await fs.rm(cacheFile(store, name), { force: true });
}
