// Remotes benchmark (issue 14): push and clone against a real S3 server
// (Ceph radosgw from scripts/s3-server.sh, on this machine), compared with the
// plain AWS SDK moving the same bytes to and from the same server (the limit
// here), the bytes a push sends for a 20-checkpoint run against uploading
// every checkpoint whole (what Git LFS or DVC would send), and peak RSS.
//   node --import tsx bench/remote.ts       (or: npm run bench -- --only=remote)
//   WEIGHTLINE_BENCH_REMOTE_MB=N   size of each checkpoint (default 50)
// Writes bench/RESULTS-remote.md.

import { execFileSync, spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { generateSequence } from './generate';
import { s3Env } from './s3-env';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const repo = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const cli = path.join(repo, 'bin', 'weightline.mjs');
const rssHook = path.join(repo, 'scripts', 'report-max-rss.mjs');
const MB = 1e6;
const sizeMb = Number(process.env.WEIGHTLINE_BENCH_REMOTE_MB ?? 50);
const versions = 20;
const f1 = (x: number): string => x.toFixed(1);


interface Timed { ms: number; rssMb: number; stdout: string }

function wl(cwd: string, env: NodeJS.ProcessEnv, ...args: string[]): Timed {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', rssHook, cli, ...args], { cwd, env, encoding: 'utf8', maxBuffer: 1 << 28 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`weightline ${args.join(' ')} failed: ${r.stderr}`);
  return { ms, rssMb: Number(/max-rss-kb (\d+)/.exec(r.stderr)?.[1] ?? 0) / 1024, stdout: r.stdout };
}

function objectsOf(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const dir = path.join(root, '.weightline', 'objects');
  for (const a of fs.readdirSync(dir)) for (const b of fs.readdirSync(path.join(dir, a))) out.set(a + b, path.join(dir, a, b));
  return out;
}

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(repo, 'out', 'main', 'cli.js'))) execFileSync('npm', ['run', 'build'], { cwd: repo, stdio: 'inherit' });
  const s3 = s3Env(repo);
  const env = { ...process.env, ...s3 };
  const client = new S3Client({ endpoint: s3.AWS_ENDPOINT_URL_S3, region: s3.AWS_REGION, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED', credentials: { accessKeyId: s3.AWS_ACCESS_KEY_ID!, secretAccessKey: s3.AWS_SECRET_ACCESS_KEY! } });
  const scratchRoot = process.env.WEIGHTLINE_BENCH_DIR ?? path.join(repo, 'bench', 'work');
  fs.mkdirSync(scratchRoot, { recursive: true });
  const scratch = fs.mkdtempSync(path.join(scratchRoot, 'remote-'));
  const bucket = `wl-bench-${Date.now().toString(36)}`;
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  try {
    console.log(`generating ${versions} checkpoints of ${sizeMb} MB (dense f32 fine-tune)`);
    const files = generateSequence(path.join(scratch, 'gen'), { name: 'dense f32', bytes: sizeMb * MB, versions, dtype: 'F32', seed: 21 });
    const whole = files.reduce((s, f) => s + fs.statSync(f).size, 0);
    const a = path.join(scratch, 'a');
    fs.mkdirSync(a);
    wl(a, env, 'init');
    for (const [i, f] of files.entries()) {
      fs.copyFileSync(f, path.join(a, 'model.safetensors'));
      wl(a, env, 'commit', 'model.safetensors', '-m', `checkpoint ${i + 1}`);
    }
    // What a training run's store looks like after its first cleanup: DELTAs
    // pruned, CHECKPOINTs out of the hot set packed (push sends those packed).
    console.log('cleanup');
    const cleaned = JSON.parse(wl(a, env, 'cleanup', '--json').stdout) as { storeBytesBefore: number; storeBytesAfter: number; packs: unknown[] };
    wl(a, env, 'remote', 'add', 'origin', `s3://${bucket}/run`);
    console.log('push');
    const push = wl(a, env, 'push', '--json');
    const pushed = JSON.parse(push.stdout) as { objectsUploaded: number; bytesUploaded: number; packedSent: number; bytesSavedByPacks: number };
    const manifestBytes = fs.readdirSync(path.join(a, '.weightline', 'commits')).reduce((s, n) => s + fs.statSync(path.join(a, '.weightline', 'commits', n)).size, 0);

    // The plain SDK, same bytes, same server: the objects push sent, one multipart Upload at a time (the same part size and queue).
    const remoteList = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'run/objects/' }));
    const onRemote = new Set((remoteList.Contents ?? []).map((o) => o.Key!.slice('run/objects/'.length)));
    const same = [...objectsOf(a)].filter(([sha]) => onRemote.has(sha));
    const sdkBytes = same.reduce((s, [, p]) => s + fs.statSync(p).size, 0);
    console.log('plain SDK upload');
    const t0 = performance.now();
    for (const [sha, p] of same) {
      await new Upload({ client, params: { Bucket: bucket, Key: `sdk/${sha}`, Body: createReadStream(p) }, partSize: 16 * 1024 * 1024, queueSize: 4 }).done();
    }
    const sdkUpMs = performance.now() - t0;

    console.log('clone');
    const b = path.join(scratch, 'b');
    const clone = wl(scratch, env, 'clone', `s3://${bucket}/run`, b, '--json');
    const clonedObjects = [...objectsOf(b).keys()];
    const cloneBytes = [...objectsOf(b).values()].reduce((s, p) => s + fs.statSync(p).size, 0) + manifestBytes;
    console.log('lazy restore of the oldest checkpoint');
    const firstId = (JSON.parse(wl(b, env, 'log', '--json').stdout) as Array<{ id: string }>).at(-1)!.id;
    const before = [...objectsOf(b).values()].reduce((s, p) => s + fs.statSync(p).size, 0);
    const lazy = wl(b, env, 'restore', firstId, '--to', path.join(scratch, 'oldest.safetensors'));
    const lazyBytes = [...objectsOf(b).values()].reduce((s, p) => s + fs.statSync(p).size, 0) - before;

    const lazyObjects = [...objectsOf(b).keys()].filter((sha) => !clonedObjects.includes(sha));

    console.log('plain SDK download');
    const dl = path.join(scratch, 'dl');
    fs.mkdirSync(dl);
    const sdkGet = async (shas: readonly string[]): Promise<{ ms: number; bytes: number }> => {
      const t = performance.now();
      for (const sha of shas) {
        const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: `run/objects/${sha}` }));
        await pipeline(r.Body as Readable, createWriteStream(path.join(dl, sha)));
      }
      return { ms: performance.now() - t, bytes: shas.reduce((s, sha) => s + fs.statSync(path.join(dl, sha)).size, 0) };
    };
    const sdkClone = await sdkGet(clonedObjects);
    const sdkLazy = await sdkGet(lazyObjects);

    // The transfer alone, in one process (no start-up, no restore): the plain
    // SDK (one GET per object, in turn, to a file), weightline's download as
    // it was (one GET per object in turn, sha256 on the way, temp + fsync +
    // rename into objects/) and as it is now (several objects at once, large
    // ones as 4 parallel 8 MiB ranged GETs, same checks). The largest objects
    // on the remote, interleaved rounds, median.
    console.log('transfer only (in process)');
    const { Remote } = await import('../src-main/core/remote/client');
    const { Store } = await import('../src-main/core/store/store');
    const { runBounded } = await import('../src-main/core/remote/pool');
    const remoteObjs = [...(await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'run/objects/' }))).Contents ?? []]
      .map((o) => ({ sha: o.Key!.slice('run/objects/'.length), size: o.Size ?? 0 })).sort((x, y) => y.size - x.size).slice(0, 6);
    const transferBytes = remoteObjs.reduce((sum, o) => sum + o.size, 0);
    const remote = new Remote('origin', `s3://${bucket}/run`, { endpoint: s3.AWS_ENDPOINT_URL_S3!, region: s3.AWS_REGION! });
    const ways: Record<string, () => Promise<void>> = {
      sdk: async () => { await sdkGet(remoteObjs.map((o) => o.sha)); },
      before: async () => {
        const { store } = await Store.initialise(fs.mkdtempSync(path.join(scratch, 't-')), { nested: false });
        for (const o of remoteObjs) await remote.downloadObject(store, o.sha, () => undefined, undefined, o.size);
      },
      now: async () => {
        const { store } = await Store.initialise(fs.mkdtempSync(path.join(scratch, 't-')), { nested: false });
        await runBounded(remoteObjs.map((o) => ({ weight: o.size > 8 * 1024 * 1024 ? 4 : 1, run: async () => { await remote.downloadObject(store, o.sha, () => undefined, undefined, o.size); } })), 4);
      },
    };
    const times: Record<string, number[]> = { sdk: [], before: [], now: [] };
    for (let round = 0; round < 3; round++) {
      for (const [k, f] of Object.entries(ways)) {
        const t = performance.now();
        await f();
        times[k]!.push(performance.now() - t);
        for (const d of fs.readdirSync(scratch).filter((n) => n.startsWith('t-'))) fs.rmSync(path.join(scratch, d), { recursive: true, force: true });
        fs.rmSync(dl, { recursive: true, force: true });
        fs.mkdirSync(dl);
      }
    }
    remote.client.destroy();
    const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[1]!;
    const mbs = (k: string): string => f1(transferBytes / MB / (median(times[k]!) / 1000));

    const lines = [
      '# Remotes benchmark (issue 14)',
      '',
      `${versions} checkpoints of a dense f32 fine-tune, ${f1(sizeMb)} MB each (${f1(whole / MB)} MB in all), committed with the default policy, pushed to Ceph radosgw 16 on 127.0.0.1 (scripts/s3-server.sh) on this ${fs.readFileSync('/proc/cpuinfo', 'utf8').split('\n').filter((l) => l.startsWith('processor')).length}-core machine. Plain SDK: @aws-sdk/lib-storage Upload (16 MiB parts, 4 in flight) and GetObject streamed to a file, same objects, same server.`,
      '',
      '| | bytes | seconds | MB/s | peak RSS (MB) |',
      '|---|---:|---:|---:|---:|',
      `| weightline push (${pushed.objectsUploaded} objects + ${versions} manifests) | ${f1(pushed.bytesUploaded / MB)} MB | ${f1(push.ms / 1000)} | ${f1(pushed.bytesUploaded / MB / (push.ms / 1000))} | ${f1(push.rssMb)} |`,
      `| plain SDK upload of the same objects | ${f1(sdkBytes / MB)} MB | ${f1(sdkUpMs / 1000)} | ${f1(sdkBytes / MB / (sdkUpMs / 1000))} | |`,
      `| weightline clone (history + the newest version, restored) | ${f1(cloneBytes / MB)} MB | ${f1(clone.ms / 1000)} | ${f1(cloneBytes / MB / (clone.ms / 1000))} | ${f1(clone.rssMb)} |`,
      `| plain SDK download of the same objects | ${f1(sdkClone.bytes / MB)} MB | ${f1(sdkClone.ms / 1000)} | ${f1(sdkClone.bytes / MB / (sdkClone.ms / 1000))} | |`,
      `| lazy restore of the oldest checkpoint in the clone (downloads its route only) | ${f1(lazyBytes / MB)} MB | ${f1(lazy.ms / 1000)} | ${f1(lazyBytes / MB / (lazy.ms / 1000))} | ${f1(lazy.rssMb)} |`,
      `| plain SDK download of the same objects | ${f1(sdkLazy.bytes / MB)} MB | ${f1(sdkLazy.ms / 1000)} | ${f1(sdkLazy.bytes / MB / (sdkLazy.ms / 1000))} | |`,
      '',
      `**Transfer only** (in one process, no start-up or restore; the ${remoteObjs.length} largest objects on the remote, ${f1(transferBytes / MB)} MB; median of 3 interleaved rounds): plain SDK (one GET per object, in turn) ${mbs('sdk')} MB/s; weightline's download before this change (one GET per object in turn, sha256, temp + fsync + rename) ${mbs('before')} MB/s; now (several objects at once, objects over 8 MiB as 4 parallel 8 MiB ranged GETs, same checks) ${mbs('now')} MB/s.`,
      '',
      `**Bytes sent** for the ${versions}-checkpoint run: ${f1(pushed.bytesUploaded / MB)} MB (+ ${f1(manifestBytes / MB)} MB of manifests) against ${f1(whole / MB)} MB for uploading every checkpoint whole (what Git LFS / DVC send): ${(pushed.bytesUploaded / whole * 100).toFixed(1)}%, ${f1(whole / pushed.bytesUploaded)}× less. ${pushed.packedSent} CHECKPOINT full object(s) went in the packed form the store keeps them in after a cleanup (${cleaned.packs.length} packed; store ${f1(cleaned.storeBytesBefore / MB)} → ${f1(cleaned.storeBytesAfter / MB)} MB), saving ${f1(pushed.bytesSavedByPacks / MB)} MB: sending them raw, push would send ${f1((pushed.bytesUploaded + pushed.bytesSavedByPacks) / MB)} MB.`,
      '',
      'Weightline times include process start (Node + the SDK) and, for push, listing the remote; clone and restore also write the restored file (copy, sha256, fsync). MB/s count the bytes moved over the network. Every object is hashed on the way (sha256) and written through a temp file + fsync on download.',
    ];
    const outFile = path.join(repo, 'bench', 'RESULTS-remote.md');
    fs.writeFileSync(outFile, lines.join('\n') + '\n');
    console.log(`\n${lines.join('\n')}\n\nwrote ${outFile}`);
  } finally {
    client.destroy();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
