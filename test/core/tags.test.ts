// Tags: set, move, delete, list; a tag is a ref everywhere one is taken;
// names that could mean something else are refused with the rule; a damaged
// tags.json is named, never read as "no tags"; the write lock keeps
// concurrent tag settings and commits from losing each other.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliOk as ok, cliRun as run } from '../helpers/cli';
import { verbs } from '../../src-main/core/verbs';
import { mergeTagSettings, newerSetting, parseTagRecordName, tagRecordName, type TagSetting } from '../../src-main/core/store/tags';
import type { CommitId, TagInfo, TagResult } from '../../src-shared/model';
import { gaussianF32, nudgeF32, rng, sha256Of, useScratch, writeSafetensors } from '../helpers/models';

const scratch = useScratch();

function jsonError(r: { stderr: string }): { code: string; message: string } {
  return (JSON.parse(r.stderr.trim().split('\n').pop()!) as { error: { code: string; message: string } }).error;
}

/** A store with n commits of one model; ids oldest first, and each version's sha256. */
async function history(n: number): Promise<{ dir: string; file: string; ids: string[]; shas: string[] }> {
  const dir = scratch();
  const file = path.join(dir, 'model.safetensors');
  let w = gaussianF32(4096, rng(1));
  await ok(dir, 'init');
  const ids: string[] = [];
  const shas: string[] = [];
  for (let i = 0; i < n; i++) {
    await writeSafetensors(file, [{ name: 'w', dtype: 'F32', shape: [64, 64], data: w }]);
    ids.push((await ok<{ id: string }>(dir, 'commit', 'model.safetensors', '-m', `epoch ${i}`, '--json')).id);
    shas.push(await sha256Of(file));
    w = nudgeF32(w, rng(10 + i));
  }
  return { dir, file, ids, shas };
}

