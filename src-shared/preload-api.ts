// The shape of `window.weightline`, the only object the preload script exposes
// to the renderer through contextBridge. In browser mode there is no preload,
// so the renderer must treat it as optional.
//
// `call` resolves to a CallOutcome value rather than throwing: an Error thrown
// across contextBridge loses its class and its `code`, a plain value does not.
import type { CallName, CallOutcome, EventName, Events } from './contract';

export interface WeightlineBridge {
  readonly version: string;
  call(name: CallName, args: unknown): Promise<CallOutcome<CallName>>;
  on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): () => void;
}
