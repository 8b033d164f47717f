// Clone and lazy restore from S3 against the plain AWS SDK moving the same
// objects (issue 22's target: Weightline ≥ 0.8× the SDK's throughput). A
// 20-checkpoint run of 50 MB each is committed, cleaned up and pushed to the
// local radosgw (scripts/s3-server.sh, or the server AWS_ENDPOINT_URL_S3
// names); then, in interleaved rounds in the same minute:
//   - `weightline clone` (history + the newest version restored), and the
//     plain SDK GETting the same objects to files in one process, the same
//     number at once as the clone (4), each file fsynced once;
//   - a lazy restore of the oldest checkpoint in a fresh clone (only its
//     route downloads), and the SDK on the same objects.
// Weightline's times are whole CLI runs (process start, listing, manifests,
// the download with its sha256 and atomic rename, the restore writing the
// file); the SDK's are the transfer alone, so the ratio is what a user sees
// against the least any tool could do.
//   node --import tsx bench/remote-pull.ts
//   WEIGHTLINE_BENCH_REMOTE_MB=N (default 50)   WEIGHTLINE_BENCH_ROUNDS=N (default 3)
//   WEIGHTLINE_BENCH_PULL_URL=s3://bucket/run   measure a run pushed before (its scratch kept
//     with WEIGHTLINE_BENCH_KEEP=1) instead of making one
//   WEIGHTLINE_BENCH_BEFORE=/other/checkout/bin/weightline.mjs   also time that CLI (an older
//     build) in the same rounds, for a before/after in the same minute
// Writes bench/RESULTS-remote-pull.md.

