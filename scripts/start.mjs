#!/usr/bin/env node
// `npm start` / `npm run dev`: make sure Electron's binary is on disk, then
// hand over to electron-vite (preview or dev).
//   node scripts/start.mjs preview|dev [electron-vite options...]
//
// Why: electron-vite finds Electron through node_modules/electron/path.txt,
// which Electron 45 writes only when its downloader (install.js) has run; npm
// does not run it for us (install scripts are opt-in), so a fresh clone failed
// with electron-vite's bare "Electron uninstall". Here Electron's own installer
// runs first; where the binary cannot be fetched we say so in one line, with
// what to use instead, and stop.
//
// Environment: ELECTRON_EXEC_PATH (an Electron of your own: nothing is
// fetched), ELECTRON_MIRROR and the other @electron/get settings (passed on
// to the installer), WEIGHTLINE_ELECTRON_INSTALL_TIMEOUT (seconds, default
// 600), WEIGHTLINE_ELECTRON_DIR (the electron package folder; for tests).

import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const require = createRequire(path.join(repo, 'package.json'));

/** Where Electron's installer puts the executable inside dist/ (mirrors install.js's getPlatformPath). */
function platformPath(platform = process.env.ELECTRON_INSTALL_PLATFORM || process.env.npm_config_platform || process.platform) {
  switch (platform) {
    case 'mas':
    case 'darwin': return 'Electron.app/Contents/MacOS/Electron';
    case 'win32': return 'electron.exe';
    default: return 'electron';
  }
}

/** The same test install.js makes before it downloads anything. */
export function electronInstalled(dir) {
  try {
    const { version } = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    if (fs.readFileSync(path.join(dir, 'dist', 'version'), 'utf8').replace(/^v/, '') !== version) return false;
    if (fs.readFileSync(path.join(dir, 'path.txt'), 'utf8') !== platformPath()) return false;
    return fs.existsSync(path.join(dir, 'dist', platformPath()));
  } catch {
    return false;
  }
}

/** Asks the download host directly, to name why the installer could not reach it (its own error says only "fetch failed"). */
async function probe(url) {
  try {
    const res = await fetch(url, { method: 'HEAD', redirect: 'manual', signal: AbortSignal.timeout(5000) });
    return `the server answered HTTP ${res.status}`;
  } catch (e) {
    const cause = e?.cause;
    if (cause?.code === 'ENOTFOUND' || cause?.code === 'EAI_AGAIN') return `cannot resolve ${new URL(url).host}`;
    if (cause?.code) return `${cause.code} from ${new URL(url).host}`;
    if (e?.name === 'TimeoutError') return `no answer from ${new URL(url).host} within 5 s`;
    return String(e?.message ?? e);
  }
}

/**
 * Runs Electron's own installer (node_modules/electron/install.js) unless the
 * binary is there. Resolves { ok: true } or { ok: false, line } where line is
 * the one sentence to print.
 */
export async function ensureElectron({ dir, timeoutMs, env = process.env, onStart = () => {} }) {
  if (env.ELECTRON_EXEC_PATH) return { ok: true };
  if (electronInstalled(dir)) return { ok: true };
  const { version } = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const mirror = env.ELECTRON_MIRROR || env.npm_config_electron_mirror || 'https://github.com/electron/electron/releases/download/';
  const host = URL.canParse(mirror) ? mirror : 'https://github.com/';
  // Said only when the download takes a while: a failure stays one line.
  const notice = setTimeout(() => onStart(`Electron ${version} is not installed yet; fetching it with its own installer (once; about 100 MB)...`), 5000);
  const child = spawn(process.execPath, [path.join(dir, 'install.js')], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-8192); });
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; child.kill('SIGTERM'); }, timeoutMs);
  const code = await new Promise((resolve) => {
    child.on('error', () => resolve(-1));
    child.on('close', (c) => resolve(c ?? -1));
  });
  clearTimeout(timer);
  clearTimeout(notice);
  if (code === 0 && electronInstalled(dir)) return { ok: true };
  const firstLine = stderr.split('\n').map((l) => l.trim()).find((l) => l && !l.startsWith('at ')) ?? `the installer exited with code ${code}`;
  const network = /fetch failed|ENOTFOUND|EAI_AGAIN|ECONN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|UND_ERR|socket|HTTPError|Response code/i.test(stderr);
  let why;
  if (timedOut) why = `its download did not finish within ${Math.round(timeoutMs / 1000)} s (WEIGHTLINE_ELECTRON_INSTALL_TIMEOUT sets the limit)`;
  else if (network) why = `could not be downloaded from ${new URL(host).host} (${await probe(host)}; the installer said: ${firstLine.replace(/^TypeError: /, '')})`;
  else why = `its installer failed: ${firstLine}`;
  return {
    ok: false,
    line: `weightline: cannot start the desktop app: Electron ${version} is not installed and ${why}; run \`npm run serve\` for the same interface in your browser, or retry where the download works (ELECTRON_MIRROR names a mirror)`,
  };
}

async function main(argv) {
  const mode = argv[0];
  if (mode !== 'preview' && mode !== 'dev') {
    process.stderr.write('usage: node scripts/start.mjs preview|dev [electron-vite options]\n');
    return 2;
  }
  const dir = process.env.WEIGHTLINE_ELECTRON_DIR ? path.resolve(process.env.WEIGHTLINE_ELECTRON_DIR) : path.dirname(require.resolve('electron/package.json'));
  const seconds = Number(process.env.WEIGHTLINE_ELECTRON_INSTALL_TIMEOUT ?? 600);
  const res = await ensureElectron({
    dir,
    timeoutMs: (Number.isFinite(seconds) && seconds > 0 ? seconds : 600) * 1000,
    onStart: (s) => process.stderr.write(`${s}\n`),
  });
  if (!res.ok) {
    process.stderr.write(`${res.line}\n`);
    return 1;
  }
  const bin = path.join(path.dirname(require.resolve('electron-vite/package.json')), 'bin', 'electron-vite.js');
  const child = spawn(process.execPath, [bin, mode, ...argv.slice(1)], { stdio: 'inherit', cwd: repo });
  // Ctrl+C reaches the whole process group, electron-vite included: we only wait for it to finish.
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  return new Promise((resolve) => {
    child.on('error', (e) => { process.stderr.write(`weightline: cannot run electron-vite: ${e.message}\n`); resolve(1); });
    child.on('close', (c, sig) => resolve(c ?? (sig ? 1 : 0)));
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await main(process.argv.slice(2));
}
