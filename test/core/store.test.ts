import { appendFileSync, closeSync, openSync, writeSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { commit } from '../../src-main/core/ops/commit';
import { diff, log, show, status } from '../../src-main/core/ops/inspect';
import { restore } from '../../src-main/core/ops/restore';
import { resolveCommit } from '../../src-main/core/store/history';
import { Store } from '../../src-main/core/store/store';
import { gaussianF32, nudgeF32, rng, sha256Of, snapshotTree, useScratch, writeSafetensors, type TestTensor } from '../helpers/models';

const scratch = useScratch();

function model(seed: number): TestTensor[] {
  const r = rng(seed);
  return [
    { name: 'embed.weight', dtype: 'F32', shape: [256, 64], data: gaussianF32(256 * 64, r) },
    { name: 'layer.0.weight', dtype: 'F32', shape: [64, 64], data: gaussianF32(64 * 64, r) },
    { name: 'layer.0.bias', dtype: 'F32', shape: [64], data: gaussianF32(64, r) },
    { name: 'step', dtype: 'I64', shape: [1], data: Buffer.from(new BigInt64Array([1n]).buffer) },
  ];
}

function trainStep(tensors: TestTensor[], seed: number, frozen: string[] = []): TestTensor[] {
  const r = rng(seed);
  return tensors.map((t) => {
    if (frozen.includes(t.name)) return t;
    if (t.dtype === 'I64') return { ...t, data: Buffer.from(new BigInt64Array([new BigInt64Array(new Uint8Array(t.data).buffer)[0]! + 1n]).buffer) };
    return { ...t, data: nudgeF32(t.data, r) };
  });
}

async function setup(): Promise<{ root: string; store: Store; file: string }> {
  const root = scratch();
  const store = await Store.init(root);
  return { root, store, file: path.join(root, 'ckpt', 'model.safetensors') };
}

describe('commit and restore', () => {
  it('makes the first commit a CHECKPOINT and the next a DELTA much smaller than the file', async () => {
    const { store, file } = await setup();
    let m = model(1);
    await writeSafetensors(file, m);
    const c1 = await commit(store, file, { message: 'epoch 1' });
    expect(c1.type).toBe('CHECKPOINT');
    expect(c1.parent).toBeNull();
    m = trainStep(m, 2);
    await writeSafetensors(file, m);
    const c2 = await commit(store, file, { message: 'epoch 2' });
    expect(c2.type).toBe('DELTA');
    expect(c2.parent).toBe(c1.id);
    expect(c2.deltaBytes).toBeGreaterThan(0);
    expect(c2.deltaBytes).toBeLessThan(0.9 * c2.logicalBytes);
    const entries = await log(store);
    expect(entries.map((e) => e.id)).toEqual([c2.id, c1.id]);
  });

  it('restores every version byte for byte, to its own path and elsewhere', async () => {
    const { root, store, file } = await setup();
    let m = model(3);
    const shas: string[] = [];
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      await writeSafetensors(file, m);
      shas.push(await sha256Of(file));
      ids.push((await commit(store, file, { message: `epoch ${i}` })).id);
      m = trainStep(m, 10 + i);
    }
    for (let i = 0; i < 4; i++) {
      const out = path.join(root, 'out', `v${i}.safetensors`);
      await restore(store, ids[i]!, { to: out });
      expect(await sha256Of(out)).toBe(shas[i]);
    }
    await restore(store, 'HEAD~3');
    expect(await sha256Of(file)).toBe(shas[0]);
    expect(await store.readHead()).toBe(ids[0]);
  });

  it('stores an unchanged tensor for 0 bytes and an identical file for 0 bytes', async () => {
    const { store, file } = await setup();
    const m = model(4);
    await writeSafetensors(file, m);
    await commit(store, file, { message: 'a' });
    const c2 = await commit(store, file, { message: 'same again' });
    expect(c2.type).toBe('DELTA');
    expect(c2.deltaBytes).toBe(0);
    // Change one small tensor only: the delta is tiny and the others are "unchanged".
    const m3 = m.map((t) => (t.name === 'layer.0.bias' ? { ...t, data: nudgeF32(t.data, rng(9)) } : t));
    await writeSafetensors(file, m3);
    const c3 = await commit(store, file, { message: 'bias only' });
    expect(c3.deltaBytes).toBeLessThan(64 * 4 + 200);
    const s = await show(store, c3.id);
    const statuses = Object.fromEntries(s.files[0]!.tensors.map((t) => [t.name, t.status]));
    expect(statuses).toEqual({ 'embed.weight': 'unchanged', 'layer.0.weight': 'unchanged', 'layer.0.bias': 'changed', step: 'unchanged' });
    const bias = s.files[0]!.tensors.find((t) => t.name === 'layer.0.bias')!;
    expect(bias.relChange).toBeGreaterThan(0);
    expect(bias.changedFraction).toBeGreaterThan(0.9);
  });

  it('records added and removed tensors', async () => {
    const { store, file } = await setup();
    const m = model(5);
    await writeSafetensors(file, m);
    await commit(store, file, { message: 'a' });
    const m2 = [...m.filter((t) => t.name !== 'layer.0.bias'), { name: 'head.weight', dtype: 'F16' as const, shape: [8], data: Buffer.alloc(16, 3) }];
    await writeSafetensors(file, m2);
    const c2 = await commit(store, file, { message: 'b' });
    const tensors = (await show(store, c2.id)).files[0]!.tensors;
    expect(tensors.find((t) => t.name === 'head.weight')!.status).toBe('added');
    expect(tensors.find((t) => t.name === 'layer.0.bias')!.status).toBe('removed');
    await restore(store, c2.id, { to: path.join(path.dirname(file), 'copy.safetensors') });
    expect(await sha256Of(path.join(path.dirname(file), 'copy.safetensors'))).toBe(await sha256Of(file));
  });

  it('makes a CHECKPOINT by itself when the delta would not save 10%', async () => {
    const { store, file } = await setup();
    await writeSafetensors(file, model(6));
    await commit(store, file, { message: 'a' });
    // Noise with no structure: neither XOR nor the bytes on their own compress.
    const r = rng(7);
    await writeSafetensors(file, model(6).map((t) => ({ ...t, data: Buffer.from(t.data.map(() => Math.floor(r() * 256))) })));
    const c2 = await commit(store, file, { message: 'b' });
    expect(c2.type).toBe('CHECKPOINT');
  });

  it('makes a CHECKPOINT when the chain would exceed maxChainLength, or when asked', async () => {
    const { store, file } = await setup();
    await store.writeConfig({ ...(await store.readConfig()), maxChainLength: 2 });
    let m = model(8);
    const types: string[] = [];
    for (let i = 0; i < 5; i++) {
      await writeSafetensors(file, m);
      types.push((await commit(store, file, { message: `e${i}` })).type);
      m = trainStep(m, 100 + i);
    }
    expect(types).toEqual(['CHECKPOINT', 'DELTA', 'DELTA', 'CHECKPOINT', 'DELTA']);
    await writeSafetensors(file, m);
    expect((await commit(store, file, { message: 'forced', checkpoint: true })).type).toBe('CHECKPOINT');
  });

  it('branches when committing on top of a restored older version', async () => {
    const { store, file } = await setup();
    let m = model(11);
    await writeSafetensors(file, m);
    const a = await commit(store, file, { message: 'a' });
    m = trainStep(m, 1);
    await writeSafetensors(file, m);
    await commit(store, file, { message: 'b' });
    await restore(store, a.id);
    await writeSafetensors(file, trainStep(model(11), 77));
    const c = await commit(store, file, { message: 'c on a' });
    expect(c.parent).toBe(a.id);
    expect((await log(store)).length).toBe(3);
  });
});

