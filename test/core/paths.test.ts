// A store follows many paths: each model path keeps its own line of history
// (parents and delta bases from that path only), status and the app's
// working-copy state look at every path, `log --path` follows one.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { main } from '../../src-main/cli/main';
import { commit } from '../../src-main/core/ops/commit';
import { log, status } from '../../src-main/core/ops/inspect';
import { repair } from '../../src-main/core/ops/repair';
import { restore } from '../../src-main/core/ops/restore';
import { Store } from '../../src-main/core/store/store';
import { currentLines } from '../../src-main/core/store/tips';
import { hashWorkingCopy, quickWorkingCopy } from '../../src-main/core/ops/working-copy-check';
import type { CommitId } from '../../src-shared/model';
import { gaussianF32, nudgeF32, rng, safetensorsBytes, sha256Of, useScratch, writeSafetensors, type TestTensor } from '../helpers/models';

const scratch = useScratch();

function model(seed: number, n = 4096): TestTensor[] {
  const r = rng(seed);
  return [
    { name: 'w', dtype: 'F32', shape: [n], data: gaussianF32(n, r) },
    { name: 'b', dtype: 'F32', shape: [64], data: gaussianF32(64, r) },
  ];
}

function step(tensors: readonly TestTensor[], seed: number): TestTensor[] {
  const r = rng(seed);
  return tensors.map((t) => ({ ...t, data: nudgeF32(t.data, r) }));
}

async function setup(): Promise<{ root: string; store: Store }> {
  const root = scratch();
  return { root, store: await Store.init(root) };
}

async function restoredSha(store: Store, root: string, id: string): Promise<string> {
  const to = path.join(root, '..', `check-${path.basename(root)}-${id.slice(0, 12)}`);
  const res = await restore(store, id, { to });
  const sha = await sha256Of(res.target);
  await fs.rm(res.target, { force: true });
  return sha;
}

