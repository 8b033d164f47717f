// How the runner starts a job process, behind one small interface so the
// Electron glue can pass utilityProcess.fork and everything else (browser
// mode, the CLI, tests) uses child_process.fork on the very same entry.
import { fork as forkChild } from 'node:child_process';
import type { JobEntry } from './job-entry';

export interface ExitInfo {
  readonly code: number | null;
  /** The signal that ended it, when the platform says (child_process does, utilityProcess does not). */
  readonly signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all. */
  readonly startError?: string;
  /** A fatal error the platform reported apart from stderr (Electron: V8's out-of-memory location). */
  readonly fatal?: string;
}

export interface JobProcess {
  readonly pid: number | undefined;
  send(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Called once, whether the process exited by itself, was killed, or never started. */
  onExit(listener: (info: ExitInfo) => void): void;
  /** The child's stderr, kept to explain a crash. */
  readonly stderr: NodeJS.ReadableStream | null;
  /** Ends it at once (SIGKILL where there are signals). */
  kill(): void;
}

export type ForkJob = (entry: JobEntry) => JobProcess;

export const forkWithNode: ForkJob = (entry) => {
  const child = forkChild(entry.script, [], {
    execArgv: [...entry.execArgv],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    serialization: 'json',
    env: process.env,
  });
  let exited = false;
  const exitListeners: Array<(info: ExitInfo) => void> = [];
  const onExit = (info: ExitInfo): void => {
    if (exited) return;
    exited = true;
    for (const l of exitListeners) l(info);
  };
  child.on('exit', (code, signal) => onExit({ code, signal }));
  // A fork that cannot start (bad script path, EAGAIN) emits 'error' and maybe no 'exit'.
  child.on('error', (e) => onExit({ code: child.exitCode, signal: child.signalCode, startError: e.message }));
  return {
    pid: child.pid,
    send: (m) => { if (child.connected) child.send(m as object); },
    onMessage: (l) => { child.on('message', l); },
    onExit: (l) => { exitListeners.push(l); },
    stderr: child.stderr,
    kill: () => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); },
  };
};
