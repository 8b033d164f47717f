import { commitMetaSchema } from '../../../src-shared/meta';
import { tagNameSchema } from '../../../src-shared/verbs';
import * as path from 'node:path';
import { z } from 'zod';
import { WeightlineError } from '../../../src-shared/errors';
import type { CommitId } from '../../../src-shared/model';
import { CONFIG_EXPECTED, CONFIG_KEYS, CONFIG_VALUE_SCHEMAS, DEFAULT_CONFIG, type StoreConfig } from '../../../src-shared/settings';
import { readStoredSetting, type NumberSettingKey } from '../../../src-shared/policy/settings';
import { manifestPathProblem, type ManifestOrigin } from '../base/manifest-paths';
import { readStoreFile, STORE_FILE_LIMITS, storeFileError } from '../base/bounded-read';
import { jsonDepth } from '../../../src-shared/json-depth';
import { BLOCK_SIZE, FORMAT_VERSION, type Manifest } from '../base/manifest';
import { DTYPES, FILE_FORMATS } from '../base/layout';
import { retentionPolicySchema, type RetentionPolicy } from '../../../src-shared/policy/retention';

// Every file of .weightline/ is read here, through a schema (docs/STORE-FORMAT.md,
// "Which files are checked"). A file may be missing only where the format
// gives a default; a file that is there but is not what the format says is a
// CORRUPT error naming the file, what was expected, what was found and what to
// do. Guessing around damage is how a damaged pins.json once let cleanup delete
// a pinned commit's full parameters.
//
// The two caches (index.json, log-index.json) are the exception: losing them
// loses nothing, so missing or damaged reads as empty and they are rebuilt.
//
// Objects in the schemas are loose (unknown keys pass): a later minor version
// may add a key, and this one must still read its stores.

export const HEX64 = /^[0-9a-f]{64}$/;
const hex64 = z.string().regex(HEX64);
const hex32 = z.string().regex(/^[0-9a-f]{32}$/);
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

// ---- the one reader ----

/** The bytes of a store file as JSON, or undefined when the file does not exist. */
export async function readJson(file: string, expected: string, next: string, maxBytes = limitFor(file)): Promise<{ readonly value: unknown } | undefined> {
  // A folder in its place, or a file larger than its kind ever is: CORRUPT, and never read whole (base/bounded-read.ts).
  const bytes = await readStoreFile(file, { expected, next, maxBytes });
  if (!bytes) return undefined;
  if (bytes.length === 0) throw damaged(file, expected, 'an empty file', next);
  let text: string;
  try {
    // fatal: a damaged byte that breaks UTF-8 is damage, not a U+FFFD inside a path or id.
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw damaged(file, expected, 'bytes that are not UTF-8 text', next);
  }
  // JSON.parse recurses: text nested deeper than any store file ever is would overflow the stack.
  if (jsonDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) throw damaged(file, expected, `JSON nested more than ${MAX_JSON_DEPTH} levels deep`, next);
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    throw damaged(file, expected, `text that is not JSON (${excerpt(text)})`, next);
  }
}

/** value checked against schema, or a CORRUPT error saying where it differs. */
export function check<T>(file: string, schema: z.ZodType<T>, value: unknown, expected: string, next: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw damaged(file, expected, foundAt(value, parsed.error), next);
}

/** A cache: its content when it is whole and well formed, else undefined (it is rebuilt). */
export async function readCache<T>(file: string, schema: z.ZodType<T>): Promise<T | undefined> {
  try {
    const raw = await readJson(file, '', '');
    if (!raw) return undefined;
    const parsed = schema.safeParse(raw.value);
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined; // unreadable (damaged, a folder, no permission): derived data, so start over
  }
}

export function damaged(file: string, expected: string, found: string, next: string): WeightlineError {
  return storeFileError(file, expected, found, next);
}

/** Store files nest a few levels (a manifest: files, tensors, shape; a delta: streams, blocks, block). */
const MAX_JSON_DEPTH = 64;

