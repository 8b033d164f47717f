// Store files of the wrong kind or size (issue 18): a folder where a file
// belongs (or the reverse), and a file far larger than its kind ever is, are
// CORRUPT errors naming the file and the next step, for every command; never
// "internal error (a bug)", and never a read of the whole oversized file.

import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src-main/cli/main';
import { gaussianF32, nudgeF32, rng, useScratch, writeSafetensors } from '../helpers/models';

const scratch = useScratch();

async function run(cwd: string, ...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '', stderr = '';
  const code = await main(argv, { cwd, stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } });
  return { code, stdout, stderr };
}

/** A store with two commits, a pin, a remote and a link: every store file exists. */
async function twoCommits(): Promise<{ dir: string; store: string; ids: string[] }> {
  const dir = scratch();
  const file = path.join(dir, 'model.safetensors');
  const w = gaussianF32(4096, rng(1));
  await writeSafetensors(file, [{ name: 'w', dtype: 'F32', shape: [64, 64], data: w }]);
  expect((await run(dir, 'init')).code).toBe(0);
  expect((await run(dir, 'commit', 'model.safetensors', '-m', 'one')).code).toBe(0);
  await writeSafetensors(file, [{ name: 'w', dtype: 'F32', shape: [64, 64], data: nudgeF32(w, rng(2)) }]);
  expect((await run(dir, 'commit', 'model.safetensors', '-m', 'two')).code).toBe(0);
  const store = path.join(dir, '.weightline');
  const ids = JSON.parse((await run(dir, 'log', '--json')).stdout).map((e: { id: string }) => e.id) as string[];
  expect((await run(dir, 'pin', ids[1]!)).code).toBe(0);
  expect((await run(dir, 'remote', 'add', 'origin', 's3://bucket/prefix', '--endpoint', 'http://127.0.0.1:1')).code).toBe(0);
  expect((await run(dir, 'verify')).code).toBe(0);
  return { dir, store, ids };
}

async function replaceWithFolder(p: string): Promise<void> {
  await fs.rm(p, { recursive: true, force: true });
  await fs.mkdir(p);
  await fs.writeFile(path.join(p, 'inside'), 'x');
}

const COMMANDS: readonly (readonly string[])[] = [['status'], ['log'], ['restore', 'HEAD~1', '--to', 'out'], ['commit', 'model.safetensors', '-m', 'three'], ['verify']];

function expectClear(r: { code: number; stderr: string; stdout: string }, name: string, label: string): void {
  const out = r.stderr + r.stdout;
  expect(out, label).not.toMatch(/internal error|a bug|EISDIR|ENOTDIR|\n\s+at /i);
  if (r.code !== 0) expect(out, label).toContain(name);
}

const CACHES = new Set(['index.json', 'log-index.json', 'checked.json']);

