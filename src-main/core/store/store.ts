import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { WeightlineError } from '../../../src-shared/errors';
import type { CommitId } from '../../../src-shared/model';
import { exists, fsyncDir, sha256, TMP_PREFIX, writeFileAtomic, mapFsError } from '../base/fsutil';
import { FORMAT_VERSION, type Manifest } from '../base/manifest';
import { DEFAULT_CONFIG, type StoreConfig } from '../../../src-shared/settings';

// The store on disk (see docs/STORE-FORMAT.md):
//   .weightline/format.json          {"format":"weightline-store","version":1}
//   .weightline/config.json          store settings
//   .weightline/HEAD                 JSON: the commit the working copy came from
//   .weightline/commits/<id>.json    manifests, named by their sha256
//   .weightline/objects/ab/cdef...   full files and delta objects, named by sha256
//   .weightline/pins.json            pinned commit ids
//   .weightline/index.json           stat cache of working files (size, mtime, ino → sha256)

export const STORE_DIR = '.weightline';

export { DEFAULT_CONFIG, type StoreConfig };

interface FormatFile { readonly format: string; readonly version: number }

export class Store {
  readonly dir: string;
  private readonly manifests = new Map<string, Manifest>();

  private constructor(readonly root: string) {
    this.dir = path.join(root, STORE_DIR);
  }

  /** Creates a store in root (idempotent: an existing store is opened). */
  static async init(root: string): Promise<Store> {
    const store = new Store(path.resolve(root));
    if (await exists(path.join(store.dir, 'format.json'))) return Store.open(root);
    try {
      await fs.mkdir(path.join(store.dir, 'commits'), { recursive: true });
      await fs.mkdir(path.join(store.dir, 'objects'), { recursive: true });
      await writeFileAtomic(path.join(store.dir, 'config.json'), JSON.stringify(DEFAULT_CONFIG, null, 2) + '\n');
      // format.json last: its presence is what makes the folder a store.
      await writeFileAtomic(path.join(store.dir, 'format.json'), JSON.stringify({ format: 'weightline-store', version: FORMAT_VERSION }) + '\n');
    } catch (e) {
      throw mapFsError(e, store.dir);
    }
    return store;
  }

  static async open(root: string): Promise<Store> {
    const store = new Store(path.resolve(root));
    const formatPath = path.join(store.dir, 'format.json');
    let format: FormatFile;
    try {
      format = JSON.parse(await fs.readFile(formatPath, 'utf8')) as FormatFile;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new WeightlineError('NOT_A_STORE', `not a Weightline store (no ${STORE_DIR}/format.json); run "weightline init" first`, store.root);
      throw new WeightlineError('CORRUPT', `unreadable store format file: ${(e as Error).message}`, formatPath);
    }
    if (format.format !== 'weightline-store' || format.version !== FORMAT_VERSION) {
      throw new WeightlineError('STORE_VERSION', `expected store format version ${FORMAT_VERSION}, found ${String(format.version)}; use a Weightline that reads that version`, formatPath);
    }
    return store;
  }

  /** The nearest folder at or above start that holds a store. */
  static async find(start: string): Promise<Store> {
    let dir = path.resolve(start);
    for (;;) {
      if (await exists(path.join(dir, STORE_DIR, 'format.json'))) return Store.open(dir);
      const up = path.dirname(dir);
      if (up === dir) throw new WeightlineError('NOT_A_STORE', `no ${STORE_DIR} store here or in any parent folder; run "weightline init" first`, path.resolve(start));
      dir = up;
    }
  }

  // ---- objects ----

  objectPath(sha: string): string {
    return path.join(this.dir, 'objects', sha.slice(0, 2), sha.slice(2));
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
    if (await exists(target)) { await fs.rm(tmpFile, { force: true }); return; }
    await fs.mkdir(path.dirname(target), { recursive: true });
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
    const names = await fs.readdir(path.join(this.dir, 'commits'));
    return names.filter((n) => /^[0-9a-f]{64}\.json$/.test(n)).map((n) => n.slice(0, 64));
  }

  async readManifest(id: string): Promise<Manifest> {
    const cached = this.manifests.get(id);
    if (cached) return cached;
    const file = path.join(this.dir, 'commits', `${id}.json`);
    let bytes: Buffer;
    try {
      bytes = await fs.readFile(file);
    } catch {
      throw new WeightlineError('NOT_FOUND', `commit ${id.slice(0, 12)} does not exist in the store`, file);
    }
    const actual = sha256(bytes);
    if (actual !== id) throw new WeightlineError('CORRUPT', `manifest checksum mismatch: expected ${id}, computed ${actual}`, file);
    const manifest = JSON.parse(bytes.toString('utf8')) as Manifest;
    if (manifest.formatVersion !== FORMAT_VERSION) {
      throw new WeightlineError('STORE_VERSION', `expected manifest format ${FORMAT_VERSION}, found ${manifest.formatVersion}`, file);
    }
    this.manifests.set(id, manifest);
    return manifest;
  }

  async writeManifest(manifest: Manifest): Promise<CommitId> {
    const bytes = Buffer.from(JSON.stringify(manifest));
    const id = sha256(bytes);
    await writeFileAtomic(path.join(this.dir, 'commits', `${id}.json`), bytes);
    this.manifests.set(id, manifest);
    return id as CommitId;
  }

  // ---- HEAD, config, pins ----

  async readHead(): Promise<CommitId | null> {
    try {
      const head = JSON.parse(await fs.readFile(path.join(this.dir, 'HEAD'), 'utf8')) as { commit: string | null };
      return (head.commit ?? null) as CommitId | null;
    } catch {
      return null;
    }
  }

  async writeHead(id: string | null): Promise<void> {
    await writeFileAtomic(path.join(this.dir, 'HEAD'), JSON.stringify({ commit: id }) + '\n');
  }

  async readConfig(): Promise<StoreConfig> {
    try {
      const raw = JSON.parse(await fs.readFile(path.join(this.dir, 'config.json'), 'utf8')) as Partial<StoreConfig>;
      return { ...DEFAULT_CONFIG, ...raw };
    } catch {
      return DEFAULT_CONFIG;
    }
  }

  async writeConfig(config: StoreConfig): Promise<void> {
    await writeFileAtomic(path.join(this.dir, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  }

  async readPins(): Promise<ReadonlySet<string>> {
    try {
      return new Set(JSON.parse(await fs.readFile(path.join(this.dir, 'pins.json'), 'utf8')) as string[]);
    } catch {
      return new Set();
    }
  }

  async writePins(pins: ReadonlySet<string>): Promise<void> {
    await writeFileAtomic(path.join(this.dir, 'pins.json'), JSON.stringify([...pins].sort()) + '\n');
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
