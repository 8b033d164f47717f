import * as fs from 'node:fs/promises';
import * as path from 'node:path';

// Fault injection for tests that must stop a process at a known instant (a
// kill "mid-commit", a Ctrl+C while objects are half-adopted) instead of after
// a timer, which lands anywhere, or nowhere once the operation is fast enough.
//
// WEIGHTLINE_TEST_PAUSE names one or more pause points (comma-separated) and
// WEIGHTLINE_TEST_PAUSE_DIR a folder. The first time the process reaches a named
// point it writes `<dir>/<point>.reached` (holding its pid) and waits until
// `<dir>/<point>.release` exists or the operation's AbortSignal aborts (so a
// Ctrl+C delivered while paused is handled as it would be at that instant).
// The test meanwhile kills it, signals it, or releases it. test/helpers/pause.ts
// is the test side.
//
// Outside tests the variables are unset: they are read once, at load, and a
// pause point then costs one comparison.

/** Named instants inside operations (commit.copying is called in both the copy and the reflink branch). */
export type PausePoint =
  /** A commit holds the lock and has copied some bytes of a model into a store temp file; nothing is renamed into the store. */
  | 'commit.copying'
  /** A commit has renamed its objects into objects/; the manifest (the commit point) and HEAD are not written. */
  | 'commit.before-manifest'
  /** A push has uploaded one object whole (others may be in flight); no manifest is on the remote yet. */
  | 'push.uploaded'
  /** A forget has written its operation record (state planned); no route record or object has moved yet. */
  | 'forget.planned'
  /** A forget has written the kept commits' new route records and adopted their objects; nothing is proved or moved to the trash yet. */
  | 'forget.routes-written'
  /** A forget has proved the new routes and set its record to moving; the forgotten commits are still in place. */
  | 'forget.moving'
  /** An undo holds the lock, its operation is in state `undoing`, and half of its files are back out of the trash. */
  | 'undo.moving';

const POINTS = new Set((process.env.WEIGHTLINE_TEST_PAUSE ?? '').split(',').map((p) => p.trim()).filter(Boolean));
const DIR = process.env.WEIGHTLINE_TEST_PAUSE_DIR ?? '';
const RELEASE_POLL_MS = 10;
const paused = new Set<PausePoint>();

/**
 * Waits at `point` when a test asked for it (see above); otherwise returns at once.
 * `signal` ends the wait early, as a release would.
 */
export function pausePoint(point: PausePoint, signal?: AbortSignal): Promise<void> | undefined {
  if (POINTS.size === 0 || !POINTS.has(point) || paused.has(point)) return undefined;
  paused.add(point);
  return pauseHere(point, signal);
}

async function pauseHere(point: PausePoint, signal?: AbortSignal): Promise<void> {
  if (!DIR) throw new Error(`WEIGHTLINE_TEST_PAUSE names ${point} but WEIGHTLINE_TEST_PAUSE_DIR is unset: no folder to write the marker to`);
  const release = path.join(DIR, `${point}.release`);
  await fs.writeFile(path.join(DIR, `${point}.reached`), String(process.pid));
  // Polling a file works for the CLI and both kinds of job process alike, and
  // needs nothing from the test but a file it creates.
  while (!signal?.aborted && !(await fs.access(release).then(() => true, () => false))) {
    await new Promise<void>((resolve) => {
      const done = (): void => { clearTimeout(timer); signal?.removeEventListener('abort', done); resolve(); };
      const timer = setTimeout(done, RELEASE_POLL_MS);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}
