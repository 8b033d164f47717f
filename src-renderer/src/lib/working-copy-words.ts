// What the toolbar's working-copy badge says for each state of the working
// copy against HEAD (src-shared/contract.ts WorkingCopyState).
import { humanBytes, shortId } from '../../../src-shared/format';
import type { WorkingCopyState } from '../../../src-shared/contract';
import type { PathWorkingCopy } from '../../../src-shared/model';

export interface WorkingCopyWords {
  readonly tone: 'clean' | 'dirty' | 'unknown' | 'none';
  readonly name: string | null;
  readonly words: string;
  readonly title: string;
}

/** The badge's words for each state; the tooltip says what is known and how. */
export function describeWorkingCopy(st: WorkingCopyState, checking: boolean): WorkingCopyWords {
  return st.paths.length > 1 ? describePaths(st, checking) : describeHeadPath(st, checking);
}

/** One path (HEAD's): its name, how it stands against HEAD. */
function describeHeadPath(st: WorkingCopyState, checking: boolean): WorkingCopyWords {
  // The file or folder's own name (HEAD's path may be '' when the store root itself is the model folder).
  const name = st.absPath ? baseName(st.absPath) : null;
  const size = st.files > 0 ? ` (${st.files === 1 ? humanBytes(st.bytes) : `${st.files} files, ${humanBytes(st.bytes)}`})` : '';
  switch (st.state) {
    case 'no-head':
      return { tone: 'none', name: null, words: 'no working copy', title: 'Nothing is committed yet (or HEAD is damaged): there is no working copy to compare.' };
    case 'missing':
      return { tone: 'none', name, words: 'no working copy', title: `Nothing at ${st.absPath ?? st.path}: restore a version to get one back.` };
    case 'matches':
      return { tone: 'clean', name, words: 'matches HEAD', title: `${st.absPath}${size} has the bytes of HEAD.` };
    case 'changed':
      return { tone: 'dirty', name, words: 'changed since HEAD', title: `${st.absPath}${size} differs from HEAD${st.changedFiles.length > 0 && st.files > 1 ? `: ${st.changedFiles.slice(0, 5).join(', ')}${st.changedFiles.length > 5 ? '…' : ''}` : ''}. Commit it to keep this version.` };
    case 'probably-changed':
      return {
        tone: 'unknown', name, words: 'probably changed since HEAD',
        title: `${st.absPath}${size} was modified since it was last hashed; ${checking ? 'hashing it now to be sure' : 'hashing tells for sure'}.`,
      };
  }
}

const VERDICT_WORDS: Readonly<Record<PathWorkingCopy['state'], string>> = {
  matches: 'matches', changed: 'changed', 'probably-changed': 'probably changed', missing: 'missing',
};

/** One line of the many-paths tooltip: the path, its commit, its state and the files that make it. */
export function pathLine(p: PathWorkingCopy, isHead: boolean): string {
  const against = isHead ? 'HEAD' : shortId(p.commit);
  const files = [
    ...p.changes.map((c) => `${c.path} ${c.change}`),
    ...p.unknown.map((f) => `${f} modified?`),
  ];
  const shown = files.length > 4 ? [...files.slice(0, 4), `${files.length - 4} more`] : files;
  const verdict = p.state === 'matches' ? `matches ${against}` : p.state === 'missing' ? 'nothing there' : `${VERDICT_WORDS[p.state]} since ${against}`;
  return `${p.path === '.' || p.path === '' ? '(store folder)' : p.path}: ${verdict}${shown.length && p.kind === 'folder' ? ` (${shown.join(', ')})` : ''}`;
}

/**
 * Several model paths (a store follows every path that has commits): the
 * badge names the one path that differs, or counts them; the tooltip lists
 * each path with its state and changed files.
 */
function describePaths(st: WorkingCopyState, checking: boolean): WorkingCopyWords {
  const lines = st.paths.map((p, i) => pathLine(p, i === 0));
  const off = st.paths.filter((p) => p.state !== 'matches');
  const tone: WorkingCopyWords['tone'] = st.state === 'changed' ? 'dirty' : st.state === 'probably-changed' ? 'unknown' : st.state === 'matches' ? 'clean' : 'none';
  const how = st.state === 'probably-changed' ? `\nStat says some files were modified since they were last hashed; ${checking ? 'hashing them now to be sure' : 'hashing tells for sure'}.` : '';
  const title = `${st.paths.length} model paths, each against the newest commit of its line:\n${lines.join('\n')}${how}`;
  if (st.state === 'no-head') return describeHeadPath(st, checking);
  if (off.length === 0) return { tone, name: null, words: `${st.paths.length} paths match their commits`, title };
  if (off.length === 1) {
    const p = off[0]!;
    // Short, for the toolbar: the commit it is compared with is in the tooltip.
    const isHead = p === st.paths[0];
    const words = p.state === 'missing' ? 'no working copy' : `${VERDICT_WORDS[p.state]}${isHead ? ' since HEAD' : ''}`;
    return { tone, name: baseName(p.absPath), words: `${words} (1 of ${st.paths.length} paths)`, title };
  }
  const changed = off.filter((p) => p.state === 'changed').length;
  const words = changed > 0 ? `${changed} of ${st.paths.length} paths changed`
    : st.state === 'probably-changed' ? `${off.length} of ${st.paths.length} paths probably changed`
      : `${off.length} of ${st.paths.length} paths missing`;
  return { tone, name: null, words, title };
}

/**
 * The path the badge's Commit… fills in: HEAD's when it differs, else the one
 * other path that does (several: HEAD's, which the dialog lets the user change).
 */
export function pathToCommit(st: WorkingCopyState): string | null {
  const differs = (p: PathWorkingCopy): boolean => p.state === 'changed' || p.state === 'probably-changed';
  const head = st.paths[0];
  if (!head || differs(head)) return st.absPath;
  const others = st.paths.filter(differs);
  return others.length === 1 ? others[0]!.absPath : st.absPath;
}

function baseName(p: string): string {
  const parts = p.split(/[\\/]/).filter(Boolean);
  return parts[parts.length - 1] ?? p;
}
