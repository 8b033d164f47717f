// The verb layer: one function per verb, `(ctx, args) => Promise<Result>`,
// which the CLI, the job process and the app's main side all call. Each verb
// owns finding the store, locking, guards, the remote hooks and its result
// type; the runtimes parse arguments, call a verb and show its result.
// Every verb loads the engine under it on use, so importing this file costs
// nothing at the CLI's start-up.
import type { JobArgs, JobKind, JobRequest, JobResult, JobResults } from '../../../src-shared/verbs';
import type { VerbContext } from './context';
import { cleanup, cleanupPreview } from './cleanup';
import { clone } from './clone';
import { commit } from './commit';
import { configClamped, configGet, configSet } from './config';
import { diff } from './diff';
import { init } from './init';
import { log } from './log';
import { pin, pins } from './pin';
import { fetch, push } from './push';
import { remoteAdd, remoteList, remoteNames, remoteRemove } from './remote';
import { repair } from './repair';
import { restore } from './restore';
import { sample } from './sample';
import { headOf, show } from './show';
import { status, statusExtras, statusQuick } from './status';
import { verify, verifyRemote } from './verify';
import { workingCopy, workingCopyQuick } from './working-copy';
import { importRun, watch } from './watch';
import { tag, tags } from './tag';
import { forget, ops, retentionGet, retentionSet, undo } from './forget';

export type { VerbContext, Store } from './context';
export { openStore, findStore } from './context';
export type { InitResult } from './init';
export type { LogResult } from './log';
export type { CloneOutcome } from './clone';
export type { SampleResult } from './sample';
export type { RemoteCounts } from './status';

export const verbs = {
  init, commit, log, show, headOf, diff, status, statusQuick, statusExtras, restore, cleanup, cleanupPreview,
  verify, verifyRemote, repair, pin, pins, configGet, configSet, configClamped, remoteAdd, remoteRemove, remoteList, remoteNames,
  push, fetch, clone, sample, workingCopy, workingCopyQuick, watch, importRun, tag, tags,
  forget, undo, ops, retentionGet, retentionSet,
} as const;

/** Each job kind's verb, given the request its schema checked. */
const JOB_RUNNERS: { readonly [K in JobKind]: (ctx: VerbContext, args: JobArgs<K>) => Promise<JobResults[K]> } = {
  commit: (ctx, a) => commit(ctx, a),
  restore: (ctx, a) => restore(ctx, { commit: a.commit, ...(a.to ? { to: a.to } : {}), force: a.force, link: a.link }),
  cleanup: (ctx) => cleanup(ctx),
  pin: (ctx, a) => pin(ctx, a),
  verify: (ctx) => verify(ctx),
  diff: (ctx, a) => diff(ctx, a),
  repair: (ctx, a) => repair(ctx, a),
  status: (ctx) => status(ctx),
  cleanupPreview: (ctx, a) => cleanupPreview(ctx, a.keepFullLatest === undefined ? {} : { keepFullLatest: a.keepFullLatest }),
  // The one job whose root is not a store yet: it makes one there.
  sample: async (ctx) => {
    const made = await sample(ctx);
    return { root: made.root, head: made.commits[made.commits.length - 1] ?? null };
  },
  workingCopy: (ctx) => workingCopy(ctx),
  push: (ctx, a) => push(ctx, a.remote ? { remote: a.remote } : {}),
  fetch: (ctx, a) => fetch(ctx, a.remote ? { remote: a.remote } : {}),
  tag: (ctx, a) => tag(ctx, { name: a.name, commit: a.commit }),
  watch: (ctx, a) => watch(ctx, a),
  import: (ctx, a) => importRun(ctx, { dir: a.dir, ...(a.base ? { base: a.base } : {}) }),
  forget: (ctx, a) => forget(ctx, { policy: a.policy, refs: a.refs, dryRun: a.dryRun }),
  undo: (ctx, a) => undo(ctx, { op: a.op }),
};

/** Runs one job request (already checked by its schema, defaults applied) through its verb. */
export async function runJobVerb(ctx: VerbContext, request: JobArgs | JobRequest): Promise<JobResult> {
  const run = JOB_RUNNERS[request.kind] as (ctx: VerbContext, args: unknown) => Promise<unknown>;
  return { kind: request.kind, value: await run(ctx, request) } as JobResult;
}
