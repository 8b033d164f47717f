// How a job process that ends without a result is reported: out of memory,
// an exit code, a malformed message, a missing entry. Uses tiny stand-in
// children (fixtures/) through the runner's fork injection.
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeExit } from '../../src-main/jobs/exit-reason';
import { resolveJobEntry } from '../../src-main/jobs/job-entry';
import { JobRunner } from '../../src-main/jobs/runner';
import { Store } from '../../src-main/core/store/store';
import { useScratch } from '../helpers/models';

const scratch = useScratch();
const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

async function runWith(script: string, execArgv: string[] = []) {
  const root = scratch();
  await Store.init(root);
  const runner = new JobRunner({ entry: { script, execArgv } });
  return runner.wait(runner.start(root, { kind: 'verify' }));
}

describe('a job process that dies', () => {
  it('out of memory: a failed job saying so', async () => {
    const final = await runWith(fixture('oom-child.mjs'), ['--max-old-space-size=16']);
    expect(final.state).toBe('failed');
    expect(final.error?.code).toBe('JOB_CRASHED');
    expect(final.error?.message).toMatch(/verify job process ran out of memory/);
    expect(final.error?.message).toMatch(/heap out of memory/); // the stderr tail is quoted
  });

  it('a non-zero exit: the code and its last stderr lines', async () => {
    const final = await runWith(fixture('exit-child.mjs'));
    expect(final.error?.code).toBe('JOB_CRASHED');
    expect(final.error?.message).toMatch(/exited with code 3; its last output: something went badly wrong in native code/);
  });

  it('a malformed message: an internal error, and the process is ended', async () => {
    const final = await runWith(fixture('garbage-child.mjs'));
    expect(final).toMatchObject({ state: 'failed', error: { code: 'INTERNAL' } });
    expect(final.error?.message).toMatch(/malformed message/);
  });

  it('an entry that cannot start: a failed job, not a thrown error in main', async () => {
    const final = await runWith('/nonexistent/job.js');
    expect(final.state).toBe('failed');
    expect(final.error?.message).toMatch(/exited with code 1.*Cannot find module/s);
  });
});

describe('describeExit', () => {
  it('names the signal, the code or the silence', () => {
    expect(describeExit('commit', { code: null, signal: 'SIGTERM' }, '')).toBe('the commit job process was killed by SIGTERM');
    expect(describeExit('commit', { code: null, signal: 'SIGKILL' }, '')).toMatch(/SIGKILL: by another program, or by the system when memory ran out/);
    expect(describeExit('restore', { code: 0, signal: null }, '')).toBe('the restore job process ended without reporting a result');
    expect(describeExit('verify', { code: 5, signal: null, fatal: 'Reached heap limit Allocation failed - JavaScript heap out of memory' }, '')).toMatch(/ran out of memory \(exit code 5\)/);
  });
});

describe('resolveJobEntry', () => {
  it('from source: the TypeScript entry under tsx, resolved to a file URL', () => {
    const e = resolveJobEntry(new URL('../../src-main/jobs/runner.ts', import.meta.url).href);
    expect(e.script).toMatch(/src-main[\\/]jobs[\\/]job-process\.ts$/);
    expect(e.execArgv[0]).toBe('--import');
    expect(e.execArgv[1]).toMatch(/^file:.*tsx/);
  });

  it('from the bundle: out/main/job.js beside the entry or above a chunk, never the sources', async () => {
    const out = scratch();
    await fs.mkdir(path.join(out, 'main', 'chunks'), { recursive: true });
    await fs.writeFile(path.join(out, 'main', 'job.js'), '');
    expect(resolveJobEntry(pathToFileURL(path.join(out, 'main', 'cli.js')).href)).toEqual({ script: path.join(out, 'main', 'job.js'), execArgv: [] });
    expect(resolveJobEntry(pathToFileURL(path.join(out, 'main', 'chunks', 'api-service-x.js')).href).script).toBe(path.join(out, 'main', 'job.js'));
    await fs.rm(path.join(out, 'main', 'job.js'));
    expect(() => resolveJobEntry(pathToFileURL(path.join(out, 'main', 'cli.js')).href)).toThrow(/expected job\.js at .* run "npm run build"/);
  });
});
