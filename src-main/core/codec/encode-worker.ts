// Worker thread entry (built as out/main/encode-worker.js): encodes changed
// blocks for codec/encode-pool.ts. Messages carry one block's bytes, never more.
import { parentPort } from 'node:worker_threads';
import { encodeChangedBlock, type BlockJob } from './block-work';
import { Collector } from './collect';
import { copiedBytes } from './block-buffers';
import type { WorkerReply } from './encode-pool';

const collector = new Collector();

parentPort?.on('message', (msg: { id: number; job: BlockJob }) => {
  let reply: WorkerReply;
  try {
    // Sent as is: raw planes are views of the caller's shared block (job.planes),
    // compressed ones are copied across, which is all they cost on this side.
    reply = { id: msg.id, result: encodeChangedBlock(msg.job) };
  } catch (e) {
    reply = { id: msg.id, error: e instanceof Error ? e.message : String(e) };
  }
  parentPort!.postMessage(reply);
  // What dies here: compressed planes, and blocks that came as copies rather than shared.
  const { fresh, old } = msg.job;
  collector.processed(copiedBytes(reply.result?.parts ?? []) + copiedBytes(old ? [fresh, old] : [fresh]));
});
