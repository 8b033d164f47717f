// watch and import: a training run's folder, each complete checkpoint
// committed on the run's line in order (docs/ARCHITECTURE.md, "Following a
// training run").
//
// A checkpoint goes: seen → (complete by its trainer's sign) captured → its
// capture settles (its files' size, mtime and inode unchanged for settleMs) →
// queued → committed (or found already committed, by name and content).
// Capturing comes before settling so that a rotation deleting the trainer's
// copy right after the next save takes nothing away: the capture holds the
// same inodes. A name the trainer saves over in place is the exception: its
// capture must be a copy, taken only once the file has settled.
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { WeightlineError, isWeightlineError } from '../../../src-shared/errors';
import type { CommitId, CommitMeta, Note, ProgressListener, RunCheckpointReport, RunFollowResult } from '../../../src-shared/model';
import { createHash } from 'node:crypto';
import type { Manifest } from '../base/manifest';
import { commitMetaSchema } from '../../../src-shared/meta';
import type { CheckpointFound, TrainerLayout, TrainerRecognition } from '../trainers/checkpoint';
import { readVersion } from '../rebuild/open';
import { commitSummaries } from '../store/log-index';
import { unwinding } from '../store/lock';
import { STORE_DIR, type Store } from '../store/store';
import { lineKey } from '../store/tips';
import { commit } from './commit';
import { lookOf, openFiles, relativeName, Staging, type Capture } from './run-capture';
import { StatCache } from './working-copy';

export const DEFAULT_SETTLE_MS = 1000;
export const DEFAULT_POLL_MS = 2000;
/**
 * Captures held at once (settling or waiting for their commit). Hard links
 * cost no space, but a copy (a name saved over in place, another file
 * system) costs a model's size; past this watch stops capturing and says it
 * is behind.
 */
export const DEFAULT_MAX_CAPTURES = 16;

export interface FollowOptions {
  readonly recognition: TrainerRecognition;
  /** watch follows until stopped (or once); import reads the folder once, committing from the trainer's files directly. */
  readonly mode: 'watch' | 'import';
  readonly once?: boolean;
  readonly then?: 'keep' | 'remove';
  readonly keepNewest?: number;
  readonly settleMs?: number;
  readonly pollMs?: number;
  readonly maxCaptures?: number;
  /** import --base: the run's first commit is made on this commit (sibling runs from one base). */
  readonly base?: CommitId;
  readonly onProgress?: ProgressListener;
  /** Each checkpoint as it is committed, found already committed, or skipped. */
  readonly onCheckpoint?: (r: RunCheckpointReport) => void;
  readonly signal?: AbortSignal;
  readonly hooks?: FollowHooks;
}

/** Points where a test holds the follower or makes it fail. */
export interface FollowHooks {
  /** After a checkpoint's files are captured. */
  readonly captured?: (c: CheckpointFound) => void;
  /** Before each commit; a throw is the commit's failure (a full disk). */
  readonly beforeCommit?: (c: CheckpointFound) => Promise<void> | void;
  /** A commit met the store's lock (another writer holds it) and waits before trying again. */
  readonly lockWait?: (attempt: number) => void;
  /** After each look at the folder, with how many captures wait. */
  readonly looked?: (s: { readonly settling: number; readonly queued: number; readonly behind: boolean }) => void;
}

type Track =
  /** `writing`: the recognizer said not yet for exactly these files, when `completed` was this (asked again once they change or another completes). */
  | { state: 'seen'; sig: string; since: number; writing?: number }
  | { state: 'settling'; sig: string; capture: Capture; meta: CommitMeta }
  | { state: 'queued'; sig: string }
  | { state: 'done'; sig: string }
  | { state: 'corrupt'; sig: string };

interface Pending {
  readonly c: CheckpointFound;
  readonly capture: Capture | null;
  readonly meta: CommitMeta;
  readonly looks: ReadonlyArray<{ file: string; size: number; mtimeMs: number; ino: number }>;
}

