import { WeightlineError } from '../../../src-shared/errors';

// Bounded parallelism for transfers. Each task has a weight (a multipart
// upload holds PART_QUEUE parts in memory, a small object one), and tasks run
// while their weights fit in the capacity, so memory stays bounded whatever
// the number or size of the objects. On the first failure no new task starts;
// the running ones finish (or fail) and the first error is thrown.

export interface Task {
  readonly weight: number;
  readonly run: () => Promise<void>;
}

export async function runBounded(tasks: readonly Task[], capacity: number, signal?: AbortSignal): Promise<void> {
  let inUse = 0;
  let next = 0;
  let failure: { error: unknown } | null = null;
  const running = new Set<Promise<void>>();
  while (next < tasks.length || running.size > 0) {
    while (!failure && next < tasks.length && (running.size === 0 || inUse + Math.min(tasks[next]!.weight, capacity) <= capacity)) {
      if (signal?.aborted) { failure = { error: signal.reason instanceof WeightlineError ? signal.reason : new WeightlineError('CANCELLED', 'cancelled') }; break; }
      const task = tasks[next++]!;
      const w = Math.min(task.weight, capacity);
      inUse += w;
      const p: Promise<void> = task.run()
        .catch((e: unknown) => { if (!failure) failure = { error: e }; })
        .finally(() => { inUse -= w; running.delete(p); });
      running.add(p);
    }
    if (running.size === 0) break;
    await Promise.race(running);
  }
  if (failure) throw (failure as { error: unknown }).error;
}

/** Runs fn over items, at most `limit` at a time; the first error stops new work and is thrown. */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>, signal?: AbortSignal): Promise<R[]> {
  const out: R[] = new Array(items.length);
  await runBounded(items.map((item, i) => ({ weight: 1, run: async () => { out[i] = await fn(item); } })), limit, signal);
  return out;
}
