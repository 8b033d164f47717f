// A large object's download (client.ts getRanged): parallel ranged GETs whose
// bytes arrive in any order and in chunks of any size, each hashed from
// memory as it arrives (never read back from the file). Against a fake S3
// client that answers ranges of a buffer with random chunking and delays: the
// object lands bit-identical to the bytes served, exactly when they hash to
// its name; forged bytes under the name land nothing and are REMOTE_CORRUPT.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Remote, RANGE_SIZE } from '../../src-main/core/remote/client';
import { Store } from '../../src-main/core/store/store';
import { useScratch } from '../helpers/models';

const scratch = useScratch();
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** A Remote whose client serves `bytes` for every key: ranges cut into chunks of random sizes, each after a random delay. */
function fakeRemote(bytes: Buffer, seed: number): { remote: Remote; ranges: string[] } {
  const remote = new Remote('origin', 's3://bucket/run', { endpoint: 'http://127.0.0.1:9', region: 'us-east-1' });
  let x = seed >>> 0 || 1;
  const rand = (n: number): number => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return (x >>> 0) % n; };
  const ranges: string[] = [];
  (remote.client as unknown as { send: (cmd: unknown) => Promise<unknown> }).send = async (cmd: unknown) => {
    if (!(cmd instanceof GetObjectCommand)) throw new Error('only GetObject is faked');
    const range = cmd.input.Range!;
    ranges.push(range);
    const [, a, b] = /^bytes=(\d+)-(\d+)$/.exec(range)!;
    const start = Number(a);
    const end = Math.min(Number(b) + 1, bytes.length);
    const chunks: Buffer[] = [];
    for (let at = start; at < end;) { const n = Math.min(end - at, 1 + rand(256 * 1024)); chunks.push(Buffer.from(bytes.subarray(at, at + n))); at += n; }
    async function* body(): AsyncGenerator<Buffer> {
      for (const c of chunks) { if (rand(8) === 0) await new Promise((r) => setTimeout(r, rand(3))); yield c; }
    }
    await new Promise((r) => setTimeout(r, rand(5)));
    return { Body: Readable.from(body()), ContentRange: `bytes ${start}-${end - 1}/${bytes.length}` };
  };
  return { remote, ranges };
}

describe('ranged download: hashed from memory in any arrival order', () => {
  it('lands the served bytes bit-identical, for sizes around range edges and any chunking', async () => {
    let n = 0;
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 1, max: 5 }), fc.integer({ min: -3, max: 3 }), fc.integer({ min: 1, max: 2 ** 31 - 1 }),
      async (whole, edge, seed) => {
        const size = Math.max(RANGE_SIZE + 1, whole * RANGE_SIZE + edge);
        const bytes = Buffer.alloc(size);
        for (let i = 0; i + 4 <= size; i += 4096) bytes.writeUInt32LE((i * 2654435761 + seed) >>> 0, i);
        const id = sha(bytes);
        const { store } = await Store.initialise(path.join(scratch(), `s${n++}`), { nested: false });
        const { remote, ranges } = fakeRemote(bytes, seed);
        const got = await remote.downloadObject(store, id, () => undefined, undefined, size);
        expect(got).toBe(size);
        expect(ranges).toHaveLength(Math.ceil(size / RANGE_SIZE));
        const landed = await fs.readFile(store.objectPath(id));
        expect(landed.equals(bytes)).toBe(true);
      },
    ), { numRuns: 8 });
  }, 120_000);

  it('bytes that do not hash to the name are REMOTE_CORRUPT and nothing of them lands', async () => {
    const size = 2 * RANGE_SIZE + 12345;
    const bytes = Buffer.alloc(size, 7);
    const named = sha(Buffer.concat([bytes.subarray(0, size - 1), Buffer.from([8])]));
    const { store } = await Store.initialise(path.join(scratch(), 'forged'), { nested: false });
    const { remote } = fakeRemote(bytes, 99);
    await expect(remote.downloadObject(store, named, () => undefined, undefined, size)).rejects.toMatchObject({ code: 'REMOTE_CORRUPT' });
    await expect(fs.stat(store.objectPath(named))).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await fs.readdir(store.dir)).filter((f) => f.startsWith('.tmp-'))).toEqual([]);
  });
});
