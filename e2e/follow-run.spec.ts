// Following a training run from the app: "Follow a run…" on a folder, a
// writer that saves checkpoints the way Hugging Face's Trainer does (the
// weights first, trainer_state.json last), each checkpoint appearing in the
// list as it lands with its step and metrics; the metric column and chart,
// the best commit marked, a tag set from the row's menu and shown as a label.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { Page } from '@playwright/test';
import { test, expect, graph } from './support/fixtures';
import { rng, safetensors } from './support/model-bytes';
import { uiShot } from './support/ui-shots';
import { cliJson, type LogEntryJson } from './support/weightline';

interface Saved { readonly name: string; readonly step: number; readonly evalLoss: number }

/**
 * One HF Trainer save (trainer.py _save_checkpoint: the model, then
 * trainer_state.json, the completion sign): written under a temporary name
 * and renamed, as save_pretrained's files are, so no reader sees half a file.
 */
async function saveCheckpoint(run: string, weights: Float32Array, s: Saved, best: string, history: object[]): Promise<void> {
  const dir = path.join(run, s.name);
  await mkdir(dir, { recursive: true });
  const put = async (file: string, data: Buffer | string): Promise<void> => {
    await writeFile(`${file}.tmp`, data);
    await rename(`${file}.tmp`, file);
  };
  await put(path.join(dir, 'model.safetensors'), safetensors([{ name: 'encoder.weight', data: weights }]));
  await put(path.join(dir, 'config.json'), JSON.stringify({ model_type: 'tiny' }));
  await put(path.join(dir, 'trainer_state.json'), JSON.stringify({
    global_step: s.step, epoch: s.step / 100, log_history: history,
    best_metric: null, best_model_checkpoint: path.join(run, best),
  }, null, 2));
}

const row = (page: Page, name: string) => graph(page).getByRole('option', { name: new RegExp(`^${name} \\(step \\d+\\),`) });