describe('tags', () => {
  it('tag NAME names HEAD; tag NAME REF moves it and says what it named before; -d deletes; tag alone and --list list', async () => {
    const { dir, ids } = await history(3);
    expect(await ok(dir, 'tag', 'best')).toContain(`Tagged ${ids[2]!.slice(0, 12)} as best`);
    const moved = await ok<TagResult>(dir, 'tag', 'best', ids[0]!.slice(0, 8), '--json');
    expect(moved).toEqual({ name: 'best', commit: ids[0], previous: ids[2] });
    expect(await ok(dir, 'tag', 'best', 'HEAD~1')).toContain(`Moved tag best to ${ids[1]!.slice(0, 12)} (it named ${ids[0]!.slice(0, 12)} before)`);
    expect(await ok(dir, 'tag', 'best', 'HEAD~1')).toContain('already names');
    await ok(dir, 'tag', 'runs/first', ids[0]!);

    const list = await ok<TagInfo[]>(dir, 'tag', '--list', '--json');
    expect(list.map((t) => [t.name, t.commit])).toEqual([['best', ids[1]], ['runs/first', ids[0]]]);
    for (const t of list) expect(t.setAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(list.some((t) => t.missing || t.from)).toBe(false);
    const text = await ok(dir, 'tag');
    expect(text).toMatch(new RegExp(`^best\\s+→ ${ids[1]!.slice(0, 12)}  \\(set \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC\\)$`, 'm'));
    expect(text).toMatch(new RegExp(`^runs/first → ${ids[0]!.slice(0, 12)}`, 'm'));

    const del = await ok<TagResult>(dir, 'tag', '-d', 'best', '--json');
    expect(del).toEqual({ name: 'best', commit: null, previous: ids[1] });
    expect((await ok<TagInfo[]>(dir, 'tag', '--list', '--json')).map((t) => t.name)).toEqual(['runs/first']);
    // Deleting a tag that is not there is refused, naming the tags there are.
    const again = await run(dir, 'tag', '-d', 'best', '--json');
    expect(again.code).toBe(1);
    expect(jsonError(again)).toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('runs/first') });
    // The deletion is remembered with its time (it travels to remotes), but is no tag.
    const file = JSON.parse(await fs.readFile(path.join(dir, '.weightline', 'tags.json'), 'utf8')) as { tags: Record<string, { commit: string | null }> };
    expect(file.tags.best!.commit).toBeNull();
    expect((await run(dir, 'show', 'best')).code).toBe(2);
  });

  it('a tag is a ref: restore best, diff best HEAD, show best~1, pin best; log and show label the commit', async () => {
    const { dir, file, ids, shas } = await history(3);
    await ok(dir, 'tag', 'best', ids[1]!);
    const out = path.join(dir, 'best.safetensors');
    await ok(dir, 'restore', 'best', '--to', out);
    expect(await sha256Of(out)).toBe(shas[1]);
    const d = await ok<{ from: string; to: string }>(dir, 'diff', 'best', 'HEAD', '--json');
    expect([d.from, d.to]).toEqual([ids[1], ids[2]]);
    expect((await ok<{ id: string }>(dir, 'show', 'best~1', '--json')).id).toBe(ids[0]);
    expect((await ok<{ id: string }>(dir, 'show', 'best^', '--json')).id).toBe(ids[0]);
    expect((await ok<{ id: string; pinned: boolean }>(dir, 'pin', 'best', '--json'))).toMatchObject({ id: ids[1], pinned: true });
    // The working copy follows a restore of a tag like any restore.
    await ok(dir, 'restore', 'best', '--force');
    expect(await sha256Of(file)).toBe(shas[1]);

    const log = await ok<Array<{ id: string; tags?: string[] }>>(dir, 'log', '--json');
    expect(log.find((e) => e.id === ids[1])!.tags).toEqual(['best']);
    expect(log.filter((e) => e.tags).length).toBe(1);
    expect(await ok(dir, 'log')).toMatch(new RegExp(`${ids[1]!.slice(0, 12)} DELTA +epoch 1  \\(HEAD, tag: best, pinned`));
    expect(await ok(dir, 'log', '--oneline')).toMatch(/epoch 1 {2}\(HEAD, tag: best, pinned\)/);
    expect((await ok<{ tags?: string[] }>(dir, 'show', ids[1]!, '--json')).tags).toEqual(['best']);
    expect(await ok(dir, 'show', 'best')).toMatch(/^tags {5}best$/m);
    // A short name is a ref too, through the job contract as through the CLI.
    await ok(dir, 'tag', 'v1', ids[2]!);
    expect((await ok<{ id: string }>(dir, 'show', 'v1~2', '--json')).id).toBe(ids[0]);
    const { jobRequest } = await import('../../src-shared/contract');
    expect(jobRequest.safeParse({ kind: 'restore', commit: 'v1' }).success).toBe(true);
    expect(jobRequest.safeParse({ kind: 'diff', from: 'v1~1', to: 'best' }).success).toBe(true);
    // A name that is no tag and no id: bad usage, saying a tag would do.
    const none = await run(dir, 'show', 'worst', '--json');
    expect(none.code).toBe(2);
    expect(jsonError(none).message).toMatch(/no tag of that name/);
  });

  it('names that could mean something else are refused with the rule; the job schema refuses them too', async () => {
    const { dir } = await history(1);
    const cases: Array<[string, RegExp]> = [
      ['HEAD', /not HEAD/], ['abcd', /hex characters/], ['ABCD1234', /hex characters/], ['a..b', /no "\.\."/],
      ['best/', /"\/" or "\." at the end/], ['has space', /letters, digits/], ['x~1', /letters, digits/], ['.hidden', /starting with a letter/],
    ];
    for (const [name, rule] of cases) {
      const r = await run(dir, 'tag', name, '--json');
      expect(r.code, name).toBe(2);
      expect(jsonError(r), name).toMatchObject({ code: 'BAD_USAGE', message: expect.stringMatching(rule) });
    }
    expect(await fs.stat(path.join(dir, '.weightline', 'tags.json')).catch(() => null)).toBeNull();
    const { jobRequest } = await import('../../src-shared/contract');
    expect(jobRequest.safeParse({ kind: 'tag', name: 'deadbeef', commit: 'HEAD' }).success).toBe(false);
    expect(jobRequest.safeParse({ kind: 'tag', name: 'best', commit: null }).success).toBe(true);
  });

  it('a damaged tags.json is an error naming it (never "no tags"); commit ids still resolve', async () => {
    const { dir, ids } = await history(2);
    await ok(dir, 'tag', 'best');
    const file = path.join(dir, '.weightline', 'tags.json');
    for (const bad of ['{"version":1,"tags":{"best":{"commit":"xyz","setAt":"2026-12-07T18:40:00.000Z"}}}', '{"version":1,"tags":{"abcd":{"commit":null,"setAt":"2026-12-07T18:40:00.000Z"}}}', 'not json', '']) {
      await fs.writeFile(file, bad);
      for (const argv of [['tag', '--list'], ['restore', 'best', '--to', path.join(dir, 'x')], ['log'], ['show', 'HEAD'], ['tag', 'other']]) {
        const r = await run(dir, ...argv, '--json');
        expect(r.code, `${argv.join(' ')} on ${bad}`).toBe(1);
        expect(jsonError(r), argv.join(' ')).toMatchObject({ code: 'CORRUPT', message: expect.stringContaining('damaged tags.json') });
      }
      // Like a damaged pins.json, it stops what shows tags (log, show); a commit id is not read through it.
      expect((await ok<{ from: string; to: string }>(dir, 'diff', ids[0]!.slice(0, 10), 'HEAD', '--json'))).toMatchObject({ from: ids[0], to: ids[1] });
      await ok(dir, 'restore', ids[0]!.slice(0, 10), '--to', path.join(dir, 'by-id.safetensors'));
      // verify names it: every commit restores, and still the store is not ok.
      const v = await run(dir, 'verify', '--json');
      expect(v.code).toBe(1);
      const res = JSON.parse(v.stdout) as { ok: boolean; commits: Array<{ ok: boolean }>; files?: string[] };
      expect(res.ok).toBe(false);
      expect(res.commits.every((c) => c.ok)).toBe(true);
      expect(res.files).toEqual([expect.stringContaining('damaged tags.json')]);
    }
    expect((await run(dir, 'verify')).stdout).toMatch(/^.*damaged tags\.json: .*\nverified 2 commit\(s\): all restore bit-exact, but 1 store file\(s\) are damaged \(above\)$/m);
    // A folder in its place is damage too, named, never read as "no tags".
    await fs.rm(file);
    await fs.mkdir(file);
    expect(jsonError(await run(dir, 'tag', '--json'))).toMatchObject({ code: 'CORRUPT', message: expect.stringMatching(/damaged tags\.json: .*found a folder/) });
    await fs.rmdir(file);
    expect(JSON.parse((await run(dir, 'verify', '--json')).stdout)).toMatchObject({ ok: true });
    expect(JSON.parse((await run(dir, 'verify', '--json')).stdout).files).toBeUndefined();
  });

  it('a tag naming a commit this store lacks (fetched without it) is listed as such and resolves to nothing', async () => {
    const { dir } = await history(1);
    const ghost = 'ab'.repeat(32);
    await fs.writeFile(path.join(dir, '.weightline', 'tags.json'), JSON.stringify({ version: 1, tags: { best: { commit: ghost, setAt: '2026-12-07T18:40:00.000Z', from: 'origin' } } }));
    const list = await ok<TagInfo[]>(dir, 'tag', '--list', '--json');
    expect(list).toEqual([{ name: 'best', commit: ghost, setAt: '2026-12-07T18:40:00.000Z', from: 'origin', missing: true }]);
    expect(await ok(dir, 'tag')).toMatch(/^best → ababababab.* \(from origin, set 2026-12-07 18:40 UTC\) {2}commit not in this store/m);
    const r = await run(dir, 'restore', 'best', '--json');
    expect(r.code).toBe(1);
    expect(jsonError(r)).toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/tag "best" names commit abababababab, which this store does not hold \(the tag came from origin/) });
    // The log still reads; no commit carries the label.
    expect((await ok<Array<{ tags?: string[] }>>(dir, 'log', '--json')).some((e) => e.tags)).toBe(false);
  });

  it('concurrent tag settings and a commit under the write lock: none is lost', async () => {
    const { dir, file, ids } = await history(2);
    await writeSafetensors(file, [{ name: 'w', dtype: 'F32', shape: [64, 64], data: gaussianF32(4096, rng(99)) }]);
    const names = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6'];
    // Each setting reads tags.json, adds one and writes it whole: without the lock, later writes would drop earlier names.
    const [committed] = await Promise.all([
      verbs.commit({ cwd: dir }, { path: 'model.safetensors', message: 'beside tags' }),
      ...names.map((n, i) => verbs.tag({ cwd: dir }, { name: n, commit: ids[i % 2]! })),
    ]);
    const list = await verbs.tags({ cwd: dir });
    expect(list.map((t) => t.name)).toEqual(names);
    expect(list.map((t) => t.commit)).toEqual(names.map((_, i) => ids[i % 2] as CommitId));
    const log = await ok<Array<{ id: string }>>(dir, 'log', '--json');
    expect(log.map((e) => e.id)).toContain(committed.id);
    expect(await fs.readdir(path.join(dir, '.weightline')).then((es) => es.filter((e) => e.startsWith('.tmp-')))).toEqual([]);
  });

  it('the tag job runs the verb: set by ref, delete with commit null', async () => {
    const { dir, ids } = await history(2);
    const { runJobVerb } = await import('../../src-main/core/verbs');
    const set = await runJobVerb({ root: dir }, { kind: 'tag', name: 'best', commit: 'HEAD~1' });
    expect(set).toEqual({ kind: 'tag', value: { name: 'best', commit: ids[0], previous: null } });
    const del = await runJobVerb({ root: dir }, { kind: 'tag', name: 'best', commit: null });
    expect(del).toEqual({ kind: 'tag', value: { name: 'best', commit: null, previous: ids[0] } });
  });
});

