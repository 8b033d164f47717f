// watch and import: a training run's folder followed (or read once) and each
// complete checkpoint committed on the run's line (ops/run-follow.ts).
import type { RunFollowResult } from '../../../src-shared/model';
import { WeightlineError } from '../../../src-shared/errors';
import type { VerbContext } from './context';

export interface WatchArgs {
  readonly dir: string;
  readonly then: 'keep' | 'remove';
  readonly keepNewest: number;
  readonly once: boolean;
}

export interface ImportArgs {
  readonly dir: string;
  readonly base?: string;
}

// Filled in by the watch work of this session (placeholder while it is written; never released).
export async function watch(_ctx: VerbContext, _args: WatchArgs): Promise<RunFollowResult> {
  throw new WeightlineError('INTERNAL', 'watch is not written yet');
}

export async function importRun(_ctx: VerbContext, _args: ImportArgs): Promise<RunFollowResult> {
  throw new WeightlineError('INTERNAL', 'import is not written yet');
}
