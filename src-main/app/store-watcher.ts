// Notices when the open store changes under us — a CLI commit, another window,
// a job — so the UI refreshes without a button. fs.watch gives prompt news
// where it works; a slow poll covers where it does not (network file systems,
// which is where browser mode's remote stores often live). Both only trigger
// a check of a small signature, so one change makes one event.
import { watch, type FSWatcher } from 'node:fs';
import * as fs from 'node:fs/promises';
import { join } from 'node:path';

export interface StoreWatcher {
  /** Compares the signature now and reports a change at once (after our own writes). */
  check(): Promise<void>;
  close(): void;
}

const DEBOUNCE_MS = 100;

export function watchStore(root: string, onChange: () => void, pollMs = 2000): StoreWatcher {
  const dir = join(root, '.weightline');
  let last: string | undefined;
  let closed = false;
  let debounce: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> | undefined;
  const state: SignatureState = { polls: 0 };

  const check = async (): Promise<void> => {
    // Serialise checks so two overlapping ones cannot both report one change.
    while (running) await running;
    if (closed) return;
    running = (async () => {
      const sig = await signature(dir, state);
      if (last !== undefined && sig !== last && !closed) onChange();
      last = sig;
    })();
    try { await running; } finally { running = undefined; }
  };
  const soon = (): void => {
    if (debounce) clearTimeout(debounce);
    debounce = setTimeout(() => { void check(); }, DEBOUNCE_MS);
  };

  const watchers: FSWatcher[] = [];
  for (const d of [dir, join(dir, 'commits')]) {
    try {
      const w = watch(d, { persistent: false }, soon);
      w.on('error', () => w.close());
      watchers.push(w);
    } catch { /* not watchable here: the poll covers it */ }
  }
  const poll = setInterval(() => { void check(); }, pollMs);
  poll.unref();
  void check();

  return {
    check,
    close: () => {
      closed = true;
      if (debounce) clearTimeout(debounce);
      clearInterval(poll);
      for (const w of watchers) w.close();
    },
  };
}

/**
 * What the signature remembers between polls, so a poll costs a few stats:
 * the commit count by the commits folder's mtime, and the objects subfolders'
 * mtimes, looked at again only when something may have changed them.
 */
export interface SignatureState {
  commitsKey?: string;
  commits?: number;
  trigger?: string;
  objects?: string;
  /** Entry count of each objects subfolder, by its mtime. */
  counts?: Map<string, { key: string; count: number }>;
  polls: number;
}

/** Look at the objects subfolders at least every this many polls (~30 s at 2 s), whatever the triggers say. */
const FULL_EVERY = 15;
// Timestamps as coarse as 2 s (FAT, some network file systems) cannot tell two
// changes within that time apart: a folder changed that recently is looked into.
const RACY_MS = 2000;
const MANIFEST = /^[0-9a-f]{64}\.json$/;

async function folderKey(p: string): Promise<{ key: string; racy: boolean } | null> {
  try {
    const st = await fs.stat(p, { bigint: true });
    return { key: `${st.ino}:${st.mtimeNs}`, racy: Date.now() - Number(st.mtimeMs) < RACY_MS };
  } catch {
    return null;
  }
}

/**
 * What the UI shows depends on: the commit list, HEAD, pins, settings, tags, the
 * remotes and their caches (remote-cache/, rewritten by push and fetch), and
 * which objects are on disk (a cleanup deletes objects and touches nothing
 * else the UI reads). Every store write renames a file into its folder, which
 * changes that folder's mtime, so folders' mtimes say it without listing them:
 * commits/ for the commit list; each objects/xx for the objects in it. Those
 * 256 subfolders are stat'ed only when .weightline/ (every writer takes its
 * lock file and writes its temp files there) or objects/ changed, and every
 * FULL_EVERY polls for a change made some other way (a person deleting a file).
 */
export async function signature(dir: string, state: SignatureState = { polls: 0 }): Promise<string> {
  const parts: string[] = [];
  // tags.json: a tag set from the CLI or another window shows as a label in the list.
  for (const f of ['HEAD', 'pins.json', 'config.json', 'remotes.json', 'tags.json']) {
    try { parts.push(await fs.readFile(join(dir, f), 'utf8')); } catch { parts.push('-'); }
  }
  // A push or fetch (here or from the CLI) rewrites a remote's cache, which says where each commit is (local, remote, both): the UI shows it.
  parts.push((await folderKey(join(dir, 'remote-cache')))?.key ?? '-');
  const commitsDir = join(dir, 'commits');
  const commits = await folderKey(commitsDir);
  if (!commits) {
    parts.push('-');
  } else {
    if (commits.key !== state.commitsKey || commits.racy || state.commits === undefined) {
      state.commits = (await fs.readdir(commitsDir).catch(() => [] as string[])).filter((n) => MANIFEST.test(n)).length;
      state.commitsKey = commits.key;
    }
    parts.push(`${commits.key}:${state.commits}`);
  }
  const objectsDir = join(dir, 'objects');
  const [top, objects] = await Promise.all([folderKey(dir), folderKey(objectsDir)]);
  const trigger = `${top?.key ?? '-'}|${objects?.key ?? '-'}`;
  state.polls++;
  if (state.objects === undefined || trigger !== state.trigger || top?.racy || objects?.racy || state.polls % FULL_EVERY === 0) {
    state.trigger = trigger;
    state.objects = await subfolderKeys(objectsDir, (state.counts ??= new Map()));
  }
  parts.push(state.objects);
  return parts.join('\n');
}

async function subfolderKeys(objects: string, counts: Map<string, { key: string; count: number }>): Promise<string> {
  let subs: string[];
  try { subs = (await fs.readdir(objects)).sort(); } catch { return '-'; } // no objects yet
  const keys = await Promise.all(subs.map(async (sub) => {
    const p = join(objects, sub);
    const k = await folderKey(p);
    if (!k) return `${sub}:-`; // removed meanwhile
    // The entry count tells what a coarse mtime may not (two changes within its
    // granularity); counted again only when the mtime moved or is that recent.
    let known = counts.get(sub);
    if (!known || known.key !== k.key || k.racy) {
      known = { key: k.key, count: (await fs.readdir(p).catch(() => [])).length };
      counts.set(sub, known);
    }
    return `${sub}:${k.key}:${known.count}`;
  }));
  return keys.join(',');
}
