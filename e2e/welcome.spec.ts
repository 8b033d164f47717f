// With no store open the app offers to open one, create one, or show a sample.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test, expect, graph, screenshot } from './support/fixtures';
import { serve } from './support/weightline';

test('no store: open a sample history, or a clear error for a folder without a store', async ({ page }) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'weightline-welcome-'));
  const server = await serve(dir, path.join(dir, 'config'));
  try {
    await page.goto(server.url);
    await expect(page.getByRole('button', { name: 'Open a sample history' })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Open store' })).toBeDisabled();
    await screenshot(page, 'welcome');

    // A folder that holds no store: the error says so and what to do.
    await page.getByRole('combobox', { name: 'Store folder' }).fill(dir);
    await page.getByRole('button', { name: 'Open store' }).click();
    await expect(page.getByRole('alert')).toContainText('No Weightline store here');
    await screenshot(page, 'welcome-not-a-store');

    await page.getByRole('button', { name: 'Open a sample history' }).click();
    await expect(graph(page)).toBeVisible({ timeout: 30_000 });
    expect(await graph(page).getByRole('option').count()).toBeGreaterThanOrEqual(8);
    await expect(graph(page).locator('.badge-checkpoint').first()).toBeVisible();
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
});
