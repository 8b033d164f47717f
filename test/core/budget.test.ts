// The disk budget (docs/STORE-FORMAT.md, "Disk budget"): maxStoreBytes and
// minFreeBytes are checked before a commit writes a byte; a commit that would
// break them is refused with OVER_BUDGET, the store byte for byte as before,
// naming the setting, the figures and the forget that would make room; watch
// and import stop on such a refusal with the reason instead of looping.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { commit } from '../../src-main/core/ops/commit';
import { ensureBudget, setBudgetProbe, type BudgetActions } from '../../src-main/core/ops/budget';
import { log, storeBytes, storeBytesWalk } from '../../src-main/core/ops/inspect';
import { Store } from '../../src-main/core/store/store';
import { forgetVersions } from '../../src-main/core/ops/forget';
import { listOps, trashBytes, trashDir, writeOp } from '../../src-main/core/store/trash';
import { listOperations } from '../../src-main/core/ops/undo';
import { verbs } from '../../src-main/core/verbs';
import { DEFAULT_SETTINGS } from '../../src-shared/policy/settings';
import type { CommitResult, ForgetPlan } from '../../src-shared/model';
import { cliRun } from '../helpers/cli';
import { gaussianF32, nudgeF32, rng, safetensorsBytes, snapshotTree, useScratch, type TestTensor } from '../helpers/models';

const scratch = useScratch();
let restoreProbe: (() => void) | null = null;
afterEach(() => { restoreProbe?.(); restoreProbe = null; });

function versions(n: number, seed: number, size = 50_000): Buffer[] {
  const r = rng(seed);
  let tensors: TestTensor[] = [{ name: 'w', dtype: 'F32', shape: [size], data: gaussianF32(size, r) }];
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    if (i > 0) tensors = tensors.map((t) => ({ ...t, data: nudgeF32(t.data, r, 1e-3, 0.1) }));
    out.push(safetensorsBytes(tensors));
  }
  return out;
}

async function storeWith(n: number): Promise<{ root: string; store: Store; file: string; models: Buffer[] }> {
  const root = scratch();
  const store = await Store.init(root);
  const file = path.join(root, 'model.safetensors');
  const models = versions(n + 1, 7);
  for (let i = 0; i < n; i++) {
    await fs.writeFile(file, models[i]!);
    await commit(store, file, { message: `v${i}` });
  }
  await fs.writeFile(file, models[n]!);
  return { root, store, file, models };
}

/** What the commit of `file` may add, as the budget counts it: read back from a refusal with a budget of 1 byte. */
async function commitNeedOf(store: Store, file: string): Promise<number> {
  const saved = await store.readConfig();
  await store.updateConfig({ maxStoreBytes: 1 });
  const err = await commit(store, file, { message: 'probe' }).then(() => null, (e: unknown) => e as Error);
  await store.updateConfig({ maxStoreBytes: saved.maxStoreBytes });
  const m = /this commit may add up to ([\d.]+) (B|KB|MB|GB)/u.exec(err?.message ?? '');
  if (!m) throw new Error(`expected a refusal saying what the commit may add, got ${err?.message ?? 'none'}`);
  // Shown with one decimal: up to half a unit more, so the budget set from it is never too small.
  const unit = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9 }[m[2] as 'B'];
  return Math.ceil((Number(m[1]) + 0.05) * unit);
}

