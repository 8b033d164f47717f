// Drives the real thing from the outside: the built CLI for store set-up and
// for the figures the UI must match, and `weightline serve` as a child process
// for the browser mode. Nothing here imports src-main.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const repoRoot = path.resolve(import.meta.dirname, '..', '..');
const bin = path.join(repoRoot, 'bin', 'weightline.mjs');

/** Run the CLI in `cwd` and parse its --json output. */
export async function cliJson<T>(cwd: string, ...args: string[]): Promise<T> {
  const { stdout } = await run(process.execPath, [bin, '-C', cwd, ...args, '--json'], { maxBuffer: 256 * 1024 * 1024 });
  return JSON.parse(stdout) as T;
}

export async function cli(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [bin, '-C', cwd, ...args], { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

export interface Served {
  readonly url: string;
  readonly process: ChildProcess;
  close(): Promise<void>;
}

/**
 * `weightline serve --port 0` in `cwd`; resolves with the printed URL (token
 * included). `configDir` keeps the recent-stores list and the sample history
 * out of the user's own config.
 */
export function serve(cwd: string, configDir: string): Promise<Served> {
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0'], {
    cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WEIGHTLINE_CONFIG_DIR: configDir },
  });
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`weightline serve printed no URL in 20 s\n${out}\n${err}`)); }, 20_000);
    child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /https?:\/\/127\.0\.0\.1:\d+\/\S*/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      resolve({
        url: m[0],
        process: child,
        close: () => new Promise<void>((done) => {
          if (child.exitCode !== null) { done(); return; }
          child.once('exit', () => done());
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 5000).unref();
        }),
      });
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`weightline serve exited (${code}) before printing its URL\n${err}`)); });
  });
}

export async function sha256File(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}

/** The CLI's size format (src-main/cli/format.ts): 1000-based, one decimal. */
export function humanBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n, u = 0;
  while (v >= 1000 && u < units.length - 1) { v /= 1000; u++; }
  return u === 0 ? `${n} B` : `${v.toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 })} ${units[u]}`;
}

// The JSON shapes the CLI prints (the fields pinned in src-shared/model.ts).
export interface LogEntryJson {
  id: string; parent: string | null; type: 'CHECKPOINT' | 'DELTA'; message: string; createdAt: string;
  logicalBytes: number; fullBytes: number; deltaBytes: number; path: string; hasFull: boolean; chainLength: number; pinned: boolean;
  /** Present when the full parameters are on disk packed only. */
  packed?: true;
}
export interface StatusJson { head: string | null; storeBytes: number; logicalBytes: number; dirty: boolean; path: string | null }
export interface CleanupPlanJson {
  commits: { id: string; bytesFreed: number; chainBefore: number; chainAfter: number; readBytesBefore: number; readBytesAfter: number }[];
  kept: { id: string; reasons: string[]; detail?: string }[];
  bytesFreed: number; storeBytesBefore: number; storeBytesAfter: number;
  packs: { id: string; rawBytes: number; packedBytes: number }[]; bytesPackSaved: number;
}
export interface ShowJson extends LogEntryJson { files: { path: string; bytes: number; sha256: string }[] }
