import { existsSync } from 'node:fs';
import * as os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { encodeChangedBlock, type BlockJob, type BlockResult } from './block-work';
import { copiedBytes, isBlockBuffer, recycleBlock } from './block-buffers';
import { Collector } from './collect';

// Spreads block encoding over worker threads so a commit uses every core: the
// main thread reads, compares and hashes while workers XOR, split planes,
// compress and measure. Runs inline when no built worker exists (tests run the
// TypeScript sources) or when WEIGHTLINE_WORKERS=0; WEIGHTLINE_WORKERS=N sets
// the number of workers (the bytes written never depend on it: delta-writer.ts).

interface Pending { resolve: (r: BlockResult) => void; reject: (e: Error) => void; worker: number; copied: number }

/** What a worker answers. */
export interface WorkerReply { id: number; result?: BlockResult; error?: string }

class Pool {
  private readonly workers: Worker[] = [];
  private readonly collector = new Collector();
  private readonly pending = new Map<number, Pending>();
  private next = 0;
  private busy = 0;
  /** Jobs outstanding per worker: a job goes to the least loaded one, since blocks finish out of order. */
  private readonly load: number[] = [];

  constructor(script: string, size: number) {
    for (let i = 0; i < size; i++) {
      const w = new Worker(script);
      w.on('message', (msg: WorkerReply) => {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        this.load[p.worker]!--;
        if (--this.busy === 0) for (const x of this.workers) x.unref();
        // What dies on this thread: the payload once written, and the blocks
        // that were copied rather than moved or shared (pooled blocks are reused).
        // Counted in real bytes: blocks of a tensor-aligned file are often
        // under 1 MiB, and a flat 8 MiB per block forced ~70 full GCs on a
        // 443 MB commit.
        this.collector.processed(copiedBytes(msg.result?.parts ?? []) + p.copied);
        if (msg.result) p.resolve(msg.result); else p.reject(new Error(`block encoder: ${msg.error ?? 'no result'}`));
      });
      w.on('error', (e) => { for (const p of this.pending.values()) p.reject(e); this.pending.clear(); });
      // An idle pool must not keep the CLI alive. After the listeners: adding
      // a 'message' listener refs the worker again (measured: a commit that
      // never used the pool hung at exit).
      w.unref();
      this.workers.push(w);
      this.load.push(0);
    }
  }

  run(job: BlockJob, transfer: ArrayBuffer[], copied: number): Promise<BlockResult> {
    const id = this.next++;
    // Round robin would queue a block behind a slow one while the other worker idles.
    const w = this.load.indexOf(Math.min(...this.load));
    this.load[w]!++;
    if (this.busy++ === 0) for (const x of this.workers) x.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker: w, copied });
      this.workers[w]!.postMessage({ id, job }, transfer);
    });
  }

  get size(): number { return this.workers.length; }
}

let pool: Pool | null | undefined;

function workerScript(): string | null {
  const here = fileURLToPath(import.meta.url);
  if (/\.[cm]?tsx?$/.test(here)) return null; // running from source: no built worker
  const dir = dirname(here);
  return [join(dir, 'encode-worker.js'), join(dir, '..', 'encode-worker.js')].find((c) => existsSync(c)) ?? null;
}

function getPool(): Pool | null {
  if (pool !== undefined) return pool;
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  const asked = /^\d{1,2}$/.test(process.env.WEIGHTLINE_WORKERS ?? '') ? Number(process.env.WEIGHTLINE_WORKERS) : null;
  const script = asked === 0 ? null : workerScript();
  // One worker per core: measured, the main thread (reads, comparisons,
  // hashing) is idle ~80% of a DELTA commit while workers encode.
  const size = asked ?? (cores > 1 ? Math.min(4, cores) : 0);
  pool = script && size > 0 ? new Pool(script, size) : null;
  return pool;
}

/**
 * Tests only: encode blocks through `run` instead (e.g. with random delays, so
 * blocks finish out of order as on real workers), as if `parallelism` blocks
 * could be in flight; null goes back to the real pool.
 */
export function encodeBlocksThroughForTests(run: ((job: BlockJob) => Promise<BlockResult>) | null, parallelism = 2): void {
  testRunner = run ? { run, parallelism } : null;
}
let testRunner: { run: (job: BlockJob) => Promise<BlockResult>; parallelism: number } | null = null;

/** How many blocks may be in flight at once; each holds three pooled 4 MiB blocks (new, base, planes) and its compressed planes. */
export function encodeParallelism(): number {
  // One per worker (at least two, so the main thread reads the next block
  // while a worker encodes). One more read ahead measured within noise
  // (1.3 vs 1.4 s for 212 MB) and cost ~30 MB of peak RSS on a 4 GB commit
  // (277 vs 246 MB, against a 300 MB budget), so it is not taken.
  if (testRunner) return testRunner.parallelism;
  const size = getPool()?.size;
  return size ? Math.max(2, size) : 1;
}

/**
 * How many blocks may be reserved in a delta object and not yet written: the
 * ones being encoded plus finished ones waiting for an earlier block
 * (delta-writer.ts writes in block order). Twice the encodes in flight keeps
 * the workers busy behind one slow block, and holds at most that many more
 * payloads (each at most a block, 4 MiB).
 */
export function reorderWindow(): number {
  return 2 * encodeParallelism();
}

/** Whether a buffer owns its whole ArrayBuffer, so moving it to a worker cannot take bytes from anyone else. */
function exclusive(b: Uint8Array): boolean {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer;
}

/**
 * Encodes one changed block, in a worker when there is a pool. Pooled blocks
 * (block-buffers.ts) are shared with the worker and go back to the pool once
 * it has answered; other buffers the caller marks as its own (fresh reads,
 * never a rebuild's cached block) are moved to the worker instead of copied.
 * The caller must not touch an owned buffer after the call.
 */
export function encodeBlockJob(job: BlockJob, owned: { fresh: boolean; old: boolean }): Promise<BlockResult> {
  const blocks = [owned.fresh ? job.fresh : null, owned.old ? job.old : null].filter((b): b is Uint8Array => !!b && isBlockBuffer(b));
  const recycle = (): void => blocks.forEach(recycleBlock);
  if (testRunner) return testRunner.run(job).finally(recycle);
  const p = getPool();
  if (!p || job.fresh.length < 64 * 1024) {
    const result = encodeChangedBlock(job);
    recycle();
    return Promise.resolve(result);
  }
  const transfer: ArrayBuffer[] = [];
  let copied = 0;
  for (const [b, mine] of [[job.fresh, owned.fresh], [job.old, owned.old]] as const) {
    if (!b || isBlockBuffer(b) || (b === job.old && b.buffer === job.fresh.buffer)) continue;
    if (mine && exclusive(b)) transfer.push(b.buffer as ArrayBuffer); else copied += b.buffer.byteLength;
  }
  return p.run(job, transfer, copied).finally(recycle);
}
