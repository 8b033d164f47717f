// Comparing any two commits (issue 11, item 4): pick A and B with Ctrl/Cmd-click
// or "Compare with…" in the context menu; the figures equal `weightline diff`;
// a pair that is not parent/child is computed by a job with progress and Cancel.
import { test, expect, graph, row, screenshot } from './support/fixtures';
import { cliJson, type LogEntryJson } from './support/weightline';

test.use({ viewport: { width: 1366, height: 768 } });

interface DiffJson {
  from: string; to: string;
  files: { path: string; status: string; tensors: { name: string; status: string; changedFraction: number | null; maxAbsDiff: number | null; relChange: number | null }[] }[];
}

const short = (id: string): string => id.slice(0, 12);

test('Ctrl-click a second commit: the per-tensor figures between them equal the CLI diff', async ({ app, store }) => {
  const log = await cliJson<LogEntryJson[]>(store.root, 'log');
  const base = log[log.length - 1]!; // the first commit: many commits before HEAD
  const head = log[0]!;
  const diff = await cliJson<DiffJson>(store.root, 'diff', base.id, head.id, '--all');
  const tensors = diff.files.flatMap((f) => f.tensors);
  const changed = tensors.filter((t) => t.status === 'changed');
  expect(changed.length).toBeGreaterThan(0);

  // Select HEAD, then Ctrl-click the first commit: A is the older one.
  await row(app, head.id).click();
  await row(app, base.id).click({ modifiers: ['ControlOrMeta'] });
  const dialog = app.getByRole('dialog', { name: 'Compare commits' });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByTestId('compare-a')).toHaveAttribute('data-commit', base.id);
  await expect(dialog.getByTestId('compare-b')).toHaveAttribute('data-commit', head.id);
  await expect(dialog.locator('.compare')).toHaveAttribute('data-source', 'job');
  await expect(dialog.getByTestId('compare-summary')).toHaveText(new RegExp(`^${changed.length} of ${tensors.length} tensors changed`));
  await expect(dialog).toContainText(/A and B are on different branches|B is \d+ commits after A/);

  // The largest changes carry the three figures; the first is the largest relative change.
  const top = [...changed].sort((x, y) => (y.relChange ?? -1) - (x.relChange ?? -1))[0]!;
  const largest = dialog.getByRole('table', { name: 'Largest changes' });
  await expect(largest.getByRole('row').nth(1)).toHaveAttribute('data-tensor', top.name);
  await expect(largest.getByRole('row').nth(1)).toContainText(top.relChange! < 1e-3 ? top.relChange!.toExponential(2) : top.relChange!.toFixed(4));
  // The same table and chart as the details pane.
  await expect(dialog.getByRole('table', { name: 'Tensors' })).toBeVisible();
  await expect(dialog.getByRole('region', { name: 'Layers that changed most' })).toBeVisible();
  await expect(dialog.getByText(`${tensors.length} tensors`, { exact: true })).toBeVisible();
  await screenshot(app, 'compare-two-commits');

  // Swap: B → A, computed again.
  await dialog.getByRole('button', { name: 'Swap' }).click();
  await expect(dialog.getByTestId('compare-a')).toHaveAttribute('data-commit', head.id);
  await expect(dialog.getByTestId('compare-b')).toHaveAttribute('data-commit', base.id);
  await expect(dialog.getByTestId('compare-summary')).toBeVisible();
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toBeHidden();
});