describe('store files replaced by a folder', () => {
  const files = ['HEAD', 'config.json', 'format.json', 'pins.json', 'links.json', 'remotes.json', 'index.json', 'log-index.json', 'checked.json', 'lock'];
  for (const name of files) {
    it(`${name} as a folder: CORRUPT naming it for status, log, restore, commit, verify`, async () => {
      const { dir, store } = await twoCommits();
      await replaceWithFolder(path.join(store, name));
      const results = [];
      for (const argv of COMMANDS) {
        const r = await run(dir, ...argv);
        expectClear(r, name, `${name}: ${argv.join(' ')}`);
        results.push(r);
      }
      if (CACHES.has(name)) {
        // A cache only saves time: the commands still work.
        expect(results.map((r) => r.code)).toEqual(COMMANDS.map(() => 0));
      } else {
        const refusal = results.find((r) => r.code !== 0);
        expect(refusal?.stderr, name).toMatch(new RegExp(`damaged ${name.replace('.', '\\.')}: expected .*found a folder; `));
      }
    });
  }

  it('a commit manifest (commits/<id>.json) as a folder', async () => {
    const { dir, store, ids } = await twoCommits();
    await replaceWithFolder(path.join(store, 'commits', `${ids[1]}.json`));
    for (const argv of COMMANDS) expectClear(await run(dir, ...argv), `${ids[1]}.json`, argv.join(' '));
  });

  it('an object (objects/aa/<rest>) as a folder', async () => {
    const { dir, store } = await twoCommits();
    const subs = await fs.readdir(path.join(store, 'objects'));
    const sub = subs.find((s) => /^[0-9a-f]{2}$/.test(s))!;
    const obj = (await fs.readdir(path.join(store, 'objects', sub)))[0]!;
    await replaceWithFolder(path.join(store, 'objects', sub, obj));
    // Messages name an object by its first 12 hex digits.
    for (const argv of COMMANDS) expectClear(await run(dir, ...argv), (sub + obj).slice(0, 12), argv.join(' '));
  });

  it('committing bytes whose object name is taken by a folder: CORRUPT naming it, nothing committed, no lock left', async () => {
    const dir = scratch();
    await fs.writeFile(path.join(dir, 'a.bin'), 'some bytes');
    expect((await run(dir, 'init')).code).toBe(0);
    const sha = (await import('node:crypto')).createHash('sha256').update('some bytes').digest('hex');
    const store = path.join(dir, '.weightline');
    await fs.mkdir(path.join(store, 'objects', sha.slice(0, 2)), { recursive: true });
    await replaceWithFolder(path.join(store, 'objects', sha.slice(0, 2), sha.slice(2)));
    const r = await run(dir, 'commit', 'a.bin', '-m', 'x');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`damaged ${sha.slice(2)}: expected an object \\(a file\\), found a folder; move it out of \\.weightline/objects`));
    expect(await fs.readdir(path.join(store, 'commits'))).toEqual([]);
    await expect(fs.stat(path.join(store, 'lock'))).rejects.toThrow();
  });

  it('quarantine/ replaced by a file: repair of a damaged object says CORRUPT naming it, not a bug', async () => {
    const { dir, store } = await twoCommits();
    const sub = (await fs.readdir(path.join(store, 'objects'))).find((s) => /^[0-9a-f]{2}$/.test(s))!;
    const obj = path.join(store, 'objects', sub, (await fs.readdir(path.join(store, 'objects', sub)))[0]!);
    await fs.chmod(obj, 0o644);
    await fs.appendFile(obj, 'damage');
    await fs.writeFile(path.join(store, 'quarantine'), 'x');
    const r = await run(dir, 'repair');
    expectClear(r, 'quarantine', 'repair');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/quarantine: a file where the store keeps a folder \((ENOTDIR|EEXIST)\); move the odd one out/);
  });

  for (const folder of ['commits', 'objects']) {
    it(`${folder}/ replaced by a file`, async () => {
      const { dir, store } = await twoCommits();
      await fs.rm(path.join(store, folder), { recursive: true });
      await fs.writeFile(path.join(store, folder), 'x');
      for (const argv of COMMANDS) expectClear(await run(dir, ...argv), folder, argv.join(' '));
    });
  }
});

describe('oversized store files are CORRUPT without being read whole', () => {
  it('a 200 MB lock file: CORRUPT naming it, memory stays small, and no command reads it whole', async () => {
    const { dir, store } = await twoCommits();
    const lock = path.join(store, 'lock');
    await fs.writeFile(lock, '');
    await fs.truncate(lock, 200 * 1024 * 1024); // sparse: 200 MB that cost no disk
    const before = process.memoryUsage().rss;
    const r = await run(dir, 'commit', 'model.safetensors', '-m', 'three');
    const grown = process.memoryUsage().rss - before;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/damaged lock: expected the store's write lock .*at most 65536 bytes, found a file of 209715200 bytes; .*move it away or delete it/);
    expect(grown).toBeLessThan(100 * 1024 * 1024);
    expect((await fs.stat(lock)).size).toBe(200 * 1024 * 1024); // left for the user to look at
    expect((await run(dir, 'status')).code).toBe(0); // readers never lock
  });

  for (const [name, bytes] of [['config.json', 2 * 1024 * 1024], ['HEAD', 1024 * 1024], ['pins.json', 65 * 1024 * 1024], ['remotes.json', 2 * 1024 * 1024]] as const) {
    it(`${name} of ${bytes} bytes: CORRUPT naming it and its bound`, async () => {
      const { dir, store } = await twoCommits();
      const file = path.join(store, name);
      await fs.truncate(file, bytes);
      const results = await Promise.all([['status'], ['log'], ['commit', 'model.safetensors', '-m', 'x']].map((argv) => run(dir, ...argv)));
      const refusal = results.find((r) => r.code !== 0);
      expect(refusal?.stderr, name).toMatch(new RegExp(`damaged ${name.replace('.', '\\.')}: expected .*at most \\d+ bytes, found a file of ${bytes} bytes`));
    });
  }

  it('a commit manifest larger than 256 MiB is CORRUPT naming it, not read', async () => {
    const { dir, store, ids } = await twoCommits();
    await fs.truncate(path.join(store, 'commits', `${ids[1]}.json`), 257 * 1024 * 1024);
    const r = await run(dir, 'show', ids[1]!);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`damaged ${ids[1]}\\.json: expected a commit manifest \\(a file\\), at most 268435456 bytes, found a file of 269484032 bytes`));
  });

  it('config.json nested 500,000 deep is CORRUPT, not a stack overflow', async () => {
    const { dir, store } = await twoCommits();
    await fs.writeFile(path.join(store, 'config.json'), `{"a":${'['.repeat(500_000)}${']'.repeat(500_000)}}`);
    const r = await run(dir, 'commit', 'model.safetensors', '-m', 'x');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/damaged config\.json: expected .*found JSON nested more than 64 levels deep/);
  });
});

