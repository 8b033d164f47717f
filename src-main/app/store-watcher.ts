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

  const check = async (): Promise<void> => {
    // Serialise checks so two overlapping ones cannot both report one change.
    while (running) await running;
    if (closed) return;
    running = (async () => {
      const sig = await signature(dir);
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

/** What the UI shows depends on: the commit list, HEAD, pins and settings. */
async function signature(dir: string): Promise<string> {
  const parts: string[] = [];
  try { parts.push((await fs.readdir(join(dir, 'commits'))).filter((n) => /^[0-9a-f]{64}\.json$/.test(n)).sort().join(',')); } catch { parts.push('-'); }
  for (const f of ['HEAD', 'pins.json', 'config.json']) {
    try { parts.push(await fs.readFile(join(dir, f), 'utf8')); } catch { parts.push('-'); }
  }
  // Cleanup deletes objects without touching the files above; the objects
  // folder's own listing changes rarely, so also count its subfolders' entries.
  parts.push(String(await countObjects(join(dir, 'objects'))));
  return parts.join('\n');
}

async function countObjects(objects: string): Promise<number> {
  let n = 0;
  try {
    for (const sub of await fs.readdir(objects)) {
      try { n += (await fs.readdir(join(objects, sub))).length; } catch { /* removed meanwhile */ }
    }
  } catch { /* no objects yet */ }
  return n;
}
