// Helpers for the remote tests: a real S3 server (Ceph radosgw started by
// scripts/s3-server.sh), buckets, the CLI in-process and as a child, and real
// model histories on disk.
//
// Where the server comes from: the environment `.ci/run` exports after
// `scripts/s3-server.sh start` (AWS_ENDPOINT_URL_S3 and the test keys), or,
// locally, a server left running by that script (its `status` prints the
// env). In CI (CI=true) a missing server fails the tests; locally they skip
// and say how to start one.

import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CreateBucketCommand, ListBucketsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { main } from '../../src-main/cli/main';
import { TSX_EXEC_ARGV } from '../helpers/tsx';
import { gaussianF32, nudgeF32, rng, writeSafetensors } from '../helpers/models';

export const repo = fileURLToPath(new URL('../..', import.meta.url));
export const serverScript = path.join(repo, 'scripts', 's3-server.sh');
const cliEntry = fileURLToPath(new URL('../helpers/cli-entry.ts', import.meta.url));
const run = promisify(execFile);

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

export interface S3Env {
  readonly AWS_ENDPOINT_URL_S3: string;
  readonly AWS_ACCESS_KEY_ID: string;
  readonly AWS_SECRET_ACCESS_KEY: string;
  readonly AWS_REGION: string;
}

function parseEnv(text: string): Partial<S3Env> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/^export (AWS_[A-Z0-9_]+)=(.*)$/gm)) out[m[1]!] = m[2]!;
  return out as Partial<S3Env>;
}

async function answers(env: S3Env): Promise<boolean> {
  const c = new S3Client({ endpoint: env.AWS_ENDPOINT_URL_S3, region: env.AWS_REGION, forcePathStyle: true, maxAttempts: 1, credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY } });
  try { await c.send(new ListBucketsCommand({})); return true; } catch { return false; } finally { c.destroy(); }
}

/**
 * The S3 server to test against, with its env set in process.env (the CLI
 * in-process reads credentials from the AWS chain); or why there is none
 * (locally only: in CI this throws).
 */
export async function findS3(): Promise<{ env: S3Env; skip: null } | { env: null; skip: string }> {
  let env: Partial<S3Env> = process.env.AWS_ENDPOINT_URL_S3 ? {
    AWS_ENDPOINT_URL_S3: process.env.AWS_ENDPOINT_URL_S3, AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY, AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
  } : {};
  if (!env.AWS_ENDPOINT_URL_S3) env = parseEnv(await run(serverScript, ['status']).then((r) => r.stdout, () => ''));
  const whole = env.AWS_ENDPOINT_URL_S3 && env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY;
  if (whole && (await answers(env as S3Env))) {
    Object.assign(process.env, env);
    return { env: env as S3Env, skip: null };
  }
  const why = whole ? `the S3 server at ${env.AWS_ENDPOINT_URL_S3} does not answer` : 'no S3 server (AWS_ENDPOINT_URL_S3 unset and scripts/s3-server.sh reports none running)';
  if (process.env.CI) throw new Error(`${why}: .ci/run starts one with scripts/s3-server.sh start and exports its env`);
  return { env: null, skip: `${why}; start one with \`scripts/s3-server.sh start\` to run these tests` };
}

