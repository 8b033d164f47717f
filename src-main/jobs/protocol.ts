// Messages between the JobRunner (main side) and a job process. One process
// runs one job: the parent sends `start`, maybe `cancel`; the child answers
// with `progress` messages and exactly one `done` or `failed`, then exits.
// Only paths, ids, figures and error values cross: never model bytes.
import { z } from 'zod';
import { jobRequest, type JobResult } from '../../src-shared/contract';
import type { WeightlineErrorJSON } from '../../src-shared/errors';
import type { Progress } from '../../src-shared/model';

export const toChild = z.discriminatedUnion('type', [
  z.object({ type: z.literal('start'), root: z.string().min(1), request: jobRequest }),
  z.object({ type: z.literal('cancel') }),
]);
export type ToChild = z.input<typeof toChild>;

export type FromChild =
  | { readonly type: 'progress'; readonly progress: Progress }
  | { readonly type: 'done'; readonly result: JobResult }
  /** internal: the error was not a WeightlineError (a bug), its message is kept. */
  | { readonly type: 'failed'; readonly error: WeightlineErrorJSON; readonly internal: boolean };

const progress = z.object({ phase: z.string(), bytesDone: z.number(), bytesTotal: z.number(), detail: z.string().max(1000).optional() });
const errorJson = z.object({ code: z.string(), message: z.string(), file: z.string().optional() });

// The child is our own code, but a message is still checked for its shape
// where it arrives: a malformed one is reported, not trusted.
export const fromChild = z.discriminatedUnion('type', [
  z.object({ type: z.literal('progress'), progress }),
  z.object({ type: z.literal('done'), result: z.object({ kind: z.string(), value: z.unknown() }) }),
  z.object({ type: z.literal('failed'), error: errorJson, internal: z.boolean() }),
]);
