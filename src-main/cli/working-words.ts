import type { PathWorkingCopy, StatusResult } from '../../src-shared/model';
import { printable } from '../../src-shared/printable';
import { shortId } from '../../src-shared/format';

// What `status` says of the working copy: every path that has commits, each
// against the newest commit of its line, and each file that differs. A store
// with one path keeps the one line it always printed when it matches.

/** Changed files listed per path before the rest is counted. */
const LIST_AT_MOST = 20;

function stateWords(p: PathWorkingCopy): string {
  switch (p.state) {
    case 'matches': return 'matches';
    case 'changed': return 'changed (uncommitted)';
    case 'probably-changed': return 'probably changed (its stat changed; hashing tells)';
    case 'missing': return 'deleted (nothing at this path; `weightline restore` brings the version back)';
  }
}

export function workingLines(s: StatusResult): string[] {
  if (!s.head) return ['working  -'];
  const paths = s.paths ?? [];
  if (paths.length === 1 && paths[0]!.state === 'matches') return ['working  matches HEAD'];
  if (paths.length > 1 && paths.every((p) => p.state === 'matches')) return [`working  every path matches its newest commit (${paths.length} paths)`];
  const lines: string[] = [];
  for (const [i, p] of paths.entries()) {
    const against = `${shortId(p.commit)}${p.commit === s.head ? ', HEAD' : ''}`;
    lines.push(`${i === 0 ? 'working' : '       '}  ${printable(p.path)} (${against}): ${stateWords(p)}`);
    // A single deleted file says it all in its path's line.
    if (p.state === 'missing' && p.kind === 'file') continue;
    const files = [...p.changes.map((c) => `${c.change.padEnd(10)}${printable(c.path)}`), ...p.unknown.map((f) => `unknown   ${printable(f)}`)];
    for (const f of files.slice(0, LIST_AT_MOST)) lines.push(`           ${f}`);
    if (files.length > LIST_AT_MOST) lines.push(`           … and ${files.length - LIST_AT_MOST} more (--json lists them all)`);
  }
  return lines;
}
