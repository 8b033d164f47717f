import { spawn } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src-main/cli/main';
import { cleanup, cleanupPlan } from '../../src-main/core/ops/cleanup';
import { packFull } from '../../src-main/core/ops/pack';
import { pin } from '../../src-main/core/ops/pin';
import { repair } from '../../src-main/core/ops/repair';
import { restore } from '../../src-main/core/ops/restore';
import { verify } from '../../src-main/core/ops/verify';
import { log } from '../../src-main/core/ops/inspect';
import { packsDir, readPacks, recordPack } from '../../src-main/core/store/packs';
import { makeHistory, restorableVersions, type History } from '../helpers/history';
import { sha256Of, useScratch } from '../helpers/models';
import { TSX_EXEC_ARGV } from '../helpers/tsx';
import { Store } from '../../src-main/core/store/store';
import { fileURLToPath } from 'node:url';

// Issue 18, "Packs are proven like everything else": cleanup deletes a raw
// copy only after the pack replacing it decodes and hashes right; verify
// checks packed objects even when a raw copy is beside them; repair rebuilds
// the pack index from the packed objects' own tables and puts back objects
// found intact under another name. Each case of the issue is one test here.

const scratch = useScratch();

async function history(count: number, seed = 7, opts: { checkpointEvery?: number } = {}): Promise<History> {
  return makeHistory(scratch(), count, { seed, big: 1_200_000, small: 1000, fraction: 0.3, ...opts });
}

const all = (h: History): boolean[] => h.ids.map(() => true);

async function flipByte(file: string, at: (size: number) => number): Promise<void> {
  const bytes = await fs.readFile(file);
  const i = at(bytes.length);
  bytes[i] = bytes[i]! ^ 0x10;
  await fs.chmod(file, 0o644);
  await fs.writeFile(file, bytes);
}

async function packOf(h: History, id: string): Promise<{ full: string; packed: string }> {
  const f = (await h.store.readManifest(id)).files[0]!;
  const packed = (await readPacks(h.store)).get(f.sha256)?.[0];
  if (!packed) throw new Error(`no pack recorded for ${id}`);
  return { full: f.sha256, packed };
}

describe('packs are proven before a raw copy goes (issue 18)', () => {
  it('pin a packed CHECKPOINT, a bit flips in the packed object, unpin, cleanup: the raw copy is not deleted on the damaged pack\'s word; no version is lost', async () => {
    const h = await history(5);
    await cleanup(h.store);
    const { full, packed } = await packOf(h, h.ids[0]!);
    expect(await h.store.hasObject(full)).toBe(false);
    // Pinning brings the raw copy back beside the pack.
    await pin(h.store, h.ids[0]!, true);
    expect(await h.store.hasObject(full)).toBe(true);
    await flipByte(h.store.objectPath(packed), (n) => Math.floor(n / 3));
    // Verify checks the pack although the raw copy serves every read.
    const v = await verify(h.store);
    const c = v.commits.find((x) => x.id === h.ids[0])!;
    expect(c.ok).toBe(false);
    expect(c.restorable).toBe(true);
    expect(c.error).toMatch(/packed full parameters are damaged/);
    await pin(h.store, h.ids[0]!, false);
    const plan = await cleanupPlan(h.store);
    const done = await cleanup(h.store);
    expect(await restorableVersions(h)).toEqual(all(h));
    // The damaged pack went to quarantine and a fresh one, decoded and hashed, replaced the raw copy.
    const quarantine = await fs.readdir(path.join(h.store.dir, 'quarantine'));
    expect(quarantine.some((n) => n.startsWith(packed))).toBe(true);
    expect((await verify(h.store)).ok).toBe(true);
    expect(done.packs).toEqual(plan.packs);
    expect(plan.packs[0]!.packedBytes).toBeGreaterThan(0); // the preview knew the pack had to be made again
  });

  it('a kill between recording a pack and deleting the raw copy, then damage to the pack: the next cleanup re-packs instead of trusting it', async () => {
    const h = await history(5);
    const f = (await h.store.readManifest(h.ids[0]!)).files[0]!;
    // What a cleanup killed after recordPack leaves: raw copy, packed object and its index entry.
    const made = await packFull(h.store, f);
    expect(made).not.toBeNull();
    expect(await h.store.hasObject(f.sha256)).toBe(true);
    await flipByte(h.store.objectPath(made!.object), (n) => n - 20); // in the table
    await cleanup(h.store);
    expect(await restorableVersions(h)).toEqual(all(h));
    expect((await verify(h.store)).ok).toBe(true);
  });

  it('a kill between recording a pack and deleting the raw copy with the pack intact: the next cleanup proves it and deletes the raw copy, adding nothing', async () => {
    const h = await history(5);
    const f = (await h.store.readManifest(h.ids[0]!)).files[0]!;
    const made = (await packFull(h.store, f))!;
    const plan = await cleanupPlan(h.store);
    expect(plan.packs).toEqual([{ id: h.ids[0], rawBytes: f.bytes, packedBytes: 0 }]);
    const done = await cleanup(h.store);
    expect(done.packs).toEqual(plan.packs);
    expect(await h.store.hasObject(f.sha256)).toBe(false);
    expect(await h.store.hasObject(made.object)).toBe(true);
    expect(await restorableVersions(h)).toEqual(all(h));
  });
});

