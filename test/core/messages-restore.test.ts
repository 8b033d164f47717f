// What restore, pin and the log say is what happened: typed notes, HEAD's move
// and what the next commit does, refusals that name the file that blocks and a
// command that works, copies where links were asked for.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src-main/cli/main';
import { cleanup } from '../../src-main/core/ops/cleanup';
import { commit } from '../../src-main/core/ops/commit';
import { log } from '../../src-main/core/ops/inspect';
import { listPins, pin } from '../../src-main/core/ops/pin';
import { restore } from '../../src-main/core/ops/restore';
import { Store } from '../../src-main/core/store/store';
import { clause } from '../../src-shared/printable';
import { makeHistory } from '../helpers/history';
import { gaussianF32, nudgeF32, rng, sha256Of, useScratch, writeSafetensors } from '../helpers/models';

const scratch = useScratch();
const small = { big: 20_000, small: 256 };

async function rejection(p: Promise<unknown>): Promise<Error & { code?: string }> {
  return p.then(() => { throw new Error('expected a refusal'); }, (e: unknown) => e as Error & { code?: string });
}

/** A folder model committed three times (each a nudge of model.safetensors; config.json unchanged). */
async function folderHistory(): Promise<{ root: string; store: Store; folder: string; ids: string[]; versions: Buffer[] }> {
  const root = scratch();
  const store = await Store.init(root);
  const folder = path.join(root, 'model');
  await fs.mkdir(folder);
  await fs.writeFile(path.join(folder, 'config.json'), '{"layers":2}');
  const r = rng(5);
  let w = gaussianF32(8192, r);
  const ids: string[] = [];
  const versions: Buffer[] = [];
  for (let i = 0; i < 3; i++) {
    if (i > 0) w = nudgeF32(w, r);
    versions.push(w);
    await writeSafetensors(path.join(folder, 'model.safetensors'), [{ name: 'w', dtype: 'F32', shape: [8192], data: w }]);
    ids.push((await commit(store, folder, { message: `v${i}` })).id);
  }
  return { root, store, folder, ids, versions };
}

describe('restore says where HEAD went and what the next commit does', () => {
  it('restore HEAD~2 moves HEAD, counts the newer commits and says the next commit starts a branch; log marks them', async () => {
    const h = await makeHistory(scratch(), 3, small);
    const res = await restore(h.store, 'HEAD~2');
    expect(res.head).toEqual({ moved: true, from: h.ids[2], to: h.ids[0], descendants: 2, newestDescendant: h.ids[2] });
    const note = res.notes?.find((n) => n.code === 'HEAD_MOVED');
    expect(note?.next).toBe('restore');
    expect(note?.message).toContain(`starts a new branch from ${h.ids[0]!.slice(0, 12)}`);
    expect(note?.message).toContain(`weightline restore ${h.ids[2]!.slice(0, 12)}`);
    const entries = await log(h.store);
    expect(entries.filter((e) => e.aheadOfHead).map((e) => e.id).sort()).toEqual([h.ids[1], h.ids[2]].sort());
    expect(entries.find((e) => e.id === h.ids[0])!.aheadOfHead).toBeUndefined();
    // Back at the tip: nothing is ahead, no note.
    const back = await restore(h.store, h.ids[2]!);
    expect(back.head).toMatchObject({ moved: true, descendants: 0 });
    expect(back.notes?.some((n) => n.code === 'HEAD_MOVED') ?? false).toBe(false);
    expect((await log(h.store)).some((e) => e.aheadOfHead)).toBe(false);
  });

  it('a restore --to elsewhere leaves HEAD where it was and says so', async () => {
    const h = await makeHistory(scratch(), 2, small);
    const res = await restore(h.store, h.ids[0]!, { to: path.join(h.root, 'out', 'old.safetensors') });
    expect(res.head).toMatchObject({ moved: false, from: h.ids[1], to: h.ids[1], descendants: 1 });
    expect(res.notes?.some((n) => n.code === 'HEAD_MOVED') ?? false).toBe(false);
    expect(await h.store.readHead()).toBe(h.ids[1]);
  });

  it('resolves HEAD^, HEAD^^, <id>^, HEAD~1^ and ^0 as git does, and refuses ^2', async () => {
    const h = await makeHistory(scratch(), 3, small);
    const { resolveCommit } = await import('../../src-main/core/store/history');
    expect(await resolveCommit(h.store, 'HEAD^')).toBe(h.ids[1]);
    expect(await resolveCommit(h.store, 'HEAD^^')).toBe(h.ids[0]);
    expect(await resolveCommit(h.store, `${h.ids[2]!.slice(0, 8)}^`)).toBe(h.ids[1]);
    expect(await resolveCommit(h.store, 'HEAD~1^')).toBe(h.ids[0]);
    expect(await resolveCommit(h.store, 'HEAD^0')).toBe(h.ids[2]);
    expect(await resolveCommit(h.store, 'HEAD~')).toBe(h.ids[1]);
    expect(await rejection(resolveCommit(h.store, 'HEAD^2'))).toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('one parent at most') });
    expect(await rejection(resolveCommit(h.store, 'HEAD^^^'))).toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('only 2 commit(s) lie behind HEAD') });
  });
});

