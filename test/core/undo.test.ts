import { spawn } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cleanup } from '../../src-main/core/ops/cleanup';
import { commit } from '../../src-main/core/ops/commit';
import { repair } from '../../src-main/core/ops/repair';
import { listOperations, undoOperation } from '../../src-main/core/ops/undo';
import { withWriteLock } from '../../src-main/core/store/lock';
import { purgeExpiredTrash, purgeTrashForSpace, recoverOps, trimOpsLog } from '../../src-main/core/store/op-recovery';
import { listOps, readOp, trashDir, trashBytes, writeOp } from '../../src-main/core/store/trash';
import { historyFiles, simulateForget } from '../helpers/forget-sim';
import { makeHistory, restorableVersions, type History } from '../helpers/history';
import { useScratch } from '../helpers/models';
import { pauses } from '../helpers/pause';
import { TSX_EXEC_ARGV } from '../helpers/tsx';
import { cliOk, cliRun } from '../helpers/cli';

// The trash, undo and the operations log (docs/STORE-FORMAT.md, "Trash and
// the operations log"). Forgets are made by hand (test/helpers/forget-sim.ts)
// with the foundation's functions, stopped at each step a kill can leave; the
// promise under test: an undo, or the recovery of an interrupted forget or
// undo, leaves every file of the history (manifests, objects, route records)
// byte for byte as before the forget, and every version restores bit-exact.

const scratch = useScratch();
const entry = fileURLToPath(new URL('../helpers/cli-entry.ts', import.meta.url));
const DAY = 86_400_000;

async function history(count = 5): Promise<History> {
  return makeHistory(scratch(), count, { big: 200_000, small: 1024, seed: 7 });
}

/** A forget of c1 (c2 re-based onto c0 as a CHECKPOINT), with one object it "wrote" that nothing names. */
function forgetC1(h: History, stop?: Parameters<typeof simulateForget>[1]['stop']): Promise<Awaited<ReturnType<typeof simulateForget>>> {
  return simulateForget(h.store, { forget: [h.ids[1]!], rebase: [{ id: h.ids[2]!, parent: h.ids[0]!, forgotten: 1 }], created: [Buffer.from('a re-based delta nothing names after the undo')], ...(stop ? { stop } : {}) });
}

const recover = (h: History): Promise<string[]> => withWriteLock(h.store, 'test', () => recoverOps(h.store));

