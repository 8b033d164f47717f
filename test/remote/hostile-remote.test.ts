// A bucket someone else can write to, tried as an attacker would: random
// forged manifests and objects (dangerous paths, terminal escapes, absolute
// sources, claims that lie about sizes, objects that are not what their
// names say) pushed to a real S3 server beside a legitimate history; then
// clone, fetch, log, show, restore and verify --remote run as a user would,
// each in its own process. Whatever the forgery, none of them may write
// outside the clone's folder (or into a `.git`/`.weightline` inside it), run
// past 300 MB of memory, print a control character, outlive Ctrl+C by more
// than 2 s, or leave the lock behind, and the clone's remotes and config stay
// what the user made.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { useScratch } from '../helpers/models';
import { TSX_EXEC_ARGV } from '../helpers/tsx';
import { findS3, makeHistory, newBucket, s3Client, wlOk, type CliRun, type S3Env } from './helpers';

const s3 = await findS3();
// GNU time gives each CLI process's peak memory; .ci/run installs it (Debian package `time`).
const gnuTime = await fs.access('/usr/bin/time').then(() => null, () => 'GNU time (/usr/bin/time, Debian package `time`) is not installed');
if (gnuTime && process.env.CI) throw new Error(`${gnuTime}: .ci/run installs it`);
const skip = s3.skip ?? gnuTime;
const scratch = useScratch();
const cliEntry = fileURLToPath(new URL('../helpers/cli-entry.ts', import.meta.url));

/** Placeholder for the test's own "outside" folder, put into absolute forged paths at run time. */
const OUT = '{OUT}';

// Names an attacker would try: the version-control and store folders in every
// spelling an OS may read as the same, traversal, absolute paths, controls,
// overlong names, and ordinary ones so that some forgeries look legitimate.
const dangerousSegment = fc.constantFrom(
  '.git', '.GIT', '.Git.', '.git ', '.git...', '.weightline', '.WeightLine', '.weightline.', '..', '.', '',
  'HEAD', 'config', 'hooks', 'remotes.json', 'config.json', 'model.safetensors', 'pwned.txt', 'a', 'b',
  'C:', 'a\\..\\..\\x', 'x\x1b[2Ky', '\x1b]52;c;ZXZpbA==\x07', 'r\u202etxt.exe', 'nul\0byte', 'x'.repeat(300), 'é'.repeat(130),
);
const dangerousPath = fc.oneof(
  fc.array(dangerousSegment, { minLength: 1, maxLength: 4 }).map((s) => s.join('/')),
  fc.constantFrom('.git/config', '.git/HEAD', '.weightline/remotes.json', '.weightline/config.json', '../outside/pwned.txt', `${OUT}/pwned.txt`, '~/.ssh/authorized_keys', 'a', 'a/b'),
);
const hostileText = fc.oneof(
  fc.constantFrom('all verified ok', '\x1b[1A\x1b[2K\rweightline: all verified ok', '\x1b]52;c;cm0gLXJmIH4=\x07copied', '\x1b[31mred\x1b[0m', 'line\r\nfake', '\u009b2K', '\x7f\x08\x08'),
  fc.string({ unit: fc.constantFrom('a', ' ', '\x1b', '[', '\r', '\n', '\x07', '\u009b', '\u202e', 'é'), maxLength: 40 }),
);

interface Forgery {
  readonly paths: readonly string[];
  readonly message: string;
  readonly source: string;
  readonly kind: 'file' | 'folder';
  /** How the forged files claim their bytes: the legitimate object, a size that lies, or an object the remote holds in a wrong size. */
  readonly bytes: 'true' | 'huge' | 'oversized-object';
  /** Whether the forgery names a legitimate parent (it is then the newest tip) or a commit that does not exist. */
  readonly parent: 'tip' | 'missing';
  /** Ctrl+C during clone after this many ms, or none. */
  readonly interruptAfterMs: number | null;
}

const forgeryArb: fc.Arbitrary<Forgery> = fc.record({
  paths: fc.array(dangerousPath, { minLength: 1, maxLength: 3 }),
  message: hostileText,
  source: fc.oneof(fc.constantFrom('.', 'model.safetensors', `${OUT}/target`, '../outside', '.git', '.weightline'), dangerousPath),
  kind: fc.constantFrom('file' as const, 'folder' as const),
  bytes: fc.constantFrom('true' as const, 'true' as const, 'huge' as const, 'oversized-object' as const),
  parent: fc.constantFrom('tip' as const, 'tip' as const, 'missing' as const),
  interruptAfterMs: fc.option(fc.integer({ min: 200, max: 1500 }), { freq: 3 }),
});

