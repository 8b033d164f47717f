// The CLI as people really use it (issue 11, "CLI"): each case from the issue,
// run through main() on a real store with real safetensors files.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src-main/cli/main';
import { commit } from '../../src-main/core/ops/commit';
import { Store } from '../../src-main/core/store/store';
import type { Progress } from '../../src-shared/model';
import { gaussianF32, nudgeF32, rng, sha256Of, useScratch, writeSafetensors } from '../helpers/models';

const scratch = useScratch();
const repo = path.resolve(import.meta.dirname, '..', '..');

async function run(cwd: string, ...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '', stderr = '';
  const code = await main(argv, { cwd, stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } });
  return { code, stdout, stderr };
}

async function ok(cwd: string, ...argv: string[]): Promise<string> {
  const r = await run(cwd, ...argv);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

const weights = (seed: number): Buffer => gaussianF32(4096, rng(seed));

/** A store with epochs 0..n-1 of one model (each a nudge of the one before). */
async function epochs(n: number): Promise<{ dir: string; file: string; data: Buffer[] }> {
  const dir = scratch();
  const file = path.join(dir, 'model.safetensors');
  await ok(dir, 'init');
  const data: Buffer[] = [];
  let w = weights(1);
  for (let i = 0; i < n; i++) {
    if (i > 0) w = nudgeF32(w, rng(100 + i));
    data.push(w);
    await writeSafetensors(file, [{ name: 'w', dtype: 'F32', shape: [64, 64], data: w }]);
    await ok(dir, 'commit', 'model.safetensors', '-m', `epoch ${i}`);
  }
  return { dir, file, data };
}

describe('weightline log', () => {
  it('draws a branch joining at the commit it forks from, not one row lower', async () => {
    // epoch 0 ← 1 ← 2 ← 3 (main) and epoch 2 ← "lr x0.3" (branch, newest)
    const { dir, file, data } = await epochs(4);
    await ok(dir, 'restore', 'HEAD~1');
    await writeSafetensors(file, [{ name: 'w', dtype: 'F32', shape: [64, 64], data: nudgeF32(data[2]!, rng(7), 3e-3) }]);
    await ok(dir, 'commit', 'model.safetensors', '-m', 'epoch 3 (lr x0.3)');
    const lines = (await ok(dir, 'log')).trimEnd().split('\n');
    const row = (msg: string): number => lines.findIndex((l) => /^[*| ]+[0-9a-f]{12} /.test(l) && l.replace(/ {2}\(HEAD\)$/, '').endsWith(` ${msg}`));
    // The fork line sits right above epoch 2's dot, below both children's rows.
    const fork = row('epoch 2');
    expect(lines[fork - 1]).toBe('|/');
    expect(fork).toBeGreaterThan(row('epoch 3 (lr x0.3)'));
    expect(fork).toBeGreaterThan(row('epoch 3'));
    expect(lines[fork]).toMatch(/^\* [0-9a-f]{12} DELTA +epoch 2$/);
    expect(lines[row('epoch 1')]).toMatch(/^\* [0-9a-f]{12} /);
    // The two lines of history run side by side above the fork.
    expect(lines[row('epoch 3')]).toMatch(/^[*|] [*|] [0-9a-f]{12} /);
  });

  it('keeps a multi-line message inside the graph', async () => {
    const { dir, file, data } = await epochs(2);
    await writeSafetensors(file, [{ name: 'w', dtype: 'F32', shape: [64, 64], data: nudgeF32(data[1]!, rng(9)) }]);
    await ok(dir, 'commit', 'model.safetensors', '-m', 'epoch 2\nlr 3e-4, warmup 500\nval loss 0.91');
    const lines = (await ok(dir, 'log')).trimEnd().split('\n');
    const first = lines.findIndex((l) => l.endsWith('epoch 2  (HEAD)'));
    expect(first).toBe(0);
    const col = lines[0]!.indexOf('epoch 2');
    expect(lines[1]).toBe(`|${' '.repeat(col - 1)}lr 3e-4, warmup 500`);
    expect(lines[2]).toBe(`|${' '.repeat(col - 1)}val loss 0.91`);
    // Every line but the root's last starts in the graph's column.
    for (const l of lines.slice(0, -1)) expect(l).toMatch(/^[*|]/);
  });
});

describe('weightline init', () => {
  it('in a store says it already is one, changes nothing and exits 0', async () => {
    const dir = scratch();
    expect(await ok(dir, 'init')).toMatch(/^Initialised an empty Weightline store/);
    const config = await fs.readFile(path.join(dir, '.weightline', 'config.json'), 'utf8');
    const again = await run(dir, 'init');
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(`${dir} is already a Weightline store; nothing was changed\n`);
    expect(JSON.parse(await ok(dir, 'init', '--json'))).toEqual({ root: dir, outcome: 'already' });
    expect(await fs.readFile(path.join(dir, '.weightline', 'config.json'), 'utf8')).toBe(config);
  });

  it("in a store's subfolder refuses, naming the outer store, unless --nested", async () => {
    const dir = scratch();
    await ok(dir, 'init');
    const sub = path.join(dir, 'runs', 'exp1');
    await fs.mkdir(sub, { recursive: true });
    const r = await run(sub, 'init');
    // Refused by what it found (a store around the folder), not by the command line: exit 1.
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`weightline: error: ${sub} is inside the Weightline store at ${dir}; commit files here into that store (from this folder, \`weightline commit <file>\`: the store records it under runs/exp1/), or run \`weightline init --nested\` to make a separate store inside it anyway\n`);
    expect(existsSync(path.join(sub, '.weightline'))).toBe(false);
    expect(JSON.parse(await ok(sub, 'init', '--nested', '--json'))).toEqual({ root: sub, outcome: 'created' });
    // Once there, it is a store like any other.
    expect((await run(sub, 'init')).stdout).toMatch(/already a Weightline store/);
  });

  it('puts back a lost format.json and says so', async () => {
    const { dir } = await epochs(1);
    await fs.rm(path.join(dir, '.weightline', 'format.json'));
    expect(JSON.parse(await ok(dir, 'init', '--json'))).toEqual({ root: dir, outcome: 'completed' });
    expect(JSON.parse(await ok(dir, 'log', '--json'))).toHaveLength(1);
  });
});