/** The commits of this run, by checkpoint name, with their files' sha256 by name. */
type RunCommits = Map<string, Array<{ id: CommitId; files: ReadonlyMap<string, string>; order: number }>>;

export async function followRun(store: Store, dir: string, opts: FollowOptions): Promise<RunFollowResult> {
  const abs = path.resolve(dir);
  const st = await fsp.stat(abs).catch(() => null);
  if (!st?.isDirectory()) throw new WeightlineError('NOT_FOUND', `expected a training run's output folder, found ${st ? 'a file' : 'nothing'}`, abs);
  // Commits record paths relative to the store, as commit does for any path: a run elsewhere is refused before anything is captured.
  const rel = path.relative(store.root, abs);
  if (rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) {
    throw new WeightlineError('REFUSED', `the run folder ${abs} is outside the store's folder ${store.root}; run \`weightline init\` in a folder that holds it, or use -C`);
  }
  if (rel.split(path.sep).includes(STORE_DIR)) throw new WeightlineError('REFUSED', `this is inside a ${STORE_DIR} folder, which holds Weightline's own files, not a training run`, abs);
  const follower = new Follower(store, abs, opts);
  // A Ctrl+C must let it stop cleanly (drop its captures, print what it did) even between commits, when it holds no lock.
  return unwinding(() => follower.run());
}

class Follower {
  private readonly run_: string;
  private readonly tracked = new Map<string, Track>();
  private readonly queue: Pending[] = [];
  private readonly reports: RunCheckpointReport[] = [];
  private readonly removed: string[] = [];
  private readonly notes: Note[] = [];
  private readonly settleMs: number;
  private readonly pollMs: number;
  private readonly maxCaptures: number;
  private layout: TrainerLayout | null = null;
  private staging: Staging | null = null;
  private runCommits: RunCommits | null = null;
  private stopped: RunFollowResult['stopped'] | null = null;
  private fatal: unknown = null;
  private behind = false;
  private again = false;
  /** Checkpoints found complete so far. */
  private completed = 0;
  /** Commits retried because their files changed or vanished while read, by checkpoint. */
  private readonly retries = new Map<string, number>();
  private found = 0;
  private last: RunCheckpointReport | null = null;
  private draining: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private wakeAt = Infinity;
  /** Commits that rebuilt to their sha256 (--then remove deletes only what was proved). */
  private readonly proved = new Map<string, { id: CommitId; sig: string; order: number; c: CheckpointFound }>();

  constructor(private readonly store: Store, private readonly dir: string, private readonly opts: FollowOptions) {
    this.run_ = store.sourcePathFor(dir);
    this.settleMs = opts.settleMs ?? DEFAULT_SETTLE_MS;
    this.pollMs = opts.pollMs ?? DEFAULT_POLL_MS;
    this.maxCaptures = Math.max(1, opts.maxCaptures ?? DEFAULT_MAX_CAPTURES);
  }