/** The size bound of a store file by its name (docs/STORE-FORMAT.md, "Size bounds and file kinds"); unnamed ones are caches. */
function limitFor(file: string): number {
  const name = path.basename(file);
  return Object.hasOwn(STORE_FILE_LIMITS, name) ? STORE_FILE_LIMITS[name as keyof typeof STORE_FILE_LIMITS] : STORE_FILE_LIMITS.cache;
}

function excerpt(text: string): string {
  const s = JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
  return s;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const s = JSON.stringify(value) ?? String(value);
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
}

/** "at files[0].bytes: -1" for the first problem zod found. */
function foundAt(value: unknown, error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue || issue.path.length === 0) return describe(value);
  let cur: unknown = value;
  for (const key of issue.path) cur = cur !== null && typeof cur === 'object' ? (cur as Record<PropertyKey, unknown>)[key as PropertyKey] : undefined;
  const where = issue.path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('').replace(/^\./, '');
  // A consistency rule (consistentFile) says what it expected; a type error's path and value say enough.
  return `at ${where}: ${describe(cur)}${issue.code === 'custom' ? ` (expected ${issue.message})` : ''}`;
}

// ---- format.json ----

const FORMAT_EXPECTED = `{"format":"weightline-store","version":${FORMAT_VERSION}}`;
const FormatSchema = z.looseObject({ format: z.literal('weightline-store'), version: z.number().int() });

/** The store's format version, or undefined when format.json does not exist. STORE_VERSION for another version. */
export async function readFormatFile(dir: string): Promise<number | undefined> {
  const file = path.join(dir, 'format.json');
  const next = `put ${FORMAT_EXPECTED} back into it (\`weightline init\` writes it when it is missing and keeps everything else)`;
  const raw = await readJson(file, FORMAT_EXPECTED, next);
  if (!raw) return undefined;
  const format = check(file, FormatSchema, raw.value, FORMAT_EXPECTED, next);
  if (format.version !== FORMAT_VERSION && format.version !== STORE_FORMAT_FORGET) {
    throw new WeightlineError('STORE_VERSION', `expected store format version ${FORMAT_VERSION} or ${STORE_FORMAT_FORGET}, found ${format.version}; use a Weightline that reads that version`, file);
  }
  return format.version;
}

/**
 * The store format once a forget has run (docs/STORE-FORMAT.md, "Forget"):
 * route records may then give a commit another parent and delta than its
 * manifest names, which a version that does not read them would take for a
 * broken chain. A store stays version 1, readable by every earlier version,
 * until its first forget writes 2 (store/routes.ts migrateForForget).
 */
export const STORE_FORMAT_FORGET = 2;

export function formatFileContent(version: number = FORMAT_VERSION): string {
  return JSON.stringify({ format: 'weightline-store', version }) + '\n';
}

// ---- config.json ----

// Every key may be missing (a store written before the key existed reads its
// default); a key that is there must be valid.
const ConfigObject = z.looseObject({});

const CONFIG_FILE_EXPECTED = `a JSON object like ${JSON.stringify(DEFAULT_CONFIG)}`;

export interface ConfigFile {
  /** The settings, with defaults for keys the file does not hold. */
  readonly config: StoreConfig;
  /** Keys in the file this version does not know, kept when the file is written again. */
  readonly extra: Readonly<Record<string, unknown>>;
  /**
   * Values past their key's bound (written before the bounds were shared):
   * the value found, by key. `config` reads as the bound, and the next write
   * stores the bound (policy/settings.ts, readStoredSetting).
   */
  readonly clamped: Readonly<Partial<Record<NumberSettingKey, number>>>;
}

/**
 * config.json, checked key by key. `allowDamaged` names keys whose damage the
 * caller is about to overwrite (setting a damaged value again repairs the file
 * without disturbing the others); they read as their defaults.
 */
