import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src-main/cli/main';
import { gaussianF32, nudgeF32, rng, sha256Of, useScratch, writeSafetensors } from '../helpers/models';

const scratch = useScratch();

async function run(cwd: string, ...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '', stderr = '';
  const code = await main(argv, { cwd, stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } });
  return { code, stdout, stderr };
}

async function twoEpochs(): Promise<{ dir: string; file: string }> {
  const dir = scratch();
  const file = path.join(dir, 'checkpoints', 'model.safetensors');
  const w = gaussianF32(4096, rng(1));
  await writeSafetensors(file, [{ name: 'w', dtype: 'F32', shape: [64, 64], data: w }]);
  expect((await run(dir, 'init')).code).toBe(0);
  expect((await run(dir, 'commit', 'checkpoints/model.safetensors', '-m', 'epoch 1')).code).toBe(0);
  await writeSafetensors(file, [{ name: 'w', dtype: 'F32', shape: [64, 64], data: nudgeF32(w, rng(2)) }]);
  expect((await run(dir, 'commit', 'checkpoints/model.safetensors', '-m', 'epoch 2')).code).toBe(0);
  return { dir, file };
}

describe('weightline CLI', () => {
  it('commit --json prints id, type and parent', async () => {
    const dir = scratch();
    await writeSafetensors(path.join(dir, 'm.safetensors'), [{ name: 'w', dtype: 'F32', shape: [4], data: gaussianF32(4, rng(3)) }]);
    await run(dir, 'init');
    const r = await run(dir, 'commit', 'm.safetensors', '-m', 'first', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { id: string; type: string; parent: null };
    expect(j.id).toMatch(/^[0-9a-f]{64}$/);
    expect(j.type).toBe('CHECKPOINT');
    expect(j.parent).toBeNull();
  });

  it('log --json lists commits newest first with the pinned fields', async () => {
    const { dir } = await twoEpochs();
    const r = await run(dir, 'log', '--json');
    const entries = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(entries.map((e) => e.message)).toEqual(['epoch 2', 'epoch 1']);
    for (const e of entries) {
      for (const k of ['id', 'parent', 'type', 'message', 'createdAt', 'logicalBytes', 'fullBytes', 'deltaBytes']) expect(e).toHaveProperty(k);
    }
    expect(entries[0]!.type).toBe('DELTA');
    expect(entries[0]!.parent).toBe(entries[1]!.id);
  });

  it('show --json adds files with tensors; diff prints change figures', async () => {
    const { dir } = await twoEpochs();
    const s = JSON.parse((await run(dir, 'show', 'HEAD', '--json')).stdout) as { files: Array<{ path: string; bytes: number; sha256: string; format: string; tensors: Array<Record<string, unknown>> }> };
    expect(s.files[0]).toMatchObject({ path: 'model.safetensors', format: 'safetensors' });
    expect(s.files[0]!.tensors[0]).toMatchObject({ name: 'w', dtype: 'F32', shape: [64, 64], status: 'changed' });
    expect(s.files[0]!.tensors[0]!.relChange).toBeGreaterThan(0);
    const d = await run(dir, 'diff', 'HEAD~1', 'HEAD');
    expect(d.code).toBe(0);
    expect(d.stdout).toMatch(/w\s+F32\s+\[64,64\]\s+changed/);
  });

  it('restore puts the version back at its own path or elsewhere; status reports dirty', async () => {
    const { dir, file } = await twoEpochs();
    const head = await sha256Of(file);
    expect((await run(dir, 'restore', 'HEAD~1')).code).toBe(0);
    const older = await sha256Of(file);
    expect(older).not.toBe(head);
    const st = JSON.parse((await run(dir, 'status', '--json')).stdout) as Record<string, unknown>;
    expect(st).toMatchObject({ dirty: false });
    expect(Object.keys(st)).toEqual(expect.arrayContaining(['head', 'storeBytes', 'logicalBytes', 'dirty']));
    const id = (JSON.parse((await run(dir, 'log', '--json')).stdout) as Array<{ id: string }>)[0]!.id;
    expect((await run(dir, 'restore', id.slice(0, 4), '--to', path.join(dir, 'old'))).code).toBe(0);
    expect(await sha256Of(path.join(dir, 'old'))).toBe(head);
    await fs.appendFile(file, 'x');
    expect((JSON.parse((await run(dir, 'status', '--json')).stdout) as { dirty: boolean }).dirty).toBe(true);
    const refused = await run(dir, 'restore', 'HEAD');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^weightline: error: .*model\.safetensors.*commit/);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('-C runs in another folder; the store is found above the working folder', async () => {
    const { dir } = await twoEpochs();
    const sub = path.join(dir, 'checkpoints');
    expect(JSON.parse((await run(sub, 'log', '--json')).stdout)).toHaveLength(2);
    expect(JSON.parse((await run('/', '-C', dir, 'log', '--json')).stdout)).toHaveLength(2);
  });

  it('exit 1 with one line for errors, 2 for bad usage', async () => {
    const dir = scratch();
    const notStore = await run(dir, 'log');
    expect(notStore.code).toBe(1);
    expect(notStore.stderr).toMatch(/^weightline: error: .*not a Weightline store|no \.weightline/);
    expect((await run(dir, 'frobnicate')).code).toBe(2);
    expect((await run(dir, 'commit')).code).toBe(2);
    await run(dir, 'init');
    expect((await run(dir, 'commit', 'missing.safetensors')).stderr).toMatch(/^weightline: error: .*missing\.safetensors.*no such file/);
    expect((await run(dir, 'show', 'zz')).code).toBe(2);
  });

  it('--help works on each command', async () => {
    for (const cmd of ['init', 'commit', 'log', 'show', 'diff', 'restore', 'status']) {
      const r = await run(scratch(), cmd, '--help');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`weightline ${cmd}`);
    }
  });
});