describe('repair rebuilds the pack index from the packed objects (issue 18)', () => {
  it('the empty files under packs/ are lost (a sync tool skipped them): repair records every pack again from its table; nothing is lost', async () => {
    const h = await history(9, 11, { checkpointEvery: 3 });
    await cleanup(h.store);
    const before = await readPacks(h.store);
    expect(before.size).toBeGreaterThanOrEqual(2);
    await fs.rm(packsDir(h.store), { recursive: true });
    const res = await repair(h.store);
    expect(res.ok).toBe(true);
    expect(res.commits.filter((c) => c.outcome === 'lost')).toEqual([]);
    expect(await readPacks(h.store)).toEqual(before);
    expect(res.rebuilt.length).toBeGreaterThanOrEqual(before.size);
    expect((await verify(h.store)).ok).toBe(true);
    expect(await restorableVersions(h)).toEqual(all(h));
  });

  it('a swapped pack mapping: verify says what cannot be rebuilt, repair fixes the entries (not "nothing to repair"), then verify is green', async () => {
    const h = await history(9, 12, { checkpointEvery: 3 });
    await cleanup(h.store);
    const packs = [...(await readPacks(h.store))].map(([full, p]) => ({ full, packed: p[0]! }));
    expect(packs.length).toBeGreaterThanOrEqual(2);
    const [a, b] = packs as [typeof packs[0], typeof packs[0]];
    await fs.rm(path.join(packsDir(h.store), `${a.full}.${a.packed}`));
    await fs.rm(path.join(packsDir(h.store), `${b.full}.${b.packed}`));
    await fs.writeFile(path.join(packsDir(h.store), `${a.full}.${b.packed}`), '');
    await fs.writeFile(path.join(packsDir(h.store), `${b.full}.${a.packed}`), '');
    const v = await verify(h.store);
    expect(v.ok).toBe(false);
    const res = await repair(h.store);
    expect(res.rebuilt.length + res.quarantined.length).toBeGreaterThan(0);
    expect(res.ok).toBe(true);
    const now = await readPacks(h.store);
    expect(now.get(a.full)).toEqual([a.packed]);
    expect(now.get(b.full)).toEqual([b.packed]);
    expect((await verify(h.store)).ok).toBe(true);
    expect(await restorableVersions(h)).toEqual(all(h));
  });

  it('objects that hash to each other\'s names after a swap are put back under their names, not left in quarantine', async () => {
    const h = await history(6, 13);
    await cleanup(h.store);
    const m3 = (await h.store.readManifest(h.ids[3]!)).files[0]!;
    const m4 = (await h.store.readManifest(h.ids[4]!)).files[0]!;
    const x = m3.delta!.object!, y = m4.delta!.object!;
    const px = h.store.objectPath(x), py = h.store.objectPath(y);
    const tmp = `${px}.swap`;
    await fs.rename(px, tmp);
    await fs.rename(py, px);
    await fs.rename(tmp, py);
    const res = await repair(h.store);
    expect(res.ok).toBe(true);
    expect(res.rebuilt.map((r) => r.object).sort()).toEqual(expect.arrayContaining([x, y].sort()));
    expect(await sha256Of(px)).toBe(x);
    expect(await sha256Of(py)).toBe(y);
    expect((await verify(h.store)).ok).toBe(true);
    expect(await restorableVersions(h)).toEqual(all(h));
  });

  it('an object renamed to a name no manifest gives is found and put back', async () => {
    const h = await history(5, 14);
    const d = (await h.store.readManifest(h.ids[2]!)).files[0]!.delta!.object!;
    const stray = 'ab'.repeat(32);
    await fs.mkdir(path.dirname(h.store.objectPath(stray)), { recursive: true });
    await fs.rename(h.store.objectPath(d), h.store.objectPath(stray));
    const res = await repair(h.store);
    expect(res.rebuilt.map((r) => r.object)).toContain(d);
    expect(await sha256Of(h.store.objectPath(d))).toBe(d);
    expect((await verify(h.store)).ok).toBe(true);
  });
});

