// Issue 10: where verify finds a problem the app says which commits still
// restore bit-exact and which cannot, offers Repair with a dry-run preview,
// runs it, and verifies again; a restored link written into in place is
// shown prominently, with Repair. Each test builds its own small history with
// the CLI and damages it as a bad disk or a write through a link would.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test as base, expect, graph, row, screenshot, type DemoStore } from './support/fixtures';
import { flipByte, objectPath, smallHistory } from './support/small-history';
import { cliJson, sha256File, type ShowJson } from './support/weightline';

interface VerifyJson { ok: boolean; commits: { id: string; ok: boolean; error: string | null; restorable: boolean; route: string | null }[] }
interface RepairJson {
  dryRun: boolean; ok: boolean;
  commits: { id: string; outcome: 'intact' | 'repaired' | 'restorable' | 'lost'; detail: string | null }[];
  quarantined: { object: string; path: string; reason: string }[];
  rebuilt: { object: string; commit: string; path: string; route: string }[];
}
interface StatusLinksJson { links?: { path: string; commit: string; problem: string }[] }

// The screenshots a person looks at, at a laptop's size; copied to UI_SHOTS when set.
const UI_SHOTS = process.env.WEIGHTLINE_UI_SHOTS;

const test = base.extend<{ store: DemoStore }>({
  // eslint-disable-next-line no-empty-pattern -- Playwright fixtures must destructure their dependencies
  store: async ({}, use) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'weightline-e2e-repair-'));
    const h = await smallHistory(path.join(dir, 'project'));
    await use({ scratch: dir, root: h.root, modelPath: h.modelPath, commits: h.commits });
    await rm(dir, { recursive: true, force: true });
  },
});
test.use({ viewport: { width: 1280, height: 800 } });

async function shot(page: Parameters<typeof screenshot>[0], name: string): Promise<void> {
  await screenshot(page, name);
  if (UI_SHOTS) {
    await mkdir(UI_SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(UI_SHOTS, `${name}.png`) });
  }
}

/** The CLI exits 1 when it finds a problem; its JSON is still on stdout. */
async function cliJsonEvenOnFailure<T>(root: string, ...args: string[]): Promise<T> {
  return cliJson<T>(root, ...args).catch((e: { stdout?: string }) => JSON.parse(e.stdout ?? '{}') as T);
}

