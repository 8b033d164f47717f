// `weightline forget`: flags in restic's words, --dry-run equal to the run to
// the byte, human and JSON output, --save / --clear-policy, usage errors; and
// a CLI killed (SIGKILL) at each pause point of a forget: every kept version
// still restores bit-exact, and the forgotten ones are all still there or in
// the trash.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { forgetVersions } from '../../src-main/core/ops/forget';
import { restore } from '../../src-main/core/ops/restore';
import { listOps } from '../../src-main/core/store/trash';
import { Store } from '../../src-main/core/store/store';
import type { PausePoint } from '../../src-main/core/base/test-pause';
import type { ForgetPlan } from '../../src-shared/model';
import { cliOk as ok, cliRun as run } from '../helpers/cli';
import { gaussianF32, nudgeF32, rng, sha256Of, useScratch, writeSafetensors } from '../helpers/models';
import { pauses } from '../helpers/pause';
import { TSX_EXEC_ARGV } from '../helpers/tsx';

const scratch = useScratch();
const entry = fileURLToPath(new URL('../helpers/cli-entry.ts', import.meta.url));

/** n checkpoints committed by the CLI with --step and --metric eval_loss; ids and sha256s oldest first. */
async function history(n: number, losses?: readonly number[]): Promise<{ dir: string; ids: string[]; shas: string[] }> {
  const dir = scratch();
  const file = path.join(dir, 'model.safetensors');
  const r = rng(5);
  let body = gaussianF32(200_000, r);
  let head = gaussianF32(4096, r);
  await ok(dir, 'init');
  const ids: string[] = [];
  const shas: string[] = [];
  for (let i = 0; i < n; i++) {
    await writeSafetensors(file, [{ name: 'body', dtype: 'F32', shape: [200_000], data: body }, { name: 'head', dtype: 'F32', shape: [4096], data: head }]);
    const loss = losses?.[i] ?? 1 / (i + 1) + (i % 3) * 0.05;
    ids.push((await ok<{ id: string }>(dir, 'commit', 'model.safetensors', '-m', `step ${i * 10}`, '--step', String(i * 10), '--metric', `eval_loss=${loss}`, '--json')).id);
    shas.push(await sha256Of(file));
    body = nudgeF32(body, r, 1e-3, 1);
    head = nudgeF32(head, r, 1e-3, 1);
  }
  return { dir, ids, shas };
}

function jsonError(r: { stderr: string }): { code: string; message: string } {
  return (JSON.parse(r.stderr.trim().split('\n').pop()!) as { error: { code: string; message: string } }).error;
}

/** Every listed version restores to a temp file with its committed sha256. */
async function restoresBitExact(dir: string, ids: readonly string[], shas: readonly string[], which: readonly number[]): Promise<void> {
  const store = await Store.open(dir);
  for (const i of which) {
    const to = path.join(dir, 'check', `${i}.safetensors`);
    await restore(store, ids[i]!, { to, link: 'copy' });
    expect(await sha256Of(to), `version ${i}`).toBe(shas[i]);
    await fs.rm(to);
  }
}

