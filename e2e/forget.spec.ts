// Forgetting versions from the app (issue 21, item 6): a retention policy
// drafted in the settings previews on the graph (what would go struck
// through, what stays with its reason: the shared rule on the CLI's log), its
// exact bytes come from the forget dry run, the confirm names count and bytes,
// the forget leaves exactly the kept versions in the CLI's log, and the
// notice's Undo brings every one back. "Forget…" on a shift-click range in
// the context menu shows what goes and what stays before it forgets.
import { test, expect, graph, row, screenshot } from './support/fixtures';
import { cliJson, type LogEntryJson, type StatusJson } from './support/weightline';
import { applyRetention } from '../src-shared/policy/retention';

test.use({ viewport: { width: 1366, height: 768 } });

interface LogJson extends LogEntryJson { tags?: string[]; meta?: { run?: string; step?: number; metrics?: Record<string, number> }; forgottenBefore?: number }

/** What keep-last N keeps of the store, by the shared rule applied to the CLI's log (links: none in the demo). */
async function expected(root: string, keepLast: number): Promise<{ log: LogJson[]; gone: string[]; kept: string[] }> {
  const log = await cliJson<LogJson[]>(root, 'log');
  const { head } = await cliJson<StatusJson>(root, 'status');
  const decisions = applyRetention(log.map((c) => ({
    id: c.id, parent: c.parent, createdAt: c.createdAt, line: c.meta?.run ?? c.path, pinned: c.pinned, head: c.id === head,
    ...(c.tags ? { tags: c.tags } : {}), ...(c.meta?.step !== undefined ? { step: c.meta.step } : {}), ...(c.meta?.metrics ? { metrics: c.meta.metrics } : {}),
  })), { keepLast });
  return { log, gone: decisions.filter((d) => d.verdict === 'forget').map((d) => d.id), kept: decisions.filter((d) => d.verdict === 'keep').map((d) => d.id) };
}

