// Helpers for the app, server and job tests: a JobRunner whose processes the
// test can reach (to kill one), an event recorder with waits, and model files
// big enough for a job to be caught halfway.
import { createHash, randomFillSync } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { JobEvent } from '../../src-shared/contract';
import { forkWithNode, type JobProcess } from '../../src-main/jobs/fork';
import { JobRunner, type JobRunnerOptions } from '../../src-main/jobs/runner';
import { safetensorsBytes } from './models';

export interface TrackedRunner {
  readonly runner: JobRunner;
  /** Every job process started, in order. */
  readonly procs: JobProcess[];
}

export function trackedRunner(opts: JobRunnerOptions = {}): TrackedRunner {
  const procs: JobProcess[] = [];
  const runner = new JobRunner({ ...opts, fork: (entry) => { const p = (opts.fork ?? forkWithNode)(entry); procs.push(p); return p; } });
  return { runner, procs };
}

/** Collects events and waits for one matching a predicate. */
export class Recorder<T> {
  readonly seen: T[] = [];
  private waiters: Array<{ pred: (e: T) => boolean; resolve: (e: T) => void }> = [];

  readonly push = (e: T): void => {
    this.seen.push(e);
    this.waiters = this.waiters.filter((w) => { if (w.pred(e)) { w.resolve(e); return false; } return true; });
  };

  waitFor(pred: (e: T) => boolean, timeoutMs = 30_000, what = 'event'): Promise<T> {
    const already = this.seen.find(pred);
    if (already) return Promise.resolve(already);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; saw ${JSON.stringify(this.seen.slice(-5)).slice(0, 1500)}`)), timeoutMs);
      this.waiters.push({ pred, resolve: (e) => { clearTimeout(timer); resolve(e); } });
    });
  }
}

export const finalOf = (jobId: string) => (e: JobEvent): boolean => e.jobId === jobId && e.state !== 'running';
export const progressOf = (jobId: string) => (e: JobEvent): boolean => e.jobId === jobId && e.state === 'running' && !!e.progress && e.progress.bytesDone > 0;

/**
 * A safetensors file of about `mb` MiB of random float bits (incompressible,
 * so a commit of it takes long enough to be cancelled or killed halfway).
 */
export async function writeBigModel(file: string, mb: number, seed = 1): Promise<void> {
  const tensors = [];
  const perTensor = 16 * 1024 * 1024;
  let left = mb * 1024 * 1024;
  for (let i = 0; left > 0; i++) {
    const bytes = Math.min(perTensor, left);
    const data = Buffer.alloc(bytes);
    randomFillSync(data);
    data.writeUInt32LE(seed, 0);
    tensors.push({ name: `layer.${i}.weight`, dtype: 'U8' as const, shape: [bytes], data });
    left -= bytes;
  }
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, safetensorsBytes(tensors));
}

/** Every file under the store folder with its size and, for the small ones, its content: "exactly as before" made checkable. */
export async function storeFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await fs.readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) { await walk(p); continue; }
      const size = (await fs.stat(p)).size;
      out.push(`${path.relative(root, p)} ${size}${size < 64 * 1024 ? ` ${createHash('sha256').update(await fs.readFile(p)).digest('hex')}` : ''}`);
    }
  };
  await walk(path.join(root, '.weightline'));
  return out.sort();
}