describe('weightline forget', () => {
  it('--dry-run --json is the run to the byte; the run lists each commit, re-based ones, exact totals and the trash', async () => {
    const { dir, ids, shas } = await history(8);
    const flags = ['--keep-last', '2', '--keep-best', '1:eval_loss:min', '--keep-every', '30'];
    const preview = await ok<ForgetPlan>(dir, 'forget', ...flags, '--dry-run', '--json');
    expect(preview).toMatchObject({ dryRun: true, policy: '--keep-last 2 --keep-best 1:eval_loss:min --keep-every 30' });
    expect((await ok<unknown[]>(dir, 'log', '--json')).length).toBe(8);
    const kept = preview.commits.filter((c) => c.verdict === 'keep').map((c) => ids.indexOf(c.id)).sort();
    // steps 0..70: every 30 keeps 30 and 60; newest 2 are 6 and 7; the lowest eval_loss (1/7 + 0) is 6.
    expect(kept).toEqual([3, 6, 7]);

    const text = await ok(dir, 'forget', ...flags);
    expect(text).toContain(`${ids[6]!.slice(0, 12)}  kept: newest 2 (#2), best 1 by eval_loss (#1, ${1 / 7}), every 30 steps; re-based onto ${ids[3]!.slice(0, 12)}, `);
    expect(text).toContain(`${ids[3]!.slice(0, 12)}  kept: every 30 steps; stored whole as a CHECKPOINT (no kept ancestor)`);
    expect(text).toContain(`${ids[0]!.slice(0, 12)}  forgotten`);
    expect(text).toContain(`Forgot 5 of 8 version(s): `);
    expect(text).toContain(`(${preview.bytesFreed.toLocaleString('en-US')} bytes) freed once the trash is emptied`);
    expect(text).toMatch(/5 version\(s\) go to the trash until \d{4}-\d\d-\d\d \(`weightline undo` puts them back\)/);
    const logged = await ok<Array<{ id: string; forgottenBefore?: number }>>(dir, 'log', '--json');
    expect(logged.map((e) => e.id).sort()).toEqual([ids[3], ids[6], ids[7]].sort());
    expect(logged.find((e) => e.id === ids[6])!.forgottenBefore).toBe(2);
    expect(await ok(dir, 'log')).toContain('2 forgotten before it');
    await restoresBitExact(dir, ids, shas, kept);
    // The op record carries the preview's figure.
    const [op] = await listOps(await Store.open(dir));
    expect(op).toMatchObject({ kind: 'forget', state: 'done', bytes: preview.bytesFreed });
  }, 120_000);

  it('refs and ranges: forget A..B and a tag by name; protected ones named stay with their reason', async () => {
    const { dir, ids, shas } = await history(7);
    await ok(dir, 'tag', 'keepme', ids[3]!);
    const plan = await ok<ForgetPlan>(dir, 'forget', `${ids[0]!.slice(0, 8)}..${ids[4]!.slice(0, 8)}`, '--json');
    expect(plan.policy).toBe(`${ids[0]!.slice(0, 8)}..${ids[4]!.slice(0, 8)}`);
    expect(plan.commits.filter((c) => c.verdict === 'forget').map((c) => ids.indexOf(c.id)).sort()).toEqual([1, 2, 4]);
    expect(plan.commits.find((c) => c.id === ids[3])!.reasons).toEqual(['tag keepme']);
    expect(plan.commits.find((c) => c.id === ids[3])!.rebasedOnto).toBe(ids[0]);
    await restoresBitExact(dir, ids, shas, [0, 3, 5, 6]);
    const head = await run(dir, 'forget', 'HEAD', '--json');
    expect(head.code).toBe(0);
    expect((JSON.parse(head.stdout) as ForgetPlan)).toMatchObject({ forgotten: 0 });
    expect((JSON.parse(head.stdout) as ForgetPlan).commits.find((c) => c.id === ids[6])!.reasons).toEqual(expect.arrayContaining(['HEAD', 'branch tip']));
  }, 120_000);

  it('--save stores the policy a bare forget applies; --clear-policy removes it; usage errors exit 2', async () => {
    const { dir } = await history(5);
    const bare = await run(dir, 'forget', '--json');
    expect(bare.code).toBe(2);
    expect(jsonError(bare)).toMatchObject({ code: 'BAD_USAGE', message: expect.stringContaining('--keep-last') });
    const saved = await ok(dir, 'forget', '--keep-last', '3', '--save', '--dry-run');
    expect(saved).toContain('Stored the retention policy: --keep-last 3');
    expect(saved).toContain('Forget preview (nothing was changed)');
    expect((await ok<unknown[]>(dir, 'log', '--json')).length).toBe(5);
    const applied = await ok<ForgetPlan>(dir, 'forget', '--json');
    expect(applied).toMatchObject({ policy: '--keep-last 3', forgotten: 2, kept: 3 });
    expect(await ok(dir, 'forget', '--clear-policy')).toContain('Removed the stored retention policy');
    expect((await run(dir, 'forget')).code).toBe(2);

    const usage = async (...args: string[]): Promise<string> => {
      const r = await run(dir, 'forget', ...args, '--json');
      expect(r.code, args.join(' ')).toBe(2);
      return jsonError(r).message;
    };
    expect(await usage('--keep-within', 'soon')).toContain('--keep-within takes a duration');
    expect(await usage('--keep-last', '0')).toContain('--keep-last takes a whole number');
    expect(await usage('--keep-best', '3')).toContain('--keep-best takes N:METRIC');
    expect(await usage('--keep-last', '2', 'HEAD~1')).toContain('not both');
    expect(await usage('--save')).toContain('none was given');
    expect(await usage('--clear-policy', '--keep-last', '2')).toContain('takes nothing else');
  }, 120_000);
});

interface Exit { readonly code: number | null; readonly signal: NodeJS.Signals | null; readonly stderr: string }

