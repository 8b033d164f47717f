// watch and import: a training run's folder followed (or read once) and each
// complete checkpoint committed on the run's line (ops/run-follow.ts).
import type { CommitId, RunCheckpointReport, RunFollowResult } from '../../../src-shared/model';
import type { TrainerRecognition } from '../trainers/checkpoint';
import { progressOf, storeOf, type VerbContext } from './context';

export interface WatchArgs {
  readonly dir: string;
  readonly then: 'keep' | 'remove';
  readonly keepNewest: number;
  readonly once: boolean;
  /** How long a captured checkpoint's files must keep their size, mtime and inode before its commit (default 1 s). */
  readonly settleMs?: number;
  /** Each checkpoint as it lands (the CLI prints a line each). */
  readonly onCheckpoint?: (r: RunCheckpointReport) => void;
  /** Another recognizer (tests); the default is the trainers layer's. */
  readonly recognition?: TrainerRecognition;
}

export interface ImportArgs {
  readonly dir: string;
  /** A commit (any ref): the run's first checkpoint is stored on it. */
  readonly base?: string;
  readonly settleMs?: number;
  readonly onCheckpoint?: (r: RunCheckpointReport) => void;
  readonly recognition?: TrainerRecognition;
}

export async function watch(ctx: VerbContext, args: WatchArgs): Promise<RunFollowResult> {
  const store = await storeOf(ctx);
  const path = await import('node:path');
  const { followRun } = await import('../ops/run-follow');
  return followRun(store, path.resolve(ctx.cwd ?? store.root, args.dir), {
    recognition: args.recognition ?? (await recognition()),
    mode: 'watch', once: args.once, then: args.then, keepNewest: args.keepNewest,
    ...(args.settleMs !== undefined ? { settleMs: args.settleMs } : {}),
    ...(args.onCheckpoint ? { onCheckpoint: args.onCheckpoint } : {}),
    ...progressOf(ctx),
  });
}

export async function importRun(ctx: VerbContext, args: ImportArgs): Promise<RunFollowResult> {
  const store = await storeOf(ctx);
  const path = await import('node:path');
  const { followRun } = await import('../ops/run-follow');
  let base: CommitId | undefined;
  if (args.base !== undefined) base = await (await import('../store/history')).resolveCommit(store, args.base);
  return followRun(store, path.resolve(ctx.cwd ?? store.root, args.dir), {
    recognition: args.recognition ?? (await recognition()),
    mode: 'import',
    ...(base ? { base } : {}),
    ...(args.settleMs !== undefined ? { settleMs: args.settleMs } : {}),
    ...(args.onCheckpoint ? { onCheckpoint: args.onCheckpoint } : {}),
    ...progressOf(ctx),
  });
}

/** The trainers layer's recognizer. */
async function recognition(): Promise<TrainerRecognition> {
  return (await import('../trainers/recognize')).recognition;
}
