// The job process's line to its parent, whichever way it was started:
// Electron's utilityProcess.fork gives `process.parentPort` (messages arrive as
// events with a `data` field); child_process.fork gives `process.send` and
// 'message' events. The job code sees one small interface and never imports
// electron, so the same file runs in the app, in browser mode and in tests.

export interface ParentPort {
  post(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Ends the process once every posted message has left it. */
  close(exitCode?: number): void;
}

interface ElectronParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
}

// Electron gives no "message delivered" callback; the runner also ends a
// process that lingers after its final message, so this is only a grace period.
const ELECTRON_EXIT_DELAY_MS = 200;

export function connectParent(): ParentPort {
  const electronPort = (process as unknown as { parentPort?: ElectronParentPort }).parentPort;
  if (electronPort) {
    return {
      post: (m) => electronPort.postMessage(m),
      onMessage: (l) => electronPort.on('message', (e) => l(e.data)),
      close: (code = 0) => { setTimeout(() => process.exit(code), ELECTRON_EXIT_DELAY_MS).unref(); },
    };
  }
  const send = process.send?.bind(process);
  if (!send) throw new Error('the job process must be started by the Weightline app (utilityProcess.fork, or child_process.fork with an IPC channel)');
  let inFlight = 0;
  let closing: number | undefined;
  const maybeExit = (): void => { if (closing !== undefined && inFlight === 0) process.exit(closing); };
  return {
    post: (m) => {
      inFlight++;
      // The callback runs once the message is written to the channel, so
      // exiting after it cannot lose the final result.
      send(m, undefined, {}, () => { inFlight--; maybeExit(); });
    },
    onMessage: (l) => { process.on('message', l); },
    close: (code = 0) => { closing = code; maybeExit(); },
  };
}
