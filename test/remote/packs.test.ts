// What the remote gets from a store that has run a cleanup: CHECKPOINTs out
// of the hot set go in their packed form with a pack key, and fetch, clone,
// lazy restore, verify --remote, log/status and repair understand them. Also:
// ranged parallel downloads of large objects, and the multipart uploads an
// interrupted push leaves behind, aborted by the next push. Real S3 server.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import {
  CreateMultipartUploadCommand, ListMultipartUploadsCommand, PutObjectCommand, UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { useScratch } from '../helpers/models';
import { findS3, localObjects, makeHistory, newBucket, s3Client, sha256File, wl, wlOk, listKeys, type S3Env } from './helpers';

const s3 = await findS3();
const scratch = useScratch();

interface Manifest { type: string; files: Array<{ sha256: string; bytes: number; delta: { object: string | null; bytes: number } | null }> }

describe.skipIf(s3.skip !== null)(`packed full parameters on a real S3 server${s3.skip ? ` (skipped: ${s3.skip})` : ''}`, () => {
  const env = s3.env as S3Env;
  const client = s3.env ? s3Client(env) : null;
  afterAll(() => client?.destroy());

  const remoteKeys = (bucket: string, prefix: string): Promise<Map<string, number>> => listKeys(client!, bucket, prefix);

  it('push sends packed CHECKPOINTs with their pack keys; clone, lazy restore, verify --remote, log and repair read them', async () => {
    const bucket = await newBucket(env);
    const url = `s3://${bucket}/run`;
    const a = path.join(scratch(), 'a');
    // 3M floats = 12 MB per version: larger than a download range (8 MiB), so downloads go ranged.
    const h = await makeHistory(a, 7, { floats: 3_000_000, checkpointEvery: 3 });
    const manifest = async (id: string): Promise<Manifest> => JSON.parse(await fs.readFile(path.join(a, '.weightline', 'commits', `${id}.json`), 'utf8')) as Manifest;
    const cleaned = await wlOk<{ packs: Array<{ id: string; packedBytes: number }> }>(a, 'cleanup', '--json');
    // CHECKPOINTs 0 and 3 are out of the hot set (the newest 2: commits 5 and 6): packed.
    expect(cleaned.packs.map((p) => p.id).sort()).toEqual([h.ids[0], h.ids[3]].sort());
    const packs = new Map((await fs.readdir(path.join(a, '.weightline', 'packs'))).map((n) => n.split('.') as [string, string]));

    await wlOk(a, 'remote', 'add', 'origin', url);
    const pushed = await wlOk<{ objectsUploaded: number; bytesUploaded: number; packedSent: number; bytesSavedByPacks: number }>(a, 'push', '--json');
    expect(pushed.packedSent).toBe(2);
    expect(pushed.bytesSavedByPacks).toBeGreaterThan(0);
    const objects = await remoteKeys(bucket, 'run/objects/');
    const packKeys = await remoteKeys(bucket, 'run/packs/');
    expect([...packKeys.keys()].sort()).toEqual([...packs].map(([f, p]) => `${f}.${p}`).sort());
    expect([...packKeys.values()]).toEqual([0, 0]);
    for (const [full, packed] of packs) {
      expect(objects.has(packed)).toBe(true);
      expect(objects.has(full)).toBe(false); // the raw form is not sent
    }
    // Every CHECKPOINT has its full parameters on the remote, raw or packed; commits 5 and 6 (the hot set) raw.
    expect(objects.has((await manifest(h.ids[6]!)).files[0]!.sha256)).toBe(true);
    const sent = [...objects.values()].reduce((s, n) => s + n, 0);
    expect(sent).toBe(pushed.bytesUploaded);

    // The pushing store: packed CHECKPOINTs are here (log says both, not remote).
    const alog = await wlOk<Array<{ id: string; location: string }>>(a, 'log', '--json');
    expect(new Set(alog.map((e) => e.location))).toEqual(new Set(['both']));
    expect(await wlOk<{ ok: boolean }>(a, 'verify', '--remote', 'origin', '--json')).toMatchObject({ ok: true });
    // A second push sends nothing more (the packs are known there).
    expect(await wlOk<{ objectsUploaded: number; packedSent: number }>(a, 'push', '--json')).toMatchObject({ objectsUploaded: 0, packedSent: 0 });

    const b = path.join(scratch(), 'b');
    await wlOk(path.dirname(b), 'clone', url, b, '--no-checkout');
    // Nothing restored yet: repair reports every commit restorable from origin, none lost.
    const rep = await wl(b, 'repair', '--json');
    expect(rep.code, rep.stderr).toBe(0);
    const repaired = JSON.parse(rep.stdout) as { ok: boolean; commits: Array<{ id: string; outcome: string; detail: string | null }> };
    expect(repaired.ok).toBe(true);
    expect(new Set(repaired.commits.map((c) => c.outcome))).toEqual(new Set(['restorable']));
    expect(repaired.commits[0]!.detail).toContain('remote origin');

    // Commit 1: from CHECKPOINT 0's packed object and one delta. Downloaded: those two, the pack recorded here.
    const [full0, packed0] = [...packs].find(([f]) => f === h.shas[0])!;
    const out = path.join(b, 'v1.safetensors');
    await wlOk(b, 'restore', h.ids[1]!, '--to', out);
    expect(await sha256File(out)).toBe(h.shas[1]);
    const got = await localObjects(b);
    expect(new Set(got.keys())).toEqual(new Set([packed0, (await manifest(h.ids[1]!)).files[0]!.delta!.object!]));
    expect(await fs.readdir(path.join(b, '.weightline', 'packs'))).toEqual([`${full0}.${packed0}`]);
    // Commit 0 (the packed CHECKPOINT itself) now restores from what is here: nothing more downloaded.
    await wlOk(b, 'restore', h.ids[0]!, '--to', path.join(b, 'v0.safetensors'));
    expect(await sha256File(path.join(b, 'v0.safetensors'))).toBe(h.shas[0]);
    expect((await localObjects(b)).size).toBe(2);
    const blog = await wlOk<Array<{ id: string; location: string }>>(b, 'log', '--json');
    const where = new Map(blog.map((e) => [e.id, e.location]));
    expect([h.ids[0], h.ids[1]].map((id) => where.get(id!))).toEqual(['both', 'both']);
    expect(where.get(h.ids[4]!)).toBe('remote');
    // Every version, bit-exact, from the clone (CHECKPOINT 3 packed, the tip raw, deltas).
    for (let i = 2; i < h.ids.length; i++) {
      const o = path.join(b, `v${i}.safetensors`);
      await wlOk(b, 'restore', h.ids[i]!, '--to', o);
      expect(await sha256File(o)).toBe(h.shas[i]);
    }
    expect(await wlOk<{ ok: boolean }>(b, 'verify', '--json')).toMatchObject({ ok: true });
  });

  it('a large object downloaded in ranges is hash-checked whole: one flipped byte is REMOTE_CORRUPT, nothing kept', async () => {
    const bucket = await newBucket(env);
    const a = path.join(scratch(), 'a');
    const h = await makeHistory(a, 1, { floats: 5_000_000 });
    await wlOk(a, 'remote', 'add', 'origin', `s3://${bucket}/d`);
    await wlOk(a, 'push');
    const m0 = JSON.parse(await fs.readFile(path.join(a, '.weightline', 'commits', `${h.ids[0]}.json`), 'utf8')) as Manifest;
    const key = `d/objects/${m0.files[0]!.sha256}`;
    // Same length, one byte flipped near the end: in the last range, hashed after the ranges before it.
    const bytes = await fs.readFile(path.join(a, 'model.safetensors'));
    bytes[bytes.length - 1000] = bytes[bytes.length - 1000]! ^ 0x01;
    await client!.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes }));
    const c = path.join(scratch(), 'c');
    await wlOk(path.dirname(c), 'clone', `s3://${bucket}/d`, c, '--no-checkout');
    const r = await wl(c, 'restore', h.ids[0]!, '--json');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('REMOTE_CORRUPT');
    expect(r.stderr).toContain(key);
    expect((await localObjects(c)).size).toBe(0);
    expect((await fs.readdir(path.join(c, '.weightline'))).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
  });

  it('multipart uploads left by an interrupted push are aborted by the next push', async () => {
    const bucket = await newBucket(env);
    const a = path.join(scratch(), 'a');
    // 5M floats = 20 MB: the full objects go multipart.
    const h = await makeHistory(a, 2, { floats: 5_000_000 });
    const m0 = JSON.parse(await fs.readFile(path.join(a, '.weightline', 'commits', `${h.ids[0]}.json`), 'utf8')) as Manifest;
    const key = `p/objects/${m0.files[0]!.sha256}`;
    // What a SIGKILLed push leaves: an upload started, one part sent, never completed nor aborted.
    const started = await client!.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
    await client!.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: started.UploadId, PartNumber: 1, Body: Buffer.alloc(5 * 1024 * 1024, 1) }));
    // And one for a key no push of this store writes: not ours to judge, left alone.
    const other = await client!.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'p/objects/not-an-object' }));
    const uploads = async (): Promise<string[]> => ((await client!.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? []).map((u) => u.Key!).sort();
    expect(await uploads()).toEqual([key, 'p/objects/not-an-object'].sort());

    await wlOk(a, 'remote', 'add', 'origin', `s3://${bucket}/p`);
    const pushed = await wlOk<{ staleUploadsAborted: number }>(a, 'push', '--json');
    expect(pushed.staleUploadsAborted).toBe(1);
    expect(await uploads()).toEqual(['p/objects/not-an-object']);
    expect(other.UploadId).toBeTruthy();

    const c = path.join(scratch(), 'c');
    await wlOk(path.dirname(c), 'clone', `s3://${bucket}/p`, c);
    expect(await sha256File(path.join(c, 'model.safetensors'))).toBe(h.shas[1]);
  });
});
