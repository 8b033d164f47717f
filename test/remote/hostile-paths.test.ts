// Issue 18, items 1 and 4, against a real S3 server: a bucket someone else can
// write to must not be a way into the user's machine. The forged manifests
// and objects are written into the bucket by the test itself, byte by byte,
// as an attacker with write access would.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { snapshotFiles, useScratch } from '../helpers/models';
import { findS3, jsonError, makeHistory, newBucket, s3Client, wl, wlOk, type S3Env } from './helpers';

const s3 = await findS3();
const scratch = useScratch();

/** What no terminal output may hold raw: C0 controls but newline and tab, DEL, C1 controls, bidi overrides and isolates. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;


const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe.skipIf(s3.skip !== null)(`hostile remotes on a real S3 server${s3.skip ? ` (skipped: ${s3.skip})` : ''}`, () => {
  const env = s3.env as S3Env;
  const client = s3.env ? s3Client(env) : null;
  afterAll(() => client?.destroy());

  const put = async (bucket: string, key: string, body: Buffer): Promise<void> => {
    await client!.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  };

  /**
   * A real pushed history in `world/a`, and a way to forge commits beside it
   * on the remote: files of any content (uploaded as objects under their
   * sha256) at any path, in a manifest newer than every real commit (so a
   * clone takes it as HEAD).
   */
  async function remoteWithHistory(): Promise<{
    world: string; a: string; bucket: string; url: string;
    forge: (files: Array<{ path: string; body: Buffer }>, source: { path: string; kind: 'file' | 'folder' }, message?: string) => Promise<{ id: string; key: string }>;
  }> {
    const bucket = await newBucket(env);
    const url = `s3://${bucket}/shared`;
    const world = scratch();
    const a = path.join(world, 'a');
    await makeHistory(a, 2, { floats: 20_000 });
    await wlOk(a, 'remote', 'add', 'origin', url);
    await wlOk(a, 'push');
    const forge = async (files: Array<{ path: string; body: Buffer }>, source: { path: string; kind: 'file' | 'folder' }, message = 'looks harmless'): Promise<{ id: string; key: string }> => {
      for (const f of files) await put(bucket, `shared/objects/${sha(f.body)}`, f.body);
      const manifest = {
        formatVersion: 1, parent: null, type: 'CHECKPOINT', message, createdAt: '2099-01-01T00:00:00.000Z', source,
        files: files.map((f) => ({ path: f.path, bytes: f.body.length, sha256: sha(f.body), format: 'generic', status: 'added', tensors: [], removedTensors: [], delta: null })),
        removedFiles: [],
      };
      const bytes = Buffer.from(JSON.stringify(manifest));
      const id = sha(bytes);
      await put(bucket, `shared/manifests/${id}`, bytes);
      return { id, key: `shared/manifests/${id}` };
    };
    return { world, a, bucket, url, forge };
  }

  const gitConfig = Buffer.from('[core]\n\tfsmonitor = "touch /tmp/weightline-pwned"\n');

  it('a forged folder commit with .git/HEAD and .git/config is refused by clone and fetch with UNSAFE_PATH naming the key; nothing is left', async () => {
    const { world, a, url, forge } = await remoteWithHistory();
    const { key } = await forge([{ path: '.git/HEAD', body: Buffer.from('ref: refs/heads/main\n') }, { path: '.git/config', body: gitConfig }], { path: 'model', kind: 'folder' });

    const b = path.join(world, 'b');
    const c = await wl(world, 'clone', url, b, '--json');
    expect(c.code).toBe(1);
    expect(jsonError(c)).toMatchObject({ code: 'UNSAFE_PATH', message: expect.stringContaining(key) });
    expect(jsonError(c).message).toMatch(/\.git/);
    // The clone made the folder; failing, it removes it: no .git anywhere.
    await expect(fs.access(b)).rejects.toThrow();

    const before = await snapshotFiles(a);
    const f = await wl(a, 'fetch');
    expect(f.code).toBe(1);
    expect(f.stderr).toMatch(/^weightline: error: .*UNSAFE|refusing this commit manifest/);
    expect(f.stderr).toContain(key);
    expect(f.stderr).toMatch(/nothing was fetched and the store is unchanged/);
    expect(await snapshotFiles(a)).toEqual(before);
    await expect(fs.access(path.join(a, 'model', '.git'))).rejects.toThrow();
  });

  it('a forged commit carrying .weightline/remotes.json cannot replace the remotes (nor config.json)', async () => {
    const { world, a, url, forge } = await remoteWithHistory();
    const evilRemotes = Buffer.from(JSON.stringify({ origin: { url: 's3://exfil/stolen', endpoint: null, region: null } }));
    const { key } = await forge([{ path: '.weightline/config.json', body: Buffer.from('{}') }, { path: '.weightline/remotes.json', body: evilRemotes }], { path: '.', kind: 'folder' });
    const b = path.join(world, 'b');
    const c = await wl(world, 'clone', url, b, '--json');
    expect(jsonError(c)).toMatchObject({ code: 'UNSAFE_PATH', message: expect.stringContaining(key) });
    await expect(fs.access(b)).rejects.toThrow();
    const remotesBefore = await fs.readFile(path.join(a, '.weightline', 'remotes.json'), 'utf8');
    expect((await wl(a, 'fetch', '--json')).code).toBe(1);
    expect(await fs.readFile(path.join(a, '.weightline', 'remotes.json'), 'utf8')).toBe(remotesBefore);
    expect(JSON.parse(remotesBefore)).toMatchObject({ origin: { url } });
  });

  it('a forged absolute source.path is never a restore target: clone does not restore it, and a later plain "restore HEAD" asks for --to', async () => {
    const { world, a, url, forge } = await remoteWithHistory();
    const outside = path.join(world, 'outside2', 'pwned.txt');
    const body = Buffer.from('pwned\n');
    const { id } = await forge([{ path: 'pwned.txt', body }], { path: outside, kind: 'file' });

    const b = path.join(world, 'b');
    const c = await wl(world, 'clone', url, b);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stderr).toMatch(/not restored: .*came from a remote and records its path as .*outside the store.*restore it with --to/);
    const r = await wl(b, 'restore', 'HEAD');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/came from a remote .*--to/);
    await expect(fs.access(outside)).rejects.toThrow();
    // With --to the user chose the place.
    const to = path.join(b, 'chosen.txt');
    await wlOk(b, 'restore', 'HEAD', '--to', to);
    expect(await fs.readFile(to, 'utf8')).toBe('pwned\n');
    await expect(fs.access(outside)).rejects.toThrow();

    // A fetch into an existing store records it the same way.
    await wlOk(a, 'fetch');
    expect(JSON.parse(await fs.readFile(path.join(a, '.weightline', 'fetched-outside.json'), 'utf8'))).toEqual([id]);
    expect((await wl(a, 'restore', id)).code).toBe(1);
    await expect(fs.access(outside)).rejects.toThrow();
  });

  it('a message with terminal escapes prints no raw control character from clone, fetch, log, show and verify --remote', async () => {
    const { world, a, url, forge } = await remoteWithHistory();
    const message = 'ok \x1b[2K\x1b[1A\x1b]52;c;cHduZWQ=\x07 \x1b[32mall verified ok\x1b[0m \u009b2K \u202e\r\nverified 3 commit(s): all ok';
    await forge([{ path: 'notes.txt', body: Buffer.from('n\n') }], { path: 'notes', kind: 'folder' }, message);
    const b = path.join(world, 'b');
    const runs = [await wl(world, 'clone', url, b)];
    runs.push(await wl(b, 'log'), await wl(b, 'show', 'HEAD'), await wl(b, 'verify', '--remote', 'origin'), await wl(a, 'fetch'), await wl(a, 'log'));
    for (const r of runs) {
      expect(r.code, r.stderr).toBe(0);
      expect([...r.stdout + r.stderr].filter((ch) => RAW_CONTROL.test(ch))).toEqual([]);
      for (const line of r.stdout.split('\n')) expect(line).not.toMatch(/^verified 3 commit/u);
    }
    expect(runs[2]!.stdout).toContain('\\x1b]52;c;cHduZWQ=\\x07');
    const json = await wlOk<Array<{ message: string }>>(b, 'log', '--json');
    expect(json.map((e) => e.message)).toContain(message);
  });

  it('property: random forged remotes (dangerous paths, escapes in messages) never write outside the clone or its target, never print a raw control character, leave no lock, and fail only clearly', async () => {
    const bucket = await newBucket(env);
    const world = scratch();
    const part = fc.constantFrom('.git', '.GIT', '.git.', '.Git ', '.weightline', '.WeightLine.', 'GIT~1', '.g\u200cit', '..', '.', '', 'a', 'b', 'model.bin', 'x'.repeat(256), '\x1b[2K', '\u009b', 'C:', 'c\\d', '\u00e9');
    const relPath = fc.array(part, { minLength: 1, maxLength: 3 }).map((ps) => ps.join('/'));
    // Mostly paths the gate passes, so clone, log, show and restore run as well as refuse.
    const source = fc.oneof(
      { weight: 5, arbitrary: fc.constantFrom('model', '.', 'deep/er') },
      { weight: 1, arbitrary: fc.constantFrom('../escape', 'm/.git', 'C:\\Windows\\x') },
      { weight: 2, arbitrary: fc.constant(path.join(world, 'outside', 'abs')) },
    );
    const escape = fc.constantFrom('\x1b[2K', '\x1b[1A', '\x1b]52;c;cHduZWQ=\x07', '\x1b[31m', '\r', '\u009b2K', '\u202e', '\x00', '\n');
    const commitArb = fc.record({
      files: fc.oneof(
        { weight: 3, arbitrary: fc.uniqueArray(fc.constantFrom('ok.json', 'sub/ok.bin', '\u00e9t\u00e9.bin', 'x'.repeat(255)), { minLength: 1, maxLength: 3 }) },
        { weight: 1, arbitrary: fc.array(fc.oneof(relPath, fc.constantFrom('ok.json', 'sub/ok.bin')), { minLength: 1, maxLength: 3 }) },
      ),
      kind: fc.constantFrom<'file' | 'folder'>('folder', 'folder', 'file'),
      source,
      message: fc.array(fc.oneof(escape, fc.string({ maxLength: 6 })), { maxLength: 6 }).map((xs) => xs.join('')),
    });
    let run = 0;
    const outcomes: Record<string, number> = {};
    await fc.assert(fc.asyncProperty(fc.array(commitArb, { minLength: 1, maxLength: 2 }), async (commits) => {
      const n = run++;
      const prefix = `p${n}`;
      await put(bucket, `${prefix}/weightline-remote.json`, Buffer.from(JSON.stringify({ format: 'weightline-remote', version: 1 })));
      let parent: string | null = null;
      for (const [i, c] of commits.entries()) {
        const files = [];
        for (const [j, p] of c.files.entries()) {
          const body = Buffer.from(`run ${n} commit ${i} file ${j}\n`);
          await put(bucket, `${prefix}/objects/${sha(body)}`, body);
          files.push({ path: p, bytes: body.length, sha256: sha(body), format: 'generic', status: 'added', tensors: [], removedTensors: [], delta: null });
        }
        const manifest = { formatVersion: 1, parent, type: 'CHECKPOINT', message: c.message, createdAt: `2099-01-0${i + 1}T00:00:00.000Z`, source: { path: c.source, kind: c.kind }, files, removedFiles: [] };
        const bytes = Buffer.from(JSON.stringify(manifest));
        parent = sha(bytes);
        await put(bucket, `${prefix}/manifests/${parent}`, bytes);
      }
      const before = await snapshotFiles(world);
      const b = path.join(world, `clone${n}`);
      const target = path.join(world, `target${n}`);
      const runs = [await wl(world, 'clone', `s3://${bucket}/${prefix}`, b)];
      const cloned = runs[0]!.code === 0;
      if (cloned) runs.push(await wl(b, 'log'), await wl(b, 'show', 'HEAD'), await wl(b, 'restore', 'HEAD', '--to', target), await wl(b, 'restore', 'HEAD'), await wl(b, 'verify', '--remote', 'origin'));
      const key = cloned ? 'cloned' : (runs[0]!.stderr.match(/UNSAFE_PATH|refusing this commit manifest|damaged|cannot read/u)?.[0] ?? runs[0]!.stderr.slice(0, 60));
      outcomes[key] = (outcomes[key] ?? 0) + 1;
      for (const r of runs) {
        expect([0, 1]).toContain(r.code);
        expect(r.stderr).not.toMatch(/internal error/u);
        expect([...r.stdout + r.stderr].filter((ch) => RAW_CONTROL.test(ch))).toEqual([]);
      }
      const after = await snapshotFiles(world);
      for (const [file] of after) {
        if (before.has(file)) continue;
        const under = [b, target].find((dir) => !path.relative(dir, file).startsWith('..'));
        expect(under, file).toBeDefined();
        const rel = path.relative(under!, file).split(path.sep);
        const inStore = under === b && rel[0] === '.weightline';
        if (!inStore) for (const p of rel) expect(['.git', '.weightline', '.hg'].includes(p.replace(/[. ]+$/u, '').toLowerCase()), file).toBe(false);
      }
      await expect(fs.access(path.join(b, '.weightline', 'lock'))).rejects.toThrow();
      if (!cloned) await expect(fs.access(b)).rejects.toThrow(); // a failed clone removes the folder it made
    }), { numRuns: 16 });
    console.log(`hostile-remote property: ${JSON.stringify(outcomes)}`);
  });
});