describe('undo', () => {
  it('puts a forget back exactly: every history file as before, every version restores bit-exact, the log says so', async () => {
    const h = await history();
    const before = await historyFiles(h.store);
    const op = await forgetC1(h);
    expect(op.state).toBe('done');
    expect(await h.store.listCommitIds()).not.toContain(h.ids[1]);
    expect(await restorableVersions(h)).toEqual([true, false, true, true, true]);
    const created = op.created[0]!;
    expect(await h.store.hasObject(created)).toBe(true);

    const listed = await listOperations(h.store);
    expect(listed.ops.map((o) => [o.kind, o.undoable])).toEqual([['forget', true]]);
    expect(listed.trash.operations).toBe(1);
    expect(listed.trash.bytes).toBe(await trashBytes(h.store, op.id));
    expect(listed.trash.bytes).toBeGreaterThan(0);
    expect(Date.parse(listed.trash.goneBy!)).toBe(Date.parse(op.finishedAt!) + 7 * DAY);

    const res = await undoOperation(h.store, {});
    expect(res.restored).toEqual([h.ids[1]]);
    expect(res.notes).toBeUndefined();
    expect(await historyFiles(h.store)).toEqual(before);
    expect(await h.store.hasObject(created)).toBe(false);
    expect(await restorableVersions(h)).toEqual([true, true, true, true, true]);
    // The trash folder of the operation is gone with its files.
    await expect(fs.stat(trashDir(h.store, op.id))).rejects.toThrow();

    const after = await listOperations(h.store);
    expect(after.ops.map((o) => [o.kind, o.state, o.undoable])).toEqual([['undo', 'done', false], ['forget', 'undone', false]]);
    expect(after.ops[0]!.id).toBe(res.op);
    expect(after.ops[1]!.whyNot).toMatch(/^already undone on \d{4}-\d\d-\d\d \(operation /u);
    expect(after.trash).toEqual({ bytes: 0, operations: 0, goneBy: null });
    await expect(undoOperation(h.store, {})).rejects.toMatchObject({ code: 'REFUSED', message: expect.stringMatching(/nothing to undo: the last forget .* is already undone/u) });
  });

  it('undoes forgets newest first; a re-based commit gets its older route record back, byte for byte', async () => {
    const h = await history();
    const before = await historyFiles(h.store);
    const op1 = await forgetC1(h);
    const afterOp1 = await historyFiles(h.store);
    // The second forget takes c0 too: c2 (re-based onto c0 by the first) becomes a root; its record moves to the trash.
    const op2 = await simulateForget(h.store, { forget: [h.ids[0]!], rebase: [{ id: h.ids[2]!, parent: null, forgotten: 2 }] });
    expect(op2.rebased).toEqual({ [h.ids[2]!]: true });
    expect(await restorableVersions(h)).toEqual([false, false, true, true, true]);

    await expect(undoOperation(h.store, { op: op1.id })).rejects.toMatchObject({ code: 'REFUSED', message: expect.stringContaining(`the newer forget ${op2.id} must be undone first`) });
    const listed = await listOperations(h.store);
    expect(listed.ops.map((o) => [o.id, o.undoable])).toEqual([[op2.id, true], [op1.id, false]]);

    await undoOperation(h.store, {});
    expect(await historyFiles(h.store)).toEqual(afterOp1);
    await undoOperation(h.store, {});
    expect(await historyFiles(h.store)).toEqual(before);
    expect(await restorableVersions(h)).toEqual([true, true, true, true, true]);
  });

  it('keeps an object the forget wrote when a commit made since landed on the same bytes', async () => {
    const h = await history(4);
    const bytes = Buffer.from('bytes the forget wrote, committed again afterwards\n');
    const op = await simulateForget(h.store, { forget: [h.ids[1]!], rebase: [{ id: h.ids[2]!, parent: h.ids[0]!, forgotten: 1 }], created: [bytes] });
    const extra = path.join(h.root, 'notes.bin');
    await fs.writeFile(extra, bytes);
    const later = await commit(h.store, extra, { message: 'a second path' });
    await undoOperation(h.store, {});
    expect(await h.store.hasObject(op.created[0]!)).toBe(true);
    const to = path.join(h.root, 'out.bin');
    const { restore } = await import('../../src-main/core/ops/restore');
    await restore(h.store, later.id, { to, link: 'copy' });
    expect(await fs.readFile(to)).toEqual(bytes);
    expect(await restorableVersions(h)).toEqual([true, true, true, true]);
  });

  it('refuses what cannot be undone, saying why: an unknown id, a cleanup, a trash no longer whole', async () => {
    const h = await history(4);
    await expect(undoOperation(h.store, {})).rejects.toMatchObject({ code: 'REFUSED', message: expect.stringContaining('this store has no forget in its operations log') });
    await expect(undoOperation(h.store, { op: '20991231T000000000Z-00000000' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const cleaned = await cleanup(h.store);
    expect(cleaned.bytesFreed).toBeGreaterThan(0);
    const [rec] = await listOps(h.store);
    expect(rec).toMatchObject({ kind: 'cleanup', state: 'done', moves: [] });
    await expect(undoOperation(h.store, { op: rec!.id })).rejects.toMatchObject({ code: 'REFUSED', message: expect.stringContaining('cleanup removes only bytes kept routes rebuild') });

    const h2 = await history(4);
    const op = await simulateForget(h2.store, { forget: [h2.ids[1]!], rebase: [{ id: h2.ids[2]!, parent: h2.ids[0]!, forgotten: 1 }] });
    // Someone deleted a file out of the trash: an undo would put back a version that does not restore.
    await fs.rm(path.join(trashDir(h2.store, op.id), 'commits', `${h2.ids[1]}.json`));
    const beforeTry = await historyFiles(h2.store);
    await expect(undoOperation(h2.store, {})).rejects.toMatchObject({ code: 'REFUSED', message: expect.stringContaining('its trash is not whole (1 of') });
    expect(await historyFiles(h2.store)).toEqual(beforeTry);
    expect((await readOp(h2.store, op.id))!.state).toBe('done');
  });
});

describe('recovery of interrupted operations', () => {
  it.each(['planned-old-routes', 'planned-written'] as const)('a forget interrupted while %s is rolled back: the history as before, the record undone', async (stop) => {
    const h = await history();
    const before = await historyFiles(h.store);
    // A first forget gives c2 a route record, so the second one has an old record to move aside.
    const first = await simulateForget(h.store, { forget: [h.ids[1]!], rebase: [{ id: h.ids[2]!, parent: h.ids[0]!, forgotten: 1 }] });
    const afterFirst = await historyFiles(h.store);
    const op = await simulateForget(h.store, { forget: [h.ids[0]!], rebase: [{ id: h.ids[2]!, parent: null, forgotten: 2 }], created: [Buffer.from('made by the interrupted forget')], stop });
    expect(await historyFiles(h.store)).not.toEqual(afterFirst);
    const said = await recover(h);
    expect(said).toEqual([expect.stringContaining(`operation ${op.id}) was rolled back`)]);
    expect(await historyFiles(h.store)).toEqual(afterFirst);
    const rec = (await readOp(h.store, op.id))!;
    expect(rec.state).toBe('undone');
    expect(rec.summary).toMatch(/interrupted before it removed anything; put back/u);
    const listed = await listOperations(h.store);
    expect(listed.ops.find((o) => o.id === op.id)!.whyNot).toBe('it was interrupted before it removed anything, and put back');
    // The first forget is the last one done again, and undoes to the original history.
    expect(listed.ops.find((o) => o.id === first.id)!.undoable).toBe(true);
    await undoOperation(h.store, {});
    expect(await historyFiles(h.store)).toEqual(before);
    // A second recovery finds nothing to do.
    expect(await recover(h)).toEqual([]);
  });

  it('a forget interrupted while moving is rolled forward to done, and then undoes exactly', async () => {
    const h = await history();
    const before = await historyFiles(h.store);
    const op = await forgetC1(h, 'moving-half');
    const said = await recover(h);
    expect(said).toEqual([expect.stringContaining('was finished: 1 version(s) forgotten')]);
    const rec = (await readOp(h.store, op.id))!;
    expect(rec.state).toBe('done');
    expect(rec.finishedAt).toBeDefined();
    expect(await h.store.listCommitIds()).not.toContain(h.ids[1]);
    for (const m of op.moves) expect((await fs.lstat(path.join(trashDir(h.store, op.id), m[0] === 'commit' ? 'commits' : `${m[0]}s`, m[0] === 'object' ? m[1] : `${m[1]}.json`)).catch(() => null))?.isFile()).toBe(true);
    expect(await restorableVersions(h)).toEqual([true, false, true, true, true]);
    await undoOperation(h.store, {});
    expect(await historyFiles(h.store)).toEqual(before);
  });

  it('a forget re-basing a commit that had a route record, interrupted while moving: its old record stays in the trash and comes back on undo', async () => {
    const h = await history();
    const before = await historyFiles(h.store);
    await forgetC1(h);
    const afterFirst = await historyFiles(h.store);
    const op = await simulateForget(h.store, { forget: [h.ids[0]!], rebase: [{ id: h.ids[2]!, parent: null, forgotten: 2 }], stop: 'moving-half' });
    expect(await recover(h)).toHaveLength(1);
    expect((await readOp(h.store, op.id))!.state).toBe('done');
    expect(await restorableVersions(h)).toEqual([false, false, true, true, true]);
    await undoOperation(h.store, {});
    expect(await historyFiles(h.store)).toEqual(afterFirst);
    await undoOperation(h.store, {});
    expect(await historyFiles(h.store)).toEqual(before);
  });

  it('an undo interrupted half-way is finished: the history as before, one undo record, the forget undone', async () => {
    const h = await history();
    const before = await historyFiles(h.store);
    const op = await forgetC1(h);
    // What an undo leaves when killed after its first moves: state undoing, half the files back.
    await writeOp(h.store, { ...op, state: 'undoing' });
    const { moveOutOfTrash } = await import('../../src-main/core/store/trash');
    await moveOutOfTrash(h.store, op, op.moves.slice(Math.floor(op.moves.length / 2)));
    expect(await recover(h)).toEqual([expect.stringContaining(`an undo interrupted while putting back operation ${op.id} was finished`)]);
    expect(await historyFiles(h.store)).toEqual(before);
    const ops = await listOps(h.store);
    expect(ops.map((o) => [o.kind, o.state])).toEqual([['forget', 'undone'], ['undo', 'done']]);
    expect(ops[1]!.undoes).toBe(op.id);
  });

  it('kill -9 of `weightline undo` half-way through its moves: the next writer finishes the undo', async () => {
    const h = await history();
    const before = await historyFiles(h.store);
    const op = await forgetC1(h);
    const p = await pauses('undo.moving');
    try {
      const child = spawn(process.execPath, [...TSX_EXEC_ARGV, entry, 'undo'], { cwd: h.root, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...p.env } });
      const exited = new Promise((resolve) => child.on('close', resolve));
      await p.reached('undo.moving', exited);
      expect((await readOp(h.store, op.id))!.state).toBe('undoing');
      // Half the files are back, half still in the trash.
      const mid = await historyFiles(h.store);
      expect(mid).not.toEqual(before);
      child.kill('SIGKILL');
      await exited;
      // The dead process's lock is taken over; the writer's first step finishes the undo.
      const c = await cliRun(h.root, 'ops', '--json');
      expect(c.code).toBe(0);
      expect(JSON.parse(c.stdout).ops[0]).toMatchObject({ id: op.id, state: 'undoing', undoable: false });
      expect(await recover(h)).toHaveLength(1);
      expect(await historyFiles(h.store)).toEqual(before);
      expect(await restorableVersions(h)).toEqual([true, true, true, true, true]);
    } finally {
      await p.dispose();
    }
  }, 120_000);

  it('a damaged operation record is CORRUPT naming it, for ops, undo and commit alike', async () => {
    const h = await history(3);
    const op = await forgetC1(h);
    const file = path.join(h.store.dir, 'ops', `${op.id}.json`);
    await fs.chmod(file, 0o644).catch(() => undefined);
    await fs.writeFile(file, '{"version":1,"id":"');
    await expect(listOperations(h.store)).rejects.toMatchObject({ code: 'CORRUPT', file, message: expect.stringContaining('move the file out of .weightline/ops') });
    await expect(undoOperation(h.store, {})).rejects.toMatchObject({ code: 'CORRUPT', file });
    await expect(commit(h.store, h.file, { message: 'x' })).rejects.toMatchObject({ code: 'CORRUPT', file });
    // Repair still runs (it is how a store is mended) and records nothing over an unreadable log.
    const r = await repair(h.store);
    expect(r.ok).toBe(true);
  });
});

describe('the trash empties', () => {
  it('when trashDays have passed (the setting now), keeping the record, marked purged', async () => {
    const h = await history(4);
    const op = await forgetC1(h);
    const finished = Date.parse(op.finishedAt!);
    const purge = (at: number): Promise<string[]> => withWriteLock(h.store, 'test', () => purgeExpiredTrash(h.store, new Date(at)));
    expect(await purge(finished + 7 * DAY - 1)).toEqual([]);
    expect((await listOperations(h.store)).ops[0]!.undoable).toBe(true);
    const said = await purge(finished + 7 * DAY);
    expect(said).toEqual([expect.stringContaining(`emptied the trash of operation ${op.id}`)]);
    await expect(fs.stat(trashDir(h.store, op.id))).rejects.toThrow();
    const rec = (await readOp(h.store, op.id))!;
    expect(rec.purgedAt).toBe(new Date(finished + 7 * DAY).toISOString());
    expect(rec.purgeReason).toMatch(/7 day\(s\) in the trash ended on/u);
    const listed = await listOperations(h.store);
    expect(listed.ops[0]).toMatchObject({ id: op.id, undoable: false, whyNot: expect.stringMatching(/^its trash was emptied on \d{4}-\d\d-\d\d/u) });
    expect(listed.trash).toEqual({ bytes: 0, operations: 0, goneBy: null });
    await expect(undoOperation(h.store, {})).rejects.toMatchObject({ code: 'REFUSED', message: expect.stringContaining('its trash was emptied on') });
    // Every kept version still restores; the forgotten one is gone for good.
    expect(await restorableVersions(h)).toEqual([true, false, true, true]);

    // Lowering trashDays empties older trash sooner; 0 empties it at the next writer.
    const h2 = await history(4);
    const op2 = await forgetC1(h2);
    await h2.store.updateConfig({ trashDays: 0 });
    await commit(h2.store, h2.file, { message: 'same bytes' });
    expect((await readOp(h2.store, op2.id))!.purgedAt).toBeDefined();
  });

  it('leftovers: a folder whose record says emptied (a kill mid-purge), and one with no record once its time is up', async () => {
    const h = await history(5);
    const a = await forgetC1(h);
    const b = await simulateForget(h.store, { forget: [h.ids[3]!], rebase: [{ id: h.ids[4]!, parent: h.ids[2]!, forgotten: 1 }] });
    // Killed after the record said emptied, before the folder went.
    await writeOp(h.store, { ...a, purgedAt: new Date().toISOString(), purgeReason: 'a commit needed the space' });
    // A record moved out of ops/ (it was damaged): its folder stays until trashDays from the time in its name.
    await fs.rename(path.join(h.store.dir, 'ops', `${b.id}.json`), path.join(h.root, 'moved-away.json'));
    const at = (t: number): Promise<string[]> => withWriteLock(h.store, 'test', () => purgeExpiredTrash(h.store, new Date(t)));
    await at(Date.now());
    await expect(fs.stat(trashDir(h.store, a.id))).rejects.toThrow();
    expect((await fs.stat(trashDir(h.store, b.id))).isDirectory()).toBe(true);
    await at(Date.parse(b.startedAt) + 7 * DAY);
    await expect(fs.stat(trashDir(h.store, b.id))).rejects.toThrow();
  });

  it('for space: oldest first, only as much as asked, each record saying why', async () => {
    const h = await history(6);
    const ops = [];
    ops.push(await simulateForget(h.store, { forget: [h.ids[1]!], rebase: [{ id: h.ids[2]!, parent: h.ids[0]!, forgotten: 1 }], now: new Date(Date.now() - 3000) }));
    ops.push(await simulateForget(h.store, { forget: [h.ids[3]!], rebase: [{ id: h.ids[4]!, parent: h.ids[2]!, forgotten: 1 }], now: new Date(Date.now() - 2000) }));
    ops.push(await simulateForget(h.store, { forget: [h.ids[4]!], rebase: [{ id: h.ids[5]!, parent: h.ids[2]!, forgotten: 2 }], now: new Date(Date.now() - 1000) }));
    const sizes = await Promise.all(ops.map((o) => trashBytes(h.store, o.id)));
    expect(sizes.every((s) => s > 0)).toBe(true);
    const got = await withWriteLock(h.store, 'test', () => purgeTrashForSpace(h.store, sizes[0]! + 1, 'a commit needed 5.0 MB'));
    expect(got).toEqual({ freed: sizes[0]! + sizes[1]!, ops: [ops[0]!.id, ops[1]!.id] });
    const recs = await listOps(h.store);
    expect(recs.map((r) => r.purgeReason ?? null)).toEqual(['a commit needed 5.0 MB', 'a commit needed 5.0 MB', null]);
    const info = (await listOperations(h.store)).trash;
    expect(info).toMatchObject({ bytes: sizes[2], operations: 1 });
    // The newest is still undoable and undoes exactly what it removed.
    await undoOperation(h.store, {});
    expect(await h.store.listCommitIds()).toContain(h.ids[4]);
  });

  it('the log is trimmed past its bound, never dropping a forget that still holds trash', async () => {
    const h = await history(3);
    const op = await forgetC1(h);
    for (let i = 0; i < 5; i++) {
      const at = new Date(Date.now() + (i + 1) * 1000);
      await writeOp(h.store, { version: 1, id: `${at.toISOString().replace(/[-:]/gu, '').replace('.', '')}-0000000${i}`, kind: 'cleanup', startedAt: at.toISOString(), finishedAt: at.toISOString(), state: 'done', summary: `cleanup ${i}`, commits: [], bytes: 1, moves: [], rebased: {}, created: [] });
    }
    // Six records, two kept by the bound: of the four older, the forget holds trash and stays.
    expect(await trimOpsLog(h.store, 2)).toBe(3);
    const left = await listOps(h.store);
    expect(left.map((o) => o.summary)).toEqual([op.summary, 'cleanup 3', 'cleanup 4']);
  });
});

describe('cleanup and repair are recorded, not undoable', () => {
  it('repair that set an object aside says what went where', async () => {
    const h = await history(3);
    const m = await h.store.readManifest(h.ids[2]!);
    const obj = h.store.objectPath(m.files[0]!.sha256);
    await fs.chmod(obj, 0o644);
    const bytes = await fs.readFile(obj);
    bytes[100] = bytes[100]! ^ 0xff;
    await fs.writeFile(obj, bytes);
    const r = await repair(h.store);
    expect(r.quarantined.length).toBe(1);
    const [rec] = await listOps(h.store);
    expect(rec).toMatchObject({ kind: 'repair', state: 'done', moves: [] });
    expect(rec!.summary).toMatch(/^set aside 1 damaged object\(s\) or file\(s\) in \.weightline\/quarantine \(/u);
    expect(rec!.commits).toContain(h.ids[2]);
    const info = (await listOperations(h.store)).ops[0]!;
    expect(info).toMatchObject({ kind: 'repair', undoable: false, whyNot: expect.stringContaining('quarantine') });
    // A repair that found nothing records nothing.
    await repair(h.store);
    expect(await listOps(h.store)).toHaveLength(1);
  });

  it('a cleanup that freed nothing records nothing', async () => {
    const h = await history(4);
    await cleanup(h.store);
    const n = (await listOps(h.store)).length;
    expect(n).toBe(1);
    await cleanup(h.store);
    expect(await listOps(h.store)).toHaveLength(1);
  });
});

describe('status', () => {
  it("the app's quick status carries the trash too, and leaves it out when empty", async () => {
    const { verbs } = await import('../../src-main/core/verbs');
    const h = await history(3);
    expect((await verbs.statusQuick({ store: h.store })).trash).toBeUndefined();
    const op = await forgetC1(h);
    const quick = await verbs.statusQuick({ store: h.store });
    expect(quick.trash).toEqual({ bytes: await trashBytes(h.store, op.id), operations: 1, goneBy: new Date(Date.parse(op.finishedAt!) + 7 * DAY).toISOString() });
    // A damaged record leaves the trash out of status (a reader that only looks) rather than failing it.
    await fs.writeFile(path.join(h.store.dir, 'ops', `${op.id}.json`), 'not json');
    const s = await verbs.statusQuick({ store: h.store });
    expect(s.trash).toBeUndefined();
    expect(s.head).toBe(h.ids[2]);
  });
});

describe('CLI', () => {
  it('ops lists newest first with undo yes/no; status shows the trash; undo --json puts it back', async () => {
    const h = await history(4);
    await cleanup(h.store);
    const op = await forgetC1(h);
    const text = await cliOk(h.root, 'ops');
    const lines = text.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^${op.id}  forget   \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC  done$`, 'u'));
    expect(lines[1]).toContain('forgot 1 version(s)');
    expect(lines[2]).toMatch(/^ {4}undo: yes \(until \d{4}-\d\d-\d\d at the latest\)$/u);
    expect(lines[3]).toMatch(/ cleanup /u);
    expect(lines[5]).toBe('    undo: no (cleanup removes only bytes kept routes rebuild; there is nothing to put back)');
    expect(text).toMatch(/\ntrash: [\d.]+ [KM]?B in trash, gone on \d{4}-\d\d-\d\d or sooner if space is needed \(`weightline undo` puts back the last forget\)\n?$/u);

    const status = await cliOk(h.root, 'status');
    const goneOn = new Date(Date.parse(op.finishedAt!) + 7 * DAY).toISOString().slice(0, 10);
    expect(status).toMatch(new RegExp(`\\ntrash {4}[\\d.]+ [KM]?B in trash, gone on ${goneOn} or sooner if space is needed \\(\`weightline undo\` puts back the last forget\\)`, 'u'));
    const statusJson = await cliOk<{ trash: { bytes: number; operations: number; goneBy: string } }>(h.root, 'status', '--json');
    expect(statusJson.trash).toEqual({ bytes: await trashBytes(h.store, op.id), operations: 1, goneBy: new Date(Date.parse(op.finishedAt!) + 7 * DAY).toISOString() });

    const human = await cliRun(h.root, 'undo', 'nope');
    expect(human).toMatchObject({ code: 1, stderr: 'weightline: error: no operation nope in the operations log (`weightline ops` lists them)\n' });
    const res = await cliOk<{ undone: { id: string; state: string }; restored: string[]; op: string }>(h.root, 'undo', op.id.slice(0, 25), '--json');
    expect(res.undone).toMatchObject({ id: op.id, state: 'undone' });
    expect(res.restored).toEqual([h.ids[1]]);
    expect(await cliOk(h.root, 'status')).not.toMatch(/\ntrash /u);
    const again = await cliRun(h.root, 'undo');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^weightline: error: nothing to undo: the last forget .* is already undone/u);
    const json = await cliOk<{ ops: Array<{ kind: string; undoable: boolean }>; trash: unknown }>(h.root, 'ops', '--json');
    expect(json.ops.map((o) => o.kind)).toEqual(['undo', 'forget', 'cleanup']);
    expect(json.trash).toEqual({ bytes: 0, operations: 0, goneBy: null });
  });
});
