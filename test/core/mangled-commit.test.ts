// Committing a mangled model file (issue 18): a real torch.save file with its
// zip64 locator offset set near 2^55 crashed commit with an uncaught RangeError
// from the zip reader, a raw stack trace, and the store lock left behind. Now
// it is a BAD_FORMAT error naming the file, exit code 1, no stack trace, no
// lock, and the store as before. The CLI runs as a real child process, since
// an uncaught exception kills the process, which an in-process run would hide.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TSX_EXEC_ARGV } from '../helpers/tsx';
import { useScratch } from '../helpers/models';

const scratch = useScratch();
const entry = fileURLToPath(new URL('../helpers/cli-entry.ts', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

function cli(cwd: string, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...TSX_EXEC_ARGV, entry, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function expectCleanRefusal(dir: string, file: string, r: { code: number | null; stderr: string }): void {
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/^weightline: error: .*(corrupt or truncated zip|expected)/);
  expect(r.stderr).toContain(file);
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  expect(r.stderr).not.toMatch(/internal error|RangeError|ERR_OUT_OF_RANGE/i);
  expect(fs.existsSync(path.join(dir, '.weightline', 'lock'))).toBe(false);
  expect(fs.readdirSync(path.join(dir, '.weightline', 'commits'))).toEqual([]);
}

describe('commit of a mangled model file', () => {
  it('a torch.save file whose zip64 locator offset is near 2^55: clear error, exit 1, no stack trace, no lock left', () => {
    const dir = scratch();
    const bytes = fs.readFileSync(path.join(FIXTURES, 'tiny.pt'));
    const loc = bytes.lastIndexOf(Buffer.from('PK\x06\x07', 'latin1'));
    expect(loc).toBeGreaterThan(0);
    bytes.writeBigUInt64LE(2n ** 55n - 3n, loc + 8); // the four bytes changed by the report: 2^55 − 3 differs from the real offset in 4 bytes
    fs.writeFileSync(path.join(dir, 'model.pt'), bytes);
    expect(cli(dir, 'init').code).toBe(0);
    const r = cli(dir, 'commit', 'model.pt', '-m', 'mangled');
    expectCleanRefusal(dir, 'model.pt', r);
    expect(r.stderr).toMatch(/zip64/);
    // The store still works: the intact file commits.
    fs.copyFileSync(path.join(FIXTURES, 'tiny.pt'), path.join(dir, 'model.pt'));
    expect(cli(dir, 'commit', 'model.pt', '-m', 'intact').code).toBe(0);
  }, 120_000);

  it('a safetensors header nested 500,000 deep: clear error, exit 1, no stack overflow, no lock left', () => {
    const dir = scratch();
    const depth = 500_000;
    const json = Buffer.from(`{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`);
    const head = Buffer.alloc(8);
    head.writeBigUInt64LE(BigInt(json.length));
    fs.writeFileSync(path.join(dir, 'deep.safetensors'), Buffer.concat([head, json]));
    expect(cli(dir, 'init').code).toBe(0);
    const r = cli(dir, 'commit', 'deep.safetensors', '-m', 'deep');
    expectCleanRefusal(dir, 'deep.safetensors', r);
    expect(r.stderr).toMatch(/nested at most 64 levels deep/);
  }, 120_000);
});