test('follow a run: checkpoints appear as they land, with metrics, the best marked, and a tag set from the menu', async ({ app, store }, info) => {
  // Three saves, each settled (1 s unchanged) and committed, then a tag and a stop: more than the default minute on a busy machine.
  test.setTimeout(240_000);
  await app.setViewportSize({ width: 1280, height: 800 });
  const run = path.join(store.root, 'runs', 'exp1');
  await mkdir(run, { recursive: true });

  await app.getByRole('button', { name: 'Follow a run…' }).click();
  const dialog = app.getByRole('dialog', { name: 'Follow a training run' });
  await expect(dialog).toBeVisible();
  await dialog.getByRole('combobox', { name: /Run folder/ }).fill(run);
  await dialog.getByRole('radio', { name: /kept/ }).check();
  await uiShot(app, info, 'appui-follow-dialog');
  await dialog.getByRole('button', { name: 'Follow', exact: true }).click();
  await expect(dialog).toBeHidden();

  const strip = app.getByRole('region', { name: 'Following a run' });
  await expect(strip).toBeVisible();
  await expect(strip.getByRole('button', { name: 'Stop' })).toBeVisible();
  // Not only the generic jobs panel: the strip is the follow's view.
  await expect(app.getByRole('region', { name: 'Jobs' }).getByText(/Following/)).toHaveCount(0);

  const saves: Saved[] = [
    { name: 'checkpoint-100', step: 100, evalLoss: 0.9 },
    { name: 'checkpoint-200', step: 200, evalLoss: 0.42 },
    { name: 'checkpoint-300', step: 300, evalLoss: 0.55 },
  ];
  const random = rng(20);
  const weights = new Float32Array(4096).map(() => random());
  const history: object[] = [];
  for (const s of saves) {
    for (let i = 0; i < 200; i++) weights[Math.floor(random() * weights.length)]! += 0.01;
    history.push({ loss: s.evalLoss + 0.1, step: s.step }, { eval_loss: s.evalLoss, step: s.step });
    const best = saves.filter((x) => x.step <= s.step).reduce((a, b) => (b.evalLoss < a.evalLoss ? b : a)).name;
    await saveCheckpoint(run, weights, s, best, [...history]);
    // Each appears while the job runs on (the store's change events refresh the list).
    await expect(row(app, s.name)).toBeVisible({ timeout: 30_000 });
    await expect(strip.getByTestId('follow-detail')).toContainText(`${saves.indexOf(s) + 1} committed`);
  }
  await expect(strip.getByRole('button', { name: 'Stop' })).toBeVisible();

  // The CLI sees the same three commits, with their step and metric.
  const log = await cliJson<(LogEntryJson & { meta?: { step?: number; metrics?: Record<string, number> } })[]>(store.root, 'log');
  const made = saves.map((s) => log.find((c) => c.meta?.step === s.step)!);
  expect(made.map((c) => c?.meta?.metrics?.eval_loss)).toEqual(saves.map((s) => s.evalLoss));

  // The metric column shows each commit's eval_loss; the best one carries the mark.
  const head = app.getByRole('group', { name: 'Training columns' });
  await expect(head.getByRole('button', { name: /eval_loss/ })).toBeVisible();
  for (const [i, s] of saves.entries()) {
    await expect(row(app, s.name).locator('[data-col="metric:eval_loss"]')).toHaveText(String(s.evalLoss));
    await expect(row(app, s.name).locator('[data-col="step"]')).toHaveText(String(s.step));
    await expect(row(app, s.name)).toHaveAttribute('data-commit', made[i]!.id);
  }
  await expect(graph(app).getByTestId('best-mark')).toHaveCount(1);
  await expect(row(app, 'checkpoint-200').getByTestId('best-mark')).toBeVisible();
  await expect(row(app, 'checkpoint-200')).toHaveAccessibleName(/best by eval_loss/);

  // The chart draws the metric on the storage chart's x axis, the best point marked.
  const chart = app.getByRole('region', { name: 'Storage over time' });
  await expect(chart.getByRole('combobox', { name: 'Metric shown in the chart' })).toHaveValue('eval_loss');
  await expect(chart.getByTestId('metric-point')).toHaveCount(3);
  await expect(chart.getByTestId('metric-best')).toHaveCount(1);
  const bestPoint = chart.locator(`[data-testid="metric-point"][data-commit="${made[1]!.id}"]`);
  const bestBar = chart.locator(`[data-testid="storage-bar"][data-commit="${made[1]!.id}"]`);
  const [pb, bb] = [await bestPoint.boundingBox(), await bestBar.boundingBox()];
  expect(pb && bb && Math.abs(pb.x - bb.x) < 1 && Math.abs(pb.width - bb.width) < 1).toBe(true);

  // Sorting by the metric puts the best first.
  await head.getByRole('button', { name: /eval_loss/ }).click();
  await expect(graph(app).getByRole('option').first()).toHaveAttribute('data-commit', made[1]!.id);
  await uiShot(app, info, 'appui-main-metrics');
  await head.getByRole('button', { name: /eval_loss/ }).click();
  await head.getByRole('button', { name: /eval_loss/ }).click();
  await expect(head.getByRole('button', { name: 'Graph order' })).toHaveCount(0);

  // Tag the best one from its menu; the rule is shown and a bad name is refused before any job.
  await row(app, 'checkpoint-200').click({ button: 'right' });
  await app.getByRole('menuitem', { name: 'Tag…' }).click();
  const tagDialog = app.getByRole('dialog', { name: /^Tag/ });
  const nameField = tagDialog.getByRole('textbox', { name: 'Tag name' });
  await nameField.fill('abc123');
  await expect(tagDialog.getByTestId('tag-rule')).toContainText('commit id');
  await expect(tagDialog.getByRole('button', { name: 'Tag', exact: true })).toBeDisabled();
  await nameField.fill('best');
  await expect(tagDialog.getByTestId('tag-rule')).not.toContainText('Not a tag name');
  await uiShot(app, info, 'appui-tag-dialog');
  await tagDialog.getByRole('button', { name: 'Tag', exact: true }).click();
  await expect(tagDialog).toBeHidden();
  await expect(row(app, 'checkpoint-200').getByTestId('tag-chip')).toHaveText('best');
  await expect(row(app, 'checkpoint-200')).toHaveAccessibleName(/tagged best/);
  const tags = await cliJson<{ name: string; commit: string }[]>(store.root, 'tag', '--list');
  expect(tags.map((t) => [t.name, t.commit])).toEqual([['best', made[1]!.id]]);
  await uiShot(app, info, 'appui-follow-strip');

  // Stop ends the job: the strip says so and the list keeps the three commits.
  await strip.getByRole('button', { name: 'Stop' }).click();
  await expect(strip.getByTestId('follow-detail')).toHaveText('stopped');
  await expect(graph(app).getByRole('option', { name: /checkpoint-\d+ \(step/ })).toHaveCount(3);
});

test('a tag is deleted from the details pane', async ({ app, store }) => {
  const id = store.commits[store.commits.length - 1]!;
  await cliJson(store.root, 'tag', 'release', id);
  // A tag set from the CLI shows without a reload (the store watcher sees tags.json).
  const r = graph(app).locator(`[role="option"][data-commit="${id}"]`);
  await expect(r.getByTestId('tag-chip')).toHaveText('release');
  await r.click();
  const details = app.getByRole('complementary', { name: 'Commit details' });
  await details.getByRole('button', { name: 'Delete tag release' }).click();
  await expect(r.getByTestId('tag-chip')).toHaveCount(0);
  expect(await cliJson<unknown[]>(store.root, 'tag', '--list')).toEqual([]);
});
