// log: the history newest first, from the log index (one file), with each
// commit's location when the store has remotes; HEAD's state beside it, since
// a damaged HEAD must not hide the log (it is how one picks what to restore).
import * as path from 'node:path';
import type { CommitId, LogEntry } from '../../../src-shared/model';
import { locations, storeOf, summariesOf, type VerbContext } from './context';

export interface LogResult {
  readonly head: CommitId | null;
  /** Set when HEAD is damaged (head is then null): what is wrong and what to do. */
  readonly headProblem?: string;
  readonly commits: readonly LogEntry[];
}

export interface LogArgs {
  /** Only the commits of this model file or folder (absolute, or relative to ctx.cwd): its own line of history. */
  readonly path?: string;
  /** At most this many commits, the newest (`log -n N`); the head facts stay whole. */
  readonly maxCount?: number;
}

export async function log(ctx: VerbContext, args: LogArgs = {}): Promise<LogResult> {
  const store = await storeOf(ctx);
  const head = await store.headState();
  const only = args.path === undefined ? undefined : path.resolve(ctx.cwd ?? store.root, args.path);
  const commits = await (ctx.memo ?? ((_k, make) => make()))(only === undefined ? 'log' : `log:${only}`, async () => {
    const summaries = await summariesOf(ctx, store);
    const { log: entriesOf } = await import('../ops/inspect');
    const entries = await entriesOf(store, summaries, only === undefined ? {} : { path: only });
    const where = await locations(store, summaries);
    return where ? entries.map((e) => ({ ...e, location: where.commits.get(e.id) ?? ('local' as const) })) : entries;
  });
  const shown = args.maxCount === undefined ? commits : commits.slice(0, args.maxCount);
  return { head: head.ok ? head.commit : null, ...(head.ok ? {} : { headProblem: head.error.message }), commits: shown };
}