test('a policy drafted in settings previews on the graph, forgets what it showed, and Undo brings it back', async ({ app, store }) => {
  const { log, gone, kept } = await expected(store.root, 2);
  expect(gone.length).toBeGreaterThan(0);

  await app.getByRole('button', { name: 'Settings' }).click();
  const dialog = app.getByRole('dialog', { name: 'Settings' });
  const retention = dialog.getByRole('region', { name: 'Retention' });
  await retention.getByRole('textbox', { name: /--keep-last/ }).fill('2');
  const counts = retention.getByTestId('retention-counts');
  await expect(counts).toHaveAttribute('data-forget', String(gone.length));
  await expect(counts).toHaveAttribute('data-keep', String(kept.length));

  // The exact preview: the forget job's dry run, with its bytes.
  await retention.getByRole('button', { name: 'Preview exact bytes' }).click();
  const exact = retention.getByTestId('retention-exact');
  await expect(exact).toBeVisible();
  const exactBytes = Number(await exact.getAttribute('data-bytes'));
  expect(exactBytes).toBeGreaterThan(0);
  await expect(counts).toContainText('exact');
  await expect(counts).toHaveAttribute('data-forget', String(gone.length));
  await screenshot(app, 'forget-settings-retention');

  // On the graph: what goes is struck through, what stays says why.
  await retention.getByRole('button', { name: 'Show on the graph' }).click();
  await expect(dialog).toBeHidden();
  const strip = app.getByTestId('retention-strip');
  await expect(strip).toContainText(`${gone.length} versions would go`);
  for (const id of gone) {
    await expect(row(app, id)).toHaveAttribute('data-preview', 'forget');
    await expect(row(app, id).locator('.commit-message')).toHaveCSS('text-decoration-line', 'line-through');
  }
  for (const id of kept) {
    await expect(row(app, id)).toHaveAttribute('data-preview', 'keep');
    await expect(row(app, id).getByTestId('keep-reason')).toBeVisible();
  }
  await expect(row(app, log[0]!.id).getByTestId('keep-reason')).toHaveAttribute('title', /newest 2 \(#1\)/u);
  await screenshot(app, 'forget-graph-preview');

  // The confirm names the count and the exact bytes of the preview.
  await strip.getByRole('button', { name: `Forget ${gone.length} versions…` }).click();
  const confirm = app.getByRole('dialog', { name: 'Forget by policy' });
  await expect(confirm.getByTestId('forget-freed')).toHaveAttribute('data-bytes', String(exactBytes));
  const go = confirm.getByTestId('forget-confirm');
  await expect(go).toContainText(`Forget ${gone.length} versions`);
  await expect(confirm.getByTestId('forget-gone').locator('li')).toHaveCount(gone.length);
  await screenshot(app, 'forget-confirm');
  await go.click();
  await expect(confirm).toBeHidden();

  const notice = app.locator('.notice').filter({ hasText: `Forgot ${gone.length} versions` });
  await expect(notice).toContainText('freed once the trash is emptied (until');
  await expect(graph(app).getByRole('option')).toHaveCount(kept.length);
  expect((await cliJson<LogJson[]>(store.root, 'log')).map((c) => c.id).sort()).toEqual([...kept].sort());
  // A kept version whose parent went: its edge to the kept ancestor says how many went between.
  const after = await cliJson<LogJson[]>(store.root, 'log');
  const bridged = after.filter((c) => (c.forgottenBefore ?? 0) > 0);
  expect(bridged.length).toBeGreaterThan(0);
  for (const c of bridged) await expect(row(app, c.id).getByTestId('forgotten-chip')).toHaveText(`${c.forgottenBefore} forgotten`);
  await expect(app.getByTestId('trash-status')).toContainText('in trash');
  await screenshot(app, 'forget-notice');

  await notice.getByRole('button', { name: 'Undo' }).click();
  await expect(app.locator('.notice').filter({ hasText: 'are back' })).toBeVisible();
  await expect(graph(app).getByRole('option')).toHaveCount(log.length);
  expect((await cliJson<LogJson[]>(store.root, 'log')).map((c) => [c.id, c.parent])).toEqual(log.map((c) => [c.id, c.parent]));
});

test('Forget… on a shift-click range shows what goes and what stays protected before it forgets', async ({ app, store }) => {
  const log = await cliJson<LogJson[]>(store.root, 'log');
  const { head } = await cliJson<StatusJson>(store.root, 'status');
  // From HEAD (protected) down three rows: HEAD stays, the others go.
  const range = log.slice(0, 4);
  expect(range[0]!.id).toBe(head);
  await row(app, range[0]!.id).click();
  await row(app, range[3]!.id).click({ modifiers: ['Shift'] });
  await expect(app.locator('.graph-count')).toContainText('4 selected');
  await row(app, range[1]!.id).click({ button: 'right' });
  await app.getByRole('menuitem', { name: 'Forget 4 selected…' }).click();
  const dialog = app.getByRole('dialog', { name: 'Forget 4 versions' });
  const kept = dialog.getByTestId('forget-kept');
  await expect(kept.locator(`[data-commit="${head}"]`)).toContainText('HEAD');
  const goneIds = await dialog.getByTestId('forget-gone').locator('li').evaluateAll((els) => els.map((e) => e.getAttribute('data-commit')));
  // What goes is the range without what is protected (HEAD, tags, pins, branch tips).
  expect(goneIds.length).toBeGreaterThan(0);
  for (const id of goneIds) expect(range.map((c) => c.id)).toContain(id);
  expect(goneIds).not.toContain(head);
  await screenshot(app, 'forget-range-confirm');
  await dialog.getByTestId('forget-confirm').click();
  await expect(dialog).toBeHidden();
  await expect(app.locator('.notice').filter({ hasText: `Forgot ${goneIds.length} version` })).toBeVisible();
  const after = (await cliJson<LogJson[]>(store.root, 'log')).map((c) => c.id);
  for (const id of goneIds) expect(after).not.toContain(id);
  expect(after).toHaveLength(log.length - goneIds.length);
  // The operations list: newest first, the forget, with Undo.
  await app.getByRole('button', { name: 'Operations' }).click();
  const ops = app.getByRole('dialog', { name: 'Operations' });
  await expect(ops.locator('.ops-row[data-kind="forget"]').first()).toBeVisible();
  await expect(ops.getByRole('button', { name: 'Undo' })).toBeVisible();
  await screenshot(app, 'forget-operations');
});
