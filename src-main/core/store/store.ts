import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { WeightlineError } from '../../../src-shared/errors';
import type { CommitId } from '../../../src-shared/model';
import { exists, fsyncDir, fsyncFile, sha256, TMP_PREFIX, writeFileAtomic, mapFsError } from '../base/fsutil';
import type { Manifest } from '../base/manifest';
import { manifestPathProblem } from '../base/manifest-paths';
import { readStoreFile, STORE_FILE_LIMITS, storeFileError } from '../base/bounded-read';
import { applyRouteRecord, readRouteRecord, ROUTES_DIR, type RouteRecord } from './routes';
import { CONFIG_KEYS, DEFAULT_CONFIG, type StoreConfig } from '../../../src-shared/settings';
import {
  configFileContent, damaged, formatFileContent, headFileContent, parseManifest, pinsFileContent,
  readConfigFile, readFormatFile, readHeadFile, readPinsFile,
} from './store-files';

// The store on disk (see docs/STORE-FORMAT.md):
//   .weightline/format.json          {"format":"weightline-store","version":1}
//   .weightline/config.json          store settings
//   .weightline/HEAD                 JSON: the commit the working copy came from
//   .weightline/commits/<id>.json    manifests, named by their sha256
//   .weightline/objects/ab/cdef...   full files and delta objects, named by sha256
//   .weightline/pins.json            pinned commit ids
//   .weightline/index.json           stat cache of working files (size, mtime, ino → sha256)
// Every one of them is read through store-files.ts: a schema, and a CORRUPT
// error naming the file where it does not match.

export const STORE_DIR = '.weightline';

/** What `init` found: no store (created), a whole one (already), or one missing files it put back (completed). */
export type InitOutcome = 'created' | 'already' | 'completed';

export { DEFAULT_CONFIG, type StoreConfig };

/** What HEAD says, for readers that only look (log, status): a damaged HEAD is shown, not fatal. */
export type HeadState = { readonly ok: true; readonly commit: CommitId | null } | { readonly ok: false; readonly error: WeightlineError };

export class Store {
  readonly dir: string;
  private readonly manifests = new Map<string, Manifest>();

  private constructor(readonly root: string) {
    this.dir = path.join(root, STORE_DIR);
  }

  /**
   * Creates a store in root, or completes one: every missing file and folder
   * is written, none that exists is touched. So `init` on a store whose
   * format.json was lost brings it back and keeps config, commits and objects.
   */
  static async init(root: string): Promise<Store> {
    return (await Store.initialise(root, { nested: true })).store;
  }

  /**
   * `init` as the CLI runs it: says whether the store was created, already
   * there, or completed (a lost file put back); and, unless `nested`, refuses
   * a folder inside another store, naming it, since a store there would
   * silently take over the commits meant for the outer one.
   */
  static async initialise(root: string, opts: { readonly nested?: boolean } = {}): Promise<{ store: Store; outcome: InitOutcome }> {
    const abs = path.resolve(root);
    const here = path.join(abs, STORE_DIR);
    const existed = await exists(path.join(here, 'format.json'));
    const partial = !existed && ((await manifestCount(here)) > 0 || (await exists(here)));
    if (!existed && !partial && !opts.nested) {
      const outer = await Store.find(path.dirname(abs)).catch(() => null);
      if (outer && outer.root !== abs) {
        throw new WeightlineError('REFUSED', `${abs} is inside the Weightline store at ${outer.root}; commit files here into that store (from this folder, \`weightline commit <file>\`: the store records it under ${path.relative(outer.root, abs).split(path.sep).join('/')}/), or run \`weightline init --nested\` to make a separate store inside it anyway`);
      }
    }
    const whole = existed && (await exists(path.join(here, 'commits'))) && (await exists(path.join(here, 'objects')));
    const store = await Store.create(abs);
    return { store, outcome: whole ? 'already' : existed || partial ? 'completed' : 'created' };
  }

  private static async create(root: string): Promise<Store> {
    const store = new Store(path.resolve(root));
    // Refuses a format.json of another version or a damaged one before anything is written.
    const version = await readFormatFile(store.dir);
    try {
      await fs.mkdir(path.join(store.dir, 'commits'), { recursive: true });
      await fs.mkdir(path.join(store.dir, 'objects'), { recursive: true });
      const config = path.join(store.dir, 'config.json');
      if (!(await existsOrDamaged(config))) await writeFileAtomic(config, configFileContent(DEFAULT_CONFIG));
      // format.json last: its presence is what makes the folder a store.
      if (version === undefined) await writeFileAtomic(path.join(store.dir, 'format.json'), formatFileContent());
    } catch (e) {
      throw mapFsError(e, store.dir);
    }
    return Store.open(root);
  }