export async function readConfigFile(dir: string, allowDamaged: ReadonlySet<string> = new Set()): Promise<ConfigFile> {
  const file = path.join(dir, 'config.json');
  const wholeNext = `fix it, or delete it to go back to the defaults ${JSON.stringify(DEFAULT_CONFIG)}`;
  const raw = await readJson(file, CONFIG_FILE_EXPECTED, wholeNext);
  if (!raw) return { config: DEFAULT_CONFIG, extra: {}, clamped: {} };
  const obj = check(file, ConfigObject, raw.value, CONFIG_FILE_EXPECTED, wholeNext);
  const config: Record<string, unknown> = { ...DEFAULT_CONFIG };
  const extra: Record<string, unknown> = { ...obj };
  const clamped: Partial<Record<NumberSettingKey, number>> = {};
  const bad: string[] = [];
  for (const key of CONFIG_KEYS) {
    delete extra[key];
    if (!(key in obj)) continue;
    const read = readStoredSetting(key, obj[key]);
    if ('value' in read) {
      config[key] = read.value;
      // A count of 5000 from before the bounds were shared: the store still opens, and every door can save.
      if (read.clampedFrom !== undefined) clamped[key as NumberSettingKey] = read.clampedFrom;
    } else if (!allowDamaged.has(key)) bad.push(key);
  }
  if (bad.length > 0) {
    const expected = bad.map((k) => `${k} to be ${CONFIG_EXPECTED[k as keyof StoreConfig]}`).join(' and ');
    const found = bad.map((k) => `${k} = ${describe(obj[k])}`).join(', ');
    const sets = bad.map((k) => `\`weightline config ${k} ${String(DEFAULT_CONFIG[k as keyof StoreConfig])}\``).join(' and ');
    throw damaged(file, expected, found, `set it again (for the default: ${sets}), fix the file by hand, or delete it to go back to the defaults`);
  }
  return { config: config as unknown as StoreConfig, extra, clamped };
}

/** The file's text for config, refusing a value the schema refuses (nothing invalid is ever written). */
export function configFileContent(config: StoreConfig, extra: Readonly<Record<string, unknown>> = {}): string {
  for (const key of CONFIG_KEYS) {
    if (!CONFIG_VALUE_SCHEMAS[key].safeParse(config[key]).success) {
      throw new WeightlineError('BAD_USAGE', `${key} takes ${CONFIG_EXPECTED[key]}, found ${describe(config[key])}`);
    }
  }
  const known = Object.fromEntries(CONFIG_KEYS.map((k) => [k, config[k]]));
  return JSON.stringify({ ...known, ...extra }, null, 2) + '\n';
}

// ---- HEAD ----

const HEAD_EXPECTED = '{"commit": "<64 hex characters>"} naming a commit of this store';
const HeadSchema = z.looseObject({ commit: hex64.nullable() });

/**
 * HEAD. Missing or null is "no commit yet" only while the store holds no
 * commits: with commits, a lost HEAD would make the next commit silently start
 * a second root, so it is CORRUPT. A HEAD naming a commit the store does not
 * hold (one flipped hex character) is CORRUPT too.
 */
export async function readHeadFile(dir: string, commitIds: () => Promise<readonly string[]>): Promise<CommitId | null> {
  const file = path.join(dir, 'HEAD');
  const next = '`weightline restore <commit>` sets HEAD again; `weightline log` lists the commits';
  const raw = await readJson(file, HEAD_EXPECTED, next);
  const head = raw ? check(file, HeadSchema, raw.value, HEAD_EXPECTED, next).commit : null;
  const ids = await commitIds();
  if (head === null) {
    if (ids.length === 0) return null;
    const found = raw ? 'no commit (null)' : 'no HEAD file';
    throw damaged(file, `HEAD to name one of the store's ${ids.length} commit(s)`, found, next);
  }
  if (!ids.includes(head)) throw damaged(file, HEAD_EXPECTED, `commit ${head.slice(0, 12)}, which the store does not hold`, next);
  return head as CommitId;
}

export function headFileContent(id: string | null): string {
  return JSON.stringify({ commit: id }) + '\n';
}

