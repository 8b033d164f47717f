// The window from 1024×700 to 1920×1080 and every size between: the commit
// list, the storage chart and the details pane never draw over one another,
// the tensor table cuts no number and no name's end, and the pane handles
// drag and remember their sizes.
import { appendFile, chmod, copyFile, mkdtemp, rename, rm, symlink, unlink, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Page } from '@playwright/test';
import { test, expect, graph, row } from './support/fixtures';
import { bnHistory, type BnHistory } from './support/bn-history';
import { layoutProblems, paneEdges } from './support/layout-checks';
import { uiShot } from './support/ui-shots';
import { cliJson, serve } from './support/weightline';

const SIZES = [
  { width: 1366, height: 768 },
  { width: 1024, height: 700 },
  { width: 1920, height: 1080 },
] as const;

test('1024×700, 1366×768 and 1920×1080, resized in between: nothing overlaps or is cut off', async ({ app, store }, info) => {
  // The details of a DELTA with changed tensors: the widest table.
  for (const size of SIZES) {
    await app.setViewportSize(size);
    await expect.poll(() => layoutProblems(app), { message: `layout at ${size.width}×${size.height}` }).toEqual([]);
    const { listRight, detailsLeft, detailsWidth } = await paneEdges(app);
    expect(listRight).toBeLessThanOrEqual(detailsLeft);
    expect(detailsWidth).toBeGreaterThanOrEqual(380);
    await uiShot(app, info, `layout-${size.width}x${size.height}`);
  }
  // Every width between, shrinking and growing, as a window is dragged.
  for (const width of [1800, 1600, 1440, 1280, 1180, 1100, 1024, 1150, 1500, 2560]) {
    await app.setViewportSize({ width, height: width > 1600 ? 1080 : 760 });
    await expect.poll(() => layoutProblems(app), { message: `layout at ${width} px` }).toEqual([]);
  }
  await uiShot(app, info, 'layout-2560x1080');

  // Every row's hover text names the commit in full, whatever the width cut.
  await app.setViewportSize({ width: 1024, height: 700 });
  const first = graph(app).getByRole('option').first();
  await expect(first).toHaveAttribute('title', /HEAD/);
  expect(store.commits.length).toBeGreaterThan(0);
});

test('the pane handles drag, keep both panes usable, and are remembered after a reload', async ({ app }, info) => {
  await app.setViewportSize({ width: 1366, height: 768 });
  const split = app.getByRole('separator', { name: 'Resize the commit list and the details' });
  const chartSplit = app.getByRole('separator', { name: 'Resize the storage chart' });
  await expect(split).toBeVisible();
  const before = await paneEdges(app);

  // Drag the list narrower: the details pane follows the pointer.
  const s = (await split.boundingBox())!;
  await app.mouse.move(s.x + s.width / 2, s.y + 200);
  await app.mouse.down();
  await app.mouse.move(560, s.y + 220, { steps: 8 });
  await app.mouse.up();
  await expect.poll(async () => Math.round((await paneEdges(app)).detailsLeft)).toBeGreaterThanOrEqual(560);
  await expect.poll(async () => Math.round((await paneEdges(app)).detailsLeft)).toBeLessThanOrEqual(572);
  const dragged = await paneEdges(app);
  expect(dragged.detailsWidth).toBeGreaterThan(before.detailsWidth + 150);
  await expect.poll(() => layoutProblems(app)).toEqual([]);

  // Drag the chart taller.
  const c = (await chartSplit.boundingBox())!;
  await app.mouse.move(300, c.y + c.height / 2);
  await app.mouse.down();
  await app.mouse.move(320, c.y - 120, { steps: 8 });
  await app.mouse.up();
  await expect.poll(async () => (await paneEdges(app)).chartHeight).toBeGreaterThan(before.chartHeight + 100);
  const taller = await paneEdges(app);
  await uiShot(app, info, 'layout-dragged-1366');

  // Remembered: a reload opens with the same sizes.
  await app.reload();
  await expect(graph(app)).toBeVisible();
  await expect.poll(async () => Math.round((await paneEdges(app)).detailsLeft)).toBe(Math.round(dragged.detailsLeft));
  await expect.poll(async () => Math.round((await paneEdges(app)).chartHeight)).toBe(Math.round(taller.chartHeight));
  expect(await app.evaluate(() => localStorage.getItem('weightline.layout.listFraction'))).not.toBeNull();

  // The keyboard moves the handle too; Enter puts it back.
  await split.focus();
  await app.keyboard.press('ArrowRight');
  await expect.poll(async () => (await paneEdges(app)).detailsLeft).toBeGreaterThan(dragged.detailsLeft + 10);
  await app.keyboard.press('Enter');
  await expect.poll(async () => Math.round((await paneEdges(app)).detailsLeft)).toBe(Math.round(before.detailsLeft));

  // Dragged as far as it goes, each pane keeps its minimum, at any window size.
  const s2 = (await split.boundingBox())!;
  await app.mouse.move(s2.x + s2.width / 2, s2.y + 200);
  await app.mouse.down();
  await app.mouse.move(1360, s2.y + 200, { steps: 6 });
  await app.mouse.up();
  await app.setViewportSize({ width: 1024, height: 700 });
  await expect.poll(async () => (await paneEdges(app)).detailsWidth).toBeGreaterThanOrEqual(380);
  await expect.poll(() => layoutProblems(app)).toEqual([]);
  await uiShot(app, info, 'layout-max-list-1024');
});

