// import: a finished run's folder, every complete checkpoint committed in
// order on the run's line, resumable (what is committed is found by its
// bytes), and --base to start sibling runs from one commit. Each layout the
// recognizer knows, from real files; every commit restores bit-exact. Also
// the CLI's watch and import commands.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src-main/cli/main';
import { Store } from '../../src-main/core/store/store';
import { verbs, type VerbContext } from '../../src-main/core/verbs';
import { TSX_EXEC_ARGV } from '../helpers/tsx';
import { gaussianF32, nudgeF32, rng, safetensorsBytes, sha256Of, useScratch, type TestTensor } from '../helpers/models';

const scratch = useScratch();
const FIXTURES = path.join(__dirname, '..', 'fixtures');

function versions(n: number, seed: number, size = 20_000): Buffer[] {
  const r = rng(seed);
  let tensors: TestTensor[] = [{ name: 'w', dtype: 'F32', shape: [size], data: gaussianF32(size, r) }];
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    if (i > 0) tensors = tensors.map((t) => ({ ...t, data: nudgeF32(t.data, r, 1e-3, 0.1) }));
    out.push(safetensorsBytes(tensors));
  }
  return out;
}

interface Fixture { root: string; store: Store; ctx: VerbContext }

async function fixture(): Promise<Fixture> {
  const root = scratch();
  const store = await Store.init(root);
  return { root, store, ctx: { store } };
}

/** Every file of a checkpoint (a file, a folder, or a TF prefix's files) with its sha256, as the trainer wrote it. */
async function oracleOf(run: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const name of (await fs.readdir(run, { recursive: true })).sort()) {
    const p = path.join(run, name);
    if ((await fs.stat(p)).isFile()) out.set(name.split(path.sep).join('/'), await sha256Of(p));
  }
  return out;
}

/** Restores each commit of the run with the restore verb into a fresh folder; the files it wrote, by name, with their sha256. */
async function restoredAll(f: Fixture, runRel: string): Promise<Map<string, string>> {
  const log = await verbs.log(f.ctx, {});
  const out = new Map<string, string>();
  for (const c of log.commits.filter((x) => x.meta?.run === runRel)) {
    const to = path.join(scratch(), 'v');
    const res = await verbs.restore(f.ctx, { commit: c.id, to, link: 'copy' });
    const m = await f.store.readManifest(c.id);
    for (const file of m.files) {
      const written = m.source.kind === 'file' ? res.target : path.join(res.target, ...file.path.split('/'));
      // Named as the trainer named it inside its run: a folder checkpoint's files under the folder's name.
      const name = m.source.kind === 'file' || c.meta?.trainer === 'tf-checkpoint' ? file.path : `${c.meta!.checkpoint}/${file.path}`;
      out.set(name, await sha256Of(written));
    }
  }
  return out;
}

const LAYOUTS: Record<string, (run: string) => Promise<void>> = {
  'hf-trainer (20 checkpoints)': async (run) => {
    for (const [i, m] of versions(20, 1).entries()) {
      const dir = path.join(run, `checkpoint-${(i + 1) * 50}`);
      await fs.mkdir(dir, { recursive: true });
      await fs.writeFile(path.join(dir, 'model.safetensors'), m);
      await fs.writeFile(path.join(dir, 'trainer_state.json'), JSON.stringify({ global_step: (i + 1) * 50, epoch: i / 4, log_history: [{ eval_loss: 2 - i / 20, step: (i + 1) * 50 }] }));
    }
  },
  'plain numbered files': async (run) => {
    for (const [i, m] of versions(5, 2).entries()) await fs.writeFile(path.join(run, `step_${(i + 1) * 100}.safetensors`), m);
  },
  'lightning .ckpt': async (run) => {
    const sources = ['tiny.pt', 'params.pt', 'train-state.pt'];
    for (const [i, s] of sources.entries()) await fs.copyFile(path.join(FIXTURES, s), path.join(run, `epoch=${i}-step=${(i + 1) * 10}-val_loss=0.${5 - i}.ckpt`));
  },
  keras: async (run) => {
    for (const i of [1, 2, 3]) await fs.copyFile(path.join(FIXTURES, 'keras', `keras3-000${i}.keras`), path.join(run, `weights.0${i}-0.${9 - i}0.keras`));
  },
  'tf-checkpoint prefixes': async (run) => {
    for (const i of [1, 2, 3]) {
      for (const name of await fs.readdir(path.join(FIXTURES, 'tf', 'ckpt-manager', `v${i}`))) await fs.copyFile(path.join(FIXTURES, 'tf', 'ckpt-manager', `v${i}`, name), path.join(run, name));
    }
    await fs.writeFile(path.join(run, 'checkpoint'), 'model_checkpoint_path: "ckpt-3"\nall_model_checkpoint_paths: "ckpt-1"\nall_model_checkpoint_paths: "ckpt-2"\nall_model_checkpoint_paths: "ckpt-3"\n');
  },
};

