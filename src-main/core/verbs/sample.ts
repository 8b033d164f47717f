// sample (the CLI's demo): a generated fine-tuning run written into a missing
// or empty folder, for trying Weightline without a model of one's own.
import type { DemoResult } from '../ops/demo';
import { WeightlineError } from '../../../src-shared/errors';
import { progressOf, type VerbContext } from './context';

export type SampleResult = DemoResult;

export interface SampleArgs {
  /** A new or empty folder: absolute, or relative to the context's cwd; the context's root when absent (the sample job). */
  readonly dir?: string;
}

export async function sample(ctx: VerbContext, args: SampleArgs = {}): Promise<SampleResult> {
  const path = await import('node:path');
  const dir = args.dir ?? ctx.root;
  if (dir === undefined) throw new WeightlineError('BAD_USAGE', 'sample: expected the folder to write the sample history into, got none');
  // Loaded on use: it pulls in the whole engine, which other commands' start-up should not pay for.
  const { createDemoStore } = await import('../ops/demo');
  return createDemoStore(path.resolve(ctx.cwd ?? '.', dir), progressOf(ctx));
}
