// What commit, status, show and diff say is true: autoCleanup's work is
// reported, status quotes the store's own keepFullLatest and offers a cleanup
// only when there is something to free, packed is "packed", and diff and show
// take the defaults git users expect.
import * as fs from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { main } from '../../src-main/cli/main';
import { cleanup, cleanupPlan } from '../../src-main/core/ops/cleanup';
import { commit } from '../../src-main/core/ops/commit';
import { diff, show, status } from '../../src-main/core/ops/inspect';
import { restore } from '../../src-main/core/ops/restore';
import { makeHistory } from '../helpers/history';
import { nudgeF32, rng, useScratch, writeSafetensors } from '../helpers/models';

const scratch = useScratch();
const small = { big: 20_000, small: 256 };

async function cli(cwd: string, ...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '', stderr = '';
  const code = await main(argv, { cwd, stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } });
  return { code, stdout, stderr };
}

describe('commit reports what autoCleanup did', () => {
  it('with autoCleanup on, the result says what it freed and the CLI no longer says "kept until a cleanup"', async () => {
    const h = await makeHistory(scratch(), 4, small);
    await h.store.updateConfig({ autoCleanup: true });
    const model = h.model.map((t) => ({ ...t, data: nudgeF32(t.data, rng(9)) }));
    await writeSafetensors(h.file, model);
    const res = await commit(h.store, h.file, { message: 'epoch 4' });
    expect(res.autoCleanup).toBeDefined();
    expect(res.autoCleanup!.bytesFreed).toBeGreaterThan(0);
    expect(res.autoCleanup!.commits).toContain(h.ids[2]);
    // The CLI says it.
    await writeSafetensors(h.file, model.map((t) => ({ ...t, data: nudgeF32(t.data, rng(10)) })));
    const r = await cli(h.root, 'commit', 'ckpt.safetensors', '-m', 'epoch 5');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/autoCleanup: freed \d/);
    expect(r.stdout).not.toContain('until a cleanup');
  });

  it('with autoCleanup off, there is no report and the raw copy is kept until a cleanup', async () => {
    const h = await makeHistory(scratch(), 2, small);
    await writeSafetensors(h.file, h.model.map((t) => ({ ...t, data: nudgeF32(t.data, rng(11)) })));
    const r = await cli(h.root, 'commit', 'ckpt.safetensors', '-m', 'more', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).autoCleanup).toBeUndefined();
    await writeSafetensors(h.file, h.model.map((t) => ({ ...t, data: nudgeF32(t.data, rng(12)) })));
    expect((await cli(h.root, 'commit', 'ckpt.safetensors', '-m', 'again')).stdout).toContain('kept until a cleanup');
  });
});

describe('status says what a cleanup at the real setting would do', () => {
  it('quotes keepFullLatest as set, agrees with the cleanup plan, and after a cleanup offers none', async () => {
    const h = await makeHistory(scratch(), 6, small);
    await h.store.updateConfig({ keepFullLatest: 3 });
    const before = await status(h.store);
    const plan = await cleanupPlan(h.store);
    expect(before.cleanup).toMatchObject({ keepFullLatest: 3, commits: plan.commits.length });
    expect(before.cleanup!.bytesFreeable).toBe(plan.bytesFreed);
    expect(before.cleanup!.bytesFreeable).toBeGreaterThan(0);
    const text = (await cli(h.root, 'status')).stdout;
    expect(text).toContain('cleanup at keepFullLatest 3 would free');
    expect(text).not.toContain('keepFullLatest 1');

    await cleanup(h.store);
    const after = await status(h.store);
    expect(after.cleanup).toMatchObject({ bytesFreeable: 0, commits: 0, checkpointsToPack: 0 });
    expect((await cleanupPlan(h.store)).bytesFreed).toBe(0);
    const r = await cli(h.root, 'status');
    expect(r.stdout).not.toContain('cleanup --dry-run');
    expect(r.stdout).toContain('frees nothing');
  });
});

describe('packed is "packed", and git-style defaults', () => {
  it('show and log call a packed CHECKPOINT packed', async () => {
    const h = await makeHistory(scratch(), 6, { ...small, checkpointEvery: 2 });
    await cleanup(h.store);
    const s = await show(h.store, h.ids[0]!);
    expect(s.packed).toBe(true);
    const out = (await cli(h.root, 'show', h.ids[0]!)).stdout;
    expect(out).toMatch(/on disk: packed \d/);
    expect(out).not.toMatch(/on disk: full /);
  });

  it('show with no ref is HEAD', async () => {
    const h = await makeHistory(scratch(), 2, small);
    expect((await show(h.store)).id).toBe(h.ids[1]);
    const r = await cli(h.root, 'show');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`commit ${h.ids[1]}  (HEAD)`);
  });

  it('diff with one commit compares it with the working copy, tensor by tensor', async () => {
    const h = await makeHistory(scratch(), 2, small);
    const same = await diff(h.store, 'HEAD');
    expect(same).toMatchObject({ from: h.ids[1], to: 'WORKING' });
    expect(same.files.map((f) => f.status)).toEqual(['unchanged']);
    const changed = h.model.map((t) => (t.name === 'small' ? { ...t, data: nudgeF32(t.data, rng(3), 1e-3, 1) } : t));
    await writeSafetensors(h.file, changed);
    const d = await diff(h.store, 'HEAD');
    expect(d.files.map((f) => f.status)).toEqual(['changed']);
    const byName = new Map(d.files[0]!.tensors.map((t) => [t.name, t]));
    expect(byName.get('small')!.status).toBe('changed');
    expect(byName.get('big')!.status).toBe('unchanged');
    // Against the older commit, the big tensor differs too.
    const older = await diff(h.store, h.ids[0]!);
    expect(new Map(older.files[0]!.tensors.map((t) => [t.name, t.status])).get('big')).toBe('changed');
    const r = await cli(h.root, 'diff', 'HEAD');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`diff ${h.ids[1]!.slice(0, 12)} → working copy`);
    // Nothing there: a clear NOT_FOUND that says how to put it back.
    await fs.rm(h.file);
    await expect(diff(h.store, 'HEAD')).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('weightline restore') });
    await restore(h.store, 'HEAD');
    expect((await diff(h.store, 'HEAD')).files.map((f) => f.status)).toEqual(['unchanged']);
  });
});
