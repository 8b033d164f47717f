// What every verb is given by the runtime that calls it (the CLI, a job
// process, the app's main side), and the few things every verb shares: finding
// the store and the remote hooks, which load the remote code (and the AWS SDK
// under it) only for a store that has remotes.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { WeightlineError } from '../../../src-shared/errors';
import type { ProgressListener } from '../../../src-shared/model';
import type { Store } from '../store/store';

export type { Store };

export interface VerbContext {
  /**
   * Where the store is: an open Store (the app keeps one for its caches), a
   * store root (a job process is given one), or a folder at or below a store
   * (the CLI's working folder, after -C).
   */
  readonly store?: Store;
  readonly root?: string;
  readonly cwd?: string;
  readonly onProgress?: ProgressListener;
  readonly signal?: AbortSignal;
  /**
   * Work that depends only on the store's state, kept by a caller that keeps
   * the store open (the app drops it when the store changes). Absent: worked
   * out each time.
   */
  readonly memo?: <T>(key: string, make: () => Promise<T>) => Promise<T>;
}

/** The store the context names. */
export async function storeOf(ctx: VerbContext): Promise<Store> {
  if (ctx.store) return ctx.store;
  const { Store } = await import('../store/store');
  if (ctx.root !== undefined) return Store.open(ctx.root);
  if (ctx.cwd !== undefined) return Store.find(ctx.cwd);
  throw new WeightlineError('NOT_A_STORE', 'no store given: expected a store, its root or a folder inside it');
}

/** Opens the store at root (for a caller that keeps it open). */
export async function openStore(root: string): Promise<Store> {
  return (await import('../store/store')).Store.open(root);
}

/** The store at or above a folder. */
export async function findStore(start: string): Promise<Store> {
  return (await import('../store/store')).Store.find(start);
}

export function progressOf(ctx: VerbContext): { onProgress?: ProgressListener; signal?: AbortSignal } {
  return { ...(ctx.onProgress ? { onProgress: ctx.onProgress } : {}), ...(ctx.signal ? { signal: ctx.signal } : {}) };
}

export async function hasRemotes(store: Store): Promise<boolean> {
  return (await fs.stat(path.join(store.dir, 'remotes.json')).catch(() => null)) !== null;
}

/** For verify and repair: which remote holds an object this store lacks, when the store has remotes. */
export async function remoteHolder(store: Store): Promise<((sha: string) => string | null) | undefined> {
  return (await hasRemotes(store)) ? (await import('../remote/remotes')).remoteObjectHolder(store) : undefined;
}

/** For restore: downloads a route's objects only a remote holds, when the store has remotes. */
export async function restoreFetcher(store: Store, onProgress?: ProgressListener): Promise<import('../remote/lazy').FetchObjects | undefined> {
  if (!(await hasRemotes(store))) return undefined;
  return (await import('../remote/lazy')).remoteObjectFetcher(store, onProgress ? { onProgress } : {});
}

/** Where each commit's data is (local, remote, both), when the store has remotes; null otherwise. */
export async function locations(store: Store, summaries?: ReadonlyMap<string, import('../store/log-index').CommitSummary>): Promise<import('../remote/remotes').Locations | null> {
  if (!(await hasRemotes(store))) return null;
  return (await import('../remote/remotes')).commitLocations(store, summaries);
}

/** The log index's per-commit summaries, once per state of the store when the caller keeps them. */
export async function summariesOf(ctx: VerbContext, store: Store): Promise<ReadonlyMap<string, import('../store/log-index').CommitSummary>> {
  const make = async (): Promise<ReadonlyMap<string, import('../store/log-index').CommitSummary>> => (await import('../store/log-index')).commitSummaries(store);
  return ctx.memo ? ctx.memo('summaries', make) : make();
}