// ---- pins.json ----

const PINS_EXPECTED = 'a JSON array of commit ids of this store (64 hex characters each)';
const PinsSchema = z.array(hex64);

/** Pinned commits; none when pins.json does not exist. */
export async function readPinsFile(dir: string, commitIds: () => Promise<readonly string[]>): Promise<ReadonlySet<string>> {
  const file = path.join(dir, 'pins.json');
  const next = 'fix it, or delete it to unpin every commit (then pin again with `weightline pin <commit>`)';
  const raw = await readJson(file, PINS_EXPECTED, next);
  if (!raw) return new Set();
  const pins = check(file, PinsSchema, raw.value, PINS_EXPECTED, next);
  if (pins.length > 0) {
    // A damaged hex digit still looks like an id: it must name a commit, or the real pin is lost.
    const ids = new Set(await commitIds());
    const unknown = pins.find((p) => !ids.has(p));
    if (unknown) throw damaged(file, PINS_EXPECTED, `${unknown.slice(0, 12)}…, which the store does not hold`, next);
  }
  return new Set(pins);
}

export function pinsFileContent(pins: ReadonlySet<string>): string {
  return JSON.stringify([...pins].sort()) + '\n';
}

// ---- links.json ----

const LINKS_EXPECTED = 'a JSON object mapping absolute paths to {"commit", "sha256", "mode": "reflink" | "hardlink" | "symlink"}';
const LinkRecordSchema = z.looseObject({ commit: hex64, sha256: hex64, mode: z.enum(['reflink', 'hardlink', 'symlink']) });
const LinksSchema = z.record(z.string().refine((p) => path.isAbsolute(p), 'an absolute path'), LinkRecordSchema);

export type LinkRecordData = { readonly commit: CommitId; readonly sha256: string; readonly mode: 'reflink' | 'hardlink' | 'symlink' };

/** Links restores made; none when links.json does not exist. */
export async function readLinksFile(dir: string): Promise<Record<string, LinkRecordData>> {
  const file = path.join(dir, 'links.json');
  // Deleting it forgets which objects a link exposes: cleanup would no longer keep them.
  const next = 'fix it, or delete it (cleanup then no longer keeps the objects behind hard links and symlinks; restore those files again with `weightline restore <commit> --link copy`); `weightline status` lists the links it knows';
  const raw = await readJson(file, LINKS_EXPECTED, next);
  if (!raw) return {};
  const links = check(file, LinksSchema, raw.value, LINKS_EXPECTED, next);
  return Object.fromEntries(Object.entries(links).map(([p, r]) => [p, { commit: r.commit as CommitId, sha256: r.sha256, mode: r.mode }]));
}

export function linksFileContent(links: Readonly<Record<string, LinkRecordData>>): string {
  return JSON.stringify(links, null, 1);
}

// ---- fetched-outside.json ----

const FETCHED_OUTSIDE_EXPECTED = 'a JSON array of commit ids (64 hex characters each)';
const FetchedOutsideSchema = z.array(hex64);

/**
 * Commits a fetch brought whose source.path lies outside the store's folder
 * (absolute): restore writes them only where --to says, never to that path
 * (docs/STORE-FORMAT.md, "Path rules"). None when the file does not exist;
 * CORRUPT when damaged (restore then asks for --to for every such commit).
 */
export async function readFetchedOutsideFile(dir: string): Promise<ReadonlySet<string>> {
  const file = path.join(dir, 'fetched-outside.json');
  const next = 'fix it, or restore commits whose path is outside the store\'s folder with --to';
  const raw = await readJson(file, FETCHED_OUTSIDE_EXPECTED, next);
  if (!raw) return new Set();
  return new Set(check(file, FetchedOutsideSchema, raw.value, FETCHED_OUTSIDE_EXPECTED, next));
}

export function fetchedOutsideFileContent(ids: ReadonlySet<string>): string {
  return JSON.stringify([...ids].sort()) + '\n';
}

// ---- tags.json ----

