// Light and dark: the system setting by default; the toolbar's toggle
// switches, is remembered across reloads, and matching the system again
// goes back to following it.
import { test, expect, row } from './support/fixtures';
import { layoutProblems } from './support/layout-checks';
import { uiShot } from './support/ui-shots';
import { cliJson, type LogEntryJson } from './support/weightline';

const DARK_BG = 'rgb(22, 25, 30)';
const LIGHT_BG = 'rgb(255, 255, 255)';
const background = (page: import('@playwright/test').Page): Promise<string> =>
  page.evaluate(() => getComputedStyle(document.body).backgroundColor);
const stored = (page: import('@playwright/test').Page): Promise<string | null> =>
  page.evaluate(() => localStorage.getItem('weightline.theme'));

test('the theme follows the system, the toggle switches it, and the choice is remembered', async ({ app, store }, info) => {
  await app.setViewportSize({ width: 1366, height: 768 });
  const toggle = app.getByRole('button', { name: 'Dark theme' });

  // The system says light (the project's default), then dark: the app follows.
  await expect.poll(() => background(app)).toBe(LIGHT_BG);
  await expect(toggle).toHaveAttribute('aria-pressed', 'false');
  await app.emulateMedia({ colorScheme: 'dark' });
  await expect.poll(() => background(app)).toBe(DARK_BG);
  await expect(toggle).toHaveAttribute('aria-pressed', 'true');
  await app.emulateMedia({ colorScheme: 'light' });
  await expect.poll(() => background(app)).toBe(LIGHT_BG);

  // The toggle: dark, remembered across a reload.
  await toggle.click();
  await expect(toggle).toHaveAttribute('aria-pressed', 'true');
  await expect.poll(() => background(app)).toBe(DARK_BG);
  expect(await stored(app)).toBe('dark');
  await app.reload();
  await expect(app.getByRole('button', { name: 'Dark theme' })).toHaveAttribute('aria-pressed', 'true');
  await expect.poll(() => background(app)).toBe(DARK_BG);

  // Dark main view with the storage tooltip; the layout holds at 1024 too.
  const log = await cliJson<LogEntryJson[]>(store.root, 'log');
  const target = log.find((c) => c.type === 'DELTA' && c.deltaBytes > 0)!;
  await row(app, target.id).click();
  await app.locator(`.storage-chart rect.hit[data-commit="${target.id}"]`).hover();
  await expect(app.getByTestId('storage-tooltip')).toBeVisible();
  await uiShot(app, info, 'theme-dark-1366');
  await app.setViewportSize({ width: 1024, height: 700 });
  await expect.poll(() => layoutProblems(app)).toEqual([]);
  await uiShot(app, info, 'theme-dark-1024');

  // With the system dark too, one click gives light (remembered as "light")...
  await app.emulateMedia({ colorScheme: 'dark' });
  await app.getByRole('button', { name: 'Dark theme' }).click();
  await expect.poll(() => background(app)).toBe(LIGHT_BG);
  expect(await stored(app)).toBe('light');
  // ...and the next, dark, is what the system says: the app follows the system again.
  await app.getByRole('button', { name: 'Dark theme' }).click();
  await expect.poll(() => background(app)).toBe(DARK_BG);
  expect(await stored(app)).toBeNull();
  expect(await app.evaluate(() => document.documentElement.dataset['theme'] ?? null)).toBeNull();
  await app.emulateMedia({ colorScheme: 'light' });
  await expect.poll(() => background(app)).toBe(LIGHT_BG);
});
