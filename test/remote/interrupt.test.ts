// Pushes cut short: the pushing process SIGKILLed mid-transfer, and the S3
// server stopped mid-push and started again. Nothing half-written shows on
// the remote (objects are whole or absent, manifests come last) and the next
// push completes the job.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { useScratch } from '../helpers/models';
import { pauses } from '../helpers/pause';
import { findS3, jsonError, makeHistory, newBucket, s3Client, serverScript, sha256File, wl, wlChild, wlOk, type S3Env } from './helpers';

const run = promisify(execFile);
const s3 = await findS3();
const scratch = useScratch();

async function count(client: S3Client, bucket: string, prefix: string): Promise<number> {
  const r = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return r.KeyCount ?? 0;
}

/** A history whose push takes a while: 48 MB full objects (multipart) and ~12 MB deltas. */
async function bigHistory(root: string): Promise<{ ids: string[]; shas: string[] }> {
  return makeHistory(root, 4, { floats: 12_000_000, seed: 3 });
}

async function roundTrip(url: string, h: { ids: string[]; shas: string[] }, env: NodeJS.ProcessEnv): Promise<void> {
  const c = path.join(scratch(), 'c');
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    const cloned = await wlOk<{ root: string; head: string | null; fetched: number; restored: string | null }>(path.dirname(c), 'clone', url, c, '--no-checkout', '--json');
    expect(cloned).toEqual({ root: c, head: h.ids.at(-1), fetched: h.ids.length, restored: null });
    for (let i = 0; i < h.ids.length; i++) {
      const out = path.join(c, `v${i}.safetensors`);
      await wlOk(c, 'restore', h.ids[i]!, '--to', out);
      expect(await sha256File(out)).toBe(h.shas[i]);
    }
    const v = await wlOk<{ ok: boolean; damaged: string[] }>(c, 'verify', '--remote', 'origin', '--json');
    expect(v).toMatchObject({ ok: true, damaged: [] });
  } finally {
    for (const k of Object.keys(env)) process.env[k] = saved[k];
  }
}

describe.skipIf(s3.skip !== null)(`interrupted pushes on a real S3 server${s3.skip ? ` (skipped: ${s3.skip})` : ''}`, () => {
  const env = s3.env as S3Env;

  it('a push SIGKILLed mid-transfer leaves only whole objects and no manifest; the next push completes', async () => {
    const client = s3Client(env);
    try {
      const bucket = await newBucket(env);
      const url = `s3://${bucket}/k`;
      const a = path.join(scratch(), 'a');
      const h = await bigHistory(a);
      await wlOk(a, 'remote', 'add', 'origin', url);
      // Killed once an object is whole on the remote and while the push is
      // paused there (others may be mid-upload): no manifest can be there yet.
      const p = await pauses('push.uploaded');
      let r;
      try {
        const { child, done } = wlChild(a, ['push', '--json'], { ...process.env, ...p.env });
        await p.reached('push.uploaded', done);
        child.kill('SIGKILL');
        r = await done;
      } finally {
        await p.dispose();
      }
      expect(r.code, 'wlChild reports 128 for a process a signal ended').toBe(128);
      expect(await count(client, bucket, 'k/manifests/')).toBe(0);
      const partial = await wlOk<{ ok: boolean; damaged: string[]; objectsChecked: number }>(a, 'verify', '--remote', 'origin', '--json');
      expect(partial.damaged).toEqual([]);
      expect(partial.objectsChecked).toBeGreaterThan(0);
      expect(partial.objectsChecked).toBeLessThanOrEqual(5);

      const resumed = await wlOk<{ commits: string[]; objectsAlreadyThere: number; objectsUploaded: number }>(a, 'push', '--json');
      expect(resumed.commits).toEqual(h.ids);
      expect(resumed.objectsAlreadyThere).toBe(partial.objectsChecked);
      expect(resumed.objectsUploaded + resumed.objectsAlreadyThere).toBe(5);
      expect((await wlOk<{ ok: boolean }>(a, 'verify', '--json')).ok).toBe(true);
      await roundTrip(url, h, {});
    } finally {
      client.destroy();
    }
  }, 180_000);

  describe('with a server of its own', () => {
    // Stopping the shared server would break the other tests: this one starts its own.
    const port = 7600 + Math.floor(Math.random() * 300) * 2;
    const own = { ...process.env, WL_S3_DIR: `/tmp/wl-s3-${randomBytes(3).toString('hex')}`, WL_S3_PORT: String(port), WL_S3_MON_PORT: String(port + 1) };
    // Stopping waits up to 10 s for rgw, 15 s for the osd and 10 s for the mon
    // before SIGKILL (scripts/s3-server.sh), more than the default hook timeout.
    afterAll(async () => {
      await run(serverScript, ['stop'], { env: own, timeout: 60_000 }).catch(() => undefined);
      await fs.rm(own.WL_S3_DIR, { recursive: true, force: true });
    }, 90_000);

    it('the server stopped mid-push and started again: the push fails in plain words, the next one completes', async () => {
      const started = await run(serverScript, ['start'], { env: own, timeout: 120_000 });
      const ownEnv: NodeJS.ProcessEnv = {};
      for (const m of started.stdout.matchAll(/^export (AWS_[A-Z0-9_]+)=(.*)$/gm)) ownEnv[m[1]!] = m[2]!;
      const serverEnv = { ...env, ...ownEnv } as unknown as S3Env;
      const client = s3Client(serverEnv);
      try {
        const bucket = await newBucket(serverEnv);
        const url = `s3://${bucket}/s`;
        const a = path.join(scratch(), 'a');
        const h = await bigHistory(a);
        await wlOk(a, 'remote', 'add', 'origin', url);
        // Stopped while the push is paused after its first whole object: the
        // manifests, at least, are still to send when it goes on.
        const p = await pauses('push.uploaded');
        let r;
        try {
          const { done } = wlChild(a, ['push', '--json'], { ...process.env, ...ownEnv, ...p.env });
          await p.reached('push.uploaded', done);
          await run(serverScript, ['stop'], { env: own, timeout: 60_000 });
          await p.release('push.uploaded');
          r = await done;
        } finally {
          await p.dispose();
        }
        expect(r.code, r.stderr).not.toBe(0);
        expect(jsonError(r).code).toBe('REMOTE_UNREACHABLE');
        expect(jsonError(r).message).toContain(`origin (${url} at ${ownEnv.AWS_ENDPOINT_URL_S3}`);
        await run(serverScript, ['start'], { env: own, timeout: 120_000 });
        const saved = { ...process.env };
        Object.assign(process.env, ownEnv);
        try {
          const resumed = await wl(a, 'push', '--json');
          expect(resumed.code, resumed.stderr).toBe(0);
        } finally {
          for (const k of Object.keys(ownEnv)) process.env[k] = saved[k];
        }
        await roundTrip(url, h, ownEnv);
      } finally {
        client.destroy();
      }
    }, 300_000);
  });
});
