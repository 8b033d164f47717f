// The graph shows every commit of a real store with the storage figures the
// CLI reports, and the keyboard moves through it.
import { test, expect, graph, row, screenshot } from './support/fixtures';
import { cliJson, humanBytes, type LogEntryJson, type StatusJson } from './support/weightline';

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('the graph shows every commit with its badges, and the summary matches the store', async ({ app, store }) => {
  const log = await cliJson<LogEntryJson[]>(store.root, 'log');
  const status = await cliJson<StatusJson>(store.root, 'status');
  expect(log.length).toBeGreaterThanOrEqual(8);
  await expect(graph(app).getByRole('option')).toHaveCount(log.length);

  for (const c of log) {
    const r = row(app, c.id);
    await expect(r).toHaveAccessibleName(new RegExp(`${escapeRe(c.message)}.*${c.id.slice(0, 12)}`));
    const badges = r.locator('.badges');
    // A CHECKPOINT a cleanup packed keeps its full parameters packed, and says so (issue 12).
    if (c.hasFull && c.packed) await expect(badges).toContainText(`packed ${humanBytes(c.fullBytes)}`);
    else if (c.hasFull) await expect(badges).toContainText(c.fullBytes > 0 ? `full ${humanBytes(c.fullBytes)}` : 'full (shared)');
    else await expect(badges).toContainText('rebuilt on demand');
    if (c.type === 'DELTA' && c.deltaBytes > 0) await expect(badges).toContainText(`Δ ${humanBytes(c.deltaBytes)}`);
    if (c.type === 'CHECKPOINT') await expect(badges).toContainText('CHECKPOINT');
    else await expect(badges).not.toContainText('CHECKPOINT');
    if (c.chainLength > 0) await expect(badges).toContainText(`chain ${c.chainLength}`);
    await expect(r.locator('.head-tag')).toHaveCount(c.id === status.head ? 1 : 0);
  }
  // Newest on top.
  await expect(graph(app).getByRole('option').first()).toHaveAttribute('data-commit', log[0]!.id);

  const fullCopies = log.reduce((a, c) => a + c.logicalBytes, 0);
  await expect(app.getByTestId('summary-full')).toHaveText(humanBytes(fullCopies));
  await expect(app.getByTestId('summary-disk')).toHaveText(humanBytes(status.storeBytes));
  // The sample history is smaller than its versions: a saving (a larger store reads "+N%" under "Over the versions": charts.spec.ts).
  expect(status.storeBytes).toBeLessThan(fullCopies);
  await expect(app.getByTestId('summary-saving-term')).toHaveText('Saving');
  await expect(app.getByTestId('summary-saving')).toHaveText(`${Math.round((1 - status.storeBytes / fullCopies) * 100)}%`);
  await expect(app.getByTestId('raw-copies')).toContainText('Raw copies kept for fast restore:');

  // The details of HEAD are open from the start.
  await expect(app.getByRole('complementary', { name: 'Commit details' })).toContainText(status.head!);
  await expect(app.getByRole('table', { name: 'Tensors' }).getByRole('row').nth(1)).toBeVisible();
  await screenshot(app, 'main-view-light');
  await app.emulateMedia({ colorScheme: 'dark' });
  await screenshot(app, 'main-view-dark');
  await app.emulateMedia({ colorScheme: 'light' });
  await app.getByRole('region', { name: 'Storage over time' }).screenshot({ path: 'test-results/screenshots/storage-over-time.png' });
});

