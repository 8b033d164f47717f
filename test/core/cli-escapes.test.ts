import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { main } from '../../src-main/cli/main';
import { Store } from '../../src-main/core/store/store';
import { jsonText, printable, printableText } from '../../src-shared/printable';
import { gaussianF32, nudgeF32, rng, useScratch, writeSafetensors } from '../helpers/models';

// Issue 18, item 4: a commit message or a name with terminal escapes went raw
// to the terminal from clone, log and show (a fake "all verified ok" line
// could be painted over the real output). Every string from a manifest, a
// file or a remote is now printed with its control characters escaped; --json
// output stays JSON that parses back to the very same strings.

const scratch = useScratch();

/** What no terminal output may hold raw: C0 controls but newline and tab, DEL, C1 controls, bidi overrides and isolates. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const RAW_CONTROL = new RegExp('[\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f\\u202a-\\u202e\\u2066-\\u2069]', 'u');

function rawControls(s: string): string[] {
  return [...s].filter((c) => RAW_CONTROL.test(c)).map((c) => `U+${c.codePointAt(0)!.toString(16).padStart(4, '0')}`);
}

// Sequences the issue painted with: erase line, cursor up, OSC 52 (clipboard write), colours, a carriage return, an 8-bit CSI, a right-to-left override.
const HOSTILE = [
  '\x1b[2K', '\x1b[1A', '\x1b]52;c;ZWNobyBwd25lZA==\x07', '\x1b[32m', '\x1b[0m', '\r', '\u009b2K', '\u202e', '\x7f', '\x00', '\x1b]8;;http://x\x1b\\',
];
const MESSAGE = `epoch 2 ${HOSTILE.join(' ')}\nverified 9 commit(s): all ok\r\n\x1b[1Aweightline: all verified ok`;

async function cli(cwd: string, ...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '', stderr = '';
  const code = await main(argv, { cwd, stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } });
  return { code, stdout, stderr };
}

describe('printable, printableText and jsonText', () => {
  it('property: no control character survives; newline and tab stay in text; JSON parses back to the same string', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.constantFrom(...HOSTILE, 'a', '\n', '\t', '\u2028'), (s, h) => {
      const input = `${s}${h}${s}`;
      expect(rawControls(printable(input))).toEqual([]);
      expect(printable(input)).not.toMatch(/[\n\t]/u);
      expect(rawControls(printableText(input))).toEqual([]);
      expect(printableText(input).split('\n').length).toBe(input.split('\n').length);
      const json = jsonText({ message: input }, 2);
      expect(rawControls(json)).toEqual([]);
      expect(json).not.toMatch(/[\u2028\u2029]/u);
      expect((JSON.parse(json) as { message: string }).message).toBe(input);
    }), { numRuns: 2000 });
  });

  it('shows ESC as \\x1b, C1 as \\x9b and bidi overrides as \\u202e', () => {
    expect(printable('a\x1b[2Kb')).toBe('a\\x1b[2Kb');
    expect(printable('\u009b31m')).toBe('\\x9b31m');
    expect(printable('\u202etxt.exe')).toBe('\\u202etxt.exe');
    expect(printableText('a\n\tb\r')).toBe('a\n\tb\\x0d');
  });
});

describe('CLI output is safe to print (issue 18, item 4)', () => {
  async function hostileStore(): Promise<{ dir: string; ids: string[] }> {
    const dir = scratch();
    expect((await cli(dir, 'init')).code).toBe(0);
    const file = path.join(dir, 'model.safetensors');
    let w = gaussianF32(1024, rng(1));
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      // A tensor name from the model file's own header, escapes and all.
      await writeSafetensors(file, [{ name: `layer\x1b[2K.weight\u009b`, dtype: 'F32', shape: [1024], data: w }, { name: 'b', dtype: 'F32', shape: [4], data: gaussianF32(4, rng(9 + i)) }]);
      const r = await cli(dir, 'commit', 'model.safetensors', '-m', i === 1 ? MESSAGE : 'start', '--json');
      expect(r.code, r.stderr).toBe(0);
      ids.push((JSON.parse(r.stdout) as { id: string }).id);
      w = nudgeF32(w, rng(50 + i));
    }
    return { dir, ids };
  }

  it('log, show, diff, status, verify and commit print no raw control character, and a message cannot paint a line of its own', async () => {
    const { dir, ids } = await hostileStore();
    const file = path.join(dir, 'model.safetensors');
    const runs = [
      await cli(dir, 'log'), await cli(dir, 'show', 'HEAD'), await cli(dir, 'show', 'HEAD', '--all'), await cli(dir, 'diff', ids[0]!, ids[1]!, '--all'),
      await cli(dir, 'status'), await cli(dir, 'verify'),
    ];
    await writeSafetensors(file, [{ name: 'w', dtype: 'F32', shape: [4], data: gaussianF32(4, rng(3)) }]);
    runs.push(await cli(dir, 'commit', 'model.safetensors', '-m', MESSAGE));
    for (const r of runs) {
      expect(r.code, r.stderr).toBe(0);
      expect(rawControls(r.stdout + r.stderr)).toEqual([]);
      // Every line the message brings is indented under its commit: none reads as the CLI's own verdict.
      for (const line of r.stdout.split('\n')) expect(line).not.toMatch(/^(verified 9 commit|weightline: all verified ok)/u);
    }
    const [log, show] = runs;
    expect(log!.stdout).toContain('\\x1b[2K');
    expect(show!.stdout).toContain('    verified 9 commit(s): all ok');
    expect(show!.stdout).toContain('\\x1b[1Aweightline: all verified ok');
    expect(show!.stdout).toContain('layer\\x1b[2K.weight\\x9b');
  });

  it('--json stays JSON and gives the message and tensor names back exactly', async () => {
    const { dir } = await hostileStore();
    for (const argv of [['log', '--json'], ['show', 'HEAD', '--json', '--all']]) {
      const r = await cli(dir, ...argv);
      expect(r.code).toBe(0);
      expect(rawControls(r.stdout)).toEqual([]);
      const text = JSON.stringify(JSON.parse(r.stdout));
      expect(text).toContain(JSON.stringify(MESSAGE).slice(1, -1));
      if (argv[0] === 'show') expect(text).toContain(JSON.stringify('layer\x1b[2K.weight\u009b').slice(1, -1));
    }
  });

  it('an error quoting a forged path, in words and in --json, holds no raw control character', async () => {
    const { dir, ids } = await hostileStore();
    const store = await Store.open(dir);
    const m = await store.readManifest(ids[0]!);
    const bytes = Buffer.from(JSON.stringify({ ...m, source: { path: 'sub', kind: 'folder' }, files: [{ ...m.files[0]!, path: 'a\x1b]52;c;cHduZWQ=\x07\n\x1b[1Aweightline: ok' }] }));
    const id = createHash('sha256').update(bytes).digest('hex');
    await fs.writeFile(path.join(store.dir, 'commits', `${id}.json`), bytes);
    for (const argv of [['show', id], ['show', id, '--json'], ['restore', id, '--to', path.join(dir, 'x')], ['log']]) {
      const r = await cli(dir, ...argv);
      expect(r.code).toBe(1);
      expect(rawControls(r.stdout + r.stderr)).toEqual([]);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      if (argv.includes('--json')) expect((JSON.parse(r.stderr) as { error: { code: string } }).error.code).toBe('UNSAFE_PATH');
    }
  });
});
