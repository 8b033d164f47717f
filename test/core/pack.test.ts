import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cleanup, cleanupPlan } from '../../src-main/core/ops/cleanup';
import { commit } from '../../src-main/core/ops/commit';
import { packFull } from '../../src-main/core/ops/pack';
import { setPinned } from '../../src-main/core/ops/pin';
import { repair } from '../../src-main/core/ops/repair';
import { restore } from '../../src-main/core/ops/restore';
import { verify } from '../../src-main/core/ops/verify';
import { log } from '../../src-main/core/ops/inspect';
import { HistoryGraph } from '../../src-main/core/store/graph';
import { packsDir, readPacks } from '../../src-main/core/store/packs';
import { Store } from '../../src-main/core/store/store';
import { makeHistory, restorableVersions, type History } from '../helpers/history';
import { sha256Of, useScratch } from '../helpers/models';

// Packed full parameters (issue 12): cleanup replaces the raw full object of a
// CHECKPOINT that left the hot set with a packed one. Nothing may be lost on
// the way: the raw copy goes only after the packed one decodes bit-exact, and
// a damaged packed object is caught, routed around and repaired.

const scratch = useScratch();

// bf16-like noise in f32 (trained weights): the low mantissa planes are
// noise, the sign/exponent plane compresses, so the packed form is smaller.
async function history(count: number, seed = 7, opts: { checkpointEvery?: number } = {}): Promise<History> {
  return makeHistory(scratch(), count, { seed, big: 1_200_000, small: 1000, fraction: 0.3, ...opts });
}

const restoresAll = (h: History): Promise<boolean[]> => restorableVersions(h);

