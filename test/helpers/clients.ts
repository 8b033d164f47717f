// The two transports of the contract as WeightlineApi clients, so one suite
// runs over both: the ApiService in-process, and the renderer's own browser
// client (src-renderer/src/api/browser-client.ts) against the HTTP/WS server.
import { WebSocket } from 'ws';
import type { CallArgs, CallName, CallResults, WeightlineApi } from '../../src-shared/contract';
import { WeightlineError } from '../../src-shared/errors';
import type { ApiService } from '../../src-main/app/api-service';

export function localClient(service: ApiService): WeightlineApi {
  return {
    transport: 'electron',
    async call<N extends CallName>(name: N, args: CallArgs<N>): Promise<CallResults[N]> {
      const outcome = await service.call(name, args);
      if (!outcome.ok) throw WeightlineError.fromJSON(outcome.error);
      return outcome.value as CallResults[N];
    },
    on: (event, listener) => service.on(event, listener),
  };
}

interface BrowserClientModule {
  createBrowserClient(opts: { base: string; token: string }): WeightlineApi;
}

/** The renderer's browser client, in Node: fetch is built in, WebSocket comes from ws (Node 20 has none). */
export async function httpClient(base: string, token: string): Promise<WeightlineApi> {
  (globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;
  // Imported by path so the Node typecheck does not pull DOM-typed renderer code in.
  const modulePath = '../../src-renderer/src/api/browser-client';
  const mod = (await import(/* @vite-ignore */ modulePath)) as BrowserClientModule;
  return mod.createBrowserClient({ base, token });
}
