// push / fetch: the remote code (and the AWS SDK) loads only when one runs.
import type { FetchSummary, PushSummary } from '../../../src-shared/verbs';
import { progressOf, storeOf, type VerbContext } from './context';

export interface PushArgs {
  /** Remote name; default: the only remote, or origin. */
  readonly remote?: string;
  /** Commits to push with their ancestors; default: every commit. */
  readonly refs?: readonly string[];
  /** S3 endpoint for this run. */
  readonly endpoint?: string;
}

export async function push(ctx: VerbContext, args: PushArgs = {}): Promise<PushSummary> {
  const store = await storeOf(ctx);
  const { push: run } = await import('../remote/push');
  return run(store, {
    ...(args.remote ? { remote: args.remote } : {}), ...(args.refs ? { refs: args.refs } : {}), ...progressOf(ctx),
    ...(args.endpoint ? { connect: { endpoint: args.endpoint } } : {}),
  });
}

export interface FetchArgs {
  readonly remote?: string;
  readonly endpoint?: string;
}

export async function fetch(ctx: VerbContext, args: FetchArgs = {}): Promise<FetchSummary> {
  const store = await storeOf(ctx);
  const { fetchRemote } = await import('../remote/fetch');
  return fetchRemote(store, { ...(args.remote ? { remote: args.remote } : {}), ...progressOf(ctx), ...(args.endpoint ? { connect: { endpoint: args.endpoint } } : {}) });
}
