// The settings pane (issue 11, item 5): keepFullLatest, maxRouteRead (issue
// 12), maxChainLength and autoCleanup, with what a change frees or costs shown
// before it is saved (the cleanup planner's own figures, packing apart from
// deleting), errors beside the field, and saving through settings.set.
import { test, expect, screenshot } from './support/fixtures';
import { cliJson, humanBytes, type CleanupPlanJson } from './support/weightline';

interface ConfigJson { maxChainLength: number; maxRouteRead: number; keepFullLatest: number; autoCleanup: boolean; trashDays?: number; maxStoreBytes?: number; minFreeBytes?: number; autoForget?: boolean }

test.use({ viewport: { width: 1366, height: 768 } });

test('a change is previewed with the planner\'s figures before saving, and saving writes the store\'s config', async ({ app, store }) => {
  const saved = await cliJson<ConfigJson>(store.root, 'config');
  const planNow = await cliJson<CleanupPlanJson>(store.root, 'cleanup', '--dry-run');

  await app.getByRole('button', { name: 'Settings' }).click();
  const dialog = app.getByRole('dialog', { name: 'Settings' });
  const keep = dialog.getByRole('textbox', { name: /keepFullLatest/ });
  const chain = dialog.getByRole('textbox', { name: /maxChainLength/ });
  const route = dialog.getByRole('textbox', { name: /maxRouteRead/ });
  const auto = dialog.getByRole('switch', { name: /Clean up after every commit/ });
  await expect(keep).toHaveValue(String(saved.keepFullLatest));
  await expect(chain).toHaveValue(String(saved.maxChainLength));
  await expect(route).toHaveValue(String(saved.maxRouteRead));
  await expect(auto).toBeChecked({ checked: saved.autoCleanup });
  const preview = dialog.getByRole('region', { name: 'What this changes' });
  // With the saved settings, the preview is the cleanup dry run.
  await expect(preview.getByTestId('preview-freed')).toHaveAttribute('data-bytes', String(planNow.bytesFreed));
  // Packing apart from deleting, exact (measured); the store after is the plan's storeBytesAfter.
  await expect(preview.getByTestId('preview-packs')).toHaveAttribute('data-bytes', String(planNow.bytesPackSaved));
  await expect(preview.getByTestId('preview-packs')).not.toContainText('about');
  await expect(preview.getByTestId('cleanup-after')).toHaveAttribute('data-bytes', String(planNow.storeBytesAfter));
  await expect(dialog.getByRole('button', { name: 'Save' })).toBeDisabled();

  // keepFullLatest 1: the planner frees more; the figure is the one a cleanup would use.
  await keep.fill('1');
  await expect(preview.getByTestId('preview-diff')).toBeVisible();
  const freed = Number(await preview.getByTestId('preview-freed').getAttribute('data-bytes'));
  expect(freed).toBeGreaterThan(planNow.bytesFreed);
  await expect(preview.getByTestId('preview-diff')).toContainText(`${humanBytes(freed - planNow.bytesFreed)} more`);
  // maxChainLength 4: the estimate changes, marked against the saved value.
  await chain.fill('4');
  await expect(preview.getByTestId('preview-chain')).toContainText('One commit in 5 becomes a CHECKPOINT');
  // Compared with the saved settings (whose run of DELTAs the read bound may cut shorter than maxChainLength).
  await expect(preview.getByTestId('preview-chain')).toContainText('(now ');
  await expect(preview.getByTestId('preview-rule')).toContainText('The chain bound decides');
  // maxRouteRead 0.3 (decimals allowed): the sample's deltas (~1 MB of an 8.7 MB model) reach 0.3× the model
  // after 2 DELTAs, before maxChainLength's 4, so the read bound decides.
  await route.fill('0.3');
  await expect(route).not.toHaveAttribute('aria-invalid', 'true');
  await expect(preview.getByTestId('preview-rule')).toContainText('The read bound decides');
  await expect(preview.getByTestId('preview-chain')).toContainText('One commit in 3 becomes a CHECKPOINT');
  await auto.check({ force: true });
  await expect(preview).toContainText('After the next commit, cleanup would free');
  await expect(dialog).toContainText('4 unsaved changes');
  await screenshot(app, 'settings-preview');

  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(dialog).toBeHidden();
  // The forget settings (issue 21) keep their defaults: the form saves only what changed.
  expect(await cliJson<ConfigJson>(store.root, 'config')).toEqual({ maxChainLength: 4, maxRouteRead: 0.3, keepFullLatest: 1, autoCleanup: true, trashDays: 7, maxStoreBytes: 0, minFreeBytes: 0, autoForget: false });
  // What the preview promised is what cleanup now plans.
  expect((await cliJson<CleanupPlanJson>(store.root, 'cleanup', '--dry-run')).bytesFreed).toBe(freed);

  // Reopened, the pane reads the saved values.
  await app.getByRole('button', { name: 'Settings' }).click();
  await expect(keep).toHaveValue('1');
  await expect(chain).toHaveValue('4');
  await expect(route).toHaveValue('0.3');
  await expect(auto).toBeChecked();
});

