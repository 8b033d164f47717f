// Comments give the reason, not the number of the issue that brought the code:
// "issue 14" tells the next reader nothing unless they have the tracker open,
// and the tracker is not part of the repository.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '../..');
const ROOTS = ['src-main', 'src-shared', 'src-preload', 'src-renderer', 'eslint-local'];
const SOURCE = /\.(ts|tsx|js|mjs|cjs|css|html|md)$/;
const ISSUE_NUMBER = /\bissues? #?\d+/i;

function sources(dir: string, found: string[] = []): string[] {
  if (!fs.existsSync(dir)) return found;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) sources(p, found);
    else if (SOURCE.test(e.name)) found.push(p);
  }
  return found;
}

/** "line N: text" for each line of `text` that cites an issue number. */
export function issueCitations(text: string): string[] {
  return text.split('\n').flatMap((line, i) => (ISSUE_NUMBER.test(line) ? [`line ${i + 1}: ${line.trim()}`] : []));
}

describe('no comment cites an issue number', () => {
  it('recognises a citation and leaves other words alone', () => {
    expect(issueCitations('// refused (issue 18: a forged commit)\nconst issues = parsed.error.issues[0];\n// Issues 12 and 14')).toEqual([
      'line 1: // refused (issue 18: a forged commit)',
      'line 3: // Issues 12 and 14',
    ]);
  });

  it('in src-main, src-shared, src-preload, src-renderer and eslint-local', () => {
    const files = ROOTS.flatMap((r) => sources(path.join(repo, r)));
    expect(files.length).toBeGreaterThan(50);
    const found = files
      .map((f) => path.relative(repo, f).split(path.sep).join('/'))
      .flatMap((rel) => issueCitations(fs.readFileSync(path.join(repo, rel), 'utf8')).map((c) => `${rel} ${c}`));
    expect(found).toEqual([]);
  });
});
