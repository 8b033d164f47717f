// WeightlineApi over the preload bridge: the bridge returns CallOutcome values
// (errors survive contextBridge as plain data); here they become a resolved
// value or a thrown WeightlineError with its code, like the browser client.
import type { CallArgs, CallName, CallResults, WeightlineApi } from '../../../src-shared/contract';
import { WeightlineError } from '../../../src-shared/errors';
import type { WeightlineBridge } from '../../../src-shared/preload-api';

export function createElectronClient(bridge: WeightlineBridge): WeightlineApi {
  return {
    transport: 'electron',
    async call<N extends CallName>(name: N, args: CallArgs<N>): Promise<CallResults[N]> {
      const outcome = await bridge.call(name, args);
      if (!outcome.ok) throw WeightlineError.fromJSON(outcome.error);
      return outcome.value as CallResults[N];
    },
    on: (event, listener) => bridge.on(event, listener),
  };
}
