// No row hides its state: at 1024, 1366 and 1920 px, after Verify, every
// commit row shows where its bytes are and what verify found, as a badge (whole
// or short, with its words in the tooltip) inside the row; a badge that does not
// fit is counted in "+N", whose tooltip names it. "Switch store" lists the
// store that was open, marked current, and leads back to it.
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { Page } from '@playwright/test';
import { test, expect, graph } from './support/fixtures';
import { uiShot } from './support/ui-shots';
import { cliJson, type LogEntryJson } from './support/weightline';

const WIDTHS = [1024, 1366, 1920] as const;

/** The badges a commit of the CLI's log must carry. */
function expectedKeys(c: LogEntryJson, verified: boolean): string[] {
  const keys: string[] = ['storage'];
  if (c.type === 'CHECKPOINT') keys.push('checkpoint');
  if (c.type === 'DELTA' && c.deltaBytes > 0) keys.push('delta');
  if (c.chainLength > 0) keys.push('chain');
  if (c.pinned) keys.push('pinned');
  if (verified) keys.push('verify');
  return keys.sort();
}

interface RowState {
  /** Badges drawn whole inside the row's main cell (in full or short form), with their form and tooltip. */
  readonly shown: { readonly key: string; readonly form: string; readonly title: string }[];
  /** Badges counted in "+N", and what the count says. */
  readonly counted: string[];
  countText: string | null;
  countTitle: string | null;
  /** Badges (or the count) shown but cut off by the row, or drawn with no width. */
  readonly cut: string[];
}

/** One row's badges as drawn: read in the page at once (boxes against the row's main cell). */
function rowState(page: Page, id: string): Promise<RowState> {
  return page.evaluate((commit) => {
    const r = document.querySelector(`[role="option"][data-commit="${commit}"]`);
    const main = r?.querySelector('.commit-main');
    if (!r || !main) throw new Error(`no row for ${commit}`);
    const m = main.getBoundingClientRect();
    const within = (el: Element): boolean => {
      const b = el.getBoundingClientRect();
      return b.width >= 4 && b.left >= m.left - 0.5 && b.right <= m.right + 0.5 && b.top >= m.top - 0.5 && b.bottom <= m.bottom + 0.5;
    };
    const state: RowState = { shown: [], counted: [], countText: null, countTitle: null, cut: [] };
    for (const el of r.querySelectorAll('.badges > [data-badge]')) {
      const key = el.getAttribute('data-badge')!;
      const form = el.getAttribute('data-form');
      if (key === 'count') {
        state.counted.push(...(el.getAttribute('data-counted') ?? '').split(' ').filter(Boolean));
        state.countText = el.textContent;
        state.countTitle = el.getAttribute('title');
        if (!within(el)) state.cut.push('count');
        continue;
      }
      if (form === 'counted') continue;
      if (within(el)) state.shown.push({ key, form: form ?? '', title: el.getAttribute('title') ?? '' });
      else state.cut.push(key);
    }
    return state;
  }, id);
}

test('after Verify, every row shows its verify and storage state at 1024, 1366 and 1920 px; nothing drops silently', async ({ app, store }, info) => {
  const log = await cliJson<LogEntryJson[]>(store.root, 'log');
  // A pinned commit adds a badge: the widest rows carry six.
  await cliJson(store.root, 'pin', log[log.length - 2]!.id);
  const after = await cliJson<LogEntryJson[]>(store.root, 'log');
  await app.reload();
  await app.getByRole('button', { name: 'Verify', exact: true }).click();
  await expect(graph(app).locator('[data-badge="verify"][data-verdict="ok"]')).toHaveCount(after.length);

  for (const width of WIDTHS) {
    await app.setViewportSize({ width, height: width >= 1920 ? 1080 : width >= 1366 ? 768 : 700 });
    const seen = { short: 0, counted: 0 };
    for (const c of after) {
      const want = expectedKeys(c, true);
      // Fitting follows a resize through a ResizeObserver: poll until the row has settled.
      await expect.poll(async () => {
        const st = await rowState(app, c.id);
        // "+N" counts exactly the badges it holds.
        const countSays = st.counted.length > 0 ? st.countText === `+${st.counted.length}` : st.countText === null;
        return { all: [...st.shown.map((b) => b.key), ...st.counted].sort(), cut: st.cut, countSays };
      }, { message: `${c.message} at ${width} px` }).toEqual({ all: want, cut: [], countSays: true });
      const st = await rowState(app, c.id);
      // The two states a row must always show are badges, never only in the count.
      expect(st.shown.map((b) => b.key), `${c.message} at ${width} px`).toEqual(expect.arrayContaining(['storage', 'verify']));
      // A short form keeps its words in its tooltip; the count names what it holds.
      for (const b of st.shown) if (b.form === 'short') expect(b.title, `${b.key} of ${c.message}`).toMatch(/\w{3,}/);
      if (st.counted.length > 0) expect(st.countTitle).toMatch(new RegExp(`^${st.counted.length} more: `));
      seen.short += st.shown.filter((b) => b.form === 'short').length;
      seen.counted += st.counted.length;
    }
    info.annotations.push({ type: `${width} px`, description: `${seen.short} short badges, ${seen.counted} counted` });
    await uiShot(app, info, `row-state-${width}`);
    // The list alone, at its own size, to read the badges.
    const list = await graph(app).screenshot({ path: info.outputPath(`row-state-${width}-list.png`) });
    if (process.env.WEIGHTLINE_UI_SHOTS) await writeFile(path.join(process.env.WEIGHTLINE_UI_SHOTS, `row-state-${width}-list.png`), list);
  }
});

test('Switch store lists the current store, marked current, and leads back to it', async ({ app, store }, info) => {
  await app.getByRole('button', { name: 'Switch store' }).click();
  const recent = app.getByRole('region', { name: 'Recent stores' });
  await expect(recent).toBeVisible();
  const current = recent.locator('li[aria-current="true"]');
  await expect(current).toHaveCount(1);
  await expect(current).toContainText(store.root);
  await expect(current).toContainText('current');
  // Listed once: not again among the other recent stores.
  await expect(recent.getByText(store.root, { exact: true })).toHaveCount(1);
  await uiShot(app, info, 'switch-store');
  await current.getByRole('button').click();
  await expect(graph(app)).toBeVisible();
  await expect(app.locator('.store-path')).toHaveAttribute('title', store.root);
});
