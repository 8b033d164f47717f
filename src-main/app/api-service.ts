// The main side of the contract (src-shared/contract.ts): every call, checked
// against its schema where it arrives, answered with a CallOutcome value; and
// the `job` / `storeChanged` event streams. Plain Node: the Electron IPC glue
// and the browser-mode HTTP server are two thin adapters over this one class,
// and the tests drive it directly.
import * as path from 'node:path';
import type { z } from 'zod';
import {
  calls, isCallName, type CallName, type CallOutcome, type CallResults, type EventName, type Events, type JobKind, type RemoteView, type Settings, type StoreInfo,
} from '../../src-shared/contract';
import type { CleanupPlan } from '../../src-shared/model';
import { isWeightlineError, WeightlineError, type WeightlineErrorJSON } from '../../src-shared/errors';
import { printableText } from '../../src-shared/printable';
import { log, quickStatus, show } from '../core/ops/inspect';
import { commitSummaries } from '../core/store/log-index';
// Remote settings and where commits are: small files only (the AWS SDK loads in push/fetch/restore jobs, never here).
import { addRemote, commitLocations, credentialsSource, listRemotes, removeRemote, type RemoteInfo } from '../core/remote/remotes';
import { setPinned } from '../core/ops/pin';
import { withWriteLock } from '../core/store/lock';
import { Store } from '../core/store/store';
import { JobRunner } from '../jobs/runner';
import { quickWorkingCopy } from '../jobs/working-copy-check';
import { configDir, dataDir } from './config-dir';
import { completePath } from './path-complete';
import { RecentStores } from './recent-stores';
import { watchStore, type StoreWatcher } from './store-watcher';

export interface ApiServiceOptions {
  readonly runner?: JobRunner;
  /** Per-user state (recent stores); configDir() by default. */
  readonly configDir?: string;
  /** Where the sample history is made (<dataDir>/sample-history); the configDir option if given (tests), else dataDir(). */
  readonly dataDir?: string;
  /** How often to look for changes made by others (a CLI commit) when fs.watch says nothing. */
  readonly pollMs?: number;
}

type Args<N extends CallName> = z.output<(typeof calls)[N]>;
type Handlers = { [N in CallName]: (args: Args<N>) => Promise<CallResults[N]> };
type Listener<E extends EventName> = (payload: Events[E]) => void;

export class ApiService {
  readonly runner: JobRunner;
  private readonly recent: RecentStores;
  private readonly sampleDir: string;
  private readonly pollMs: number;
  private root: string | undefined;
  private watcher: StoreWatcher | undefined;
  private readonly listeners: { [E in EventName]: Set<Listener<E>> } = { job: new Set(), storeChanged: new Set(), workingCopy: new Set() };
  private readonly offRunner: () => void;
  /** Sample folders being made: the job making each, shared by every caller. */
  private readonly samples = new Map<string, string>();
  /**
   * The open store and what was worked out from it (the log, the summaries, a
   * cleanup preview): all of it dropped together when the store changes.
   */
  private cached: { readonly root: string; readonly store: Store; readonly memo: Map<string, Promise<unknown>> } | undefined;

  constructor(opts: ApiServiceOptions = {}) {
    this.runner = opts.runner ?? new JobRunner();
    const dir = opts.configDir ?? configDir();
    this.recent = new RecentStores(dir);
    this.sampleDir = path.join(opts.dataDir ?? (opts.configDir ? dir : dataDir()), 'sample-history');
    this.pollMs = opts.pollMs ?? 2000;
    this.offRunner = this.runner.on((e) => {
      // A finished job may have changed the store: forget the cached view
      // before anyone hears of it, and announce the change now rather than at the next poll.
      // Jobs that only read (or write a new store elsewhere) keep it.
      if (e.state !== 'running' && !KEEPS_STORE.has(e.kind)) this.invalidate();
      this.emit('job', e);
      if (e.state !== 'running') void this.watcher?.check();
    });
  }

