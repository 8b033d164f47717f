import { constants } from 'node:os';
import { WeightlineError } from '../../src-shared/errors';
import { lockActivity, releaseHeldLocksSync } from '../core/verbs/locks';

// Ctrl+C (SIGINT) and SIGTERM on a CLI command. The first signal aborts the
// running operation's AbortSignal: the operation throws CANCELLED, removes its
// temp files and releases its lock on the way out, and main() prints that the
// store is as before and returns 128 + the signal's number (130, 143), as
// shells expect of a program a signal stopped. A command that neither holds
// nor is taking the write lock has nothing to undo and exits at once. A second
// signal, or an operation still running GRACE_MS later, exits at once too,
// after dropping our own lock synchronously (a lock is removed only if its
// token is ours); its temp files are swept by the next writer, and every
// store write being temp + fsync + rename, no committed version is harmed.

export const GRACE_MS = 3000;

export const INTERRUPTED = 'weightline: interrupted; the store is as before';

export interface Interrupt {
  /** Aborted on the first signal; its reason is a CANCELLED WeightlineError. */
  readonly signal: AbortSignal;
  /** The signal received, if any. */
  received(): NodeJS.Signals | null;
  /** The exit status for the signal received: 128 + its number. */
  exitCode(): number;
  /** Stops listening: a signal after this takes its default action. */
  dispose(): void;
}

export interface InterruptOptions {
  readonly stderr: { write(s: string): unknown };
  readonly graceMs?: number;
  /** For tests; the default is process.exit. */
  readonly exit?: (code: number) => void;
}

export function installInterrupt(opts: InterruptOptions): Interrupt {
  const controller = new AbortController();
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  let got: NodeJS.Signals | null = null;
  let timer: NodeJS.Timeout | undefined;
  const code = (): number => (got ? 128 + (constants.signals[got] ?? 0) : 0);

  const force = (why: string): void => {
    releaseHeldLocksSync();
    opts.stderr.write(`weightline: interrupted (${why}); stopped without unwinding: its lock is released and the next write removes its temp files; committed versions are intact\n`);
    exit(code());
  };

  const onSignal = (sig: NodeJS.Signals): void => {
    if (got) { force(`second ${sig}`); return; }
    got = sig;
    if (!lockActivity()) {
      // Reading commands hold nothing and leave nothing behind.
      opts.stderr.write(`${INTERRUPTED}\n`);
      exit(code());
      return;
    }
    controller.abort(new WeightlineError('CANCELLED', `interrupted by ${sig}`));
    timer = setTimeout(() => force(`still running ${Math.round((opts.graceMs ?? GRACE_MS) / 1000)} s after ${sig}`), opts.graceMs ?? GRACE_MS);
    // The operation unwinding is what keeps the process alive, not this timer.
    timer.unref();
  };

  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    received: () => got,
    exitCode: code,
    dispose: () => {
      if (timer) clearTimeout(timer);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
