// The CLI as git users type it: --json anywhere on the line, help of an
// unknown command, git's words (checkout, gc, add) answered with ours, log -n
// and --oneline, pin --list, exit 1 for a refused operation and 2 only for
// bad usage, demo's suggestions that run from any folder, and messages that
// never read ".;". Each through main() on a real store.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src-main/cli/main';
import { invocationOf, shellWord } from '../../src-main/cli/invocation';
import { gaussianF32, nudgeF32, rng, useScratch, writeSafetensors } from '../helpers/models';

const scratch = useScratch();

interface Ran { code: number; stdout: string; stderr: string }

async function run(cwd: string, argv: readonly string[], self?: string): Promise<Ran> {
  let stdout = '', stderr = '';
  const code = await main(argv, { cwd, stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, ...(self ? { self } : {}) });
  return { code, stdout, stderr };
}

async function ok(cwd: string, ...argv: string[]): Promise<string> {
  const r = await run(cwd, argv);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

/** A store with epochs 0..n-1 of one 64x64 model, each a nudge of the one before. */
async function epochs(n: number): Promise<string> {
  const dir = scratch();
  const file = path.join(dir, 'model.safetensors');
  await ok(dir, 'init');
  let w = gaussianF32(4096, rng(1));
  for (let i = 0; i < n; i++) {
    if (i > 0) w = nudgeF32(w, rng(100 + i));
    await writeSafetensors(file, [{ name: 'w', dtype: 'F32', shape: [64, 64], data: w }]);
    await ok(dir, 'commit', 'model.safetensors', '-m', `epoch ${i}`);
  }
  return dir;
}

const jsonError = (r: Ran): { code: string; message: string } => (JSON.parse(r.stderr) as { error: { code: string; message: string } }).error;

describe('--json anywhere on the line', () => {
  it('before the command answers as after it', async () => {
    const dir = await epochs(2);
    const after = await ok(dir, 'log', '--json');
    expect(JSON.parse(after)).toHaveLength(2);
    expect(await ok(dir, '--json', 'log')).toBe(after);
    // After -C DIR too, and for a command with arguments.
    expect(await ok(scratch(), '-C', dir, '--json', 'log')).toBe(after);
    expect(JSON.parse(await ok(dir, '--json', 'show', 'HEAD~1'))).toMatchObject({ message: 'epoch 0' });
    // A group's default subcommand (remote list) takes it, and a named one.
    expect(JSON.parse(await ok(dir, '--json', 'remote'))).toEqual([]);
    expect(JSON.parse(await ok(dir, '--json', 'remote', 'add', 'origin', 's3://bucket/p'))).toEqual({ name: 'origin', url: 's3://bucket/p', endpoint: null, region: null });
  });

  it('a command without JSON output says so, in JSON, with exit 2', async () => {
    const r = await run(scratch(), ['--json', 'serve']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(jsonError(r)).toEqual({ code: 'BAD_USAGE', message: '`weightline serve` has no JSON output; run it without --json' });
    // After the command too: the same words, not commander's "unknown option".
    const after = await run(scratch(), ['serve', '--port', '0', '--json']);
    expect(after.code).toBe(2);
    expect(jsonError(after).message).toBe('`weightline serve` has no JSON output; run it without --json');
    const help = await run(scratch(), ['help', 'log', '--json']);
    expect(help.code).toBe(2);
    expect(jsonError(help).message).toBe('`weightline help` prints text only, no JSON; run it without --json');
  });

  it('a failure after a leading --json is one JSON object on stderr', async () => {
    const r = await run(scratch(), ['--json', 'log']);
    expect(r.code).toBe(1);
    expect(jsonError(r).code).toBe('NOT_A_STORE');
  });

  it('options but no command: an error naming the fix, not "(outputHelp)"', async () => {
    const r = await run(scratch(), ['--json']);
    expect(r.code).toBe(2);
    expect(r.stderr).not.toContain('outputHelp');
    expect(r.stderr.trimEnd().split('\n').at(-1)).toBe('{"error":{"code":"BAD_USAGE","message":"expected a command; \\"weightline --help\\" lists them"}}');
  });
});

describe('help', () => {
  it('help of an unknown command is the unknown-command error, exit 2 ("nope" is now near "ops", so a name near none)', async () => {
    const r = await run(scratch(), ['help', 'xyzzy']);
    expect(r).toEqual({ code: 2, stdout: '', stderr: 'weightline: error: unknown command \'xyzzy\'; "weightline --help" lists the commands\n' });
    // A typo keeps commander's suggestion.
    expect((await run(scratch(), ['help', 'comit'])).stderr).toBe('weightline: error: unknown command \'comit\' (did you mean commit?); "weightline --help" lists the commands\n');
  });

  it('help of a command prints its help on stdout, exit 0', async () => {
    const r = await run(scratch(), ['help', 'log']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: weightline log \[options\]\n/);
    expect(r.stdout).toContain('--oneline');
    expect(r.stderr).toBe('');
    // A subcommand's, however deep; an unknown one is named with where to look.
    expect((await ok(scratch(), 'help', 'remote', 'add'))).toMatch(/^Usage: weightline remote add \[options\] <name> <url>\n/);
    expect(await run(scratch(), ['help', 'remote', 'nope'])).toEqual({ code: 2, stdout: '', stderr: 'weightline: error: unknown command \'remote nope\'; "weightline remote --help" lists its commands\n' });
  });
});

describe("git's words", () => {
  it.each([
    ['checkout', ['checkout', 'HEAD~1'], 'weightline has no checkout; `weightline restore REF` puts a version back at its path (`--to DIR` writes it elsewhere)'],
    ['gc', ['gc'], 'weightline has no gc; `weightline cleanup --dry-run` shows what a cleanup frees, `weightline cleanup` frees it'],
    ['add', ['add', 'model.safetensors'], 'weightline has no add (nothing is staged); `weightline commit PATH -m MSG` commits a model file or folder'],
    ['reset', ['reset', 'HEAD~1'], 'weightline has no reset; `weightline restore REF` puts a version back at its path and moves HEAD there (no commit is ever deleted)'],
    ['prune', ['prune'], 'weightline has no prune; `weightline cleanup --dry-run` shows what a cleanup frees, `weightline cleanup` frees it'],
  ])('%s names the command to use, exit 2', async (_word, argv, hint) => {
    const r = await run(scratch(), argv);
    expect(r).toEqual({ code: 2, stdout: '', stderr: `weightline: error: ${hint}\n` });
    const j = await run(scratch(), ['--json', ...argv]);
    expect(j.code).toBe(2);
    expect(jsonError(j)).toEqual({ code: 'BAD_USAGE', message: hint });
  });

  it('a typo still gets "did you mean"', async () => {
    expect((await run(scratch(), ['comit'])).stderr).toBe('weightline: error: unknown command \'comit\' (did you mean commit?); "weightline --help" lists the commands\n');
  });
});

describe('log -n and --oneline', () => {
  it('-n N keeps the newest N, in text and in --json', async () => {
    const dir = await epochs(4);
    const all = JSON.parse(await ok(dir, 'log', '--json')) as Array<{ id: string; message: string }>;
    expect(all).toHaveLength(4);
    const two = JSON.parse(await ok(dir, 'log', '-n', '2', '--json')) as Array<{ id: string }>;
    expect(two.map((e) => e.id)).toEqual(all.slice(0, 2).map((e) => e.id));
    expect(JSON.parse(await ok(dir, '--json', 'log', '--max-count', '3'))).toHaveLength(3);
    const text = await ok(dir, 'log', '-n', '1');
    expect(text.split('\n').filter((l) => /^\* [0-9a-f]{12} /.test(l))).toEqual([`* ${all[0]!.id.slice(0, 12)} DELTA      epoch 3  (HEAD)`]);
    for (const bad of ['0', 'x', '-1', '2.5']) {
      const r = await run(dir, ['log', '-n', bad]);
      expect(r.code, bad).toBe(2);
      expect(r.stderr).toBe(`weightline: error: -n (--max-count) takes a whole number of commits, 1 or more; found "${bad}"\n`);
    }
  });

  it('--oneline: short id, type, first line of the message, tags', async () => {
    const dir = await epochs(3);
    await ok(dir, 'pin', 'HEAD~2');
    const ids = (JSON.parse(await ok(dir, 'log', '--json')) as Array<{ id: string }>).map((e) => e.id.slice(0, 12));
    expect(await ok(dir, 'log', '--oneline')).toBe([
      `${ids[0]} DELTA      epoch 2  (HEAD)`,
      `${ids[1]} DELTA      epoch 1`,
      `${ids[2]} CHECKPOINT epoch 0  (pinned)`,
    ].join('\n') + '\n');
    expect(await ok(dir, 'log', '--oneline', '-n', '1')).toBe(`${ids[0]} DELTA      epoch 2  (HEAD)\n`);
    // --json answers the array whatever the text format.
    expect(JSON.parse(await ok(dir, 'log', '--oneline', '--json', '-n', '2'))).toHaveLength(2);
  });
});

describe('pin --list', () => {
  it('lists the pinned commits, in text and JSON', async () => {
    const dir = await epochs(3);
    expect(await ok(dir, 'pin', '--list')).toBe('No pinned commits (`weightline pin REF` pins one).\n');
    expect(JSON.parse(await ok(dir, 'pin', '--list', '--json'))).toEqual([]);
    await ok(dir, 'pin', 'HEAD~1');
    const ids = (JSON.parse(await ok(dir, 'log', '--json')) as Array<{ id: string }>).map((e) => e.id);
    expect(await ok(dir, 'pin', '--list')).toBe(`${ids[1]!.slice(0, 12)} DELTA      epoch 1  (pinned)\n`);
    const listed = JSON.parse(await ok(dir, '--json', 'pin', '--list')) as Array<{ id: string; pinned: boolean }>;
    expect(listed.map((e) => [e.id, e.pinned])).toEqual([[ids[1], true]]);
  });

  it('pin with neither a commit nor --list, or with both, is bad usage', async () => {
    const dir = await epochs(1);
    expect(await run(dir, ['pin'])).toEqual({ code: 2, stdout: '', stderr: 'weightline: error: pin expects a commit (`weightline pin REF`), or --list to list the pinned commits\n' });
    const both = await run(dir, ['pin', '--list', 'HEAD']);
    expect(both.code).toBe(2);
    expect(both.stderr).toBe('weightline: error: pin --list takes no commit, found "HEAD"; `weightline pin HEAD` pins it\n');
  });
});

describe('exit codes: 1 for a refused operation, 2 only for bad usage', () => {
  it('refusals by what the operation found exit 1 with a code that says so', async () => {
    const dir = await epochs(1);
    const sub = path.join(dir, 'runs');
    await fs.mkdir(sub);
    const nested = await run(sub, ['init', '--json']);
    expect(nested.code).toBe(1);
    expect(jsonError(nested).code).toBe('REFUSED');
    const notEmpty = scratch();
    await fs.writeFile(path.join(notEmpty, 'notes.txt'), 'mine\n');
    const demo = await run(notEmpty, ['demo', '.', '--json']);
    expect(demo.code).toBe(1);
    expect(jsonError(demo)).toMatchObject({ code: 'REFUSED', message: expect.stringContaining('expected a missing or empty folder') });
    await ok(dir, 'remote', 'add', 'origin', 's3://bucket/p');
    const taken = await run(dir, ['remote', 'add', 'origin', 's3://bucket/q', '--json']);
    expect(taken.code).toBe(1);
    expect(jsonError(taken).code).toBe('REFUSED');
    const file = path.join(dir, 'model.safetensors');
    const notFolder = await run(dir, ['-C', file, 'log']);
    expect(notFolder.code).toBe(1);
    expect(notFolder.stderr).toBe(`weightline: error: ${file}: expected a folder (given with -C), found a file\n`);
  });

  it('a push with no remote is NOT_FOUND, with several and no origin AMBIGUOUS: both exit 1', async () => {
    const dir = await epochs(1);
    const none = await run(dir, ['push', '--json']);
    expect(none.code).toBe(1);
    expect(jsonError(none)).toEqual({ code: 'NOT_FOUND', message: 'this store has no remote; add one with `weightline remote add origin s3://bucket/prefix`' });
    await ok(dir, 'remote', 'add', 'a', 's3://bucket/a');
    await ok(dir, 'remote', 'add', 'b', 's3://bucket/b');
    const two = await run(dir, ['fetch', '--json']);
    expect(two.code).toBe(1);
    expect(jsonError(two)).toEqual({ code: 'AMBIGUOUS', message: 'this store has several remotes (a, b) and none is called origin: name one' });
  });

  it('what the line alone shows wrong exits 2', async () => {
    const dir = await epochs(1);
    for (const argv of [['show', 'zz'], ['log', 'extra'], ['restore', 'HEAD', '--link', 'nope'], ['remote', 'add', '-bad', 's3://b'], ['config', 'keepFullLatest', '0']]) {
      const r = await run(dir, argv);
      expect(r.code, argv.join(' ')).toBe(2);
    }
  });
});

describe('messages', () => {
  it("commander's errors never read \".;\"", async () => {
    const dir = await epochs(1);
    expect((await run(dir, ['restore', 'HEAD', '--link', 'nope'])).stderr).toBe('weightline: error: option \'--link <mode>\' argument \'nope\' is invalid. Allowed choices are auto, reflink, hardlink, symlink, copy; see "weightline restore --help"\n');
    expect((await run(dir, ['log', 'extra'])).stderr).toBe('weightline: error: too many arguments for \'log\'. Expected 0 arguments but got 1; see "weightline log --help"\n');
  });

  it('cleanup says which CHECKPOINTs it packs and why', async () => {
    const dir = scratch();
    const made = JSON.parse(await ok(dir, 'demo', 'sample', '--json')) as { root: string };
    const preview = await ok(made.root, 'cleanup', '--dry-run');
    expect(preview).toMatch(/^Would pack 1 CHECKPOINT \(not among the newest 2 of its line\): \d+\.\d MB raw → \d+\.\d MB packed \(−\d+\.\d MB\)$/m);
    expect(preview).not.toContain('out of the newest');
    const done = await ok(made.root, 'cleanup');
    expect(done).toMatch(/^Packed 1 CHECKPOINT \(not among the newest 2 of its line\): /m);
  }, 60_000);
});

describe('demo suggests commands that run from any folder', () => {
  it('names the CLI as it was started and the store by its absolute path', async () => {
    const dir = path.join(scratch(), 'my demo');
    const r = await run(path.dirname(dir), ['demo', 'my demo'], `node ${shellWord('/opt/weightline/bin/weightline.mjs')}`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[1]).toBe(`Try: node /opt/weightline/bin/weightline.mjs -C '${dir}' log    or    node /opt/weightline/bin/weightline.mjs -C '${dir}' serve --open`);
  }, 60_000);

  it('weightline only when that name on PATH is this script', async () => {
    const repo = scratch();
    const script = path.join(repo, 'bin', 'weightline.mjs');
    await fs.mkdir(path.dirname(script));
    await fs.writeFile(script, '');
    const linked = scratch();
    await fs.symlink(script, path.join(linked, 'weightline'));
    const other = scratch();
    await fs.writeFile(path.join(other, 'weightline'), '');
    // npm link: the shell runs the link, whose target is this script.
    expect(invocationOf(path.join(linked, 'weightline'), [scratch(), linked].join(path.delimiter))).toBe('weightline');
    expect(invocationOf(script, linked)).toBe('weightline');
    // Not on PATH, or another weightline comes first: the absolute script path.
    expect(invocationOf(script, '')).toBe(`node ${script}`);
    expect(invocationOf(script, [other, linked].join(path.delimiter))).toBe(`node ${script}`);
    expect(invocationOf(path.relative(process.cwd(), script), undefined)).toBe(`node ${script}`);
    expect(shellWord("/a b/it's")).toBe(`'/a b/it'\\''s'`);
  });
});
