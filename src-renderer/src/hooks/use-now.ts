// One shared clock for relative times: every "3m ago" on screen ticks together
// from a single timer instead of one interval per row.
import { useSyncExternalStore } from 'react';

const PERIOD_MS = 30_000;
let now = Date.now();
const listeners = new Set<() => void>();
let timer: ReturnType<typeof setInterval> | null = null;

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  timer ??= setInterval(() => { now = Date.now(); for (const l of listeners) l(); }, PERIOD_MS);
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && timer) { clearInterval(timer); timer = null; }
  };
}

export function useNow(): number {
  return useSyncExternalStore(subscribe, () => now);
}
