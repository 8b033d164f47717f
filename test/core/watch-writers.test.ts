// watch and import over runs written the way each trainer writes them
// (scripts/trainer-writers/write_run.py: the same files, in the same order,
// with the same deletions), checked against the writer's own manifest of
// every checkpoint it completed (names, steps, metrics, sha256 of each file).
// The committed fixture runs need nothing; the live runs need Debian's torch.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunCheckpointReport } from '../../src-shared/model';
import { followRun } from '../../src-main/core/ops/run-follow';
import { Store } from '../../src-main/core/store/store';
import { recognition } from '../../src-main/core/trainers/recognize';
import { verbs, type VerbContext } from '../../src-main/core/verbs';
import { sha256Of, useScratch } from '../helpers/models';

const scratch = useScratch();
const REPO = path.join(__dirname, '..', '..');
const FIXTURE_RUNS = path.join(REPO, 'test', 'fixtures', 'trainers');
const WRITER = path.join(REPO, 'scripts', 'trainer-writers', 'write_run.py');
const PYTHON = '/usr/bin/python3';
const torchProbe = spawnSync(PYTHON, ['-c', 'import torch, numpy, h5py'], { encoding: 'utf8' });
const NO_TORCH = torchProbe.status === 0 ? null : `Debian's python3-torch (with numpy and h5py) is needed to run the trainer writers live: ${PYTHON} -c "import torch" failed (${(torchProbe.stderr || String(torchProbe.error)).trim().split('\n').pop()})`;

interface WriterManifest { checkpoints: Array<{ name: string; step: number | null; metrics?: Record<string, number>; files: Record<string, string> }> }

interface Fixture { root: string; store: Store; run: string; ctx: VerbContext }

async function fixture(): Promise<Fixture> {
  const root = scratch();
  const store = await Store.init(root);
  const run = path.join(root, 'run');
  return { root, store, run, ctx: { store } };
}

/** Each commit of the run restored (restore verb, to a fresh folder), as run-relative path → sha256, in the run's order. */
async function restoredCommits(f: Fixture): Promise<Array<{ checkpoint: string; step?: number; metrics?: Record<string, number>; files: Map<string, string> }>> {
  const log = (await verbs.log(f.ctx, {})).commits.filter((c) => c.meta?.run === 'run').reverse();
  const out = [];
  for (const c of log) {
    const to = path.join(scratch(), 'v');
    const res = await verbs.restore(f.ctx, { commit: c.id, to, link: 'copy' });
    const m = await f.store.readManifest(c.id);
    const files = new Map<string, string>();
    for (const file of m.files) {
      const written = m.source.kind === 'file' ? res.target : path.join(res.target, ...file.path.split('/'));
      const rel = m.source.kind === 'file' || c.meta?.trainer === 'tf-checkpoint' ? file.path : `${c.meta!.checkpoint}/${file.path}`;
      files.set(rel, await sha256Of(written));
    }
    out.push({ checkpoint: c.meta!.checkpoint!, ...(c.meta?.step !== undefined ? { step: c.meta.step } : {}), ...(c.meta?.metrics ? { metrics: c.meta.metrics } : {}), files });
  }
  return out;
}

/** True when a restored commit is one of the checkpoints the writer completed, bit for bit. */
function matchesOne(manifest: WriterManifest, c: { checkpoint: string; files: Map<string, string> }): boolean {
  return manifest.checkpoints.some((m) => m.name === c.checkpoint && Object.keys(m.files).length === c.files.size && Object.entries(m.files).every(([p, sha]) => c.files.get(p) === sha));
}

