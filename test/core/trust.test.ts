import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanup, cleanupPlan } from '../../src-main/core/ops/cleanup';
import { commit } from '../../src-main/core/ops/commit';
import { setPinned } from '../../src-main/core/ops/pin';
import { repair } from '../../src-main/core/ops/repair';
import { restore } from '../../src-main/core/ops/restore';
import { verify } from '../../src-main/core/ops/verify';
import { Store } from '../../src-main/core/store/store';
import { readPacks } from '../../src-main/core/store/packs';
import { makeHistory, restorableVersions, type History } from '../helpers/history';
import { nudgeF32, rng, sha256Of, useScratch, writeSafetensors } from '../helpers/models';

// The first promise: no Weightline command turns a version that could be
// restored bit-exact into one that cannot. Each case below is one the issue
// (#10) found breaking it in ordinary use; each must now hold.

const scratch = useScratch();

/** A CHECKPOINT then DELTAs of a model with a 5 MiB tensor (two blocks) and a small one. */
async function history(count: number, seed = 1): Promise<History> {
  return makeHistory(scratch(), count, { seed });
}

const restorable = (h: History): Promise<boolean[]> => restorableVersions(h);

async function flipByte(file: string, at = 4096): Promise<void> {
  await fs.chmod(file, 0o644);
  const h = await fs.open(file, 'r+');
  const b = Buffer.alloc(1);
  await h.read(b, 0, 1, at);
  b[0] = b[0]! ^ 0x40;
  await h.write(b, 0, 1, at);
  await h.close();
}

