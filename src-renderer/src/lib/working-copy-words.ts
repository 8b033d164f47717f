// What the toolbar's working-copy badge says for each state of the working
// copy against HEAD (src-shared/contract.ts WorkingCopyState).
import { humanBytes } from '../../../src-shared/format';
import type { WorkingCopyState } from '../../../src-shared/contract';

export interface WorkingCopyWords {
  readonly tone: 'clean' | 'dirty' | 'unknown' | 'none';
  readonly name: string | null;
  readonly words: string;
  readonly title: string;
}

/** The badge's words for each state; the tooltip says what is known and how. */
export function describeWorkingCopy(st: WorkingCopyState, checking: boolean): WorkingCopyWords {
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

function baseName(p: string): string {
  const parts = p.split(/[\\/]/).filter(Boolean);
  return parts[parts.length - 1] ?? p;
}
