// "Does the working copy equal this commit?" written once. The status verb,
// the app's working-copy state (quick stat-only answer and the hashing job)
// and commit's "nothing changed" check all come here, so they cannot
// disagree about a renamed, deleted or added file.
//
// Pure: the caller lists the working files and hashes what it can (a hash is
// null when only hashing could tell, e.g. a stat that changed since the last
// hash on the stat-only path). Files the store never writes back (reserved
// folders such as `.git`) are the caller's to leave out of `committed`.

import type { FileChange, PathWorkingCopy, WorkingCopyVerdict } from '../model';

export type { FileChange, PathWorkingCopy, WorkingCopyVerdict };

export interface WorkingCopyComparison {
  /**
   * matches: every file is there with the commit's bytes and nothing else is;
   * changed: some file is known to differ (modified, deleted or added);
   * probably-changed: no difference is known, but some file could only be
   * judged by hashing it; missing: nothing at the commit's path.
   */
  readonly verdict: WorkingCopyVerdict;
  /** Differences known for sure, in path order. */
  readonly changes: readonly FileChange[];
  /** Files whose hash is unknown (only hashing can tell whether they changed). */
  readonly unknown: readonly string[];
}

export interface CommittedSide {
  readonly kind: 'file' | 'folder';
  readonly files: ReadonlyArray<{ readonly path: string; readonly sha256: string }>;
}

export interface WorkingSide {
  readonly kind: 'file' | 'folder';
  /** sha256 per file, or null where only hashing could tell. */
  readonly files: ReadonlyArray<{ readonly path: string; readonly sha256: string | null }>;
}

/** The working copy (null: nothing at the path) against a commit's files. */
export function compareWorkingCopy(committed: CommittedSide, working: WorkingSide | null): WorkingCopyComparison {
  if (working === null) {
    return { verdict: 'missing', changes: committed.files.map((f) => ({ path: f.path, change: 'deleted' as const })).sort(byPath), unknown: [] };
  }
  // A single file is matched by its bytes whatever its name: the path recorded is its place, the name inside it is the file's own.
  if (committed.kind === 'file' && working.kind === 'file' && committed.files.length === 1 && working.files.length === 1) {
    const want = committed.files[0]!;
    const have = working.files[0]!;
    if (have.sha256 === null) return { verdict: 'probably-changed', changes: [], unknown: [have.path] };
    return have.sha256 === want.sha256
      ? { verdict: 'matches', changes: [], unknown: [] }
      : { verdict: 'changed', changes: [{ path: want.path, change: 'modified' }], unknown: [] };
  }
  const expected = new Map(committed.files.map((f) => [f.path, f.sha256]));
  const present = new Set(working.files.map((f) => f.path));
  const changes: FileChange[] = [];
  const unknown: string[] = [];
  for (const f of working.files) {
    const want = expected.get(f.path);
    if (want === undefined) changes.push({ path: f.path, change: 'added' });
    else if (f.sha256 === null) unknown.push(f.path);
    else if (f.sha256 !== want) changes.push({ path: f.path, change: 'modified' });
  }
  for (const f of committed.files) if (!present.has(f.path)) changes.push({ path: f.path, change: 'deleted' });
  changes.sort(byPath);
  unknown.sort();
  const verdict = changes.length > 0 ? 'changed' : unknown.length > 0 ? 'probably-changed' : 'matches';
  return { verdict, changes, unknown };
}

/**
 * Several paths' verdicts as one: "matches" only when every path matches.
 * A known change outweighs a guess, a guess outweighs a missing copy (which
 * restoring mends without losing work).
 */
export function combinedVerdict(verdicts: Iterable<WorkingCopyVerdict>): WorkingCopyVerdict {
  let out: WorkingCopyVerdict = 'matches';
  const rank: Record<WorkingCopyVerdict, number> = { matches: 0, missing: 1, 'probably-changed': 2, changed: 3 };
  for (const v of verdicts) if (rank[v] > rank[out]) out = v;
  return out;
}

function byPath(a: FileChange, b: FileChange): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