describe('import DIR', () => {
  for (const [layout, write] of Object.entries(LAYOUTS)) {
    it(`${layout}: every checkpoint in order, restoring bit-exact; a second import finds them all committed`, async () => {
      const f = await fixture();
      const run = path.join(f.root, 'run');
      await fs.mkdir(run);
      await write(run);
      const oracle = await oracleOf(run);
      const res = await verbs.importRun(f.ctx, { dir: run, settleMs: 1 });
      expect(res.stopped).toBe('done');
      expect(res.notes).toEqual([]);
      const made = res.checkpoints.filter((c) => c.commit && !c.already);
      expect(made.length).toBeGreaterThanOrEqual(3);
      expect(res.checkpoints.every((c) => c.commit && !c.skipped)).toBe(true);
      // In the run's order, each the child of the one before.
      const log = (await verbs.log(f.ctx, {})).commits.filter((c) => c.meta?.run === 'run').reverse();
      expect(log.map((c) => c.meta?.checkpoint)).toEqual(res.checkpoints.map((c) => c.checkpoint));
      for (let i = 1; i < log.length; i++) expect(log[i]!.parent).toBe(log[i - 1]!.id);
      // Each checkpoint after the first is diffed against the one before (a new name per checkpoint is the normal case).
      const second = await f.store.readManifest(log[1]!.id);
      expect(second.type).toBe('DELTA');
      expect(second.files.every((x) => x.delta?.basePath)).toBe(true);
      const steps = log.map((c) => c.meta?.step).filter((s) => s !== undefined);
      expect(steps).toEqual([...steps].sort((a, b) => a! - b!));
      // Everything the trainer wrote that is part of a checkpoint comes back bit for bit.
      const restored = await restoredAll(f, 'run');
      for (const [name, sha] of restored) expect(oracle.get(name), name).toBe(sha);
      expect(restored.size).toBe([...oracle.keys()].filter((n) => n !== 'checkpoint').length);

      const again = await verbs.importRun(f.ctx, { dir: run, settleMs: 1 });
      expect(again.checkpoints.map((c) => !!c.already)).toEqual(res.checkpoints.map(() => true));
      expect((await verbs.log(f.ctx, {})).commits).toHaveLength(log.length);
    }, 60_000);
  }

  it('resumes where a stopped import left off, committing only the rest', async () => {
    const f = await fixture();
    const run = path.join(f.root, 'run');
    await fs.mkdir(run);
    const models = versions(6, 3);
    for (const [i, m] of models.slice(0, 3).entries()) await fs.writeFile(path.join(run, `step_${i + 1}.safetensors`), m);
    await verbs.importRun(f.ctx, { dir: run, settleMs: 1 });
    for (const [i, m] of models.slice(3).entries()) await fs.writeFile(path.join(run, `step_${i + 4}.safetensors`), m);
    const res = await verbs.importRun(f.ctx, { dir: run, settleMs: 1 });
    expect(res.checkpoints.map((c) => [c.checkpoint, !!c.already])).toEqual([1, 2, 3, 4, 5, 6].map((i) => [`step_${i}.safetensors`, i <= 3]));
    expect((await verbs.log(f.ctx, {})).commits).toHaveLength(6);
  });

  it('--base stores each run\'s first checkpoint on the base commit: runs from one base are sibling lines', async () => {
    const f = await fixture();
    const models = versions(5, 4);
    await fs.writeFile(path.join(f.root, 'base.safetensors'), models[0]!);
    const base = await verbs.commit(f.ctx, { path: path.join(f.root, 'base.safetensors'), message: 'pretrained' });
    for (const name of ['run-a', 'run-b']) {
      const run = path.join(f.root, name);
      await fs.mkdir(run);
      const offset = name === 'run-a' ? 1 : 3;
      for (const i of [0, 1]) await fs.writeFile(path.join(run, `step_${i + 1}.safetensors`), models[offset + i]!);
      const res = await verbs.importRun(f.ctx, { dir: run, base: base.id.slice(0, 10), settleMs: 1 });
      expect(res.checkpoints.every((c) => c.commit && !c.already)).toBe(true);
    }
    const log = (await verbs.log(f.ctx, {})).commits;
    const first = (run: string): (typeof log)[number] => log.filter((c) => c.meta?.run === run).at(-1)!;
    expect(first('run-a').parent).toBe(base.id);
    expect(first('run-b').parent).toBe(base.id);
    // The first checkpoint is a delta against the base's weights (a single file, so its one file is the base).
    const m = await f.store.readManifest(first('run-b').id);
    expect(m.type).toBe('DELTA');
    expect(m.files[0]!.delta!.bytes).toBeLessThan(models[0]!.length / 4);
    for (const c of log) {
      const to = path.join(scratch(), 'x.safetensors');
      await verbs.restore(f.ctx, { commit: c.id, to, link: 'copy' });
      const m2 = await f.store.readManifest(c.id);
      expect(await sha256Of(to)).toBe(m2.files[0]!.sha256);
    }
  });
});

