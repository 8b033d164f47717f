// Restoring by clicking: the bytes that land on disk are the committed bytes,
// and uncommitted work in the working copy is shown and protected.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test, expect, row, screenshot } from './support/fixtures';
import { uiShot } from './support/ui-shots';
import { cliJson, sha256File, type LogEntryJson, type ShowJson, type StatusJson } from './support/weightline';

test('restoring by click to a chosen folder gives a file whose sha256 matches', async ({ app, store }) => {
  const log = await cliJson<LogEntryJson[]>(store.root, 'log');
  // A version that is rebuilt from deltas: the hardest case for exactness.
  const target = log.find((c) => !c.hasFull) ?? log[log.length - 1]!;
  const show = await cliJson<ShowJson>(store.root, 'show', target.id);
  const folder = await mkdtemp(path.join(tmpdir(), 'weightline-restore-'));

  await row(app, target.id).click();
  await app.getByRole('button', { name: 'Restore', exact: true }).click();
  const dialog = app.getByRole('dialog', { name: /Restore/ });
  await expect(dialog).toBeVisible();
  await dialog.getByRole('radio', { name: /another folder/ }).check();
  const field = dialog.getByRole('combobox', { name: 'Folder' });
  const suggestions = dialog.getByRole('listbox', { name: 'Folder suggestions' });
  // Part of the name: the folder is suggested.
  await field.fill(folder.slice(0, -1));
  await expect(suggestions.getByRole('option', { name: path.basename(folder) })).toBeVisible();
  // The first Escape closes the suggestions, not the dialog.
  await field.press('Escape');
  await expect(suggestions).toBeHidden();
  await expect(dialog).toBeVisible();
  // The whole path typed: a list holding only that is not shown (it would cover the buttons).
  await field.fill(folder);
  await expect(dialog.getByText(`Writes ${path.join(folder, path.basename(show.path))}`)).toBeVisible();
  await expect(suggestions).toBeHidden();
  await expect(dialog.getByText(`Writes ${path.join(folder, path.basename(show.path))}`)).toBeVisible();
  await dialog.getByRole('combobox', { name: 'Link mode' }).selectOption('copy');
  await screenshot(app, 'restore-dialog');
  await dialog.getByRole('button', { name: 'Restore', exact: true }).click();
  await expect(dialog).toBeHidden();

  const file = path.join(folder, path.basename(show.path));
  await expect.poll(() => sha256File(file).catch(() => 'missing')).toBe(show.files[0]!.sha256);
});

test('double-click and Enter ask first; restoring to the own path puts the committed bytes back', async ({ app, store }) => {
  const log = await cliJson<LogEntryJson[]>(store.root, 'log');
  const target = log.find((c) => c.chainLength > 0) ?? log[1]!;
  const show = await cliJson<ShowJson>(store.root, 'show', target.id);
  const r = row(app, target.id);

  await r.dblclick();
  const dialog = app.getByRole('dialog', { name: /Restore/ });
  await expect(dialog).toBeVisible();
  await app.keyboard.press('Escape');
  await expect(dialog).toBeHidden();

  await r.focus();
  await app.keyboard.press('Enter');
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole('radio', { name: /its own path/ })).toBeChecked();
  await dialog.getByRole('button', { name: 'Restore', exact: true }).click();
  await expect(dialog).toBeHidden();
  await expect.poll(() => sha256File(store.modelPath)).toBe(show.files[0]!.sha256);
  await expect(app.getByRole('status').filter({ hasText: `Restored ${target.id.slice(0, 12)}` })).toBeVisible();
});