describe('rebuild when full parameters are gone', () => {
  it('walks the chain back to a commit whose full parameters remain, and diffs new commits against the rebuilt parent', async () => {
    const { root, store, file } = await setup();
    let m = model(20);
    const shas: string[] = [];
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      await writeSafetensors(file, m);
      shas.push(await sha256Of(file));
      ids.push((await commit(store, file, { message: `e${i}` })).id);
      m = trainStep(m, 200 + i);
    }
    // Delete the full parameters of every DELTA commit by hand.
    for (const id of ids.slice(1)) {
      const man = await store.readManifest(id);
      for (const f of man.files) await fs.rm(store.objectPath(f.sha256), { force: true });
    }
    const entries = await log(store);
    expect(entries.find((e) => e.id === ids[3])!.chainLength).toBe(3);
    expect(entries.find((e) => e.id === ids[3])!.fullBytes).toBe(0);
    for (let i = 0; i < 4; i++) {
      const out = path.join(root, 'rebuilt', `${i}.safetensors`);
      await restore(store, ids[i]!, { to: out });
      expect(await sha256Of(out)).toBe(shas[i]);
    }
    await writeSafetensors(file, m);
    const next = await commit(store, file, { message: 'after pruning' });
    expect(next.type).toBe('DELTA');
    expect(next.deltaBytes).toBeLessThan(0.9 * next.logicalBytes);
    await fs.rm(store.objectPath((await store.readManifest(next.id)).files[0]!.sha256));
    await restore(store, next.id, { to: path.join(root, 'rebuilt', 'next.safetensors') });
    expect(await sha256Of(path.join(root, 'rebuilt', 'next.safetensors'))).toBe(await sha256Of(file));
  });

  it('names the commit when a delta in the chain is missing', async () => {
    const { root, store, file } = await setup();
    let m = model(21);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      await writeSafetensors(file, m);
      ids.push((await commit(store, file, { message: `e${i}` })).id);
      m = trainStep(m, 300 + i);
    }
    for (const id of ids.slice(1)) for (const f of (await store.readManifest(id)).files) await fs.rm(store.objectPath(f.sha256), { force: true });
    const broken = (await store.readManifest(ids[1]!)).files[0]!.delta!.object!;
    await fs.rm(store.objectPath(broken));
    await expect(restore(store, ids[2]!, { to: path.join(root, 'x.safetensors') })).rejects.toMatchObject({ code: 'BROKEN_CHAIN', message: expect.stringContaining(ids[1]!.slice(0, 12)) });
    await expect(fs.access(path.join(root, 'x.safetensors'))).rejects.toThrow();
  });

  it('catches a corrupted delta block where it is read', async () => {
    const { root, store, file } = await setup();
    let m = model(22);
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      await writeSafetensors(file, m);
      ids.push((await commit(store, file, { message: `e${i}` })).id);
      m = trainStep(m, 400 + i);
    }
    const f = (await store.readManifest(ids[1]!)).files[0]!;
    await fs.rm(store.objectPath(f.sha256));
    const deltaPath = store.objectPath(f.delta!.object!);
    await fs.chmod(deltaPath, 0o644);
    const bytes = await fs.readFile(deltaPath);
    bytes[bytes.length >> 1] = bytes[bytes.length >> 1]! ^ 0xff;
    await fs.writeFile(deltaPath, bytes);
    await expect(restore(store, ids[1]!, { to: path.join(root, 'y.safetensors') })).rejects.toMatchObject({ code: 'CORRUPT' });
  });
});