test('a damaged CHECKPOINT: verify says it still restores; Repair previews, runs, and verify is clean again', async ({ app, store, page }) => {
  const checkpoint = store.commits[0]!;
  const sha = (await cliJson<ShowJson>(store.root, 'show', checkpoint)).files[0]!.sha256;
  await flipByte(objectPath(store.root, sha));
  const expected = await cliJsonEvenOnFailure<VerifyJson>(store.root, 'verify');
  expect(expected.commits.find((c) => c.id === checkpoint)).toMatchObject({ ok: false, restorable: true });
  expect(expected.commits.filter((c) => !c.ok)).toHaveLength(1);

  // Verify: the summary, the row's badge, the details.
  await app.getByRole('button', { name: 'Verify', exact: true }).click();
  const summary = app.getByRole('region', { name: 'Verify summary' });
  await expect(summary).toContainText(`1 of ${store.commits.length} commits has a problem; it still restores bit-exact.`);
  await expect(row(app, checkpoint).locator('.badges')).toContainText('problem found — still restores');
  for (const id of store.commits.slice(1)) await expect(row(app, id).locator('.badges')).toContainText('✓ verified');
  await row(app, checkpoint).click();
  const details = app.getByRole('complementary', { name: 'Commit details' });
  await expect(details).toContainText('Problem found — still restores bit-exact');
  await expect(details).toContainText(expected.commits.find((c) => c.id === checkpoint)!.route!);
  await shot(page, 'verify-summary');

  // A restore of it works, by the other route, and says so until closed.
  const folder = await mkdtemp(path.join(tmpdir(), 'weightline-restore-'));
  await app.getByRole('button', { name: 'Restore', exact: true }).click();
  const restore = app.getByRole('dialog', { name: /Restore/ });
  await restore.getByRole('radio', { name: /another folder/ }).check();
  await restore.getByRole('combobox', { name: 'Folder' }).fill(folder);
  await restore.getByRole('combobox', { name: 'Link mode' }).selectOption('copy');
  await restore.getByRole('button', { name: 'Restore', exact: true }).click();
  await expect(restore).toBeHidden();
  const notice = app.locator('.notice-warn');
  await expect(notice).toContainText('stored full parameters are damaged');
  await expect(notice.getByRole('button', { name: 'Repair…' })).toBeVisible();
  await shot(page, 'restore-notes');
  expect(await sha256File(path.join(folder, 'model.safetensors'))).toBe(sha);
  await notice.getByRole('button', { name: 'Dismiss message' }).click();

  // Repair: the dry run's preview equals the CLI's.
  const dry = await cliJson<RepairJson>(store.root, 'repair', '--dry-run');
  expect(dry.quarantined.map((q) => q.object)).toEqual([sha]);
  expect(dry.rebuilt.map((r) => r.object)).toEqual([sha]);
  await summary.getByRole('button', { name: 'Repair…' }).click();
  const dialog = app.getByRole('dialog', { name: 'Repair' });
  await expect(dialog.getByTestId('repair-headline')).toHaveText(
    `Repair would set aside 1 damaged object and rebuild 1 full copy from intact bytes. After it: 1 commit repaired, ${store.commits.length - 1} intact.`,
  );
  await expect(dialog.getByRole('region', { name: 'Set aside' }).locator(`[data-object="${sha}"]`)).toContainText(dry.quarantined[0]!.reason);
  await expect(dialog.getByRole('region', { name: 'Rebuilt' }).locator(`[data-object="${sha}"]`)).toContainText(dry.rebuilt[0]!.route);
  const outcome = dialog.locator(`[data-commit="${checkpoint}"][data-outcome="repaired"]`);
  await expect(outcome).toContainText('will be repaired');
  await expect(dialog).toContainText(`The other ${store.commits.length - 1} commits are intact.`);
  await shot(page, 'repair-dialog');

  await dialog.getByRole('button', { name: 'Repair', exact: true }).click();
  await expect(dialog).toBeHidden();
  // The app verifies again by itself: every commit clean.
  await expect(summary).toContainText(`All ${store.commits.length} commits verified: every byte checked.`);
  await expect(graph(app).locator('.badge-ok')).toHaveCount(store.commits.length);
  await shot(page, 'after-repair');

  // On disk: the object hashes to its name again; the damaged bytes are kept in the quarantine.
  expect(await sha256File(objectPath(store.root, sha))).toBe(sha);
  expect((await readdir(path.join(store.root, '.weightline', 'quarantine'))).filter((f) => f.startsWith(sha))).toHaveLength(1);
  expect((await cliJson<VerifyJson>(store.root, 'verify')).ok).toBe(true);
  await rm(folder, { recursive: true, force: true });
});

test('a restored hard link written into in place is shown with Repair, which sets the damaged copy aside', async ({ app, store, page }) => {
  const head = store.commits[store.commits.length - 1]!;
  const sha = (await cliJson<ShowJson>(store.root, 'show', head)).files[0]!.sha256;
  const linked = path.join(store.scratch, 'linked.safetensors');
  await cliJson(store.root, 'restore', head, '--to', linked, '--link', 'hardlink');
  // A program writes into the file in place (the way `cp other.pt linked.pt` does): through the link, into the store.
  const changed = await readFile(linked);
  changed[changed.length - 5] = changed[changed.length - 5]! ^ 0x01;
  await writeFile(linked, changed);
  const status = await cliJson<StatusLinksJson>(store.root, 'status');
  expect(status.links).toEqual([{ path: linked, commit: head, problem: 'changed-in-place' }]);

  await page.reload();
  const banner = app.getByRole('region', { name: 'Links changed in place' });
  await expect(banner).toContainText(linked);
  await expect(banner).toContainText("changed in place: the store's copy is damaged; run Repair");
  await shot(page, 'link-changed-in-place');

  await banner.getByRole('button', { name: 'Repair…' }).click();
  const dialog = app.getByRole('dialog', { name: 'Repair' });
  await expect(dialog.getByRole('region', { name: 'Set aside' }).locator(`[data-object="${sha}"]`)).toBeVisible();
  await expect(dialog.getByRole('region', { name: 'Rebuilt' }).locator(`[data-object="${sha}"]`)).toBeVisible();
  await dialog.getByRole('button', { name: 'Repair', exact: true }).click();
  await expect(dialog).toBeHidden();

  await expect(banner).toBeHidden();
  await expect(app.getByRole('region', { name: 'Verify summary' })).toContainText(`All ${store.commits.length} commits verified`);
  // The user's file keeps what was written into it; the store's copy is the committed one again.
  expect(await readFile(linked)).toEqual(changed);
  expect(await sha256File(objectPath(store.root, sha))).toBe(sha);
});