test('keyboard: arrows move, "/" searches messages, Home jumps to HEAD', async ({ app, store }) => {
  const log = await cliJson<LogEntryJson[]>(store.root, 'log');
  const head = row(app, log[0]!.id);
  await head.click();
  await expect(head).toHaveAttribute('aria-selected', 'true');
  await app.keyboard.press('ArrowDown');
  await expect(row(app, log[1]!.id)).toBeFocused();
  await expect(row(app, log[1]!.id)).toHaveAttribute('aria-selected', 'true');
  await app.keyboard.press('ArrowDown');
  await app.keyboard.press('ArrowUp');
  await expect(row(app, log[1]!.id)).toBeFocused();

  await app.keyboard.press('/');
  const search = app.getByRole('searchbox', { name: 'Search commit messages' });
  await expect(search).toBeFocused();
  await search.fill('experiment');
  const matching = log.filter((c) => c.message.toLowerCase().includes('experiment'));
  expect(matching.length).toBeGreaterThan(0);
  await expect(graph(app).getByRole('option')).toHaveCount(matching.length);
  await screenshot(app, 'search-filter');
  await search.press('Escape');
  await expect(graph(app).getByRole('option')).toHaveCount(log.length);

  await row(app, log[log.length - 1]!.id).click();
  await app.keyboard.press('Home');
  await expect(head).toBeFocused();
  await expect(head).toHaveAttribute('aria-selected', 'true');
});

test('details, tensor table, context menu: pin, copy id, compare with…', async ({ app, store }) => {
  const log = await cliJson<LogEntryJson[]>(store.root, 'log');
  const target = log.find((c) => c.type === 'DELTA' && c.parent !== null)!;
  const r = row(app, target.id);
  await r.click();
  const details = app.getByRole('complementary', { name: 'Commit details' });
  await expect(details.getByRole('heading', { level: 2 })).toHaveText(target.message);
  await expect(details).toContainText(target.id);
  await expect(details).toContainText(target.parent!.slice(0, 12));

  // Sort the tensor table by size (numbers sort largest first), filter it by name, show only changed tensors.
  const table = details.getByRole('table', { name: 'Tensors' });
  await table.getByRole('button', { name: /Size/ }).click();
  await expect(table.getByRole('columnheader', { name: /Size/ })).toHaveAttribute('aria-sort', 'descending');
  await details.getByRole('checkbox', { name: /Changed only/ }).check();
  const statuses = await table.locator('tbody tr td:nth-child(5)').allTextContents();
  expect(statuses.length).toBeGreaterThan(0);
  expect(statuses.every((s) => s !== 'unchanged')).toBe(true);
  await details.getByRole('searchbox', { name: 'Filter tensors by name' }).fill('zzz-no-such-tensor');
  await expect(details.getByText('No tensor matches.')).toBeVisible();
  await details.getByRole('searchbox', { name: 'Filter tensors by name' }).fill('');
  await screenshot(app, 'details-pane');

  // Context menu: pin, which the CLI then reports.
  await r.click({ button: 'right' });
  const menu = app.getByRole('menu');
  await expect(menu).toBeVisible();
  await screenshot(app, 'context-menu');
  await menu.getByRole('menuitem', { name: 'Pin' }).click();
  await expect(r.locator('.badges')).toContainText('pinned');
  await expect.poll(async () => (await cliJson<LogEntryJson[]>(store.root, 'log')).find((c) => c.id === target.id)!.pinned).toBe(true);

  // "Compare with…" (which replaced "Compare with parent", issue 11 item 4; e2e/compare.spec.ts covers it in full).
  await r.click({ button: 'right' });
  await app.getByRole('menuitem', { name: 'Compare with…' }).click();
  await row(app, target.parent!).click();
  const compare = app.getByRole('dialog', { name: 'Compare commits' });
  await expect(compare.getByTestId('compare-b')).toHaveAttribute('data-commit', target.id);
  await expect(compare.getByRole('table', { name: 'Tensors' }).getByRole('row').nth(1)).toBeVisible();
  await screenshot(app, 'compare-with-parent');
  await compare.getByRole('button', { name: 'Close' }).click();

  await r.click({ button: 'right' });
  await app.getByRole('menuitem', { name: 'Unpin' }).click();
  await expect(r.locator('.badges')).not.toContainText('pinned');
});
