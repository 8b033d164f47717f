import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { main } from '../../src-main/cli/main';
import type { Manifest } from '../../src-main/core/base/manifest';
import { manifestPathProblem, MAX_NAME_BYTES, pathProblem, safeJoin } from '../../src-main/core/base/manifest-paths';
import { commit } from '../../src-main/core/ops/commit';
import { restore } from '../../src-main/core/ops/restore';
import { Store } from '../../src-main/core/store/store';
import { gaussianF32, rng, sha256Of, snapshotFiles, useScratch, writeSafetensors } from '../helpers/models';

// Issue 18, item 1: every path from a manifest passes one gate. A manifest is
// a file anyone with write access to a remote (or to the disk) can forge, with
// any id (the id is just the hash of its bytes); these tests forge them byte
// by byte, as an attacker would, and check that nothing is written outside the
// target, nothing lands in a .git or .weightline folder, the store's own files
// are unchanged, and every refusal is a clear UNSAFE_PATH error naming the
// manifest (never "internal error").

const scratch = useScratch();

// ---- the gate on its own ----

// Spellings that file systems read as a reserved folder: Windows drops
// trailing dots and spaces and reads "name:stream" as name, HFS+ ignores
// zero-width joiners, case never matters on the common desktop disks, and
// 8.3 short names alias them.
const RESERVED_VARIANTS = [
  '.git', '.GIT', '.Git', '.gIT', '.git.', '.git ', '.git...', '.git. . ', '.Git.', '.GIT ',
  '.git::$INDEX_ALLOCATION', '.git:x', '.g\u200cit', '\ufeff.git', '.gi\u200dt', 'GIT~1', 'git~2',
  '.weightline', '.WEIGHTLINE', '.WeightLine', '.weightline.', '.weightline ', '.weightline...', '.weight\u200cline', 'WEIGHT~1',
  '.hg', '.HG.', '.g\u0131t',
];

const dangerousPart = fc.oneof(
  fc.constantFrom(...RESERVED_VARIANTS, '..', '.', '', '...', ' ', '. .', 'C:', 'c:\\x', 'a\\..\\b', '\u0000', 'a\nb', 'a\rb', '\x1b[2K', '\u009b31m', '\u202eexe.txt', '\ud800', 'x'.repeat(256), '\u00e9'.repeat(128)),
  fc.constantFrom('a', 'b', 'model.safetensors', 'config.json', 'sub', '\u00e9t\u00e9', '\u{1f600}'),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.string({ unit: 'binary', maxLength: 6 }),
);
const dangerousPath = fc.oneof(
  fc.array(dangerousPart, { minLength: 1, maxLength: 5 }).map((parts) => parts.join('/')),
  fc.tuple(fc.constantFrom('/', '//', 'C:/', 'C:\\', '\\\\server\\share\\', '~/'), fc.array(dangerousPart, { maxLength: 3 })).map(([a, parts]) => a + parts.join('/')),
);