describe('separate lines per path', () => {
  it('keeps two models committed alternately to one store on separate chains, deltas against their own model', async () => {
    const { root, store } = await setup();
    const a = path.join(root, 'ckpt', 'model.safetensors');
    const b = path.join(root, 'other.safetensors');
    let ma = model(1), mb = model(2, 2048);
    const ids: { a: CommitId[]; b: CommitId[] } = { a: [], b: [] };
    const shas = new Map<string, string>();
    for (let i = 0; i < 3; i++) {
      await writeSafetensors(a, ma);
      const ca = await commit(store, a, { message: `a${i}` });
      ids.a.push(ca.id); shas.set(ca.id, await sha256Of(a));
      await writeSafetensors(b, mb);
      const cb = await commit(store, b, { message: `b${i}` });
      ids.b.push(cb.id); shas.set(cb.id, await sha256Of(b));
      ma = step(ma, 10 + i); mb = step(mb, 20 + i);
    }
    for (const k of ['a', 'b'] as const) {
      const [first, ...rest] = ids[k];
      const m0 = await store.readManifest(first!);
      expect(m0.parent).toBeNull();
      expect(m0.type).toBe('CHECKPOINT');
      for (const [i, id] of rest.entries()) {
        const m = await store.readManifest(id);
        expect(m.parent).toBe(ids[k][i]);
        // A delta against the model's own previous version is small; against the other model it would be as big as the file.
        expect(m.type).toBe('DELTA');
        expect(m.files[0]!.delta!.basePath).toBe((await store.readManifest(m.parent!)).files[0]!.path);
        expect(m.source.path).toBe(m0.source.path);
      }
    }
    expect(await store.readHead()).toBe(ids.b[2]);
    // HEAD~N walks HEAD's own path.
    const walked = await log(store, undefined, { path: b });
    expect(walked.map((e) => e.id)).toEqual([...ids.b].reverse());
    expect((await log(store, undefined, { path: a })).map((e) => e.id)).toEqual([...ids.a].reverse());
    for (const [id, sha] of shas) expect(await restoredSha(store, root, id)).toBe(sha);
  });

  it('branches a commit of P from the restored commit of P, even with a commit of Q in between', async () => {
    const { root, store } = await setup();
    const p = path.join(root, 'p.safetensors');
    const q = path.join(root, 'q.safetensors');
    let m = model(3);
    const ps: CommitId[] = [];
    for (let i = 0; i < 3; i++) { await writeSafetensors(p, m); ps.push((await commit(store, p, { message: `p${i}` })).id); m = step(m, 30 + i); }
    await restore(store, ps[0]!);
    expect(await store.readHead()).toBe(ps[0]);
    await writeSafetensors(q, model(4));
    const q1 = (await commit(store, q, { message: 'q1' })).id;
    expect((await store.readManifest(q1)).parent).toBeNull();
    await writeSafetensors(p, step(model(3), 99));
    const branched = await commit(store, p, { message: 'from p0' });
    expect(branched.parent).toBe(ps[0]);
    // Straight after a restore (HEAD is P's commit) the same holds.
    await restore(store, ps[1]!, { force: true });
    await writeSafetensors(p, step(model(3), 98));
    expect((await commit(store, p, { message: 'from p1' })).parent).toBe(ps[1]);
  });

  it('works the lines out from the manifests when tips.json is missing or damaged, and rewrites it', async () => {
    const { root, store } = await setup();
    const p = path.join(root, 'p.safetensors');
    const q = path.join(root, 'q.safetensors');
    await writeSafetensors(p, model(5));
    const p1 = (await commit(store, p, { message: 'p1' })).id;
    await writeSafetensors(p, step(model(5), 1));
    const p2 = (await commit(store, p, { message: 'p2' })).id;
    await restore(store, p1);
    await writeSafetensors(q, model(6));
    const q1 = (await commit(store, q, { message: 'q1' })).id;
    const tips = path.join(store.dir, 'tips.json');
    expect(JSON.parse(await fs.readFile(tips, 'utf8'))).toEqual({ version: 1, paths: { 'p.safetensors': p1, 'q.safetensors': q1 } });
    for (const damage of [null, 'not json', '{"version":1,"paths":{"p.safetensors":"zz"}}']) {
      if (damage === null) await fs.rm(tips); else await fs.writeFile(tips, damage);
      // Without the record, P's line is its newest commit (none is on HEAD's ancestry): what was restored last is what a damaged record loses.
      expect((await currentLines(store)).get('p.safetensors')).toBe(p2);
    }
    // A repair writes the record again from the manifests.
    await repair(store);
    expect(JSON.parse(await fs.readFile(tips, 'utf8'))).toEqual({ version: 1, paths: { 'p.safetensors': p2, 'q.safetensors': q1 } });
  });

  it('takes the newest commit of P on HEAD\'s ancestry for a store whose paths shared one line (before tips.json)', async () => {
    const { root, store } = await setup();
    const p = path.join(root, 'p.safetensors');
    const q = path.join(root, 'q.safetensors');
    await writeSafetensors(p, model(7));
    const p1 = (await commit(store, p, { message: 'p1' })).id;
    // A manifest as an older version wrote it: Q's commit on top of P's.
    await writeSafetensors(q, model(8));
    const qAlone = await store.readManifest((await commit(store, q, { message: 'q' })).id);
    const q1 = await store.writeManifest({ ...qAlone, parent: p1, type: 'CHECKPOINT', message: 'q on p' });
    await store.writeHead(q1);
    await fs.rm(path.join(store.dir, 'tips.json'));
    // A later commit of P (made after the older version's) would be newer, but is not on HEAD's line.
    const other = await store.writeManifest({ ...(await store.readManifest(p1)), message: 'p elsewhere', createdAt: new Date(Date.now() + 60_000).toISOString() });
    expect((await currentLines(store)).get('p.safetensors')).toBe(p1);
    expect(other).not.toBe(p1);
  });
});