describe('nothing is lost (issue 10 regressions)', () => {
  it('a hard-linked restore written in place, then two commits and cleanup: every version still restores', async () => {
    const h = await history(4);
    const linked = path.join(h.root, 'linked.safetensors');
    const res = await restore(h.store, h.ids[3]!, { to: linked, link: 'hardlink' });
    expect(res.link?.warning).toMatch(/weightline repair/);
    // torch.save or cp to the same path writes through the link, into the store's object.
    await fs.chmod(linked, 0o644);
    await fs.writeFile(linked, Buffer.concat([await fs.readFile(linked)].map((b) => { const c = Buffer.from(b); c[5000] = c[5000]! ^ 1; return c; })));
    for (let i = 0; i < 2; i++) {
      h.model = h.model.map((t) => ({ ...t, data: nudgeF32(t.data, rng(100 + i)) }));
      await writeSafetensors(h.file, h.model);
      const c = await commit(h.store, h.file, { message: `more ${i}` });
      h.ids.push(c.id);
      h.shas.push(await sha256Of(h.file));
    }
    await cleanup(h.store);
    expect(await restorable(h)).toEqual(h.ids.map(() => true));
    const v = await verify(h.store);
    const bad = v.commits.filter((c) => !c.ok);
    // Only the commit whose object was written into is reported, and it still restores.
    expect(bad.map((c) => c.id)).toEqual([h.ids[3]]);
    expect(bad[0]).toMatchObject({ restorable: true });
    expect(bad[0]!.error).toMatch(/weightline repair/);
  });

  it('a flipped bit in a CHECKPOINT object, then cleanup: no version is lost', async () => {
    const h = await history(6);
    const cp = (await h.store.readManifest(h.ids[0]!)).files[0]!.sha256;
    await flipByte(h.store.objectPath(cp));
    const plan = await cleanupPlan(h.store);
    await cleanup(h.store);
    expect(await restorable(h)).toEqual(h.ids.map(() => true));
    // The commit right after the CHECKPOINT keeps its full parameters: its forward route hit the damage.
    expect(plan.kept.find((k) => k.id === h.ids[1])).toMatchObject({ reasons: ['broken-chain'] });
    const v = await verify(h.store);
    expect(v.commits.find((c) => c.id === h.ids[0])).toMatchObject({ ok: false, restorable: true });
    expect(v.commits.find((c) => c.id === h.ids[0])!.route).toMatch(/backward/);
  });

  it('a pinned DELTA whose object is damaged: its child is not pruned onto the bad base', async () => {
    const h = await history(7);
    await setPinned(h.store, h.ids[3]!, true);
    const pinned = (await h.store.readManifest(h.ids[3]!)).files[0]!.sha256;
    await flipByte(h.store.objectPath(pinned));
    await cleanup(h.store);
    expect(await restorable(h)).toEqual(h.ids.map(() => true));
  });

  it('a DELTA commit whose full object is damaged restores through its intact delta chain, and says so', async () => {
    const h = await history(3);
    const full = (await h.store.readManifest(h.ids[2]!)).files[0]!.sha256;
    await flipByte(h.store.objectPath(full));
    const to = path.join(h.root, 'out.safetensors');
    const res = await restore(h.store, h.ids[2]!, { to, link: 'copy' });
    expect(await sha256Of(to)).toBe(h.shas[2]);
    expect(res.notes?.map((n) => n.message).join('\n')).toMatch(/damaged.*repair/);
  });

  it('an object that is both a full object and a delta object is never deleted by cleanup', async () => {
    const h = await history(3);
    // Commit the bytes of a delta object as a model of their own (copied out of the store).
    const delta = (await h.store.readManifest(h.ids[1]!)).files[0]!.delta!.object!;
    const copy = path.join(h.root, 'opaque.bin');
    await fs.copyFile(h.store.objectPath(delta), copy);
    await fs.chmod(copy, 0o644);
    const c = await commit(h.store, copy, { message: 'a delta as a model' });
    expect((await h.store.readManifest(c.id)).files[0]!.sha256).toBe(delta);
    // More commits on the same line so that one leaves keepFullLatest.
    for (let i = 0; i < 3; i++) {
      h.model = h.model.map((t) => ({ ...t, data: nudgeF32(t.data, rng(200 + i)) }));
      await writeSafetensors(h.file, h.model);
      const n = await commit(h.store, h.file, { message: `after ${i}` });
      h.ids.push(n.id);
      h.shas.push(await sha256Of(h.file));
    }
    await cleanup(h.store);
    expect(await h.store.hasObject(delta)).toBe(true);
    expect(await restorable(h)).toEqual(h.ids.map(() => true));
  });

  it('after a write through a hard link into the parent\'s object, the next commit still works (from another route) or names repair', async () => {
    const h = await history(3);
    const linked = path.join(h.root, 'linked.safetensors');
    await restore(h.store, h.ids[2]!, { to: linked, link: 'hardlink' });
    await fs.chmod(linked, 0o644);
    await flipByte(linked, 9000);
    h.model = h.model.map((t) => ({ ...t, data: nudgeF32(t.data, rng(7)) }));
    await writeSafetensors(h.file, h.model);
    const c = await commit(h.store, h.file, { message: 'next' });
    h.ids.push(c.id);
    h.shas.push(await sha256Of(h.file));
    expect(await restorable(h)).toEqual(h.ids.map(() => true));
  });

  it('verify beside a cleanup reports no false failure', async () => {
    const h = await history(8);
    const [v] = await Promise.all([verify(h.store), cleanup(h.store)]);
    expect(v.commits.filter((c) => !c.ok)).toEqual([]);
  });

  it('a manifest file name with ".." is refused on restore, with and without --to', async () => {
    const h = await history(1);
    // A hand-made manifest (ids are the hash of the bytes, so any content is a "valid" commit).
    const m = await h.store.readManifest(h.ids[0]!);
    const evil = { ...m, files: [{ ...m.files[0]!, path: '../x.safetensors' }] };
    // Weightline itself refuses to write it (the path gate, issue 18)...
    await expect(h.store.writeManifest(evil as typeof m)).rejects.toMatchObject({ code: 'UNSAFE_PATH' });
    // ...so it is forged byte by byte, as another program would.
    const bytes = Buffer.from(JSON.stringify(evil));
    const id = createHash('sha256').update(bytes).digest('hex');
    await fs.writeFile(path.join(h.store.dir, 'commits', `${id}.json`), bytes);
    const inner = path.join(h.root, 'out', 'inner');
    await fs.mkdir(inner, { recursive: true });
    await expect(restore(h.store, id, { to: inner, force: true })).rejects.toMatchObject({ code: expect.stringMatching(/UNSAFE_PATH|CORRUPT/) });
    await expect(restore(h.store, id, { force: true })).rejects.toMatchObject({ code: expect.stringMatching(/UNSAFE_PATH|CORRUPT/) });
    await expect(fs.access(path.join(h.root, 'out', 'x.safetensors'))).rejects.toThrow();
  });

  it('--link auto never shares bytes with the store (reflink where the disk can, else a copy)', async () => {
    const h = await history(2);
    const to = path.join(h.root, 'auto.safetensors');
    const res = await restore(h.store, h.ids[1]!, { to, link: 'auto' });
    expect(res.link?.warning).toBeNull();
    const [a, b] = await Promise.all([fs.lstat(to), fs.stat(h.store.objectPath(h.shas[1]!))]);
    expect(a.isSymbolicLink()).toBe(false);
    expect(a.ino).not.toBe(b.ino);
    // Written into, the store's copy is unharmed.
    await fs.appendFile(to, 'x');
    expect(await sha256Of(h.store.objectPath(h.shas[1]!))).toBe(h.shas[1]);
  });

  it('restore --to DIR/ writes inside the folder, creating it', async () => {
    const h = await history(2);
    const dir = path.join(h.root, 'newdir');
    const res = await restore(h.store, h.ids[0]!, { to: `${dir}/` });
    expect(res.target).toBe(path.join(dir, 'ckpt.safetensors'));
    expect(await sha256Of(res.target)).toBe(h.shas[0]);
  });
});