  /** Answers one call. Never throws: expected failures and bugs alike come back as { ok: false }. */
  async call(name: string, rawArgs: unknown): Promise<CallOutcome<CallName>> {
    try {
      if (!isCallName(name)) throw new WeightlineError('BAD_USAGE', `unknown call "${String(name).slice(0, 80)}"; expected one of: ${Object.keys(calls).join(', ')}`);
      const parsed = calls[name].safeParse(rawArgs ?? {});
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const where = issue?.path.length ? issue.path.join('.') : 'arguments';
        throw new WeightlineError('BAD_USAGE', `${name}: ${where}: ${issue?.message ?? 'invalid arguments'}`);
      }
      const handler = this.handlers[name] as (args: unknown) => Promise<CallResults[CallName]>;
      return { ok: true, value: await handler(parsed.data) };
    } catch (e) {
      return { ok: false, error: toErrorJSON(e) };
    }
  }

  on<E extends EventName>(event: E, listener: Listener<E>): () => void {
    const set = this.listeners[event] as Set<Listener<E>>;
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Opens the store at or above p and makes it current (also used at startup by `serve` and the app). */
  async openStore(p: string): Promise<StoreInfo> {
    const store = await Store.find(absolute(p));
    return this.use(store);
  }

  async recentStores(): Promise<string[]> {
    return this.recent.list();
  }

  get currentRoot(): string | undefined {
    return this.root;
  }

  async dispose(): Promise<void> {
    this.watcher?.close();
    this.offRunner();
    await this.runner.dispose();
  }

  private readonly handlers: Handlers = {
    'store.current': async () => (this.root ? this.info(await this.store()) : null),
    'store.open': async ({ path: p }) => this.openStore(p),
    'store.create': async ({ path: p }) => this.use(await Store.init(absolute(p))),
    'store.openSample': async ({ path: p }) => this.openSample(p ? absolute(p) : this.sampleDir),
    'store.recent': async () => this.recent.list(),
    'commits.list': async () => {
      const store = await this.store();
      // A damaged HEAD must not hide the history: the log is how the user picks the commit to restore.
      const head = await store.headState();
      const commits = await this.memo('log', async (st) => {
        const summaries = await this.memo('summaries', commitSummaries);
        const entries = await log(st, summaries);
        // With remotes, each commit says where its data is (log index, remote caches, one readdir per objects/ folder: no manifest read).
        const where = await commitLocations(st, summaries);
        return where ? entries.map((e) => ({ ...e, location: where.commits.get(e.id) ?? ('local' as const) })) : entries;
      });
      return { head: head.ok ? head.commit : null, ...(head.ok ? {} : { headProblem: head.error.message }), commits };
    },
    'commits.get': async ({ id }) => show(await this.store(), id, await this.memo('summaries', commitSummaries)),
    'status.get': async () => {
      const store = await this.store();
      // Stat only: a model whose stat changed is "probably-changed" until a workingCopy or status job hashes it.
      const [quick, wc] = await Promise.all([quickStatus(store, await this.memo('summaries', commitSummaries)), quickWorkingCopy(store)]);
      return { ...quick, dirty: wc.state !== 'matches' && wc.state !== 'no-head', ...(wc.state === 'no-head' ? {} : { workingCopy: wc.state }) };
    },
    // The planner hashes objects to prove routes: a job process answers, once per state of the store.
    'cleanup.preview': async () => this.memo('cleanup.preview', async (store) => this.previewViaJob(store)),
    'pins.set': async ({ id, pinned }) => {
      const commitId = await setPinned(await this.store(), id, pinned);
      this.invalidate();
      void this.watcher?.check();
      return { id: commitId, pinned };
    },
    'settings.get': async () => settingsOf(await (await this.store()).readConfig()),
    'settings.set': async (changes) => {
      const store = await this.store();
      // Under the write lock, like `weightline config`: a commit reads the settings it runs with.
      const next = await withWriteLock(store, 'config', async () => {
        // Only the keys given are rewritten; a damaged key not among them is refused, never replaced by a guess.
        return store.updateConfig(changes);
      });
      this.invalidate();
      void this.watcher?.check();
      return settingsOf(next);
    },
    'jobs.start': async (request) => {
      if (request.kind === 'sample') throw new WeightlineError('BAD_USAGE', 'jobs.start: the sample history is made by store.openSample, into a folder of its own');
      const store = await this.store();
      // Paths the job will read or write must be absolute; a diff's "to" is a commit, not a path.
      const paths = request.kind === 'commit' ? [['path', request.path]] : request.kind === 'restore' ? [['to', request.to]] : [];
      for (const [key, v] of paths) {
        if (v !== undefined && !path.isAbsolute(v)) throw new WeightlineError('BAD_USAGE', `jobs.start: ${key}: expected an absolute path, got "${v}"`);
      }
      return { jobId: this.runner.start(store.root, request) };
    },
    'jobs.cancel': async ({ jobId }) => ({ cancelled: this.runner.cancel(jobId) }),
    'jobs.list': async () => this.runner.list(),
    'fs.complete': async ({ prefix }) => completePath(prefix),
    'dialog.pickPath': async () => {
      throw new WeightlineError('BAD_USAGE', 'native file pickers exist only in the desktop app; type a path instead (fs.complete suggests completions)');
    },
    // Stat only: the hashing that confirms "probably-changed" is the workingCopy job's.
    'workingCopy.get': async () => quickWorkingCopy(await this.store()),
    'cleanup.previewWith': async ({ keepFullLatest }) => this.memo(`cleanup.previewWith:${keepFullLatest}`, async (store) => this.previewViaJob(store, keepFullLatest)),
    'remotes.list': async () => {
      const [remotes, credentials] = await Promise.all([listRemotes(await this.store()), credentialsSource()]);
      return { remotes: remotes.map(remoteView), credentials };
    },
    'remotes.add': async ({ name, url, endpoint, region }) => {
      const info = await addRemote(await this.store(), name, url, { ...(endpoint ? { endpoint } : {}), ...(region ? { region } : {}) });
      this.invalidate();
      void this.watcher?.check();
      return remoteView(info);
    },
    'remotes.remove': async ({ name }) => {
      await removeRemote(await this.store(), name);
      this.invalidate();
      void this.watcher?.check();
      return { name, removed: true as const };
    },
  };

  /**
   * The open store. One Store object is kept for its manifest cache (reading
   * every manifest per call would not scale), and replaced whenever the store
   * changed behind its back — a job process or the CLI wrote — since it also
   * caches the commit list. Replaced before the event that says so goes out,
   * so a UI refreshing on that event reads the new state.
   */
  private async store(): Promise<Store> {
    const root = this.root;
    if (!root) throw new WeightlineError('NOT_A_STORE', 'no store is open; open a folder holding .weightline, create a store, or open the sample history');
    if (this.cached?.root !== root) this.cached = { root, store: listingOnce(await Store.open(root)), memo: new Map() };
    return this.cached.store;
  }

  /** What `make` answers for the store as it is now, worked out once until the store changes (a failure is not kept). */
  private async memo<T>(key: string, make: (store: Store) => Promise<T>): Promise<T> {
    const store = await this.store();
    const cached = this.cached;
    // Dropped meanwhile (the store changed while we waited): answer without keeping it.
    if (cached?.store !== store) return make(store);
    let p = cached.memo.get(key) as Promise<T> | undefined;
    if (!p) {
      p = make(store);
      cached.memo.set(key, p);
      p.catch(() => { if (cached.memo.get(key) === p) cached.memo.delete(key); });
    }
    return p;
  }

  /** The cleanup planner's preview from a job process (it hashes objects): the main side waits without working. */
  private async previewViaJob(store: Store, keepFullLatest?: number): Promise<CleanupPlan> {
    const jobId = this.runner.start(store.root, { kind: 'cleanupPreview', ...(keepFullLatest === undefined ? {} : { keepFullLatest }) });
    const end = await this.runner.wait(jobId);
    if (end.state === 'done' && end.result?.kind === 'cleanupPreview') return end.result.value;
    const error = end.error ?? { code: 'INTERNAL', message: 'the cleanup preview job ended without a result' };
    throw new WeightlineError(error.code, error.message, error.file);
  }

  /**
   * The sample history: opened at once when it exists; else made by a
   * `sample` job, answered at once with its id, and opened when it is done
   * (storeChanged). Two callers at once share one job.
   */
  private async openSample(dir: string): Promise<CallResults['store.openSample']> {
    const existing = await Store.open(dir).catch(() => undefined);
    if (existing) return this.use(existing);
    let jobId = this.samples.get(dir);
    if (!jobId) {
      const id = this.runner.start(dir, { kind: 'sample' });
      jobId = id;
      this.samples.set(dir, id);
      void this.runner.wait(id).then(async (end) => {
        if (end.state === 'done') await this.openStore(dir).catch(() => undefined);
      }).finally(() => this.samples.delete(dir));
    }
    return { root: dir, head: null, jobId };
  }

  private invalidate(): void {
    this.cached = undefined;
  }

  private async use(store: Store): Promise<StoreInfo> {
    if (this.root !== store.root) {
      this.watcher?.close();
      this.root = store.root;
      const root = store.root;
      this.invalidate();
      this.watcher = watchStore(root, () => { this.invalidate(); this.emit('storeChanged', { root }); }, this.pollMs);
      this.emit('storeChanged', { root });
    }
    await this.recent.add(store.root);
    return this.info(store);
  }

  private async info(store: Store): Promise<StoreInfo> {
    const head = await store.headState();
    return { root: store.root, head: head.ok ? head.commit : null, ...(head.ok ? {} : { headProblem: head.error.message }) };
  }

  private emit<E extends EventName>(event: E, payload: Events[E]): void {
    for (const l of this.listeners[event] as Set<Listener<E>>) {
      try { l(payload); } catch { /* one broken listener (a closed window) must not starve the others */ }
    }
  }
}

