// A manifest's numbers must agree with each other and with the objects it
// names (issue 18: a manifest claiming 1e15 bytes for a 3-byte object was
// accepted, and restore reported "Restored … (1 file(s), 1,000.0 TB)").

import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src-main/cli/main';
import { parseManifest } from '../../src-main/core/store/store-files';
import { gaussianF32, nudgeF32, rng, useScratch, writeSafetensors } from '../helpers/models';
import { WeightlineError } from '../../src-shared/errors';

const scratch = useScratch();

async function run(cwd: string, ...argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await main(argv, { cwd, stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (out += s) } });
  return { code, out };
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Rewrites the manifest of `id` through edit, under its new id, and points HEAD at it. */
async function forge(store: string, id: string, edit: (m: Json) => void): Promise<string> {
  const file = path.join(store, 'commits', `${id}.json`);
  const m = JSON.parse(await fs.readFile(file, 'utf8')) as Json;
  edit(m);
  const bytes = Buffer.from(JSON.stringify(m));
  const forged = createHash('sha256').update(bytes).digest('hex');
  await fs.rm(file);
  await fs.writeFile(path.join(store, 'commits', `${forged}.json`), bytes);
  await fs.writeFile(path.join(store, 'HEAD'), JSON.stringify({ commit: forged }));
  await fs.rm(path.join(store, 'log-index.json'), { force: true });
  return forged;
}

describe('manifest claims', () => {
  it('a manifest claiming 1e15 bytes for a 3-byte object: restore and verify say CORRUPT naming the object, nothing is restored', async () => {
    const dir = scratch();
    await fs.writeFile(path.join(dir, 'a.txt'), 'abc');
    await run(dir, 'init');
    expect((await run(dir, 'commit', 'a.txt', '-m', 'x')).code).toBe(0);
    const store = path.join(dir, '.weightline');
    const [name] = await fs.readdir(path.join(store, 'commits'));
    await forge(store, name!.slice(0, 64), (m) => { m.files[0].bytes = 1e15; });
    const object = createHash('sha256').update('abc').digest('hex').slice(0, 12);
    for (const mode of ['copy', 'auto', 'hardlink']) {
      const r = await run(dir, 'restore', 'HEAD', '--to', `out-${mode}`, '--link', mode);
      expect(r.code, `${mode}: ${r.out}`).toBe(1);
      expect(r.out).toMatch(/cannot be rebuilt/);
      expect(r.out).toContain(object);
      expect(r.out).not.toMatch(/TB|internal error/);
      await expect(fs.stat(path.join(dir, `out-${mode}`, 'a.txt'))).rejects.toThrow();
    }
    const v = await run(dir, 'verify');
    expect(v.code).toBe(1);
    expect(v.out).toContain(object);
  });

  it('a DELTA manifest claiming 1e15 bytes is refused when read: CORRUPT, one block per 4 MiB of each stream', async () => {
    const dir = scratch();
    const file = path.join(dir, 'm.safetensors');
    const w = gaussianF32(1024, rng(1));
    await writeSafetensors(file, [{ name: 'w', dtype: 'F32', shape: [1024], data: w }]);
    await run(dir, 'init');
    await run(dir, 'commit', 'm.safetensors', '-m', 'one');
    await writeSafetensors(file, [{ name: 'w', dtype: 'F32', shape: [1024], data: nudgeF32(w, rng(2)) }]);
    await run(dir, 'commit', 'm.safetensors', '-m', 'two');
    const store = path.join(dir, '.weightline');
    const head = (JSON.parse(await fs.readFile(path.join(store, 'HEAD'), 'utf8')) as { commit: string }).commit;
    const forged = await forge(store, head, (m) => { m.files[0].bytes = 1e15; });
    for (const argv of [['show', 'HEAD'], ['restore', 'HEAD', '--to', 'out'], ['log']]) {
      const r = await run(dir, ...argv);
      expect(r.out, argv.join(' ')).not.toMatch(/internal error|TB/);
      if (argv[0] !== 'log') {
        expect(r.code, argv.join(' ')).toBe(1);
        expect(r.out).toMatch(new RegExp(`damaged ${forged}\\.json: expected a commit manifest .*found at files\\[0\\]\\.delta\\.streams\\[0\\]\\.blocks: .*\\(expected \\d+ blocks for a stream of \\d+ bytes\\)`));
      }
    }
  });
});