describe('commit names and folders', () => {
  it('show HEAD~N past the first commit counts the commits behind HEAD right', async () => {
    const { dir } = await epochs(4);
    expect(JSON.parse(await ok(dir, 'show', 'HEAD~3', '--json'))).toMatchObject({ message: 'epoch 0' });
    const r = await run(dir, 'show', 'HEAD~4');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('weightline: error: HEAD~4: only 3 commit(s) lie behind HEAD; the oldest is HEAD~3\n');
  });

  it('-C with a folder that does not exist says so', async () => {
    const missing = path.join(scratch(), 'nope');
    const r = await run(scratch(), '-C', missing, 'log');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`weightline: error: ${missing}: no such folder (given with -C)\n`);
    // And a folder that is no store still says that.
    expect((await run(scratch(), 'log')).stderr).toMatch(/no \.weightline store here/);
  });
});

describe('weightline restore', () => {
  it('a plain restore does not claim "linked 0 files"; --to newdir/ writes into the folder', async () => {
    const { dir, file } = await epochs(2);
    const older = await run(dir, 'restore', 'HEAD~1');
    expect(older.code).toBe(0);
    expect(older.stdout).toMatch(/^Restored [0-9a-f]{12} to model\.safetensors \(1 file\(s\), /);
    expect(older.stdout).not.toMatch(/linked/);
    const head = JSON.parse(await ok(dir, 'show', 'HEAD', '--json')) as { files: Array<{ sha256: string }> };
    expect(await sha256Of(file)).toBe(head.files[0]!.sha256);
    const into = await run(dir, 'restore', 'HEAD', '--to', 'exported/');
    expect(into.code, into.stderr).toBe(0);
    expect((await fs.stat(path.join(dir, 'exported'))).isDirectory()).toBe(true);
    expect(await sha256Of(path.join(dir, 'exported', 'model.safetensors'))).toBe(head.files[0]!.sha256);
  });
});

describe('usage errors and --json errors', () => {
  it('an unknown verb prints one line with the suggestion and exits 2', async () => {
    const r = await run(scratch(), 'restor');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('weightline: error: unknown command \'restor\' (did you mean restore?); "weightline --help" lists the commands\n');
    const missing = await run(scratch(), 'commit');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe('weightline: error: missing required argument \'path\'; see "weightline commit --help"\n');
  });

  it('with --json, every error is one JSON object on stderr, with the same exit codes', async () => {
    const dir = scratch();
    const expectJsonError = async (argv: string[], code: number, errorCode: string, message: RegExp): Promise<void> => {
      const r = await run(dir, ...argv);
      expect(r.code, argv.join(' ')).toBe(code);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      const j = JSON.parse(r.stderr) as { error: { code: string; message: string } };
      expect(Object.keys(j)).toEqual(['error']);
      expect(j.error.code).toBe(errorCode);
      expect(j.error.message).toMatch(message);
    };
    await expectJsonError(['log', '--json'], 1, 'NOT_A_STORE', /no \.weightline store here/);
    await expectJsonError(['restor', '--json'], 2, 'BAD_USAGE', /unknown command 'restor' \(did you mean restore\?\)/);
    await expectJsonError(['log', '--json', '--frobnicate'], 2, 'BAD_USAGE', /unknown option '--frobnicate'/);
    await ok(dir, 'init');
    await expectJsonError(['show', 'HEAD', '--json'], 1, 'NOT_FOUND', /HEAD points to no commit yet/);
    await expectJsonError(['show', 'zz', '--json'], 2, 'BAD_USAGE', /expected a commit id/);
    await expectJsonError(['config', 'nope', '--json'], 2, 'BAD_USAGE', /unknown setting "nope"/);
    await expectJsonError(['commit', 'missing.safetensors', '--json'], 1, 'NOT_FOUND', /missing\.safetensors.*no such file/);
    await expectJsonError(['-C', path.join(dir, 'nope'), 'status', '--json'], 1, 'NOT_FOUND', /no such folder/);
  });
});

describe('weightline commit', () => {
  it('an unchanged file makes no commit unless --allow-empty', async () => {
    const { dir } = await epochs(2);
    const head = JSON.parse(await ok(dir, 'show', 'HEAD', '--json')) as { id: string };
    const r = await run(dir, 'commit', 'model.safetensors', '-m', 'again');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`nothing changed since HEAD (${head.id.slice(0, 12)}); no commit was made (--allow-empty commits anyway)\n`);
    expect(JSON.parse(await ok(dir, 'log', '--json'))).toHaveLength(2);
    // Not from the stat cache this time: the bytes are hashed and still match.
    await fs.utimes(path.join(dir, 'model.safetensors'), new Date(), new Date(Date.now() + 5000));
    const j = JSON.parse(await ok(dir, 'commit', 'model.safetensors', '--json')) as Record<string, unknown>;
    expect(j).toMatchObject({ id: head.id, unchanged: true, fullBytesAdded: 0 });
    expect(JSON.parse(await ok(dir, 'log', '--json'))).toHaveLength(2);
    expect((await fs.readdir(path.join(dir, '.weightline'))).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
    const forced = JSON.parse(await ok(dir, 'commit', 'model.safetensors', '-m', 'same bytes', '--allow-empty', '--json')) as Record<string, unknown>;
    expect(forced).toMatchObject({ parent: head.id, unchanged: false });
    expect(JSON.parse(await ok(dir, 'log', '--json'))).toHaveLength(3);
  });

  it('--checkpoint of bytes already stored says so, and log agrees', async () => {
    const { dir } = await epochs(1);
    const out = await ok(dir, 'commit', 'model.safetensors', '-m', 'again', '--checkpoint', '--allow-empty');
    expect(out).toMatch(/^\[CHECKPOINT [0-9a-f]{12}\] again\n {2}full parameters 16\.\d KB, already in the store \(0 B added\)\n$/);
    const log = (await ok(dir, 'log')).split('\n');
    expect(log[1]).toMatch(/full \(same bytes as an older commit, 0 B more\)/);
    expect(log[3]).toMatch(/full 16\.\d KB/);
    const entries = JSON.parse(await ok(dir, 'log', '--json')) as Array<{ fullBytes: number; hasFull: boolean }>;
    expect(entries.map((e) => [e.hasFull, e.fullBytes > 0])).toEqual([[true, false], [true, true]]);
  });

  it('refuses files inside .weightline and paths outside the store, and says what to do', async () => {
    const { dir } = await epochs(1);
    const inside = await run(dir, 'commit', '.weightline/config.json');
    expect(inside.code).toBe(1);
    expect(inside.stderr).toMatch(/inside a \.weightline folder/);
    const elsewhere = scratch();
    const outside = path.join(elsewhere, 'other.safetensors');
    await writeSafetensors(outside, [{ name: 'w', dtype: 'F32', shape: [4], data: weights(5).subarray(0, 16) }]);
    const r = await run(dir, 'commit', outside);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`weightline: error: ${outside} is outside the store's folder ${dir}; run \`weightline init\` in a folder that holds it, or use -C\n`);
    expect(JSON.parse(await ok(dir, 'log', '--json'))).toHaveLength(1);
  });

  it('still reads and restores a commit an older version recorded by absolute path', async () => {
    const { dir, file } = await epochs(1);
    const store = await Store.open(dir);
    const head = (await store.readHead())!;
    const m = await store.readManifest(head);
    const legacy = await store.writeManifest({ ...m, parent: head, message: 'absolute', source: { ...m.source, path: file } });
    await store.writeHead(legacy);
    expect(JSON.parse(await ok(dir, 'show', 'HEAD', '--json'))).toMatchObject({ message: 'absolute' });
    await fs.rm(file);
    expect((await run(dir, 'restore', 'HEAD')).code).toBe(0);
    expect(await sha256Of(file)).toBe(m.files[0]!.sha256);
  });

  it('an empty .bin is a generic file in a folder; an empty single file is refused, saying why', async () => {
    const dir = scratch();
    await ok(dir, 'init');
    const folder = path.join(dir, 'hf-model');
    await writeSafetensors(path.join(folder, 'model.safetensors'), [{ name: 'w', dtype: 'F32', shape: [64, 64], data: weights(2) }]);
    await fs.writeFile(path.join(folder, 'training_args.bin'), '');
    const j = JSON.parse(await ok(dir, 'commit', 'hf-model', '--json')) as { id: string };
    const s = JSON.parse(await ok(dir, 'show', j.id, '--json')) as { files: Array<{ path: string; format: string; bytes: number }> };
    expect(s.files.find((f) => f.path === 'training_args.bin')).toMatchObject({ format: 'generic', bytes: 0 });
    await fs.writeFile(path.join(dir, 'empty.bin'), '');
    const r = await run(dir, 'commit', 'empty.bin');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/empty\.bin: empty file \(0 bytes\): there is nothing to commit/);
    expect(r.stderr).not.toMatch(/PyTorch/);
  });

  it('progress counts each phase against the model size, never twice', async () => {
    const dir = scratch();
    const file = path.join(dir, 'big.safetensors');
    const n = 3 * 1024 * 1024;
    const w = gaussianF32(n, rng(4));
    await writeSafetensors(file, [{ name: 'w', dtype: 'F32', shape: [n], data: w }]);
    const store = await Store.init(dir);
    await commit(store, file, { message: 'first' });
    await writeSafetensors(file, [{ name: 'w', dtype: 'F32', shape: [n], data: nudgeF32(w, rng(5)) }]);
    const size = (await fs.stat(file)).size;
    const seen: Progress[] = [];
    await commit(store, file, { message: 'second', onProgress: (p) => seen.push(p) });
    const withBytes = seen.filter((p) => p.bytesTotal > 0);
    expect(withBytes.length).toBeGreaterThan(1);
    for (const p of withBytes) {
      expect(p.bytesTotal).toBe(size);
      expect(p.bytesDone).toBeLessThanOrEqual(size);
    }
    expect(new Set(seen.map((p) => p.phase))).toEqual(new Set(['copying', 'diffing', 'writing']));
    // Phases run in order: the copy, what is left of the diff, then writing.
    const order = seen.map((p) => p.phase).filter((ph, i, a) => i === 0 || a[i - 1] !== ph);
    expect(order).toEqual(['copying', 'diffing', 'writing']);
    expect(withBytes.filter((p) => p.phase === 'copying').at(-1)!.bytesDone).toBeLessThan(size);
    expect(withBytes.filter((p) => p.phase === 'diffing').at(-1)!.bytesDone).toBe(size);
  });
});

