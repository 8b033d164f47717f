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
  // The store after rests on the packed sizes, which the preview measured (exact: issue 18).
  await expect(dialog.getByTestId('cleanup-after')).toHaveText(humanBytes(plan.storeBytesAfter));

  // Packing is shown apart from deleting (issue 12): the sample history has a CHECKPOINT out of the hot set.
  expect(plan.packs.length).toBeGreaterThan(0);
  const packs = dialog.getByTestId('cleanup-packs');
  await expect(packs).toHaveAttribute('data-bytes', String(plan.bytesPackSaved));
  const raw = plan.packs.reduce((a, p) => a + p.rawBytes, 0);
  const packed = plan.packs.reduce((a, p) => a + p.packedBytes, 0);
  await expect(packs).toContainText(`Would pack ${plan.packs.length} CHECKPOINT${plan.packs.length === 1 ? '' : 's'}: ${humanBytes(raw)} raw → ${humanBytes(packed)} packed (−${humanBytes(plan.bytesPackSaved)})`);
  await expect(packs).not.toContainText('about');

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
    // The kept list marks the CHECKPOINTs that are packed.
    await expect(kept.locator(`[data-commit="${k.id}"] [data-testid="kept-packed"]`)).toHaveCount(plan.packs.some((p) => p.id === k.id) ? 1 : 0);
  }
  await screenshot(app, 'cleanup-preview');

  await dialog.getByRole('button', { name: 'Confirm cleanup' }).click();
  await expect(dialog).toBeHidden();
  // The notice says what was freed and what was packed, with the run's own (exact) figures.
  const notice = app.getByText(/^Cleanup freed .* and packed \d+ CHECKPOINTs? \(.*\): the store went from /);
  await expect(notice).toBeVisible();
  await expect(notice).toContainText(`freed ${humanBytes(plan.bytesFreed)}`);

  const status = await cliJson<StatusJson>(store.root, 'status');
  // Deleting and packing are exact: the store now is what the preview said.
  expect(status.storeBytes).toBe(plan.storeBytesAfter);
  await expect(notice).toContainText(`to ${humanBytes(status.storeBytes)}.`);
  await expect(notice).not.toContainText('about');
  await expect(app.getByTestId('summary-disk')).toHaveText(humanBytes(status.storeBytes));
  const log = await cliJson<LogEntryJson[]>(store.root, 'log');
  for (const c of plan.commits) {
    expect(log.find((e) => e.id === c.id)!.hasFull).toBe(false);
    const badges = row(app, c.id).locator('.badges');
    await expect(badges).toContainText('rebuilt on demand');
    await expect(badges).toContainText(`chain ${c.chainAfter}`);
  }
  // A packed CHECKPOINT says so in its row.
  for (const p of plan.packs) await expect(row(app, p.id).locator('.badges')).toContainText('packed');
  await screenshot(app, 'after-cleanup');
});