test('"Compare with…" in the context menu, then a click on B; a parent and child use the stored figures', async ({ app, store }) => {
  const log = await cliJson<LogEntryJson[]>(store.root, 'log');
  const child = log.find((c) => c.parent && c.type === 'DELTA')!;
  const parent = log.find((c) => c.id === child.parent)!;
  await row(app, parent.id).click({ button: 'right' });
  const menu = app.getByRole('menu');
  await expect(menu.getByRole('menuitem', { name: 'Compare with parent' })).toHaveCount(0);
  await menu.getByRole('menuitem', { name: 'Compare with…' }).click();
  const pick = app.getByRole('status', { name: 'Pick a commit to compare' });
  await expect(pick).toContainText(short(parent.id));
  await screenshot(app, 'compare-pick');
  await row(app, child.id).click();
  await expect(pick).toBeHidden();
  const dialog = app.getByRole('dialog', { name: 'Compare commits' });
  await expect(dialog.getByTestId('compare-a')).toHaveAttribute('data-commit', parent.id);
  await expect(dialog.getByTestId('compare-b')).toHaveAttribute('data-commit', child.id);
  await expect(dialog.locator('.compare')).toHaveAttribute('data-source', 'stored');
  await expect(dialog).toContainText('B is the child of A.');
  const diff = await cliJson<DiffJson>(store.root, 'diff', parent.id, child.id, '--all');
  const tensors = diff.files.flatMap((f) => f.tensors);
  await expect(dialog.getByTestId('compare-summary')).toHaveText(new RegExp(`^${tensors.filter((t) => t.status === 'changed').length} of ${tensors.length} tensors changed`));
  await app.keyboard.press('Escape');
  await expect(dialog).toBeHidden();

  // Escape leaves the pick mode without comparing anything.
  await row(app, parent.id).click({ button: 'right' });
  await app.getByRole('menu').getByRole('menuitem', { name: 'Compare with…' }).click();
  await expect(pick).toBeVisible();
  await app.keyboard.press('Escape');
  await expect(pick).toBeHidden();
  await row(app, child.id).click();
  await expect(dialog).toBeHidden();
  await expect(graph(app)).toBeVisible();
});

test('a computed comparison shows its job\'s progress and can be cancelled, then run again', async ({ app, store, page }) => {
  // The demo's model is small, so the diff job would finish before anyone
  // could cancel: the job's start, progress and cancel are stood in for here
  // (the server-side cancel of a diff job is covered by the runner's tests).
  const jobId = 'held-diff';
  let events: { send(m: string): void } | null = null;
  await page.routeWebSocket('**/api/events', (ws) => { ws.connectToServer(); events = ws; });
  let hold = true;
  await page.route('**/api/call/jobs.start', async (route) => {
    const body = route.request().postDataJSON() as { kind?: string };
    if (body.kind !== 'diff' || !hold) { await route.continue(); return; }
    await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ ok: true, value: { jobId } }) });
    const running = { event: 'job', payload: { jobId, kind: 'diff', state: 'running', progress: { phase: 'comparing', bytesDone: 2_000_000_000, bytesTotal: 8_000_000_000 } } };
    setTimeout(() => events?.send(JSON.stringify(running)), 50);
  });
  let cancelled = 0;
  await page.route('**/api/call/jobs.cancel', async (route) => {
    cancelled++;
    await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ ok: true, value: { cancelled: true } }) });
    events?.send(JSON.stringify({ event: 'job', payload: { jobId, kind: 'diff', state: 'cancelled', error: { code: 'CANCELLED', message: 'the diff was cancelled' } } }));
  });
  await page.reload();
  const log = await cliJson<LogEntryJson[]>(store.root, 'log');
  await row(app, log[0]!.id).click();
  await row(app, log[log.length - 1]!.id).click({ modifiers: ['ControlOrMeta'] });
  const dialog = app.getByRole('dialog', { name: 'Compare commits' });
  await expect(dialog.getByRole('progressbar')).toBeVisible();
  await expect(dialog).toContainText('2.0 GB of 8.0 GB');
  await screenshot(app, 'compare-running');
  await dialog.getByRole('button', { name: 'Cancel comparison' }).click();
  await expect(dialog).toContainText('Comparison cancelled; nothing changed.');
  expect(cancelled).toBe(1);
  await expect(dialog.getByRole('progressbar')).toHaveCount(0);

  // Run again, this time for real.
  hold = false;
  await dialog.getByRole('button', { name: 'Compare again' }).click();
  await expect(dialog.getByTestId('compare-summary')).toBeVisible();
});
