// Charts people read: the storage chart has axes and exact bytes on hover,
// linked both ways to the commit list; the layers chart names its metric and
// keeps BatchNorm running statistics apart from learned weights; the tensor
// table opens with what changed most; a negative saving is not shown as a success.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test, expect, graph, row } from './support/fixtures';
import { bnHistory, type BnHistory } from './support/bn-history';
import { uiShot } from './support/ui-shots';
import { cliJson, serve, type LogEntryJson } from './support/weightline';

const exact = (n: number): string => `${n.toLocaleString('en-US')} byte${n === 1 ? '' : 's'}`;

test('storage over time: axes, exact bytes on hover, the bar and its row light each other', async ({ app, store }, info) => {
  await app.setViewportSize({ width: 1366, height: 768 });
  const log = await cliJson<LogEntryJson[]>(store.root, 'log');
  const chart = app.getByRole('region', { name: 'Storage over time' });
  await expect(chart.locator('svg text', { hasText: 'on disk' })).toHaveCount(1);
  await expect(chart.locator('svg text', { hasText: 'commits, oldest → newest' })).toHaveCount(1);
  await expect(chart.locator('.axis text', { hasText: /MB$/ }).first()).toBeVisible();
  // One bar per commit, labelled #1 (oldest) to #N.
  await expect(chart.locator('rect.hit')).toHaveCount(log.length);
  await expect(chart.locator('.axis-x text').last()).toHaveText(`#${log.length}`);

  // Hovering a bar: its exact bytes, and its row lit in the list.
  const target = log.find((c) => c.type === 'DELTA' && c.deltaBytes > 0 && c.hasFull && c.fullBytes > 0)!;
  const bar = chart.locator(`rect.hit[data-commit="${target.id}"]`);
  await bar.hover();
  const tip = app.getByTestId('storage-tooltip');
  await expect(tip).toBeVisible();
  await expect(tip).toContainText(target.message);
  await expect(tip).toContainText(`full parameters${exact(target.fullBytes)}`);
  await expect(tip).toContainText(`delta${exact(target.deltaBytes)}`);
  await expect(tip).toContainText(`on disk${exact(target.fullBytes + target.deltaBytes)}`);
  await expect(row(app, target.id)).toHaveClass(/hover-linked/);
  await expect(graph(app).locator('.hover-linked')).toHaveCount(1);
  await uiShot(app, info, 'storage-chart-hover');

  // Hovering a row lights its bar; the bar's tooltip is gone.
  const other = log.find((c) => c.id !== target.id && c.type === 'CHECKPOINT')!;
  await row(app, other.id).hover();
  await expect(chart.locator(`rect.hit[data-commit="${other.id}"]`)).toHaveClass(/hovered/);
  await expect(chart.locator('rect.hit.hovered')).toHaveCount(1);
  await expect(tip).toHaveCount(0);
  await expect(graph(app).locator('.hover-linked')).toHaveCount(0);

  // A click on a bar selects its commit.
  await bar.click();
  await expect(row(app, target.id)).toHaveAttribute('aria-selected', 'true');
});

test.describe('a ResNet with BatchNorm', () => {
  let dir = '';
  let history: BnHistory;
  test.beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'weightline-e2e-charts-'));
    history = await bnHistory(path.join(dir, 'project'));
  });
  test.afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

  test('layers chart names its metric and keeps running statistics apart; tensors most changed first; an honest saving', async ({ page }, info) => {
    const served = await serve(history.root, path.join(dir, 'config-charts'));
    try {
      await page.setViewportSize({ width: 1366, height: 900 });
      await page.goto(served.url);
      await expect(graph(page)).toBeVisible();
      const head = history.commits[1]!;
      await row(page, head).click();
      const details = page.getByRole('complementary', { name: 'Commit details' });

      // The metric is named; learned weights and running statistics are two groups.
      const layers = details.getByRole('region', { name: 'Layers that changed most' });
      await expect(layers).toContainText('Relative L2 change ‖Δ‖/‖w‖');
      const learned = layers.locator('[data-group="learned"]');
      const stats = layers.locator('[data-group="running-stats"]');
      await expect(learned.getByRole('img')).toHaveAttribute('aria-label', /^Learned weights, relative L2 change per layer: fc 0\.0300, /);
      await expect(stats).toContainText('Running statistics');
      // The running statistics (0.35, 0.28 against 0.01 for the layer's learned weights) rank apart.
      await expect(stats.getByRole('img')).toHaveAttribute('aria-label', /layer1\.0 0\.3150/);
      await expect(learned.getByRole('img')).not.toHaveAttribute('aria-label', /0\.3150/);

      // Tensors: changed ones by relative change, then changed ones with no figure, unchanged last.
      const show = await cliJson<{ files: { tensors: { name: string; status: string; relChange: number | null }[] }[] }>(history.root, 'show', head);
      const tensors = show.files[0]!.tensors;
      const rank = (t: { status: string; relChange: number | null }): number => (t.status === 'unchanged' ? -1 : t.relChange ?? -0.5);
      const expected = [...tensors].sort((a, b) => rank(b) - rank(a)).map((t) => t.name);
      const table = details.getByRole('table', { name: 'Tensors' });
      await expect(table.locator('tbody tr')).toHaveCount(tensors.length);
      expect(await table.locator('tbody tr').evaluateAll((trs) => trs
        .sort((a, b) => Number(a.getAttribute('aria-rowindex')) - Number(b.getAttribute('aria-rowindex')))
        .map((tr) => tr.getAttribute('data-tensor')))).toEqual(expected);
      expect(expected[0]).toBe('layer1.0.bn1.running_mean');
      expect(expected.at(-1)).toBe('layer1.0.conv2.weight');
      await expect(table.locator('tr[data-tensor="layer1.0.conv2.weight"]')).toHaveClass(/status-unchanged/);

      // The store holds more than its versions as plain files: not a saving (issue 12) but "+N%" over them, not green, with the reason.
      const status = await cliJson<{ storeBytes: number }>(history.root, 'status');
      const log = await cliJson<LogEntryJson[]>(history.root, 'log');
      const full = log.reduce((a, c) => a + c.logicalBytes, 0);
      const percent = Math.round((status.storeBytes / full - 1) * 100);
      expect(percent).toBeGreaterThan(0);
      const saving = page.getByTestId('summary-saving');
      await expect(saving).toHaveText(`+${percent}%`);
      await expect(page.getByTestId('summary-saving-term')).toHaveText('Over the versions');
      await expect(saving.locator('xpath=..')).toHaveAttribute('title', /raw copies of full parameters are kept for fast restore until a cleanup/);
      await expect(saving.locator('xpath=..')).toHaveAttribute('title', /before a cleanup every commit keeps its full parameters/);
      // The raw copies kept for fast restore, and about what trimming them frees.
      await expect(page.getByTestId('raw-copies')).toContainText('Raw copies kept for fast restore:');
      const colour = await saving.evaluate((el) => getComputedStyle(el).color);
      expect(colour).not.toBe('rgb(31, 138, 76)'); // --ok, light
      expect(colour).toBe('rgb(154, 98, 0)'); // --warn, light
      await layers.scrollIntoViewIfNeeded();
      await uiShot(page, info, 'layers-and-tensors-bn');
    } finally {
      await served.close();
    }
  });
});