  static async open(root: string): Promise<Store> {
    const store = new Store(path.resolve(root));
    if ((await readFormatFile(store.dir)) === undefined) {
      // Without format.json the folder is no store, unless it holds commits:
      // then the file was lost, and saying "not a store" would hide a history.
      const commits = await manifestCount(store.dir);
      if (commits > 0) {
        throw damaged(path.join(store.dir, 'format.json'), `format.json in a store`, `no format.json beside ${commits} commit(s)`,
          '`weightline init` recreates it and keeps everything else');
      }
      throw new WeightlineError('NOT_A_STORE', `not a Weightline store (no ${STORE_DIR}/format.json); run "weightline init" first`, store.root);
    }
    // A file where the objects folder belongs would read as "no objects here" and send restores to a remote: it is damage, said so.
    const objects = path.join(store.dir, 'objects');
    const st = await fs.lstat(objects).catch(() => null);
    if (st && !st.isDirectory()) throw storeFileError(objects, 'the folder of objects every store has', 'a file', 'move it away; `weightline repair` then tells which versions can still be rebuilt');
    return store;
  }

  /** The nearest folder at or above start that holds a store (or what is left of one: commits without format.json). */
  static async find(start: string): Promise<Store> {
    let dir = path.resolve(start);
    for (;;) {
      const here = path.join(dir, STORE_DIR);
      if ((await exists(path.join(here, 'format.json'))) || (await manifestCount(here)) > 0) return Store.open(dir);
      const up = path.dirname(dir);
      if (up === dir) throw new WeightlineError('NOT_A_STORE', `no ${STORE_DIR} store here or in any parent folder; run "weightline init" first`, path.resolve(start));
      dir = up;
    }
  }

  // ---- objects ----

  objectPath(sha: string): string {
    return path.join(this.dir, 'objects', sha.slice(0, 2), sha.slice(2));
  }

  /** Every object on disk, by name: one readdir per objects/ subfolder (cheaper than a stat per object on long histories). */
  async listObjects(): Promise<Set<string>> {
    const dir = path.join(this.dir, 'objects');
    const out = new Set<string>();
    // Missing is no objects yet; a file where the folder belongs is damage, not "no objects" (which would send restores to a remote).
    const list = (folder: string): Promise<string[]> => fs.readdir(folder).catch((e: unknown) => {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOTDIR') throw storeFileError(folder, 'a folder of objects', 'a file', 'move it away and run `weightline repair`');
      if (code === 'ENOENT') return [] as string[];
      throw mapFsError(e, folder);
    });
    const subs = await list(dir);
    await Promise.all(subs.filter((a) => /^[0-9a-f]{2}$/.test(a)).map(async (a) => {
      for (const b of await list(path.join(dir, a))) if (/^[0-9a-f]{62}$/.test(b)) out.add(a + b);
    }));
    return out;
  }

  async hasObject(sha: string): Promise<boolean> {
    return exists(this.objectPath(sha));
  }

  async objectSize(sha: string): Promise<number | null> {
    try { return (await fs.stat(this.objectPath(sha))).size; } catch { return null; }
  }

  /** Moves a finished, fsynced temp file into place as object sha (a no-op if it exists). */
  async adoptObject(tmpFile: string, sha: string): Promise<void> {
    const target = this.objectPath(sha);
    const there = await fs.lstat(target).catch(() => null);
    // A folder under the object's name would be taken for the object: a commit would name bytes that are not there.
    if (there && !there.isFile()) {
      await fs.rm(tmpFile, { force: true });
      throw storeFileError(target, 'an object (a file)', 'a folder', 'move it out of .weightline/objects and run `weightline repair`, then commit again');
    }
    if (there) { await fs.rm(tmpFile, { force: true }); return; }
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.chmod(tmpFile, 0o444);
    await fs.rename(tmpFile, target);
    await fsyncDir(path.dirname(target));
  }

  /**
   * Puts whole bytes back over an object that failed its hash: the caller
   * has just hashed tmpFile to `sha` (a commit copying the same bytes in), so
   * the store's copy is mended instead of being named again by a new commit.
   */
  async replaceDamagedObject(tmpFile: string, sha: string): Promise<void> {
    const target = this.objectPath(sha);
    // Something that is not a file under the object's name: adoptObject refuses it and says how to mend it.
    if (!(await fs.lstat(target).catch(() => null))?.isFile()) return this.adoptObject(tmpFile, sha);
    await fsyncFile(tmpFile);
    await fs.chmod(tmpFile, 0o444);
    await fs.rename(tmpFile, target);
    await fsyncDir(path.dirname(target));
  }

  /** A temp path inside the store, on the same file system as objects (so rename is atomic). */
  tempPath(label: string): string {
    return path.join(this.dir, `${TMP_PREFIX}${label}-${process.pid}-${Math.random().toString(16).slice(2, 10)}`);
  }

  // ---- commits ----

