// Issue 14 in the app: remote settings, Push and Fetch as jobs, a badge per
// commit saying where its data is (local / remote / both), "Fetch and
// restore" of a remote-only commit, and remote errors in plain words. Against
// the real S3 server (Ceph radosgw, scripts/s3-server.sh): CI exports its env
// (AWS_ENDPOINT_URL_S3 and the test keys) before the end-to-end specs;
// locally a server left running by the script is found, else these skip.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { test as base, expect, graph, row, screenshot, type DemoStore } from './support/fixtures';
import { smallHistory } from './support/small-history';
import { cliJson, repoRoot, serve, sha256File, type LogEntryJson, type ShowJson } from './support/weightline';

const run = promisify(execFile);

/** The S3 server's env in process.env (the served app and the CLI inherit it), or why there is none. */
async function s3Env(): Promise<string | null> {
  if (!process.env.AWS_ENDPOINT_URL_S3) {
    const status = await run(path.join(repoRoot, 'scripts', 's3-server.sh'), ['status']).then((r) => r.stdout, () => '');
    for (const m of status.matchAll(/^export (AWS_[A-Z0-9_]+)=(.*)$/gm)) process.env[m[1]!] = m[2]!;
  }
  if (!process.env.AWS_ENDPOINT_URL_S3) {
    if (process.env.CI) throw new Error('no S3 server: .ci/run starts one with scripts/s3-server.sh start and exports its env');
    return 'no S3 server (start one with scripts/s3-server.sh start)';
  }
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  return null;
}
const skip = await s3Env();

async function newBucket(): Promise<string> {
  const name = `wl-e2e-${randomBytes(5).toString('hex')}`;
  const c = new S3Client({ endpoint: process.env.AWS_ENDPOINT_URL_S3, region: process.env.AWS_REGION ?? 'us-east-1', forcePathStyle: true });
  try { await c.send(new CreateBucketCommand({ Bucket: name })); } finally { c.destroy(); }
  return name;
}

const test = base.extend<{ store: DemoStore }>({
  // eslint-disable-next-line no-empty-pattern -- Playwright fixtures must destructure their dependencies
  store: async ({}, use) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'weightline-e2e-remotes-'));
    const h = await smallHistory(path.join(dir, 'project'));
    await use({ scratch: dir, root: h.root, modelPath: h.modelPath, commits: h.commits });
    await rm(dir, { recursive: true, force: true });
  },
});
test.use({ viewport: { width: 1280, height: 800 } });
test.skip(skip !== null, skip ?? '');

test('add a remote, push from the app (badges turn to both), then fetch and restore a remote-only commit in a second store', async ({ app, store, page, browser }) => {
  // Two served stores, a clone and S3 round trips: 20–25 s alone, past the 60 s default when four specs share two cores.
  test.slow();
  const bucket = await newBucket();
  const url = `s3://${bucket}/e2e`;

  // No remote yet: no badges, a Remotes… button.
  await expect(row(app, store.commits[0]!).locator('[data-location]')).toHaveCount(0);
  await app.getByRole('button', { name: 'Remotes…' }).click();
  const dialog = app.getByRole('dialog', { name: 'Remotes' });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByTestId('remote-credentials')).toContainText('the environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)');
  await dialog.getByLabel('Name').fill('origin');
  await dialog.getByLabel('URL').fill(url);
  await screenshot(app, 'remotes-dialog-add');
  await dialog.getByRole('button', { name: 'Add remote' }).click();
  await expect(dialog.getByRole('list', { name: 'Remotes' }).locator('[data-remote="origin"]')).toContainText(url);
  await screenshot(app, 'remotes-dialog-list');
  await dialog.getByRole('button', { name: 'Close' }).click();

  // With a remote, every commit says where it is: here only, before the push.
  for (const id of store.commits) await expect(row(app, id).locator('[data-location]')).toHaveAttribute('data-location', 'local');
  await screenshot(app, 'remotes-badges-local');
  await app.getByRole('button', { name: 'Push', exact: true }).click();
  const jobs = app.getByRole('region', { name: 'Jobs' });
  await expect(jobs.getByText(/Push to origin/)).toBeVisible();
  for (const id of store.commits) await expect(row(app, id).locator('[data-location]')).toHaveAttribute('data-location', 'both');
  await expect(app.getByText(`Pushed ${store.commits.length} commits to origin`)).toBeVisible();
  await screenshot(app, 'remotes-badges-both');

  // A second store made from the remote: the history only, every commit remote-only.
  const second = path.join(store.scratch, 'clone');
  await cliJson(store.scratch, 'clone', url, second, '--no-checkout');
  const served = await serve(second, path.join(store.scratch, 'config2'));
  const page2 = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  try {
    await page2.goto(served.url);
    await expect(graph(page2)).toBeVisible();
    for (const id of store.commits) await expect(row(page2, id).locator('[data-location]')).toHaveAttribute('data-location', 'remote');
    await screenshot(page2, 'remotes-clone-remote-only');

    // Fetch and restore the oldest commit into a folder: just its route's objects come down, bit-exact.
    const oldest = store.commits[0]!;
    const show = await cliJson<ShowJson>(store.root, 'show', oldest);
    const folder = await mkdtemp(path.join(tmpdir(), 'weightline-e2e-fetch-'));
    await row(page2, oldest).click();
    await page2.getByRole('button', { name: 'Restore', exact: true }).click();
    const restore = page2.getByRole('dialog', { name: /Restore/ });
    await expect(restore.getByTestId('fetch-note')).toBeVisible();
    await restore.getByRole('radio', { name: /another folder/ }).check();
    await restore.getByRole('combobox', { name: 'Folder' }).fill(folder);
    await screenshot(page2, 'remotes-fetch-and-restore');
    await restore.getByRole('button', { name: 'Fetch and restore' }).click();
    await expect(restore).toBeHidden();
    const file = path.join(folder, path.basename(show.path));
    await expect.poll(() => sha256File(file).catch(() => 'missing')).toBe(show.files[0]!.sha256);
    await expect(row(page2, oldest).locator('[data-location]')).toHaveAttribute('data-location', 'both');
    const log = await cliJson<Array<LogEntryJson & { location: string }>>(second, 'log');
    expect(log.find((e) => e.id === oldest)!.location).toBe('both');
    expect(log.find((e) => e.id === store.commits.at(-1))!.location).toBe('remote');

    // A remote whose bucket does not exist: Fetch fails in plain words, naming the bucket.
    await page2.getByRole('button', { name: 'Remotes…' }).click();
    const d2 = page2.getByRole('dialog', { name: 'Remotes' });
    await d2.getByLabel('Name').fill('nowhere');
    await d2.getByLabel('URL').fill('s3://wl-e2e-no-such-bucket/x');
    await d2.getByRole('button', { name: 'Add remote' }).click();
    await d2.getByRole('button', { name: 'Fetch from nowhere' }).click();
    const failed = page2.getByRole('region', { name: 'Jobs' }).getByRole('alert');
    await expect(failed).toContainText('Not found on the remote');
    await expect(failed).toContainText('"wl-e2e-no-such-bucket" does not exist');
    await screenshot(page2, 'remotes-error-missing-bucket');
  } finally {
    await page2.close();
    await served.close();
  }
  void page;
});