test('uncommitted changes are shown and protected', async ({ app, store }) => {
  const log = await cliJson<LogEntryJson[]>(store.root, 'log');
  const buf = await readFile(store.modelPath);
  buf[buf.length - 1] = buf[buf.length - 1]! ^ 0xff;
  await writeFile(store.modelPath, buf);
  const dirtyHash = await sha256File(store.modelPath);

  await row(app, log[2]!.id).click();
  await app.getByRole('button', { name: 'Restore', exact: true }).click();
  const dialog = app.getByRole('dialog', { name: /Restore/ });
  await expect(dialog.getByRole('alert')).toContainText('Uncommitted changes');
  await expect(dialog.getByRole('button', { name: 'Restore', exact: true })).toBeDisabled();
  await screenshot(app, 'restore-dirty-warning');

  // "Commit them first" leads to the commit dialog for the working copy.
  await dialog.getByRole('button', { name: 'Commit them first' }).click();
  const commit = app.getByRole('dialog', { name: 'Commit a new version' });
  await expect(commit.getByRole('combobox', { name: 'Model file or folder' })).toHaveValue(store.modelPath);
  await app.keyboard.press('Escape');
  await expect(commit).toBeHidden();
  expect(await sha256File(store.modelPath)).toBe(dirtyHash);
});

test('restoring an older commit to its own path says HEAD moved back, marks the newer commits ahead, and leads back to the newest', async ({ app, store }, info) => {
  await app.setViewportSize({ width: 1366, height: 768 });
  const log = await cliJson<LogEntryJson[]>(store.root, 'log');
  const head = (await cliJson<StatusJson>(store.root, 'status')).head!;
  const headEntry = log.find((c) => c.id === head)!;
  // HEAD's parent: after the restore HEAD and any branch from it are newer commits after it.
  const target = headEntry.parent!;
  const after = descendants(log, target);
  const newest = log.find((c) => after.has(c.id))!.id;
  expect(after.has(head)).toBe(true);
  await expect(row(app, head).locator('.ahead-tag')).toHaveCount(0);

  await row(app, target).click();
  await app.getByRole('button', { name: 'Restore', exact: true }).click();
  const dialog = app.getByRole('dialog', { name: /Restore/ });
  await expect(dialog.getByRole('radio', { name: /its own path/ })).toBeChecked();
  await dialog.getByRole('button', { name: 'Restore', exact: true }).click();
  await expect(dialog).toBeHidden();

  const notice = app.getByRole('status').filter({ hasText: `Restored ${target.slice(0, 12)}` });
  await expect(notice).toContainText(`HEAD is now at ${target.slice(0, 12)} (was ${head.slice(0, 12)}), which has ${after.size} newer commit${after.size === 1 ? '' : 's'} after it: the next commit starts a new branch from ${target.slice(0, 12)}.`);
  // The app's words, not the CLI's command.
  await expect(notice).not.toContainText('weightline restore');
  // The old HEAD stays in the list, marked quietly, with the reason in its tooltip.
  const ahead = row(app, head).locator('.ahead-tag');
  await expect(ahead).toHaveText('ahead');
  await expect(ahead).toHaveAttribute('title', 'ahead of HEAD: the next commit starts a new branch from HEAD');
  await expect(row(app, head)).toHaveAttribute('aria-label', /ahead of HEAD/);
  await expect(row(app, head).locator('svg .dot-ahead')).toHaveCount(1);
  await expect(row(app, target).locator('.head-tag')).toBeVisible();
  await uiShot(app, info, 'restore-head-moved-1366');

  // "Go back to newest…" opens the restore dialog for the newest commit.
  await notice.getByRole('button', { name: 'Go back to newest…' }).click();
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText(newest.slice(0, 12));
  await dialog.getByRole('button', { name: 'Restore', exact: true }).click();
  await expect(dialog).toBeHidden();
  await expect(row(app, newest).locator('.head-tag')).toBeVisible();
  await expect(row(app, newest).locator('.ahead-tag')).toHaveCount(0);
});

/** Commits that descend from id (the log's parents). */
function descendants(log: readonly LogEntryJson[], id: string): Set<string> {
  const found = new Set<string>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const c of log) if (c.parent && (c.parent === id || found.has(c.parent)) && !found.has(c.id)) { found.add(c.id); grew = true; }
  }
  return found;
}
