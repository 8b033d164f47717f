// Remotes against a real S3 server (Ceph radosgw, scripts/s3-server.sh):
// round trips, branches from two stores, bad conditions, damage, lazy restore.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { useScratch } from '../helpers/models';
import {
  commitNudged, findS3, jsonError, localObjects, makeHistory, newBucket, s3Client, sha256File, wl, wlOk, listKeys, type S3Env,
} from './helpers';

const s3 = await findS3();
const scratch = useScratch();

describe.skipIf(s3.skip !== null)(`remotes on a real S3 server${s3.skip ? ` (skipped: ${s3.skip})` : ''}`, () => {
  const env = s3.env as S3Env;
  const client = s3.env ? s3Client(env) : null;
  afterAll(() => client?.destroy());

  const remoteKeys = (bucket: string, prefix: string): Promise<Map<string, number>> => listKeys(client!, bucket, prefix);

  it('push then clone gives every version back bit-exact; a second push sends nothing', async () => {
    const bucket = await newBucket(env);
    const a = path.join(scratch(), 'a');
    // 6M floats = 24 MB: full objects go as multipart uploads (parts of 16 MiB).
    const h = await makeHistory(a, 4, { floats: 6_000_000 });
    await wlOk(a, 'remote', 'add', 'origin', `s3://${bucket}/team/run1`);
    const first = await wlOk<{ commits: string[]; objectsUploaded: number; bytesUploaded: number }>(a, 'push', '--json');
    expect(first.commits).toEqual(h.ids);
    // What push sends: the CHECKPOINT's and the tip's full objects and the 3 deltas, not the 2 middle full objects.
    expect(first.objectsUploaded).toBe(5);
    const objects = await remoteKeys(bucket, 'team/run1/objects/');
    expect(objects.size).toBe(5);
    const manifests = await remoteKeys(bucket, 'team/run1/manifests/');
    expect([...manifests.keys()].sort()).toEqual([...h.ids].sort());
    const again = await wlOk<{ commits: string[]; objectsUploaded: number; alreadyThere: number }>(a, 'push', '--json');
    expect(again).toMatchObject({ commits: [], objectsUploaded: 0, alreadyThere: 4 });

    const b = path.join(scratch(), 'b');
    const cloned = await wlOk<{ head: string; fetched: number; restored: string }>(path.dirname(b), 'clone', `s3://${bucket}/team/run1`, b, '--json');
    expect(cloned).toMatchObject({ head: h.ids[3], fetched: 4, restored: 'model.safetensors' });
    expect(await sha256File(path.join(b, 'model.safetensors'))).toBe(h.shas[3]);
    for (let i = 0; i < 4; i++) {
      const out = path.join(b, `v${i}.safetensors`);
      await wlOk(b, 'restore', h.ids[i]!, '--to', out);
      expect(await sha256File(out)).toBe(h.shas[i]);
    }
    const remotes = await wlOk<Array<{ name: string; url: string }>>(b, 'remote', 'list', '--json');
    expect(remotes).toMatchObject([{ name: 'origin', url: `s3://${bucket}/team/run1` }]);
    expect((await wlOk<{ ok: boolean }>(b, 'verify', '--remote', 'origin', '--json')).ok).toBe(true);
    expect((await wlOk<{ ok: boolean }>(b, 'verify', '--json')).ok).toBe(true);
  });

  it('two stores push different branches to one remote; a third clones and sees both', async () => {
    const bucket = await newBucket(env);
    const url = `s3://${bucket}/shared`;
    const a = path.join(scratch(), 'a');
    const h = await makeHistory(a, 3, { floats: 500_000 });
    await wlOk(a, 'remote', 'add', 'origin', url);
    await wlOk(a, 'push');
    const b = path.join(scratch(), 'b');
    await wlOk(path.dirname(b), 'clone', url, b);
    // B branches off the middle commit; A goes on along its line; both push at once.
    await wlOk(b, 'restore', h.ids[1]!);
    const onB = await commitNudged(b, 7, 'branch b');
    const onA = await commitNudged(a, 8, 'line a');
    const [pa, pb] = await Promise.all([wl(a, 'push', '--json'), wl(b, 'push', '--json')]);
    expect(pa.code, pa.stderr).toBe(0);
    expect(pb.code, pb.stderr).toBe(0);

    const c = path.join(scratch(), 'c');
    await wlOk(path.dirname(c), 'clone', url, c, '--no-checkout');
    const log = await wlOk<Array<{ id: string; parent: string | null; location: string }>>(c, 'log', '--json');
    expect(log.map((e) => e.id).sort()).toEqual([...h.ids, onA.id, onB.id].sort());
    expect(log.find((e) => e.id === onB.id)!.parent).toBe(h.ids[1]);
    expect(log.find((e) => e.id === onA.id)!.parent).toBe(h.ids[2]);
    expect(new Set(log.map((e) => e.location))).toEqual(new Set(['remote']));
    for (const [id, sha] of [[onA.id, onA.sha], [onB.id, onB.sha]] as const) {
      const out = path.join(c, `${id.slice(0, 8)}.safetensors`);
      await wlOk(c, 'restore', id, '--to', out);
      expect(await sha256File(out)).toBe(sha);
    }
    // A learns of B's branch by fetching: its log then tells its own commits from B's.
    const f = await wlOk<{ fetched: string[] }>(a, 'fetch', '--json');
    expect(f.fetched).toEqual([onB.id]);
    const alog = await wlOk<Array<{ id: string; location: string }>>(a, 'log', '--json');
    expect(alog.find((e) => e.id === onB.id)!.location).toBe('remote');
    expect(alog.find((e) => e.id === onA.id)!.location).toBe('both');
    const status = await wlOk<{ commitsRemoteOnly: number; commitsBoth: number; commitsLocalOnly: number }>(a, 'status', '--json');
    expect(status).toMatchObject({ commitsRemoteOnly: 1, commitsBoth: 4, commitsLocalOnly: 0 });
  });

  it('lazy restore downloads only the objects of the cheapest route', async () => {
    const bucket = await newBucket(env);
    const url = `s3://${bucket}/lazy`;
    const a = path.join(scratch(), 'a');
    const h = await makeHistory(a, 5, { floats: 1_000_000 });
    await wlOk(a, 'remote', 'add', 'origin', url);
    await wlOk(a, 'push');
    const b = path.join(scratch(), 'b');
    await wlOk(path.dirname(b), 'clone', url, b, '--no-checkout');
    expect((await localObjects(b)).size).toBe(0);
    // Commit 2: from the CHECKPOINT's full object, two deltas forward. Not the
    // tip's full object, nor the deltas of commits 3 and 4.
    const manifests = await Promise.all(h.ids.map(async (id) => JSON.parse(await fs.readFile(path.join(a, '.weightline', 'commits', `${id}.json`), 'utf8')) as { files: Array<{ sha256: string; bytes: number; delta: { object: string; bytes: number } | null }> }));
    const expected = new Map<string, number>([
      [manifests[0]!.files[0]!.sha256, manifests[0]!.files[0]!.bytes],
      [manifests[1]!.files[0]!.delta!.object, manifests[1]!.files[0]!.delta!.bytes],
      [manifests[2]!.files[0]!.delta!.object, manifests[2]!.files[0]!.delta!.bytes],
    ]);
    const out = path.join(b, 'v2.safetensors');
    await wlOk(b, 'restore', h.ids[2]!, '--to', out);
    expect(await sha256File(out)).toBe(h.shas[2]);
    const got = await localObjects(b);
    expect(new Map([...got].sort())).toEqual(new Map([...expected].sort()));
    const bytes = [...got.values()].reduce((s, n) => s + n, 0);
    const everything = [...(await remoteKeys(bucket, 'lazy/objects/')).values()].reduce((s, n) => s + n, 0);
    expect(bytes).toBeLessThan(everything);
    // Restoring it again downloads nothing more.
    await wlOk(b, 'restore', h.ids[2]!, '--to', out);
    expect((await localObjects(b)).size).toBe(3);
  });

  it('wrong credentials: REMOTE_AUTH naming the remote, nothing written on either side', async () => {
    const bucket = await newBucket(env);
    const a = path.join(scratch(), 'a');
    await makeHistory(a, 2, { floats: 100_000 });
    await wlOk(a, 'remote', 'add', 'origin', `s3://${bucket}/p`);
    const before = await fs.readdir(path.join(a, '.weightline'));
    const saved = process.env.AWS_SECRET_ACCESS_KEY;
    process.env.AWS_SECRET_ACCESS_KEY = 'not-the-secret';
    try {
      const r = await wl(a, 'push', '--json');
      expect(r.code).toBe(1);
      const e = jsonError(r);
      expect(e.code).toBe('REMOTE_AUTH');
      expect(e.message).toContain(`origin (s3://${bucket}/p`);
      expect(e.message).toContain('SignatureDoesNotMatch');
      const c = await wl(path.dirname(a), 'clone', `s3://${bucket}/p`, path.join(path.dirname(a), 'c'), '--json');
      expect(jsonError(c).code).toBe('REMOTE_AUTH');
      await expect(fs.stat(path.join(path.dirname(a), 'c'))).rejects.toThrow();
    } finally {
      process.env.AWS_SECRET_ACCESS_KEY = saved;
    }
    expect((await remoteKeys(bucket, '')).size).toBe(0);
    expect(await fs.readdir(path.join(a, '.weightline'))).toEqual(before);
  });

  it('a missing bucket and an unreachable endpoint: clear errors, and the next push completes', async () => {
    const a = path.join(scratch(), 'a');
    const h = await makeHistory(a, 2, { floats: 100_000 });
    await wlOk(a, 'remote', 'add', 'gone', 's3://wl-no-such-bucket-here/p');
    const r = await wl(a, 'push', 'gone', '--json');
    expect(r.code).toBe(1);
    expect(jsonError(r)).toMatchObject({ code: 'REMOTE_NOT_FOUND' });
    expect(jsonError(r).message).toContain('"wl-no-such-bucket-here" does not exist');
    const c = await wl(path.dirname(a), 'clone', 's3://wl-no-such-bucket-here/p', path.join(path.dirname(a), 'c'), '--json');
    expect(jsonError(c).code).toBe('REMOTE_NOT_FOUND');
    await expect(fs.stat(path.join(path.dirname(a), 'c'))).rejects.toThrow();

    const bucket = await newBucket(env);
    await wlOk(a, 'remote', 'add', 'origin', `s3://${bucket}/p`);
    const u = await wl(a, 'push', 'origin', '--endpoint', 'http://127.0.0.1:9', '--json');
    expect(u.code).toBe(1);
    expect(jsonError(u).code).toBe('REMOTE_UNREACHABLE');
    expect(jsonError(u).message).toContain('127.0.0.1:9');
    const ok = await wlOk<{ commits: string[] }>(a, 'push', 'origin', '--json');
    expect(ok.commits).toEqual(h.ids);
  });

  it('a remote object damaged by hand is caught by verify --remote and by restore, naming the remote and key', async () => {
    const bucket = await newBucket(env);
    const url = `s3://${bucket}/dmg`;
    const a = path.join(scratch(), 'a');
    const h = await makeHistory(a, 3, { floats: 200_000 });
    await wlOk(a, 'remote', 'add', 'origin', url);
    await wlOk(a, 'push');
    // Damage the delta of commit 1: same length, one byte changed.
    const m1 = JSON.parse(await fs.readFile(path.join(a, '.weightline', 'commits', `${h.ids[1]}.json`), 'utf8')) as { files: Array<{ delta: { object: string } }> };
    const key = `dmg/objects/${m1.files[0]!.delta.object}`;
    const got = await client!.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const bytes = Buffer.from(await got.Body!.transformToByteArray());
    const at = bytes.length >> 1;
    bytes[at] = bytes[at]! ^ 0xff;
    await client!.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes }));

    const v = await wl(a, 'verify', '--remote', 'origin', '--json');
    expect(v.code).toBe(1);
    const res = JSON.parse(v.stdout) as { ok: boolean; damaged: string[]; commits: Array<{ id: string; ok: boolean; problems: string[] }> };
    expect(res.damaged).toEqual([key]);
    const byId = new Map(res.commits.map((c) => [c.id, c]));
    expect(byId.get(h.ids[0]!)!.ok).toBe(true);
    // Issue 18: verify --remote agrees with restore, which rebuilds commit 1
    // backward from the tip's full object through the tip's delta (below).
    expect(res.ok).toBe(false);
    expect(byId.get(h.ids[1]!)!.ok).toBe(true);
    expect(byId.get(h.ids[2]!)!.ok).toBe(true); // the tip's full object is there whole
    const text = await wl(a, 'verify', '--remote', 'origin');
    expect(text.stdout).toContain(`damaged: ${key}`);

    const b = path.join(scratch(), 'b');
    await wlOk(path.dirname(b), 'clone', url, b, '--no-checkout');
    // Issue 18: restore takes the next intact route, as a local restore does
    // (here backward from the tip's full object through the tip's delta), and says so.
    const out = path.join(b, 'v1.safetensors');
    const r = await wl(b, 'restore', h.ids[1]!, '--to', out, '--json');
    expect(r.code).toBe(0);
    expect(await sha256File(out)).toBe(h.shas[1]);
    expect(r.stderr).toContain('note:');
    expect(r.stderr).toContain(key);
    expect(r.stderr).toContain('damaged');
    expect((await localObjects(b)).has(m1.files[0]!.delta.object)).toBe(false);
    // With the tip's full object gone too, no route is left: REMOTE_CORRUPT naming the damaged key.
    const tipKey = `dmg/objects/${h.shas[2]}`;
    await client!.send(new PutObjectCommand({ Bucket: bucket, Key: tipKey, Body: Buffer.from('not the tip') }));
    const c = path.join(scratch(), 'c');
    await wlOk(path.dirname(c), 'clone', url, c, '--no-checkout');
    const r2 = await wl(c, 'restore', h.ids[1]!, '--to', path.join(c, 'v1.safetensors'), '--json');
    expect(r2.code).toBe(1);
    expect(jsonError(r2).code).toBe('REMOTE_CORRUPT');
    expect(jsonError(r2).message).toMatch(/dmg\/objects\//);
    expect(jsonError(r2).message).toContain(`origin (${url}`);
    await expect(fs.stat(path.join(c, 'v1.safetensors'))).rejects.toThrow();
    const leftovers = (await fs.readdir(path.join(b, '.weightline'))).filter((n) => n.startsWith('.tmp-'));
    expect(leftovers).toEqual([]);
  });
});