describe('store files of the wrong kind in the pack machinery are CORRUPT naming the file (issue 18, item 9)', () => {
  it('`packs` is a file: readers route around it, cleanup stops with CORRUPT naming it and the next step, verify reports it, repair rebuilds the index', async () => {
    const h = await history(5);
    await cleanup(h.store);
    const before = await readPacks(h.store);
    await fs.rm(packsDir(h.store), { recursive: true });
    await fs.writeFile(packsDir(h.store), 'not a folder');
    // Newer versions restore from raw copies and deltas; the CHECKPOINT's backward route works too.
    expect(await restorableVersions(h)).toEqual(all(h));
    // The log still lists every commit; a writer recording a pack (fetch) stops with CORRUPT naming it, not an internal error.
    expect((await log(h.store)).length).toBe(h.ids.length);
    const [full, packed] = [...before].map(([f, p]) => [f, p[0]!] as const)[0]!;
    await expect(recordPack(h.store, full, packed)).rejects.toMatchObject({ code: 'CORRUPT', file: packsDir(h.store) });
    await expect(cleanupPlan(h.store)).rejects.toMatchObject({ code: 'CORRUPT', file: packsDir(h.store), message: expect.stringMatching(/is a file, expected a folder.*weightline repair/) });
    const v = await verify(h.store);
    expect(v.ok).toBe(false);
    expect(v.commits.some((c) => /pack index .* is a file/.test(c.error ?? ''))).toBe(true);
    const res = await repair(h.store);
    expect(res.ok).toBe(true);
    expect(res.quarantined.map((q) => q.object)).toContain('packs');
    expect(await readPacks(h.store)).toEqual(before);
    expect((await verify(h.store)).ok).toBe(true);
  });

  it('`packs` is a file and the CHECKPOINT has no other route: restore fails with CORRUPT naming packs and repair', async () => {
    const h = await history(5, 9, { checkpointEvery: 2 });
    await cleanup(h.store);
    const child = (await h.store.readManifest(h.ids[1]!)).files[0]!;
    await fs.rm(h.store.objectPath(child.delta!.object!), { force: true });
    await fs.rm(packsDir(h.store), { recursive: true });
    await fs.writeFile(packsDir(h.store), '');
    await expect(restore(h.store, h.ids[0]!, { to: path.join(h.root, 'x.safetensors'), link: 'copy' }))
      .rejects.toMatchObject({ code: 'CORRUPT', file: packsDir(h.store), message: expect.stringMatching(/weightline repair/) });
    await repair(h.store);
    const to = path.join(h.root, 'y.safetensors');
    await restore(h.store, h.ids[0]!, { to, link: 'copy' });
    expect(await sha256Of(to)).toBe(h.shas[0]);
  });

  it('a packed object replaced by a folder: verify says restorable by the backward route (not FAILED), repair sets it aside without crashing, then verify is green', async () => {
    const h = await history(5);
    await cleanup(h.store);
    const { packed } = await packOf(h, h.ids[0]!);
    await fs.rm(h.store.objectPath(packed));
    await fs.mkdir(h.store.objectPath(packed));
    const v = await verify(h.store);
    const c = v.commits.find((x) => x.id === h.ids[0])!;
    expect(c.restorable).toBe(true);
    expect(c.error).toMatch(/packed full parameters are damaged/);
    expect(await restorableVersions(h)).toEqual(all(h));
    const res = await repair(h.store);
    expect(res.ok).toBe(true);
    expect(res.quarantined.map((q) => q.object)).toContain(packed);
    expect((await verify(h.store)).ok).toBe(true);
    expect(await restorableVersions(h)).toEqual(all(h));
  });

  it('no CLI command answers "internal error" while `packs` is a file or a packed object is a folder', async () => {
    const h = await history(5);
    await cleanup(h.store);
    const { packed } = await packOf(h, h.ids[0]!);
    const cli = async (...argv: string[]): Promise<{ code: number; out: string }> => {
      let out = '';
      const code = await main(argv, { cwd: h.root, stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (out += s) } });
      return { code, out };
    };
    const commands = [['log'], ['status'], ['verify'], ['restore', h.ids[0]!, '--to', path.join(h.root, 'r0.safetensors')], ['restore', h.ids[4]!, '--to', path.join(h.root, 'r4.safetensors')], ['cleanup', '--dry-run'], ['repair', '--dry-run']];
    await fs.rm(h.store.objectPath(packed));
    await fs.mkdir(h.store.objectPath(packed));
    for (const argv of commands) expect((await cli(...argv)).out, argv.join(' ')).not.toMatch(/internal error/i);
    await fs.rm(h.store.objectPath(packed), { recursive: true });
    await repair(h.store);
    await fs.rm(packsDir(h.store), { recursive: true });
    await fs.writeFile(packsDir(h.store), '');
    for (const argv of commands) expect((await cli(...argv)).out, argv.join(' ')).not.toMatch(/internal error/i);
    const cleanupRun = await cli('cleanup');
    expect(cleanupRun.code).not.toBe(0);
    expect(cleanupRun.out).toMatch(/packs is a file, expected a folder/);
    expect((await cli('repair')).code).toBe(0);
    expect((await cli('verify')).code).toBe(0);
  });

  it('a cleanup SIGKILLed at random points while it packs: every version restores; a pack left beside its raw copy, then damaged, is not trusted by the next cleanup', async () => {
    const entry = fileURLToPath(new URL('../helpers/cli-entry.ts', import.meta.url));
    const runCli = (cwd: string, killAfterMs: number | null): Promise<number> => new Promise((resolve, reject) => {
      const started = Date.now();
      const child = spawn(process.execPath, [...TSX_EXEC_ARGV, entry, 'cleanup'], { cwd, stdio: 'ignore' });
      const timer = killAfterMs === null ? null : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      child.on('error', reject);
      child.on('exit', () => { if (timer) clearTimeout(timer); resolve(Date.now() - started); });
    });
    const template = await history(6, 41, { checkpointEvery: 3 });
    const probe = scratch();
    await fs.cp(template.root, probe, { recursive: true });
    const usual = await runCli(probe, null);
    // The window between recording a pack and deleting its raw copy is tiny; the test above builds that state directly.
    const points = Number(process.env.WEIGHTLINE_CRASH_POINTS ?? 4);
    for (let i = 0; i < points; i++) {
      const root = scratch();
      await fs.cp(template.root, root, { recursive: true });
      const h = { ...template, root, store: await Store.open(root), file: path.join(root, 'ckpt.safetensors') };
      await runCli(root, Math.round(((i + 0.5) / points) * usual));
      expect(await restorableVersions(h)).toEqual(all(h));
      // Any pack whose raw copy is still beside it: damage it, then clean up again.
      for (const [full, packed] of await readPacks(h.store)) {
        if (!(await h.store.hasObject(full))) continue;
        await flipByte(h.store.objectPath(packed[0]!), (n) => Math.floor(n / 2));
      }
      await cleanup(h.store);
      expect(await restorableVersions(h)).toEqual(all(h));
      expect((await verify(h.store)).ok).toBe(true);
    }
  }, 600_000);
});
