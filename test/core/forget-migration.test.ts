// Issue 21, "Migration of a store written by the current release, at every
// crash point of the migration" (docs/STORE-FORMAT.md, "Forget", "Format
// step"). A store written by the release before forget existed is format 1;
// its first forget makes it format 2 by one atomic replace of format.json
// (temp file, fsync, rename), before any route record. A crash can stop that
// replace before the temp file exists, with the temp file half or wholly
// written but not renamed, or after the rename; and a forget can be killed
// right after the step (pause point forget.planned). After each, the store
// opens, lists the same commits, and every version restores bit-exact
// (sha256 of the restored file against the sha256 the test computed itself
// when it committed). A reader that knows only format 1 (the release before
// the step, taken from git history) accepts 1 and refuses 2 with
// STORE_VERSION; the current reader refuses 3 naming the file and both
// versions it reads.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { symlinkSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TMP_PREFIX } from '../../src-main/core/base/fsutil';
import { cleanup } from '../../src-main/core/ops/cleanup';
import { commit } from '../../src-main/core/ops/commit';
import { forgetVersions } from '../../src-main/core/ops/forget';
import { log } from '../../src-main/core/ops/inspect';
import { restore } from '../../src-main/core/ops/restore';
import { listOperations } from '../../src-main/core/ops/undo';
import type { PausePoint } from '../../src-main/core/base/test-pause';
import { migrateForForget } from '../../src-main/core/store/routes';
import { formatFileContent, readFormatFile, STORE_FORMAT_FORGET } from '../../src-main/core/store/store-files';
import { Store } from '../../src-main/core/store/store';
import { gaussianF32, nudgeF32, rng, safetensorsBytes, useSuiteScratch, type TestTensor } from '../helpers/models';
import { pauses } from '../helpers/pause';
import { TSX_EXEC_ARGV } from '../helpers/tsx';

const repo = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const cliEntry = fileURLToPath(new URL('../helpers/cli-entry.ts', import.meta.url));

const tempDir = useSuiteScratch();

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

interface Built { readonly root: string; readonly truth: ReadonlyMap<string, string>; readonly ids: readonly string[] }

/**
 * A format-1 store as the current release writes it: two lines of history
 * (two model paths), CHECKPOINTs and DELTAs with steps and metrics, and a
 * cleanup, so some versions rebuild from deltas alone.
 */
async function buildV1Store(): Promise<Built> {
  const root = tempDir('wl-migrate-');
  await Store.init(root);
  const r = rng(21);
  let model: TestTensor[] = [
    { name: 'emb.weight', dtype: 'F32', shape: [300_000], data: gaussianF32(300_000, r) },
    { name: 'head.weight', dtype: 'F32', shape: [64, 32], data: gaussianF32(64 * 32, r) },
  ];
  const truth = new Map<string, string>();
  const ids: string[] = [];
  for (let k = 0; k < 6; k++) {
    if (k > 0) model = model.map((t) => ({ ...t, data: nudgeF32(t.data, r, 1e-3, k % 2 ? 1 : 0.05) }));
    const file = path.join(root, k < 4 ? 'model.safetensors' : 'other.safetensors');
    const bytes = safetensorsBytes(model);
    await fs.writeFile(file, bytes);
    const c = await commit(await Store.open(root), file, { message: `v${k}`, meta: { step: (k + 1) * 10, metrics: { eval_loss: 1 / (k + 1) } } });
    truth.set(c.id, sha(bytes));
    ids.push(c.id);
  }
  await cleanup(await Store.open(root));
  expect(await readFormatFile(path.join(root, '.weightline')), 'the current release writes format 1').toBe(1);
  return { root, truth, ids };
}

/** A copy of the store (each crash point starts from the same format-1 store). */
async function copyOf(b: Built): Promise<Built> {
  const root = tempDir('wl-migrate-copy-');
  await fs.cp(b.root, root, { recursive: true });
  return { ...b, root };
}