/**
 * The commits folder listed once per state of the store rather than by every
 * reader of HEAD, pins and the log (a 10,000-commit folder costs tens of ms to
 * list): the Store is replaced whenever the watcher or a finished job says the
 * store changed, which is also when the UI asks again.
 */
function listingOnce(store: Store): Store {
  const list = store.listCommitIds.bind(store);
  let ids: Promise<readonly string[]> | undefined;
  store.listCommitIds = async () => {
    ids ??= list();
    ids.catch(() => { ids = undefined; });
    return ids;
  };
  return store;
}

/** Job kinds that leave the open store as it was (read-only, or writing a new store elsewhere): its cached view stays. */
const KEEPS_STORE: ReadonlySet<JobKind> = new Set<JobKind>(['verify', 'diff', 'status', 'cleanupPreview', 'workingCopy', 'sample']);

function absolute(p: string): string {
  if (!path.isAbsolute(p)) throw new WeightlineError('BAD_USAGE', `expected an absolute path, got "${p}"`);
  return path.normalize(p);
}

function remoteView(r: RemoteInfo): RemoteView {
  return { name: r.name, url: r.url, endpoint: r.endpoint, region: r.region, listedAt: r.listedAt, commits: r.commits };
}

function settingsOf(c: Settings): Settings {
  return { maxChainLength: c.maxChainLength, maxRouteRead: c.maxRouteRead, keepFullLatest: c.keepFullLatest, autoCleanup: c.autoCleanup };
}

/** Expected errors travel as they are; anything else is a bug and says so, with its message. */
export function toErrorJSON(e: unknown): WeightlineErrorJSON {
  if (isWeightlineError(e)) return e.toJSON();
  const message = e instanceof Error ? e.message : String(e);
  // In browser mode this reaches the terminal `serve` runs in: its text may quote a store's or a remote's strings.
  console.error(printableText(`weightline: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`));
  return { code: 'INTERNAL', message: `internal error (a bug, please report it): ${message}` };
}
