// 10,000 commits open in under a second and scroll smoothly; 10,000 tensors
// scroll too. The server's answers are replaced by a synthetic history so the
// numbers measure the UI (the real server's list call is timed separately in
// the closing note of issue 5).
import { writeFile, mkdir } from 'node:fs/promises';
import type { Page } from '@playwright/test';
import { test, expect, graph, screenshot, SCREENSHOT_DIR } from './support/fixtures';
import { bigHistory, bigShow } from './support/big-history';
import * as path from 'node:path';

const history = bigHistory(10_000);

async function routeBigHistory(page: Page): Promise<void> {
  await page.route('**/api/call/commits.list', (route) => route.fulfill({ json: { ok: true, value: history } }));
  await page.route('**/api/call/commits.get', async (route) => {
    const { id } = route.request().postDataJSON() as { id: string };
    const entry = history.commits.find((c) => c.id === id) ?? history.commits[0]!;
    await route.fulfill({ json: { ok: true, value: bigShow(entry, 10_000) } });
  });
}

/** Longest gap between animation frames while scrolling `selector` by `step` px per frame. */
async function scrollJank(page: Page, selector: string, frames: number, step: number): Promise<{ maxFrameMs: number; meanFrameMs: number }> {
  return page.evaluate(async ({ selector, frames, step }) => {
    const el = document.querySelector(selector)!;
    const gaps: number[] = [];
    let last = performance.now();
    for (let i = 0; i < frames; i++) {
      el.scrollTop += step;
      await new Promise<void>((r) => requestAnimationFrame(() => r()));
      const now = performance.now();
      gaps.push(now - last);
      last = now;
    }
    return { maxFrameMs: Math.max(...gaps), meanFrameMs: gaps.reduce((a, b) => a + b, 0) / gaps.length };
  }, { selector, frames, step });
}

test('10,000 commits open in under a second and scroll smoothly', async ({ page, server }) => {
  await routeBigHistory(page);
  // The page's own clock: navigation start (the token URL) to the first graph
  // row in the DOM. Three opens, the median counts: one cold, two warm.
  await page.addInitScript(() => {
    const w = window as unknown as { firstRowMs?: number };
    new MutationObserver((_m, obs) => {
      if (document.querySelector('[role="option"]')) { w.firstRowMs = performance.now(); obs.disconnect(); }
    }).observe(document, { childList: true, subtree: true });
  });
  const opens: number[] = [];
  for (let i = 0; i < 3; i++) {
    await page.goto(server.url);
    await expect(graph(page).getByRole('option').first()).toBeVisible();
    opens.push(Math.round(await page.evaluate(() => (window as unknown as { firstRowMs: number }).firstRowMs)));
  }
  const openMs = [...opens].sort((a, b) => a - b)[1]!;
  await expect(page.getByText('10000 commits')).toBeVisible();
  // Only a screenful of rows is in the DOM.
  expect(await graph(page).getByRole('option').count()).toBeLessThan(80);

  const graphScroll = await scrollJank(page, '.graph-scroll', 120, 180);
  // End jumps to the oldest commit.
  await graph(page).getByRole('option').first().click();
  await page.keyboard.press('End');
  await expect(graph(page).locator(`[data-commit="${history.commits.at(-1)!.id}"]`)).toBeFocused();
  await page.keyboard.press('Home');
  await expect(graph(page).locator(`[data-commit="${history.head}"]`)).toBeFocused();
  await screenshot(page, 'scale-10000-commits');

  // Filtering 10,000 messages stays interactive.
  const tFilter = Date.now();
  await page.keyboard.press('/');
  await page.keyboard.type('experiment 7');
  await expect(page.getByText(/of 10000 commits/)).toBeVisible();
  const filterMs = Date.now() - tFilter;

  await page.getByRole('searchbox', { name: 'Search commit messages' }).fill('');
  const table = page.getByRole('table', { name: 'Tensors' });
  await expect(table.getByRole('row').nth(1)).toBeVisible();
  await expect(page.getByText('10000 tensors', { exact: true })).toBeVisible();
  const tableScroll = await scrollJank(page, '.table-scroll', 120, 200);
  const tSort = Date.now();
  await table.getByRole('button', { name: /Rel\. change/ }).click();
  await expect(table.getByRole('columnheader', { name: /Rel\. change/ })).toHaveAttribute('aria-sort', 'descending');
  const sortMs = Date.now() - tSort;

  const figures = { openMs, opens, filterMs, sortMs, graphScroll, tableScroll };
  console.log('scale figures', JSON.stringify(figures));
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  await writeFile(path.join(SCREENSHOT_DIR, '..', 'scale-figures.json'), JSON.stringify(figures, null, 2));
  // Timings are a measurement (saved above), asserted only on request: a
  // loaded CI machine must not turn a slow minute into a red build, and
  // performance targets are checked by `npm run bench`, not by tests.
  if (process.env.WEIGHTLINE_ASSERT_TIMINGS) {
    expect(openMs).toBeLessThan(1000);
    // Smooth: no frame near a visible stall while scrolling either list.
    expect(graphScroll.maxFrameMs).toBeLessThan(120);
    expect(tableScroll.maxFrameMs).toBeLessThan(120);
  }
});
