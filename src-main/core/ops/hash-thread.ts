import { Worker } from 'node:worker_threads';

// The sha256 of a restore's output, computed on a thread of its own while the
// main thread rebuilds the next blocks. The bytes go through a few slots of
// shared memory: a chunk is copied into a free slot (a memcpy, a tenth of
// what hashing it costs), the hash thread reads it there, and the writer
// writes it to disk from there, so neither holds on to the rebuilt block.
// A slot is free again once both are done with it.

/** Bytes per slot: one block (base/manifest.ts BLOCK_SIZE), the largest piece a source hands out. */
export const SLOT_BYTES = 4 * 1024 * 1024;
const SLOTS = 4;

// Plain JavaScript run by the worker (eval: no file to find beside the bundle).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const memory = new Uint8Array(workerData);
const hash = createHash('sha256');
parentPort.on('message', (m) => {
  if (m.digest) { parentPort.postMessage({ digest: hash.digest('hex') }); return; }
  hash.update(memory.subarray(m.at, m.at + m.length));
  parentPort.postMessage({ slot: m.slot });
});
`;

export class HashThread {
  private readonly memory = new SharedArrayBuffer(SLOT_BYTES * SLOTS);
  private readonly worker: Worker;
  /** Per slot: how many of the hash thread and the writer still use it (0: free). */
  private readonly users = new Array<number>(SLOTS).fill(0);
  private waiting: Array<() => void> = [];
  private digestWanted: ((hex: string) => void) | null = null;
  private failure: Error | null = null;

  constructor() {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: this.memory });
    this.worker.on('message', (m: { slot?: number; digest?: string }) => {
      if (m.digest !== undefined) { this.digestWanted?.(m.digest); return; }
      this.release(m.slot!);
    });
    this.worker.on('error', (e) => this.fail(e));
    this.worker.on('exit', (code) => { if (code !== 0) this.fail(new Error(`the hash thread stopped (exit code ${code})`)); });
  }

  /**
   * Copies `chunk` (at most SLOT_BYTES) into a free slot and hands it to the
   * hash thread, in order. Returns the slot's copy, which the caller writes
   * out and then gives back with `done()`.
   */
  async put(chunk: Uint8Array): Promise<{ bytes: Buffer; done: () => void }> {
    if (chunk.length > SLOT_BYTES) throw new Error(`HashThread.put: ${chunk.length} bytes, more than a slot`);
    let slot = this.users.indexOf(0);
    while (slot < 0) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
      if (this.failure) throw this.failure;
      slot = this.users.indexOf(0);
    }
    if (this.failure) throw this.failure;
    const at = slot * SLOT_BYTES;
    const bytes = Buffer.from(this.memory, at, chunk.length);
    bytes.set(chunk);
    this.users[slot] = 2;
    this.worker.postMessage({ slot, at, length: chunk.length });
    let given = false;
    return { bytes, done: () => { if (!given) { given = true; this.release(slot); } } };
  }

  /** The sha256 of everything put, once the hash thread has caught up. */
  digest(): Promise<string> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.digestWanted = resolve;
      this.waiting.push(() => { if (this.failure) reject(this.failure); });
      this.worker.postMessage({ digest: true });
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }

  private release(slot: number): void {
    this.users[slot] = Math.max(0, this.users[slot]! - 1);
    const next = this.waiting;
    this.waiting = [];
    for (const w of next) w();
  }

  private fail(e: Error): void {
    this.failure ??= e;
    const next = this.waiting;
    this.waiting = [];
    for (const w of next) w();
  }
}
