// Progress arrives once per 4 MiB block, which on a fast disk is hundreds of
// times a second; people and IPC channels need a few updates a second. Keeps
// the first value, then at most one per interval, and always the latest one
// (trailing), so the bar never stops short of where the job really is.

export interface Throttled<T> {
  (value: T): void;
  /** Sends a pending value now (before a final message). */
  flush(): void;
  cancel(): void;
}

export function throttle<T>(send: (value: T) => void, intervalMs: number): Throttled<T> {
  let last = 0;
  let pending: { value: T } | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const emit = (): void => {
    timer = undefined;
    if (!pending) return;
    const { value } = pending;
    pending = undefined;
    last = Date.now();
    send(value);
  };

  const fn = ((value: T) => {
    pending = { value };
    const wait = last + intervalMs - Date.now();
    if (wait <= 0) { if (timer) clearTimeout(timer); emit(); }
    else timer ??= setTimeout(emit, wait);
  }) as Throttled<T>;
  fn.flush = () => { if (timer) clearTimeout(timer); emit(); };
  fn.cancel = () => { if (timer) clearTimeout(timer); timer = undefined; pending = undefined; };
  return fn;
}
