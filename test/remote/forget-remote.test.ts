// Remotes stay whole across a forget (issue 21, item 7), on a real S3 server
// (scripts/s3-server.sh): a push after a forget sends the kept commits with
// their route records (routes/<id>/<sha256>) and the re-based objects, never
// deletes or rewrites a key; a clone of such a remote restores every kept
// version bit-exact; a commit forgotten locally but pushed before comes back
// with fetch as a remote-only commit and restores; log stays consistent.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { forgetVersions } from '../../src-main/core/ops/forget';
import { Store } from '../../src-main/core/store/store';
import type { LogEntry } from '../../src-shared/model';
import { useScratch } from '../helpers/models';
import { findS3, jsonError, listKeys, makeHistory, newBucket, s3Client, sha256File, wl, wlOk, type S3Env } from './helpers';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';

const s3 = await findS3();
const scratch = useScratch();

describe.skipIf(s3.skip !== null)(`forget and remotes on a real S3 server${s3.skip ? ` (skipped: ${s3.skip})` : ''}`, () => {
  const env = s3.env as S3Env;
  const client = s3.env ? s3Client(env) : null;
  afterAll(() => client?.destroy());

  async function expectRestores(dir: string, ids: readonly string[], shas: readonly string[], which: readonly number[], label: string): Promise<void> {
    for (const i of which) {
      const to = path.join(dir, 'check', `${label}-${i}.safetensors`);
      await wlOk(dir, 'restore', ids[i]!, '--to', to);
      expect(await sha256File(to), `${label}: version ${i}`).toBe(shas[i]);
    }
  }

  /** The log as {id → parent}, with each id once. */
  async function parents(dir: string): Promise<Map<string, string | null>> {
    const log = await wlOk<LogEntry[]>(dir, 'log', '--json');
    const out = new Map<string, string | null>();
    for (const c of log) {
      expect(out.has(c.id), `${c.id.slice(0, 12)} listed twice`).toBe(false);
      out.set(c.id, c.parent);
    }
    // Consistent: every parent is a commit of the log.
    for (const [id, p] of out) if (p) expect(out.has(p), `parent of ${id.slice(0, 12)}`).toBe(true);
    return out;
  }

  it('push after a forget sends route records and re-based objects and loses no key; a clone restores every kept version bit-exact; a forgotten commit pushed before comes back with fetch', async () => {
    const bucket = await newBucket(env);
    const url = `s3://${bucket}/run`;
    const a = path.join(scratch(), 'a');
    const h = await makeHistory(a, 8, { floats: 60_000 });
    await wlOk(a, 'remote', 'add', 'origin', url);
    // The first three versions reach the remote before the forget.
    const first = await wlOk<{ commits: string[] }>(a, 'push', h.ids[2]!, '--json');
    expect(first.commits).toEqual(h.ids.slice(0, 3));
    const before = await listKeys(client!, bucket, 'run/');

    // Forget 1 (pushed), 3, 4 and 6 (never pushed): 2 is re-based onto 0, 5 onto 2, 7 onto 5.
    const store = await Store.open(a);
    const plan = await forgetVersions(store, { refs: [h.ids[1]!, h.ids[3]!, h.ids[4]!, h.ids[6]!], dryRun: false });
    expect(plan.forgotten).toBe(4);
    const kept = [0, 2, 5, 7];
    expect(new Set((await store.routeRecords()).keys())).toEqual(new Set([h.ids[2], h.ids[5], h.ids[7]]));
    await expectRestores(a, h.ids, h.shas, kept, 'a');

    const pushed = await wlOk<{ commits: string[]; routesSent: number; objectsUploaded: number }>(a, 'push', '--json');
    // Only the kept commits the remote lacked, with the records they are stored by (2's own storage is on the remote already).
    expect(pushed.commits).toEqual([h.ids[5], h.ids[7]]);
    expect(pushed.routesSent).toBe(2);
    const after = await listKeys(client!, bucket, 'run/');
    // The remote never loses or changes a key.
    for (const [k, size] of before) expect(after.get(k), k).toBe(size);
    const routeKeys = [...after.keys()].filter((k) => k.startsWith('routes/')).sort();
    expect(routeKeys.map((k) => k.split('/')[1])).toEqual([h.ids[5], h.ids[7]].sort());
    // Nothing more to send: a second push is a no-op.
    expect((await wlOk<{ commits: string[]; routesSent: number }>(a, 'push', '--json'))).toMatchObject({ commits: [], routesSent: 0 });
    // verify --remote judges the re-based commits by their records: every one rebuilds from the remote alone.
    const vr = await wlOk<{ ok: boolean; commits: Array<{ id: string; ok: boolean; problems: string[] }> }>(a, 'verify', '--remote', 'origin', '--json');
    expect(vr.commits.filter((c) => !c.ok)).toEqual([]);
    expect(vr.ok).toBe(true);

    // A clone elsewhere: the remote's history (1 is still there) and every kept version bit-exact.
    const b = path.join(scratch(), 'b');
    const cloned = await wlOk<{ fetched: number; head: string }>(path.dirname(b), 'clone', url, b, '--json');
    expect(cloned.fetched).toBe(5);
    expect(cloned.head).toBe(h.ids[7]);
    // The two commits stored by records got them from the remote, byte for byte.
    expect((await fs.readdir(path.join(b, '.weightline', 'routes'))).sort()).toEqual([`${h.ids[5]}.json`, `${h.ids[7]}.json`].sort());
    for (const i of [5, 7]) expect(await fs.readFile(path.join(b, '.weightline', 'routes', `${h.ids[i]}.json`))).toEqual(await fs.readFile(path.join(a, '.weightline', 'routes', `${h.ids[i]}.json`)));
    const pb = await parents(b);
    // 2 keeps its own storage (its parent 1 is on the remote); 5 and 7 are stored by their records.
    expect(pb.get(h.ids[2]!)).toBe(h.ids[1]);
    expect(pb.get(h.ids[5]!)).toBe(h.ids[2]);
    expect(pb.get(h.ids[7]!)).toBe(h.ids[5]);
    await expectRestores(b, h.ids, h.shas, [0, 1, 2, 5, 7], 'b');
    expect(JSON.parse(await fs.readFile(path.join(b, '.weightline', 'format.json'), 'utf8'))).toMatchObject({ version: 2 });

    // Back in a: fetch brings the forgotten-but-pushed 1 back as a remote-only commit; it restores (lazily), and the log holds together.
    const fetched = await wlOk<{ fetched: string[] }>(a, 'fetch', '--json');
    expect(fetched.fetched).toEqual([h.ids[1]]);
    const pa = await parents(a);
    expect(pa.get(h.ids[1]!)).toBe(h.ids[0]);
    // The kept commits keep the local storage the forget gave them (no download needed to restore them).
    expect(pa.get(h.ids[2]!)).toBe(h.ids[0]);
    const log = await wlOk<LogEntry[]>(a, 'log', '--json');
    expect(log.map((c) => c.id).sort()).toEqual([h.ids[0], h.ids[1], h.ids[2], h.ids[5], h.ids[7]].sort());
    await expectRestores(a, h.ids, h.shas, [1, 0, 2, 5, 7], 'a-after-fetch');
    const final = await listKeys(client!, bucket, 'run/');
    for (const [k, size] of after) expect(final.get(k), k).toBe(size);
  });

  it('a kept commit with no kept ancestor travels as a CHECKPOINT record: push sends its full objects, a clone restores the kept versions bit-exact', async () => {
    const bucket = await newBucket(env);
    const url = `s3://${bucket}/p`;
    const a = path.join(scratch(), 'a');
    const h = await makeHistory(a, 6, { floats: 40_000 });
    const store = await Store.open(a);
    const plan = await forgetVersions(store, { policy: { keepLast: 2 }, dryRun: false });
    expect(plan.forgotten).toBe(4);
    const records = await store.routeRecords();
    expect(records.get(h.ids[4]!)?.record.type).toBe('CHECKPOINT');
    await wlOk(a, 'remote', 'add', 'origin', url);
    const pushed = await wlOk<{ commits: string[]; routesSent: number }>(a, 'push', '--json');
    expect(pushed.commits).toEqual([h.ids[4], h.ids[5]]);
    expect(pushed.routesSent).toBe(records.size);
    const b = path.join(scratch(), 'b');
    await wlOk(path.dirname(b), 'clone', url, b, '--json');
    const pb = await parents(b);
    expect([...pb.keys()].sort()).toEqual([h.ids[4], h.ids[5]].sort());
    expect(pb.get(h.ids[4]!)).toBeNull();
    await expectRestores(b, h.ids, h.shas, [4, 5], 'b');
    expect((await wlOk<{ ok: boolean }>(a, 'verify', '--remote', 'origin', '--json')).ok).toBe(true);
  });

  it('forged route records whose parents lead back to each other (a cycle): fetch refuses them naming a key, before writing anything, and verify --remote finishes and says so; nothing hangs', async () => {
    const bucket = await newBucket(env);
    const url = `s3://${bucket}/c`;
    const a = path.join(scratch(), 'a');
    const h = await makeHistory(a, 5, { floats: 30_000 });
    await wlOk(a, 'remote', 'add', 'origin', url);
    await wlOk(a, 'push', '--json');
    // Commits 2 and 4 lose their parents' manifests on the remote, so their route records decide their storage;
    // each record names the other as parent and stores the commit whole (its full object put beside it).
    for (const i of [1, 3]) await client!.send(new DeleteObjectCommand({ Bucket: bucket, Key: `c/manifests/${h.ids[i]!}` }));
    const store = await Store.open(a);
    for (const [i, parent] of [[2, 4], [4, 2]] as const) {
      const m = await store.readRecordedManifest(h.ids[i]!);
      const record = { version: 1, commit: h.ids[i], parent: h.ids[parent], recordedParent: m.parent, forgotten: 1, type: 'CHECKPOINT', files: m.files.map((f) => ({ path: f.path, delta: null })) };
      const bytes = Buffer.from(JSON.stringify(record) + '\n');
      await client!.send(new PutObjectCommand({ Bucket: bucket, Key: `c/routes/${h.ids[i]!}/${createHash('sha256').update(bytes).digest('hex')}`, Body: bytes }));
      const full = m.files[0]!.sha256;
      await client!.send(new PutObjectCommand({ Bucket: bucket, Key: `c/objects/${full}`, Body: await fs.readFile(store.objectPath(full)) }));
    }
    const b = path.join(scratch(), 'b');
    await wlOk(b, 'init');
    await wlOk(b, 'remote', 'add', 'origin', url);
    const fetched = await wl(b, 'fetch', '--json');
    expect(fetched.code).toBe(1);
    const err = jsonError(fetched);
    expect(err.code).toBe('REMOTE_CORRUPT');
    expect(err.message).toMatch(/c\/routes\/[0-9a-f]{64}\/[0-9a-f]{64}/u);
    expect(err.message).toContain('cycle');
    // Nothing of the cycle was written: neither commit nor a route record.
    const names = await fs.readdir(path.join(b, '.weightline', 'commits'));
    expect(names.filter((n) => n.startsWith(h.ids[2]!) || n.startsWith(h.ids[4]!))).toEqual([]);
    expect(await fs.readdir(path.join(b, '.weightline', 'routes')).catch(() => [])).toEqual([]);
    const verified = await wl(a, 'verify', '--remote', 'origin', '--json');
    expect(verified.code).toBe(1);
    expect(verified.stdout + verified.stderr).toContain('back to itself');
  });
});