describe('pin and cleanup', () => {
  it('pin after a cleanup rebuilds the full parameters; cleanup names its keep rule', async () => {
    const { dir } = await epochs(5);
    const dry = await ok(dir, 'cleanup', '--dry-run');
    // HEAD~1 is kept as one of the newest 2 of its line, and says so.
    const ids = (JSON.parse(await ok(dir, 'log', '--json')) as Array<{ id: string }>).map((e) => e.id);
    expect(dry).toContain(`${ids[1]!.slice(0, 12)}  kept: newest 2 of its line (keepFullLatest)`);
    expect(dry).toContain(`${ids[0]!.slice(0, 12)}  kept: branch tip`);
    await ok(dir, 'cleanup');
    const pruned = (JSON.parse(await ok(dir, 'show', 'HEAD~2', '--json')) as { id: string; hasFull: boolean });
    expect(pruned.hasFull).toBe(false);
    const out = await ok(dir, 'pin', 'HEAD~2');
    expect(out).toMatch(new RegExp(`^Pinned ${pruned.id.slice(0, 12)}; a cleanup had removed its full parameters, so they were rebuilt and stored again \\(16\\.\\d KB, 1 file\\(s\\), sha256 checked\\)\\n$`));
    expect(JSON.parse(await ok(dir, 'show', 'HEAD~2', '--json'))).toMatchObject({ hasFull: true, pinned: true, chainLength: 0 });
    // Pinned already: it says so rather than "Pinned" again.
    expect(await ok(dir, 'pin', 'HEAD~2')).toMatch(/^Already pinned [0-9a-f]{12}; cleanup keeps its full parameters\n$/);
    expect(JSON.parse(await ok(dir, 'pin', 'HEAD~2', '--json'))).toEqual({ id: pruned.id, pinned: true, rebuiltFiles: 0, rebuiltBytes: 0, wasPinned: true });
    expect((await ok(dir, 'verify')).trim().split('\n').at(-1)).toBe('verified 5 commit(s): all ok');
    // The next cleanup keeps it.
    expect(await ok(dir, 'cleanup', '--dry-run')).toContain(`${pruned.id.slice(0, 12)}  kept: pinned`);
    expect(await ok(dir, 'unpin', 'HEAD~2')).toMatch(/^Unpinned [0-9a-f]{12}; the next cleanup may remove its full parameters\n$/);
  });
});

const built = existsSync(path.join(repo, 'out', 'main', 'cli.js'));
describe.skipIf(!built)('weightline serve --open (built)', () => {
  it('with no browser says so in one line, with the URL', async () => {
    const dir = scratch();
    await ok(dir, 'init');
    const env: NodeJS.ProcessEnv = { ...process.env, WEIGHTLINE_CONFIG_DIR: scratch() };
    delete env.DISPLAY;
    delete env.WAYLAND_DISPLAY;
    const child = spawn(process.execPath, [path.join(repo, 'bin', 'weightline.mjs'), 'serve', '--port', '0', '--open'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '', err = '';
      child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
      child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
      for (let i = 0; i < 200 && !err.includes('\n'); i++) await new Promise((r) => setTimeout(r, 50));
      const url = /at (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(out)?.[1];
      expect(url, out).toBeDefined();
      if (process.platform === 'linux') {
        expect(err).toBe(`weightline: note: --open could not open a browser (no graphical display: DISPLAY and WAYLAND_DISPLAY are unset); open ${url} yourself\n`);
      }
    } finally {
      child.kill('SIGTERM');
    }
  });
});