describe('property: any store file of any wrong kind or size, any command', () => {
  it('never an internal error, a stack trace or a raw errno; a refusal names the file; no lock is left', async () => {
    const { dir: template, store: templateStore, ids } = await twoCommits();
    const fc = await import('fast-check');
    const targets = ['HEAD', 'config.json', 'format.json', 'pins.json', 'links.json', 'remotes.json', 'index.json', 'log-index.json', 'checked.json', 'lock', `commits/${ids[0]}.json`, 'commits', 'objects', 'quarantine'];
    const damage = ['folder', 'empty', 'huge', 'garbage', 'deep', 'file'] as const;
    const commands = [...COMMANDS, ['show', 'HEAD'], ['repair'], ['cleanup'], ['pin', 'HEAD'], ['diff', 'HEAD~1', 'HEAD']];
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...targets), fc.constantFrom(...damage), fc.constantFrom(...commands), fc.nat(1000), async (target, how, argv, seed) => {
        const dir = path.join(path.dirname(template), `prop-${n++}-${seed}`);
        await fs.cp(template, dir, { recursive: true });
        const p = path.join(dir, '.weightline', target);
        await fs.rm(p, { recursive: true, force: true });
        if (how === 'folder') await replaceWithFolder(p);
        else if (how === 'empty') await fs.writeFile(p, '');
        else if (how === 'huge') { await fs.writeFile(p, ''); await fs.truncate(p, 300 * 1024 * 1024); }
        else if (how === 'garbage') await fs.writeFile(p, Buffer.from(Array.from({ length: 64 }, (_, i) => (seed * 31 + i * 7) & 0xff)));
        else if (how === 'deep') await fs.writeFile(p, `${'['.repeat(200_000)}${']'.repeat(200_000)}`);
        else await fs.writeFile(p, 'x'); // a file, where a folder may belong
        const r = await run(dir, ...argv);
        const out = r.stderr + r.stdout;
        expect(out, `${target} ${how} ${argv.join(' ')}`).not.toMatch(/internal error|a bug|\n\s+at |RangeError|Maximum call stack/i);
        // A refusal caused by the damage names the damaged path. (An emptied objects/ folder is the right kind: its
        // objects are simply gone, and the error names the versions lost instead; manifests are named by commit.)
        const folderTarget = ['commits', 'objects', 'quarantine'].includes(target);
        const named = folderTarget ? how !== 'folder' : !CACHES.has(target) && !target.startsWith('commits/');
        if (r.code !== 0 && named) expect(out, `${target} ${how} ${argv.join(' ')}`).toContain(path.basename(target));
        if (target !== 'lock') expect(await fs.stat(path.join(dir, '.weightline', 'lock')).then(() => true, () => false)).toBe(false);
        await fs.rm(dir, { recursive: true, force: true });
      }),
      { numRuns: Number(process.env.WL_PROP_RUNS ?? 40), seed: Number(process.env.WL_PROP_SEED ?? 18) },
    );
    expect(templateStore).toBeTruthy();
  }, 300_000);
});
