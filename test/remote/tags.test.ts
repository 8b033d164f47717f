// Tags travel with push and fetch on a real S3 server (scripts/s3-server.sh):
// each setting is a write-once record under PREFIX/tags/, the newest setting
// of a name wins, a deletion travels, a local setting newer than the remote's
// stays, and no record is ever overwritten.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import type { TagInfo } from '../../src-shared/model';
import { useScratch } from '../helpers/models';
import { commitNudged, findS3, jsonError, makeHistory, newBucket, s3Client, sha256File, wl, wlOk, type S3Env } from './helpers';

const s3 = await findS3();
const scratch = useScratch();

describe.skipIf(s3.skip !== null)(`tags on a real S3 server${s3.skip ? ` (skipped: ${s3.skip})` : ''}`, () => {
  const env = s3.env as S3Env;
  const client = s3.env ? s3Client(env) : null;
  afterAll(() => client?.destroy());

  /** Every tag record under the prefix, with the ETag and time the server gave it (a rewrite would change them). */
  async function records(bucket: string, prefix: string): Promise<Map<string, { size: number; etag: string; modified: number }>> {
    const out = new Map<string, { size: number; etag: string; modified: number }>();
    const r = await client!.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}tags/` }));
    for (const o of r.Contents ?? []) out.set(o.Key!.slice(`${prefix}tags/`.length), { size: o.Size ?? -1, etag: o.ETag ?? '', modified: o.LastModified?.getTime() ?? 0 });
    return out;
  }

  const tagsOf = async (dir: string): Promise<TagInfo[]> => wlOk<TagInfo[]>(dir, 'tag', '--list', '--json');

  it('a tag travels with push and clone; moving it adds a record and the newest wins; a deletion travels; records are never rewritten', async () => {
    const bucket = await newBucket(env);
    const url = `s3://${bucket}/team`;
    const a = path.join(scratch(), 'a');
    const h = await makeHistory(a, 3, { floats: 50_000 });
    await wlOk(a, 'remote', 'add', 'origin', url);
    await wlOk(a, 'tag', 'best', h.ids[1]!);
    const first = await wlOk<{ tagsSent: number }>(a, 'push', '--json');
    expect(first.tagsSent).toBe(1);
    const [setA] = await tagsOf(a);
    const r1 = await records(bucket, 'team/');
    expect([...r1.keys()]).toEqual([`best/${setA!.setAt}_${h.ids[1]}`]);
    expect(r1.get(`best/${setA!.setAt}_${h.ids[1]}`)!.size).toBe(0);

    // A clone brings the tag, says where it came from, and it is a ref there.
    const b = path.join(scratch(), 'b');
    await wlOk(path.dirname(b), 'clone', url, b, '--json');
    expect(await tagsOf(b)).toEqual([{ name: 'best', commit: h.ids[1], setAt: setA!.setAt, from: 'origin' }]);
    expect(await wlOk(b, 'tag')).toMatch(new RegExp(`^best → ${h.ids[1]!.slice(0, 12)}  \\(from origin, set `, 'm'));
    await wlOk(b, 'restore', 'best', '--to', path.join(b, 'best.safetensors'));
    expect(await sha256File(path.join(b, 'best.safetensors'))).toBe(h.shas[1]);
    expect(await wlOk(b, 'log')).toMatch(new RegExp(`${h.ids[1]!.slice(0, 12)} DELTA +step 1  \\(tag: best`));

    // Moved in a: a second record; the first stays as it was.
    await wlOk(a, 'tag', 'best', h.ids[2]!);
    expect((await wlOk<{ tagsSent: number }>(a, 'push', '--json')).tagsSent).toBe(1);
    const r2 = await records(bucket, 'team/');
    expect(r2.size).toBe(2);
    for (const [k, v] of r1) expect(r2.get(k)).toEqual(v);
    const fetched = await wlOk<{ tags: string[] }>(b, 'fetch', '--json');
    expect(fetched.tags).toEqual(['best']);
    expect((await tagsOf(b)).map((t) => [t.name, t.commit, t.from])).toEqual([['best', h.ids[2], 'origin']]);
    // Nothing new: a second push sends no record, a second fetch changes no tag.
    expect((await wlOk<{ tagsSent: number }>(a, 'push', '--json')).tagsSent).toBe(0);
    expect((await wlOk<{ tags: string[] }>(b, 'fetch', '--json')).tags).toEqual([]);

    // Deleted in a: the deletion is a record too, and b's tag goes.
    await wlOk(a, 'tag', '-d', 'best');
    expect((await wlOk<{ tagsSent: number }>(a, 'push', '--json')).tagsSent).toBe(1);
    const r3 = await records(bucket, 'team/');
    expect([...r3.keys()].filter((k) => k.endsWith('_deleted'))).toHaveLength(1);
    for (const [k, v] of r2) expect(r3.get(k)).toEqual(v);
    expect((await wlOk<{ tags: string[] }>(b, 'fetch', '--json')).tags).toEqual(['best']);
    expect(await tagsOf(b)).toEqual([]);
    const gone = await wl(b, 'restore', 'best', '--json');
    expect(gone.code).toBe(2);
  });

  it('a local setting newer than the remote\'s stays, and wins on the remote once pushed; a tag of an unpushed commit waits', async () => {
    const bucket = await newBucket(env);
    const url = `s3://${bucket}/p`;
    const a = path.join(scratch(), 'a');
    const h = await makeHistory(a, 2, { floats: 50_000 });
    await wlOk(a, 'remote', 'add', 'origin', url);
    await wlOk(a, 'tag', 'best', h.ids[0]!);
    await wlOk(a, 'push');
    const b = path.join(scratch(), 'b');
    await wlOk(path.dirname(b), 'clone', url, b);

    // b moves the tag after a set it: b's setting is newer.
    await wlOk(b, 'tag', 'best', h.ids[1]!);
    expect((await wlOk<{ tags: string[] }>(b, 'fetch', '--json')).tags).toEqual([]);
    expect((await tagsOf(b))[0]).toMatchObject({ name: 'best', commit: h.ids[1] });
    expect((await tagsOf(b))[0]!.from).toBeUndefined();
    await wlOk(b, 'push');
    expect((await wlOk<{ tags: string[] }>(a, 'fetch', '--json')).tags).toEqual(['best']);
    expect((await tagsOf(a))[0]).toMatchObject({ name: 'best', commit: h.ids[1], from: 'origin' });

    // A tag on a commit a push with refs leaves behind is not sent (a remote tag always names a commit there).
    const c = await commitNudged(a, 7, 'unpushed');
    await wlOk(a, 'tag', 'later', c.id);
    const partial = await wlOk<{ tagsSent: number }>(a, 'push', h.ids[1]!, '--json');
    expect(partial.tagsSent).toBe(0);
    expect([...(await records(bucket, 'p/')).keys()].some((k) => k.startsWith('later/'))).toBe(false);
    expect((await wlOk<{ tagsSent: number }>(a, 'push', '--json')).tagsSent).toBe(1);
  });

  it('a damaged tags.json stops a push before it sends anything', async () => {
    const bucket = await newBucket(env);
    const a = path.join(scratch(), 'a');
    await makeHistory(a, 1, { floats: 50_000 });
    await wlOk(a, 'remote', 'add', 'origin', `s3://${bucket}/d`);
    await fs.writeFile(path.join(a, '.weightline', 'tags.json'), '{"version":1,"tags":{"best":{"commit":"nope"}}}');
    const r = await wl(a, 'push', '--json');
    expect(r.code).toBe(1);
    expect(jsonError(r)).toMatchObject({ code: 'CORRUPT', message: expect.stringContaining('damaged tags.json') });
    const c = await client!.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(c.Contents ?? []).toEqual([]);
  });

  it('a fetched tag whose commit is not there yet is listed as such; a key under tags/ that is no record stops the fetch before anything lands', async () => {
    const bucket = await newBucket(env);
    const url = `s3://${bucket}/q`;
    const a = path.join(scratch(), 'a');
    await makeHistory(a, 1, { floats: 50_000 });
    await wlOk(a, 'remote', 'add', 'origin', url);
    await wlOk(a, 'push');
    const b = path.join(scratch(), 'b');
    await wlOk(path.dirname(b), 'clone', url, b);
    // Another Weightline's record naming a commit whose manifest is not on the remote (a push of it still running).
    const ghost = 'cd'.repeat(32);
    await client!.send(new PutObjectCommand({ Bucket: bucket, Key: `q/tags/next/2026-12-07T18:40:00.000Z_${ghost}`, Body: Buffer.alloc(0) }));
    expect((await wlOk<{ tags: string[] }>(b, 'fetch', '--json')).tags).toEqual(['next']);
    expect(await tagsOf(b)).toEqual([{ name: 'next', commit: ghost, setAt: '2026-12-07T18:40:00.000Z', from: 'origin', missing: true }]);
    expect(jsonError(await wl(b, 'show', 'next', '--json'))).toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('which this store does not hold') });

    await client!.send(new PutObjectCommand({ Bucket: bucket, Key: 'q/tags/HEAD/2026-12-07T18:40:00.000Z_deleted', Body: Buffer.alloc(0) }));
    const more = await commitNudged(a, 3, 'more');
    // A stray key does not hold a push back; fetch refuses it before any manifest lands.
    await wlOk(a, 'push');
    const before = await fs.readFile(path.join(b, '.weightline', 'tags.json'), 'utf8');
    const r = await wl(b, 'fetch', '--json');
    expect(r.code).toBe(1);
    expect(jsonError(r)).toMatchObject({ code: 'REMOTE_CORRUPT', message: expect.stringContaining('q/tags/HEAD/2026-12-07T18:40:00.000Z_deleted, which is not a tag record') });
    expect(await fs.readFile(path.join(b, '.weightline', 'tags.json'), 'utf8')).toBe(before);
    expect(await fs.stat(path.join(b, '.weightline', 'commits', `${more.id}.json`)).catch(() => null)).toBeNull();
  });
});
