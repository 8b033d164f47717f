// Time left for a job from its progress samples. Uses the rate over the last
// few seconds rather than since the start, because phases (hashing, encoding)
// run at different speeds.
export interface ProgressSample {
  readonly at: number;
  readonly bytesDone: number;
}

const WINDOW_MS = 5000;

export function secondsLeft(samples: readonly ProgressSample[], bytesTotal: number): number | null {
  const last = samples[samples.length - 1];
  if (!last || bytesTotal <= 0 || last.bytesDone >= bytesTotal) return null;
  let first = samples[0]!;
  for (const s of samples) {
    if (last.at - s.at <= WINDOW_MS) { first = s; break; }
  }
  const dt = (last.at - first.at) / 1000;
  const db = last.bytesDone - first.bytesDone;
  if (dt <= 0.2 || db <= 0) return null;
  return (bytesTotal - last.bytesDone) / (db / dt);
}

/** Keep a bounded sample list: enough for the window, never growing with job length. */
export function addSample(samples: readonly ProgressSample[], s: ProgressSample): ProgressSample[] {
  const next = [...samples, s];
  return next.length > 64 ? next.slice(next.length - 64) : next;
}
