// Geometry checks run in the page: what overlaps or is cut off, as a list of
// sentences (empty when the layout is sound). Used with expect.poll, so a
// check made mid-resize simply runs again once the panes have settled.
import type { Page } from '@playwright/test';

export async function layoutProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    const box = (el: Element): DOMRect => el.getBoundingClientRect();
    const shown = (el: Element): boolean => getComputedStyle(el).display !== 'none' && box(el).width > 0;
    const px = (n: number): string => n.toFixed(1);
    const details = document.querySelector('aside.details');
    if (!details) return ['no details pane'];
    const edge = box(details).left;

    // The list's rows, the graph head and the storage chart end before the details pane.
    for (const row of document.querySelectorAll<HTMLElement>('.commit-row')) {
      const r = box(row);
      if (r.bottom <= 0 || r.top >= innerHeight) continue;
      const id = (row.dataset['commit'] ?? '').slice(0, 8);
      if (r.right > edge + 0.5) problems.push(`row ${id} ends at ${px(r.right)}, past the details pane at ${px(edge)}`);
      for (const cell of row.querySelectorAll('.commit-id, .commit-time, .badges, .commit-message, .head-tag, .lanes')) {
        if (!shown(cell)) continue;
        const c = box(cell);
        if (c.right > edge + 0.5) problems.push(`row ${id}: ${cell.className} ends at ${px(c.right)}, past the details pane at ${px(edge)}`);
        if (c.right > r.right + 0.5) problems.push(`row ${id}: ${cell.className} ends at ${px(c.right)}, past its row at ${px(r.right)}`);
      }
      for (const cell of row.querySelectorAll<HTMLElement>('.commit-id, .commit-time')) {
        if (shown(cell) && cell.scrollWidth > cell.clientWidth + 1) problems.push(`row ${id}: ${cell.className} "${cell.textContent}" is cut off`);
      }
      // A badge shows whole, in its short form, or counted in "+N" (then it is not drawn); never cut.
      const badges = row.querySelector('.badges');
      if (badges) {
        const b = box(badges);
        for (const badge of badges.querySelectorAll('.badge')) {
          if (!shown(badge)) continue;
          const g = box(badge);
          if (g.right > b.right + 0.5 || g.left < b.left - 0.5 || g.bottom > b.bottom + 0.5) problems.push(`row ${id}: badge "${badge.textContent}" is cut off`);
        }
      }
      const title = row.getAttribute('title') ?? '';
      const message = row.querySelector('.commit-message')?.textContent ?? '';
      if (!title.includes(message)) problems.push(`row ${id}: its hover text lacks the message "${message}"`);
    }
    for (const sel of ['.graph-head', '.graph-count', '.storage-chart svg', '.storage-chart .legend']) {
      const el = document.querySelector(sel);
      if (el && shown(el) && box(el).right > edge + 0.5) problems.push(`${sel} ends at ${px(box(el).right)}, past the details pane at ${px(edge)}`);
    }

    // Toolbar groups never overlap one another.
    const groups = [...document.querySelectorAll('.toolbar > *')].filter(shown);
    for (let i = 0; i < groups.length; i++) {
      for (let j = i + 1; j < groups.length; j++) {
        const a = box(groups[i]!), b = box(groups[j]!);
        const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        if (w > 0.5 && h > 0.5) problems.push(`toolbar: ${groups[i]!.className} overlaps ${groups[j]!.className}`);
      }
      if (box(groups[i]!).right > innerWidth + 0.5) problems.push(`toolbar: ${groups[i]!.className} runs off the window`);
    }
    if (document.documentElement.scrollWidth > innerWidth + 1) problems.push(`the page scrolls sideways (${document.documentElement.scrollWidth} > ${innerWidth})`);

    // The tensor table: no sideways scrolling, numbers never cut, names cut only in the middle with the full name on hover.
    const scroll = document.querySelector<HTMLElement>('.table-scroll');
    if (scroll && scroll.scrollWidth > scroll.clientWidth + 1) problems.push(`tensor table scrolls sideways (${scroll.scrollWidth} > ${scroll.clientWidth})`);
    for (const th of document.querySelectorAll<HTMLElement>('.tensor-table th')) {
      if (th.scrollWidth > th.clientWidth + 1) problems.push(`tensor table header "${th.textContent}" is cut off`);
    }
    for (const td of document.querySelectorAll<HTMLElement>('.tensor-table tbody td')) {
      const r = box(td);
      if (r.bottom <= box(scroll!).top || r.top >= box(scroll!).bottom) continue;
      const col = td.dataset['col'];
      const text = td.textContent ?? '';
      const title = td.getAttribute('title') ?? '';
      if (col === 'name') {
        if (!title.includes(text)) problems.push(`tensor "${text}": no hover text with its full name`);
        const tail = td.querySelector<HTMLElement>('.mid-tail');
        if (!tail || tail.scrollWidth > tail.clientWidth + 1) problems.push(`tensor "${text}": the end of its name is cut off`);
      } else if (td.classList.contains('num')) {
        const t = box(td.querySelector('.cell-text')!);
        if (t.right > r.right + 0.5 || t.left < r.left - 0.5) problems.push(`${col} "${text}" is cut off`);
      } else if (td.scrollWidth > td.clientWidth + 1 && !title.includes(text)) {
        problems.push(`${col} "${text}" is cut off with no hover text`);
      }
    }
    return problems;
  });
}

/** Where the commit list ends and the details pane begins. */
export async function paneEdges(page: Page): Promise<{ listRight: number; detailsLeft: number; detailsWidth: number; chartHeight: number }> {
  return page.evaluate(() => {
    const g = document.querySelector('.history')!.getBoundingClientRect();
    const d = document.querySelector('aside.details')!.getBoundingClientRect();
    const c = document.querySelector('.storage-chart')!.getBoundingClientRect();
    return { listRight: g.right, detailsLeft: d.left, detailsWidth: d.width, chartHeight: c.height };
  });
}
