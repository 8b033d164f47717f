// The main side of the contract (src-shared/contract.ts): every call, checked
// against its schema where it arrives, answered with a CallOutcome value; and
// the `job` / `storeChanged` event streams. Plain Node: the Electron IPC glue
// and the browser-mode HTTP server are two thin adapters over this one class,
// and the tests drive it directly.
import * as path from 'node:path';
import type { z } from 'zod';
import {
  calls, isCallName, type CallName, type CallOutcome, type CallResults, type EventName, type Events, type Settings, type StoreInfo,
} from '../../src-shared/contract';
import { isWeightlineError, WeightlineError, type WeightlineErrorJSON } from '../../src-shared/errors';
import { cleanupPlan } from '../core/ops/cleanup';
import { createDemoStore } from '../core/ops/demo';
import { log, show, status } from '../core/ops/inspect';
import { setPinned } from '../core/ops/pin';
import { withWriteLock } from '../core/store/lock';
import { Store } from '../core/store/store';
import { JobRunner } from '../jobs/runner';
import { configDir } from './config-dir';
import { completePath } from './path-complete';
import { RecentStores } from './recent-stores';
import { watchStore, type StoreWatcher } from './store-watcher';

export interface ApiServiceOptions {
  readonly runner?: JobRunner;
  /** Per-user state (recent stores, the default sample folder); configDir() by default. */
  readonly configDir?: string;
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
  private readonly listeners: { [E in EventName]: Set<Listener<E>> } = { job: new Set(), storeChanged: new Set() };
  private readonly offRunner: () => void;
  private readonly samples = new Map<string, Promise<Store>>();
  private cached: { readonly root: string; readonly store: Store } | undefined;

  constructor(opts: ApiServiceOptions = {}) {
    this.runner = opts.runner ?? new JobRunner();
    const dir = opts.configDir ?? configDir();
    this.recent = new RecentStores(dir);
    this.sampleDir = path.join(dir, 'sample-history');
    this.pollMs = opts.pollMs ?? 2000;
    this.offRunner = this.runner.on((e) => {
      // A finished job may have changed the store: forget the cached view
      // before anyone hears of it, and announce the change now rather than at the next poll.
      if (e.state !== 'running') this.invalidate();
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
    'store.openSample': async ({ path: p }) => {
      const dir = p ? absolute(p) : this.sampleDir;
      // Opening the sample twice opens the one made the first time; two
      // windows clicking at once share one creation.
      const making = this.samples.get(dir) ?? (async () => (await Store.open(dir).catch(() => undefined)) ?? Store.open((await createDemoStore(dir)).root))();
      this.samples.set(dir, making);
      try { return await this.use(await making); } finally { this.samples.delete(dir); }
    },
    'store.recent': async () => this.recent.list(),
    'commits.list': async () => {
      const store = await this.store();
      // A damaged HEAD must not hide the history: the log is how the user picks the commit to restore.
      const head = await store.headState();
      return { head: head.ok ? head.commit : null, ...(head.ok ? {} : { headProblem: head.error.message }), commits: await log(store) };
    },
    'commits.get': async ({ id }) => show(await this.store(), id),
    'status.get': async () => status(await this.store()),
    'cleanup.preview': async () => cleanupPlan(await this.store()),
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
    if (this.cached?.root !== root) this.cached = { root, store: await Store.open(root) };
    return this.cached.store;
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

function absolute(p: string): string {
  if (!path.isAbsolute(p)) throw new WeightlineError('BAD_USAGE', `expected an absolute path, got "${p}"`);
  return path.normalize(p);
}

function settingsOf(c: Settings): Settings {
  return { maxChainLength: c.maxChainLength, keepFullLatest: c.keepFullLatest, autoCleanup: c.autoCleanup };
}

/** Expected errors travel as they are; anything else is a bug and says so, with its message. */
export function toErrorJSON(e: unknown): WeightlineErrorJSON {
  if (isWeightlineError(e)) return e.toJSON();
  const message = e instanceof Error ? e.message : String(e);
  console.error('weightline: internal error:', e);
  return { code: 'INTERNAL', message: `internal error (a bug, please report it): ${message}` };
}