/** A control character other than newline and tab (C0, DEL, C1) or a bidi override: what could move the cursor, talk to the terminal or reorder a line. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f\x80-\x9f\u202a-\u202e\u2066-\u2069]/u;

interface Ran extends CliRun {
  readonly maxRssKb: number;
  /** ms from Ctrl+C to the process group's exit, when one was sent. */
  readonly afterInterruptMs: number | null;
}

/**
 * The CLI in its own process group under GNU time (for its peak memory); a
 * Ctrl+C goes to the whole group, as a terminal sends it.
 */
function runCli(cwd: string, args: readonly string[], interruptAfterMs: number | null = null): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', 'maxrss=%M', process.execPath, ...TSX_EXEC_ARGV, cliEntry, ...args], { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let interruptedAt: number | null = null;
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString('utf8'); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString('utf8'); });
    const timer = interruptAfterMs === null ? null : setTimeout(() => {
      interruptedAt = Date.now();
      try { process.kill(-child.pid!, 'SIGINT'); } catch { /* already gone */ }
    }, interruptAfterMs);
    const hard = setTimeout(() => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } }, 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      clearTimeout(hard);
      const m = /maxrss=(\d+)\s*$/.exec(stderr);
      resolve({
        code: code ?? 1,
        stdout,
        // GNU time's own line (and its "Command exited with non-zero status" / "Command terminated by signal") is not the CLI's output.
        stderr: stderr.replace(/(Command (exited with non-zero status|terminated by signal) \d+\n)?maxrss=\d+\s*$/, ''),
        maxRssKb: m ? Number(m[1]) : Number.NaN,
        afterInterruptMs: interruptedAt === null ? null : Date.now() - interruptedAt,
      });
    });
  });
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = path.join(dir, e.name);
    out.push(p);
    if (e.isDirectory()) out.push(...await walk(p));
  }
  return out;
}