/** The store opens, lists every commit it had, and every version restores bit-exact. */
async function expectWhole(b: Built, what: string): Promise<void> {
  const store = await Store.open(b.root);
  const listed = (await log(store)).map((e) => e.id as string).sort();
  expect(listed, `${what}: log lists the same commits`).toEqual([...b.ids].sort());
  const out = tempDir('wl-migrate-out-');
  for (const id of b.ids) {
    const to = path.join(out, `${id}.safetensors`);
    await restore(await Store.open(b.root), id, { to, link: 'copy', force: true });
    expect(sha(await fs.readFile(to)), `${what}: ${id.slice(0, 12)} restores bit-exact`).toBe(b.truth.get(id));
  }
}

let built: Promise<Built> | null = null;
/** The format-1 store every case copies (built once, on first use). */
function v1Store(): Promise<Built> {
  built ??= buildV1Store();
  return built;
}

describe('format step of the first forget (1 → 2), at every crash point', () => {
  it('the current release writes a format-1 store, and every version of it restores', async () => {
    await expectWhole(await v1Store(), 'as written');
  });

  it('a crash before the temp file: format 1, every version restores, and the step then runs', async () => {
    const b = await copyOf(await v1Store());
    await expectWhole(b, 'before the temp file');
    expect(await readFormatFile(path.join(b.root, '.weightline'))).toBe(1);
    expect(await migrateForForget(path.join(b.root, '.weightline'))).toBe('migrated');
    expect(await readFormatFile(path.join(b.root, '.weightline'))).toBe(STORE_FORMAT_FORGET);
    await expectWhole(b, 'after the step');
  });

  for (const how of ['half', 'whole'] as const) {
    it(`a crash with the temp file ${how === 'half' ? 'half written' : 'written but not renamed'}: format 1, every version restores, the step runs again`, async () => {
      const b = await copyOf(await v1Store());
      const dir = path.join(b.root, '.weightline');
      const content = formatFileContent(STORE_FORMAT_FORGET);
      // writeFileAtomic's temp name for format.json (base/fsutil.ts tempPathFor), of a process that died.
      const tmp = path.join(dir, `${TMP_PREFIX}format.json-999999-0badcafe`);
      await fs.writeFile(tmp, how === 'half' ? content.slice(0, 20) : content);
      expect(await readFormatFile(dir), 'format.json itself is untouched').toBe(1);
      await expectWhole(b, `temp file ${how}`);
      expect(await migrateForForget(dir)).toBe('migrated');
      expect(await readFormatFile(dir)).toBe(STORE_FORMAT_FORGET);
      await expectWhole(b, `temp file ${how}, then the step`);
      // The dead process's temp file is never read as format.json; the next writer's sweep removes it.
      expect(await fs.readFile(path.join(dir, 'format.json'), 'utf8')).toBe(content);
      await cleanup(await Store.open(b.root));
      await expect(fs.access(tmp), 'the next writer swept the dead temp file').rejects.toMatchObject({ code: 'ENOENT' });
    });
  }

  it('a crash after the rename (before any route record): format 2, every version restores through its manifest, the step is a no-op', async () => {
    const b = await copyOf(await v1Store());
    const dir = path.join(b.root, '.weightline');
    await migrateForForget(dir);
    await expect(fs.readdir(path.join(dir, 'routes')), 'no route record yet').rejects.toMatchObject({ code: 'ENOENT' });
    await expectWhole(b, 'after the rename');
    expect(await migrateForForget(dir)).toBe('already');
    expect(await readFormatFile(dir)).toBe(STORE_FORMAT_FORGET);
  });

  it('a forget killed at forget.planned right after the step: the store opens, nothing is forgotten, every version restores; the forget then runs', async () => {
    const b = await copyOf(await v1Store());
    const dir = path.join(b.root, '.weightline');
    const p = await pauses('forget.planned' as PausePoint);
    try {
      const child = spawn(process.execPath, [...TSX_EXEC_ARGV, cliEntry, 'forget', '--keep-last', '1'], { cwd: b.root, env: { ...process.env, ...p.env }, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
      const exited = new Promise((resolve) => child.on('close', resolve));
      await p.reached('forget.planned' as PausePoint, exited).catch((e: Error) => { throw new Error(`${e.message}; stderr: ${stderr}`); });
      child.kill('SIGKILL');
      await exited;
    } finally {
      await p.dispose();
    }
    expect(await readFormatFile(dir), 'the step comes before the plan is recorded').toBe(STORE_FORMAT_FORGET);
    await expectWhole(b, 'forget killed at forget.planned');
    // The next forget recovers the planned one (rolled back) and runs.
    const plan = await forgetVersions(await Store.open(b.root), { policy: { keepLast: 1 }, dryRun: false });
    const kept = new Set(plan.commits.filter((c) => c.verdict === 'keep').map((c) => c.id as string));
    expect(plan.forgotten).toBeGreaterThan(0);
    // The killed forget's record is settled (rolled back: `undone`), never left `planned` beside the new one.
    const ops = (await listOperations(await Store.open(b.root))).ops;
    expect(ops.filter((o) => o.kind === 'forget').map((o) => o.state).sort()).toEqual(['done', 'undone']);
    const after: Built = { ...b, ids: b.ids.filter((id) => kept.has(id)) };
    await expectWhole(after, 'after the forget that followed');
  }, 120_000);
});

describe('who reads a migrated store', () => {
  it('the current reader refuses format 3 with STORE_VERSION, naming format.json and the versions it reads', async () => {
    const root = tempDir('wl-migrate-v3-');
    await Store.init(root);
    const file = path.join(root, '.weightline', 'format.json');
    await fs.writeFile(file, formatFileContent(3));
    const e = await Store.open(root).then(() => null, (x: unknown) => x as { code: string; message: string; file?: string });
    expect(e?.code).toBe('STORE_VERSION');
    expect(e?.message).toBe(`${file}: expected store format version 1 or 2, found 3; use a Weightline that reads that version`);
    expect(e?.file).toBe(file);
  });

  it('a reader that knows only format 1 (the release before the step, from git history) reads 1 and refuses 2 with STORE_VERSION', async (ctx) => {
    // The commit that introduced format 2; its parent is the last release that reads only 1.
    const intro = spawnSync('git', ['log', '--reverse', '--format=%H', '-S', 'STORE_FORMAT_FORGET', '--', 'src-main/core/store/store-files.ts'], { cwd: repo, encoding: 'utf8' });
    const first = intro.status === 0 ? intro.stdout.split('\n')[0]?.trim() : '';
    const old = first ? spawnSync('git', ['rev-parse', '--verify', '--quiet', `${first}^`], { cwd: repo, encoding: 'utf8' }).stdout.trim() : '';
    if (!old) {
      ctx.skip('no git history here (a shallow clone or an export): the release before format 2 cannot be checked out');
      return;
    }
    const oldTree = tempDir('wl-old-reader-');
    const archive = spawnSync('sh', ['-c', `git archive ${old} src-main src-shared | tar -x -C "${oldTree}"`], { cwd: repo, encoding: 'utf8' });
    expect(archive.status, archive.stderr).toBe(0);
    symlinkSync(path.join(repo, 'node_modules'), path.join(oldTree, 'node_modules'));
    const probe = path.join(oldTree, 'probe.mts');
    await fs.writeFile(probe, [
      "import { Store } from './src-main/core/store/store.ts';",
      'try { await Store.open(process.argv[2]!); console.log(JSON.stringify({ ok: true })); }',
      'catch (e) { const x = e as { code?: string; message?: string }; console.log(JSON.stringify({ ok: false, code: x.code, message: x.message })); }',
    ].join('\n'));
    const b = await copyOf(await v1Store());
    const read = (): { ok: boolean; code?: string; message?: string } => {
      const r = spawnSync(process.execPath, [...TSX_EXEC_ARGV, probe, b.root], { cwd: oldTree, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout.trim().split('\n').pop()!) as { ok: boolean; code?: string; message?: string };
    };
    expect(read(), 'the old reader opens a format-1 store').toEqual({ ok: true });
    await migrateForForget(path.join(b.root, '.weightline'));
    const refused = read();
    expect(refused.code, `the old reader on a format-2 store: ${refused.message}`).toBe('STORE_VERSION');
    expect(refused.message).toMatch(/found 2/);
  }, 120_000);
});
