// A WeightlineApi the renderer's actions can run against in a test: each call
// is answered by a handler the test sets (or held open until the test answers
// it, to order two answers), every call is recorded, and events are emitted by
// the test as the main side would send them.
import type { CallArgs, CallName, CallResults, EventName, Events, WeightlineApi } from '../../src-shared/contract';
import { WeightlineError } from '../../src-shared/errors';
import type { CommitId, LogEntry } from '../../src-shared/model';

type Handler<N extends CallName> = (args: CallArgs<N>) => CallResults[N] | Promise<CallResults[N]>;

export interface RecordedCall {
  readonly name: CallName;
  readonly args: unknown;
}

export interface FakeApi extends WeightlineApi {
  readonly calls: RecordedCall[];
  answer<N extends CallName>(name: N, handler: Handler<N>): void;
  /** The next call of `name` waits until the test resolves it. */
  hold<N extends CallName>(name: N): Held<N>;
  emit<E extends EventName>(event: E, payload: Events[E]): void;
  callsOf(name: CallName): unknown[];
  listeners(event: EventName): number;
}

export interface Held<N extends CallName> {
  /** Resolves once the call was made. */
  readonly asked: Promise<CallArgs<N>>;
  resolve(value: CallResults[N]): void;
}

export function fakeApi(): FakeApi {
  const handlers = new Map<CallName, Handler<CallName>>();
  const held = new Map<CallName, Array<{ asked: (a: unknown) => void; answer: Promise<unknown> }>>();
  const listeners = new Map<EventName, Set<(p: never) => void>>();
  const calls: RecordedCall[] = [];
  return {
    transport: 'browser',
    calls,
    async call<N extends CallName>(name: N, args: CallArgs<N>): Promise<CallResults[N]> {
      calls.push({ name, args });
      const waiting = held.get(name)?.shift();
      if (waiting) {
        waiting.asked(args);
        return (await waiting.answer) as CallResults[N];
      }
      const h = handlers.get(name) as Handler<N> | undefined;
      if (!h) throw new WeightlineError('INTERNAL', `the test gave no answer for ${name}`);
      return h(args);
    },
    on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): () => void {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener as (p: never) => void);
      return () => { set.delete(listener as (p: never) => void); };
    },
    answer(name, handler) {
      handlers.set(name, handler as Handler<CallName>);
    },
    hold<N extends CallName>(name: N): Held<N> {
      let asked!: (a: unknown) => void;
      let resolve!: (v: unknown) => void;
      const askedP = new Promise<unknown>((r) => { asked = r; });
      const answer = new Promise<unknown>((r) => { resolve = r; });
      const queue = held.get(name) ?? [];
      queue.push({ asked, answer });
      held.set(name, queue);
      return { asked: askedP as Promise<CallArgs<N>>, resolve: (v) => resolve(v) };
    },
    emit(event, payload) {
      for (const l of [...(listeners.get(event) ?? [])]) (l as (p: typeof payload) => void)(payload);
    },
    callsOf(name) {
      return calls.filter((c) => c.name === name).map((c) => c.args);
    },
    listeners(event) {
      return listeners.get(event)?.size ?? 0;
    },
  };
}

export const cid = (s: string): CommitId => s.padEnd(64, '0') as CommitId;

export function entry(id: CommitId, over: Partial<LogEntry> = {}): LogEntry {
  return {
    id, parent: null, type: 'DELTA', message: `commit ${id.slice(0, 4)}`, createdAt: '2026-01-01T00:00:00.000Z',
    logicalBytes: 1000, fullBytes: 1000, deltaBytes: 100, path: 'model.safetensors', hasFull: true, chainLength: 0, pinned: false,
    ...over,
  };
}

/** Resolves when the store's state satisfies `pred` (at once if it already does): ordering by the store's own updates, not by time. */
export function until<S>(store: { getState(): S; subscribe(l: (s: S) => void): () => void }, pred: (s: S) => boolean): Promise<S> {
  return new Promise((resolve) => {
    if (pred(store.getState())) { resolve(store.getState()); return; }
    const off = store.subscribe((s) => { if (pred(s)) { off(); resolve(s); } });
  });
}
