// Issue 18, items 1 and 4, against a real S3 server: a bucket someone else can
// write to must not be a way into the user's machine. The forged manifests
// and objects are written into the bucket by the test itself, byte by byte,
// as an attacker with write access would.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { useScratch } from '../helpers/models';
import { findS3, jsonError, makeHistory, newBucket, s3Client, sha256File, wl, wlOk, type S3Env } from './helpers';

const s3 = await findS3();
const scratch = useScratch();

/** What no terminal output may hold raw: C0 controls but newline and tab, DEL, C1 controls, bidi overrides and isolates. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;

/** Every file under dir with its sha256: what "unchanged" is checked against. */
async function snapshot(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (d: string): Promise<void> => {
    for (const e of await fs.readdir(d, { withFileTypes: true }).catch(() => [])) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) await walk(full);
      else out.set(full, await sha256File(full));
    }
  };
  await walk(dir);
  return out;
}

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

    const before = await snapshot(a);
    const f = await wl(a, 'fetch');
    expect(f.code).toBe(1);
    expect(f.stderr).toMatch(/^weightline: error: .*UNSAFE|refusing this commit manifest/);
    expect(f.stderr).toContain(key);
    expect(f.stderr).toMatch(/nothing was fetched and the store is unchanged/);
    expect(await snapshot(a)).toEqual(before);
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
    expect(c.stderr).toMatch(/not restored: .*outside the store; restore it with --to/);
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
});
