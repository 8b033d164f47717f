// Verify runs as a background job and marks every commit.
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { test, expect, graph, row, screenshot } from './support/fixtures';
import { cliJson, type LogEntryJson } from './support/weightline';

interface VerifyJson { ok: boolean; commits: { id: string; ok: boolean; error: string | null }[] }

test('verify marks every commit', async ({ app, store }) => {
  const log = await cliJson<LogEntryJson[]>(store.root, 'log');
  await app.getByRole('button', { name: 'Verify', exact: true }).click();
  await expect(graph(app).locator('.badge-ok')).toHaveCount(log.length);
  for (const c of log) await expect(row(app, c.id).locator('.badges')).toContainText('✓ verified');
  await expect(app.getByRole('button', { name: 'Verify', exact: true })).toBeEnabled();
  await screenshot(app, 'verify-all-ok');
});

test('verify shows the problem on the commits a damaged object breaks', async ({ app, store }) => {
  // Damage the largest stored object: the verdict per commit must be the CLI's.
  const objects = path.join(store.root, '.weightline', 'objects');
  const files: { file: string; size: number }[] = [];
  for (const e of await readdir(objects, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const file = path.join(e.parentPath, e.name);
    files.push({ file, size: (await stat(file)).size });
  }
  files.sort((a, b) => b.size - a.size);
  const victim = files[0]!.file;
  const buf = await readFile(victim);
  buf[Math.floor(buf.length / 2)] = buf[Math.floor(buf.length / 2)]! ^ 0xff;
  await writeFile(victim, buf);
  const expected = await cliJson<VerifyJson>(store.root, 'verify').catch((e: { stdout?: string }) => JSON.parse(e.stdout ?? '{}') as VerifyJson);
  expect(expected.commits.some((c) => !c.ok)).toBe(true);

  await app.getByRole('button', { name: 'Verify', exact: true }).click();
  for (const c of expected.commits) {
    const badges = row(app, c.id).locator('.badges');
    if (c.ok) await expect(badges).toContainText('✓ verified');
    else await expect(badges.locator('.badge-problem')).toBeVisible();
  }
  await screenshot(app, 'verify-problem');
});
