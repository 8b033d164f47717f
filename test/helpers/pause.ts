// The test side of src-main/core/base/test-pause.ts: start a child process
// (the CLI or a job process) with `env`, wait until it says it has reached a
// pause point, then kill it, signal it, or release it. The state a test kills
// or interrupts is then the state it names, however fast or slow the machine.
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { PausePoint } from '../../src-main/core/base/test-pause';

export interface Pauses {
  /** Environment for the child process: the pause points and the marker folder. */
  readonly env: Record<string, string>;
  /**
   * Resolves with the paused process's pid once it has reached `point`; rejects
   * if `exited` settles first (the process ended without getting there) or
   * after timeoutMs.
   */
  reached(point: PausePoint, exited?: Promise<unknown>, timeoutMs?: number): Promise<number>;
  /** Lets a paused process go on. */
  release(point: PausePoint): Promise<void>;
  /** Removes the marker folder. */
  dispose(): Promise<void>;
}

const POLL_MS = 10;

export async function pauses(...points: PausePoint[]): Promise<Pauses> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'wl-pause-'));
  return {
    env: { WEIGHTLINE_TEST_PAUSE: points.join(','), WEIGHTLINE_TEST_PAUSE_DIR: dir },
    async reached(point, exited, timeoutMs = 60_000) {
      let gone = false;
      void exited?.then(() => { gone = true; }, () => { gone = true; });
      const marker = path.join(dir, `${point}.reached`);
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const pid = await fs.readFile(marker, 'utf8').then(Number, () => NaN);
        // A marker being written may read empty for an instant: wait for the pid.
        if (pid > 0) return pid;
        if (gone) throw new Error(`the process ended without reaching the pause point ${point}`);
        if (Date.now() > deadline) throw new Error(`no process reached the pause point ${point} within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    },
    async release(point) {
      await fs.writeFile(path.join(dir, `${point}.release`), '');
    },
    async dispose() {
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}
