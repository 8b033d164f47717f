// The command line as people type it, before commander reads it:
// - `--json` before the command (`weightline --json log`) belongs to the
//   command: commander reads an option only at the level that declares it, so
//   it is moved after the command's name;
// - `help NAME` of a command that does not exist is read as `NAME`, so the
//   answer is the unknown-command error (with its "did you mean") instead of
//   the whole help on stderr;
// - a word git users reach for that weightline spells otherwise gets a hint
//   naming the command to use.
import type { Command, Option } from 'commander';

/** Git's words for what weightline does under another name (or not at all), and what to run instead. */
const GIT_WORDS: Readonly<Record<string, string>> = {
  checkout: 'weightline has no checkout; `weightline restore REF` puts a version back at its path (`--to DIR` writes it elsewhere)',
  switch: 'weightline has no switch; `weightline restore REF` puts a version back at its path and moves HEAD there',
  reset: 'weightline has no reset; `weightline restore REF` puts a version back at its path and moves HEAD there (no commit is ever deleted)',
  add: 'weightline has no add (nothing is staged); `weightline commit PATH -m MSG` commits a model file or folder',
  stage: 'weightline has no staging; `weightline commit PATH -m MSG` commits a model file or folder',
  gc: 'weightline has no gc; `weightline cleanup --dry-run` shows what a cleanup frees, `weightline cleanup` frees it',
  prune: 'weightline has no prune; `weightline cleanup --dry-run` shows what a cleanup frees, `weightline cleanup` frees it',
  branch: 'weightline has no branch command; restoring an older commit and committing on top of it makes a branch (`weightline log` draws them)',
  pull: 'weightline has no pull; `weightline fetch` brings the remote\'s history, then `weightline restore REF` a version',
  fsck: 'weightline has no fsck; `weightline verify` rebuilds every commit and checks every sha256',
};

export type PreparedArgv =
  | { readonly argv: readonly string[] }
  /** The line cannot run, for this reason (bad usage: exit 2). */
  | { readonly refused: string };

function optionOf(cmd: Command, token: string): Option | undefined {
  const name = token.startsWith('--') ? token.split('=', 1)[0]! : token.slice(0, 2);
  return cmd.options.find((o) => o.long === name || o.short === name);
}

function subcommand(cmd: Command, name: string): Command | undefined {
  return cmd.commands.find((c) => c.name() === name || c.aliases().includes(name));
}

/** The line commander is given, or why it cannot run. */
export function prepareArgv(program: Command, argv: readonly string[]): PreparedArgv {
  const rest = [...argv];
  // --json after the command, before any `--` (after it, words are the command's own).
  const jsonAfter = (from: number): boolean => { const end = rest.indexOf('--', from); return rest.slice(from, end === -1 ? undefined : end).includes('--json'); };
  let cmd = program;
  let json = false;
  let i = 0;
  while (i < rest.length) {
    const token = rest[i]!;
    if (token === '--') break;
    if (token === '--json') { rest.splice(i, 1); json = true; continue; }
    if (token.startsWith('-')) {
      // An option of a command above the leaf (-C DIR): skip its value too.
      const o = optionOf(cmd, token);
      const joined = token.startsWith('--') ? token.includes('=') : token.length > 2;
      i += o && (o.required || o.optional) && !joined ? 2 : 1;
      continue;
    }
    if (cmd === program && token === 'help') {
      if (json || jsonAfter(i + 1)) return { refused: '`weightline help` prints text only, no JSON; run it without --json' };
      const words = rest.slice(i + 1).filter((w) => !w.startsWith('-'));
      if (words.length === 0) return { argv: rest };
      // `help NAME` for a command that does not exist: answered as `NAME` would be (with "did you mean").
      if (!subcommand(program, words[0]!)) return prepareArgv(program, [words[0]!]);
      // `help remote add`: the help of the command the words name, however deep.
      let at = program;
      for (const [k, w] of words.entries()) {
        const next = subcommand(at, w);
        if (!next) return { refused: `unknown command '${words.slice(0, k + 1).join(' ')}'; "weightline ${words.slice(0, k).join(' ')} --help" lists its commands` };
        at = next;
      }
      return { argv: [...rest.slice(0, i), ...words, '--help'] };
    }
    const sub = subcommand(cmd, token);
    if (!sub) {
      if (cmd === program && Object.hasOwn(GIT_WORDS, token)) return { refused: GIT_WORDS[token]! };
      break;
    }
    cmd = sub;
    i++;
    // A group (remote) reads its own subcommand next; its default one (remote list) takes the line otherwise.
    if (sub.commands.length > 0) continue;
    const hasJson = sub.options.some((o) => o.long === '--json');
    if (!hasJson && (json || jsonAfter(i))) return { refused: `\`weightline ${sub.name()}\` has no JSON output; run it without --json` };
    if (json) rest.splice(i, 0, '--json');
    return { argv: rest };
  }
  // The line ends in a group: remote, whose default subcommand (list) takes the --json.
  if (json && cmd !== program && i === rest.length) rest.push('--json');
  return { argv: rest };
}
