// verify: rebuild every commit and check every sha256 (objects a remote holds
// are not missing: commits that need them say so); verifyRemote checks a remote.
import { isWeightlineError } from '../../../src-shared/errors';
import type { VerifyResult } from '../../../src-shared/model';
import { progressOf, remoteHolder, storeOf, type VerbContext } from './context';

export async function verify(ctx: VerbContext): Promise<VerifyResult> {
  const store = await storeOf(ctx);
  const elsewhere = await remoteHolder(store);
  const res = await (await import('../ops/verify')).verify(store, { ...progressOf(ctx), ...(elsewhere ? { elsewhere } : {}) });
  // Tags restore nothing, so a damaged tags.json fails no commit; verify still names it (log and tag stop on it).
  const tags = await (await import('../store/tags')).readTags(store).then(() => null, (e: unknown) => {
    if (isWeightlineError(e) && e.code === 'CORRUPT') return e.message;
    throw e;
  });
  return tags ? { ...res, ok: false, files: [...(res.files ?? []), tags] } : res;
}

export interface VerifyRemoteArgs { readonly remote: string }

export async function verifyRemote(ctx: VerbContext, args: VerifyRemoteArgs): Promise<import('../remote/verify-remote').VerifyRemoteResult> {
  const store = await storeOf(ctx);
  return (await import('../remote/verify-remote')).verifyRemote(store, { remote: args.remote, ...progressOf(ctx) });
}
