// The working-copy badge in the toolbar: what the stat says at once, what a
// hashing job confirms, and Commit one click away. (Issue 11, item 3.)
import { copyFile, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { test, expect, screenshot } from './support/fixtures';
import { uiShot } from './support/ui-shots';
import { cli, cliJson, type LogEntryJson, type StatusJson } from './support/weightline';

test.use({ viewport: { width: 1366, height: 768 } });

/** Nudge the last bytes of the model's data, as a training step would: still valid safetensors. */
async function trainStep(file: string): Promise<void> {
  const buf = await readFile(file);
  for (let i = buf.length - 4096; i < buf.length; i += 4) buf[i] = buf[i]! ^ 0x01;
  await writeFile(file, buf);
}

test('the badge says whether the model matches HEAD, follows edits, and commits in one click', async ({ app, store }) => {
  const name = path.basename(store.modelPath);
  const badge = app.getByRole('status', { name: 'Working copy' });
  const status = await cliJson<StatusJson>(store.root, 'status');
  await expect(badge).toContainText(name);
  await expect(badge).toHaveAttribute('data-state', status.dirty ? 'changed' : 'matches');
  if (!status.dirty) await expect(badge).toContainText('matches HEAD');
  await screenshot(app, 'working-copy-matches');

  // A training step rewrites the model: stat says "probably", a job hashes, the badge says "changed".
  await trainStep(store.modelPath);
  await app.evaluate(() => window.dispatchEvent(new Event('focus')));
  await expect(badge).toHaveAttribute('data-state', 'changed', { timeout: 20_000 });
  await expect(badge).toContainText(`${name}changed since HEAD`);
  await expect(badge.getByRole('button', { name: 'Commit…' })).toBeVisible();
  // The hashing job stays out of the jobs panel: the badge is its view.
  await expect(app.getByRole('region', { name: 'Jobs' })).toHaveCount(0);
  await screenshot(app, 'working-copy-changed');

  // Commit, one click away: the commit dialog opens with the model's path filled in.
  await badge.getByRole('button', { name: 'Commit…' }).click();
  const dialog = app.getByRole('dialog', { name: 'Commit a new version' });
  await expect(dialog.getByRole('combobox', { name: 'Model file or folder' })).toHaveValue(store.modelPath);
  await dialog.getByRole('textbox', { name: 'Message' }).fill('from the badge');
  await dialog.getByRole('button', { name: 'Commit', exact: true }).click();
  await expect(dialog).toBeHidden();
  await expect(badge).toHaveAttribute('data-state', 'matches', { timeout: 20_000 });
  await expect(badge).toContainText('matches HEAD');
  const log = await cliJson<LogEntryJson[]>(store.root, 'log');
  expect(log[0]!.message).toBe('from the badge');

  // Touched but not changed (new mtime, same bytes): the quick answer cannot
  // tell, the hashing job can, and the badge ends at "matches HEAD".
  const later = new Date(Date.now() + 5_000);
  await utimes(store.modelPath, later, later);
  await app.evaluate(() => window.dispatchEvent(new Event('focus')));
  await expect(badge).toHaveAttribute('data-state', 'matches', { timeout: 20_000 });

  // No file at HEAD's path: no working copy.
  await rm(store.modelPath);
  await app.evaluate(() => window.dispatchEvent(new Event('focus')));
  await expect(badge).toHaveAttribute('data-state', 'missing', { timeout: 20_000 });
  await expect(badge).toContainText('no working copy');
  await expect(badge.getByRole('button', { name: 'Commit…' })).toHaveCount(0);
  await screenshot(app, 'working-copy-missing');
});

test('a long check shows its progress in the badge and can be cancelled', async ({ app, page }) => {
  // The server is real; only the main side's check is stood in for (a quick
  // answer of "probably changed", the events of the hashing job the main side
  // starts, its cancel), so the badge's "checking…" state and its Cancel can be
  // seen on a small model as they would on a 10 GB one.
  const jobId = 'held-working-copy-check';
  let events: { send(m: string): void } | null = null;
  await page.routeWebSocket('**/api/events', (ws) => {
    ws.connectToServer();
    events = ws;
  });
  let probably = false;
  await page.route('**/api/call/workingCopy.get', async (route) => {
    const res = await route.fetch();
    const out = (await res.json()) as { ok: boolean; value?: Record<string, unknown> };
    if (probably && out.ok) out.value = { ...out.value, state: 'probably-changed' };
    await route.fulfill({ response: res, json: out });
  });
  // The renderer never starts a hashing job on its own: the main side decides.
  let starts = 0;
  await page.route('**/api/call/jobs.start', async (route) => {
    if ((route.request().postDataJSON() as { kind?: string }).kind === 'workingCopy') starts++;
    await route.continue();
  });
  let cancelled = false;
  await page.route('**/api/call/jobs.cancel', async (route) => {
    cancelled = true;
    await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ ok: true, value: { cancelled: true } }) });
    const done = { event: 'job', payload: { jobId, kind: 'workingCopy', state: 'cancelled', error: { code: 'CANCELLED', message: 'the working-copy check was cancelled' } } };
    events?.send(JSON.stringify(done));
  });
  await page.reload();
  const badge = app.getByRole('status', { name: 'Working copy' });
  await expect(badge).toHaveAttribute('data-state', /matches|changed/);

  probably = true;
  await app.evaluate(() => window.dispatchEvent(new Event('focus')));
  await expect(badge).toHaveAttribute('data-state', 'probably-changed', { timeout: 20_000 });
  // The main side's job, 30% through a 10 GB model.
  const running = { event: 'job', payload: { jobId, kind: 'workingCopy', state: 'running', progress: { phase: 'hashing', bytesDone: 3_000_000_000, bytesTotal: 10_000_000_000 } } };
  events!.send(JSON.stringify(running));
  await expect(badge).toHaveAttribute('data-checking', 'true', { timeout: 20_000 });
  await expect(badge).toContainText('probably changed since HEAD');
  await expect(badge).toContainText('checking 30%');
  // Commit stays one click away while the check runs.
  await expect(badge.getByRole('button', { name: 'Commit…' })).toBeVisible();
  await screenshot(app, 'working-copy-checking');

  await badge.getByRole('button', { name: 'Cancel the working-copy check' }).click();
  await expect.poll(() => cancelled).toBe(true);
  await expect(badge).not.toHaveAttribute('data-checking', 'true');
  // Still unknown after the cancel: "Check" asks again, at the user's word only.
  const answered = page.waitForResponse('**/api/call/workingCopy.get');
  await app.evaluate(() => window.dispatchEvent(new Event('focus')));
  await answered;
  await expect(badge).toHaveAttribute('data-state', 'probably-changed');
  await expect(badge.getByRole('button', { name: 'Check' })).toBeVisible();
  expect(starts).toBe(0);
  // A focus check still in flight when the fixture stops the server would fail
  // its route.fetch (ECONNREFUSED) after the test passed.
  await page.unrouteAll({ behavior: 'ignoreErrors' });
});