/** C0 controls other than newline and tab: what no CLI output may hold raw. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL_OUT = new RegExp('[\\u0000-\\u0008\\u000b-\\u001f]', 'u');
/** Control, DEL, C1 and bidi characters: what no accepted path may hold. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;

describe('the path gate (issue 18, item 1)', () => {
  it('refuses every spelling of .git, .weightline and .hg, at any depth', () => {
    for (const v of RESERVED_VARIANTS) {
      for (const p of [v, `${v}/config`, `a/${v}`, `a/${v}/HEAD`]) {
        expect(pathProblem(p), p).not.toBeNull();
        expect(() => safeJoin('/tmp/root', p), p).toThrow(expect.objectContaining({ code: 'UNSAFE_PATH' }));
      }
    }
  });

  it('property: a path the gate accepts, joined under a root, stays under the root and holds no reserved or control part', () => {
    const root = path.resolve('/tmp/wl-root');
    fc.assert(fc.property(dangerousPath, (p) => {
      if (pathProblem(p) !== null) {
        expect(() => safeJoin(root, p)).toThrow(expect.objectContaining({ code: 'UNSAFE_PATH' }));
        return;
      }
      const joined = safeJoin(root, p);
      const rel = path.relative(root, joined);
      expect(rel === '' || rel.startsWith('..') || path.isAbsolute(rel)).toBe(false);
      expect(joined.startsWith(root + path.sep)).toBe(true);
      expect(CONTROL.test(p)).toBe(false);
      expect(Buffer.byteLength(p)).toBeLessThanOrEqual(4096);
      for (const part of p.split('/')) {
        // Checked here by its own rule, not the gate's: no spelling of a reserved name survives trimming, case and HFS+'s ignored code points.
        const read = part.split(':')[0]!.replace(/[\u200c-\u200f\u202a-\u202e\u206a-\u206f\ufeff]/gu, '').replace(/[. ]+$/u, '');
        expect(['.git', '.weightline', '.hg'].includes(read.toLowerCase()) || ['.GIT', '.WEIGHTLINE', '.HG'].includes(read.toUpperCase())).toBe(false);
        expect(/^(git|weight|hg)~\d+$/iu.test(read)).toBe(false);
        expect(part === '' || part === '.' || part === '..').toBe(false);
        expect(Buffer.byteLength(part)).toBeLessThanOrEqual(MAX_NAME_BYTES);
      }
    }), { numRuns: 3000 });
  });

  it('refuses a file that is also a folder in one commit (a and a/b), also as a case-insensitive disk reads it, and a path listed twice', () => {
    const m = (kind: 'file' | 'folder', ...paths: string[]) => ({ source: { path: 'm', kind }, files: paths.map((p) => ({ path: p })), removedFiles: [] });
    expect(manifestPathProblem(m('folder', 'a', 'a/b'))).toMatch(/"a\/b" puts a file inside "a"/);
    expect(manifestPathProblem(m('folder', 'a/b/c', 'a/b'))).toMatch(/inside "a\/b"/);
    expect(manifestPathProblem(m('folder', 'A', 'a/b'))).toMatch(/inside "A"/);
    expect(manifestPathProblem(m('folder', 'x.', 'x/y'))).toMatch(/inside "x\."/);
    expect(manifestPathProblem(m('folder', 'a', 'a'))).toMatch(/listed twice/);
    expect(manifestPathProblem(m('folder', 'e\u0301t\u00e9', '\u00e9te\u0301/x'))).toMatch(/inside/); // one name on macOS (NFC/NFD)
    expect(manifestPathProblem(m('folder', 'a', 'ab/c', 'a.json', 'b/a'))).toBeNull();
    expect(manifestPathProblem(m('file', 'sub/model.pt'))).toMatch(/names a folder/);
    expect(manifestPathProblem(m('file', 'a', 'b'))).toMatch(/lists 2 files/);
    expect(manifestPathProblem({ ...m('folder', 'a'), source: { path: '../up', kind: 'folder' } })).toMatch(/source\.path/);
    expect(manifestPathProblem({ ...m('folder', 'a'), source: { path: 'x/.git', kind: 'folder' } })).toMatch(/source\.path/);
    expect(manifestPathProblem({ ...m('folder', 'a'), removedFiles: ['.git/config'] })).toMatch(/removedFiles/);
  });

  it('bounds names at 255 UTF-8 bytes and paths at 4096', () => {
    expect(pathProblem('x'.repeat(255))).toBeNull();
    expect(pathProblem('x'.repeat(256))).toMatch(/256 bytes/);
    expect(pathProblem('\u00e9'.repeat(128))).toMatch(/256 bytes/); // 128 characters, 256 bytes
    expect(pathProblem(Array.from({ length: 20 }, () => 'y'.repeat(200)).join('/'))).toBeNull();
    expect(pathProblem(Array.from({ length: 21 }, () => 'y'.repeat(200)).join('/'))).toMatch(/longer than the 4096 bytes/);
  });

  it('a manifest with 200,000 files is checked in well under a second per 100,000', () => {
    const files = Array.from({ length: 200_000 }, (_, i) => ({ path: `shard-${i % 100}/part-${i}.bin` }));
    const t0 = performance.now();
    expect(manifestPathProblem({ source: { path: '.', kind: 'folder' }, files, removedFiles: [] })).toBeNull();
    // A measured number for the report, not a timing assertion that flakes on a shared machine.
    console.log(`manifestPathProblem, 200,000 files: ${(performance.now() - t0).toFixed(0)} ms`);
  });
});

// ---- forged manifests in a real store ----

/** Writes manifest bytes straight into commits/ (as another program or a forger would), returning the id they hash to. */
async function forge(store: Store, manifest: unknown): Promise<string> {
  const bytes = Buffer.from(JSON.stringify(manifest));
  const id = createHash('sha256').update(bytes).digest('hex');
  await fs.writeFile(path.join(store.dir, 'commits', `${id}.json`), bytes);
  return id;
}