describe('status and the working copy over every path', () => {
  it('says a path other than HEAD\'s changed (the store no longer reads "matches HEAD")', async () => {
    const { root, store } = await setup();
    const a = path.join(root, 'ckpt', 'model.safetensors');
    const other = path.join(root, 'other.safetensors');
    await writeSafetensors(a, model(11));
    const ca = (await commit(store, a, { message: 'a' })).id;
    await writeSafetensors(other, model(12));
    const co = (await commit(store, other, { message: 'o' })).id;
    expect((await status(store)).dirty).toBe(false);
    await writeSafetensors(a, step(model(11), 5));
    const s = await status(store);
    expect(s.head).toBe(co);
    expect(s.dirty).toBe(true);
    expect(s.workingCopy).toBe('changed');
    expect(s.paths!.map((p) => [p.path, p.commit, p.state])).toEqual([['other.safetensors', co, 'matches'], ['ckpt/model.safetensors', ca, 'changed']]);
    expect(s.paths![1]!.changes).toEqual([{ path: 'model.safetensors', change: 'modified' }]);
    // The app's state: quick (stat only) and confirmed by hashing agree that some path changed.
    const quick = await quickWorkingCopy(store);
    expect(['changed', 'probably-changed']).toContain(quick.state);
    expect(quick.path).toBe('other.safetensors');
    const hashed = await hashWorkingCopy(store);
    expect(hashed.state).toBe('changed');
    // changedFiles keeps its meaning (HEAD's path); the other path's change is in `paths`.
    expect(hashed.changedFiles).toEqual([]);
    expect(hashed.paths[1]!.changes).toEqual([{ path: 'model.safetensors', change: 'modified' }]);
    expect(hashed.paths.map((p) => p.state)).toEqual(['matches', 'changed']);
    expect((await quickWorkingCopy(store)).state).toBe('changed');
  });

  it('lists modified, deleted and added files per path, "deleted" for a missing file, and matches only when every path does', async () => {
    const { root, store } = await setup();
    const folder = path.join(root, 'hf');
    const single = path.join(root, 'single.safetensors');
    await writeSafetensors(path.join(folder, 'a.safetensors'), model(21));
    await writeSafetensors(path.join(folder, 'b.safetensors'), model(22));
    await fs.writeFile(path.join(folder, 'config.json'), '{"layers":2}');
    const cf = (await commit(store, folder, { message: 'folder' })).id;
    await writeSafetensors(single, model(23));
    const cs = (await commit(store, single, { message: 'single' })).id;
    expect((await status(store)).workingCopy).toBe('matches');

    await writeSafetensors(path.join(folder, 'a.safetensors'), step(model(21), 1));
    await fs.rm(path.join(folder, 'b.safetensors'));
    await fs.writeFile(path.join(folder, 'README.md'), 'notes');
    await fs.rm(single);
    const s = await status(store);
    expect(s.dirty).toBe(true);
    const byPath = new Map(s.paths!.map((p) => [p.path, p]));
    expect(byPath.get('hf')!.commit).toBe(cf);
    expect(byPath.get('hf')!.changes).toEqual([
      { path: 'README.md', change: 'added' }, { path: 'a.safetensors', change: 'modified' }, { path: 'b.safetensors', change: 'deleted' },
    ]);
    expect(byPath.get('single.safetensors')).toMatchObject({ commit: cs, state: 'missing', changes: [{ path: 'single.safetensors', change: 'deleted' }] });
    const hashed = await hashWorkingCopy(store);
    expect(hashed.state).toBe('changed');
    expect(hashed.paths.map((p) => [p.path, p.state, p.changes.length])).toEqual([['single.safetensors', 'missing', 1], ['hf', 'changed', 3]]);

    // Mend one path: the store still does not match while the other differs.
    await restore(store, cs);
    expect((await status(store)).paths!.find((p) => p.path === 'single.safetensors')!.state).toBe('matches');
    expect((await status(store)).workingCopy).toBe('changed');
    await fs.rm(path.join(folder, 'README.md'));
    await restore(store, cf, { force: true });
    const after = await status(store);
    expect(after.workingCopy).toBe('matches');
    expect(after.dirty).toBe(false);
    expect((await hashWorkingCopy(store)).state).toBe('matches');
  });

  it('answers "unchanged" against the path\'s own newest commit, leaving HEAD where it is', async () => {
    const { root, store } = await setup();
    const p = path.join(root, 'p.safetensors');
    const q = path.join(root, 'q.safetensors');
    await writeSafetensors(p, model(31));
    const p1 = (await commit(store, p, { message: 'p' })).id;
    await writeSafetensors(q, model(32));
    const q1 = (await commit(store, q, { message: 'q' })).id;
    const again = await commit(store, p, { message: 'p again', skipUnchanged: true });
    expect(again).toMatchObject({ id: p1, unchanged: true });
    expect(await store.readHead()).toBe(q1);
  });
});

