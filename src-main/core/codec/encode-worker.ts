// Worker thread entry (built as out/main/encode-worker.js): encodes changed
// blocks for codec/encode-pool.ts. Messages carry one block's bytes, never more.
import { parentPort } from 'node:worker_threads';
import { encodeChangedBlock, type BlockJob } from './block-work';
import { Collector } from './collect';

const collector = new Collector();

parentPort?.on('message', (msg: { id: number; job: BlockJob }) => {
  try {
    const result = encodeChangedBlock(msg.job);
    const payload = result.payload;
    parentPort!.postMessage({ id: msg.id, result }, payload.byteOffset === 0 && payload.byteLength === payload.buffer.byteLength ? [payload.buffer as ArrayBuffer] : []);
  } catch (e) {
    parentPort!.postMessage({ id: msg.id, error: e instanceof Error ? e.message : String(e) });
  }
  collector.processed(msg.job.fresh.byteLength + (msg.job.old?.byteLength ?? 0));
});