async function cli(cwd: string, ...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '', stderr = '';
  const code = await main(argv, { cwd, stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } });
  return { code, stdout, stderr };
}

/** A store (in `world/store`) with one folder commit of `model/` (a safetensors file and a config), beside an `outside` folder. */
async function folderStore(): Promise<{ world: string; root: string; store: Store; id: string; manifest: Manifest }> {
  const world = scratch();
  const root = path.join(world, 'store');
  const folder = path.join(root, 'model');
  await fs.mkdir(folder, { recursive: true });
  await fs.mkdir(path.join(world, 'outside'));
  await writeSafetensors(path.join(folder, 'model.safetensors'), [{ name: 'w', dtype: 'F32', shape: [256], data: gaussianF32(256, rng(3)) }]);
  await fs.writeFile(path.join(folder, 'config.json'), '{"hidden": 256}\n');
  const store = await Store.init(root);
  const c = await commit(store, folder, { message: 'first' });
  return { world, root, store, id: c.id, manifest: await store.readManifest(c.id) };
}

/** The forged commits the issue found, built from a real folder commit: each file keeps its real bytes and sha256, only its path is forged. */
function forgeries(m: Manifest): Array<{ name: string; manifest: Manifest }> {
  const [a, b] = [m.files[0]!, m.files[1]!];
  const at = (...paths: string[]): Manifest => ({ ...m, parent: null, files: paths.map((p, i) => ({ ...(i % 2 ? b : a), path: p, delta: null })) });
  return [
    { name: '.git/HEAD and .git/config (core.fsmonitor runs a command on the next git status)', manifest: at('.git/HEAD', '.git/config') },
    { name: '.weightline/remotes.json (would replace the remotes)', manifest: { ...at('.weightline/remotes.json'), source: { path: '.', kind: 'folder' } } },
    { name: '.weightline/config.json at the store root', manifest: { ...at('.weightline/config.json', 'x'), source: { path: '.', kind: 'folder' } } },
    { name: '.Git./HEAD (Windows reads it as .git)', manifest: at('.Git./HEAD') },
    { name: '.GIT/config', manifest: at('.GIT/config') },
    { name: 'a and a/b (a file that is also a folder)', manifest: at('a', 'a/b') },
    { name: 'a 300-character file name', manifest: at('n'.repeat(300)) },
    { name: 'a path leaving the target through ..', manifest: at('sub/../../../outside/x') },
    { name: 'an absolute file path', manifest: at('/tmp/pwned') },
    { name: 'a file name with a terminal escape', manifest: at('\x1b[2Kok.json') },
    { name: 'a relative source.path leaving the store', manifest: { ...at('x'), source: { path: '../outside', kind: 'folder' } } },
    { name: 'a source.path inside .git', manifest: { ...at('x'), source: { path: 'model/.git', kind: 'folder' } } },
  ];
}