async function cli(cwd: string, ...argv: string[]): Promise<{ code: number; stdout: string }> {
  let stdout = '';
  const code = await main(argv, { cwd, stdout: { write: (t: string) => (stdout += t) }, stderr: { write: () => true } });
  return { code, stdout };
}

describe('the CLI over several paths', () => {
  it('status names each path and each changed file ("deleted", not "changed since HEAD"); log --path follows one path', async () => {
    const { root, store } = await setup();
    const a = path.join(root, 'ckpt', 'model.safetensors');
    const other = path.join(root, 'other.safetensors');
    await writeSafetensors(a, model(41));
    const ca = (await commit(store, a, { message: 'a' })).id;
    await writeSafetensors(other, model(42));
    const co = (await commit(store, other, { message: 'o' })).id;
    expect((await cli(root, 'status')).stdout).toContain('working  every path matches its newest commit (2 paths)');
    await writeSafetensors(a, step(model(41), 3));
    await fs.rm(other);
    const st = await cli(root, 'status');
    expect(st.code).toBe(0);
    expect(st.stdout).toContain(`other.safetensors (${co.slice(0, 12)}, HEAD): deleted`);
    expect(st.stdout).toContain(`ckpt/model.safetensors (${ca.slice(0, 12)}): changed (uncommitted)`);
    expect(st.stdout).toMatch(/^ {11}modified {2}model\.safetensors$/m);
    expect(st.stdout).not.toContain('changed since HEAD');
    const json = JSON.parse((await cli(root, 'status', '--json')).stdout) as { dirty: boolean; paths: Array<{ path: string; state: string }> };
    expect(json.dirty).toBe(true);
    expect(json.paths.map((p) => [p.path, p.state])).toEqual([['other.safetensors', 'missing'], ['ckpt/model.safetensors', 'changed']]);
    const logged = JSON.parse((await cli(path.join(root, 'ckpt'), 'log', '--path', 'model.safetensors', '--json')).stdout) as Array<{ id: string }>;
    expect(logged.map((e) => e.id)).toEqual([ca]);
  });
});

type Op =
  | { readonly kind: 'commit'; readonly path: number; readonly seed: number }
  | { readonly kind: 'edit'; readonly path: number; readonly seed: number }
  | { readonly kind: 'delete'; readonly path: number }
  | { readonly kind: 'restore'; readonly version: number };

