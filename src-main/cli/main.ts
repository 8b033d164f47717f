// The weightline CLI. Training scripts call it, so its flags, exit codes and
// JSON fields are pinned (see README): add, never rename.
//   exit 0: success; 1: a failed or refused operation (one line "weightline:
//   error: ..." on stderr); 2: bad usage, what the command line alone shows wrong.
//   With --json anywhere on the line (argv.ts moves it to the command), that error is one JSON object on stderr
//   instead, {"error":{"code","message"}}, with the same exit code.

import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { isWeightlineError, WeightlineError, type ErrorCode } from '../../src-shared/errors';
import { jsonText, printable, printableText } from '../../src-shared/printable';
import { WEIGHTLINE_VERSION } from '../../src-shared/version';
import { DEFAULT_SETTINGS, type SettingKey } from '../../src-shared/policy/setting-defaults';
import type { LinkMode } from '../../src-shared/model';
// Every verb loads the engine under it on use: a training script pays for
// zstd, the zip reader and the format parsers only when it runs a command that
// needs them, which keeps start-up (`--version`, `log`) fast.
import { verbs, type VerbContext } from '../core/verbs';
import { registerDemo } from './demo-command';
import { installInterrupt, INTERRUPTED, type Interrupt } from './interrupt';
import {
  clause, formatCleanup, formatCommit, formatForget, formatDiff, formatInit, formatLog, formatOneline, formatPin, formatRestore, formatShow, formatStatus, formatTag, formatTags, formatVerify, formatVerifyRemote, formatRepair,
} from './format';
import { progressBar } from './progress';
import { registerServe } from './serve-command';
import { registerRemote } from './remote-command';
import { registerOps } from './ops-command';
import { registerRun, RunUsageError } from './run-command';
import { prepareArgv } from './argv';
import { invocationOf } from './invocation';
import { UsageError } from './usage-error';

// What checks flag values (settings, metrics, retention policies) loads zod:
// loaded by the commands that take such flags, not at every start-up.
const optionValues = (): Promise<typeof import('./option-values')> => import('./option-values');

export interface CliIO {
  readonly stdout: { write(s: string): unknown; isTTY?: boolean };
  readonly stderr: { write(s: string): unknown; isTTY?: boolean };
  readonly cwd: string;
  /** Stop on SIGINT/SIGTERM as the shell's weightline does (interrupt.ts); off for main() called in-process. */
  readonly handleSignals?: boolean;
  /** The shell words that run this CLI, for the commands it suggests (invocation.ts); default `weightline`. */
  readonly self?: string;
}

const defaultIO = (): CliIO => ({ stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), handleSignals: true, self: invocationOf(process.argv[1], process.env.PATH) });

/**
 * A writer whose every write has its control characters escaped: names,
 * paths, messages and errors come from manifests and remotes, and none may
 * drive the terminal (a forged commit message could otherwise rewrite the screen). Newlines and tabs are the CLI's own layout.
 */
function escaping(w: CliIO['stdout']): CliIO['stdout'] {
  return { write: (s: string) => w.write(printableText(String(s))), ...(w.isTTY !== undefined ? { isTTY: w.isTTY } : {}) };
}

