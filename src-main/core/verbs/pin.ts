// pin / unpin. The one way to pin: a commit whose full parameters a cleanup
// removed has them rebuilt (sha256-checked) before the pin is written, so
// "pinned" always means "its full parameters are kept".
import type { LogEntry, PinResult } from '../../../src-shared/model';
import { progressOf, storeOf, type VerbContext } from './context';

export interface PinArgs { readonly commit: string; readonly pinned: boolean }

export async function pin(ctx: VerbContext, args: PinArgs): Promise<PinResult> {
  const store = await storeOf(ctx);
  return (await import('../ops/pin')).pin(store, args.commit, args.pinned, progressOf(ctx));
}

/** The pinned commits, newest first, each as `log` describes it (`pin --list`). */
export async function pins(ctx: VerbContext): Promise<readonly LogEntry[]> {
  return (await import('../ops/pin')).listPins(await storeOf(ctx));
}