describe('random interleavings across paths', () => {
  it('keeps each path\'s parents on its own line, every version bit-exact, and status true to the files', async () => {
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 4, arbitrary: fc.record({ kind: fc.constant('commit' as const), path: fc.nat(2), seed: fc.nat(1000) }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('edit' as const), path: fc.nat(2), seed: fc.nat(1000) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), path: fc.nat(2) }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('restore' as const), version: fc.nat(50) }) },
    );
    await fc.assert(fc.asyncProperty(fc.array(op, { minLength: 4, maxLength: 14 }), async (ops) => {
      const { root, store } = await setup();
      const files = [path.join(root, 'a.safetensors'), path.join(root, 'sub', 'b.safetensors'), path.join(root, 'c', 'model.safetensors')];
      const versions: Array<{ id: CommitId; path: number; bytes: Buffer }> = [];
      const tip: Array<CommitId | null> = [null, null, null];
      const working: Array<Buffer | null> = [null, null, null];
      let head: CommitId | null = null;
      const write = async (i: number, seed: number): Promise<void> => {
        const bytes = safetensorsBytes(seed % 3 === 0 ? model(seed + i * 7919) : step(model(i + 1), seed));
        await fs.mkdir(path.dirname(files[i]!), { recursive: true });
        await fs.writeFile(files[i]!, bytes);
        working[i] = bytes;
      };
      for (const o of ops) {
        if (o.kind === 'commit') {
          if (!working[o.path]) await write(o.path, o.seed);
          const res = await commit(store, files[o.path]!, { message: `path ${o.path}` });
          // The rule: the newest commit of this path's line, whatever other paths did since.
          expect(res.parent).toBe(tip[o.path]);
          versions.push({ id: res.id, path: o.path, bytes: working[o.path]! });
          tip[o.path] = res.id; head = res.id;
        } else if (o.kind === 'edit') {
          await write(o.path, o.seed);
        } else if (o.kind === 'delete') {
          await fs.rm(files[o.path]!, { force: true });
          working[o.path] = null;
        } else if (versions.length > 0) {
          const v = versions[o.version % versions.length]!;
          await restore(store, v.id, { force: true });
          working[v.path] = v.bytes;
          tip[v.path] = v.id; head = v.id;
        }
      }
      expect(await store.readHead()).toBe(head);
      const s = await status(store);
      for (const [i, t] of tip.entries()) {
        const p = s.paths?.find((x) => x.commit === t);
        if (!t) { expect(s.paths?.some((x) => x.path === store.sourcePathFor(files[i]!)) ?? false).toBe(false); continue; }
        const committed = versions.find((v) => v.id === t)!.bytes;
        const expected = working[i] === null ? 'missing' : working[i]!.equals(committed) ? 'matches' : 'changed';
        expect(p?.state).toBe(expected);
      }
      for (const v of versions) {
        const to = path.join(root, 'check', v.id);
        await restore(store, v.id, { to });
        expect((await fs.readFile(to)).equals(v.bytes)).toBe(true);
      }
      await fs.rm(root, { recursive: true, force: true });
    }), { numRuns: 12, seed: 19 });
  });
});

describe('the same bytes under a second path', () => {
  // Found by the chaos test: a second path's first commit is a CHECKPOINT whose
  // object has the same name as the first path's, and that object was damaged.
  it('a commit whose bytes the store holds damaged mends the object instead of naming it', async () => {
    const { root, store } = await setup();
    const a = path.join(root, 'a', 'model.safetensors');
    const b = path.join(root, 'b', 'model.safetensors');
    await writeSafetensors(a, model(5));
    const first = await commit(store, a, { message: 'a' });
    const sha = (await store.readManifest(first.id)).files[0]!.sha256;
    const object = store.objectPath(sha);
    const bytes = await fs.readFile(object);
    bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 0x20;
    await fs.chmod(object, 0o644);
    await fs.writeFile(object, bytes);

    await fs.mkdir(path.dirname(b), { recursive: true });
    await fs.copyFile(a, b);
    const second = await commit(store, b, { message: 'b, the same bytes' });
    expect(second.type).toBe('CHECKPOINT');
    expect(second.parent).toBeNull();
    // Both versions restore bit-exact: the object holds the whole bytes again.
    expect(await restoredSha(store, root, second.id)).toBe(sha);
    expect(await restoredSha(store, root, first.id)).toBe(sha);
    expect(await sha256Of(object)).toBe(sha);
  });
});