async function cli(cwd: string, ...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { cwd, stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } });
  return { code, stdout, stderr };
}

describe('the CLI', () => {
  it('watch --once prints a line per commit and a summary; import --json gives the result; a second run says already', async () => {
    const f = await fixture();
    const run = path.join(f.root, 'runs', 'a');
    await fs.mkdir(run, { recursive: true });
    for (const [i, m] of versions(2, 5).entries()) await fs.writeFile(path.join(run, `step_${i + 1}-eval_loss=0.${4 - i}.safetensors`), m);
    const w = await cli(f.root, 'watch', 'runs/a', '--once', '--settle', '5');
    expect(w.code).toBe(0);
    expect(w.stdout).toMatch(/^committed step_1-eval_loss=0\.4\.safetensors \(step 1, eval_loss 0\.4\) as [0-9a-f]{12}$/m);
    expect(w.stdout).toMatch(/^Followed runs\/a \(plain\): 2 committed, 0 already committed, 0 skipped; done$/m);
    const i = await cli(f.root, 'import', 'runs/a', '--json');
    expect(i.code).toBe(0);
    const res = JSON.parse(i.stdout) as { stopped: string; checkpoints: Array<{ already?: boolean }> };
    expect(res.stopped).toBe('done');
    expect(res.checkpoints.map((c) => c.already)).toEqual([true, true]);
  });

  it('refuses a bad --settle, --keep-newest and --then as usage errors (exit 2)', async () => {
    const f = await fixture();
    await fs.mkdir(path.join(f.root, 'run'));
    expect((await cli(f.root, 'watch', 'run', '--settle', 'soon')).code).toBe(2);
    expect((await cli(f.root, 'watch', 'run', '--keep-newest', '0')).code).toBe(2);
    const bad = await cli(f.root, 'watch', 'run', '--then', 'delete');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--then/);
  });

  it('a run folder outside the store is refused before anything is captured (exit 1)', async () => {
    const f = await fixture();
    const outside = scratch();
    await fs.writeFile(path.join(outside, 'step_1.safetensors'), versions(1, 7)[0]!);
    const r = await cli(f.root, 'watch', outside, '--once', '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stderr)).toMatchObject({ error: { code: 'REFUSED', message: expect.stringMatching(/outside the store's folder/) } });
    expect((await verbs.log(f.ctx, {})).commits).toEqual([]);
  });

  it('a missing run folder is NOT_FOUND (exit 1)', async () => {
    const f = await fixture();
    const r = await cli(f.root, 'import', 'nowhere', '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stderr)).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it('Ctrl+C stops a running watch cleanly: a summary, exit 0, nothing left in staging', async () => {
    const f = await fixture();
    const run = path.join(f.root, 'run');
    await fs.mkdir(run);
    await fs.writeFile(path.join(run, 'step_1.safetensors'), versions(1, 6)[0]!);
    const entry = path.join(__dirname, '..', 'helpers', 'cli-entry.ts');
    // A real child process, so its signal handling is the shell's.
    const child = spawn(process.execPath, [...TSX_EXEC_ARGV, entry, 'watch', 'run', '--settle', '5'], { cwd: f.root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    const committed = new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); if (/^committed /m.test(stdout)) resolve(); });
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await committed;
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stdout).toMatch(/^committed step_1\.safetensors \(step 1\) as /m);
    expect(stdout).toMatch(/^Followed run \(plain\): 1 committed, .*stopped \(interrupted\)/m);
    expect(await fs.readdir(path.join(f.store.dir, 'staging'))).toEqual([]);
  }, 60_000);
});
