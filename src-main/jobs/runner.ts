// JobRunner: the main side of the job processes. It starts one process per
// job, relays its progress a few times a second, cancels it (a message that
// aborts the job's AbortSignal; a kill if it does not stop in time), and turns
// a crash, an out-of-memory abort or an unexpected exit into a failed job with
// its reason. One writing job (commit, restore, cleanup, repair) at a time;
// read-only jobs (verify, diff, a repair's dry run) run beside it.
import { randomUUID } from 'node:crypto';
import { isWritingJob, type JobEvent, type JobKind, type JobRequest, type JobResult } from '../../src-shared/contract';
import { WeightlineError, type WeightlineErrorJSON } from '../../src-shared/errors';
import type { Progress } from '../../src-shared/model';
import { recover } from '../core/verbs/locks';
import { describeExit } from './exit-reason';
import { forkWithNode, type ExitInfo, type ForkJob, type JobProcess } from './fork';
import { resolveJobEntry, type JobEntry } from './job-entry';
import { fromChild } from './protocol';
import { throttle, type Throttled } from './throttle';

export interface JobRunnerOptions {
  /** How to start a job process; child_process.fork by default, utilityProcess.fork in Electron. */
  readonly fork?: ForkJob;
  /** Which script to run; decided by resolveJobEntry() by default. */
  readonly entry?: JobEntry;
  /** Least time between two progress events of one job (default 150 ms: ~7 a second). */
  readonly progressIntervalMs?: number;
  /** How long a cancelled writing job may take to stop by itself before it is killed. */
  readonly cancelGraceMs?: number;
  /** How long a process may linger after its final message before it is killed. */
  readonly lingerMs?: number;
}

type Final =
  | { readonly state: 'done'; readonly result: JobResult }
  | { readonly state: 'failed' | 'cancelled'; readonly error: WeightlineErrorJSON };

interface RunningJob {
  readonly id: string;
  readonly kind: JobKind;
  readonly root: string;
  readonly writing: boolean;
  readonly proc: JobProcess;
  readonly progress: Throttled<Progress>;
  lastProgress: Progress | undefined;
  cancelRequested: boolean;
  final: Final | undefined;
  stderrTail: string;
  timer: ReturnType<typeof setTimeout> | undefined;
  readonly ended: Promise<JobEvent>;
}

const STDERR_KEEP = 4000;
const RECENT_KEEP = 20;

export class JobRunner {
  private readonly jobs = new Map<string, RunningJob>();
  private readonly recent: JobEvent[] = [];
  private readonly listeners = new Set<(e: JobEvent) => void>();
  private readonly fork: ForkJob;
  private entry: JobEntry | undefined;
  private readonly progressIntervalMs: number;
  private readonly cancelGraceMs: number;
  private readonly lingerMs: number;

  constructor(opts: JobRunnerOptions = {}) {
    this.fork = opts.fork ?? forkWithNode;
    this.entry = opts.entry;
    this.progressIntervalMs = opts.progressIntervalMs ?? 150;
    this.cancelGraceMs = opts.cancelGraceMs ?? 3000;
    this.lingerMs = opts.lingerMs ?? 2000;
  }

