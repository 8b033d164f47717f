// The sample history: what a newcomer sees first must be a real, varied history.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDemoStore } from '../../src-main/core/ops/demo';
import { log, show } from '../../src-main/core/ops/inspect';
import { verify } from '../../src-main/core/ops/verify';
import { Store } from '../../src-main/core/store/store';
import { main } from '../../src-main/cli/main';
import { sha256Of, useScratch } from '../helpers/models';

const scratch = useScratch();

describe('createDemoStore', () => {
  it('makes ≥8 commits with a branch, CHECKPOINTs and DELTAs, changing and frozen tensors, and verifies clean', async () => {
    const dir = path.join(scratch(), 'sample');
    // How long it takes is measured by scripts/responsiveness.mjs (store.openSample), not bounded here.
    const res = await createDemoStore(dir);
    const store = await Store.open(res.root);
    const entries = await log(store);
    expect(entries.length).toBeGreaterThanOrEqual(8);
    expect(entries.map((e) => e.id).sort()).toEqual([...res.commits].sort());

    // A branch: some commit is the parent of two.
    const children = new Map<string, number>();
    for (const e of entries) if (e.parent) children.set(e.parent, (children.get(e.parent) ?? 0) + 1);
    expect([...children.values()].some((n) => n >= 2)).toBe(true);
    expect(entries.filter((e) => e.type === 'CHECKPOINT').length).toBeGreaterThanOrEqual(2);
    expect(entries.filter((e) => e.type === 'DELTA').length).toBeGreaterThanOrEqual(5);
    // The cleanup midway: some commits are rebuilt from deltas.
    expect(entries.some((e) => !e.hasFull && e.chainLength > 0)).toBe(true);
    expect(await store.readHead()).toBe(res.commits[res.commits.length - 1]);

    const newest = await show(store, 'HEAD');
    const tensors = newest.files[0]!.tensors;
    const changed = tensors.filter((t) => t.status === 'changed');
    const unchanged = tensors.filter((t) => t.status === 'unchanged');
    expect(changed.length).toBeGreaterThan(0);
    expect(unchanged.length).toBeGreaterThan(changed.length); // most tensors frozen
    expect(tensors.find((t) => t.name === 'train.step')).toMatchObject({ dtype: 'I64', status: 'changed' });
    expect(tensors.some((t) => /ln/.test(t.name))).toBe(true);
    // "A little": an optimizer step, not new weights.
    const fc = changed.find((t) => t.name === 'blocks.3.mlp.fc1.weight')!;
    expect(fc.relChange).toBeGreaterThan(0);
    expect(fc.relChange).toBeLessThan(0.1);
    const total = newest.logicalBytes;
    expect(total).toBeGreaterThan(5e6);
    expect(total).toBeLessThan(20e6);

    expect((await verify(store)).ok).toBe(true);
  });

  it('is deterministic (same model bytes every time) and refuses a folder with files in it', async () => {
    const a = await createDemoStore(path.join(scratch(), 'a'));
    const b = await createDemoStore(path.join(scratch(), 'b'));
    expect(await sha256Of(a.modelPath)).toBe(await sha256Of(b.modelPath));
    await expect(createDemoStore(a.root)).rejects.toMatchObject({ code: 'REFUSED', message: expect.stringMatching(/expected a missing or empty folder/) });
  });

  it('`weightline demo DIR` does the same from the CLI', async () => {
    const cwd = scratch();
    let stdout = '';
    const code = await main(['demo', 'sample', '--json'], { cwd, stdout: { write: (s: string) => { stdout += s; } }, stderr: { write: () => true } });
    expect(code).toBe(0);
    const out = JSON.parse(stdout) as { root: string; commits: string[] };
    expect(out.root).toBe(path.join(cwd, 'sample'));
    expect(out.commits.length).toBeGreaterThanOrEqual(8);
    await fs.access(path.join(cwd, 'sample', '.weightline', 'format.json'));
  });
});
