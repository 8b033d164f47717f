// The weightline CLI. Training scripts call it, so its flags, exit codes and
// JSON fields are pinned (see README): add, never rename.
//   exit 0: success; 1: an error (one line "weightline: error: ..." on stderr); 2: bad usage.

import * as path from 'node:path';
import { Command, CommanderError } from 'commander';
import { isWeightlineError } from '../../src-shared/errors';
import { WEIGHTLINE_VERSION } from '../../src-shared/version';
import { commit } from '../core/ops/commit';
import { diff, log, show, status } from '../core/ops/inspect';
import { restore } from '../core/ops/restore';
import { Store } from '../core/store/store';
import { formatFiles, formatLog, humanBytes, relativeTime, shortId } from './format';
import { progressBar } from './progress';

export interface CliIO {
  readonly stdout: { write(s: string): unknown; isTTY?: boolean };
  readonly stderr: { write(s: string): unknown; isTTY?: boolean };
  readonly cwd: string;
}

const defaultIO = (): CliIO => ({ stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() });

class UsageError extends Error {}

export async function main(argv: readonly string[], io: CliIO = defaultIO()): Promise<number> {
  const out = (s: string): void => { io.stdout.write(s.endsWith('\n') ? s : `${s}\n`); };
  const json = (v: unknown): void => out(JSON.stringify(v, null, 2));
  let cwd = io.cwd;
  const here = (): string => cwd;
  const openStore = (): Promise<Store> => Store.find(here());
  const bar = (): ReturnType<typeof progressBar> => progressBar(io.stderr.isTTY ? (io.stderr as NodeJS.WriteStream) : undefined);

  const program = new Command('weightline')
    .description('Version history for machine-learning model parameters: bit-exact deltas, any version rebuilt on demand.')
    .version(WEIGHTLINE_VERSION)
    .option('-C <dir>', 'run as if started in DIR')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError()
    .hook('preAction', (cmd) => {
      const c = cmd.opts<{ C?: string }>().C;
      if (c) cwd = path.resolve(io.cwd, c);
    });

  program.command('init')
    .description('create a store (.weightline) in the current folder')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const store = await Store.init(here());
      if (o.json) json({ root: store.root });
      else out(`Initialised an empty Weightline store in ${store.dir}`);
    });

  program.command('commit')
    .description('commit a model file or folder as a new version')
    .argument('<path>', 'model file (.safetensors, .pt, .npz, ...) or folder (e.g. a Hugging Face model folder)')
    .option('-m, --message <msg>', 'commit message', '')
    .option('--checkpoint', 'store full parameters (a CHECKPOINT) instead of a delta')
    .option('--json', 'print JSON: {"id", "type", "parent"}')
    .action(async (target: string, o: { message: string; checkpoint?: boolean; json?: boolean }) => {
      const store = await openStore();
      const p = o.json ? progressBar(undefined) : bar();
      const res = await commit(store, path.resolve(here(), target), { message: o.message, checkpoint: !!o.checkpoint, onProgress: p.update });
      p.end();
      if (o.json) json({ id: res.id, type: res.type, parent: res.parent, logicalBytes: res.logicalBytes, deltaBytes: res.deltaBytes });
      else {
        const cost = res.type === 'DELTA' ? `delta ${humanBytes(res.deltaBytes)} (${((res.deltaBytes / Math.max(1, res.logicalBytes)) * 100).toFixed(1)}% of ${humanBytes(res.logicalBytes)})` : `full parameters ${humanBytes(res.logicalBytes)}`;
        out(`[${res.type} ${shortId(res.id)}] ${o.message || '(no message)'}\n  ${cost}`);
      }
    });

  program.command('log')
    .description('show the commit graph, newest first, with what each commit costs on disk')
    .option('--json', 'print JSON: an array of commits, newest first')
    .action(async (o: { json?: boolean }) => {
      const store = await openStore();
      const entries = await log(store);
      if (o.json) json(entries);
      else out(entries.length ? formatLog(entries, await store.readHead()) : 'No commits yet.');
    });

  program.command('show')
    .description('show one commit: its files, tensors and change figures')
    .argument('<commit>', 'commit id (4+ hex characters), HEAD or HEAD~N')
    .option('--all', 'list unchanged tensors too')
    .option('--json', 'print JSON')
    .action(async (ref: string, o: { json?: boolean; all?: boolean }) => {
      const store = await openStore();
      const s = await show(store, ref);
      if (o.json) { json(s); return; }
      out([
        `commit ${s.id}${(await store.readHead()) === s.id ? '  (HEAD)' : ''}`,
        `type     ${s.type}${s.pinned ? ' (pinned)' : ''}`,
        `parent   ${s.parent ?? '(none)'}`,
        `date     ${s.createdAt} (${relativeTime(s.createdAt)})`,
        `path     ${s.path}`,
        `size     ${humanBytes(s.logicalBytes)}; on disk: ${s.hasFull ? `full ${humanBytes(s.fullBytes)}` : 'rebuilt on demand'}${s.type === 'DELTA' ? `, delta ${humanBytes(s.deltaBytes)}` : ''}; a restore replays ${s.chainLength} delta(s)`,
        '',
        `    ${s.message}`,
        '',
        formatFiles(s.files, !o.all),
      ].join('\n'));
    });

  program.command('diff')
    .description('per-tensor change figures between two commits')
    .argument('<from>').argument('<to>')
    .option('--all', 'list unchanged tensors too')
    .option('--json', 'print JSON')
    .action(async (a: string, b: string, o: { json?: boolean; all?: boolean }) => {
      const store = await openStore();
      const d = await diff(store, a, b);
      if (o.json) json(d);
      else out(`diff ${shortId(d.from)} → ${shortId(d.to)}\n${formatFiles(d.files, !o.all)}`);
    });

  program.command('restore')
    .description('put a version back at its own path, or anywhere with --to')
    .argument('<commit>', 'commit id (4+ hex characters), HEAD or HEAD~N')
    .option('--to <path>', 'write the version here instead of its own path')
    .option('--force', 'overwrite uncommitted work at the target')
    .option('--json', 'print JSON')
    .action(async (ref: string, o: { to?: string; force?: boolean; json?: boolean }) => {
      const store = await openStore();
      const p = o.json ? progressBar(undefined) : bar();
      const res = await restore(store, ref, { ...(o.to ? { to: path.resolve(here(), o.to) } : {}), force: !!o.force, onProgress: p.update });
      p.end();
      if (o.json) json(res);
      else out(`Restored ${shortId(res.id)} to ${path.relative(here(), res.target) || '.'} (${res.files} file(s), ${humanBytes(res.bytes)})`);
    });

  program.command('status')
    .description('HEAD, store size, and whether the working copy has uncommitted changes')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const store = await openStore();
      const s = await status(store);
      if (o.json) { json(s); return; }
      const saving = s.logicalBytes > 0 ? ` (${(100 - (s.storeBytes / s.logicalBytes) * 100).toFixed(1)}% saved)` : '';
      out([
        `store    ${store.root}`,
        `HEAD     ${s.head ? shortId(s.head) : '(no commits yet)'}${s.path ? `  ${s.path}` : ''}`,
        `working  ${s.head ? (s.dirty ? 'changed since HEAD (uncommitted)' : 'matches HEAD') : '-'}`,
        `storage  ${humanBytes(s.storeBytes)} on disk for ${humanBytes(s.logicalBytes)} of versions${saving}`,
      ].join('\n'));
    });

  if (argv.length === 0) {
    program.outputHelp();
    return 0;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : 2;
    if (e instanceof UsageError) { io.stderr.write(`weightline: error: ${e.message}\n`); return 2; }
    if (isWeightlineError(e)) {
      io.stderr.write(`weightline: error: ${oneLine(e.message)}\n`);
      return e.code === 'BAD_USAGE' ? 2 : 1;
    }
    // Not an expected failure: a bug. Say so, with the stack for the report.
    io.stderr.write(`weightline: error: internal error (a bug, please report it): ${oneLine(e instanceof Error ? e.message : String(e))}\n`);
    if (process.env.WEIGHTLINE_DEBUG) io.stderr.write(`${(e as Error).stack ?? ''}\n`);
    return 1;
  }
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ');
}

