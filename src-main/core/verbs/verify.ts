// verify: rebuild every commit and check every sha256 (objects a remote holds
// are not missing: commits that need them say so); verifyRemote checks a remote.
import type { VerifyResult } from '../../../src-shared/model';
import { progressOf, remoteHolder, storeOf, type VerbContext } from './context';

export async function verify(ctx: VerbContext): Promise<VerifyResult> {
  const store = await storeOf(ctx);
  const elsewhere = await remoteHolder(store);
  return (await import('../ops/verify')).verify(store, { ...progressOf(ctx), ...(elsewhere ? { elsewhere } : {}) });
}

export interface VerifyRemoteArgs { readonly remote: string }

export async function verifyRemote(ctx: VerbContext, args: VerifyRemoteArgs): Promise<import('../remote/verify-remote').VerifyRemoteResult> {
  const store = await storeOf(ctx);
  return (await import('../remote/verify-remote')).verifyRemote(store, { remote: args.remote, ...progressOf(ctx) });
}