describe('ids, HEAD and the working copy', () => {
  it('resolves HEAD, HEAD~N, unique prefixes of 4+ characters, and refuses short or ambiguous ones', async () => {
    const { store, file } = await setup();
    let m = model(30);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      await writeSafetensors(file, m);
      ids.push((await commit(store, file, { message: `e${i}` })).id);
      m = trainStep(m, 500 + i);
    }
    expect(await resolveCommit(store, 'HEAD')).toBe(ids[2]);
    expect(await resolveCommit(store, 'HEAD~2')).toBe(ids[0]);
    expect(await resolveCommit(store, ids[1]!.slice(0, 12))).toBe(ids[1]);
    expect(await resolveCommit(store, ids[1]!.slice(0, 4).toUpperCase())).toBe(ids[1]);
    await expect(resolveCommit(store, 'abc')).rejects.toMatchObject({ code: 'BAD_USAGE' });
    await expect(resolveCommit(store, 'HEAD~3')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('reports a dirty working copy and refuses to overwrite uncommitted work without force', async () => {
    const { store, file } = await setup();
    const m = model(31);
    await writeSafetensors(file, m);
    const a = await commit(store, file, { message: 'a' });
    expect((await status(store)).dirty).toBe(false);
    await writeSafetensors(file, trainStep(m, 1));
    expect((await status(store)).dirty).toBe(true);
    await expect(restore(store, a.id)).rejects.toMatchObject({ code: 'DIRTY', message: expect.stringContaining('commit') });
    await restore(store, a.id, { force: true });
    expect((await status(store)).dirty).toBe(false);
  });

  it('diffs any two commits, reusing stored figures for a parent and computing them otherwise', async () => {
    const { store, file } = await setup();
    let m = model(32);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      await writeSafetensors(file, m);
      ids.push((await commit(store, file, { message: `e${i}` })).id);
      m = trainStep(m, 600 + i, ['embed.weight']);
    }
    const d = await diff(store, ids[0]!, ids[2]!);
    const byName = Object.fromEntries(d.files[0]!.tensors.map((t) => [t.name, t]));
    expect(byName['embed.weight']!.status).toBe('unchanged');
    expect(byName['layer.0.weight']!.status).toBe('changed');
    expect(byName['layer.0.weight']!.relChange).toBeGreaterThan(0);
    expect(byName['step']!.maxAbsDiff).toBe(2);
  });
});

describe('folders', () => {
  it('commits a Hugging Face style folder and restores it whole, removing files the version did not have', async () => {
    const { root, store } = await setup();
    const dir = path.join(root, 'hf');
    const m = model(40);
    await writeSafetensors(path.join(dir, 'model-00001-of-00002.safetensors'), m.slice(0, 2));
    await writeSafetensors(path.join(dir, 'model-00002-of-00002.safetensors'), m.slice(2));
    await fs.writeFile(path.join(dir, 'config.json'), JSON.stringify({ hidden: 64 }));
    const a = await commit(store, dir, { message: 'a' });
    await writeSafetensors(path.join(dir, 'model-00002-of-00002.safetensors'), trainStep(m.slice(2), 3));
    await fs.writeFile(path.join(dir, 'extra.txt'), 'new file');
    const b = await commit(store, dir, { message: 'b' });
    const shown = await show(store, b.id);
    expect(shown.files.find((f) => f.path === 'model-00001-of-00002.safetensors')!.status).toBe('unchanged');
    expect(shown.files.find((f) => f.path === 'model-00002-of-00002.safetensors')!.status).toBe('changed');
    expect(shown.files.find((f) => f.path === 'config.json')!.status).toBe('unchanged');
    await restore(store, a.id);
    await expect(fs.access(path.join(dir, 'extra.txt'))).rejects.toThrow();
    expect(JSON.parse(await fs.readFile(path.join(dir, 'config.json'), 'utf8'))).toEqual({ hidden: 64 });
  });
});

describe('bad input changes nothing', () => {
  const cases: Array<[string, string, Buffer | string]> = [
    ['empty safetensors', 'm.safetensors', Buffer.alloc(0)],
    ['header length 2^60', 'm.safetensors', Buffer.concat([Buffer.from([0, 0, 0, 0, 0, 0, 0, 0x10]), Buffer.alloc(16)])],
    ['invalid header JSON', 'm.safetensors', (() => { const b = Buffer.alloc(8 + 10); b.writeBigUInt64LE(10n); b.write('{"a": nope', 8); return b; })()],
    ['offsets past the end', 'm.safetensors', (() => { const h = JSON.stringify({ w: { dtype: 'F32', shape: [100], data_offsets: [0, 400] } }); const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(h.length)); return Buffer.concat([b, Buffer.from(h), Buffer.alloc(12)]); })()],
    ['text file named .pt', 'm.pt', 'this is not a checkpoint\n'],
    ['truncated npz', 'm.npz', Buffer.from('PK\x03\x04 truncated')],
  ];
  for (const [what, name, bytes] of cases) {
    it(`${what}: a one-line error naming the file, store untouched`, async () => {
      const { root, store } = await setup();
      const good = path.join(root, 'good.safetensors');
      await writeSafetensors(good, model(50));
      await commit(store, good, { message: 'good' });
      const before = await snapshotTree(store.dir);
      const bad = path.join(root, name);
      await fs.writeFile(bad, bytes);
      const err = await commit(store, bad, { message: 'bad' }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'BAD_FORMAT' });
      expect((err as Error).message).toContain(bad);
      expect((err as Error).message).not.toContain('\n');
      expect(await snapshotTree(store.dir)).toEqual(before);
    });
  }

  it('a full object changed on disk is refused by a copying restore, and the target is left as it was', async () => {
    const { root, store } = await setup();
    const file = path.join(root, 'm.safetensors');
    await writeSafetensors(file, model(60));
    const c = await commit(store, file, { message: 'one' });
    const object = store.objectPath((await store.readManifest(c.id)).files[0]!.sha256);
    await fs.chmod(object, 0o644);
    const fh = await fs.open(object, 'r+');
    await fh.write(Buffer.from([0xff, 0xfe]), 0, 2, 200);
    await fh.close();
    const target = path.join(root, 'out', 'm.safetensors');
    await expect(restore(store, c.id, { to: target, link: 'copy' })).rejects.toMatchObject({ code: 'CORRUPT' });
    await expect(fs.stat(target)).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await fs.readdir(path.join(root, 'out'))).filter((f) => f.startsWith('.tmp-'))).toEqual([]);
  });

  for (const how of ['grows', 'is rewritten in place'] as const) {
    it(`a file that ${how} while it is being committed: CHANGED_DURING, store untouched`, async () => {
      const { root, store } = await setup();
      const big = (seed: number): TestTensor[] => [{ name: 'w', dtype: 'F32', shape: [6 * 1024 * 1024], data: gaussianF32(6 * 1024 * 1024, rng(seed)) }];
      const file = path.join(root, 'm.safetensors');
      await writeSafetensors(file, big(1));
      await commit(store, file, { message: 'first' });
      await writeSafetensors(file, big(2));
      const before = await snapshotTree(store.dir);
      let touched = false;
      const err = await commit(store, file, {
        message: 'second',
        onProgress: (p) => {
          // The training script saves again while the copy is under way.
          if (touched || p.phase !== 'copying') return;
          touched = true;
          if (how === 'grows') appendFileSync(file, Buffer.alloc(4096));
          else { const fd = openSync(file, 'r+'); writeSync(fd, Buffer.alloc(16), 0, 16, 1000); closeSync(fd); }
        },
      }).catch((e: unknown) => e);
      expect(touched).toBe(true);
      expect(err).toMatchObject({ code: 'CHANGED_DURING' });
      expect(await snapshotTree(store.dir)).toEqual(before);
    });
  }

  it('a missing path and a folder that is not a store', async () => {
    const { root, store } = await setup();
    await expect(commit(store, path.join(root, 'nope.safetensors'), { message: '' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(Store.find(scratch())).rejects.toMatchObject({ code: 'NOT_A_STORE' });
  });
});
