// The desktop app itself, driven through Playwright's Electron support. Runs
// where an Electron binary exists (a developer machine after `npm install`);
// on machines that cannot download Electron (it comes from outside the
// package registry) every test here is skipped and says why. Everything behind
// the glue (contract, jobs, server) is covered under Node by test/app,
// test/jobs and test/server, and the UI by the browser-mode specs.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { expect, test } from '@playwright/test';
import { _electron as electron } from 'playwright-core';

const repoRoot = path.resolve(import.meta.dirname, '..');

/**
 * Where the Electron binary is, read the way `require('electron')` reads it
 * (node_modules/electron/path.txt), but without calling it: in Electron 45
 * that require tries to download a missing binary, which here fails slowly.
 */
function findElectron(): { binary: string } | { why: string } {
  let pkgDir: string;
  try {
    pkgDir = path.dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  } catch {
    return { why: 'the electron package is not installed (npm install)' };
  }
  const pathTxt = path.join(pkgDir, 'path.txt');
  if (!existsSync(pathTxt)) return { why: `no Electron binary: ${pathTxt} is missing because npm install could not download Electron on this machine` };
  const binary = path.join(pkgDir, 'dist', readFileSync(pathTxt, 'utf8').trim());
  if (!existsSync(binary)) return { why: `no Electron binary at ${binary}` };
  return { binary };
}

const found = findElectron();
const built = existsSync(path.join(repoRoot, 'out', 'main', 'index.js'));

test.describe('desktop app (Electron)', () => {
  test.skip(!('binary' in found), 'why' in found ? found.why : '');
  test.skip(!built, 'the app is not built: run npm run build (npm run e2e does)');

  test('first run offers the sample history; the page sees only the typed bridge', async () => {
    const configDir = await mkdtemp(path.join(tmpdir(), 'weightline-electron-'));
    const app = await electron.launch({
      executablePath: (found as { binary: string }).binary,
      args: [repoRoot],
      env: { ...process.env, WEIGHTLINE_CONFIG_DIR: configDir },
    });
    try {
      const page = await app.firstWindow();
      // Context isolation, sandbox, no Node: the page has window.weightline and nothing else.
      const surface = await page.evaluate(() => ({
        bridge: Object.keys((window as unknown as { weightline: object }).weightline).sort(),
        require: typeof (window as unknown as { require?: unknown }).require,
        process: typeof (window as unknown as { process?: unknown }).process,
      }));
      expect(surface).toEqual({ bridge: ['call', 'on', 'version'], require: 'undefined', process: 'undefined' });
      const current = await page.evaluate(() => (window as unknown as { weightline: { call(n: string, a: unknown): Promise<unknown> } }).weightline.call('store.current', {}));
      expect(current).toEqual({ ok: true, value: null });

      await page.getByRole('button', { name: /sample history/i }).click();
      await expect(page.getByRole('listbox', { name: 'Commits, newest first' }).getByRole('option')).toHaveCount(9, { timeout: 30_000 });
    } finally {
      await app.close();
      await rm(configDir, { recursive: true, force: true });
    }
  });
});