describe('disk budget', () => {
  it('refuses a commit past maxStoreBytes before writing anything, naming the setting, the figures and a forget that makes room', async () => {
    const { root, store, file } = await storeWith(3);
    const before = await storeBytesWalk(store);
    const tree = await snapshotTree(store.dir);
    const head = await store.readHead();
    // Room for less than one more full copy of the model.
    await store.updateConfig({ maxStoreBytes: before + 1000 });
    const treeWithConfig = await snapshotTree(store.dir);
    const err = await commit(store, file, { message: 'over' }).then(() => null, (e: unknown) => e as Error & { code: string });
    expect(err?.code).toBe('OVER_BUDGET');
    expect(err!.message).toContain('maxStoreBytes');
    expect(err!.message).toContain('nothing was written');
    expect(err!.message).toMatch(/`weightline forget --keep-last \d+ --dry-run`/u);
    expect(err!.message).toContain('weightline config maxStoreBytes');
    // Byte for byte as before (the config change aside).
    expect(await storeBytesWalk(store)).toBe(before + (treeWithConfig['config.json']! - (tree['config.json'] ?? 0)));
    expect(await snapshotTree(store.dir)).toEqual(treeWithConfig);
    expect(await store.readHead()).toBe(head);
    expect(await store.listCommitIds()).toHaveLength(3);

    // The CLI says it the same way, exit 1.
    const r = await cliRun(root, 'commit', file, '-m', 'over');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('maxStoreBytes');
    expect(await snapshotTree(store.dir)).toEqual(treeWithConfig);

    // A budget that holds the commit lets it through, with nothing to report.
    await store.updateConfig({ maxStoreBytes: before * 4 });
    const ok = await commit(store, file, { message: 'fits' });
    expect(ok.budget).toBeUndefined();
    expect(await storeBytes(store)).toBeLessThanOrEqual(before * 4);
  });

  it('counts what a commit may add, not more: an unchanged model (known from the stat cache) needs only its manifest', async () => {
    const { store, file } = await storeWith(2);
    await commit(store, file, { message: 'v2' });
    const now = await storeBytesWalk(store);
    // No room for another copy of the model, but room for a manifest: an unchanged file's commit fits.
    await store.updateConfig({ maxStoreBytes: now + 200_000 });
    const same = await commit(store, file, { message: 'same', skipUnchanged: true });
    expect(same.unchanged).toBe(true);
    expect(same.budget).toBeUndefined();
  });

  it('refuses by minFreeBytes on a nearly full disk (statfs faked), and passes with room', async () => {
    const { store, file } = await storeWith(2);
    let free = 1_000_000;
    restoreProbe = setBudgetProbe({ freeBytes: async () => free });
    await store.updateConfig({ minFreeBytes: 900_000 });
    const before = await snapshotTree(store.dir);
    const err = await commit(store, file, { message: 'x' }).then(() => null, (e: unknown) => e as Error & { code: string });
    expect(err?.code).toBe('OVER_BUDGET');
    expect(err!.message).toContain('minFreeBytes');
    expect(err!.message).toContain('the disk has 1.0 MB free');
    expect(await snapshotTree(store.dir)).toEqual(before);
    free = 100_000_000;
    const ok = await commit(store, file, { message: 'x' });
    expect(ok.budget).toBeUndefined();
  });

  it('empties the trash first, oldest first, only as much as needed; refuses untouched when the trash is not enough; forgets by the stored policy only with autoForget (engines injected)', async () => {
    // The engines are trash-undo's and forget-core's; here they act on real trash folders and record their calls, so the order and the amounts are seen.
    const { store } = await storeWith(2);
    const calls: string[] = [];
    const chunk = Buffer.alloc(300_000, 1);
    const ops = ['20260101T000000000Z-00000001', '20260102T000000000Z-00000002'];
    for (const id of ops) {
      await writeOp(store, { version: 1, id, kind: 'forget', startedAt: '2026-01-01T00:00:00Z', state: 'done', summary: 'test', commits: [], bytes: chunk.length, moves: [], rebased: {}, created: [] });
      await fs.mkdir(trashDir(store, id), { recursive: true });
      await fs.writeFile(path.join(trashDir(store, id), 'x'), chunk);
    }
    const actions: BudgetActions = {
      async purgeTrash(s, bytes) {
        calls.push(`purge ${bytes}`);
        let freed = 0;
        let n = 0;
        for (const op of await listOps(s)) {
          if (freed >= bytes || op.purgedAt) continue;
          await fs.rm(trashDir(s, op.id), { recursive: true });
          await writeOp(s, { ...op, purgedAt: new Date().toISOString(), purgeReason: 'test' });
          freed += chunk.length;
          n++;
        }
        return { operations: n, bytesFreed: freed };
      },
      async forget() {
        calls.push('forget');
        return { forgotten: 0, kept: 2, commits: [], bytesRemoved: 0, bytesAdded: 0, bytesFreed: 0, storeBytesBefore: 0, storeBytesAfter: 0, policy: '', dryRun: false } satisfies ForgetPlan;
      },
    };
    const size = await storeBytes(store);
    const config = { ...DEFAULT_SETTINGS, maxStoreBytes: size + 100_000 };
    // Short by more than the whole trash, no autoForget: refused, the trash left for undo.
    await expect(ensureBudget(store, config, 800_000, { actions })).rejects.toMatchObject({ code: 'OVER_BUDGET', message: expect.stringContaining('would not be enough') as unknown as string });
    expect(calls).toEqual([]);
    // Short by less than one operation's trash: only the oldest goes.
    const report = await ensureBudget(store, config, 250_000, { actions });
    expect(calls).toEqual([expect.stringMatching(/^purge \d+$/u)]);
    expect(report).toMatchObject({ setting: 'maxStoreBytes', trashOperations: 1, trashBytes: chunk.length, forgotten: 0 });
    // The store shrank by the trash, less the few bytes the purge adds to its operation record.
    expect(report!.bytesFreed).toBeGreaterThan(chunk.length - 1000);
    expect(report!.note).toContain('emptied the trash of 1 operation(s)');
    expect(await fs.stat(trashDir(store, ops[0]!)).catch(() => null)).toBeNull();
    expect((await fs.stat(trashDir(store, ops[1]!))).isDirectory()).toBe(true);
    // With autoForget and a stored policy: the rest of the trash first, then the forget, then the trash again if still short.
    calls.length = 0;
    await fs.writeFile(path.join(store.dir, 'retention.json'), JSON.stringify({ version: 1, policy: { keepLast: 1 } }));
    const big = await ensureBudget(store, { ...config, autoForget: true }, 2_000_000, { actions }).then(() => null, (e: unknown) => e as Error & { code: string });
    expect(calls[0]).toMatch(/^purge /u);
    expect(calls[1]).toBe('forget');
    expect(big?.code).toBe('OVER_BUDGET');
    // What it did on the way is said in the refusal.
    expect(big!.message).toContain('emptied the trash of 1 operation(s)');
    expect(big!.message).toContain('applied the stored policy (--keep-last 1)');
    expect(big!.message).toContain('the stored policy (--keep-last 1) keeps more than fits');
    expect(big!.message).toMatch(/`weightline config maxStoreBytes \d+[KMG]` would hold this commit/u);
  });

  it('with autoForget, a commit past maxStoreBytes forgets by the stored policy, says so, and lands within the budget; every kept version restores bit-exact', async () => {
    const { root, store, file, models } = await storeWith(6);
    const ids = [...(await store.listCommitIds())];
    const before = await storeBytes(store);
    // trashDays 0: the forget's bytes leave the store at once (with a trash kept, the budget empties it: see the trash test).
    await store.updateConfig({ maxStoreBytes: before + 200_000, autoForget: true, trashDays: 0 });
    await fs.writeFile(path.join(store.dir, 'retention.json'), JSON.stringify({ version: 1, policy: { keepLast: 2 } }));
    const res = await commit(store, file, { message: 'v6' });
    expect(res.budget).toMatchObject({ setting: 'maxStoreBytes', forgotten: 4, trashOperations: 0 });
    expect(res.budget!.forgetOp).toMatch(/^\d{8}T/u);
    expect(res.budget!.bytesFreed).toBeGreaterThan(0);
    expect(res.budget!.note).toContain('forgot 4 version(s) by the stored policy (--keep-last 2)');
    expect(await storeBytesWalk(store)).toBeLessThanOrEqual(before + 200_000);
    // Kept: the two newest before the commit, and the commit itself.
    const kept = new Set(await store.listCommitIds());
    expect(kept.size).toBe(3);
    expect(kept.has(res.id)).toBe(true);
    for (const id of ids.filter((x) => !kept.has(x))) expect(kept.has(id)).toBe(false);
    const all = [...models.slice(0, 6), models[6]!];
    for (const id of kept) {
      const to = path.join(root, 'check', `${id}.safetensors`);
      await verbs.restore({ store }, { commit: id, to, link: 'copy' });
      const m = await store.readManifest(id);
      expect(all.some((b) => createHash('sha256').update(b).digest('hex') === m.files[0]!.sha256)).toBe(true);
      expect(createHash('sha256').update(await fs.readFile(to)).digest('hex')).toBe(m.files[0]!.sha256);
    }
    // The CLI's text says it on the commit's first line.
    await fs.writeFile(file, versions(9, 7)[8]!);
    await store.updateConfig({ maxStoreBytes: (await storeBytes(store)) + 200_000 });
    const r = await cliRun(root, 'commit', file, '-m', 'v7');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^budget: the store holds .* past maxStoreBytes .*forgot 1 version\(s\) by the stored policy \(--keep-last 2\)/u);
  });

  it('autoForget applies the stored policy after a cleanup: `weightline cleanup` and a commit\'s autoCleanup, each saying what it forgot', async () => {
    const { root, store, file } = await storeWith(5);
    await fs.writeFile(path.join(store.dir, 'retention.json'), JSON.stringify({ version: 1, policy: { keepLast: 3 } }));
    // Off: cleanup forgets nothing.
    const plain = await verbs.cleanup({ store });
    expect(plain.autoForget).toBeUndefined();
    expect(await store.listCommitIds()).toHaveLength(5);
    await store.updateConfig({ autoForget: true });
    const r = await cliRun(root, 'cleanup');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('autoForget: forgot 2 version(s) by the stored policy (--keep-last 3)');
    expect(await store.listCommitIds()).toHaveLength(3);
    // A commit with autoCleanup: the cleanup after it forgets by the policy too, and says so.
    await store.updateConfig({ autoCleanup: true });
    const res = await commit(store, file, { message: 'v5' });
    expect(res.autoCleanup?.autoForget).toMatchObject({ policy: '--keep-last 3', forgotten: 1 });
    expect(await store.listCommitIds()).toHaveLength(3);
    expect((await store.listCommitIds()).includes(res.id)).toBe(true);
  });

  it('a commit empties a forget\'s trash when it needs the space (oldest first, said in its output), and that forget can no longer be undone', async () => {
    const { root, store, file } = await storeWith(6);
    const first = await forgetVersions(store, { refs: [(await log(store)).at(-2)!.id], dryRun: false });
    const second = await forgetVersions(store, { refs: [(await log(store)).at(-2)!.id], dryRun: false });
    expect([first.forgotten, second.forgotten]).toEqual([1, 1]);
    const trash1 = await trashBytes(store, first.op!);
    expect(trash1).toBeGreaterThan(0);
    const size = await storeBytes(store);
    // Room for the commit once the older forget's trash is gone, not before.
    await store.updateConfig({ maxStoreBytes: size + (await commitNeedOf(store, file)) - trash1 + 10_000 });
    const r = await cliRun(root, 'commit', file, '-m', 'needs room', '--json');
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout) as CommitResult;
    expect(res.budget).toMatchObject({ setting: 'maxStoreBytes', trashOperations: 1, forgotten: 0 });
    expect(res.budget!.trashBytes).toBe(trash1);
    const ops = await listOps(store);
    expect(ops.find((o) => o.id === first.op)?.purgedAt).toBeDefined();
    expect(ops.find((o) => o.id === first.op)?.purgeReason).toContain('maxStoreBytes');
    expect(ops.find((o) => o.id === second.op)?.purgedAt).toBeUndefined();
    const listed = (await listOperations(store)).ops;
    expect(listed.find((o) => o.id === first.op)?.undoable).toBe(false);
    expect(listed.find((o) => o.id === second.op)?.undoable).toBe(true);
    expect(await storeBytesWalk(store)).toBeLessThanOrEqual((await store.readConfig()).maxStoreBytes);
  });

  it('with autoForget and a trash kept (trashDays 7), the forget\'s own trash is emptied when the room is still short', async () => {
    const { store, file } = await storeWith(6);
    const before = await storeBytes(store);
    await store.updateConfig({ maxStoreBytes: before + 200_000, autoForget: true });
    await fs.writeFile(path.join(store.dir, 'retention.json'), JSON.stringify({ version: 1, policy: { keepLast: 2 } }));
    const res = await commit(store, file, { message: 'v6' });
    expect(res.budget).toMatchObject({ forgotten: 4, trashOperations: 1 });
    const op = (await listOps(store)).find((o) => o.id === res.budget!.forgetOp)!;
    expect(op.purgedAt).toBeDefined();
    expect(await storeBytesWalk(store)).toBeLessThanOrEqual(before + 200_000);
  });

  it('import (and watch, the same path) with autoForget: each checkpoint\'s commit makes room by the stored policy, its report says so, and the run finishes within the budget', async () => {
    const root = scratch();
    const store = await Store.init(root);
    const run = path.join(root, 'run');
    await fs.mkdir(run);
    const models = versions(6, 5);
    for (const [i, m] of models.entries()) await fs.writeFile(path.join(run, `step_${(i + 1) * 100}.safetensors`), m);
    // Room for the two versions the policy keeps and what one more commit may add, not for the whole run.
    const budget = models[0]!.length * 6;
    await store.updateConfig({ maxStoreBytes: budget, autoForget: true, trashDays: 0 });
    await fs.writeFile(path.join(store.dir, 'retention.json'), JSON.stringify({ version: 1, policy: { keepLast: 2 } }));
    const r = await cliRun(root, 'import', run);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ {10}budget: .*forgot \d+ version\(s\) by the stored policy \(--keep-last 2\)/mu);
    expect(r.stdout).toContain('6 committed');
    expect(await storeBytesWalk(store)).toBeLessThanOrEqual(budget);
    const kept = await log(store);
    expect(kept.length).toBeLessThan(6);
    // Run again: the checkpoints the policy forgot are not committed again (they would land after the newest).
    const inStore = (await log(store)).length;
    const again = await verbs.importRun({ store }, { dir: run, settleMs: 1 });
    expect(again.checkpoints.filter((c) => c.commit && !c.already)).toEqual([]);
    const skipped = again.checkpoints.filter((c) => c.skipped);
    expect(skipped.length).toBe(6 - inStore);
    for (const c of skipped) expect(c.skipped!.message).toMatch(/older than step 600, the newest commit of this run, and not in the store \(a forget removed it\)/u);
    expect(await log(store)).toHaveLength(inStore);
    // A trainer resumed from an earlier step writes that step's checkpoint anew: new bytes, committed as usual.
    await fs.writeFile(path.join(run, 'step_100.safetensors'), versions(7, 9)[6]!);
    const resumed = await verbs.importRun({ store }, { dir: run, settleMs: 1 });
    expect(resumed.checkpoints.filter((c) => c.commit && !c.already).map((c) => c.checkpoint)).toEqual(['step_100.safetensors']);
    // The newest checkpoint is kept and restores bit-exact.
    const to = path.join(root, 'newest.safetensors');
    await verbs.restore({ store }, { commit: kept[0]!.id, to, link: 'copy' });
    expect(await fs.readFile(to)).toEqual(models[5]);
  });

  it('stops a watch on a refused checkpoint with the reason, instead of looping or skipping the rest', async () => {
    const root = scratch();
    const store = await Store.init(root);
    const run = path.join(root, 'run');
    await fs.mkdir(run);
    const models = versions(4, 3);
    for (const [i, m] of models.entries()) await fs.writeFile(path.join(run, `step_${(i + 1) * 100}.safetensors`), m);
    // Room for the first two checkpoints' commits only.
    await store.updateConfig({ maxStoreBytes: models[0]!.length * 3 });
    const res = await verbs.importRun({ store }, { dir: run, settleMs: 1 });
    expect(res.stopped).toBe('over-budget');
    const made = res.checkpoints.filter((c) => c.commit);
    expect(made.length).toBeGreaterThan(0);
    expect(made.length).toBeLessThan(4);
    expect(res.notes.some((n) => n.message.includes('maxStoreBytes') && n.message.startsWith('stopped before committing'))).toBe(true);
    expect(await storeBytes(store)).toBeLessThanOrEqual(models[0]!.length * 3);
    // The CLI exits 1 and says why.
    const r = await cliRun(root, 'import', run);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('stopped: the next commit would break the disk budget');
  });
});