function startCli(cwd: string, args: string[], env: Record<string, string>): { child: ChildProcess; exit: Promise<Exit> } {
  const child = spawn(process.execPath, [...TSX_EXEC_ARGV, entry, ...args], { cwd, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<Exit>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
  return { child, exit };
}

describe('forget killed at each pause point', () => {
  it.each<PausePoint>(['forget.planned', 'forget.routes-written', 'forget.moving'])('SIGKILL at %s: every kept version restores bit-exact; the forgotten are all there or in the trash', async (point) => {
    const { dir, ids, shas } = await history(6);
    const store = await Store.open(dir);
    const plan = await forgetVersions(store, { policy: { keepLast: 2, keepBest: [{ count: 1, metric: 'eval_loss', direction: 'min' }] }, dryRun: true });
    const kept = plan.commits.filter((c) => c.verdict === 'keep').map((c) => ids.indexOf(c.id));
    const forgotten = plan.commits.filter((c) => c.verdict === 'forget').map((c) => c.id);
    expect(forgotten.length).toBeGreaterThan(0);
    const p = await pauses(point);
    try {
      const { child, exit } = startCli(dir, ['forget', '--keep-last', '2', '--keep-best', '1:eval_loss:min'], p.env);
      await p.reached(point, exit);
      child.kill('SIGKILL');
      const res = await exit;
      expect(res.signal, res.stderr).toBe('SIGKILL');
    } finally {
      await p.dispose();
    }
    await restoresBitExact(dir, ids, shas, kept);
    const ops = await listOps(store);
    expect(ops).toHaveLength(1);
    expect(ops[0]!.state).toBe(point === 'forget.moving' ? 'moving' : 'planned');
    const present = new Set(await store.listCommitIds());
    for (const id of forgotten) {
      const trashed = await fs.stat(path.join(store.dir, 'trash', ops[0]!.id, 'commits', `${id}.json`)).then(() => true, () => false);
      expect(present.has(id) || trashed, `${id.slice(0, 12)} is in the store or the trash`).toBe(true);
    }
    // Killed before any commit moved: the forgotten versions are all still whole.
    expect(forgotten.every((id) => present.has(id))).toBe(true);
    await restoresBitExact(dir, ids, shas, forgotten.map((id) => ids.indexOf(id)));

    // A preview would plan on what the next writer changes: it refuses, naming the operation.
    const preview = await run(dir, 'forget', '--keep-last', '2', '--dry-run', '--json');
    expect(preview.code).toBe(1);
    expect(jsonError(preview)).toMatchObject({ code: 'REFUSED', message: expect.stringContaining(ops[0]!.id) });

    // The next writer finishes it: rolled back before the proof (nothing to undo), rolled forward after it (undo puts it back).
    const undo = await run(dir, 'undo', '--json');
    if (point === 'forget.moving') {
      expect(undo.code, undo.stderr).toBe(0);
      expect([...(JSON.parse(undo.stdout) as { restored: string[] }).restored].sort()).toEqual([...forgotten].sort());
    } else {
      expect(undo.code, undo.stderr).toBe(1);
      const settled = await listOps(store);
      expect(settled.map((o) => [o.kind, o.state])).toEqual([['forget', 'undone']]);
    }
    expect([...(await store.listCommitIds())].sort()).toEqual([...ids].sort());
    expect(await fs.readdir(path.join(store.dir, 'routes')).catch(() => [])).toEqual([]);
    await restoresBitExact(dir, ids, shas, ids.map((_, i) => i));
    const v = await ok<{ ok: boolean }>(dir, 'verify', '--json');
    expect(v.ok).toBe(true);
    // And a forget after it runs whole.
    const again = await ok<ForgetPlan>(dir, 'forget', '--keep-last', '2', '--keep-best', '1:eval_loss:min', '--json');
    expect(again.bytesFreed).toBe(plan.bytesFreed);
    await restoresBitExact(dir, ids, shas, kept);
  }, 120_000);

  it.each<{ point: PausePoint; finishes: boolean }>([
    { point: 'forget.routes-written', finishes: false },
    { point: 'forget.moving', finishes: true },
  ])('Ctrl+C at $point: before the proof the forget is put back (exit 130), after it the forget finishes (exit 0)', async ({ point, finishes }) => {
    const { dir, ids, shas } = await history(5);
    const store = await Store.open(dir);
    const p = await pauses(point);
    let res: Exit;
    try {
      const { child, exit } = startCli(dir, ['forget', ids[2]!], p.env);
      await p.reached(point, exit);
      child.kill('SIGINT');
      res = await exit;
    } finally {
      await p.dispose();
    }
    const [op] = await listOps(store);
    if (finishes) {
      expect(res.code, res.stderr).toBe(0);
      expect(res.stderr).toContain('already finished; its result stands');
      expect(op!.state).toBe('done');
      expect(await store.listCommitIds()).not.toContain(ids[2]);
      await restoresBitExact(dir, ids, shas, [0, 1, 3, 4]);
    } else {
      expect(res.code, res.stderr).toBe(130);
      expect(res.stderr).toContain('nothing was changed');
      expect(op!.state).toBe('undone');
      expect([...(await store.listCommitIds())].sort()).toEqual([...ids].sort());
      expect(await fs.readdir(path.join(store.dir, 'routes'))).toEqual([]);
      await restoresBitExact(dir, ids, shas, [0, 1, 2, 3, 4]);
    }
    await expect(fs.lstat(path.join(store.dir, 'lock'))).rejects.toMatchObject({ code: 'ENOENT' });
  }, 120_000);
});
