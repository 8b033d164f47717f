import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { z } from 'zod';
import { sha256File, writeFileAtomic } from '../base/fsutil';
import type { Store } from './store';
import { readCache } from './store-files';

// Proving that an object hashes to its name means reading it. Cleanup proves
// every route it relies on before it deletes anything, so without a memory of
// past checks every cleanup would read the whole store. Like git's index, a
// check is remembered with the object's inode, size, mtime and ctime, and
// trusted while all four are unchanged: a write into the object (through a
// hard link, or after chmod) changes mtime and always ctime, which no user
// call can set back. Objects a link exposes to programs (any hard link beyond
// the store's own, or a link the store handed out) are hashed every time.
//
// `.weightline/checked.json` is a cache: missing or damaged, it is empty.

const FILE = 'checked.json';
// A check made within this long of the object's last change could have raced a
// write in the same timestamp tick (see working-copy.ts, "racy git").
const RACY_MS = 2000;

// Racy git, and why an object the store wrote itself is exempt. The racy rule
// guards against a write that lands in the same timestamp tick as the stat we
// record: it leaves mtime and ctime as recorded, so the entry would vouch for
// bytes nobody hashed. git meets it because an editor may write a working file
// at any moment. An object the store has just written has no such writer: its
// bytes were hashed from the very buffers written (or read back from a fresh
// copy-on-write clone) into a temp file under a fresh random name, through
// the only descriptor ever opened on it for writing (closed and flushed
// before), then chmod 0444 and renamed into place
// under the write lock, and the stat is taken after that with one link. A
// later write needs a descriptor opened for writing after our stat: by path
// that takes a chmod first (changing ctime again, a second tick later than
// any same-tick race could hide) or a privileged tool writing into a read-only
// object; through a hard link, nlink says so and the object is hashed every
// time. So the stat taken after the rename is as good as a check made long
// after the last change, and such an entry is trusted at once (`wrote`),
// instead of costing every next commit a full read of its parent (measured:
// 21% of a DELTA commit). What the cache never vouched for still is: bytes
// damaged on the medium without a change of stat, as for any checked object;
// a delta's blocks carry their checksums and every rebuild ends on the
// file's sha256, which is where such damage is caught.
const WROTE = 1;

// ino, size, mtimeMs, ctimeMs, checkedAt[, WROTE when the store wrote the object itself]
const entrySchema = z.union([
  z.tuple([z.number(), z.number(), z.number(), z.number(), z.number()]),
  z.tuple([z.number(), z.number(), z.number(), z.number(), z.number(), z.literal(WROTE)]),
]);
const fileSchema = z.record(z.string().regex(/^[0-9a-f]{64}$/), entrySchema);

export type ObjectState = 'intact' | 'damaged' | 'missing';

export class ObjectChecker {
  private entries: Record<string, z.infer<typeof entrySchema>> = {};
  private dirty = false;
  private readonly memo = new Map<string, ObjectState>();

  private constructor(private readonly store: Store, private readonly exposed: ReadonlySet<string>) {}

  /** @param exposed objects a restore linked somewhere (links.json): always hashed. */
  static async load(store: Store, exposed: ReadonlySet<string> = new Set()): Promise<ObjectChecker> {
    const checker = new ObjectChecker(store, exposed);
    try {
      const raw = await readCache(path.join(store.dir, FILE), fileSchema);
      if (raw) checker.entries = raw;
    } catch { /* absent or damaged: a cache starts empty */ }
    return checker;
  }

  /** Whether the object is on disk and hashes to its name; each object is checked once per checker. */
  async state(sha: string): Promise<ObjectState> {
    const known = this.memo.get(sha);
    if (known) return known;
    const state = await this.check(sha);
    this.memo.set(sha, state);
    return state;
  }

  async intact(sha: string): Promise<boolean> {
    return (await this.state(sha)) === 'intact';
  }

  /**
   * Records an object whose bytes the caller has just hashed itself (a
   * commit hashes what it copies into the store), so the next cleanup need
   * not read it again. `wrote`: the caller also wrote this very file and
   * renamed it into place just now (not an object that was there already),
   * so the racy-window rule does not apply to it (see WROTE above).
   */
  async record(sha: string, opts: { wrote?: boolean } = {}): Promise<void> {
    const st = await fs.stat(this.store.objectPath(sha)).catch(() => null);
    if (!st) return;
    this.memo.set(sha, 'intact');
    if (!this.exposed.has(sha) && st.nlink <= 1) {
      const now = Date.now();
      this.entries[sha] = opts.wrote ? [st.ino, st.size, st.mtimeMs, st.ctimeMs, now, WROTE] : [st.ino, st.size, st.mtimeMs, st.ctimeMs, now];
      this.dirty = true;
    }
  }

  /** Forget what was learnt in this run about one object (it was replaced or moved). */
  forget(sha: string): void {
    this.memo.delete(sha);
    delete this.entries[sha];
  }

  private async check(sha: string): Promise<ObjectState> {
    const file = this.store.objectPath(sha);
    const st = await fs.stat(file).catch(() => null);
    if (!st) return 'missing';
    const trustable = !this.exposed.has(sha) && st.nlink <= 1;
    const e = this.entries[sha];
    if (trustable && e && e[0] === st.ino && e[1] === st.size && e[2] === st.mtimeMs && e[3] === st.ctimeMs
      && (e[5] === WROTE || e[4] - Math.max(st.mtimeMs, st.ctimeMs) > RACY_MS)) {
      return 'intact';
    }
    const actual = await sha256File(file).catch(() => null);
    if (actual === null) return (await fs.stat(file).catch(() => null)) ? 'damaged' : 'missing';
    if (actual !== sha) { if (e) { delete this.entries[sha]; this.dirty = true; } return 'damaged'; }
    if (trustable) {
      // The stat taken before hashing: a write during the hash changes ctime, so the entry would not match.
      this.entries[sha] = [st.ino, st.size, st.mtimeMs, st.ctimeMs, Date.now()];
      this.dirty = true;
    }
    return 'intact';
  }

  /** Best effort: the cache saves time only, and a read-only or full disk must not fail the verb. */
  async save(): Promise<void> {
    if (!this.dirty) return;
    // Entries of objects no longer on disk would grow the file forever.
    for (const sha of Object.keys(this.entries)) if (this.memo.get(sha) === 'missing') delete this.entries[sha];
    await writeFileAtomic(path.join(this.store.dir, FILE), JSON.stringify(this.entries)).catch(() => undefined);
    this.dirty = false;
  }
}
