// The working copy of every path that has commits, against the newest commit
// of that path's line (core/store/tips.ts), in two speeds:
// - quickWorkingCopy: stat only, answered on the main side on every refresh.
//   A file whose (size, mtime, inode) matches what the stat cache last hashed
//   is judged by that hash; any other file makes its path "probably-changed",
//   never a hash of a multi-GB model on the main side.
// - hashWorkingCopy: the `workingCopy` job, hashing the files the quick answer
//   could not judge, off the main side. It records the hashes in the stat
//   cache, so the next quick answer is definite.
// Both judge through core/ops/working-copy.ts (the comparison status and
// commit use too).
import type { WorkingCopyState } from '../../../src-shared/contract';
import type { CommitId, PathWorkingCopy, ProgressListener } from '../../../src-shared/model';
import { combinedVerdict } from '../../../src-shared/policy/working-copy';
import { judgeWorkingCopy, locateAllWorkingCopies, StatCache } from './working-copy';
import type { CommitSummary } from '../store/log-index';
import type { Store } from '../store/store';

type Located = Awaited<ReturnType<typeof locateAllWorkingCopies>>;

function noHead(): WorkingCopyState {
  return { state: 'no-head', head: null, path: null, absPath: null, files: 0, bytes: 0, changedFiles: [], signature: '', paths: [] };
}

/** HEAD, every path's commit and every working file's size, mtime and inode: an answer holds while this is unchanged. */
function signatureOf(head: CommitId, located: Located): string {
  return [head, ...located.map((l) => `${l.path}@${l.commit}:${l.kind === null ? 'missing' : l.files.map((f) => `${f.rel}:${f.st.size}:${f.st.mtimeMs}:${f.st.ino}`).join(',')}`)].join('|');
}

function state(head: CommitId, located: Located, paths: readonly PathWorkingCopy[]): WorkingCopyState {
  // HEAD's path comes first (locateAllWorkingCopies): the top-level fields describe it, as they always did.
  const own = paths.find((p) => p.commit === head) ?? null;
  // As before, of HEAD's path and relative to it (the badge's tooltip lists them under absPath); `paths` has every path's.
  const changedFiles = own ? [...own.changes.map((c) => c.path), ...own.unknown].sort() : [];
  return {
    state: combinedVerdict(paths.map((p) => p.state)),
    head,
    path: own?.path ?? null,
    absPath: own?.absPath ?? null,
    files: own?.files ?? 0,
    bytes: own?.bytes ?? 0,
    changedFiles,
    signature: signatureOf(head, located),
    paths,
  };
}

async function headOf(store: Store): Promise<CommitId | null> {
  const headState = await store.headState();
  return headState.ok ? headState.commit : null;
}

/** Stat only: never reads a model file's bytes. The main side passes the log's summaries it holds already (one read saved per refresh). */
export async function quickWorkingCopy(store: Store, summaries?: ReadonlyMap<string, CommitSummary>): Promise<WorkingCopyState> {
  const head = await headOf(store);
  if (!head) return noHead();
  const located = await locateAllWorkingCopies(store, head, summaries);
  const cache = await StatCache.load(store);
  const paths: PathWorkingCopy[] = [];
  for (const l of located) paths.push(await judgeWorkingCopy(l, cache, { hash: false }));
  return state(head, located, paths);
}

/** The workingCopy job: hashes what the stat cache cannot vouch for, with progress; cancellable between files. */
export async function hashWorkingCopy(store: Store, opts: { onProgress?: ProgressListener; signal?: AbortSignal } = {}): Promise<WorkingCopyState> {
  const head = await headOf(store);
  if (!head) return noHead();
  const located = await locateAllWorkingCopies(store, head);
  const cache = await StatCache.load(store);
  const bytesTotal = located.reduce((s, l) => s + (l.kind === null ? 0 : l.files.reduce((a, f) => a + f.st.size, 0)), 0);
  let bytesDone = 0;
  opts.onProgress?.({ phase: 'hashing', bytesDone, bytesTotal });
  const paths: PathWorkingCopy[] = [];
  try {
    for (const l of located) {
      const judged = await judgeWorkingCopy(l, cache, {
        hash: true, ...(opts.signal ? { signal: opts.signal } : {}),
        onBytes: (n) => { bytesDone += n; opts.onProgress?.({ phase: 'hashing', bytesDone, bytesTotal }); },
      });
      // A file that vanished while hashing: say so rather than "probably".
      paths.push(judged.state === 'probably-changed' ? { ...judged, state: 'changed' } : judged);
    }
  } finally {
    await cache.save();
  }
  return state(head, located, paths);
}