test('invalid values are refused beside their field and nothing is saved', async ({ app, store, page }) => {
  const saved = await cliJson<ConfigJson>(store.root, 'config');
  await page.setViewportSize({ width: 1024, height: 700 });
  await app.getByRole('button', { name: 'Settings' }).click();
  const dialog = app.getByRole('dialog', { name: 'Settings' });
  const keep = dialog.getByRole('textbox', { name: /keepFullLatest/ });
  const chain = dialog.getByRole('textbox', { name: /maxChainLength/ });
  const save = dialog.getByRole('button', { name: 'Save' });

  await keep.fill('0');
  await expect(keep).toHaveAttribute('aria-invalid', 'true');
  await expect(keep).toHaveAccessibleDescription(/found 0 \(less than 1\)/);
  await chain.fill('2.5');
  await expect(chain).toHaveAccessibleDescription(/whole number/);
  await expect(save).toBeDisabled();
  await expect(dialog).toContainText('Fix the marked fields to save.');
  await screenshot(app, 'settings-invalid-1024');

  const route = dialog.getByRole('textbox', { name: /maxRouteRead/ });
  await route.fill('0.05');
  await expect(route).toHaveAccessibleDescription(/found 0\.05 \(less than 0\.1\)/);
  await route.fill('2,5');
  await expect(route).toHaveAccessibleDescription(/found "2,5"/);
  await route.fill(String(saved.maxRouteRead));
  await expect(route).not.toHaveAttribute('aria-invalid', 'true');
  await chain.fill('abc');
  await expect(chain).toHaveAccessibleDescription(/found "abc"/);
  await chain.fill('1001');
  await expect(chain).toHaveAccessibleDescription(/found 1001 \(more than 1000\)/);
  await chain.fill('8');
  await keep.fill('3');
  await expect(keep).not.toHaveAttribute('aria-invalid', 'true');
  await expect(save).toBeEnabled();
  // A change back to the saved values is no change.
  await keep.fill(String(saved.keepFullLatest));
  await chain.fill(String(saved.maxChainLength));
  await expect(save).toBeDisabled();
  await expect(dialog).toContainText('No changes');

  // An error from the main side is shown in the pane, which stays open.
  await page.route('**/api/call/settings.set', (route) => route.fulfill({
    status: 200, contentType: 'application/json',
    body: JSON.stringify({ ok: false, error: { code: 'LOCKED', message: 'the store is locked by a running commit (pid 4242); wait for it to finish' } }),
  }));
  await keep.fill('5');
  await save.click();
  await expect(dialog.locator('.error-message')).toContainText('locked by a running commit');
  await expect(dialog).toBeVisible();
  await screenshot(app, 'settings-error-1024');
  expect(await cliJson<ConfigJson>(store.root, 'config')).toEqual(saved);
});

test('the settings pane at 1024×700', async ({ app, page }) => {
  await page.setViewportSize({ width: 1024, height: 700 });
  await app.getByRole('button', { name: 'Settings' }).click();
  const dialog = app.getByRole('dialog', { name: 'Settings' });
  await dialog.getByRole('textbox', { name: /keepFullLatest/ }).fill('1');
  await expect(dialog.getByTestId('preview-diff')).toBeVisible();
  // Every control is on screen without scrolling the page.
  for (const name of [/keepFullLatest/, /maxRouteRead/, /maxChainLength/]) await expect(dialog.getByRole('textbox', { name })).toBeInViewport();
  await expect(dialog.getByRole('button', { name: 'Save' })).toBeInViewport();
  await screenshot(app, 'settings-1024');
  await app.emulateMedia({ colorScheme: 'dark' });
  await screenshot(app, 'settings-1024-dark');
});