base('a damaged CHECKPOINT with no intact route: verify says it cannot be restored; Repair sets the bytes aside and says it stays lost', async ({ app, store, page }) => {
  // The sample history: a CHECKPOINT in the middle whose children changed too much to rebuild it backward.
  const log = await cliJson<{ id: string; type: string }[]>(store.root, 'log');
  const oldest = log[log.length - 1]!.id;
  const victim = log.find((c) => c.type === 'CHECKPOINT' && c.id !== oldest)!.id;
  const sha = (await cliJson<ShowJson>(store.root, 'show', victim)).files[0]!.sha256;
  await flipByte(objectPath(store.root, sha));
  const expected = await cliJsonEvenOnFailure<VerifyJson>(store.root, 'verify');
  expect(expected.commits.filter((c) => !c.ok)).toEqual([expect.objectContaining({ id: victim, restorable: false })]);

  await app.getByRole('button', { name: 'Verify', exact: true }).click();
  const summary = app.getByRole('region', { name: 'Verify summary' });
  await expect(summary).toContainText(`1 of ${log.length} commits has a problem; it cannot be restored.`);
  await expect(row(app, victim).locator('.badges')).toContainText('cannot be restored');

  await summary.getByRole('button', { name: 'Repair…' }).click();
  const dialog = app.getByRole('dialog', { name: 'Repair' });
  await expect(dialog.getByTestId('repair-headline')).toHaveText(`Repair would set aside 1 damaged object. After it: 1 cannot be restored, ${log.length - 1} intact.`);
  const outcome = dialog.locator(`[data-commit="${victim}"][data-outcome="lost"]`);
  await expect(outcome).toContainText('cannot be restored');
  await expect(outcome).toContainText('no intact route');
  await shot(page, 'repair-dialog-lost');

  await dialog.getByRole('button', { name: 'Repair', exact: true }).click();
  await expect(dialog).toBeHidden();
  // The repair says what it could not do, and stays until closed; verify, run again, still finds the one lost version.
  await expect(app.locator('.notice-warn')).toContainText('Repair set aside 1 damaged object. After it: 1 cannot be restored');
  await expect(app.locator('.notice-warn')).toContainText('.weightline/quarantine/');
  await expect(summary).toContainText(`1 of ${log.length} commits has a problem; it cannot be restored.`);
  await expect(graph(app).locator('.badge-ok')).toHaveCount(log.length - 1);
  expect((await readdir(path.join(store.root, '.weightline', 'quarantine'))).filter((f) => f.startsWith(sha))).toHaveLength(1);
});

base('a damaged HEAD: the history is still shown, with what is wrong and the way out', async ({ store, server, page }) => {
  await writeFile(path.join(store.root, '.weightline', 'HEAD'), '{"commit": "0123');
  await page.goto(server.url);
  const banner = page.getByRole('region', { name: 'HEAD is damaged' });
  await expect(banner).toContainText('damaged HEAD');
  await expect(banner).toContainText('restore the commit to continue from');
  await expect(graph(page).getByRole('option')).toHaveCount(store.commits.length);
  await shot(page, 'head-damaged');
});