/** The one spelling of a tag's time: what `Date.toISOString` writes (remote tag records are named with it, so it must sort as text). */
export const TAG_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/u;
const TAGS_EXPECTED = '{"version":1,"tags":{"<name>":{"commit":"<64 hex characters>" or null (deleted),"setAt":"<ISO time>","from":"<remote>" (fetched)}}}';
const TagRecordSchema = z.looseObject({
  commit: hex64.nullable(),
  setAt: z.string().regex(TAG_TIME, 'an ISO time like 2026-12-07T18:40:00.000Z'),
  from: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/u).optional(),
});
const TagsSchema = z.looseObject({ version: z.literal(1), tags: z.record(tagNameSchema, TagRecordSchema) });

export type TagRecordData = { readonly commit: CommitId | null; readonly setAt: string; readonly from?: string };

/**
 * Tags by name, deletions included (commit null: a deletion is remembered
 * with its time, so a fetch does not bring back an older setting). None when
 * tags.json does not exist; CORRUPT when damaged. A tag may name a commit the
 * store does not hold (fetched before its commit was): it is shown as such.
 */
export async function readTagsFile(dir: string): Promise<ReadonlyMap<string, TagRecordData>> {
  const file = path.join(dir, 'tags.json');
  const next = 'fix it, or delete it to forget every tag (then tag again with `weightline tag NAME REF`, or fetch them from a remote)';
  const raw = await readJson(file, TAGS_EXPECTED, next);
  if (!raw) return new Map();
  const tags = check(file, TagsSchema, raw.value, TAGS_EXPECTED, next).tags;
  return new Map(Object.entries(tags).map(([n, r]) => [n, { commit: r.commit as CommitId | null, setAt: r.setAt, ...(r.from !== undefined ? { from: r.from } : {}) }]));
}