describe('repair', () => {
  it('quarantines damaged objects, rebuilds full objects from intact routes, and reports each commit', async () => {
    const h = await history(6);
    await cleanup(h.store);
    const m0 = await h.store.readManifest(h.ids[0]!);
    const m5 = await h.store.readManifest(h.ids[5]!);
    // Cleanup packed the CHECKPOINT (out of the newest two): damage its packed
    // full parameters and the newest commit's delta object.
    const packed = (await readPacks(h.store)).get(m0.files[0]!.sha256)![0]!;
    expect(await h.store.hasObject(m0.files[0]!.sha256)).toBe(false);
    await flipByte(h.store.objectPath(packed), 100);
    await flipByte(h.store.objectPath(m5.files[0]!.delta!.object!), 10);

    const dry = await repair(h.store, { dryRun: true });
    expect(dry.dryRun).toBe(true);
    expect(dry.quarantined.map((q) => q.object).sort()).toEqual([packed, m5.files[0]!.delta!.object!].sort());
    // The delta too (issue 18: deltas are encoded deterministically, so it can be made again to its name).
    expect(dry.rebuilt.map((r) => r.object)).toEqual([m0.files[0]!.sha256, m5.files[0]!.delta!.object!]);
    // A dry run changes nothing.
    expect(await h.store.hasObject(m0.files[0]!.sha256)).toBe(false);
    expect(await h.store.hasObject(packed)).toBe(true);

    const res = await repair(h.store);
    expect(res.ok).toBe(true);
    const byId = Object.fromEntries(res.commits.map((c) => [c.id, c]));
    expect(byId[h.ids[0]!]!.outcome).toBe('repaired');
    expect(byId[h.ids[5]!]!.outcome).toBe('repaired');
    expect(byId[h.ids[2]!]!.outcome).toBe('intact');
    // The damaged bytes are kept, not deleted.
    for (const q of res.quarantined) await expect(fs.access(q.path)).resolves.toBeUndefined();
    expect(await sha256Of(h.store.objectPath(m0.files[0]!.sha256))).toBe(m0.files[0]!.sha256);
    expect(await restorable(h)).toEqual(h.ids.map(() => true));
    expect(await sha256Of(h.store.objectPath(m5.files[0]!.delta!.object!))).toBe(m5.files[0]!.delta!.object!);
    // verify: everything is whole again.
    const v = await verify(h.store);
    expect(v.commits.filter((c) => !c.ok).map((c) => c.id)).toEqual([]);
  });

  it('says which commits are lost and why when no intact route is left', async () => {
    const h = await history(3);
    await setPinned(h.store, h.ids[1]!, false);
    // Both the CHECKPOINT's object and the next commit's delta are damaged: the CHECKPOINT can still
    // come back from commit 1's full object only through commit 1's delta, which is damaged.
    const m0 = await h.store.readManifest(h.ids[0]!);
    const m1 = await h.store.readManifest(h.ids[1]!);
    await flipByte(h.store.objectPath(m0.files[0]!.sha256));
    await flipByte(h.store.objectPath(m1.files[0]!.delta!.object!), 10);
    const res = await repair(h.store);
    const c0 = res.commits.find((c) => c.id === h.ids[0]);
    expect(c0).toMatchObject({ outcome: 'lost' });
    expect(c0!.detail).toMatch(/no intact route/);
    expect(res.ok).toBe(false);
    // Everything else is still restorable.
    expect((await restorable(h)).slice(1)).toEqual([true, true]);
  });
});

describe('a damaged manifest', () => {
  it('blocks no other restore; cleanup refuses until repair moves it into quarantine and reports the commit lost', async () => {
    const h = await history(5);
    const manifestFile = path.join(h.store.dir, 'commits', `${h.ids[2]}.json`);
    await fs.chmod(manifestFile, 0o644);
    await fs.appendFile(manifestFile, ' ');
    const fresh = await Store.open(h.root);
    const got = await restorable({ ...h, store: fresh });
    expect(got).toEqual([true, true, false, true, true]);
    await expect(cleanup(fresh)).rejects.toMatchObject({ code: 'CORRUPT', message: expect.stringMatching(/weightline repair/) });
    const res = await repair(fresh);
    expect(res.commits.find((c) => c.id === h.ids[2])).toMatchObject({ outcome: 'lost' });
    expect(res.quarantined.map((q) => q.object)).toEqual([h.ids[2]]);
    await expect(fs.access(res.quarantined[0]!.path)).resolves.toBeUndefined();
    const after = await Store.open(h.root);
    await cleanup(after);
    expect((await restorable({ ...h, store: after })).filter((_, i) => i !== 2)).toEqual([true, true, true, true]);
  });
});