  on(listener: (e: JobEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts a job on the store at root; the request must already be validated. Returns its id. */
  start(root: string, request: JobRequest): string {
    const writing = isWritingJob(request);
    if (writing) {
      const busy = [...this.jobs.values()].find((j) => j.writing);
      if (busy) throw new WeightlineError('LOCKED', `a ${busy.kind} job (${busy.id}) is already writing to the store; wait for it to finish or cancel it before starting a ${request.kind}`);
    }
    let entry: JobEntry;
    try {
      entry = this.entry ??= resolveJobEntry();
    } catch (e) {
      throw new WeightlineError('INTERNAL', (e as Error).message);
    }
    const id = `job-${randomUUID()}`;
    const proc = this.fork(entry);
    let resolveEnded!: (e: JobEvent) => void;
    const job: RunningJob = {
      id, kind: request.kind, root, writing, proc,
      progress: throttle((p) => this.emit({ jobId: id, kind: request.kind, state: 'running', progress: p }), this.progressIntervalMs),
      lastProgress: undefined, cancelRequested: false, final: undefined, stderrTail: '', timer: undefined,
      ended: new Promise((r) => { resolveEnded = r; }),
    };
    this.jobs.set(id, job);
    proc.stderr?.setEncoding('utf8');
    proc.stderr?.on('data', (chunk: string) => { job.stderrTail = (job.stderrTail + chunk).slice(-STDERR_KEEP); });
    proc.onMessage((m) => this.onMessage(job, m));
    proc.onExit((info) => { void this.onExit(job, info).then(resolveEnded); });
    this.emit({ jobId: id, kind: request.kind, state: 'running' });
    proc.send({ type: 'start', root, request });
    return id;
  }

  /** Asks a job to stop; true if it was running. The store is left as before the job. */
  cancel(jobId: string): boolean {
    const job = this.jobs.get(jobId);
    if (!job || job.final) return false;
    job.cancelRequested = true;
    // watch holds the lock only for each commit, but is asked to stop like a writer: it drops
    // its captures, and a commit under way unwinds (a kill would leave both to the next writer).
    if (!job.writing && job.kind !== 'watch') {
      // A read-only job has nothing to leave half-done: stop it now.
      job.proc.kill();
      return true;
    }
    job.proc.send({ type: 'cancel' });
    // The store's temp-file + rename writes make a kill safe; the grace period
    // only lets the job tidy its temp files itself.
    this.arm(job, this.cancelGraceMs);
    return true;
  }

  /** Running jobs (their latest state) and the final events of recent ones. */
  list(): JobEvent[] {
    const running = [...this.jobs.values()].map((j): JobEvent => ({ jobId: j.id, kind: j.kind, state: 'running', ...(j.lastProgress ? { progress: j.lastProgress } : {}) }));
    return [...running, ...this.recent];
  }

  /** Resolves with the job's final event (done, failed or cancelled). */
  async wait(jobId: string): Promise<JobEvent> {
    const job = this.jobs.get(jobId);
    if (job) return job.ended;
    const past = this.recent.find((e) => e.jobId === jobId);
    if (past) return past;
    throw new WeightlineError('NOT_FOUND', `no job ${jobId}`);
  }

  get busy(): boolean {
    return this.jobs.size > 0;
  }

  /** Kills every job (app quit); resolves once they have all ended. */
  async dispose(): Promise<void> {
    const ending = [...this.jobs.values()].map((j) => { j.cancelRequested = true; j.proc.kill(); return j.ended; });
    await Promise.all(ending);
  }

  private onMessage(job: RunningJob, raw: unknown): void {
    if (job.final) return;
    const parsed = fromChild.safeParse(raw);
    if (!parsed.success) {
      job.final = { state: 'failed', error: { code: 'INTERNAL', message: `internal error: the job process sent a malformed message (${parsed.error.issues[0]?.message ?? 'unknown shape'})` } };
      job.proc.kill();
      return;
    }
    const msg = parsed.data;
    if (msg.type === 'progress') {
      job.lastProgress = msg.progress;
      if (!job.cancelRequested) job.progress(msg.progress);
      return;
    }
    if (msg.type === 'done') {
      job.final = { state: 'done', result: msg.result as JobResult };
    } else {
      const error = msg.error as WeightlineErrorJSON;
      job.final = { state: error.code === 'CANCELLED' ? 'cancelled' : 'failed', error };
    }
    // The child exits right after its final message; make sure it does.
    this.arm(job, this.lingerMs);
  }

  private async onExit(job: RunningJob, info: ExitInfo): Promise<JobEvent> {
    if (job.timer) clearTimeout(job.timer);
    job.progress.cancel();
    let final = job.final;
    if (!final) {
      final = job.cancelRequested
        ? { state: 'cancelled', error: { code: 'CANCELLED', message: `the ${job.kind} was cancelled; its process was stopped and the store is as it was` } }
        : { state: 'failed', error: { code: 'JOB_CRASHED', message: `${describeExit(job.kind, info, job.stderrTail)}. The store is still valid${job.writing ? ' (nothing half-written is visible)' : ''}; you can run the job again.` } };
      // A writer that died leaves its lock file and temp files behind; take the
      // stale lock over now (which sweeps them) so the store looks exactly as
      // before and the next writer does not wait. Still "busy" meanwhile, so no
      // new writing job can start in between.
      if (job.writing) await recoverAfterKill(job.root);
    }
    const event: JobEvent = final.state === 'done'
      ? { jobId: job.id, kind: job.kind, state: 'done', result: final.result }
      : { jobId: job.id, kind: job.kind, state: final.state, error: final.error, ...(job.lastProgress ? { progress: job.lastProgress } : {}) };
    this.jobs.delete(job.id);
    this.recent.unshift(event);
    this.recent.splice(RECENT_KEEP);
    this.emit(event);
    return event;
  }

  private arm(job: RunningJob, ms: number): void {
    if (job.timer) clearTimeout(job.timer);
    job.timer = setTimeout(() => job.proc.kill(), ms);
  }

  private emit(e: JobEvent): void {
    for (const l of this.listeners) {
      try { l(e); } catch { /* a listener's bug must not stop the others or the job */ }
    }
  }
}

async function recoverAfterKill(root: string): Promise<void> {
  try {
    await recover({ root });
  } catch {
    // Another live writer (a CLI commit) holds the lock: it sweeps on its own.
  }
}