describe('manifest schema: numbers agree', () => {
  const base = (): Json => ({
    formatVersion: 1, parent: null, type: 'CHECKPOINT', message: 'm', createdAt: '2026-01-01T00:00:00Z',
    source: { path: 'm.safetensors', kind: 'file' }, removedFiles: [],
    files: [{
      path: 'm.safetensors', bytes: 100, sha256: 'a'.repeat(64), format: 'safetensors', status: 'added', removedTensors: [], delta: null,
      tensors: [
        { name: 'a', dtype: 'F32', shape: [4], offset: 20, length: 16, width: 4, le: true, status: 'added', changedFraction: null, maxAbsDiff: null, relChange: null },
        { name: 'b', dtype: 'F32', shape: [4], offset: 40, length: 16, width: 4, le: true, status: 'added', changedFraction: null, maxAbsDiff: null, relChange: null },
      ],
    }],
  });
  const parse = (m: Json): unknown => {
    try { return parseManifest('/s/commits/x.json', Buffer.from(JSON.stringify(m))); } catch (e) { return e; }
  };

  it('accepts a consistent manifest', () => expect(parse(base())).not.toBeInstanceOf(Error));

  const cases: [string, (m: Json) => void][] = [
    ['a tensor past the end of the file', (m) => { m.files[0].tensors[1].offset = 90; }],
    ['overlapping tensors', (m) => { m.files[0].tensors[1].offset = 30; }],
    ['tensors out of order', (m) => { m.files[0].tensors.reverse(); }],
    ['a width of 0', (m) => { m.files[0].tensors[0].width = 0; }],
    ['a width of 17', (m) => { m.files[0].tensors[0].width = 17; }],
    ['bytes beyond 2^53', (m) => { m.files[0].bytes = 2 ** 60; }],
    ['a delta with too few streams', (m) => { m.files[0].delta = { object: null, bytes: 0, basePath: 'm.safetensors', streams: [{ base: 0, blocks: [0] }] }; }],
    ['a delta with a block missing', (m) => { m.files[0].delta = { object: null, bytes: 0, basePath: 'm.safetensors', streams: [{ base: 0, blocks: [] }, { base: 1, blocks: [0] }, { base: 2, blocks: [0] }] }; }],
    ['a delta block outside its delta object', (m) => { m.files[0].delta = { object: 'b'.repeat(64), bytes: 10, basePath: 'm.safetensors', streams: [{ base: 0, blocks: [[2, 5, 6, 'c'.repeat(32)]] }, { base: 1, blocks: [0] }, { base: 2, blocks: [0] }] }; }],
  ];
  for (const [label, edit] of cases) {
    it(`refuses ${label} as CORRUPT`, () => {
      const m = base();
      edit(m);
      const e = parse(m);
      expect(e).toBeInstanceOf(WeightlineError);
      expect((e as WeightlineError).code).toBe('CORRUPT');
      expect((e as WeightlineError).message).toMatch(/damaged x\.json: expected a commit manifest/);
    });
  }

  it('a consistent delta passes', () => {
    const m = base();
    m.files[0].delta = { object: 'b'.repeat(64), bytes: 11, basePath: 'm.safetensors', streams: [{ base: 0, blocks: [[2, 5, 6, 'c'.repeat(32)]] }, { base: 1, blocks: [0] }, { base: 2, blocks: [0] }] };
    expect(parse(m)).not.toBeInstanceOf(Error);
  });
});