describe('tag settings as records (what travels to remotes)', () => {
  const A = 'a'.repeat(64) as CommitId;
  const B = 'b'.repeat(64) as CommitId;
  const s = (name: string, setAt: string, commit: CommitId | null): TagSetting => ({ name, setAt, commit });

  it('a record name round-trips, names with "/" included; anything else is refused', () => {
    for (const x of [s('best', '2026-12-07T18:40:00.000Z', A), s('runs/a/best', '2026-12-07T18:40:00.001Z', null)]) {
      expect(parseTagRecordName(tagRecordName(x))).toEqual(x);
    }
    for (const bad of ['best', 'best/2026-12-07T18:40:00.000Z', `best/2026-12-07T18:40:00Z_${A}`, `abcd/2026-12-07T18:40:00.000Z_${A}`, `best/2026-12-07T18:40:00.000Z_${A.slice(1)}`, `/2026-12-07T18:40:00.000Z_${A}`]) {
      expect(typeof parseTagRecordName(bad), bad).toBe('string');
    }
  });

  it('the newest setting wins per name, ties broken by the commit id; a local setting newer than the remote\'s stays', () => {
    expect(newerSetting(s('x', '2026-12-07T18:40:00.000Z', A), s('x', '2026-12-07T18:40:00.001Z', A))).toBe(-1);
    expect(newerSetting(s('x', '2026-12-07T18:40:00.000Z', B), s('x', '2026-12-07T18:40:00.000Z', A))).toBe(1);
    const local = new Map([
      ['kept', { commit: A, setAt: '2026-12-07T19:00:00.000Z' }],
      ['taken', { commit: A, setAt: '2026-12-07T18:00:00.000Z' }],
      ['tied', { commit: A, setAt: '2026-12-07T18:00:00.000Z' }],
    ]);
    const remote = [
      s('kept', '2026-12-07T18:59:59.999Z', B),
      s('taken', '2026-12-07T18:30:00.000Z', null), s('taken', '2026-12-07T18:10:00.000Z', B),
      s('tied', '2026-12-07T18:00:00.000Z', B),
      s('new', '2026-12-07T17:00:00.000Z', B),
    ];
    const { merged, changed } = mergeTagSettings(local, 'origin', remote);
    expect(changed).toEqual(['new', 'taken', 'tied']);
    expect(merged.get('kept')).toEqual({ commit: A, setAt: '2026-12-07T19:00:00.000Z' });
    expect(merged.get('taken')).toEqual({ commit: null, setAt: '2026-12-07T18:30:00.000Z', from: 'origin' });
    expect(merged.get('tied')).toEqual({ commit: B, setAt: '2026-12-07T18:00:00.000Z', from: 'origin' });
    expect(merged.get('new')).toEqual({ commit: B, setAt: '2026-12-07T17:00:00.000Z', from: 'origin' });
    // The same settings again change nothing.
    expect(mergeTagSettings(merged, 'origin', remote).changed).toEqual([]);
  });
});