describe('forged manifests in the store are refused, nothing written (issue 18)', () => {
  // Reserved names in a manifest already in the store: older versions' folder commits took a .git along
  // (a model folder cloned with git), so the reader keeps them readable and restore never writes them.
  it.each([0, 1, 2, 3, 4])('forgery %i (a reserved folder in a stored manifest): readable, but restore (own path and --to) writes none of it, says so, and leaves the store\'s own files alone', async (i) => {
    const { world, root, store, manifest } = await folderStore();
    const { name, manifest: forged } = forgeries(manifest)[i]!;
    const id = await forge(store, forged);
    const own = async (f: string): Promise<string> => fs.readFile(path.join(store.dir, f), 'utf8').catch(() => 'missing');
    const storeFiles = { config: await own('config.json'), remotes: await own('remotes.json') };
    await expect(Store.open(root).then((s) => s.readManifest(id)), name).resolves.toMatchObject({ files: forged.files.map((f) => ({ path: f.path })) });
    const target = path.join(world, 'target');
    for (const to of [undefined, target]) {
      const r = await restore(await Store.open(root), id, { force: true, ...(to ? { to } : {}) });
      expect(r.notes?.map((n) => n.message).join('\n'), name).toMatch(/left out \d+ file\(s\) inside \.(git|weightline)/);
      expect(r.files).toBe(forged.files.filter((f) => !/^\.(git|weightline)[. ]*\//i.test(f.path)).length);
    }
    for (const argv of [['show', id], ['log'], ['restore', id, '--to', target]]) {
      const r = await cli(root, ...argv);
      expect(r.code, `${argv.join(' ')}: ${r.stderr}`).toBe(0);
      expect(r.stderr).not.toMatch(/internal error/);
    }
    // No reserved folder anywhere but the store's own, and the store's own files as they were.
    for (const f of (await snapshotFiles(world)).keys()) {
      const parts = path.relative(world, f).split(path.sep);
      const at = parts.findIndex((c) => /^\.(git|weightline|hg)[. ]*$/i.test(c));
      expect(at === -1 || (at === 1 && parts[0] === 'store' && parts[1] === '.weightline'), `${name} wrote ${f}`).toBe(true);
    }
    expect({ config: await own('config.json'), remotes: await own('remotes.json') }).toEqual(storeFiles);
  });

  it.each([5, 6, 7, 8, 9, 10, 11])('forgery %i: read, restore (own path and --to), log, show and verify refuse it clearly', async (i) => {
    const { world, root, store, manifest } = await folderStore();
    const { name, manifest: forged } = forgeries(manifest)[i]!;
    const id = await forge(store, forged);
    const file = path.join(store.dir, 'commits', `${id}.json`);
    const before = await snapshotFiles(world);

    // The reader refuses it, naming the manifest: no code path sees its paths.
    await expect(Store.open(root).then((s) => s.readManifest(id)), name).rejects.toMatchObject({ code: 'UNSAFE_PATH', file });
    const target = path.join(world, 'target');
    await expect(restore(await Store.open(root), id, { force: true })).rejects.toMatchObject({ code: 'UNSAFE_PATH' });
    await expect(restore(await Store.open(root), id, { to: target, force: true })).rejects.toMatchObject({ code: 'UNSAFE_PATH' });

    // The CLI says so in one clear line (exit 1), never "internal error".
    for (const argv of [['restore', id, '--force'], ['restore', id, '--to', target], ['show', id], ['log']]) {
      const r = await cli(root, ...argv);
      expect(r.code, `${argv.join(' ')}: ${r.stderr}`).toBe(1);
      expect(r.stderr).toMatch(/^weightline: error: .*refusing this commit manifest: its .*forged, written by another program/);
      expect(r.stderr).not.toMatch(/internal error/);
      expect(r.stderr).toContain(id);
    }
    const v = await cli(root, 'verify', '--json');
    expect(v.code).toBe(1);
    const verdict = (JSON.parse(v.stdout) as { commits: Array<{ id: string; ok: boolean; error: string | null }> }).commits.find((c) => c.id === id)!;
    expect(verdict.ok).toBe(false);
    expect(verdict.error).toMatch(/refusing this commit manifest/);

    // Nothing anywhere changed: not the store, not the folder around it, not the target.
    expect(await snapshotFiles(world)).toEqual(before);
    await expect(fs.access(target)).rejects.toThrow();
  });

  it('a folder commit an older version made with the folder\'s .git inside: the model restores, the user\'s own .git is neither written nor deleted, before or after', async () => {
    const { world, root, store, id, manifest } = await folderStore();
    // What an older version recorded for `model/` holding a git clone: the model files and .git/config, as a child of the real commit.
    const cfg = manifest.files.find((f) => f.path === 'config.json')!;
    const older = await forge(store, { ...manifest, parent: id, message: 'older version, .git inside', files: [...manifest.files.map((f) => ({ ...f, delta: null })), { ...cfg, path: '.git/config', delta: null }] });
    const userGit = path.join(root, 'model', '.git');
    await fs.mkdir(userGit);
    await fs.writeFile(path.join(userGit, 'config'), '[core]\n\tbare = false\n');
    // Restoring it: the working copy matches it (its .git is not compared), the model files stay, .git/config is the user's.
    const r = await restore(await Store.open(root), older as never, {});
    expect(r.notes?.map((n) => n.message).join(' ')).toMatch(/left out 1 file\(s\) inside \.git/);
    expect(await fs.readFile(path.join(userGit, 'config'), 'utf8')).toBe('[core]\n\tbare = false\n');
    // And back to the commit without it: restore removes files of the tracked version this one lacks, never the .git one.
    await restore(await Store.open(root), id, {});
    expect(await fs.readFile(path.join(userGit, 'config'), 'utf8')).toBe('[core]\n\tbare = false\n');
    expect((await fs.readdir(path.join(root, 'model'))).sort()).toEqual(['.git', 'config.json', 'model.safetensors']);
    await expect(fs.access(path.join(world, 'outside', 'config'))).rejects.toThrow();
  });

  it('every command on a store holding a forged manifest answers clearly, and the other commits still restore', async () => {
    const { world, root, store, id, manifest } = await folderStore();
    await forge(store, forgeries(manifest)[0]!.manifest);
    for (const argv of [['log'], ['status'], ['verify'], ['repair', '--dry-run'], ['cleanup', '--dry-run'], ['cleanup'], ['pin', id], ['show', id], ['restore', id, '--to', path.join(world, 'ok')]]) {
      const r = await cli(root, ...argv);
      expect([0, 1], `${argv.join(' ')}: ${r.stderr}`).toContain(r.code);
      expect(r.stderr).not.toMatch(/internal error/u);
    }
    expect((await fs.readdir(path.join(world, 'ok'))).sort()).toEqual(['config.json', 'model.safetensors']);
    await expect(fs.access(path.join(root, 'model', '.git'))).rejects.toThrow();
  });

  it('the gate passes ordinary paths: a real folder commit restores to its own path', async () => {
    const { root, store, id } = await folderStore();
    await restore(store, id, { force: true });
    // The commit's own files restore normally: the gate passes ordinary paths.
    expect((await fs.readdir(path.join(root, 'model'))).sort()).toEqual(['config.json', 'model.safetensors']);
  });
});

describe('source.path outside the store (issue 18: "restore HEAD" wrote to an absolute path)', () => {
  async function outsideCommit(): Promise<{ world: string; root: string; store: Store; id: string; dest: string; sha: string }> {
    const { world, root, store, manifest } = await folderStore();
    const dest = path.join(world, 'outside', 'pwned.safetensors');
    const f = manifest.files.find((x) => x.path === 'model.safetensors')!;
    const id = await forge(store, { ...manifest, parent: null, source: { path: dest, kind: 'file' }, files: [{ ...f, path: 'pwned.safetensors', delta: null }] });
    return { world, root, store, id, dest, sha: f.sha256 };
  }

  it('a commit fetched from a remote (recorded in fetched-outside.json) is never restored there: restore asks for --to', async () => {
    const { root, store, id, dest, sha } = await outsideCommit();
    await fs.writeFile(path.join(store.dir, 'fetched-outside.json'), JSON.stringify([id]));
    await expect(restore(store, id)).rejects.toMatchObject({ code: 'UNSAFE_PATH', message: expect.stringMatching(/came from a remote .*--to/) });
    const r = await cli(root, 'restore', id);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/UNSAFE|came from a remote/);
    await expect(fs.access(dest)).rejects.toThrow();
    // With --to the user chose the place: it restores there, bit-exact.
    const to = path.join(root, 'chosen.safetensors');
    await restore(store, id, { to });
    expect(await sha256Of(to)).toBe(sha);
    await expect(fs.access(dest)).rejects.toThrow();
  });

  it('while fetched-outside.json is damaged, every commit outside the store needs --to', async () => {
    const { store, id, dest } = await outsideCommit();
    await fs.writeFile(path.join(store.dir, 'fetched-outside.json'), '{not json');
    await expect(restore(store, id)).rejects.toMatchObject({ code: 'UNSAFE_PATH', message: expect.stringMatching(/cannot be read.*--to/) });
    await expect(fs.access(dest)).rejects.toThrow();
  });

  it('an absolute source.path inside a .git folder needs --to, even for a local commit', async () => {
    const { world, store, manifest } = await folderStore();
    const f = manifest.files[0]!;
    const dest = path.join(world, 'outside', '.Git', 'hooks', 'pre-commit');
    const id = await forge(store, { ...manifest, parent: null, source: { path: dest, kind: 'file' }, files: [{ ...f, path: 'pre-commit', delta: null }] });
    await expect(restore(store, id)).rejects.toMatchObject({ code: 'UNSAFE_PATH', message: expect.stringMatching(/\.Git.*--to/) });
    await expect(fs.access(path.dirname(dest))).rejects.toThrow();
  });

  it('an absolute path of another platform (C:\\...) needs --to', async () => {
    const { store, manifest } = await folderStore();
    const f = manifest.files[0]!;
    const id = await forge(store, { ...manifest, parent: null, source: { path: 'C:\\Users\\x\\m.bin', kind: 'file' }, files: [{ ...f, path: 'm.bin', delta: null }] });
    if (path.sep === '\\') return; // native there: the local rule applies
    await expect(restore(store, id)).rejects.toMatchObject({ code: 'UNSAFE_PATH', message: expect.stringMatching(/another platform.*--to/) });
  });

  it("a local commit an older version recorded by absolute path still restores there (it was the user's own)", async () => {
    const { store, id, dest, sha } = await outsideCommit();
    await restore(store, id);
    expect(await sha256Of(dest)).toBe(sha);
  });
});

describe('commit passes its paths through the same gate', () => {
  it('a folder holding .git (and .GIT, .weightline.) commits without them, so no restore ever writes them', async () => {
    const root = scratch();
    const folder = path.join(root, 'hf-model');
    await fs.mkdir(path.join(folder, '.git', 'hooks'), { recursive: true });
    await fs.writeFile(path.join(folder, '.git', 'config'), '[core]\n\tfsmonitor = "touch pwned"\n');
    await fs.mkdir(path.join(folder, '.GIT'));
    await fs.writeFile(path.join(folder, '.GIT', 'HEAD'), 'ref: x\n');
    await fs.writeFile(path.join(folder, '.weightline.'), 'x');
    await writeSafetensors(path.join(folder, 'model.safetensors'), [{ name: 'w', dtype: 'F32', shape: [16], data: gaussianF32(16, rng(1)) }]);
    const store = await Store.init(root);
    const c = await commit(store, folder, { message: 'hf' });
    expect((await store.readManifest(c.id)).files.map((f) => f.path)).toEqual(['model.safetensors']);
  });

  it('a file whose name holds a control character is refused before anything is written', async () => {
    const root = scratch();
    const folder = path.join(root, 'm');
    await fs.mkdir(folder);
    await writeSafetensors(path.join(folder, 'model.safetensors'), [{ name: 'w', dtype: 'F32', shape: [16], data: gaussianF32(16, rng(1)) }]);
    await fs.writeFile(path.join(folder, 'notes\x1b[2K.txt'), 'x');
    const store = await Store.init(root);
    const before = await snapshotFiles(store.dir);
    await expect(commit(store, folder, { message: 'x' })).rejects.toMatchObject({ code: 'UNSAFE_PATH', message: expect.stringContaining('\\u001b[2K') });
    expect(await snapshotFiles(store.dir)).toEqual(before);
    const r = await cli(root, 'commit', 'm');
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(CONTROL_OUT);
  });

  it('a file with a 255-byte name (the most a file system takes) commits and restores through its temp file', async () => {
    const root = scratch();
    const folder = path.join(root, 'm');
    await fs.mkdir(folder);
    const long = `${'\u00e9'.repeat(120)}${'x'.repeat(10)}.bin`; // 240 + 10 + 4 = 254 bytes
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(255);
    await fs.writeFile(path.join(folder, long), Buffer.alloc(5000, 7));
    const store = await Store.init(root);
    const c = await commit(store, folder, { message: 'long' });
    await restore(store, c.id, { to: path.join(root, 'copy') });
    expect(await sha256Of(path.join(root, 'copy', long))).toBe(await sha256Of(path.join(folder, long)));
  });
});

describe('a file and a folder of the same name across commits', () => {
  it('restores a version with a file "a" over one with "a/b", and back, leaving no empty folder', async () => {
    const root = scratch();
    const folder = path.join(root, 'm');
    await fs.mkdir(path.join(folder, 'a'), { recursive: true });
    await fs.writeFile(path.join(folder, 'a', 'b.json'), '{"v":1}');
    await fs.writeFile(path.join(folder, 'keep.json'), '{}');
    const store = await Store.init(root);
    const first = await commit(store, folder, { message: 'folder a' });
    await fs.rm(path.join(folder, 'a'), { recursive: true });
    await fs.writeFile(path.join(folder, 'a'), 'now a file');
    const second = await commit(store, folder, { message: 'file a' });
    await restore(store, first.id);
    expect(await fs.readFile(path.join(folder, 'a', 'b.json'), 'utf8')).toBe('{"v":1}');
    await restore(store, second.id);
    expect(await fs.readFile(path.join(folder, 'a'), 'utf8')).toBe('now a file');
    await restore(store, first.id);
    expect((await fs.readdir(folder)).sort()).toEqual(['a', 'keep.json']);
  });

  it('a folder of the user standing where a file goes is a clear DIRTY error, even with --force, and is left alone', async () => {
    const root = scratch();
    const folder = path.join(root, 'm');
    await fs.mkdir(folder);
    await fs.writeFile(path.join(folder, 'a'), 'file');
    const store = await Store.init(root);
    const c = await commit(store, folder, { message: 'file a' });
    const to = path.join(root, 'elsewhere');
    await fs.mkdir(path.join(to, 'a'), { recursive: true });
    await fs.writeFile(path.join(to, 'a', 'mine.txt'), 'mine');
    const r = await cli(root, 'restore', c.id, '--to', to, '--force');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/a folder stands where this version has a file/);
    expect(await fs.readFile(path.join(to, 'a', 'mine.txt'), 'utf8')).toBe('mine');
  });
});

