// The JobRunner's fork function inside Electron: the same job entry as under
// Node (out/main/job.js), started with utilityProcess.fork so it is a proper
// Chromium child (named in the task manager, ended with the app).
import { utilityProcess } from 'electron';
import type { ExitInfo, ForkJob } from '../jobs/fork';

export const forkWithUtilityProcess: ForkJob = (entry) => {
  const child = utilityProcess.fork(entry.script, [], {
    execArgv: [...entry.execArgv],
    stdio: ['ignore', 'ignore', 'pipe'],
    serviceName: 'Weightline job',
  });
  let fatal = '';
  // V8's fatal errors (out of memory among them) arrive here, not on stderr.
  child.on('error', (_type, location) => { fatal = location; });
  return {
    get pid() { return child.pid; },
    send: (m) => child.postMessage(m),
    onMessage: (l) => { child.on('message', l); },
    onExit: (l) => {
      // utilityProcess reports no signal, only the exit code.
      child.once('exit', (code) => l({ code, signal: null, ...(fatal ? { fatal } : {}) } satisfies ExitInfo));
    },
    stderr: child.stderr,
    kill: () => {
      const p = child.pid;
      if (p === undefined) return;
      try { process.kill(p, 'SIGKILL'); } catch { child.kill(); }
    },
  };
};
