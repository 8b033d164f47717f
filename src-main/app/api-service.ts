// The main side of the contract (src-shared/contract.ts): every call, checked
// against its schema where it arrives, answered with a CallOutcome value; and
// the `job` / `storeChanged` event streams. Plain Node: the Electron IPC glue
// and the browser-mode HTTP server are two thin adapters over this one class,
// and the tests drive it directly.
import * as path from 'node:path';
import type { z } from 'zod';
import {
  calls, isCallName, type CallName, type CallOutcome, type CallResults, type EventName, type Events, type Settings, type StoreInfo, type WorkingCopyState,
} from '../../src-shared/contract';
import type { CleanupPlan } from '../../src-shared/model';
import { isWeightlineError, WeightlineError, type WeightlineErrorJSON } from '../../src-shared/errors';
import { printableText } from '../../src-shared/printable';
import { JOBS_KEEPING_STORE } from '../../src-shared/verbs';
import { findStore, openStore as openStoreAt, verbs, type Store, type VerbContext } from '../core/verbs';
import { JobRunner } from '../jobs/runner';
import { configDir, dataDir } from './config-dir';
import { completePath } from './path-complete';
import { RecentStores } from './recent-stores';
import { watchStore, type StoreWatcher } from './store-watcher';
import { LinkConfirmer } from './link-confirm';
import { WorkingCopyConfirmer } from './working-copy-confirm';

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
  private readonly listeners: { [E in EventName]: Set<Listener<E>> } = { job: new Set(), storeChanged: new Set(), workingCopy: new Set(), linksChecked: new Set() };
  private readonly offRunner: () => void;
  /** Sample folders being made: the job making each, shared by every caller. */
  private readonly samples = new Map<string, string>();
  /**
   * The open store and what was worked out from it (the log, the summaries, a
   * cleanup preview): all of it dropped together when the store changes.
   */
  private cached: { readonly root: string; readonly store: Store; readonly memo: Map<string, Promise<unknown>> } | undefined;
  /** Confirms a probably-changed working copy of the open store (working-copy-confirm.ts). */
  private confirmer: WorkingCopyConfirmer | undefined;
  private links: LinkConfirmer | undefined;

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
      if (e.state !== 'running' && !JOBS_KEEPING_STORE.has(e.kind)) this.invalidate();
      this.emit('job', e);
      // A followed run commits while its job runs on: each of its events may
      // follow a new commit, so the view refreshes as checkpoints land, without
      // waiting for fs.watch (absent on some file systems) or the poll.
      if (e.state !== 'running' || e.kind === 'watch' || e.kind === 'import') void this.watcher?.check();
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
    return this.use(await findStore(absolute(p)));
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
    // The init verb's rule: refused inside another store's folder unless nested is asked for.
    'store.create': async ({ path: p, nested }) => this.use(await openStoreAt((await verbs.init({}, { path: absolute(p), nested })).root)),
    'store.openSample': async ({ path: p }) => this.openSample(p ? absolute(p) : this.sampleDir),
    'store.recent': async () => this.recent.list(),
    'commits.list': async () => verbs.log(await this.ctx()),
    'commits.get': async ({ id }) => verbs.show(await this.ctx(), { ref: id }),
    'status.get': async () => {
      const ctx = await this.ctx();
      // Stat only; a working copy or restored link stat cannot judge is hashed
      // by a job this side starts, and its answer used while it holds.
      const quick = await verbs.statusQuick(ctx, { workingCopy: await this.workingCopy(ctx, false) });
      return this.links ? this.links.answer(quick) : quick;
    },
    // The planner hashes objects to prove routes: a job process answers, once per state of the store.
    'cleanup.preview': async () => this.memo('cleanup.preview', async (store) => this.previewViaJob(store)),
    'settings.get': async () => settingsOf(await verbs.configGet(await this.ctx())),
    'settings.set': async (changes) => {
      const next = await verbs.configSet(await this.ctx(), changes);
      this.changed();
      return settingsOf(next);
    },
    'jobs.start': async (request) => {
      if (request.kind === 'sample') throw new WeightlineError('BAD_USAGE', 'jobs.start: the sample history is made by store.openSample, into a folder of its own');
      const store = await this.store();
      // Paths the job will read or write must be absolute; a diff's "to" is a commit, not a path.
      const paths = request.kind === 'commit' ? [['path', request.path]] : request.kind === 'restore' ? [['to', request.to]]
        : request.kind === 'watch' || request.kind === 'import' ? [['dir', request.dir]] : [];
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
    'workingCopy.get': async ({ recheck }) => this.workingCopy(await this.ctx(), recheck ?? false),
    'cleanup.previewWith': async ({ keepFullLatest }) => this.memo(`cleanup.previewWith:${keepFullLatest}`, async (store) => this.previewViaJob(store, keepFullLatest)),
    'remotes.list': async () => verbs.remoteList(await this.ctx()),
    'remotes.add': async (args) => {
      const view = await verbs.remoteAdd(await this.ctx(), args);
      this.changed();
      return view;
    },
    'remotes.remove': async ({ name }) => {
      const done = await verbs.remoteRemove(await this.ctx(), { name });
      this.changed();
      return done;
    },
    'ops.list': async () => verbs.ops(await this.ctx()),
    'retention.get': async () => verbs.retentionGet(await this.ctx()),
    'retention.set': async ({ policy }) => {
      const done = await verbs.retentionSet(await this.ctx(), { policy });
      this.changed();
      return done;
    },
  };

  /** The verbs' context for the open store: its cached Store and the memo of what was worked out from it. */
  private async ctx(): Promise<VerbContext> {
    const store = await this.store();
    return { store, memo: async <T>(key: string, make: () => Promise<T>) => this.memo(key, async () => make()) };
  }

  /** A call changed the store: drop the cached view and tell the watchers now rather than at the next poll. */
  private changed(): void {
    this.invalidate();
    void this.watcher?.check();
  }

  /** The working copy against HEAD, stat only; "probably changed" is confirmed by a job this side starts (working-copy-confirm.ts). */
  private async workingCopy(ctx: VerbContext, recheck: boolean): Promise<WorkingCopyState> {
    const quick = await verbs.workingCopyQuick(ctx);
    return this.confirmer ? this.confirmer.answer(quick, recheck) : quick;
  }

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
    if (this.cached?.root !== root) this.cached = { root, store: listingOnce(await openStoreAt(root)), memo: new Map() };
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
    const existing = await openStoreAt(dir).catch(() => undefined);
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
      this.confirmer?.close();
      this.confirmer = new WorkingCopyConfirmer(this.runner, root, (state) => this.emit('workingCopy', state));
      this.links?.close();
      this.links = new LinkConfirmer(this.runner, root, (checked) => this.emit('linksChecked', checked));
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

function absolute(p: string): string {
  if (!path.isAbsolute(p)) throw new WeightlineError('BAD_USAGE', `expected an absolute path, got "${p}"`);
  return path.normalize(p);
}

function settingsOf(c: Settings): Settings {
  return {
    maxChainLength: c.maxChainLength, maxRouteRead: c.maxRouteRead, keepFullLatest: c.keepFullLatest, autoCleanup: c.autoCleanup,
    trashDays: c.trashDays, maxStoreBytes: c.maxStoreBytes, minFreeBytes: c.minFreeBytes, autoForget: c.autoForget,
  };
}

/** Expected errors travel as they are; anything else is a bug and says so, with its message. */
export function toErrorJSON(e: unknown): WeightlineErrorJSON {
  if (isWeightlineError(e)) return e.toJSON();
  const message = e instanceof Error ? e.message : String(e);
  // In browser mode this reaches the terminal `serve` runs in: its text may quote a store's or a remote's strings.
  console.error(printableText(`weightline: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`));
  return { code: 'INTERNAL', message: `internal error (a bug, please report it): ${message}` };
}
