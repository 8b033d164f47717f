// Worker thread entry (built as out/main/encode-worker.js): encodes changed
// blocks for codec/encode-pool.ts. Messages carry one block's bytes, never more.
import { parentPort } from 'node:worker_threads';
import { encodeChangedBlock, type BlockJob } from './block-work';
import { Collector } from './collect';
import type { WorkerReply } from './encode-pool';

const collector = new Collector();

parentPort?.on('message', (msg: { id: number; job: BlockJob }) => {
  let reply: WorkerReply;
  let transfer: ArrayBuffer[] = [];
  try {
    const result = encodeChangedBlock(msg.job);
    const payload = result.payload;
    reply = { id: msg.id, result };
    if (payload.byteOffset === 0 && payload.byteLength === payload.buffer.byteLength) transfer = [payload.buffer as ArrayBuffer];
    // What dies here: the planes' compressed parts, about the payload's size (the payload itself moves out).
    collector.processed(payload.byteLength);
  } catch (e) {
    reply = { id: msg.id, error: e instanceof Error ? e.message : String(e) };
  }
  parentPort!.postMessage(reply, transfer);
  // Blocks that came as copies (not shared pool blocks) die here too.
  const { fresh, old } = msg.job;
  collector.processed([fresh, old].reduce((n, b) => n + (b && !(b.buffer instanceof SharedArrayBuffer) ? b.byteLength : 0), 0));
});
