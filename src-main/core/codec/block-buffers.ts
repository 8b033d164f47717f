import { BLOCK_SIZE } from '../base/manifest';

// The block buffers a commit reads into, reused from block to block. A fresh
// 4 MiB buffer per read costs its page faults, and its death a share of the
// forced collections (codec/collect.ts): measured on a 443 MB f32 pair, 70
// full GCs and 0.75 s of the main thread's time before buffers were reused.
// The buffers are shared memory: a worker encodes straight from them and the
// main thread reads into them again once the worker has answered
// (encode-pool.ts). Moving plain buffers to a worker and back instead counted
// as fresh external memory at each arrival, and V8 answered with a full GC
// every few blocks (measured: 31 unforced mark-compacts in one commit).

/** Free buffers kept: blocks in flight are bounded (encode-pool.ts), so more would only sit idle. */
const KEEP = 16;

const free: SharedArrayBuffer[] = [];

/** A buffer of `length` bytes (at most a block) over a whole pooled ArrayBuffer; hand it back with `recycleBlock`. */
export function takeBlock(length: number): Buffer {
  if (length > BLOCK_SIZE) return Buffer.allocUnsafeSlow(length);
  return Buffer.from(free.pop() ?? new SharedArrayBuffer(BLOCK_SIZE), 0, length);
}

/** Whether `b` is a pooled block (a view from the start of a block-sized shared buffer). */
export function isBlockBuffer(b: Uint8Array): b is Uint8Array & { buffer: SharedArrayBuffer } {
  return b.byteOffset === 0 && b.buffer instanceof SharedArrayBuffer && b.buffer.byteLength === BLOCK_SIZE;
}

/** Takes back a block from `takeBlock` that nothing will touch again; anything else is left to the GC. */
export function recycleBlock(b: Uint8Array): void {
  if (isBlockBuffer(b) && free.length < KEEP && !free.includes(b.buffer)) free.push(b.buffer);
}

/** Bytes of these buffers that crossed between threads as copies, not as views of shared memory. */
export function copiedBytes(buffers: readonly Uint8Array[]): number {
  let n = 0;
  for (const b of buffers) if (!(b.buffer instanceof SharedArrayBuffer)) n += b.byteLength;
  return n;
}