describe('the working-copy guard blocks only what would be lost, and names it', () => {
  it('an added README.md that restore does not touch never blocks, and stays', async () => {
    const f = await folderHistory();
    await fs.writeFile(path.join(f.folder, 'README.md'), 'my notes');
    const res = await restore(f.store, f.ids[0]!);
    expect(res.id).toBe(f.ids[0]);
    expect(await fs.readFile(path.join(f.folder, 'README.md'), 'utf8')).toBe('my notes');
    const v0 = (await f.store.readManifest(f.ids[0]!)).files.find((x) => x.path === 'model.safetensors')!.sha256;
    expect(await sha256Of(path.join(f.folder, 'model.safetensors'))).toBe(v0);
  });

  it('a changed file restore would overwrite blocks, named (and only it), with a commit command that works', async () => {
    const f = await folderHistory();
    await fs.writeFile(path.join(f.folder, 'README.md'), 'my notes');
    await fs.writeFile(path.join(f.folder, 'config.json'), '{"layers":3}');
    const e = await rejection(restore(f.store, f.ids[0]!));
    expect(e.code).toBe('DIRTY');
    expect(e.message).toContain('"config.json" holds changes that no commit has');
    expect(e.message).not.toContain('README.md');
    expect(e.message).toContain('weightline commit');
    expect(e.message).toContain('--force');
    // Nothing was written.
    expect(await fs.readFile(path.join(f.folder, 'config.json'), 'utf8')).toBe('{"layers":3}');
  });

  it('an unrelated --to file outside the store is not advised into a commit that would fail', async () => {
    const h = await makeHistory(scratch(), 1, small);
    const outside = path.join(scratch(), 'notes.txt');
    await fs.writeFile(outside, 'not a model');
    const e = await rejection(restore(h.store, h.ids[0]!, { to: outside }));
    expect(e.code).toBe('DIRTY');
    expect(e.message).not.toContain('weightline commit');
    expect(e.message).toContain("outside the store's folder");
    expect(await fs.readFile(outside, 'utf8')).toBe('not a model');
  });

  it('a file equal to another commit (not HEAD) is replaced without --force, and the note says nothing is lost and how to get it back', async () => {
    const h = await makeHistory(scratch(), 3, small);
    // The working copy holds the first version's bytes while HEAD is the third.
    await restore(h.store, h.ids[0]!, { to: h.file, force: true });
    await h.store.writeHead(h.ids[2]!);
    const res = await restore(h.store, h.ids[1]!);
    expect(await sha256Of(h.file)).toBe(h.shas[1]);
    const note = res.notes?.find((n) => n.code === 'REPLACED_COMMITTED');
    expect(note?.files).toEqual([path.basename(h.file)]);
    expect(note?.message).toContain('nothing is lost');
    expect(note?.message).toContain(`weightline restore ${h.ids[0]!.slice(0, 12)}`);
  });
});

describe('typed notes', () => {
  it('a damaged full object gives a note with next: repair, naming the file', async () => {
    const h = await makeHistory(scratch(), 3, small);
    const full = (await h.store.readManifest(h.ids[2]!)).files[0]!.sha256;
    const obj = h.store.objectPath(full);
    await fs.chmod(obj, 0o644);
    const bytes = await fs.readFile(obj);
    bytes[bytes.length - 1]! ^= 0xff;
    await fs.writeFile(obj, bytes);
    const res = await restore(h.store, h.ids[2]!, { to: path.join(h.root, 'out.safetensors'), link: 'copy' });
    const damaged = res.notes?.filter((n) => n.next === 'repair') ?? [];
    expect(damaged.length).toBeGreaterThan(0);
    expect(damaged.map((n) => n.code)).toContain('REBUILT_AROUND_DAMAGE');
    expect(damaged.flatMap((n) => n.files ?? [])).toContain(path.basename(h.file));
  });

  it('--link hardlink on a pruned commit writes copies and says so, naming the files', async () => {
    const h = await makeHistory(scratch(), 4, small);
    await cleanup(h.store);
    expect((await log(h.store)).find((e) => e.id === h.ids[1])!.hasFull).toBe(false);
    const res = await restore(h.store, h.ids[1]!, { to: path.join(h.root, 'out', 'x.safetensors'), link: 'hardlink' });
    expect(res.link?.linked).toBe(0);
    const note = res.notes?.find((n) => n.code === 'NOT_LINKED');
    expect(note?.files).toEqual([path.basename(h.file)]);
    expect(note?.message).toContain('written as copies, not hardlinks');
    // A commit with its full parameters links and has no such note.
    const linked = await restore(h.store, h.ids[3]!, { to: path.join(h.root, 'out', 'y.safetensors'), link: 'hardlink' });
    expect(linked.link?.linked).toBe(1);
    expect(linked.notes?.some((n) => n.code === 'NOT_LINKED') ?? false).toBe(false);
  });
});

describe('pin says what it changed', () => {
  it('pinning a pinned commit says it was pinned already; listPins lists pins', async () => {
    const h = await makeHistory(scratch(), 2, small);
    expect(await listPins(h.store)).toEqual([]);
    expect(await pin(h.store, h.ids[0]!, true)).toMatchObject({ pinned: true, wasPinned: false });
    expect(await pin(h.store, h.ids[0]!, true)).toMatchObject({ pinned: true, wasPinned: true });
    expect((await listPins(h.store)).map((e) => e.id)).toEqual([h.ids[0]]);
    expect(await pin(h.store, h.ids[0]!, false)).toMatchObject({ pinned: false, wasPinned: true });
    expect(await listPins(h.store)).toEqual([]);
    let stdout = '';
    const code = await main(['unpin', h.ids[0]!], { cwd: h.root, stdout: { write: (s: string) => (stdout += s) }, stderr: { write: () => true } });
    expect(code).toBe(0);
    expect(stdout).toBe(`${h.ids[0]!.slice(0, 12)} was not pinned; nothing changed\n`);
  });
});

describe('joined messages', () => {
  it('another error\'s closing full stop is dropped before "; what next", an ellipsis is kept', () => {
    expect(`${clause('The specified key does not exist.')}; push again`).toBe('The specified key does not exist; push again');
    expect(clause('wait...')).toBe('wait...');
    expect(clause('no stop')).toBe('no stop');
  });
});