import { execFileSync, spawnSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { generateSequence } from './generate';
import { s3Env } from './s3-env';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const repo = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const cli = path.join(repo, 'bin', 'weightline.mjs');
const MB = 1e6;
const sizeMb = Number(process.env.WEIGHTLINE_BENCH_REMOTE_MB ?? 50);
const rounds = Number(process.env.WEIGHTLINE_BENCH_ROUNDS ?? 3);
const versions = 20;
const SDK_PARALLEL = 4;
const f1 = (x: number): string => x.toFixed(1);
const f2 = (x: number): string => x.toFixed(2);


interface Run { ms: number; cpuMs: number; stdout: string }

/** A child process, timed by the wall clock and by its CPU (user + system, from /usr/bin/time: the figure load does not inflate). */
function timedChild(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Run {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', 'cpu-seconds %U %S', process.execPath, ...args], { cwd, env, encoding: 'utf8', maxBuffer: 1 << 28 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
  const m = /cpu-seconds ([\d.]+) ([\d.]+)/.exec(r.stderr);
  return { ms, cpuMs: m ? (Number(m[1]) + Number(m[2])) * 1000 : NaN, stdout: r.stdout };
}

function wl(cwd: string, env: NodeJS.ProcessEnv, ...args: string[]): Run {
  return timedChild([cli, ...args], cwd, env);
}

const before = process.env.WEIGHTLINE_BENCH_BEFORE;

// The plain SDK as a program of its own (start-up and all, like the CLI): GetObject of each key
// streamed to a file, SDK_PARALLEL at once, one fsync per file.
const SDK_PROGRAM = `
import { createWriteStream, openSync, fsyncSync, closeSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
const [bucket, dir, parallel, ...keys] = process.argv.slice(1);
const client = new S3Client({ forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
let next = 0;
await Promise.all(Array.from({ length: Number(parallel) }, async () => {
  while (next < keys.length) {
    const key = keys[next++];
    const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const file = dir + '/' + key.split('/').pop();
    await pipeline(r.Body, createWriteStream(file));
    const fd = openSync(file, 'r'); fsyncSync(fd); closeSync(fd);
  }
}));
client.destroy();
`;

function objectsOf(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const dir = path.join(root, '.weightline', 'objects');
  for (const a of fs.readdirSync(dir)) for (const b of fs.readdirSync(path.join(dir, a))) out.set(a + b, path.join(dir, a, b));
  return out;
}

const median = (xs: readonly number[]): number => { const s = [...xs].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]!; };
const load = (): string => os.loadavg().map((x) => x.toFixed(2)).join(' ');

/** The run to pull: generated, committed, cleaned up (DELTAs pruned, old CHECKPOINTs packed) and pushed to url. */
function pushRun(scratch: string, env: NodeJS.ProcessEnv, url: string): void {
  console.log(`generating and pushing ${versions} checkpoints of ${sizeMb} MB (dense f32 fine-tune)`);
  const files = generateSequence(path.join(scratch, 'gen'), { name: 'dense f32', bytes: sizeMb * MB, versions, dtype: 'F32', seed: 21 });
  const a = path.join(scratch, 'a');
  fs.mkdirSync(a);
  wl(a, env, 'init');
  for (const [i, f] of files.entries()) {
    fs.copyFileSync(f, path.join(a, 'model.safetensors'));
    wl(a, env, 'commit', 'model.safetensors', '-m', `checkpoint ${i + 1}`);
  }
  fs.rmSync(path.join(scratch, 'gen'), { recursive: true, force: true });
  wl(a, env, 'cleanup');
  wl(a, env, 'remote', 'add', 'origin', url);
  wl(a, env, 'push');
  console.log(`pushed to ${url}`);
}

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(repo, 'out', 'main', 'cli.js'))) execFileSync('npm', ['run', 'build'], { cwd: repo, stdio: 'inherit' });
  const s3 = s3Env(repo);
  const env = { ...process.env, ...s3 };
  const client = new S3Client({ endpoint: s3.AWS_ENDPOINT_URL_S3, region: s3.AWS_REGION, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED', credentials: { accessKeyId: s3.AWS_ACCESS_KEY_ID!, secretAccessKey: s3.AWS_SECRET_ACCESS_KEY! } });
  const scratchRoot = process.env.WEIGHTLINE_BENCH_DIR ?? path.join(repo, 'bench', 'work');
  fs.mkdirSync(scratchRoot, { recursive: true });
  const scratch = fs.mkdtempSync(path.join(scratchRoot, 'pull-'));
  const given = process.env.WEIGHTLINE_BENCH_PULL_URL;
  const bucket = given ? /^s3:\/\/([^/]+)\/run$/.exec(given)![1]! : `wl-pull-${Date.now().toString(36)}`;
  if (!given) await client.send(new CreateBucketCommand({ Bucket: bucket }));
  const url = `s3://${bucket}/run`;
  try {
    if (!given) pushRun(scratch, env, url);
    else console.log(`measuring ${url}`);

    const dl = path.join(scratch, 'dl');
    // The plain SDK: GetObject of each object streamed to a file, SDK_PARALLEL at once, one fsync per file.
    const sdkGet = async (shas: readonly string[]): Promise<{ ms: number; bytes: number }> => {
      fs.rmSync(dl, { recursive: true, force: true });
      fs.mkdirSync(dl);
      const t = performance.now();
      let next = 0;
      await Promise.all(Array.from({ length: SDK_PARALLEL }, async () => {
        while (next < shas.length) {
          const sha = shas[next++]!;
          const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: `run/objects/${sha}` }));
          const file = path.join(dl, sha);
          await pipeline(r.Body as Readable, createWriteStream(file));
          const fd = fs.openSync(file, 'r');
          fs.fsyncSync(fd);
          fs.closeSync(fd);
        }
      }));
      return { ms: performance.now() - t, bytes: shas.reduce((s, sha) => s + fs.statSync(path.join(dl, sha)).size, 0) };
    };

    const sdkProcess = (shas: readonly string[]): Run => {
      fs.rmSync(dl, { recursive: true, force: true });
      fs.mkdirSync(dl);
      return timedChild(['--input-type=module', '-e', SDK_PROGRAM, bucket, dl, String(SDK_PARALLEL), ...shas.map((x) => `run/objects/${x}`)], repo, env);
    };

    const old = { clone: [] as Run[], lazy: [] as Run[] };
    const res = { clone: [] as Run[], sdkClone: [] as number[], sdkCloneProc: [] as Run[], lazy: [] as Run[], sdkLazy: [] as number[], sdkLazyProc: [] as Run[] };
    let cloneBytes = 0;
    let lazyBytes = 0;
    let cloneObjects = 0;
    let lazyObjects = 0;
    const loads: string[] = [];
    for (let round = 0; round < rounds; round++) {
      loads.push(load());
      const b = path.join(scratch, `b${round}`);
      const clone = wl(scratch, env, 'clone', url, b);
      res.clone.push(clone);
      const cloned = objectsOf(b);
      cloneObjects = cloned.size;
      cloneBytes = [...cloned.values()].reduce((s, p) => s + fs.statSync(p).size, 0);
      const sc = await sdkGet([...cloned.keys()]);
      res.sdkClone.push(sc.ms);
      res.sdkCloneProc.push(sdkProcess([...cloned.keys()]));

      // A fresh clone for the lazy restore: its HEAD is restored, the oldest commit's route is not on disk.
      const firstId = (JSON.parse(wl(b, env, 'log', '--json').stdout) as Array<{ id: string }>).at(-1)!.id;
      const lazy = wl(b, env, 'restore', firstId, '--to', path.join(scratch, `oldest-${round}.safetensors`));
      res.lazy.push(lazy);
      const added = [...objectsOf(b).keys()].filter((sha) => !cloned.has(sha));
      lazyObjects = added.length;
      lazyBytes = added.reduce((s, sha) => s + fs.statSync(objectsOf(b).get(sha)!).size, 0);
      const sl = await sdkGet(added);
      res.sdkLazy.push(sl.ms);
      res.sdkLazyProc.push(sdkProcess(added));
      fs.rmSync(b, { recursive: true, force: true });
      if (before) {
        const c = path.join(scratch, `old${round}`);
        old.clone.push(timedChild([before, 'clone', url, c], scratch, env));
        old.lazy.push(timedChild([before, 'restore', firstId, '--to', path.join(scratch, `old-${round}.safetensors`)], c, env));
        fs.rmSync(c, { recursive: true, force: true });
        fs.rmSync(path.join(scratch, `old-${round}.safetensors`), { force: true });
      }
      fs.rmSync(path.join(scratch, `oldest-${round}.safetensors`), { force: true });
      console.log(`round ${round + 1}: clone ${f2(clone.ms / 1000)} s, CPU ${f2(clone.cpuMs / 1000)} s (SDK ${f2(sc.ms / 1000)} s, as a program ${f2(res.sdkCloneProc.at(-1)!.ms / 1000)} s, CPU ${f2(res.sdkCloneProc.at(-1)!.cpuMs / 1000)} s); lazy restore ${f2(lazy.ms / 1000)} s, CPU ${f2(lazy.cpuMs / 1000)} s (SDK ${f2(sl.ms / 1000)} s, as a program ${f2(res.sdkLazyProc.at(-1)!.ms / 1000)} s); load ${loads.at(-1)}`);
    }
    const mbs = (bytes: number, ms: number): number => bytes / MB / (ms / 1000);
    const wall = (xs: readonly Run[]): number => median(xs.map((x) => x.ms));
    const cpu = (xs: readonly Run[]): number => median(xs.map((x) => x.cpuMs));
    const row = (what: string, bytes: number, objects: number, w: readonly Run[], hot: readonly number[], proc: readonly Run[]): string =>
      `| ${what} | ${objects} | ${f1(bytes / MB)} | ${f2(wall(w) / 1000)} (${f1(mbs(bytes, wall(w)))} MB/s) | ${f2(median(hot) / 1000)} (${f1(mbs(bytes, median(hot)))} MB/s) | ${f2(wall(proc) / 1000)} | **${f2(median(hot) / wall(w))}×** / ${f2(wall(proc) / wall(w))}× | ${f2(cpu(w) / 1000)} / ${f2(cpu(proc) / 1000)} |`;
    const lines = [
      '# Clone and lazy restore against the plain SDK (issue 22)',
      '',
      `${versions} checkpoints of a dense f32 fine-tune, ${f1(sizeMb)} MB each, committed, cleaned up and pushed to Ceph radosgw 16 on 127.0.0.1 (scripts/s3-server.sh), ${os.cpus().length} cores. Median of ${rounds} interleaved rounds; load average (1, 5, 15 min) at each round: ${loads.join('; ')}.`,
      '',
      `Weightline: the whole CLI run (process start, listing, manifests, downloads with sha256 and atomic rename, the restore writing its file). Plain SDK: GetObject of the same objects streamed to files, ${SDK_PARALLEL} at once, each file fsynced; "in process" is the transfer alone in a process that has the SDK loaded and connected (the issue's comparison), "as a program" a node process doing only that, start-up included. Ratio = SDK time / Weightline time (throughput ratio; target ≥ 0.8 against the SDK in process). CPU = user + system seconds of the process (/usr/bin/time), which the machine's load does not inflate as it does wall time.`,
      '',
      '| | objects | MB | weightline s | plain SDK in process s | SDK as a program s | ratio (in process / program) | CPU s weightline / SDK program |',
      '|---|---:|---:|---:|---:|---:|---:|---:|',
      row('clone (history + newest version restored)', cloneBytes, cloneObjects, res.clone, res.sdkClone, res.sdkCloneProc),
      row('lazy restore of the oldest checkpoint', lazyBytes, lazyObjects, res.lazy, res.sdkLazy, res.sdkLazyProc),
      ...(before ? [
        row(`clone, before (${before})`, cloneBytes, cloneObjects, old.clone, res.sdkClone, res.sdkCloneProc),
        row('lazy restore, before', lazyBytes, lazyObjects, old.lazy, res.sdkLazy, res.sdkLazyProc),
      ] : []),
    ];
    const outFile = path.join(repo, 'bench', 'RESULTS-remote-pull.md');
    fs.writeFileSync(outFile, lines.join('\n') + '\n');
    console.log(`\n${lines.join('\n')}\n\nwrote ${outFile}`);
  } finally {
    client.destroy();
    if (!process.env.WEIGHTLINE_BENCH_KEEP) fs.rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
