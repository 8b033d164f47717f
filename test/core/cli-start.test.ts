// `npm start` / `npm run dev` (scripts/start.mjs) where Electron's binary is
// missing and cannot be fetched: one line saying so and what to do instead,
// non-zero exit, and quickly. The electron package is a copy of the installed
// one in a scratch folder (so the real node_modules is never touched), and its
// download host is a local port that refuses, or accepts and never answers.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as net from 'node:net';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useScratch } from '../helpers/models';

const scratch = useScratch();
const repo = path.resolve(import.meta.dirname, '..', '..');
const version = (JSON.parse(await fs.readFile(path.join(repo, 'node_modules', 'electron', 'package.json'), 'utf8')) as { version: string }).version;

/** node_modules/electron without its binary, resolving @electron/get from the real node_modules. */
async function electronWithoutBinary(): Promise<string> {
  const root = scratch();
  const dir = path.join(root, 'node_modules', 'electron');
  await fs.mkdir(dir, { recursive: true });
  for (const f of ['package.json', 'install.js', 'checksums.json', 'index.js']) await fs.copyFile(path.join(repo, 'node_modules', 'electron', f), path.join(dir, f));
  await fs.symlink(path.join(repo, 'node_modules', '@electron'), path.join(root, 'node_modules', '@electron'));
  return dir;
}

function start(env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const t0 = Date.now();
  const child = spawn(process.execPath, [path.join(repo, 'scripts', 'start.mjs'), 'preview'], { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - t0 })));
}

function baseEnv(dir: string, mirror: string, cache: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, WEIGHTLINE_ELECTRON_DIR: dir, ELECTRON_MIRROR: mirror, electron_config_cache: cache, ELECTRON_GET_NO_PROGRESS: '1' };
  delete env.ELECTRON_EXEC_PATH;
  delete env.ELECTRON_OVERRIDE_DIST_PATH;
  return env;
}

describe('scripts/start.mjs without an Electron binary', () => {
  it('fails fast in one line naming the download host and `npm run serve`', async () => {
    const dir = await electronWithoutBinary();
    // A port nothing listens on: the connection is refused at once.
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const r = await start(baseEnv(dir, `http://127.0.0.1:${port}/`, scratch()));
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^weightline: cannot start the desktop app: Electron ${version.replace(/\./g, '\\.')} is not installed and could not be downloaded from 127\\.0\\.0\\.1:${port} \\(ECONNREFUSED from 127\\.0\\.0\\.1:${port}; the installer said: fetch failed\\); run \`npm run serve\` for the same interface in your browser`));
    expect(r.ms).toBeLessThan(15_000);
    await expect(fs.stat(path.join(dir, 'path.txt'))).rejects.toMatchObject({ code: 'ENOENT' });
  }, 30_000);

  it('gives up after WEIGHTLINE_ELECTRON_INSTALL_TIMEOUT when the host accepts and never answers', async () => {
    const dir = await electronWithoutBinary();
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => { sockets.push(s); });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const port = (silent.address() as net.AddressInfo).port;
      const r = await start({ ...baseEnv(dir, `http://127.0.0.1:${port}/`, scratch()), WEIGHTLINE_ELECTRON_INSTALL_TIMEOUT: '1' });
      expect(r.code).toBe(1);
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/is not installed and its download did not finish within 1 s \(WEIGHTLINE_ELECTRON_INSTALL_TIMEOUT sets the limit\); run `npm run serve`/);
      expect(r.ms).toBeLessThan(10_000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  }, 30_000);

  it('a wrong mode is a usage error', async () => {
    const child = spawn(process.execPath, [path.join(repo, 'scripts', 'start.mjs'), 'launch'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const code = await new Promise((r) => child.on('close', r));
    expect(code).toBe(2);
    expect(stderr).toBe('usage: node scripts/start.mjs preview|dev [electron-vite options]\n');
  });
});