export function tagsFileContent(tags: ReadonlyMap<string, TagRecordData>): string {
  const sorted = Object.fromEntries([...tags].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return JSON.stringify({ version: 1, tags: sorted }, null, 1) + '\n';
}

// ---- index.json (stat cache) ----

const StatEntrySchema = z.looseObject({
  size: count,
  mtimeMs: z.number(),
  ino: z.number().min(0),
  sha256: hex64,
  seenAt: z.number().optional(),
});
const StatCacheSchema = z.record(z.string(), StatEntrySchema);

export type StatEntryData = z.infer<typeof StatEntrySchema>;

/** The stat cache; empty when missing or damaged (it only saves hashing time). */
export async function readStatCacheFile(dir: string): Promise<Record<string, StatEntryData>> {
  return (await readCache(path.join(dir, 'index.json'), StatCacheSchema)) ?? {};
}

// ---- log-index.json ----

const SummarySchema = z.looseObject({
  parent: hex64.nullable(),
  type: z.enum(['CHECKPOINT', 'DELTA']),
  message: z.string(),
  createdAt: z.string(),
  path: z.string(),
  files: z.array(z.tuple([hex64, count, count])),
  // Per file, its delta object ('': a delta that stores nothing, null: no delta). Absent in indexes written before remotes: such entries are summarised again.
  deltaObjects: z.array(z.union([hex64, z.literal('')]).nullable()).optional(),
  meta: commitMetaSchema.optional(),
  // 2: meta are indexed; an entry without it is summarised again once.
  indexed: z.number().optional(),
});
const LogIndexSchema = z.looseObject({ version: z.literal(1), commits: z.record(hex64, SummarySchema) });

export type CommitSummaryData = z.infer<typeof SummarySchema>;

/** The log's summaries; empty when missing or damaged (rebuilt from the manifests). */
export async function readLogIndexFile(dir: string): Promise<Record<string, CommitSummaryData>> {
  return (await readCache(path.join(dir, 'log-index.json'), LogIndexSchema))?.commits ?? {};
}

// ---- tips.json ----

const TipsSchema = z.looseObject({ version: z.literal(1), paths: z.record(z.string(), hex64) });

/**
 * The newest commit of each path's line (docs/STORE-FORMAT.md, "Lines of
 * history"); undefined when missing or damaged: the lines are then worked out
 * from the manifests and HEAD, as for a store written before the file existed.
 */
export async function readTipsFile(dir: string): Promise<{ readonly paths: Readonly<Record<string, string>> } | undefined> {
  return readCache(path.join(dir, 'tips.json'), TipsSchema);
}

export function tipsFileContent(paths: ReadonlyMap<string, string>): string {
  const sorted = Object.fromEntries([...paths].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return JSON.stringify({ version: 1, paths: sorted }, null, 1) + '\n';
}

// ---- commits/<id>.json ----

const BlockRefSchema = z.union([z.literal(0), z.tuple([z.union([z.literal(1), z.literal(2)]), count, count, hex32])]);
const StreamDeltaSchema = z.looseObject({ base: count.nullable(), blocks: z.array(BlockRefSchema) });
const FileDeltaSchema = z.looseObject({
  object: hex64.nullable(),
  bytes: count,
  basePath: z.string().nullable(),
  streams: z.array(StreamDeltaSchema),
  encoding: count.optional(),
}).refine(
  // A block outside its delta object (or a stored block with no object) would be read from bytes that are not it.
  (d) => d.streams.every((s) => s.blocks.every((b) => b === 0 || (d.object !== null && b[1] + b[2] <= d.bytes))),
  'stored blocks within the delta object',
);
const TensorSchema = z.looseObject({
  name: z.string(),
  dtype: z.enum(DTYPES),
  shape: z.array(count),
  offset: count,
  length: count,
  width: count,
  le: z.boolean(),
  status: z.enum(['unchanged', 'changed', 'added', 'removed']),
  changedFraction: z.number().nullable(),
  maxAbsDiff: z.number().nullable(),
  relChange: z.number().nullable(),
});
const ManifestFileSchema = z.looseObject({
  path: z.string().min(1),
  bytes: count,
  sha256: hex64,
  format: z.enum(FILE_FORMATS),
  status: z.enum(['unchanged', 'changed', 'added', 'removed']),
  tensors: z.array(TensorSchema),
  removedTensors: z.array(z.string()),
  delta: FileDeltaSchema.nullable(),
}).superRefine(consistentFile);

/**
 * Numbers a manifest states about one file must agree with each other
 * (else a manifest claiming 1e15 bytes for a 3-byte object is
 * accepted): every tensor lies inside the file, in order, without overlap; a
 * delta has one stream per tensor plus the residual, and one block per 4 MiB of
 * each stream, so a file's claimed size is backed by that many blocks. (The
 * object's own size is checked against `bytes` when it is opened.)
 */
function consistentFile(f: { bytes: number; tensors: readonly { offset: number; length: number; width: number }[]; delta: { streams: readonly { blocks: readonly unknown[] }[] } | null }, ctx: z.RefinementCtx): void {
  let end = 0;
  let tensorBytes = 0;
  for (const [i, t] of f.tensors.entries()) {
    if (t.width < 1 || t.width > 16 || t.offset < end || t.length > f.bytes - t.offset) {
      ctx.addIssue({ code: 'custom', path: ['tensors', i], message: `a tensor inside the file's ${f.bytes} bytes, after the previous one, 1 to 16 bytes wide` });
      return;
    }
    end = t.offset + t.length;
    tensorBytes += t.length;
  }
  if (!f.delta) return;
  const lengths = [f.bytes - tensorBytes, ...f.tensors.map((t) => t.length)];
  if (f.delta.streams.length !== lengths.length) {
    ctx.addIssue({ code: 'custom', path: ['delta', 'streams'], message: `${lengths.length} streams (the residual and one per tensor)` });
    return;
  }
  for (const [i, s] of f.delta.streams.entries()) {
    if (s.blocks.length !== Math.ceil(lengths[i]! / BLOCK_SIZE)) {
      ctx.addIssue({ code: 'custom', path: ['delta', 'streams', i, 'blocks'], message: `${Math.ceil(lengths[i]! / BLOCK_SIZE)} blocks for a stream of ${lengths[i]} bytes` });
      return;
    }
  }
}
const ManifestSchema = z.looseObject({
  formatVersion: z.literal(FORMAT_VERSION),
  parent: hex64.nullable(),
  type: z.enum(['CHECKPOINT', 'DELTA']),
  message: z.string(),
  createdAt: z.string(),
  source: z.looseObject({ path: z.string(), kind: z.enum(['file', 'folder']) }),
  files: z.array(ManifestFileSchema).min(1),
  removedFiles: z.array(z.string()),
  // Any short string: a newer version's rule must not make its commits unreadable here.
  checkpointReason: z.string().max(64).optional(),
  meta: commitMetaSchema.optional(),
});

const MANIFEST_EXPECTED = 'a commit manifest as docs/STORE-FORMAT.md describes it';

/** What an UNSAFE_PATH manifest in the store's own commits/ advises. */
const UNSAFE_NEXT = 'this Weightline records no such path, so the manifest was forged, written by another program, or (a .git folder inside a committed folder) by an older version; nothing of it is read or restored (`weightline verify` lists the commits it affects)';

/**
 * A manifest's bytes, already checked against its id, as a Manifest. Its hash
 * matched, so a wrong shape was written that way (by another program or a
 * bug): reported, never read around. Its paths pass the one gate
 * (base/manifest-paths.ts) here, so no reader ever sees an unsafe one:
 * UNSAFE_PATH naming the file (or remote key), with `unsafeNext` as advice.
 */
export function parseManifest(file: string, bytes: Uint8Array, unsafeNext = UNSAFE_NEXT, origin: ManifestOrigin = 'stored'): Manifest {
  const next = 'this commit cannot be read; `weightline verify` lists the commits it affects';
  let value: unknown;
  if (jsonDepth(bytes, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) throw damaged(file, MANIFEST_EXPECTED, `JSON nested more than ${MAX_JSON_DEPTH} levels deep`, next);
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw damaged(file, MANIFEST_EXPECTED, 'bytes that are not JSON', next);
  }
  const version = value !== null && typeof value === 'object' ? (value as { formatVersion?: unknown }).formatVersion : undefined;
  if (typeof version === 'number' && version !== FORMAT_VERSION) {
    throw new WeightlineError('STORE_VERSION', `expected manifest format ${FORMAT_VERSION}, found ${version}; use a Weightline that reads that version`, file);
  }
  const manifest: Manifest = check(file, ManifestSchema, value, MANIFEST_EXPECTED, next);
  const unsafe = manifestPathProblem(manifest, origin);
  if (unsafe) throw new WeightlineError('UNSAFE_PATH', `refusing this commit manifest: its ${unsafe}; ${unsafeNext}`, file);
  return manifest;
}


// ---- routes/<id>.json (a forget's re-based storage of a kept commit) ----

const RouteFileSchema = z.looseObject({
  path: z.string().min(1),
  delta: FileDeltaSchema.nullable(),
});
const RouteRecordSchema = z.looseObject({
  version: z.literal(1),
  commit: hex64,
  parent: hex64.nullable(),
  recordedParent: hex64.nullable(),
  forgotten: count,
  type: z.enum(['CHECKPOINT', 'DELTA']),
  files: z.array(RouteFileSchema).min(1),
}).refine((r) => (r.type === 'CHECKPOINT') === r.files.every((f) => f.delta === null) && (r.type === 'CHECKPOINT' || r.parent !== null), 'a CHECKPOINT with no deltas, or a DELTA with a parent');

export type RouteRecordData = z.infer<typeof RouteRecordSchema>;

const ROUTE_EXPECTED = 'a route record as docs/STORE-FORMAT.md ("Forget") describes it';
const ROUTE_NEXT = 'this commit cannot be read until it is mended: `weightline undo` puts back the forget that wrote it, if it is the last one; else restore the file from a backup (`weightline verify` lists the commits it affects)';

/** A route record's bytes as a record (CORRUPT naming the file when damaged). */
export function parseRouteRecord(file: string, bytes: Uint8Array): RouteRecordData {
  let value: unknown;
  if (jsonDepth(bytes, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) throw damaged(file, ROUTE_EXPECTED, `JSON nested more than ${MAX_JSON_DEPTH} levels deep`, ROUTE_NEXT);
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw damaged(file, ROUTE_EXPECTED, 'bytes that are not JSON', ROUTE_NEXT);
  }
  return check(file, RouteRecordSchema, value, ROUTE_EXPECTED, ROUTE_NEXT);
}

/** Checks one effective manifest file (a manifest's file with a route record's delta): the manifest's own consistency rules. */
export function checkRoutedFile(file: string, value: unknown): void {
  check(file, ManifestFileSchema, value, ROUTE_EXPECTED, ROUTE_NEXT);
}

// ---- ops/<id>.json (the operations log) ----

const OpMoveSchema = z.tuple([z.enum(['commit', 'object', 'route', 'pack']), z.string().min(1).max(300)]);
const OpRecordSchema = z.looseObject({
  version: z.literal(1),
  id: z.string().regex(/^\d{8}T\d{6}\d{3}Z-[0-9a-f]{8}$/u),
  kind: z.enum(['forget', 'cleanup', 'repair', 'undo', 'trash-purge']),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  state: z.enum(['planned', 'moving', 'done', 'undoing', 'undone']),
  summary: z.string().max(10_000),
  commits: z.array(hex64),
  bytes: count,
  /** Files moved into trash/<id>/ (forget), in the order they move; undo moves them back in reverse. */
  moves: z.array(OpMoveSchema),
  /** Kept commits re-based: id → whether a route record existed before (its old copy is in trash/<id>/routes/). */
  rebased: z.record(hex64, z.boolean()),
  /** Objects the operation wrote (re-based deltas, full objects of new CHECKPOINTs): an undo removes those nothing names. */
  created: z.array(hex64),
  trashUntil: z.string().optional(),
  /** An undo: the operation it put back. */
  undoes: z.string().optional(),
  /** The trash of this operation was emptied (its time); it can no longer be undone. */
  purgedAt: z.string().optional(),
  purgeReason: z.string().max(1000).optional(),
});

export type OpRecordData = z.infer<typeof OpRecordSchema>;

const OP_EXPECTED = 'an operation record as docs/STORE-FORMAT.md ("Operations log") describes it';

/** One operation record (CORRUPT naming the file when damaged); undefined when missing. */
export async function readOpRecordFile(file: string): Promise<OpRecordData | undefined> {
  const next = 'move the file out of .weightline/ops; its operation can then not be undone (its trash stays until trashDays ends)';
  const raw = await readJson(file, OP_EXPECTED, next, STORE_FILE_LIMITS.manifest);
  if (!raw) return undefined;
  return check(file, OpRecordSchema, raw.value, OP_EXPECTED, next);
}

export function opRecordContent(op: OpRecordData): string {
  return JSON.stringify(op) + '\n';
}

// ---- retention.json (the stored retention policy) ----

const RetentionFileSchema = z.looseObject({ version: z.literal(1), policy: retentionPolicySchema });

/** The stored retention policy, undefined when none is stored; CORRUPT when damaged. */
export async function readRetentionFile(dir: string): Promise<RetentionPolicy | undefined> {
  const file = path.join(dir, 'retention.json');
  const expected = '{"version":1,"policy":{…}} with keepLast, keepBest, keepEvery, keepWithinMs, keepTags';
  const next = '`weightline forget --keep-… --save` writes it again, or delete it to store no policy';
  const raw = await readJson(file, expected, next);
  if (!raw) return undefined;
  return check(file, RetentionFileSchema, raw.value, expected, next).policy;
}

export function retentionFileContent(policy: RetentionPolicy): string {
  return JSON.stringify({ version: 1, policy }) + '\n';
}
