// The cleanup preview shows exactly what `weightline cleanup --dry-run` plans,
// and after confirming, the badges and the summary show the new store.
import { test, expect, row, screenshot } from './support/fixtures';
import { cliJson, humanBytes, type CleanupPlanJson, type LogEntryJson, type StatusJson } from './support/weightline';

test('cleanup preview equals the CLI dry run; confirming updates badges and summary', async ({ app, store }) => {
  const plan = await cliJson<CleanupPlanJson>(store.root, 'cleanup', '--dry-run');
  expect(plan.commits.length).toBeGreaterThan(0);

  await app.getByRole('button', { name: 'Cleanup', exact: true }).click();
  const dialog = app.getByRole('dialog', { name: 'Cleanup preview' });
  await expect(dialog.getByTestId('cleanup-freed')).toHaveAttribute('data-bytes', String(plan.bytesFreed));
  await expect(dialog.getByTestId('cleanup-freed')).toHaveText(humanBytes(plan.bytesFreed));
  await expect(dialog.getByTestId('cleanup-before')).toHaveAttribute('data-bytes', String(plan.storeBytesBefore));
  await expect(dialog.getByTestId('cleanup-before')).toHaveText(humanBytes(plan.storeBytesBefore));
  await expect(dialog.getByTestId('cleanup-after')).toHaveAttribute('data-bytes', String(plan.storeBytesAfter));
  await expect(dialog.getByTestId('cleanup-after')).toHaveText(humanBytes(plan.storeBytesAfter));

  const lose = dialog.getByRole('table', { name: 'Commits that lose their full parameters' });
  await expect(lose.locator('[data-commit]')).toHaveCount(plan.commits.length);
  for (const c of plan.commits) {
    const line = lose.locator(`[data-commit="${c.id}"]`);
    await expect(line.locator('[data-bytes]')).toHaveAttribute('data-bytes', String(c.bytesFreed));
    await expect(line).toContainText(humanBytes(c.bytesFreed));
    await expect(line).toContainText(`${c.chainBefore} → ${c.chainAfter}`);
    await expect(line).toContainText(`${humanBytes(c.readBytesBefore)} → ${humanBytes(c.readBytesAfter)}`);
  }
  const kept = dialog.getByRole('region', { name: 'Kept' });
  for (const k of plan.kept.filter((k) => !(k.reasons.length === 1 && k.reasons[0] === 'already-pruned'))) {
    await expect(kept.locator(`[data-commit="${k.id}"]`)).toBeVisible();
  }
  await screenshot(app, 'cleanup-preview');

  await dialog.getByRole('button', { name: 'Confirm cleanup' }).click();
  await expect(dialog).toBeHidden();

  const status = await cliJson<StatusJson>(store.root, 'status');
  expect(status.storeBytes).toBe(plan.storeBytesAfter);
  await expect(app.getByTestId('summary-disk')).toHaveText(humanBytes(status.storeBytes));
  const log = await cliJson<LogEntryJson[]>(store.root, 'log');
  for (const c of plan.commits) {
    expect(log.find((e) => e.id === c.id)!.hasFull).toBe(false);
    const badges = row(app, c.id).locator('.badges');
    await expect(badges).toContainText('rebuilt on demand');
    await expect(badges).toContainText(`chain ${c.chainAfter}`);
  }
  await screenshot(app, 'after-cleanup');
});