  async run(): Promise<RunFollowResult> {
    const signal = this.opts.signal;
    let watcher: fs.FSWatcher | null = null;
    let poll: NodeJS.Timeout | null = null;
    const onAbort = (): void => this.poke();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      // An import reads the trainer's files in place, but a TF prefix's files are not one folder: they are gathered in staging.
      this.staging = await Staging.open(this.store);
      if (this.opts.mode === 'watch' && !this.opts.once) {
        // Events make it prompt; the slow poll catches what events miss (network file systems, a watcher that failed).
        try {
          watcher = fs.watch(this.dir, { recursive: true }, () => this.poke());
          watcher.on('error', () => undefined);
        } catch { /* the poll alone */ }
        poll = setInterval(() => this.poke(), this.pollMs);
      }
      for (;;) {
        if (signal?.aborted) { this.stopped = 'cancelled'; break; }
        if (this.stopped || this.fatal) break;
        const looked = await this.look();
        if (signal?.aborted) { this.stopped = 'cancelled'; break; }
        if (this.stopped || this.fatal) break;
        this.kickDrain();
        if (this.opts.once || this.opts.mode === 'import') {
          // Once: done when nothing waits to settle and the bound held nothing back.
          if (looked.waiting === 0 && !looked.heldBack) {
            await this.draining;
            // A commit that found its files changed or gone asks for another look.
            if (!this.again) break;
            this.again = false;
            continue;
          }
          if (looked.heldBack) { await this.draining; continue; }
        }
        await this.sleep();
      }
      if (this.stopped === 'folder-gone') {
        // What was captured before the folder went is whole: let it settle and commit it.
        await delay(this.settleMs, signal);
        await this.settle(true);
        this.kickDrain();
        await this.draining;
      }
    } catch (e) {
      if (isWeightlineError(e) && e.code === 'DISK_FULL') this.diskFull(null, e);
      else this.fatal = e;
    } finally {
      watcher?.close();
      if (poll) clearInterval(poll);
      signal?.removeEventListener('abort', onAbort);
      this.stopped ??= 'done';
      // A commit under way when stopped sees the signal and unwinds; wait for it before the captures go.
      await this.draining?.catch(() => undefined);
      for (const p of this.queue) if (p.capture) await this.staging?.drop(p.capture);
      for (const t of this.tracked.values()) if (t.state === 'settling') await this.staging?.drop(t.capture);
      await this.staging?.close();
    }
    if (this.fatal && !(isWeightlineError(this.fatal) && this.fatal.code === 'CANCELLED')) throw this.fatal;
    if (this.fatal) this.stopped = 'cancelled';
    this.progress();
    return { run: this.run_, trainer: this.layout, checkpoints: this.reports, removed: this.removed, stopped: this.stopped, notes: this.notes };
  }

  private count(state: Track['state']): number {
    let n = 0;
    for (const t of this.tracked.values()) if (t.state === state) n++;
    return n;
  }

  private poke(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  /** Until an event, the poll, a commit landing, the next settle deadline or a stop. */
  private async sleep(): Promise<void> {
    if (this.opts.signal?.aborted) return;
    const waitMs = this.wakeAt === Infinity ? (this.opts.once || this.opts.mode === 'import' ? this.settleMs : this.pollMs) : Math.max(1, this.wakeAt - Date.now());
    this.wakeAt = Infinity;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => { this.wake = null; resolve(); }, waitMs);
      this.wake = () => { clearTimeout(timer); resolve(); };
    });
  }

  private at(t: number): void {
    this.wakeAt = Math.min(this.wakeAt, t);
  }

  private capturesHeld(): number {
    return this.queue.length + this.count('settling');
  }

  /** One look at the folder: new and changed checkpoints, captures whose settle time is up. */
  private async look(): Promise<{ heldBack: boolean; waiting: number }> {
    const exists = (await fsp.stat(this.dir).catch(() => null))?.isDirectory() ?? false;
    if (!exists) {
      this.note(`the run folder ${this.run_} is gone; stopped following it (what was captured is committed)`);
      this.stopped = 'folder-gone';
      return { heldBack: false, waiting: 0 };
    }
    let scan;
    try {
      scan = await this.opts.recognition.scanRun(this.dir);
    } catch (e) {
      // The folder went away between the stat and the listing: the next look says so.
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (isWeightlineError(e) && e.code === 'NOT_FOUND')) return { heldBack: false, waiting: 1 };
      throw e;
    }
    this.layout = scan.layout ?? this.layout;
    this.found = scan.checkpoints.length;
    const now = Date.now();
    let heldBack = false;
    let waiting = 0;
    const importing = this.opts.mode === 'import';
    for (const c of scan.checkpoints) {
      if (this.opts.signal?.aborted || this.stopped) break;
      let t = this.tracked.get(c.name);
      if (t?.state === 'settling' || t?.state === 'queued') continue;
      const look = await lookOf(c.files);
      if (!look) continue; // a file went away between the listing and the stat: the next look sees what is left
      if (t && t.sig === look.sig && t.state !== 'seen') continue; // committed, already there, or damaged: unchanged since
      if (!t || t.sig !== look.sig) {
        t = { state: 'seen', sig: look.sig, since: now };
        this.tracked.set(c.name, t);
      }
      if (t.state !== 'seen') continue;
      // A capture by hard link holds the trainer's inodes, so it can settle after the
      // trainer's rotation has removed the names; a copy (a name saved over in place)
      // or an import's direct read has only the trainer's file: it settles first.
      const settleFirst = c.rewritten || importing;
      if (settleFirst && now - t.since < this.settleMs) { this.at(t.since + this.settleMs); waiting++; continue; }
      // Idle cost: a checkpoint the trainer left unfinished is not read again until its files change
      // or a newer one completes, which can make it abandoned (corrupt); a TF prefix's sign is the
      // run's `checkpoint` file, outside its own files, so it is always asked.
      if (t.writing === this.completed && c.layout !== 'tf-checkpoint') continue;
      const done = await this.opts.recognition.checkpointComplete(c, this.dir);
      if (done.state === 'writing') {
        t.writing = this.completed;
        if (this.opts.once || importing) this.tracked.set(c.name, { state: 'corrupt', sig: look.sig });
        if (this.opts.once || importing) this.note(`${c.name} is not complete (${done.waitingFor}); not committed`);
        continue;
      }
      if (done.state === 'corrupt') {
        this.tracked.set(c.name, { state: 'corrupt', sig: look.sig });
        this.report({ checkpoint: c.name, commit: null, skipped: done.note });
        this.notes.push({ ...done.note, message: `${c.name} skipped: ${done.note.message}` });
        continue;
      }
      // The verdict is about the folder as it was when asked, and the files listed before may be
      // fewer (a save still under way then): it holds for them only if the listing and every
      // file's look are the same after it.
      const after = (await this.opts.recognition.scanRun(this.dir).catch(() => null))?.checkpoints.find((x) => x.name === c.name);
      const afterLook = after ? await lookOf(after.files) : null;
      if (!after || afterLook?.sig !== look.sig) {
        this.tracked.delete(c.name);
        this.at(Date.now() + Math.max(1, this.settleMs));
        waiting++;
        continue;
      }
      this.completed++;
      const already = await this.alreadyCommitted(c);
      if (already) {
        this.tracked.set(c.name, { state: 'done', sig: look.sig });
        this.proved.delete(c.name);
        this.report({ checkpoint: c.name, commit: already, already: true });
        await this.afterCommit(c, already, look.sig);
        continue;
      }
      // Older than what this run had committed when it started, not in the store, and its files
      // exactly those a commit hashed before (the stat cache knows them unchanged): a forget (a
      // retention policy, autoForget making room) removed its commit. Committed now it would land
      // after the newest, out of order, and the policy would forget it again. A trainer resumed
      // from an earlier step writes new files, which the stat cache does not know: those are committed.
      await this.commitsOfRun();
      const newest = this.newestStepAtStart;
      if (newest !== null && c.step !== null && c.step < newest && (await this.committedBefore(c))) {
        this.tracked.set(c.name, { state: 'corrupt', sig: look.sig });
        const note: Note = { code: 'OTHER', message: `${c.name} skipped: step ${c.step} is older than step ${newest}, the newest commit of this run, and not in the store (a forget removed it); not committed after it`, files: [this.store.sourcePathFor(c.path)] };
        this.notes.push(note);
        this.report({ checkpoint: c.name, commit: null, skipped: note });
        continue;
      }
      // An import holds no captures: it reads the trainer's files, which nothing deletes under it.
      if (!importing && this.capturesHeld() >= this.maxCaptures) {
        if (!this.behind) this.note(`${this.capturesHeld()} captures are waiting for their commits; stopped capturing until they land (a checkpoint the trainer deletes meanwhile is missed)`);
        this.behind = true;
        heldBack = true;
        break;
      }
      this.behind = false;
      const meta = await this.metaOf(c);
      if (importing && c.kind !== 'files') {
        this.tracked.set(c.name, { state: 'queued', sig: look.sig });
        this.queue.push({ c, capture: null, meta, looks: look.looks });
        continue;
      }
      let capture: Capture | 'changed' | 'gone';
      try {
        capture = await this.staging!.capture(c, look.sig);
      } catch (e) {
        if (!(isWeightlineError(e) && e.code === 'DISK_FULL')) throw e;
        this.diskFull(c, e);
        break;
      }
      if (capture === 'gone') {
        // Faster than the file system's events reached us: the trainer's rotation took it first.
        this.tracked.delete(c.name);
        this.note(`${c.name} was deleted (by its trainer's rotation?) while it was being captured; it is not committed`);
        continue;
      }
      if (capture === 'changed') { this.tracked.delete(c.name); this.at(Date.now() + this.settleMs); continue; }
      this.opts.hooks?.captured?.(c);
      if (c.rewritten || importing) {
        this.tracked.set(c.name, { state: 'queued', sig: look.sig });
        this.queue.push({ c, capture, meta, looks: look.looks });
      } else {
        this.tracked.set(c.name, { state: 'settling', sig: look.sig, capture, meta });
        this.at(capture.at + this.settleMs);
      }
    }
    await this.settle(false);
    waiting += this.count('settling');
    this.opts.hooks?.looked?.({ settling: this.count('settling'), queued: this.queue.length, behind: this.behind });
    this.progress();
    return { heldBack, waiting };
  }

  /** Captures whose files kept their look for the settle time join the queue, in the order they were captured. */
  private async settle(now: boolean): Promise<void> {
    const settling = [...this.tracked.entries()].flatMap(([name, t]) => (t.state === 'settling' ? [{ name, t }] : []))
      .sort((a, b) => a.t.capture.at - b.t.capture.at);
    let scan: Awaited<ReturnType<TrainerRecognition['scanRun']>> | null | undefined;
    for (const { name, t } of settling) {
      const cap = t.capture;
      if (!now && Date.now() - cap.at < this.settleMs) { this.at(cap.at + this.settleMs); continue; }
      // One listing for every capture due now (a file the trainer added after its sign shows here).
      scan ??= await this.opts.recognition.scanRun(this.dir).catch(() => null);
      const own = await lookOf([...cap.files.values()]);
      // While the trainer's names are there they must look as when captured (no file added or rewritten);
      // once its rotation took them, the capture's own inodes must be unchanged.
      const source = await lookOf([...cap.files.keys()]);
      const ok = own?.sig === cap.own && (source === null || source.sig === cap.source);
      const current = scan?.checkpoints.find((c) => c.name === name);
      const sameFiles = !current || (current.files.length === cap.files.size && current.files.every((f) => cap.files.has(f)));
      if (!ok || !sameFiles) {
        // Still being written after all: look again from the start.
        await this.staging!.drop(cap);
        this.tracked.delete(name);
        this.poke();
        continue;
      }
      this.tracked.set(name, { state: 'queued', sig: t.sig });
      const looks = (await lookOf([...cap.files.keys()]))?.looks ?? [];
      this.queue.push({ c: cap.checkpoint, capture: cap, meta: t.meta, looks });
    }
  }

  private kickDrain(): void {
    if (this.draining || this.queue.length === 0) return;
    this.draining = this.drain().catch((e: unknown) => { this.fatal = e; this.stopped ??= 'done'; }).finally(() => { this.draining = null; this.poke(); });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 && !this.opts.signal?.aborted && (this.stopped === null || this.stopped === 'folder-gone')) {
      const p = this.queue[0]!;
      try {
        await this.commitOne(p);
      } catch (e) {
        if (!this.failed(p, e)) return;
      } finally {
        if (this.queue[0] === p) this.queue.shift();
        if (p.capture) await this.staging?.drop(p.capture);
        this.progress();
      }
    }
  }

  /** What a failed commit means for the run; false when following must stop. */
  private failed(p: Pending, e: unknown): boolean {
    const code = isWeightlineError(e) ? e.code : null;
    const sig = this.tracked.get(p.c.name)?.sig ?? '';
    switch (code) {
      case 'DISK_FULL':
        this.diskFull(p.c, e as WeightlineError);
        return false;
      case 'OVER_BUDGET':
        // Every later checkpoint would be refused the same way: stop with the reason rather than retry or skip them all.
        this.stopped = 'over-budget';
        this.tracked.delete(p.c.name);
        this.notes.push({ code: 'OTHER', message: `stopped before committing ${p.c.name}: ${(e as Error).message}`, files: [this.store.sourcePathFor(p.c.path)] });
        return false;
      case 'CANCELLED':
        this.tracked.delete(p.c.name);
        return false;
      case 'BAD_FORMAT': case 'CORRUPT': case 'UNSAFE_PATH': case 'REFUSED': {
        this.tracked.set(p.c.name, { state: 'corrupt', sig });
        const note: Note = { code: 'OTHER', message: `${p.c.name} skipped: ${(e as Error).message}`, files: [this.store.sourcePathFor(p.c.path)] };
        this.notes.push(note);
        this.report({ checkpoint: p.c.name, commit: null, skipped: note });
        return true;
      }
      case 'CHANGED_DURING': case 'NOT_FOUND': {
        // Rewritten or gone while read: look at it again from the start, a few times.
        const n = (this.retries.get(p.c.name) ?? 0) + 1;
        this.retries.set(p.c.name, n);
        if (n > 3) {
          this.tracked.set(p.c.name, { state: 'corrupt', sig });
          this.note(`${p.c.name} changed or vanished each time it was read (${(e as Error).message}); not committed`);
        } else {
          this.tracked.delete(p.c.name);
          this.again = true;
        }
        return true;
      }
      default:
        throw e;
    }
  }

  private async commitOne(p: Pending): Promise<void> {
    await this.opts.hooks?.beforeCommit?.(p.c);
    const commits = await this.commitsOfRun();
    const first = [...commits.values()].every((l) => l.length === 0);
    const message = `${p.c.name}${p.meta.step !== undefined ? ` (step ${p.meta.step})` : ''}`;
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await commit(this.store, p.c.path, {
          message, meta: p.meta, skipUnchanged: true,
          ...(p.capture ? { readFrom: p.capture.readFrom } : {}),
          ...(first && this.opts.base ? { parent: this.opts.base } : {}),
          ...(this.opts.signal ? { signal: this.opts.signal } : {}),
        });
        const m = await this.store.readManifest(res.id);
        this.remember(p, m, res.id);
        await this.rememberHashes(p, m);
        if (this.tracked.get(p.c.name)?.state === 'queued') this.tracked.set(p.c.name, { state: 'done', sig: this.tracked.get(p.c.name)!.sig });
        this.report({ checkpoint: p.c.name, commit: res.id, ...(res.unchanged ? { already: true } : {}), meta: p.meta, ...(res.budget ? { budget: res.budget } : {}) });
        const sig = p.looks.map((l) => `${l.file}\0${l.size}\0${l.mtimeMs}\0${l.ino}`).join('\n');
        await this.afterCommit(p.c, res.id, sig);
        return;
      } catch (e) {
        // Another writer holds the store: this follower holds no lock between commits, so it waits its turn.
        if (!(isWeightlineError(e) && e.code === 'LOCKED' && !this.opts.signal?.aborted)) throw e;
        this.opts.hooks?.lockWait?.(attempt);
        await delay(Math.min(5000, 100 * 2 ** Math.min(attempt, 6)), this.opts.signal);
      }
    }
  }

  /** Step, epoch and metrics as the trainer's files say while they are there (a capture holds the weights, not always the state). */
  private async metaOf(c: CheckpointFound): Promise<CommitMeta> {
    let read: CommitMeta = {};
    try {
      read = await this.opts.recognition.readCheckpointMeta(c, this.dir);
    } catch (e) {
      this.note(`${c.name}: its step and metrics could not be read (${(e as Error).message}); committed without them`);
    }
    const meta: CommitMeta = { ...read, run: this.run_, checkpoint: c.name, trainer: c.layout, ...(read.step === undefined && c.step !== null ? { step: c.step } : {}) };
    const checked = commitMetaSchema.safeParse(meta);
    return checked.success ? meta : { run: this.run_, checkpoint: c.name, trainer: c.layout };
  }

  /** The highest step among the run's commits when this follow started (null: none with a step). */
  private newestStepAtStart: number | null = null;

  private async commitsOfRun(): Promise<RunCommits> {
    if (this.runCommits) return this.runCommits;
    const out: RunCommits = new Map();
    const key = this.run_;
    for (const [id, s] of await commitSummaries(this.store)) {
      if (s.meta?.run === undefined || s.meta.checkpoint === undefined || lineKey(this.store, s.meta.run) !== key) continue;
      if (s.meta.step !== undefined && (this.newestStepAtStart === null || s.meta.step > this.newestStepAtStart)) this.newestStepAtStart = s.meta.step;
      const list = out.get(s.meta.checkpoint) ?? [];
      // Names are read from the manifest only when a checkpoint of this name turns up (alreadyCommitted).
      list.push({ id: id as CommitId, files: new Map(), order: Date.parse(s.createdAt) });
      out.set(s.meta.checkpoint, list);
    }
    this.runCommits = out;
    return out;
  }

  private remember(p: Pending, m: Manifest, id: CommitId): void {
    const list = this.runCommits?.get(p.c.name) ?? [];
    if (!list.some((x) => x.id === id)) list.push({ id, files: new Map(m.files.map((f) => [f.path, f.sha256])), order: Date.now() });
    this.runCommits?.set(p.c.name, list);
  }

  /** The trainer's files as committed: a restart asks the stat cache, not the bytes. */
  private async rememberHashes(p: Pending, m: Manifest): Promise<void> {
    const cache = await StatCache.load(this.store);
    const sha = new Map(m.files.map((f) => [f.path, f.sha256]));
    for (const l of p.looks) {
      const s = sha.get(relativeName(p.c, l.file));
      if (s) cache.remember(l.file, s, l);
    }
    if (this.staging) cache.forgetUnder(this.staging.dir);
    await cache.save();
  }

  /** Every file of the checkpoint is one the stat cache recorded when a commit hashed it, unchanged since. */
  private async committedBefore(c: CheckpointFound): Promise<boolean> {
    const cache = await StatCache.load(this.store);
    for (const f of c.files) {
      const st = await fsp.stat(f).catch(() => null);
      if (!st || cache.hint(f, st) === null) return false;
    }
    return c.files.length > 0;
  }

  /** A commit of this run that holds this checkpoint: the same name and the same bytes in every file. */
  private async alreadyCommitted(c: CheckpointFound): Promise<CommitId | null> {
    const candidates = (await this.commitsOfRun()).get(c.name);
    if (!candidates?.length) return null;
    const cache = await StatCache.load(this.store);
    const mine = new Map<string, string>();
    for (const f of c.files) mine.set(relativeName(c, f), await cache.hash(f));
    await cache.save();
    for (const cand of [...candidates].reverse()) {
      if (cand.files.size === 0) {
        const m = await this.store.readManifest(cand.id);
        cand.files = new Map(m.files.map((f) => [f.path, f.sha256]));
      }
      if (cand.files.size === mine.size && [...mine].every(([rel, sha]) => cand.files.get(rel) === sha)) return cand.id;
    }
    return null;
  }

  /** --then remove: the trainer's copies of checkpoints whose commit rebuilds bit-exact, but the newest N and files still open. */
  private async afterCommit(c: CheckpointFound, id: CommitId, sig: string): Promise<void> {
    if (this.opts.then !== 'remove') return;
    if (!(await this.provedRestorable(id))) {
      if (this.opts.signal?.aborted) return;
      this.note(`${c.name}: commit ${id.slice(0, 12)} did not rebuild to its sha256; the trainer's copy is kept (run "weightline verify")`);
      return;
    }
    this.proved.set(c.name, { id, sig, order: c.order, c });
    const keep = this.opts.keepNewest ?? 1;
    // The newest N complete checkpoints by the trainer's order, whatever their state here.
    const complete = [...this.proved.values()].sort((a, b) => a.order - b.order);
    const scan = await this.opts.recognition.scanRun(this.dir).catch(() => null);
    const newest = new Set((scan?.checkpoints ?? []).filter((x) => this.tracked.get(x.name)?.state === 'done' || this.tracked.get(x.name)?.state === 'queued' || this.tracked.get(x.name)?.state === 'settling').map((x) => x.name).slice(-keep));
    for (const n of complete.slice(-keep)) newest.add(n.c.name);
    const open = await openFiles();
    if (open === null && !this.notes.some((n) => n.message.startsWith('/proc is missing'))) this.note('/proc is missing, so files a process holds open cannot be seen; --then remove removed only what it proved committed, open or not');
    for (const p of complete) {
      if (newest.has(p.c.name)) continue;
      const now = await lookOf(p.c.files);
      // Changed since its commit (saved again), or gone: not the committed bytes, or nothing to do.
      if (!now || now.sig !== p.sig) { this.proved.delete(p.c.name); continue; }
      const real = await Promise.all(p.c.files.map((f) => fsp.realpath(f).catch(() => f)));
      if (open && real.some((f) => open.has(f))) continue;
      if (p.c.kind === 'folder') await fsp.rm(p.c.path, { recursive: true, force: true });
      else for (const f of p.c.files) await fsp.rm(f, { force: true });
      this.proved.delete(p.c.name);
      this.removed.push(p.c.name);
    }
  }

  private async provedRestorable(id: CommitId): Promise<boolean> {
    const m = await this.store.readManifest(id);
    try {
      for (const file of m.files) {
        await readVersion(this.store, id, file, async (source) => {
          const hash = createHash('sha256');
          let n = 0;
          for await (const chunk of source.chunks()) {
            if (this.opts.signal?.aborted) throw new WeightlineError('CANCELLED', 'stopped while proving a commit rebuilds; the trainer\'s copy is kept');
            hash.update(chunk);
            n += chunk.length;
          }
          return n === file.bytes ? hash.digest('hex') : `length-${n}`;
        });
      }
      return true;
    } catch (e) {
      if (isWeightlineError(e) && (e.code === 'CORRUPT' || e.code === 'BROKEN_CHAIN' || e.code === 'NOT_FOUND' || e.code === 'CANCELLED')) return false;
      throw e;
    }
  }

  private diskFull(c: CheckpointFound | null, e: WeightlineError): void {
    this.stopped = 'disk-full';
    if (c) this.tracked.delete(c.name);
    this.note(`the disk is full: stopped${c ? ` before committing ${c.name}` : ''} (${e.message}); free some space and run it again: it picks up where it stopped`);
  }

  private report(r: RunCheckpointReport): void {
    this.reports.push(r);
    if (r.commit) this.last = r;
    this.opts.onCheckpoint?.(r);
  }

  private note(message: string): void {
    this.notes.push({ code: 'OTHER', message });
  }

  private progress(): void {
    const committed = this.reports.filter((r) => r.commit !== null).length;
    const settling = this.count('settling');
    const verb = this.opts.mode === 'import' ? 'importing' : 'following';
    const last = this.last ? `; last ${this.last.checkpoint}${describeMeta(this.last.meta)}` : '';
    const detail = `${verb} ${this.run_}: ${committed} committed, ${settling} settling, ${this.queue.length} behind${last}`;
    this.opts.onProgress?.({ phase: verb, bytesDone: committed, bytesTotal: Math.max(this.found, committed), detail });
  }
}

/** " (step 1200, eval_loss 0.41)", or nothing when the checkpoint said nothing. */
export function describeMeta(meta: CommitMeta | undefined): string {
  if (!meta) return '';
  const parts: string[] = [];
  if (meta.step !== undefined) parts.push(`step ${meta.step}`);
  else if (meta.epoch !== undefined) parts.push(`epoch ${meta.epoch}`);
  for (const [k, v] of Object.entries(meta.metrics ?? {}).slice(0, 2)) parts.push(`${k} ${Number(v.toPrecision(4))}`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void { clearTimeout(timer); signal?.removeEventListener('abort', done); resolve(); }
    signal?.addEventListener('abort', done, { once: true });
  });
}