export function s3Client(env: S3Env): S3Client {
  return new S3Client({ endpoint: env.AWS_ENDPOINT_URL_S3, region: env.AWS_REGION, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED', credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY } });
}

/** A new empty bucket (one per test: tests never see each other's keys). */
/** Every key under `prefix` (the prefix cut off) with its size. */
export async function listKeys(client: S3Client, bucket: string, prefix: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  let token: string | undefined;
  do {
    const r = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of r.Contents ?? []) out.set(o.Key!.slice(prefix.length), o.Size ?? 0);
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
  return out;
}

export async function newBucket(env: S3Env): Promise<string> {
  const name = `wl-test-${randomBytes(5).toString('hex')}`;
  const c = s3Client(env);
  try { await c.send(new CreateBucketCommand({ Bucket: name })); } finally { c.destroy(); }
  return name;
}

export interface CliRun { readonly code: number; readonly stdout: string; readonly stderr: string }

/** The CLI in this process (fast); credentials and endpoint from process.env. */
export async function wl(cwd: string, ...args: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { stdout: { write: (s: string) => { stdout += s; } }, stderr: { write: (s: string) => { stderr += s; } }, cwd });
  return { code, stdout, stderr };
}

/** wl that must succeed; its --json output parsed when asked for. */
export async function wlOk<T = unknown>(cwd: string, ...args: string[]): Promise<T> {
  const r = await wl(cwd, ...args);
  if (r.code !== 0) throw new Error(`weightline ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return (args.includes('--json') ? JSON.parse(r.stdout) : r.stdout) as T;
}

/** The error a --json command reported on stderr. */
export function jsonError(r: CliRun): { code: string; message: string } {
  return (JSON.parse(r.stderr.trim().split('\n').pop()!) as { error: { code: string; message: string } }).error;
}

/** The CLI as a child process (under tsx), for kills and private environments. */
export function wlChild(cwd: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): { child: ReturnType<typeof spawn>; done: Promise<CliRun> } {
  const child = spawn(process.execPath, [...TSX_EXEC_ARGV, cliEntry, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const done = new Promise<CliRun>((resolve) => child.on('close', (code, sig) => resolve({ code: code ?? (sig ? 128 : 1), stdout, stderr })));
  return { child, done };
}

export async function sha256File(file: string): Promise<string> {
  return createHash('sha256').update(await fs.readFile(file)).digest('hex');
}

/**
 * A store at root with a line of commits of one safetensors model (`floats`
 * F32 values: 4 bytes each), every step nudging a share of the weights.
 * Returns the ids (oldest first) and each version's sha256.
 */
export async function makeHistory(root: string, n: number, opts: { floats?: number; seed?: number; fraction?: number; checkpointEvery?: number } = {}): Promise<{ ids: string[]; shas: string[]; weights: Buffer }> {
  const r = rng(opts.seed ?? 1);
  let w = gaussianF32(opts.floats ?? 1_000_000, r);
  await fs.mkdir(root, { recursive: true });
  if (!(await fs.stat(path.join(root, '.weightline')).catch(() => null))) await wlOk(root, 'init');
  const ids: string[] = [];
  const shas: string[] = [];
  for (let i = 0; i < n; i++) {
    await writeSafetensors(path.join(root, 'model.safetensors'), [{ name: 'w', dtype: 'F32', shape: [w.length / 4], data: w }]);
    const extra = opts.checkpointEvery && i > 0 && i % opts.checkpointEvery === 0 ? ['--checkpoint'] : [];
    const res = await wlOk<{ id: string }>(root, 'commit', 'model.safetensors', '-m', `step ${i}`, '--json', ...extra);
    ids.push(res.id);
    shas.push(await sha256File(path.join(root, 'model.safetensors')));
    w = nudgeF32(w, r, 1e-3, opts.fraction ?? 0.3);
  }
  return { ids, shas, weights: w };
}

/** One more commit: the working copy's model with a share of its weights nudged (a branch when HEAD is not a tip). */
export async function commitNudged(root: string, seed: number, message: string): Promise<{ id: string; sha: string }> {
  const file = path.join(root, 'model.safetensors');
  const bytes = await fs.readFile(file);
  const start = 8 + Number(bytes.readBigUInt64LE(0));
  const data = nudgeF32(bytes.subarray(start), rng(seed), 1e-3, 0.3);
  await fs.writeFile(file, Buffer.concat([bytes.subarray(0, start), data]));
  const res = await wlOk<{ id: string }>(root, 'commit', 'model.safetensors', '-m', message, '--json');
  return { id: res.id, sha: await sha256File(file) };
}

/** Files under the store's objects/ (their shas). */
export async function localObjects(root: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const dir = path.join(root, '.weightline', 'objects');
  for (const a of await fs.readdir(dir).catch(() => [] as string[])) {
    for (const b of await fs.readdir(path.join(dir, a)).catch(() => [] as string[])) out.set(a + b, (await fs.stat(path.join(dir, a, b))).size);
  }
  return out;
}