test('restored links that changed: each listed with what to do, wrapped at 1024 px, nothing cut off', async ({ app, store }, info) => {
  const head = store.commits[store.commits.length - 1]!;
  // One link replaced by a new file (modified), one pointing nowhere (broken), with long paths.
  const deep = path.join(store.scratch, 'experiments', 'resnet50-imagenet-finetune-lr3e-4-warmup', 'checkpoints');
  const modified = path.join(deep, 'model-epoch-0042-restored-for-evaluation.safetensors');
  const broken = path.join(deep, 'model-epoch-0043-restored-as-symlink.safetensors');
  await cliJson(store.root, 'restore', head, '--to', modified, '--link', 'hardlink');
  await cliJson(store.root, 'restore', head, '--to', broken, '--link', 'symlink');
  const tmp = `${modified}.tmp`;
  await copyFile(modified, tmp);
  await chmod(tmp, 0o644);
  await appendFile(tmp, 'x');
  await rename(tmp, modified);
  await unlink(broken);
  await symlink(path.join(store.scratch, 'gone'), broken);

  await app.setViewportSize({ width: 1024, height: 700 });
  await app.reload();
  const banner = app.getByRole('region', { name: 'Restored links that changed' });
  await expect(banner).toContainText('2 restored links no longer match their commits');
  await expect(banner.locator('[data-link-problem="modified"]')).toContainText(modified);
  await expect(banner.locator('[data-link-problem="broken"]')).toContainText(broken);
  await expect(banner).toContainText('Nothing in the store is harmed.');
  await expect(banner).toContainText('To keep a modified file’s new bytes, commit it; to get the committed version back, restore that commit.');
  await expect(banner).toContainText('restore the commit again, or delete the link');
  // Long paths wrap inside the banner, which stays inside the window.
  expect(await banner.evaluate((el) => {
    const r = el.getBoundingClientRect();
    const out = [...el.querySelectorAll('*')].filter((c) => c.getBoundingClientRect().right > r.right + 0.5);
    return { right: r.right, overflow: el.scrollWidth > el.clientWidth + 1, out: out.length };
  })).toEqual({ right: 1024, overflow: false, out: 0 });
  await expect.poll(() => layoutProblems(app)).toEqual([]);
  await uiShot(app, info, 'links-banner-1024');
});

test('a restored link only touched (its bytes unchanged) shows no problem once the check has hashed it', async ({ app, store }) => {
  const head = store.commits[store.commits.length - 1]!;
  const linked = path.join(store.scratch, 'touched.safetensors');
  await cliJson(store.root, 'restore', head, '--to', linked, '--link', 'hardlink');
  // A new mtime, the same bytes (as `touch` or a backup tool leaves it): status.get sees a stat change only.
  const later = new Date(Date.now() + 60_000);
  await utimes(linked, later, later);
  const checked = statusJobEnded(app);
  await app.reload();
  await expect(graph(app)).toBeVisible();
  // The status job hashes it; until and after that, no banner claims the store's copy is damaged.
  await checked;
  await app.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await expect(app.getByRole('region', { name: 'Links changed in place' })).toHaveCount(0);
  await expect(app.getByRole('region', { name: 'Restored links that changed' })).toHaveCount(0);
});

test.describe('long tensor names (a ResNet with BatchNorm)', () => {
  let dir = '';
  let history: BnHistory;
  test.beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'weightline-e2e-layout-'));
    history = await bnHistory(path.join(dir, 'project'));
  });
  test.afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

  test('at 1024×700 names are cut in the middle, their ends and every number stay whole', async ({ page }, info) => {
    const served = await serve(history.root, path.join(dir, 'config-names'));
    try {
      await page.setViewportSize({ width: 1024, height: 700 });
      await page.goto(served.url);
      await expect(graph(page)).toBeVisible();
      await row(page, history.commits[1]!).click();
      const table = page.getByRole('table', { name: 'Tensors' });
      await table.scrollIntoViewIfNeeded();
      await expect.poll(() => layoutProblems(page)).toEqual([]);

      // fc1 and fc2 are told apart by what stays in view; the full name is the hover text.
      for (const name of ['blocks.3.mlp.fc1.weight', 'blocks.3.mlp.fc2.weight', 'model.encoder.layers.11.self_attention.query_key_value.weight']) {
        const cell = table.locator(`tr[data-tensor="${name}"] td[data-col="name"]`);
        await expect(cell).toHaveCount(1);
        await expect(cell).toHaveAttribute('title', new RegExp(`^${name.replace(/\./g, '\\.')}\n`));
        await expect(cell.locator('.mid-tail')).toHaveText(name.split('.').slice(-2).join('.'));
      }
      // Values are whole: 1.39e-3 reads "0.0014", never "0.001".
      await expect(table.locator('tr[data-tensor="blocks.3.mlp.fc1.weight"] td[data-col="relChange"]')).toHaveText('0.0014');
      await uiShot(page, info, 'tensor-names-1024');
    } finally {
      await served.close();
    }
  });
});

/** Resolves when the page's event socket reports a status job (the link check's hashing) ended; fails after 30 s. */
function statusJobEnded(page: Page): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no status job ended within 30 s of the reload')), 30_000);
    page.on('websocket', (ws) => ws.on('framereceived', ({ payload }) => {
      let m: { event?: string; payload?: { kind?: string; state?: string } };
      try { m = JSON.parse(String(payload)) as typeof m; } catch { return; }
      if (m.event === 'job' && m.payload?.kind === 'status' && m.payload.state !== 'running') { clearTimeout(timer); resolve(); }
    }));
  });
}
