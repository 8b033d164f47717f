// `weightline demo DIR`: the sample history the app offers on first run, for
// trying the CLI (or `weightline -C DIR serve`) without a model of your own.
import * as path from 'node:path';
import type { Command } from 'commander';
import type { CommandContext } from './command-context';
import { shortId } from './format';
import { verbs } from '../core/verbs';
import { shellWord } from './invocation';

export function registerDemo(program: Command, ctx: CommandContext): void {
  program.command('demo')
    .description('create a store holding a generated training run (9 commits, CHECKPOINTs and DELTAs, one branch) to try Weightline on')
    .argument('<dir>', 'a new or empty folder')
    .option('--json', 'print JSON: {"root","commits":[ids, oldest first],"modelPath"}')
    .action(async (dir: string, o: { json?: boolean }) => {
      const res = await verbs.sample({ cwd: ctx.here() }, { dir });
      if (o.json) { ctx.json(res); return; }
      ctx.out([
        `Created a sample history in ${res.root}: ${res.commits.length} commits of ${path.relative(res.root, res.modelPath)} (newest ${shortId(res.commits[res.commits.length - 1]!)}).`,
        // Words that run from any folder: the CLI as it was started, and the store by its absolute path.
        `Try: ${ctx.self ?? 'weightline'} -C ${shellWord(res.root)} log    or    ${ctx.self ?? 'weightline'} -C ${shellWord(res.root)} serve --open`,
      ].join('\n'));
    });
}
