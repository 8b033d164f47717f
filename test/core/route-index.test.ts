// A restore builds its graph from the log index (HistoryGraph.loadIndexed)
// and parses only the manifests its route reads. The index is a cache: stale
// (another writer committed or forgot since it was written), damaged
// (garbage) or lying (schema-valid and wrong), it may cost a search, never a
// version and never uncommitted work.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { restore } from '../../src-main/core/ops/restore';
import { readVersion } from '../../src-main/core/rebuild/open';
import { findRoute } from '../../src-main/core/rebuild/route';
import { HistoryGraph } from '../../src-main/core/store/graph';
import { commitSummaries } from '../../src-main/core/store/log-index';
import { Store } from '../../src-main/core/store/store';
import { cliOk } from '../helpers/cli';
import { gaussianF32, nudgeF32, rng, sha256Of, useScratch, writeSafetensors } from '../helpers/models';

const scratch = useScratch();

afterEach(() => { vi.restoreAllMocks(); });

interface History { readonly root: string; readonly ids: string[]; readonly shas: string[]; next: () => Promise<void> }

/** n versions of one model file, committed by the CLI; `next` commits one more. */
async function history(n: number): Promise<History> {
  const root = scratch();
  await cliOk(root, 'init');
  const r = rng(11);
  let w = gaussianF32(20_000, r);
  const model = path.join(root, 'model.safetensors');
  const h: History = {
    root, ids: [], shas: [],
    next: async () => {
      await writeSafetensors(model, [{ name: 'w', dtype: 'F32', shape: [w.length / 4], data: w }]);
      h.ids.push((await cliOk<{ id: string }>(root, 'commit', 'model.safetensors', '-m', `v${h.ids.length}`, '--json')).id);
      h.shas.push(await sha256Of(model));
      w = nudgeF32(w, r, 1e-3, 0.5);
    },
  };
  for (let i = 0; i < n; i++) await h.next();
  return h;
}

/** Restores version i to a temp file through `store` and checks its sha256. */
async function restoresBitExact(h: History, store: Store, which: readonly number[]): Promise<void> {
  for (const i of which) {
    const to = path.join(h.root, 'check', `${i}.safetensors`);
    await restore(store, h.ids[i]!, { to, link: 'copy' });
    expect(await sha256Of(to), `version ${i}`).toBe(h.shas[i]);
    await fs.rm(to);
  }
}

const indexFile = (h: History): string => path.join(h.root, '.weightline', 'log-index.json');

