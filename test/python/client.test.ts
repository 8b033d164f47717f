// The Python client (python/weightline) run by its own unittest suites with
// Debian's /usr/bin/python3, against this checkout's CLI run from source
// (tsx, as test/helpers/cli-entry.ts), or its build when that is newer than
// every source file. Each suite's outcomes come back as JSON
// (python/tests/report.py), so a test the Python side skipped fails here.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { TSX_EXEC_ARGV } from '../helpers/tsx';
import { useScratch } from '../helpers/models';

const repo = path.resolve(import.meta.dirname, '..', '..');
const PYTHON = '/usr/bin/python3';
const scratch = useScratch();

function probe(args: readonly string[]): string | null {
  try {
    execFileSync(PYTHON, args, { stdio: 'ignore' });
    return null;
  } catch (e) {
    return (e as Error).message.split('\n')[0]!;
  }
}

const noPython = existsSync(PYTHON) ? probe(['-c', 'import sys; assert sys.version_info >= (3, 8)']) : `${PYTHON} not found`;
const noTorch = noPython ?? probe(['-c', 'import torch']);

const shellWord = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
/** The newest modification time of the files under a folder (ms). */
function newestUnder(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) newest = Math.max(newest, statSync(path.join(e.parentPath, e.name)).mtimeMs);
  }
  return newest;
}

// The CLI from source (tsx) costs about half a second more per command than
// the built one, and the suites run a hundred commands: the build is used when
// it is newer than every source file (CI builds just before testing), the
// sources otherwise, so a stale build is never what is tested.
const built = path.join(repo, 'out', 'main', 'cli.js');
const buildIsFresh = existsSync(built) && statSync(built).mtimeMs > Math.max(...['src-main', 'src-shared'].map((d) => newestUnder(path.join(repo, d))));
const cli = (buildIsFresh ? [process.execPath, path.join(repo, 'bin', 'weightline.mjs')] : [process.execPath, ...TSX_EXEC_ARGV, path.join(repo, 'test', 'helpers', 'cli-entry.ts')]).map(shellWord).join(' ');

interface Report {
  run: number;
  failures: Array<[string, string]>;
  errors: Array<[string, string]>;
  skipped: Array<[string, string]>;
  unexpectedSuccesses: string[];
}

async function runSuite(module: string): Promise<Report> {
  const out = path.join(scratch(), 'report.json');
  await promisify(execFile)(PYTHON, [path.join(repo, 'python', 'tests', 'report.py'), out, module], {
    cwd: repo, env: { ...process.env, PYTHONPATH: path.join(repo, 'python'), WEIGHTLINE_CLI: cli, PYTHONDONTWRITEBYTECODE: '1' }, maxBuffer: 16 << 20,
  }).catch((e: Error) => {
    // Exit 1 is a failed test: the report says which. Anything else is the run itself failing.
    if (!existsSync(out)) throw e;
  });
  return JSON.parse(readFileSync(out, 'utf8')) as Report;
}

function expectClean(report: Report): void {
  const problems = [...report.failures, ...report.errors].map(([id, tb]) => `${id}\n${tb}`);
  expect(problems, problems.join('\n\n')).toEqual([]);
  expect(report.unexpectedSuccesses).toEqual([]);
  // Every CLI command the client wraps is in this checkout: no Python test may skip.
  expect(report.skipped, 'tests the Python side skipped').toEqual([]);
  expect(report.run - report.skipped.length).toBeGreaterThan(0);
}

// A hang guard for suites that start dozens of CLI processes on a shared machine, not a speed limit.
const SUITE_TIMEOUT = 900_000;

describe('the Python client (python/weightline) against this CLI', () => {
  it('commit, log, show, restore, errors as exceptions with the store\'s codes, background commits (python/tests/test_client.py)', async (ctx) => {
    if (noPython) { ctx.skip(`needs ${PYTHON} (3.8 or newer): ${noPython}`); return; }
    expectClean(await runSuite('test_client'));
  }, SUITE_TIMEOUT);

  it('tags and a background watch (python/tests/test_tags_watch.py)', async (ctx) => {
    if (noPython) { ctx.skip(`needs ${PYTHON} (3.8 or newer): ${noPython}`); return; }
    expectClean(await runSuite('test_tags_watch'));
  }, SUITE_TIMEOUT);

  it('forget by a retention policy, its exact preview, the operations log and undo (python/tests/test_forget.py)', async (ctx) => {
    if (noPython) { ctx.skip(`needs ${PYTHON} (3.8 or newer): ${noPython}`); return; }
    const report = await runSuite('test_forget');
    expectClean(report);
    expect(report.run).toBe(2);
  }, SUITE_TIMEOUT);

  it('a real torch training loop: a commit per epoch, the best by eval loss restored bit-exact; the same kind of loop followed by a background watch (python/tests/test_torch_loop.py)', async (ctx) => {
    if (noTorch) { ctx.skip(`needs torch in ${PYTHON} (Debian python3-torch): ${noTorch}`); return; }
    const report = await runSuite('test_torch_loop');
    expectClean(report);
    expect(report.run).toBe(6);
  }, SUITE_TIMEOUT);
});