test('with two model paths the badge covers both: it names the one that changed and lists each path in its tooltip', async ({ app, store }, info) => {
  // A second model committed at another path: HEAD follows it now.
  const other = path.join(store.root, 'other.safetensors');
  await copyFile(store.modelPath, other);
  await cli(store.root, 'commit', 'other.safetensors', '-m', 'another model');
  const otherId = (await cliJson<StatusJson>(store.root, 'status')).head!;
  const log = await cliJson<LogEntryJson[]>(store.root, 'log');
  const modelCommit = log.find((c) => c.path === path.relative(store.root, store.modelPath))!.id;
  await app.reload();
  const badge = app.getByRole('status', { name: 'Working copy' });
  await expect(badge).toHaveAttribute('data-paths', '2');
  await expect(badge).toContainText('2 paths match their commits');

  // The earlier model changes; HEAD's path (other.safetensors) does not.
  await trainStep(store.modelPath);
  await app.evaluate(() => window.dispatchEvent(new Event('focus')));
  await expect(badge).toHaveAttribute('data-state', 'changed', { timeout: 20_000 });
  await expect(badge).toContainText(`${path.basename(store.modelPath)}changed (1 of 2 paths)`);
  // The toolbar keeps its room: the store's name and Switch store stay whole.
  const switchBox = (await app.getByRole('button', { name: 'Switch store' }).boundingBox())!;
  const badgeBox = (await badge.boundingBox())!;
  expect(switchBox.x + switchBox.width).toBeLessThanOrEqual(badgeBox.x);
  expect(await app.getByRole('button', { name: 'Switch store' }).evaluate((el) => el.scrollWidth <= el.clientWidth + 1)).toBe(true);
  const title = await badge.locator('.wc-text').getAttribute('title');
  expect(title!.split('\n')).toEqual([
    '2 model paths, each against the newest commit of its line:',
    'other.safetensors: matches HEAD',
    `${path.relative(store.root, store.modelPath)}: changed since ${modelCommit.slice(0, 12)}`,
  ]);
  expect(otherId).not.toBe(modelCommit);
  await uiShot(app, info, 'working-copy-two-paths-1366');

  // Commit… fills in the path that changed, not HEAD's.
  await badge.getByRole('button', { name: 'Commit…' }).click();
  const dialog = app.getByRole('dialog', { name: 'Commit a new version' });
  await expect(dialog.getByRole('combobox', { name: 'Model file or folder' })).toHaveValue(store.modelPath);
});