describe('packed full parameters', () => {
  it('cleanup packs the CHECKPOINT that left the newest commits; every version restores bit-exact; numbers are honest', async () => {
    const h = await history(5);
    const checkpoint = (await h.store.readManifest(h.ids[0]!)).files[0]!;
    const plan = await cleanupPlan(h.store);
    expect(plan.packs.map((p) => p.id)).toEqual([h.ids[0]]);
    expect(plan.packs[0]!.rawBytes).toBe(checkpoint.bytes);
    const done = await cleanup(h.store);
    const packs = await readPacks(h.store);
    const packed = packs.get(checkpoint.sha256)![0]!;
    const packedSize = (await fs.stat(h.store.objectPath(packed))).size;
    expect(packedSize).toBeLessThan(checkpoint.bytes * 0.95);
    expect(done.packs).toEqual([{ id: h.ids[0], rawBytes: checkpoint.bytes, packedBytes: packedSize }]);
    // The preview measured every block: it said exactly what the run packed (issue 18).
    expect(plan.packs[0]!.packedBytes).toBe(packedSize);
    expect(await h.store.hasObject(checkpoint.sha256)).toBe(false);
    expect(await restoresAll(h)).toEqual(h.ids.map(() => true));
    expect((await verify(h.store)).ok).toBe(true);
    // The log counts the packed object as the CHECKPOINT's storage and still calls it full.
    const entry = (await log(h.store)).find((e) => e.id === h.ids[0])!;
    expect(entry).toMatchObject({ hasFull: true, fullBytes: packedSize, chainLength: 0 });
    // A second cleanup has nothing to pack.
    expect((await cleanupPlan(h.store)).packs).toEqual([]);
  });

  it('a pinned or linked CHECKPOINT stays raw; unpinning lets the next cleanup pack it', async () => {
    const h = await history(4);
    await setPinned(h.store, h.ids[0]!, true);
    expect((await cleanupPlan(h.store)).packs).toEqual([]);
    await setPinned(h.store, h.ids[0]!, false);
    expect((await cleanupPlan(h.store)).packs.map((p) => p.id)).toEqual([h.ids[0]]);
  });

  it('incompressible parameters are not packed (a pack would save nothing and cost a decode)', async () => {
    const root = scratch();
    const store = await Store.init(root);
    const file = path.join(root, 'noise.bin');
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      await fs.writeFile(file, randomBytes(300_000));
      ids.push((await commit(store, file, { message: `${i}` })).id);
    }
    expect((await cleanupPlan(store)).packs).toEqual([]);
  });

  it('restores read the packed object only where it is the cheapest route, and a raw object beside it wins', async () => {
    const h = await history(3);
    const f = (await h.store.readManifest(h.ids[0]!)).files[0]!;
    await packFull(h.store, f);
    // Raw and packed both on disk: the route starts at the raw object.
    const graph = await HistoryGraph.load(h.store);
    expect(graph.packedObject(f.sha256)).not.toBeNull();
    const to = path.join(h.root, 'r.safetensors');
    const res = await restore(h.store, h.ids[0]!, { to, link: 'copy' });
    expect(res.notes ?? []).toEqual([]);
    expect(await sha256Of(to)).toBe(h.shas[0]);
  });

  it('any damage to a packed object is caught: every version still restores by another route or the error says CORRUPT; repair brings the CHECKPOINT back', async () => {
    const h = await history(5);
    await cleanup(h.store);
    const f = (await h.store.readManifest(h.ids[0]!)).files[0]!;
    const packed = (await readPacks(h.store)).get(f.sha256)![0]!;
    const objectFile = h.store.objectPath(packed);
    const pristine = await fs.readFile(objectFile);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
        async (flips) => {
          const damaged = Buffer.from(pristine);
          // Bias half the flips to the table and trailer, the part a byte flip is most likely to make plausible.
          for (const [i, [pos, x]] of flips.entries()) {
            const at = i % 2 === 0 ? pos % damaged.length : damaged.length - 1 - (pos % Math.min(2000, damaged.length));
            damaged[at] = damaged[at]! ^ x;
          }
          await fs.chmod(objectFile, 0o644);
          await fs.writeFile(objectFile, damaged);
          // Backward routes from the newest raw copy rebuild the CHECKPOINT.
          expect(await restoresAll(h)).toEqual(h.ids.map(() => true));
          const v = await verify(h.store);
          const bad = v.commits.find((c) => c.id === h.ids[0])!;
          if (!damaged.equals(pristine)) {
            expect(bad.ok).toBe(false);
            expect(bad.error).toMatch(/packed full parameters are damaged/);
            expect(bad.restorable).toBe(true);
          }
        },
      ),
      { numRuns: 6 },
    );
    const res = await repair(h.store);
    expect(res.quarantined.map((q) => q.object)).toEqual([packed]);
    expect(res.rebuilt.map((r) => r.object)).toEqual([f.sha256]);
    expect(res.ok).toBe(true);
    expect((await verify(h.store)).ok).toBe(true);
    expect(await restoresAll(h)).toEqual(h.ids.map(() => true));
    // The pack was forgotten; the next cleanup packs the rebuilt raw object again.
    expect((await readPacks(h.store)).get(f.sha256)).toBeUndefined();
    expect((await cleanupPlan(h.store)).packs.map((p) => p.id)).toEqual([h.ids[0]]);
  }, 120_000);

  it('a packed object gone and no other route: the CHECKPOINT is reported lost, never restored wrong', async () => {
    const h = await history(5, 9, { checkpointEvery: 2 });
    await cleanup(h.store);
    const f = (await h.store.readManifest(h.ids[0]!)).files[0]!;
    const packed = (await readPacks(h.store)).get(f.sha256)?.[0];
    expect(packed).toBeDefined();
    // Cut every other route: the child's delta.
    const child = (await h.store.readManifest(h.ids[1]!)).files[0]!;
    await fs.rm(h.store.objectPath(child.delta!.object!), { force: true });
    await fs.rm(h.store.objectPath(packed!), { force: true });
    await expect(restore(h.store, h.ids[0]!, { to: path.join(h.root, 'x.safetensors'), link: 'copy' })).rejects.toMatchObject({ code: 'BROKEN_CHAIN' });
  });

  it('a pack index entry that is not ours stops readers with CORRUPT naming it', async () => {
    const h = await history(3);
    await fs.mkdir(packsDir(h.store), { recursive: true });
    await fs.writeFile(path.join(packsDir(h.store), 'not-a-pack'), '');
    await expect(cleanupPlan(h.store)).rejects.toMatchObject({ code: 'CORRUPT', file: path.join(packsDir(h.store), 'not-a-pack') });
  });

  it('a pack index entry pointing at another file\'s pack is not believed: its table names its own full object', async () => {
    const h = await history(5);
    await cleanup(h.store);
    const f = (await h.store.readManifest(h.ids[0]!)).files[0]!;
    const packed = (await readPacks(h.store)).get(f.sha256)![0]!;
    // Point the index of another (made-up) full object at this pack: its table says otherwise.
    const other = (await h.store.readManifest(h.ids[4]!)).files[0]!;
    await fs.writeFile(path.join(packsDir(h.store), `${other.sha256}.${packed}`), '');
    await fs.rm(h.store.objectPath(other.sha256), { force: true });
    // Its table says whose pack it is: the reader takes another route (forward from the raw copy before it).
    const to = path.join(h.root, 'newest.safetensors');
    await restore(h.store, h.ids[4]!, { to, link: 'copy' });
    expect(await sha256Of(to)).toBe(h.shas[4]);
    // The CHECKPOINT itself is still served by the pack.
    await restore(h.store, h.ids[0]!, { to, link: 'copy' });
    expect(await sha256Of(to)).toBe(h.shas[0]);
  });

  it('a cancelled cleanup leaves every version restorable', async () => {
    const h = await history(5);
    const ac = new AbortController();
    ac.abort();
    await expect(cleanup(h.store, { signal: ac.signal })).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(await restoresAll(h)).toEqual(h.ids.map(() => true));
    expect((await verify(h.store)).ok).toBe(true);
  });

  it('a crash between writing the packed object and recording it leaves an unused object, and the next cleanup packs again', async () => {
    const h = await history(4);
    const f = (await h.store.readManifest(h.ids[0]!)).files[0]!;
    await packFull(h.store, f);
    // Simulate the crash: the index entry never made it to disk.
    await fs.rm(packsDir(h.store), { recursive: true, force: true });
    const plan = await cleanupPlan(h.store);
    expect(plan.packs.map((p) => p.id)).toEqual([h.ids[0]]);
    await cleanup(h.store);
    expect(await restoresAll(h)).toEqual(h.ids.map(() => true));
  });
});