export async function main(argv: readonly string[], given: CliIO = defaultIO()): Promise<number> {
  // Every word the CLI prints goes through these; only the progress bar, whose bytes are all ours, writes to the raw stream.
  const io: CliIO = { ...given, stdout: escaping(given.stdout), stderr: escaping(given.stderr) };
  const out = (s: string): void => { io.stdout.write(s.endsWith('\n') ? s : `${s}\n`); };
  const err = (s: string): void => { io.stderr.write(s.endsWith('\n') ? s : `${s}\n`); };
  // Decided from the raw arguments: an error in parsing them must already come out as JSON.
  const jsonErrors = argv.includes('--json');
  // The file rides along in the JSON as a field of its own (the Python client's WeightlineError.file), never parsed out of the message.
  const fail = (code: ErrorCode, message: string, file?: string): void => {
    if (jsonErrors) err(jsonText({ error: { code, message, ...(file ? { file } : {}) } }));
    else err(`weightline: error: ${message}`);
  };
  const json = (v: unknown): void => out(jsonText(v, 2));
  let cwd = io.cwd;
  const here = (): string => cwd;
  let exitCode = 0;
  // Installed when a command starts (serve handles its own signals), and
  // passed to every operation that can stop part-way.
  let interrupt = null as Interrupt | null;
  let running = '';
  const signal = (): { signal?: AbortSignal } => (interrupt ? { signal: interrupt.signal } : {});
  const bar = (): ReturnType<typeof progressBar> => progressBar(given.stderr.isTTY ? (given.stderr as NodeJS.WriteStream) : undefined);
  // What every verb is given: the folder (after -C), the signal, and a progress bar (none with --json).
  const verbCtx = (p?: { update: VerbContext['onProgress'] }): VerbContext => ({ cwd: here(), ...signal(), ...(p?.update ? { onProgress: p.update } : {}) });
  // Runs a verb with a progress bar that is ended however the verb ends.
  const withBar = async <T>(jsonOut: boolean | undefined, run: (ctx: VerbContext) => Promise<T>): Promise<T> => {
    const p = jsonOut ? progressBar(undefined) : bar();
    try { return await run(verbCtx(p)); } finally { p.end(); }
  };

  const program = new Command('weightline')
    .description('Version history for machine-learning model parameters: bit-exact deltas, any version rebuilt on demand.')
    .version(WEIGHTLINE_VERSION)
    .option('-C <dir>', 'run as if started in DIR')
    .exitOverride()
    // Commander's own error text is reworded into our one line (or JSON) where it is caught below.
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s), outputError: () => undefined })
    .hook('preAction', async (cmd, action) => {
      const c = cmd.opts<{ C?: string }>().C;
      if (c) {
        cwd = path.resolve(io.cwd, c);
        const st = await fs.stat(cwd).catch(() => null);
        if (!st) throw new WeightlineError('NOT_FOUND', `no such folder (given with -C)`, cwd);
        if (!st.isDirectory()) throw new WeightlineError('NOT_FOUND', `expected a folder (given with -C), found a file`, cwd);
      }
      running = action.name();
      if (io.handleSignals && running !== 'serve') interrupt = installInterrupt({ stderr: io.stderr });
    });

  program.command('init')
    .description('create a store (.weightline) in the current folder')
    .option('--nested', 'allow a store inside the folder of another store')
    .option('--json', 'print JSON: {"root","outcome"} (outcome: created, already or completed)')
    .action(async (o: { json?: boolean; nested?: boolean }) => {
      const res = await verbs.init(verbCtx(), { path: here(), nested: !!o.nested });
      if (o.json) json({ root: res.root, outcome: res.outcome });
      else out(formatInit(res));
    });

  program.command('commit')
    .description('commit a model file or folder as a new version')
    .argument('<path>', 'model file (.safetensors, .pt, .npz, ...) or folder (e.g. a Hugging Face model folder)')
    .option('-m, --message <msg>', 'commit message', '')
    .option('--checkpoint', 'store full parameters (a CHECKPOINT) instead of a delta')
    .option('--allow-empty', 'commit even when nothing changed since HEAD')
    .option('--step <n>', 'the training step this version was saved at (log, show and --json show it)')
    .option('--epoch <e>', 'the epoch (a number, 0 or more; fractions allowed)')
    .option('--metric <name=value>', 'a metric of this version, e.g. eval_loss=0.41 (repeat for more)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--json', 'print JSON: {"id","type","parent","logicalBytes","deltaBytes","fullBytesAdded","unchanged"} and, for a CHECKPOINT, "checkpointReason"; "autoCleanup" when it ran; "budget" when room was made for the disk budget')
    .action(async (target: string, o: { message: string; checkpoint?: boolean; allowEmpty?: boolean; json?: boolean; step?: string; epoch?: string; metric: string[] }) => {
      const meta = (await optionValues()).commitMeta(o);
      const res = await withBar(o.json, (ctx) => verbs.commit(ctx, { path: target, message: o.message, checkpoint: !!o.checkpoint, allowEmpty: !!o.allowEmpty, ...(meta ? { meta } : {}) }));
      if (o.json) json({ id: res.id, type: res.type, parent: res.parent, logicalBytes: res.logicalBytes, deltaBytes: res.deltaBytes, fullBytesAdded: res.fullBytesAdded ?? 0, unchanged: !!res.unchanged, ...(res.checkpointReason ? { checkpointReason: res.checkpointReason } : {}), ...(res.autoCleanup ? { autoCleanup: res.autoCleanup } : {}), ...(res.budget ? { budget: res.budget } : {}) });
      else out(formatCommit(res, o.message));
    });

  program.command('log')
    .description('show the commit graph, newest first, with what each commit costs on disk')
    .option('--json', 'print JSON: an array of commits, newest first')
    .option('--path <path>', 'only the commits of this model file or folder (its own line of history)')
    .option('-n, --max-count <n>', 'only the newest N commits (with --json: the array holds N at most)')
    .option('--oneline', 'one line per commit: short id, type, the message\'s first line, tags (no graph, no sizes)')
    .action(async (o: { json?: boolean; path?: string; maxCount?: string; oneline?: boolean }) => {
      const maxCount = o.maxCount === undefined ? undefined : countOption('-n (--max-count)', o.maxCount);
      // With remotes, each commit says where its data is: local only, remote only, or both.
      const res = await verbs.log(verbCtx(), { ...(o.path ? { path: o.path } : {}), ...(maxCount !== undefined ? { maxCount } : {}) });
      // A damaged HEAD must not hide the log: it is how the user finds the commit to restore.
      if (res.headProblem) io.stderr.write(`weightline: warning: ${res.headProblem}\n`);
      if (o.json) json(res.commits);
      else if (res.commits.length === 0 && o.path) out(`No commits of ${printable(path.resolve(here(), o.path))}.`);
      else out(o.oneline ? formatOneline(res.commits, res.head) : formatLog(res.commits, res.head));
    });

  program.command('show')
    .description('show one commit: its files, tensors and change figures')
    .argument('[commit]', 'commit id (4+ hex characters), a tag, HEAD, HEAD~N or HEAD^ (default HEAD)')
    .option('--all', 'list unchanged tensors too')
    .option('--json', 'print JSON')
    .action(async (ref: string | undefined, o: { json?: boolean; all?: boolean }) => {
      const s = await verbs.show(verbCtx(), ref === undefined ? {} : { ref });
      if (o.json) { json(s); return; }
      out(formatShow(s, await verbs.headOf(verbCtx()), !!o.all));
    });

  program.command('diff')
    .description('per-tensor change figures between two commits, or a commit and the working copy')
    .argument('<from>').argument('[to]', 'a commit (default: the files at <from>\'s path now)')
    .option('--all', 'list unchanged tensors too')
    .option('--json', 'print JSON')
    .action(async (a: string, b: string | undefined, o: { json?: boolean; all?: boolean }) => {
      const d = await verbs.diff(verbCtx(), b === undefined ? { from: a } : { from: a, to: b });
      if (o.json) json(d);
      else out(formatDiff(d, !!o.all));
    });

  program.command('restore')
    .description('put a version back at its own path, or anywhere with --to')
    .argument('<commit>', 'commit id (4+ hex characters), a tag, HEAD or HEAD~N')
    .option('--to <path>', 'write the version here instead of its own path')
    .option('--force', 'overwrite uncommitted work at the target')
    .addOption(new Option('--link <mode>', 'how to place bytes the store already holds: auto = reflink where possible, else copy').choices(['auto', 'reflink', 'hardlink', 'symlink', 'copy']).default('auto'))
    .option('--json', 'print JSON')
    .action(async (ref: string, o: { to?: string; force?: boolean; json?: boolean; link: LinkMode }) => {
      const res = await withBar(o.json, (ctx) => verbs.restore(ctx, { commit: ref, ...(o.to ? { to: o.to } : {}), force: !!o.force, link: o.link }));
      if (res.link?.warning) io.stderr.write(`weightline: warning: ${res.link.warning}\n`);
      for (const n of res.notes ?? []) io.stderr.write(`weightline: note: ${printable(n.message)}\n`);
      if (o.json) { json(res); return; }
      out(formatRestore(res, here()));
    });

  program.command('status')
    .description('HEAD, store size, and whether the working copy has uncommitted changes')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const ctx = verbCtx();
      const s = await verbs.status(ctx);
      const extras = await verbs.statusExtras(ctx);
      if (o.json) { json({ ...s, ...(extras.remotes ?? {}), rawCopies: extras.rawCopies }); return; }
      out(formatStatus(s, extras));
    });

  program.command('cleanup')
    .description('delete the full parameters of DELTA commits that can be rebuilt (preview with --dry-run)')
    .option('--dry-run', 'show what would be freed, touch nothing')
    .option('--json', 'print JSON: {"commits":[{"id","bytesFreed"}],"bytesFreed","packs":[{"id","rawBytes","packedBytes"}],"bytesPackSaved","storeBytesBefore","storeBytesAfter"}')
    .action(async (o: { dryRun?: boolean; json?: boolean }) => {
      // The preview measures every block it would pack (exact figures): it shows progress and stops on Ctrl+C.
      const plan = await withBar(o.json, (ctx) => (o.dryRun ? verbs.cleanupPreview(ctx) : verbs.cleanup(ctx)));
      if (o.json) json(plan);
      else out(formatCleanup(plan, !!o.dryRun, (await verbs.configGet(verbCtx())).keepFullLatest));
    });

  program.command('forget')
    .description('forget versions by a retention policy (restic\'s words) or by name (refs, A..B ranges); HEAD, pinned, linked and tagged commits and branch tips always stay; what goes waits in the trash (`weightline undo`)')
    .argument('[refs...]', 'commits to forget: ids, tags, HEAD~N, or ranges A..B (reachable from B, not from A)')
    .option('--keep-last <n>', 'keep the newest N of each line of history')
    .option('--keep-best <n:metric[:min|max]>', 'keep the N best of each line by a metric (repeatable; e.g. 3:eval_loss:min)', collect, [] as string[])
    .option('--keep-every <n>', 'keep every Nth: by step where commits have steps, else by commit count')
    .option('--keep-within <duration>', 'keep commits made within this long before the newest (7d, 2w, 36h, 1y6m)')
    .option('--keep-tag <tag>', "keep commits with this tag ('*': any); tagged commits stay anyway, this names the reason (repeatable)", collect, [] as string[])
    .option('--dry-run', 'say exactly what would go and the bytes freed (re-based deltas are encoded to measure them); change nothing')
    .option('--save', 'store the given policy as the store\'s (retention.json: what a bare `forget` and autoForget apply); with --dry-run the forget only previews')
    .option('--clear-policy', 'remove the stored policy and forget nothing')
    .option('--json', 'print JSON: {"commits":[{"id","verdict","reasons","rebasedOnto"?,"rebasedBytes"?}],"forgotten","kept","bytesRemoved","bytesAdded","bytesFreed","storeBytesBefore","storeBytesAfter","policy","dryRun","op"?,"trashUntil"?}')
    .action(async (refs: string[], o: { keepLast?: string; keepBest: string[]; keepEvery?: string; keepWithin?: string; keepTag: string[]; dryRun?: boolean; save?: boolean; clearPolicy?: boolean; json?: boolean }) => {
      const values = await optionValues();
      const policy = values.policyOf(o);
      if (o.clearPolicy) {
        if (policy || refs.length > 0 || o.save) throw new UsageError('forget --clear-policy removes the stored policy and takes nothing else; run the forget you want separately');
        await verbs.retentionSet(verbCtx(), { policy: null });
        if (o.json) json({ policy: null }); else out('Removed the stored retention policy (a bare `weightline forget` now needs --keep-… flags or commits).');
        return;
      }
      if (policy && refs.length > 0) throw new UsageError(`forget takes a policy (--keep-…) or commits to forget by name, not both; found ${values.policyText(policy)} and ${refs.join(' ')}`);
      if (o.save) {
        if (!policy) throw new UsageError('forget --save stores the policy given with --keep-… flags; none was given');
        await verbs.retentionSet(verbCtx(), { policy });
        if (!o.json) out(`Stored the retention policy: ${values.policyText(policy)}`);
      }
      const plan = await withBar(o.json, (ctx) => verbs.forget(ctx, { ...(policy ? { policy } : {}), ...(refs.length > 0 ? { refs } : {}), dryRun: !!o.dryRun }));
      if (o.json) json(plan);
      else out(formatForget(plan));
    });

  program.command('verify')
    .description('rebuild every commit (no files written) and check every sha256; exit 1 if anything is wrong')
    .option('--json', 'print JSON: {"ok","commits":[{"id","ok","error","restorable","route","warning"?}]}')
    .option('--remote <name>', 'check a remote instead: download and hash every object and manifest, and say which commits it cannot rebuild (JSON: {"ok","remote","url","commits":[{"id","ok","problems"}],"damaged","objectsChecked","bytesChecked"})')
    .action(async (o: { json?: boolean; remote?: string }) => {
      if (o.remote) {
        const remote = o.remote;
        const res = await withBar(o.json, (ctx) => verbs.verifyRemote(ctx, { remote }));
        if (o.json) json(res);
        else out(formatVerifyRemote(res));
        if (!res.ok) exitCode = 1;
        return;
      }
      // Objects a remote holds are not missing: commits that need them say so.
      const res = await withBar(o.json, (ctx) => verbs.verify(ctx));
      if (o.json) json(res);
      else out(formatVerify(res));
      if (!res.ok) exitCode = 1;
    });

  for (const pinned of [true, false]) {
    const c = program.command(pinned ? 'pin' : 'unpin')
      .description(pinned ? "keep a commit's full parameters through cleanups (fast restore); rebuilds them if a cleanup removed them; --list lists the pinned commits" : 'let cleanup prune this commit again')
      .argument(pinned ? '[commit]' : '<commit>');
    if (pinned) c.option('--list', 'list the pinned commits, newest first (JSON: an array of commits, as log --json)');
    c.option('--json', pinned ? 'print JSON: {"id","pinned","rebuiltFiles","rebuiltBytes"}' : 'print JSON: {"id","pinned"}')
      .action(async (ref: string | undefined, o: { json?: boolean; list?: boolean }) => {
        if (o.list) {
          if (ref !== undefined) throw new UsageError(`pin --list takes no commit, found "${ref}"; \`weightline pin ${ref}\` pins it`);
          const list = await verbs.pins(verbCtx());
          if (o.json) json(list);
          else out(list.length === 0 ? 'No pinned commits (`weightline pin REF` pins one).' : formatOneline(list, await verbs.headOf(verbCtx())));
          return;
        }
        if (ref === undefined) throw new UsageError('pin expects a commit (`weightline pin REF`), or --list to list the pinned commits');
        const res = await withBar(o.json, (ctx) => verbs.pin(ctx, { commit: ref, pinned }));
        if (o.json) json(pinned ? res : { id: res.id, pinned });
        else out(formatPin(res));
      });
  }

  program.command('tag')
    .description('name a commit (a tag is a ref: `restore best`, `diff best HEAD`, `show best~1`); -d deletes one; alone, or with --list, lists them')
    .argument('[name]', 'letters, digits, ".", "_", "-", "/"; never HEAD or 4+ hex characters')
    .argument('[commit]', 'the commit to name (default HEAD)')
    .option('-d, --delete', 'delete the tag')
    .option('--list', 'list the tags (JSON: [{"name","commit","setAt","from"?,"missing"?}])')
    .option('--json', 'print JSON: {"name","commit","previous"} (commit null: deleted)')
    .action(async (name: string | undefined, ref: string | undefined, o: { delete?: boolean; list?: boolean; json?: boolean }) => {
      if (o.list || name === undefined) {
        if (name !== undefined) throw new UsageError(`tag --list takes no name, found "${name}"; \`weightline tag ${name}\` tags HEAD`);
        if (o.delete) throw new UsageError('tag -d expects the tag to delete (`weightline tag -d NAME`)');
        const list = await verbs.tags(verbCtx());
        if (o.json) json(list); else out(formatTags(list));
        return;
      }
      if (o.delete && ref !== undefined) throw new UsageError(`tag -d takes only the tag's name, found "${ref}" after it`);
      const res = await verbs.tag(verbCtx(), { name, commit: o.delete ? null : (ref ?? 'HEAD') });
      if (o.json) json(res); else out(formatTag(res));
    });

  program.command('config')
    .description(`read or set a store setting: ${Object.keys(DEFAULT_SETTINGS).join(', ')}`)
    .argument('[key]').argument('[value]', 'the new value; maxStoreBytes and minFreeBytes take sizes like 50G, 500M (powers of 1024) or 0 for none')
    .option('--json', 'print JSON')
    .action(async (key: string | undefined, value: string | undefined, o: { json?: boolean }) => {
      const { parseSetting, settingExpected, settingValueText } = await optionValues();
      if (!key) {
        const config = await verbs.configGet(verbCtx());
        if (o.json) json(config); else for (const [k, v] of Object.entries(config)) out(`${k} = ${settingValueText(k as SettingKey, v)}`);
        // A value from before the bounds were shared reads as its bound: say so, and how to choose.
        for (const [k, found] of Object.entries(await verbs.configClamped(verbCtx()))) io.stderr.write(`weightline: note: config.json holds ${k} ${found}, past what it takes (${settingExpected(k as SettingKey)}); it counts as ${String(config[k as SettingKey])}, which the next change of a setting stores; \`weightline config ${k} N\` sets it now\n`);
        return;
      }
      if (!(key in DEFAULT_SETTINGS)) throw new UsageError(`unknown setting "${key}"; expected one of ${Object.keys(DEFAULT_SETTINGS).join(', ')}`);
      const k = key as SettingKey;
      // Setting a key must work on a damaged config.json: it is how the user mends it.
      // One key alone prints the bare value, for scripts (`$(weightline config maxStoreBytes)`).
      if (value === undefined) { const config = await verbs.configGet(verbCtx()); if (o.json) json({ [k]: config[k] }); else out(String(config[k])); return; }
      const parsed = parseSetting(k, value);
      // Only this key is rewritten: a damaged other key is refused, never replaced by a guess.
      await verbs.configSet(verbCtx(), { [k]: parsed });
      if (o.json) json({ [k]: parsed }); else out(`${k} = ${settingValueText(k, parsed)}`);
    });

  program.command('repair')
    .description('set damaged objects aside (quarantine) and rebuild what intact bytes allow; report every commit')
    .option('--dry-run', 'say what would be done, touch nothing')
    .option('--json', 'print JSON: {"ok","dryRun","commits":[{"id","outcome","detail"}],"quarantined","rebuilt"}')
    .action(async (o: { dryRun?: boolean; json?: boolean }) => {
      // Commits whose objects a remote holds are restorable there, not lost.
      const res = await withBar(o.json, (ctx) => verbs.repair(ctx, { dryRun: !!o.dryRun }));
      if (o.json) json(res);
      else out(formatRepair(res));
      if (!res.ok) exitCode = 1;
    });

  registerServe(program, { here, out, err, json });
  registerDemo(program, { here, out, err, json, self: given.self ?? 'weightline' });
  registerRemote(program, { here, out, err, json, verbCtx, withBar });
  registerOps(program, { here, out, err, json, verbCtx, withBar });
  registerRun(program, { here, out, err, json, verbCtx, liveStream: () => (given.stderr.isTTY ? (given.stderr as NodeJS.WriteStream) : undefined), setExit: (c) => { exitCode = c; } });

  if (argv.length === 0) {
    program.outputHelp();
    return 0;
  }
  try {
    const prepared = prepareArgv(program, argv);
    if ('refused' in prepared) throw new UsageError(prepared.refused);
    await program.parseAsync([...prepared.argv], { from: 'user' });
    // The operation finished before it saw the signal: what it did stands. (watch and import stop on Ctrl+C and say so in their summary.)
    if (interrupt?.received() && running !== 'watch' && running !== 'import') io.stderr.write(`weightline: interrupted (${interrupt.received()}), but the command had already finished; its result stands\n`);
    return exitCode;
  } catch (e) {
    if (interrupt?.received() && isWeightlineError(e) && e.code === 'CANCELLED') {
      // Cleanup deletes object by object, each deletion planned on its own
      // merits: stopped part-way, the store is not as before, but every
      // version still restores.
      const said = running === 'cleanup' ? 'weightline: interrupted; cleanup stopped part-way, every version is still restorable' : INTERRUPTED;
      // The operation's own words on what it had done (a restore: which files).
      const detail = e.message.startsWith('interrupted by ') ? '' : oneLine(e.message);
      if (jsonErrors) fail('CANCELLED', [said.replace(/^weightline: /, ''), detail].filter(Boolean).join(': '));
      else err(detail ? `${said}\n  ${detail}` : said);
      return interrupt.exitCode();
    }
    if (e instanceof CommanderError) {
      if (e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return 0;
      // A line with options but no command (`weightline -C dir`): commander has printed the help on stderr.
      if (e.code === 'commander.help') { fail('BAD_USAGE', 'expected a command; "weightline --help" lists them'); return 2; }
      fail('BAD_USAGE', commanderMessage(e, program, argv));
      return 2;
    }
    if (e instanceof UsageError || e instanceof RunUsageError) { fail('BAD_USAGE', e.message); return 2; }
    if (isWeightlineError(e)) {
      fail(e.code, oneLine(e.message), e.file);
      return e.code === 'BAD_USAGE' ? 2 : 1;
    }
    // Not an expected failure: a bug. Say so, with the stack for the report.
    fail('INTERNAL', `internal error (a bug, please report it): ${oneLine(e instanceof Error ? e.message : String(e))}`);
    if (process.env.WEIGHTLINE_DEBUG) io.stderr.write(`${(e as Error).stack ?? ''}\n`);
    return 1;
  } finally {
    interrupt?.dispose();
  }
}

/** Commander's collector for a repeatable option. */
function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** A count given on the command line (-n N): a whole number, 1 or more. */
function countOption(name: string, value: string): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`${name} takes a whole number of commits, 1 or more; found "${value}"`);
  return n;
}

/** Commander's error in one line, with where to look for the right usage. */
function commanderMessage(e: CommanderError, program: Command, argv: readonly string[]): string {
  // Commander's sentences end in a period; ours goes on after it ("; see ...").
  const text = clause(oneLine(e.message.replace(/^error: /, '')).replace(/\(Did you mean (.+?)\?\)/, '(did you mean $1?)'));
  if (e.code === 'commander.unknownCommand') return `${text}; "weightline --help" lists the commands`;
  const verb = program.commands.find((c) => argv.includes(c.name()));
  return `${text}; see "weightline ${verb ? `${verb.name()} ` : ''}--help"`;
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ');
}
