// Each test gets its own store (the sample training run: real safetensors
// files, CHECKPOINTs, DELTAs and a branch) and its own `weightline serve`, so
// tests that commit, clean up or restore never see each other's changes.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test as base, expect, type Locator, type Page } from '@playwright/test';
import { cliJson, serve, type Served } from './weightline';

export interface DemoStore {
  /** A scratch folder for this test (the store is inside it). */
  readonly scratch: string;
  readonly root: string;
  readonly modelPath: string;
  /** Commit ids, oldest first. */
  readonly commits: readonly string[];
}

export const SCREENSHOT_DIR = path.resolve(import.meta.dirname, '..', '..', 'test-results', 'screenshots');

export const test = base.extend<{ store: DemoStore; server: Served; app: Page }>({
  // eslint-disable-next-line no-empty-pattern -- Playwright fixtures must destructure their dependencies
  store: async ({}, use) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'weightline-e2e-'));
    const root = path.join(dir, 'project');
    const demo = await cliJson<{ root: string; commits: string[]; modelPath: string }>(dir, 'demo', root);
    await use({ scratch: dir, root: demo.root, modelPath: demo.modelPath, commits: demo.commits });
    await rm(dir, { recursive: true, force: true });
  },
  server: async ({ store }, use) => {
    const served = await serve(store.root, path.join(store.scratch, 'config'));
    await use(served);
    await served.close();
  },
  app: async ({ page, server }, use) => {
    await page.goto(server.url);
    await expect(graph(page)).toBeVisible();
    await use(page);
  },
});

export { expect };

export function graph(page: Page): Locator {
  return page.getByRole('listbox', { name: 'Commits, newest first' });
}

/** The graph row of a commit: its accessible name holds the message and the short id. */
export function row(page: Page, id: string): Locator {
  return graph(page).locator(`[role="option"][data-commit="${id}"]`);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`) });
}
