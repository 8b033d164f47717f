// watch and import: a training run's folder followed in the foreground, or a
// finished one read once. A line per checkpoint on stdout; on a terminal, a
// live status line on stderr; the summary when it stops (Ctrl+C stops a watch
// cleanly: the commit under way is undone, captures are dropped).
import { Option, type Command } from 'commander';
import type { Progress, RunCheckpointReport, RunFollowResult } from '../../src-shared/model';
import { printable } from '../../src-shared/printable';
import { verbs, type VerbContext } from '../core/verbs';
import type { CommandContext } from './command-context';
import { formatRunCheckpoint, formatRunSummary } from './run-words';

export interface RunCommandContext extends CommandContext {
  /** What a verb is given: the folder (after -C), the running command's AbortSignal, and a progress listener. */
  verbCtx(p?: { update: VerbContext['onProgress'] }): VerbContext;
  /** The terminal the live status line goes to (stderr), or undefined when it is not one. */
  liveStream(): NodeJS.WriteStream | undefined;
  /** Sets the exit status (1 when it stopped on a full disk). */
  setExit(code: number): void;
}

/** A whole number within bounds, given on the command line. */
function wholeOption(name: string, value: string, min: number, max: number): number {
  const n = /^\d+$/u.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new RunUsageError(`${name} takes a whole number from ${min} to ${max}; found "${value}"`);
  return n;
}

export class RunUsageError extends Error {}

export function registerRun(program: Command, ctx: RunCommandContext): void {
  program.command('watch')
    .description('follow a training run\'s output folder: commit each checkpoint its trainer completes, in order, until Ctrl+C')
    .argument('<dir>', 'the trainer\'s output folder (HF Trainer output_dir, Lightning dirpath, a folder of .pt/.safetensors saves …)')
    .addOption(new Option('--then <what>', 'after a checkpoint\'s commit is proved to rebuild: keep the trainer\'s copy, or remove it').choices(['keep', 'remove']).default('keep'))
    .option('--keep-newest <n>', 'with --then remove: keep the newest N complete checkpoints (so the trainer can resume)', '1')
    .option('--settle <ms>', 'how long a checkpoint\'s files must stay unchanged before it is committed', '1000')
    .option('--once', 'commit what is complete now, then stop')
    .option('--json', 'print JSON when it stops: {"run","trainer","checkpoints":[{"checkpoint","commit","already"?,"meta"?,"skipped"?}],"removed","stopped","notes"}')
    .action(async (dir: string, o: { then: 'keep' | 'remove'; keepNewest: string; settle: string; once?: boolean; json?: boolean }) => {
      const keepNewest = wholeOption('--keep-newest', o.keepNewest, 1, 1000);
      const settleMs = wholeOption('--settle', o.settle, 0, 3_600_000);
      const res = await follow(ctx, !!o.json, (vctx, onCheckpoint) => verbs.watch(vctx, { dir, then: o.then, keepNewest, once: !!o.once, settleMs, onCheckpoint }));
      show(ctx, res, 'watch', !!o.json);
    });

  program.command('import')
    .description('commit every complete checkpoint of a finished run\'s folder, in step order (run it again to go on: what is committed is found by its bytes)')
    .argument('<dir>', 'the run\'s output folder')
    .option('--base <ref>', 'store the run\'s first checkpoint on this commit (runs fine-tuned from one model become sibling lines)')
    .option('--json', 'print JSON: as watch --json')
    .action(async (dir: string, o: { base?: string; json?: boolean }) => {
      const res = await follow(ctx, !!o.json, (vctx, onCheckpoint) => verbs.importRun(vctx, { dir, ...(o.base ? { base: o.base } : {}), onCheckpoint }));
      show(ctx, res, 'import', !!o.json);
    });
}

async function follow(
  ctx: RunCommandContext, json: boolean,
  run: (vctx: VerbContext, onCheckpoint: (r: RunCheckpointReport) => void) => Promise<RunFollowResult>,
): Promise<RunFollowResult> {
  const live = json ? undefined : ctx.liveStream();
  let shown = false;
  let last = 0;
  const clear = (): void => { if (shown) { live?.write('\r\x1b[K'); shown = false; } };
  const update = (p: Progress): void => {
    if (!live || !p.detail) return;
    const now = Date.now();
    if (now - last < 100) return;
    last = now;
    // The status names the user's folder and checkpoints: no byte of it may drive the terminal.
    const width = Math.max(20, (live.columns || 100) - 1);
    live.write(`\r${printable(p.detail).slice(0, width)}\x1b[K`);
    shown = true;
  };
  try {
    return await run(ctx.verbCtx({ update }), (r) => {
      if (json) return;
      clear();
      ctx.out(formatRunCheckpoint(r));
    });
  } finally {
    clear();
  }
}

function show(ctx: RunCommandContext, res: RunFollowResult, verb: 'watch' | 'import', json: boolean): void {
  if (json) ctx.json(res);
  else ctx.out(formatRunSummary(res, verb));
  if (res.stopped === 'disk-full' || res.stopped === 'over-budget') ctx.setExit(1);
}