  /** Read afresh each time: another process (the CLI, a job) may have committed meanwhile. */
  async listCommitIds(): Promise<readonly string[]> {
    const folder = path.join(this.dir, 'commits');
    let names: string[];
    try {
      names = await fs.readdir(folder);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        throw damaged(folder, 'the folder of commits every store has', code === 'ENOENT' ? 'nothing' : 'a file', 'put the commits folder back if it was moved; `weightline init` recreates an empty one');
      }
      throw mapFsError(e, folder);
    }
    return names.filter((n) => MANIFEST_NAME.test(n)).map((n) => n.slice(0, 64));
  }

  /**
   * A commit as stored now: its manifest (identity: hash checked) with its
   * route record applied when a forget re-based it (store/routes.ts), so
   * `parent`, `type` and the deltas are the storage a rebuild follows.
   */
  async readManifest(id: string): Promise<Manifest> {
    const recorded = await this.readRecordedManifest(id);
    const route = (await this.routeRecords()).get(id);
    return route ? applyRouteRecord(this.dir, recorded, route.record) : recorded;
  }

  /** Route records by commit (id → record and a stamp of its bytes); empty when no forget ever ran. */
  async routeRecords(): Promise<ReadonlyMap<string, { readonly record: RouteRecord; readonly stamp: string }>> {
    const dir = path.join(this.dir, ROUTES_DIR);
    const st = await fs.stat(dir, { bigint: true }).catch(() => null);
    if (!st) return new Map();
    if (!st.isDirectory()) throw storeFileError(dir, 'the folder of route records', 'a file', 'move it away; `weightline verify` then says which versions are affected');
    const key = `${st.ino}:${st.mtimeNs}:${st.ctimeNs}`;
    // A listing is reused while the folder is unchanged and its last change is over 2 s old (a change within the
    // same timestamp tick keeps the folder's key). Before that each record is checked by its own stat: a record is
    // always replaced by a rename (a new inode), so a parsed record is reused only while its file is the same.
    if (this.routes?.key === key && this.routes.settled) return this.routes.records;
    const names = (await fs.readdir(dir).catch((e: unknown) => { throw mapFsError(e, dir); })).filter((n) => MANIFEST_NAME.test(n));
    const records = new Map<string, { record: RouteRecord; stamp: string }>();
    const seen = new Map<string, { fileKey: string; got: { record: RouteRecord; stamp: string } }>();
    for (const n of names) {
      const id = n.slice(0, 64);
      const fst = await fs.lstat(path.join(dir, n), { bigint: true }).catch(() => null);
      if (!fst) continue; // removed since the listing
      const fileKey = `${fst.ino}:${fst.size}:${fst.mtimeNs}:${fst.ctimeNs}`;
      const known = this.routeFiles.get(id);
      const got = known && known.fileKey === fileKey ? known.got : await readRouteRecord(this.dir, id);
      if (!got) continue;
      records.set(id, got);
      seen.set(id, { fileKey, got });
    }
    this.routeFiles = seen;
    this.routes = { key, records, settled: Date.now() - Number(st.mtimeNs / 1_000_000n) > 2000 };
    return records;
  }

  private routes: { key: string; records: ReadonlyMap<string, { readonly record: RouteRecord; readonly stamp: string }>; settled: boolean } | null = null;
  private routeFiles = new Map<string, { fileKey: string; got: { record: RouteRecord; stamp: string } }>();

  /** A commit's manifest exactly as committed (its identity), without any route record: what push uploads and a forget re-bases from. */
  async readRecordedManifest(id: string): Promise<Manifest> {
    const cached = this.manifests.get(id);
    if (cached) return cached;
    const file = path.join(this.dir, 'commits', `${id}.json`);
    const bytes = await readStoreFile(file, {
      expected: 'a commit manifest (a file)',
      next: 'move it out of .weightline/commits; `weightline verify` then lists the commits it affects and `weightline fetch` or a backup can bring it back',
      maxBytes: STORE_FILE_LIMITS.manifest,
    }).catch((e: unknown) => {
      if (e instanceof WeightlineError) throw e;
      return null; // unreadable for another reason (permissions): as before, the commit is not there to read
    });
    if (!bytes) throw new WeightlineError('NOT_FOUND', `commit ${id.slice(0, 12)} does not exist in the store`, file);
    const actual = sha256(bytes);
    if (actual !== id) throw new WeightlineError('CORRUPT', `manifest checksum mismatch: expected ${id}, computed ${actual}; this commit cannot be read, \`weightline verify\` lists the commits it affects`, file);
    const manifest = parseManifest(file, bytes);
    this.manifests.set(id, manifest);
    return manifest;
  }

  async writeManifest(manifest: Manifest): Promise<CommitId> {
    // Storage a route record gave a commit is never written into a manifest (it would change the id).
    if (manifest.rebased) throw new Error('writeManifest: a re-based manifest (with a route record applied) is not a new commit');
    // What the reader would refuse is never written (commit passes its paths through the same gate).
    const unsafe = manifestPathProblem(manifest);
    if (unsafe) throw new WeightlineError('UNSAFE_PATH', `refusing to record a commit whose ${unsafe}; rename the file or folder and commit again`);
    const bytes = Buffer.from(JSON.stringify(manifest));
    const id = sha256(bytes);
    await writeFileAtomic(path.join(this.dir, 'commits', `${id}.json`), bytes);
    this.manifests.set(id, manifest);
    return id as CommitId;
  }

  // ---- HEAD, config, pins ----

  /** HEAD; CORRUPT when damaged, or missing while the store holds commits (commit must never start a second root). */
  async readHead(): Promise<CommitId | null> {
    return readHeadFile(this.dir, () => this.listCommitIds());
  }

  /** HEAD for readers that only look: a damaged HEAD is a value to show, so log and status still work. */
  async headState(): Promise<HeadState> {
    try {
      return { ok: true, commit: await this.readHead() };
    } catch (e) {
      if (e instanceof WeightlineError && e.code === 'CORRUPT') return { ok: false, error: e };
      throw e;
    }
  }

  async writeHead(id: string | null): Promise<void> {
    await writeFileAtomic(path.join(this.dir, 'HEAD'), headFileContent(id));
  }

  /** The settings; defaults when config.json is missing, CORRUPT when a value is not what its setting takes. */
  async readConfig(): Promise<StoreConfig> {
    return (await readConfigFile(this.dir)).config;
  }

  /** Values config.json holds past their bound, by key (they read as the bound): for `config` to say so. */
  async configClamped(): Promise<Readonly<Partial<Record<keyof StoreConfig, number>>>> {
    return (await readConfigFile(this.dir)).clamped;
  }

  /** Writes config whole; a value the settings' schema refuses is BAD_USAGE and nothing is written. */
  async writeConfig(config: StoreConfig): Promise<void> {
    const content = configFileContent(config, await this.configExtras());
    await writeFileAtomic(path.join(this.dir, 'config.json'), content);
  }

  /** Keys of config.json this version does not know: a newer Weightline's settings survive our writes. */
  private async configExtras(): Promise<Readonly<Record<string, unknown>>> {
    // Every known key is about to be written, so only the unknown ones matter; an unreadable file has none worth keeping.
    return (await readConfigFile(this.dir, new Set(CONFIG_KEYS)).catch(() => undefined))?.extra ?? {};
  }

  /**
   * Sets some settings and keeps the rest, with keys of newer versions. A
   * damaged value may be set again (that repairs the file); any other damaged
   * value refuses the change, since writing the file would replace it with a
   * guess. Call under the write lock.
   */
  async updateConfig(changes: Partial<StoreConfig>): Promise<StoreConfig> {
    const keys = new Set(CONFIG_KEYS.filter((k) => changes[k] !== undefined));
    const { config, extra } = await readConfigFile(this.dir, keys);
    const next: StoreConfig = { ...config, ...Object.fromEntries([...keys].map((k) => [k, changes[k]])) };
    await writeFileAtomic(path.join(this.dir, 'config.json'), configFileContent(next, extra));
    return next;
  }

  /** Pinned commits; none when pins.json is missing, CORRUPT when damaged or naming a commit the store does not hold. */
  async readPins(): Promise<ReadonlySet<string>> {
    return readPinsFile(this.dir, () => this.listCommitIds());
  }

  async writePins(pins: ReadonlySet<string>): Promise<void> {
    await writeFileAtomic(path.join(this.dir, 'pins.json'), pinsFileContent(pins));
  }

  /** Absolute path of a manifest source path. */
  resolveSource(sourcePath: string): string {
    return path.isAbsolute(sourcePath) ? sourcePath : path.join(this.root, ...sourcePath.split('/'));
  }

  /** Source path as recorded in a manifest: posix and relative to the root when inside it. */
  sourcePathFor(absolute: string): string {
    const rel = path.relative(this.root, absolute);
    if (rel === '') return '.';
    if (rel.startsWith('..') || path.isAbsolute(rel)) return absolute;
    return rel.split(path.sep).join('/');
  }
}

const MANIFEST_NAME = /^[0-9a-f]{64}\.json$/;

/** Manifests in a store folder's commits/ (0 when there is none). */
async function manifestCount(storeDir: string): Promise<number> {
  const names = await fs.readdir(path.join(storeDir, 'commits')).catch(() => [] as string[]);
  return names.filter((n) => MANIFEST_NAME.test(n)).length;
}

/** True when the path exists in any form (a damaged file counts: init never overwrites it). */
async function existsOrDamaged(p: string): Promise<boolean> {
  try { await fs.lstat(p); return true; } catch { return false; }
}