describe('a restore reads the manifests its route needs', () => {
  it('restoring a version two deltas from a packed CHECKPOINT parses no manifest of the newer line', async () => {
    const h = await history(10);
    await cliOk(h.root, 'cleanup'); // newest 2 keep full parameters, v0 is packed, v1..v7 are deltas only
    await cliOk(h.root, 'log');
    const store = await Store.open(h.root);
    const reads = vi.spyOn(Store.prototype, 'readRecordedManifest');
    await restoresBitExact(h, store, [2]);
    const read = new Set(reads.mock.calls.map(([id]) => id));
    // The search reaches the packed v0 at cost 3; it may look one step further up (v3..v5), never at v6..v9.
    for (const i of [6, 7, 8, 9]) expect(read.has(h.ids[i]!), `manifest of v${i} read`).toBe(false);
    expect(read.has(h.ids[0]!) && read.has(h.ids[1]!) && read.has(h.ids[2]!)).toBe(true);
  }, 60_000);

  it('a DELTA commit reads its parent\'s manifest, not the history\'s (its base route and CHECKPOINT rule come from the index)', async () => {
    const h = await history(8);
    const reads = vi.spyOn(Store.prototype, 'readRecordedManifest');
    await h.next();
    const read = new Set(reads.mock.calls.map(([id]) => id));
    expect(read.has(h.ids[7]!)).toBe(true);
    for (const i of [0, 1, 2, 3, 4, 5, 6]) expect(read.has(h.ids[i]!), `manifest of v${i} read`).toBe(false);
  }, 60_000);

  it('a stale index: a commit and a forget by another writer after the index and the manifests were read; route records apply', async () => {
    const h = await history(8);
    await cliOk(h.root, 'cleanup');
    const mine = await Store.open(h.root); // a long-lived handle (the app's): its caches must not hide the others' writes
    await restoresBitExact(h, mine, [3, 7]);
    const before = await fs.readFile(indexFile(h));

    await h.next(); // another writer's commit: v8
    await restoresBitExact(h, mine, [8, 5]);
    await cliOk(h.root, 'forget', '--keep-last', '4'); // v5..v8 stay; v5 is re-based by a route record
    await cliOk(h.root, 'cleanup');
    const routes = await fs.readdir(path.join(h.root, '.weightline', 'routes'));
    expect(routes).toContain(`${h.ids[5]}.json`);
    await restoresBitExact(h, mine, [5, 6, 7, 8]);
    expect([...(await commitSummaries(mine)).keys()].sort()).toEqual(h.ids.slice(5).sort());

    // The index of before the commit and the forget put back (a writer that lost a race): still every kept version.
    await fs.writeFile(indexFile(h), before);
    await restoresBitExact(h, await Store.open(h.root), [5, 6, 7, 8]);
    await expect(restore(mine, h.ids[2]!, { to: path.join(h.root, 'check', 'gone') })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  }, 120_000);

  it('a damaged index (garbage): every version restores and the index is rebuilt from the manifests', async () => {
    const h = await history(6);
    await cliOk(h.root, 'cleanup');
    for (const garbage of ['{"version":1,"commits":{', 'not json at all', JSON.stringify({ version: 1, commits: { [h.ids[0]!]: { parent: 7 } } })]) {
      await fs.writeFile(indexFile(h), garbage);
      await restoresBitExact(h, await Store.open(h.root), [1, 3, 5]);
      const rebuilt = JSON.parse(await fs.readFile(indexFile(h), 'utf8')) as { commits: Record<string, unknown> };
      expect(Object.keys(rebuilt.commits).sort()).toEqual([...h.ids].sort());
    }
  }, 60_000);

  it('a lying index (schema-valid, wrong parents and objects): every version restores bit-exact, through the manifests', async () => {
    const h = await history(6);
    await cliOk(h.root, 'cleanup');
    await cliOk(h.root, 'log');
    type Index = { commits: Record<string, { parent: string | null; files: [string, number, number][]; deltaObjects: (string | null)[] }> };
    const truth = await fs.readFile(indexFile(h), 'utf8');
    const lies: Array<(index: Index) => void> = [
      // Each commit's grandparent named as its parent, objects true: a route on it would rebuild wrong bytes no object is to blame for.
      (index) => { h.ids.forEach((id, i) => { index.commits[id]!.parent = i >= 2 ? h.ids[i - 2]! : null; }); },
      // Every commit a child of the newest (a cycle the graph leaves out), no object true.
      (index) => {
        for (const s of Object.values(index.commits)) {
          s.parent = h.ids[5]!;
          s.files = s.files.map(([, bytes, d]) => ['0'.repeat(64), bytes, d]);
          s.deltaObjects = s.deltaObjects.map(() => null);
        }
        index.commits[h.ids[5]!]!.parent = h.ids[0]!;
      },
    ];
    for (const lie of lies) {
      const index = JSON.parse(truth) as Index;
      lie(index);
      await fs.writeFile(indexFile(h), JSON.stringify(index));
      const store = await Store.open(h.root);
      expect((await HistoryGraph.loadIndexed(store)).fromIndex).toBe(true);
      await restoresBitExact(h, store, [0, 1, 2, 3, 4, 5]);
    }
  }, 60_000);

  it('a lying index never lets a restore overwrite uncommitted bytes: what it claims is held is checked in a manifest', async () => {
    const h = await history(3);
    const model = path.join(h.root, 'model.safetensors');
    await fs.writeFile(model, 'work no commit holds');
    const mine = await sha256Of(model);
    await cliOk(h.root, 'log');
    const index = JSON.parse(await fs.readFile(indexFile(h), 'utf8')) as { commits: Record<string, { files: [string, number, number][]; deltaObjects: (string | null)[] }> };
    index.commits[h.ids[0]!]!.files.push([mine, 20, 0]);
    index.commits[h.ids[0]!]!.deltaObjects.push(null);
    await fs.writeFile(indexFile(h), JSON.stringify(index));
    await expect(restore(await Store.open(h.root), h.ids[0]!)).rejects.toMatchObject({ code: 'DIRTY' });
    expect(await sha256Of(model)).toBe(mine);
  }, 60_000);

  it('property: on any set of missing full objects, the indexed graph gives the route of every manifest\'s graph; a random lie in the index still rebuilds every version bit-exact', async () => {
    const h = await history(6);
    // A branch: v6 from v2, beside v3..v5.
    await restore(await Store.open(h.root), h.ids[2]!, { force: true });
    await h.next();
    await cliOk(h.root, 'log');
    const store0 = await Store.open(h.root);
    const truth = await fs.readFile(indexFile(h), 'utf8');
    const manifests = await Promise.all(h.ids.map((id) => store0.readManifest(id)));
    const fulls = manifests.map((m) => m.files[0]!.sha256);
    const objects = [...new Set([...fulls, ...manifests.flatMap((m) => m.files.map((f) => f.delta?.object ?? '').filter(Boolean))])];
    const aside = path.join(h.root, 'aside');
    await fs.mkdir(aside);
    const hidden = async (shas: readonly string[], body: () => Promise<void>): Promise<void> => {
      for (const sha of shas) await fs.rename(store0.objectPath(sha), path.join(aside, sha));
      try { await body(); } finally { for (const sha of shas) await fs.rename(path.join(aside, sha), store0.objectPath(sha)); }
    };
    const steps = (r: Awaited<ReturnType<typeof findRoute>>): string => (r ? r.steps.map((x) => `${x.kind}:${x.commit}`).join(' ') : 'none');
    type Summary = { parent: string | null; files: [string, number, number][]; deltaObjects: (string | null)[] };
    const pick = <T>(xs: readonly T[], k: number): T => xs[k % xs.length]!;
    await fc.assert(fc.asyncProperty(
      fc.subarray(fulls.map((_, i) => i)),
      fc.array(fc.tuple(fc.nat(), fc.nat(3), fc.nat()), { maxLength: 4 }),
      async (gone, lies) => {
        await fs.writeFile(indexFile(h), truth);
        await hidden(gone.map((i) => fulls[i]!).filter((sha, k, all) => all.indexOf(sha) === k), async () => {
          const store = await Store.open(h.root);
          const indexed = await HistoryGraph.loadIndexed(store);
          const full = await HistoryGraph.load(store);
          for (const [i, m] of manifests.entries()) {
            const q = (g: HistoryGraph): Parameters<typeof findRoute>[4] => ({ usable: (sha) => g.objectSize(sha) !== null });
            expect(steps(await findRoute(store, indexed, h.ids[i]!, m.files[0]!, q(indexed)))).toBe(steps(await findRoute(store, full, h.ids[i]!, m.files[0]!, q(full))));
          }
          if (lies.length === 0) return;
          const index = JSON.parse(truth) as { commits: Record<string, Summary> };
          for (const [who, what, k] of lies) {
            const s = index.commits[pick(h.ids, who)];
            if (!s) continue; // dropped by an earlier lie
            if (what === 0) s.parent = k % 3 === 0 ? null : pick(h.ids, k);
            else if (what === 1) s.files = s.files.map(([, b, d]) => [pick(objects, k), b, d]);
            else if (what === 2) s.deltaObjects = s.deltaObjects.map(() => (k % 2 ? null : pick(objects, k)));
            else delete index.commits[pick(h.ids, who)];
          }
          await fs.writeFile(indexFile(h), JSON.stringify(index));
          const lied = await Store.open(h.root);
          for (const [i, m] of manifests.entries()) {
            const expected = await findRoute(lied, full, h.ids[i]!, m.files[0]!, { usable: (sha) => full.objectSize(sha) !== null });
            const read = readVersion(lied, h.ids[i]!, m.files[0]!, async (source) => {
              const hash = createHash('sha256');
              for await (const chunk of source.chunks()) hash.update(chunk);
              return hash.digest('hex');
            });
            if (expected) await read; else await expect(read).rejects.toMatchObject({ code: 'BROKEN_CHAIN' });
          }
        });
      },
    ), { numRuns: 30 });
  }, 240_000);
});
