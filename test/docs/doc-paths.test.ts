// The docs name files; this fails when one of those files is gone or was never
// there, so a move or a rename has to take its paragraph along. A backticked
// span counts as a repository path when it starts at a top-level folder of the
// repository (`src-main/…`, `test/…`) or ends in a source file's extension
// (`ops/commit.ts`, a shorthand the docs use inside src-main and src-main/core).
// Globs stand for their folder; build output and store files are not checked.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '../..');

const TOP_LEVEL = ['src-main/', 'src-shared/', 'src-preload/', 'src-renderer/', 'test/', 'scripts/', 'docs/', 'bench/', 'e2e/', 'bin/', 'resources/', 'eslint-local/', '.ci/'];
const SOURCE_FILE = /\.(ts|tsx|mjs|cjs|js|md|wat|sh|json|html|css)$/;
// Where a shorthand path may start, besides the doc's own folder and the root.
const SHORTHAND_BASES = ['src-main', 'src-main/core', 'src-renderer/src'];
// Produced by a build, installed, or a store's own files (.weightline/... lives in the user's folder): never in the repository.
const NOT_IN_REPO = ['out/', 'node_modules/', 'dist/', '.weightline/'];

function contextFiles(dir: string, found: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === 'out' || e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) contextFiles(p, found);
    else if (e.name === 'CONTEXT.md') found.push(p);
  }
  return found;
}

const DOCS = [
  path.join(repo, 'README.md'),
  path.join(repo, 'docs/ARCHITECTURE.md'),
  path.join(repo, 'docs/STORE-FORMAT.md'),
  ...contextFiles(repo),
];

/** Backticked spans that name a repository path, with their line numbers. */
export function namedPaths(markdown: string): { path: string; line: number }[] {
  const out: { path: string; line: number }[] = [];
  markdown.split('\n').forEach((text, i) => {
    for (const [, span] of text.matchAll(/`([^`\n]+)`/g)) {
      const p = span!.replace(/:\d+$/, '');
      if (/[\s<>()'"]/.test(p) || p.startsWith('/') || p.startsWith('@') || !p.includes('/')) continue;
      if (NOT_IN_REPO.some((x) => p.startsWith(x))) continue;
      if (TOP_LEVEL.some((t) => p.startsWith(t)) || SOURCE_FILE.test(p)) out.push({ path: p, line: i + 1 });
    }
  });
  return out;
}

function exists(docDir: string, named: string): boolean {
  // A glob stands for the folder it starts in.
  const plain = named.split('/').filter((seg, i, all) => !seg.includes('*') && !all.slice(0, i).some((s) => s.includes('*'))).join('/');
  const bases = [docDir, repo, ...SHORTHAND_BASES.map((b) => path.join(repo, b))];
  return bases.some((b) => fs.existsSync(path.join(b, plain)));
}

describe('paths named in the docs exist', () => {
  it('finds the docs, and paths in them', () => {
    expect(DOCS.length).toBeGreaterThanOrEqual(4);
    expect(namedPaths(fs.readFileSync(path.join(repo, 'docs/ARCHITECTURE.md'), 'utf8')).length).toBeGreaterThan(20);
  });

  it('recognises paths and leaves other spans alone', () => {
    const md = 'see `src-main/core/ops/commit.ts`, `ops/pin.ts`, `test/**/*.test.ts`, `out/main/job.js`, `remotes.list/add/remove`, `commits/<id>`, `weightline log`\nand `src-renderer/`';
    expect(namedPaths(md)).toEqual([
      { path: 'src-main/core/ops/commit.ts', line: 1 },
      { path: 'ops/pin.ts', line: 1 },
      { path: 'test/**/*.test.ts', line: 1 },
      { path: 'src-renderer/', line: 2 },
    ]);
    expect(exists(repo, 'src-main/core/store/manifest.ts')).toBe(false);
    expect(exists(repo, 'base/manifest.ts')).toBe(true);
  });

  it('every folder of src-main/core has a CONTEXT.md (what it owns, what it may import)', () => {
    const core = path.join(repo, 'src-main/core');
    const folders = fs.readdirSync(core, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    expect(folders).toContain('base');
    expect(folders.filter((f) => !fs.existsSync(path.join(core, f, 'CONTEXT.md')))).toEqual([]);
  });

  it.each(DOCS.map((d) => [path.relative(repo, d), d]))('%s', (_rel, doc) => {
    const missing = namedPaths(fs.readFileSync(doc!, 'utf8'))
      .filter((n) => !exists(path.dirname(doc!), n.path))
      .map((n) => `line ${n.line}: ${n.path}`);
    expect(missing).toEqual([]);
  });
});
