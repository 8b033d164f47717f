// What a job does, given a store root and a validated request: one call into
// the core per kind. Runs inside the job process (job-process.ts); kept apart
// from the process plumbing so it reads as the list of jobs there are.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { JobRequest, JobResult } from '../../src-shared/contract';
import type { CommitId, ProgressListener } from '../../src-shared/model';
import { cleanup, cleanupPlan, cleanupPlanWith } from '../core/ops/cleanup';
import { commit } from '../core/ops/commit';
import { pin } from '../core/ops/pin';
import { createDemoStore } from '../core/ops/demo';
import { diff, status } from '../core/ops/inspect';
import { repair } from '../core/ops/repair';
import { restore } from '../core/ops/restore';
import { verify } from '../core/ops/verify';
import { Store } from '../core/store/store';
import { hashWorkingCopy } from './working-copy-check';

// The remote code (and the AWS SDK under it) loads only for a store that has remotes.
async function hasRemotes(store: Store): Promise<boolean> {
  return (await fs.stat(path.join(store.dir, 'remotes.json')).catch(() => null)) !== null;
}

async function remoteHolder(store: Store): Promise<((sha: string) => string | null) | undefined> {
  return (await hasRemotes(store)) ? (await import('../core/remote/remotes')).remoteObjectHolder(store) : undefined;
}

export interface RunJobOptions {
  readonly onProgress: ProgressListener;
  readonly signal: AbortSignal;
}

export async function runJob(root: string, request: JobRequest, opts: RunJobOptions): Promise<JobResult> {
  const { onProgress, signal } = opts;
  // The one job whose root is not a store yet: it makes one.
  if (request.kind === 'sample') {
    const made = await createDemoStore(root, { onProgress, signal });
    const head = made.commits[made.commits.length - 1] ?? null;
    return { kind: 'sample', value: { root: made.root, head } };
  }
  const store = await Store.open(root);
  switch (request.kind) {
    case 'commit':
      return { kind: 'commit', value: await commit(store, request.path, { message: request.message, checkpoint: request.checkpoint ?? false, skipUnchanged: !request.allowEmpty, onProgress, signal }) };
    case 'restore': {
      // A commit whose objects are on a remote: its route's objects are downloaded first (issue 14, "Fetch and restore").
      const fetchObjects = (await hasRemotes(store)) ? await (await import('../core/remote/lazy')).remoteObjectFetcher(store, { onProgress }) : undefined;
      return {
        kind: 'restore',
        value: await restore(store, request.commit, {
          ...(request.to ? { to: request.to } : {}), force: request.force ?? false, link: request.link ?? 'auto', onProgress, signal,
          ...(fetchObjects ? { fetchObjects } : {}),
        }),
      };
    }
    case 'cleanup':
      return { kind: 'cleanup', value: await cleanup(store, { onProgress, signal }) };
    case 'pin':
      return { kind: 'pin', value: await pin(store, request.commit, request.pinned, { onProgress, signal }) };
    case 'verify': {
      // Objects a remote holds are not missing: commits that need them say so.
      const elsewhere = await remoteHolder(store);
      return { kind: 'verify', value: await verify(store, { onProgress, signal, ...(elsewhere ? { elsewhere } : {}) }) };
    }
    case 'diff':
      // diff reports no progress of its own; say which phase it is in.
      onProgress({ phase: 'comparing', bytesDone: 0, bytesTotal: 0 });
      return { kind: 'diff', value: await diff(store, request.from, request.to) };
    case 'repair': {
      const elsewhere = await remoteHolder(store);
      return { kind: 'repair', value: await repair(store, { dryRun: request.dryRun, onProgress, signal, ...(elsewhere ? { elsewhere } : {}) }) };
    }
    case 'push': {
      const { push } = await import('../core/remote/push');
      const r = await push(store, { ...(request.remote ? { remote: request.remote } : {}), onProgress, signal });
      return { kind: 'push', value: { ...r, commits: r.commits as CommitId[] } };
    }
    case 'fetch': {
      const { fetchRemote } = await import('../core/remote/fetch');
      return { kind: 'fetch', value: await fetchRemote(store, { ...(request.remote ? { remote: request.remote } : {}), onProgress, signal }) };
    }
    case 'status':
      onProgress({ phase: 'hashing', bytesDone: 0, bytesTotal: 0 });
      return { kind: 'status', value: await status(store) };
    case 'cleanupPreview':
      // Planning, then measuring every block the run would pack (exact figures; measurements are cached per object).
      onProgress({ phase: 'planning', bytesDone: 0, bytesTotal: 0 });
      return { kind: 'cleanupPreview', value: request.keepFullLatest === undefined ? await cleanupPlan(store, { onProgress, signal }) : await cleanupPlanWith(store, { keepFullLatest: request.keepFullLatest }, { onProgress, signal }) };
    case 'workingCopy':
      return { kind: 'workingCopy', value: await hashWorkingCopy(store, { onProgress, signal }) };
  }
}