describe('import of the fixture runs the trainer writers made', () => {
  for (const layout of ['hf', 'hf-sharded', 'lightning', 'keras', 'keras-zip', 'tf', 'plain-numbered', 'plain-inplace']) {
    it(`${layout}: every checkpoint there is committed with its step and metrics and restores as the writer wrote it`, async () => {
      const f = await fixture();
      await fs.cp(path.join(FIXTURE_RUNS, layout), f.run, { recursive: true });
      const manifest = JSON.parse(await fs.readFile(path.join(FIXTURE_RUNS, `${layout}.manifest.json`), 'utf8')) as WriterManifest;
      const res = await verbs.importRun(f.ctx, { dir: f.run, settleMs: 1 });
      expect(res.stopped).toBe('done');
      expect(res.checkpoints.filter((c) => c.skipped)).toEqual([]);
      const commits = await restoredCommits(f);
      // Every checkpoint still in the folder (rotation removed the others) is committed, and nothing else.
      const present = new Set(manifest.checkpoints.map((m) => m.name).filter((n) => res.checkpoints.some((c) => c.checkpoint === n)));
      expect(new Set(commits.map((c) => c.checkpoint))).toEqual(present);
      expect(commits.length).toBeGreaterThan(0);
      for (const c of commits) {
        expect(matchesOne(manifest, c), `${c.checkpoint} restores as the writer wrote it`).toBe(true);
        const m = [...manifest.checkpoints].reverse().find((x) => x.name === c.checkpoint)!;
        // The step where the files say it: a name (step_N, step=N), trainer_state.json, a Lightning checkpoint's own data;
        // a Keras name gives the epoch only, and model.pt nothing.
        if (m.step !== null && !layout.startsWith('keras') && layout !== 'plain-inplace') expect(c.step, c.checkpoint).toBe(m.step);
        if (m.metrics?.eval_loss !== undefined && layout.startsWith('hf')) expect(c.metrics?.eval_loss).toBe(m.metrics.eval_loss);
      }
    }, 60_000);
  }
});

/** Runs the writer to the end; its manifest. */
function writer(args: string[]): { done: Promise<number | null> } {
  const child = spawn(PYTHON, [WRITER, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  return {
    done: new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (code) => { if (code !== 0 && code !== 137) reject(new Error(`write_run.py exited ${code}: ${stderr}`)); else resolve(code); });
    }),
  };
}

describe.skipIf(NO_TORCH !== null)('watch following a live trainer writer (real torch)', () => {
  // Why skipped, when it is: the reason is NO_TORCH.
  it.each([
    ['hf', ['--save-total-limit', '1']],
    ['plain-inplace', []],
    ['lightning', ['--save-total-limit', '1']],
  ])('%s: every checkpoint the writer completed is committed once and restores bit-exact, whatever its rotation deleted', async (layout, extra) => {
    const f = await fixture();
    const manifestFile = path.join(f.root, 'manifest.json');
    await fs.mkdir(f.run);
    const reports: RunCheckpointReport[] = [];
    const stop = new AbortController();
    let check: () => void = () => undefined;
    const watching = followRun(f.store, f.run, {
      recognition, mode: 'watch', settleMs: 50, pollMs: 100, signal: stop.signal,
      onCheckpoint: (r) => { reports.push(r); check(); },
    });
    const w = writer(['--layout', layout, '--out', f.run, '--checkpoints', '4', '--every-ms', '700', '--width', '16', '--manifest', manifestFile, ...extra]);
    await w.done;
    const manifest = JSON.parse(await fs.readFile(manifestFile, 'utf8')) as WriterManifest;
    // Until every save the writer completed has a commit (last.ckpt and model.pt: one per save).
    await new Promise<void>((resolve) => {
      check = () => { if (reports.filter((r) => r.commit).length >= manifest.checkpoints.length) resolve(); };
      check();
    });
    stop.abort();
    const res = await watching;
    expect(res.stopped).toBe('cancelled');
    const commits = await restoredCommits(f);
    expect(commits).toHaveLength(manifest.checkpoints.length);
    for (const c of commits) expect(matchesOne(manifest, c), c.checkpoint).toBe(true);
    // Each save once: no two commits hold the same checkpoint's bytes.
    const keys = commits.map((c) => `${c.checkpoint}:${[...c.files.values()].join(',')}`);
    expect(new Set(keys).size).toBe(keys.length);
  }, 120_000);

  it('a writer killed mid-save: watch --once commits only the checkpoints it completed, each bit-exact', async () => {
    for (const killAt of [30_000, 95_000, 160_000]) {
      const f = await fixture();
      const manifestFile = path.join(f.root, 'manifest.json');
      const w = writer(['--layout', 'hf', '--out', f.run, '--checkpoints', '3', '--width', '32', '--manifest', manifestFile, '--kill-after-bytes', String(killAt)]);
      await w.done;
      const manifest = await fs.readFile(manifestFile, 'utf8').then((t) => JSON.parse(t) as WriterManifest, () => ({ checkpoints: [] }) as WriterManifest);
      const res = await verbs.watch(f.ctx, { dir: f.run, then: 'keep', keepNewest: 1, once: true, settleMs: 20 });
      expect(res.checkpoints.filter((c) => c.commit).map((c) => c.checkpoint), `killed after ${killAt} bytes`).toEqual(manifest.checkpoints.map((m) => m.name));
      for (const c of await restoredCommits(f)) expect(matchesOne(manifest, c), c.checkpoint).toBe(true);
    }
  }, 120_000);
});
