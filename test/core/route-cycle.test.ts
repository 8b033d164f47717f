// A route record is not named by its hash, so it is the one store file that
// could make a line of parents lead back to itself (damaged, or forged by
// hand or by a remote). Nothing may then walk forever: the graph leaves the
// commits on the cycle out as unreadable, naming the record; the log, a
// commit and verify finish; every other version still restores.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Store } from '../../src-main/core/store/store';
import { HistoryGraph, parentCycles } from '../../src-main/core/store/graph';
import { cliOk, cliRun } from '../helpers/cli';
import { gaussianF32, nudgeF32, rng, sha256Of, useScratch, writeSafetensors } from '../helpers/models';

const scratch = useScratch();

describe('route records that make a cycle', () => {
  it('parentCycles finds exactly the commits on cycles, not the ones hanging off them', () => {
    const commits = [
      { id: 'a', parent: null }, { id: 'b', parent: 'a' }, { id: 'c', parent: 'd' }, { id: 'd', parent: 'c' },
      { id: 'e', parent: 'c' }, { id: 'f', parent: 'f' }, { id: 'g', parent: 'missing' },
    ];
    expect([...parentCycles(commits)].sort()).toEqual(['c', 'd', 'f']);
    expect(parentCycles([])).toEqual(new Set());
  });

  it('a forged pair of records naming each other as parent: log, commit and verify finish, the two are named unreadable, the rest restores bit-exact', async () => {
    const root = scratch();
    await cliOk(root, 'init');
    const r = rng(7);
    let w = gaussianF32(20_000, r);
    const ids: string[] = [];
    const shas: string[] = [];
    const model = path.join(root, 'model.safetensors');
    for (let i = 0; i < 4; i++) {
      await writeSafetensors(model, [{ name: 'w', dtype: 'F32', shape: [w.length / 4], data: w }]);
      ids.push((await cliOk<{ id: string }>(root, 'commit', 'model.safetensors', '-m', `v${i}`, '--json')).id);
      shas.push(await sha256Of(model));
      w = nudgeF32(w, r, 1e-3, 0.5);
    }
    const store = await Store.open(root);
    await fs.mkdir(path.join(store.dir, 'routes'));
    // 1 and 2 each stored whole, each naming the other as parent (their full objects are on disk: no cleanup ran).
    for (const [i, parent] of [[1, 2], [2, 1]] as const) {
      const m = await store.readRecordedManifest(ids[i]!);
      const record = { version: 1, commit: ids[i], parent: ids[parent], recordedParent: m.parent, forgotten: 0, type: 'CHECKPOINT', files: m.files.map((f) => ({ path: f.path, delta: null })) };
      await fs.writeFile(path.join(store.dir, 'routes', `${ids[i]}.json`), JSON.stringify(record));
    }
    const graph = await HistoryGraph.load(await Store.open(root));
    expect([...graph.unreadable.keys()].sort()).toEqual([ids[1], ids[2]].sort());
    expect(graph.unreadable.get(ids[1]!)?.message).toContain(`routes/${ids[1]}.json`);

    const log = await cliRun(root, 'log', '--json');
    expect(log.code).toBe(0);
    const verify = await cliRun(root, 'verify', '--json');
    expect(verify.code).toBe(1);
    expect(verify.stdout + verify.stderr).toContain('back to itself');
    for (const i of [0, 3]) {
      const to = path.join(root, 'out', `v${i}.safetensors`);
      await cliOk(root, 'restore', ids[i]!, '--to', to);
      expect(await sha256Of(to)).toBe(shas[i]);
    }
    // A version on the cycle whose record stores it whole still restores: its sha256 decides, not its parents.
    const onCycle = await cliRun(root, 'restore', ids[1]!, '--to', path.join(root, 'out', 'v1.safetensors'), '--json');
    expect(onCycle.code, onCycle.stderr).toBe(0);
    expect(await sha256Of(path.join(root, 'out', 'v1.safetensors'))).toBe(shas[1]);
    // A new commit of the path (its parent is 3, off the cycle) is made and restores.
    w = nudgeF32(w, r, 1e-3, 0.5);
    await writeSafetensors(model, [{ name: 'w', dtype: 'F32', shape: [w.length / 4], data: w }]);
    const next = await cliRun(root, 'commit', 'model.safetensors', '-m', 'v4', '--json');
    expect(next.code, next.stderr).toBe(0);
  }, 120_000);
});