describe.skipIf(skip !== null)(`a hostile remote on a real S3 server${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const env = s3.env as S3Env;
  const client: S3Client | null = s3.env ? s3Client(env) : null;
  afterAll(() => client?.destroy());

  it('random forged manifests and objects never write outside the clone, paint the terminal, exhaust memory, outlive Ctrl+C or leave the lock', async () => {
    const base = scratch();
    // The legitimate history the forgeries ride on: 2 commits of a 1 MB model.
    const legit = path.join(base, 'legit');
    const h = await makeHistory(legit, 2, { floats: 250_000 });
    const tip = h.ids[1]!;
    const tipManifest = JSON.parse(await fs.readFile(path.join(legit, '.weightline', 'commits', `${tip}.json`), 'utf8')) as { files: Array<Record<string, unknown>> };
    const template = tipManifest.files[0]!;
    let run = 0;

    await fc.assert(fc.asyncProperty(forgeryArb, async (forgery) => {
      run += 1;
      const sandbox = path.join(base, `run${run}`);
      const outside = path.join(sandbox, 'outside');
      await fs.mkdir(outside, { recursive: true });
      const bucket = await newBucket(env);
      const url = `s3://${bucket}/p`;
      await wlOk(legit, 'remote', 'add', `r${run}`, url);
      await wlOk(legit, 'push', `r${run}`);

      const sub = (s: string): string => s.split(OUT).join(outside);
      const files = forgery.paths.map((p, i) => {
        const file: Record<string, unknown> = { ...template, path: sub(p), status: 'added', delta: null };
        if (forgery.bytes === 'huge') file.bytes = 1e15;
        if (forgery.bytes === 'oversized-object' && i === 0) file.sha256 = createHash('sha256').update(`absent ${run}`).digest('hex');
        return file;
      });
      const manifest = {
        formatVersion: 1,
        parent: forgery.parent === 'tip' ? tip : createHash('sha256').update('no such commit').digest('hex'),
        type: 'CHECKPOINT',
        message: forgery.message,
        createdAt: new Date(Date.now() + 60_000).toISOString(),
        source: { path: sub(forgery.source), kind: forgery.kind },
        files,
        removedFiles: [],
      };
      const bytes = Buffer.from(JSON.stringify(manifest));
      const forgedId = createHash('sha256').update(bytes).digest('hex');
      await client!.send(new PutObjectCommand({ Bucket: bucket, Key: `p/manifests/${forgedId}`, Body: bytes }));
      if (forgery.bytes === 'oversized-object') {
        // Under the name of the object the forged file needs: 4 MB where the manifest says 1 MB, not its content either.
        await client!.send(new PutObjectCommand({ Bucket: bucket, Key: `p/objects/${files[0]!.sha256 as string}`, Body: randomBytes(4 << 20) }));
      }

      const clone = path.join(sandbox, 'clone');
      const runs: Array<[string, Ran]> = [];
      runs.push(['clone', await runCli(sandbox, ['clone', url, clone], forgery.interruptAfterMs)]);
      // Ctrl+C reached it while it ran: it stops within 2 s (what it made is checked below with the rest).
      if (runs[0]![1].afterInterruptMs !== null) expect(runs[0]![1].afterInterruptMs, 'clone stops within 2 s of Ctrl+C').toBeLessThan(2000);
      // Whatever clone made of it, the user goes on in a store that has the remote.
      if (!(await fs.stat(path.join(clone, '.weightline')).catch(() => null))) {
        await fs.mkdir(clone, { recursive: true });
        await wlOk(clone, 'init');
        await wlOk(clone, 'remote', 'add', 'origin', url);
      }
      const remotesBefore = await fs.readFile(path.join(clone, '.weightline', 'remotes.json'), 'utf8');
      runs.push(['fetch', await runCli(clone, ['fetch'])]);
      runs.push(['log', await runCli(clone, ['log'])]);
      runs.push(['log --json', await runCli(clone, ['log', '--json'])]);
      runs.push(['show', await runCli(clone, ['show', forgedId])]);
      runs.push(['restore', await runCli(clone, ['restore', forgedId])]);
      runs.push(['restore HEAD', await runCli(clone, ['restore', 'HEAD'])]);
      runs.push(['verify --remote', await runCli(clone, ['verify', '--remote', 'origin'])]);
      runs.push(['status', await runCli(clone, ['status'])]);

      for (const [what, r] of runs) {
        const where = `${what} (run ${run}: ${JSON.stringify(forgery)})`;
        expect(CONTROL.test(r.stdout), `${where} printed a control character on stdout: ${JSON.stringify(r.stdout.slice(0, 400))}`).toBe(false);
        expect(CONTROL.test(r.stderr), `${where} printed a control character on stderr: ${JSON.stringify(r.stderr.slice(0, 400))}`).toBe(false);
        expect(r.maxRssKb, `${where} peak memory`).toBeLessThan(300 * 1024);
        expect(r.stderr, `${where} crashed`).not.toMatch(/internal error|at .*\.ts:\d+:\d+/);
        if (what === 'log --json' && r.code === 0) expect(() => JSON.parse(r.stdout), `${where} --json output`).not.toThrow();
      }
      // Nothing outside the clone, nothing in a folder git or Weightline would read as theirs.
      expect(await walk(outside), 'files written outside the clone').toEqual([]);
      expect((await fs.readdir(sandbox)).sort(), 'entries beside the clone').toEqual(['clone', 'outside']);
      expect((await fs.readdir(base)).filter((e) => e !== 'legit' && !/^run\d+$/.test(e)), 'entries beside the runs').toEqual([]);
      for (const p of await walk(clone)) {
        const rel = path.relative(clone, p).split(path.sep);
        const named = rel.findIndex((c) => /^\.(git|weightline)[. ]*$/i.test(c));
        if (named === -1) continue;
        expect(rel[named] === '.weightline' && named === 0, `forged path reached ${path.relative(sandbox, p)}`).toBe(true);
      }
      expect(await fs.readFile(path.join(clone, '.weightline', 'remotes.json'), 'utf8'), 'remotes.json changed').toBe(remotesBefore);
      await expect(fs.stat(path.join(clone, '.weightline', 'lock')), 'lock left behind').rejects.toThrow();
      const verify = await runCli(clone, ['verify', '--json']);
      expect(verify.stderr, 'the store is readable after').not.toMatch(/CORRUPT|internal error/);
    }), { numRuns: process.env.WL_HOSTILE_RUNS ? Number(process.env.WL_HOSTILE_RUNS) : 6, endOnFailure: true });
  }, 600_000);
});
