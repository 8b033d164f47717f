// Committing from the UI: a changed model appears as a new commit; a bad file
// is refused with a clear message and the store is left exactly as it was.
import { readFile, readdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { test, expect, graph, row, screenshot } from './support/fixtures';
import { uiShot } from './support/ui-shots';
import { cli, cliJson, type LogEntryJson, type StatusJson } from './support/weightline';

/** Nudge the last bytes of the model's data, as a training step would: still valid safetensors. */
async function trainStep(file: string): Promise<void> {
  const buf = await readFile(file);
  for (let i = buf.length - 4096; i < buf.length; i += 4) buf[i] = buf[i]! ^ 0x01;
  await writeFile(file, buf);
}

async function listTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) out.push(path.join(e.parentPath, e.name));
  return out.sort();
}

test('a commit made in the UI appears in the graph', async ({ app, store }) => {
  const before = await cliJson<LogEntryJson[]>(store.root, 'log');
  await trainStep(store.modelPath);

  await app.getByRole('button', { name: 'Commit', exact: true }).click();
  const dialog = app.getByRole('dialog', { name: 'Commit a new version' });
  await expect(dialog).toBeVisible();
  // The working copy's model is proposed.
  await expect(dialog.getByRole('combobox', { name: 'Model file or folder' })).toHaveValue(store.modelPath);
  await dialog.getByRole('textbox', { name: 'Message' }).fill('epoch 7: committed from the UI');
  await screenshot(app, 'commit-dialog');
  await dialog.getByRole('button', { name: 'Commit', exact: true }).click();
  await expect(dialog).toBeHidden();

  const after = await cliJson<LogEntryJson[]>(store.root, 'log');
  expect(after).toHaveLength(before.length + 1);
  const made = after.find((c) => c.message === 'epoch 7: committed from the UI')!;
  expect(made).toBeDefined();
  const r = row(app, made.id);
  await expect(r).toBeVisible();
  await expect(r).toHaveAccessibleName(/epoch 7: committed from the UI/);
  await expect(r).toHaveAttribute('aria-selected', 'true');
  await expect(r.locator('.head-tag')).toHaveCount(1);
  await expect(graph(app).getByRole('option')).toHaveCount(before.length + 1);
  await screenshot(app, 'after-commit');
});

test('a bad file given to Commit shows a clear error and changes nothing', async ({ app, store }) => {
  const bad = path.join(store.root, 'run', 'broken.safetensors');
  // A header length far beyond the file: what an interrupted save leaves behind.
  const junk = Buffer.alloc(4096, 0x41);
  junk.writeBigUInt64LE(10_000_000n, 0);
  await writeFile(bad, junk);
  const logBefore = await cliJson<LogEntryJson[]>(store.root, 'log');
  const statusBefore = await cliJson<StatusJson>(store.root, 'status');
  const storeTree = await listTree(path.join(store.root, '.weightline'));

  await app.getByRole('button', { name: 'Commit', exact: true }).click();
  const dialog = app.getByRole('dialog', { name: 'Commit a new version' });
  await dialog.getByRole('combobox', { name: 'Model file or folder' }).fill(bad);
  await dialog.getByRole('textbox', { name: 'Message' }).fill('this must not be stored');
  await dialog.getByRole('button', { name: 'Commit', exact: true }).click();

  const alert = dialog.getByRole('alert');
  await expect(alert).toBeVisible();
  await expect(alert).toContainText('could not be read as a model file');
  await expect(alert).toContainText('broken.safetensors');
  await expect(alert).toContainText('Nothing was changed');
  await screenshot(app, 'commit-bad-file-error');

  expect(await cliJson<LogEntryJson[]>(store.root, 'log')).toEqual(logBefore);
  expect((await cliJson<StatusJson>(store.root, 'status')).storeBytes).toBe(statusBefore.storeBytes);
  expect(await listTree(path.join(store.root, '.weightline'))).toEqual(storeTree);
  await expect(graph(app).getByRole('option')).toHaveCount(logBefore.length);
});

test('a commit made with the CLI meanwhile shows up without a reload', async ({ app, store }) => {
  const before = await cliJson<LogEntryJson[]>(store.root, 'log');
  await trainStep(store.modelPath);
  await cli(store.root, 'commit', store.modelPath, '-m', 'epoch 7: from a training script');
  const made = (await cliJson<LogEntryJson[]>(store.root, 'log'))[0]!;
  expect(made.message).toBe('epoch 7: from a training script');
  await expect(row(app, made.id)).toBeVisible();
  await expect(graph(app).getByRole('option')).toHaveCount(before.length + 1);
});

test('a commit that became a CHECKPOINT by a rule says which, in its notice and in the details; autoCleanup says what it freed', async ({ app, store }, info) => {
  await app.setViewportSize({ width: 1366, height: 768 });
  // Every DELTA line ends after one delta, and a cleanup follows each commit.
  await cli(store.root, 'config', 'maxChainLength', '1');
  await cli(store.root, 'config', 'autoCleanup', 'true');
  await trainStep(store.modelPath);
  await app.getByRole('button', { name: 'Commit', exact: true }).click();
  const dialog = app.getByRole('dialog', { name: 'Commit a new version' });
  await dialog.getByRole('textbox', { name: 'Message' }).fill('epoch 7: by the chain rule');
  await dialog.getByRole('button', { name: 'Commit', exact: true }).click();
  await expect(dialog).toBeHidden();

  const made = (await cliJson<LogEntryJson[]>(store.root, 'log')).find((c) => c.message === 'epoch 7: by the chain rule')!;
  const shown = await cliJson<{ type: string; checkpointReason?: string }>(store.root, 'show', made.id);
  expect(shown).toMatchObject({ type: 'CHECKPOINT', checkpointReason: 'chain-length' });
  const why = 'the DELTAs since the last CHECKPOINT had reached maxChainLength';
  const notice = app.getByRole('status').filter({ hasText: `Committed ${made.id.slice(0, 12)} as a CHECKPOINT.` });
  await expect(notice).toContainText(`A CHECKPOINT because ${why}.`);
  await expect(notice).toContainText(/autoCleanup (freed [\d.]+ [KMG]?B|ran and found nothing to free)/);
  // It never claims full parameters are kept "until a cleanup": one just ran.
  await expect(notice).not.toContainText('until a cleanup');
  await expect(row(app, made.id)).toHaveAttribute('aria-selected', 'true');
  await expect(app.getByTestId('checkpoint-reason')).toHaveText(`Why: ${why}`);
  await uiShot(app, info, 'commit-auto-checkpoint-1366');
});