describe('property: forged manifests of dangerous paths never write outside the target (issue 18)', () => {
  it('restore --to of random forged manifests writes only under the target, never a reserved name, and fails only with clear errors', async () => {
    const { world, store, manifest } = await folderStore();
    const real = manifest.files.find((f) => f.path === 'config.json')!;
    const safe = fc.constantFrom('a', 'b/c', 'model/x.json', 'd/e/f.bin', '\u00e9t\u00e9/\u{1f600}.json', 'x'.repeat(255));
    const filesArb = fc.array(fc.oneof(dangerousPath, safe, safe), { minLength: 1, maxLength: 4 });
    const caches = new Set(['index.json', 'checked.json', 'log-index.json']);
    const storeFiles = async (): Promise<Map<string, string>> => new Map([...(await snapshotFiles(store.dir))].filter(([f]) => !caches.has(path.basename(f))));
    const storeBefore = await storeFiles();
    let run = 0, accepted = 0;
    await fc.assert(fc.asyncProperty(filesArb, fc.constantFrom<'file' | 'folder'>('folder', 'folder', 'file'), async (paths, kind) => {
      const target = path.join(world, `t${run++}`);
      const forged = { ...manifest, parent: null, source: { path: kind === 'file' ? 'm.json' : 'model', kind }, files: paths.map((p) => ({ ...real, path: p, delta: null })) };
      const id = await forge(store, forged);
      const before = await snapshotFiles(world);
      const fresh = await Store.open(store.root);
      const outcome = await restore(fresh, id, { to: target, force: true }).then(() => null, (e: unknown) => e);
      if (outcome !== null) {
        // Refused: a clear error, never a bug; and then nothing was written at all.
        expect(outcome).toMatchObject({ code: expect.stringMatching(/^(UNSAFE_PATH|CORRUPT|DIRTY|UNSUPPORTED)$/u) });
      } else accepted++;
      const after = await snapshotFiles(world);
      for (const [file] of after) {
        if (before.has(file) || file.startsWith(store.dir + path.sep)) continue;
        const rel = path.relative(target, file);
        expect(rel.startsWith('..') || path.isAbsolute(rel), file).toBe(false);
        for (const part of rel.split(path.sep)) expect(['.git', '.weightline', '.hg'].includes(part.replace(/[. ]+$/u, '').toLowerCase()), file).toBe(false);
      }
      if (outcome !== null && ['UNSAFE_PATH', 'CORRUPT'].includes((outcome as { code: string }).code)) expect([...after.keys()].filter((f) => !before.has(f) && !f.startsWith(store.dir))).toEqual([]);
      await fs.rm(path.join(store.dir, 'commits', `${id}.json`));
    }), { numRuns: 80 });
    expect(await storeFiles()).toEqual(storeBefore);
    console.log(`forged-manifest property: ${accepted} of ${run} forged manifests passed the gate and restored under their target`);
  });
});
