// The weightline CLI. Training scripts call it, so its flags, exit codes and
// JSON fields are pinned (see README): add, never rename.
//   exit 0: success; 1: an error (one line "weightline: error: ..." on stderr); 2: bad usage.
//   With --json anywhere on the line, that error is one JSON object on stderr
//   instead, {"error":{"code","message"}}, with the same exit code.

import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { isWeightlineError, WeightlineError, type ErrorCode } from '../../src-shared/errors';
import { jsonText, printable, printableText } from '../../src-shared/printable';
import { WEIGHTLINE_VERSION } from '../../src-shared/version';
import { DEFAULT_CONFIG, type StoreConfig } from '../../src-shared/settings';
import { parseSettingText, settingExpected, settingProblemText } from '../../src-shared/policy/settings';
import { checkpointReasonText } from '../../src-shared/policy/checkpoint';
import { againstVersions, againstVersionsText, OVER_REASON, rawCopies, rawCopiesText } from '../../src-shared/storage-totals';
import type { CleanupPlan, CommitResult, KeepReason, LinkMode } from '../../src-shared/model';
import type { Store } from '../core/store/store';

// The verbs load on use: a training script pays for zstd, the zip reader and
// the format parsers only when it runs a command that needs them, which keeps
// start-up (`--version`, `log`) fast.
const ops = {
  commit: async () => (await import('../core/ops/commit')).commit,
  inspect: async () => import('../core/ops/inspect'),
  restore: async () => (await import('../core/ops/restore')).restore,
  cleanup: async () => import('../core/ops/cleanup'),
  pin: async () => (await import('../core/ops/pin')).pin,
  verify: async () => (await import('../core/ops/verify')).verify,
  repair: async () => (await import('../core/ops/repair')).repair,
};
import { registerDemo } from './demo-command';
import { installInterrupt, INTERRUPTED, type Interrupt } from './interrupt';
import { formatFiles, formatLog, formatRepair, humanBytes, relativeTime, shortId } from './format';
import { progressBar } from './progress';
import { registerServe } from './serve-command';
import { locations, registerRemote, remoteHolder, restoreFetcher } from './remote-command';

export interface CliIO {
  readonly stdout: { write(s: string): unknown; isTTY?: boolean };
  readonly stderr: { write(s: string): unknown; isTTY?: boolean };
  readonly cwd: string;
  /** Stop on SIGINT/SIGTERM as the shell's weightline does (interrupt.ts); off for main() called in-process. */
  readonly handleSignals?: boolean;
}

const defaultIO = (): CliIO => ({ stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), handleSignals: true });

class UsageError extends Error {}

/**
 * A writer whose every write has its control characters escaped: names,
 * paths, messages and errors come from manifests and remotes, and none may
 * drive the terminal (issue 18). Newlines and tabs are the CLI's own layout.
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
  const fail = (code: ErrorCode, message: string): void => {
    if (jsonErrors) err(jsonText({ error: { code, message } }));
    else err(`weightline: error: ${message}`);
  };
  const json = (v: unknown): void => out(jsonText(v, 2));
  let cwd = io.cwd;
  const here = (): string => cwd;
  const openStore = async (): Promise<Store> => (await import('../core/store/store')).Store.find(here());
  let exitCode = 0;
  // Installed when a command starts (serve handles its own signals), and
  // passed to every operation that can stop part-way.
  let interrupt = null as Interrupt | null;
  let running = '';
  const signal = (): { signal?: AbortSignal } => (interrupt ? { signal: interrupt.signal } : {});
  const bar = (): ReturnType<typeof progressBar> => progressBar(given.stderr.isTTY ? (given.stderr as NodeJS.WriteStream) : undefined);

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
        if (!st.isDirectory()) throw new WeightlineError('BAD_USAGE', `not a folder (given with -C)`, cwd);
      }
      running = action.name();
      if (io.handleSignals && running !== 'serve') interrupt = installInterrupt({ stderr: io.stderr });
    });

  program.command('init')
    .description('create a store (.weightline) in the current folder')
    .option('--nested', 'allow a store inside the folder of another store')
    .option('--json', 'print JSON: {"root","outcome"} (outcome: created, already or completed)')
    .action(async (o: { json?: boolean; nested?: boolean }) => {
      const { store, outcome } = await (await import('../core/store/store')).Store.initialise(here(), { nested: !!o.nested });
      if (o.json) { json({ root: store.root, outcome }); return; }
      switch (outcome) {
        case 'created': out(`Initialised an empty Weightline store in ${store.dir}`); break;
        case 'already': out(`${store.root} is already a Weightline store; nothing was changed`); break;
        case 'completed': out(`Completed the Weightline store in ${store.dir}: put back the files it was missing; its commits and objects are as they were`); break;
      }
    });

  program.command('commit')
    .description('commit a model file or folder as a new version')
    .argument('<path>', 'model file (.safetensors, .pt, .npz, ...) or folder (e.g. a Hugging Face model folder)')
    .option('-m, --message <msg>', 'commit message', '')
    .option('--checkpoint', 'store full parameters (a CHECKPOINT) instead of a delta')
    .option('--allow-empty', 'commit even when nothing changed since HEAD')
    .option('--json', 'print JSON: {"id","type","parent","logicalBytes","deltaBytes","fullBytesAdded","unchanged"} and, for a CHECKPOINT, "checkpointReason"')
    .action(async (target: string, o: { message: string; checkpoint?: boolean; allowEmpty?: boolean; json?: boolean }) => {
      const store = await openStore();
      const p = o.json ? progressBar(undefined) : bar();
      const res = await (await ops.commit())(store, path.resolve(here(), target), { message: o.message, checkpoint: !!o.checkpoint, skipUnchanged: !o.allowEmpty, onProgress: p.update, ...signal() });
      p.end();
      if (o.json) json({ id: res.id, type: res.type, parent: res.parent, logicalBytes: res.logicalBytes, deltaBytes: res.deltaBytes, fullBytesAdded: res.fullBytesAdded ?? 0, unchanged: !!res.unchanged, ...(res.checkpointReason ? { checkpointReason: res.checkpointReason } : {}) });
      else out(formatCommit(res, o.message));
    });

  program.command('log')
    .description('show the commit graph, newest first, with what each commit costs on disk')
    .option('--json', 'print JSON: an array of commits, newest first')
    .action(async (o: { json?: boolean }) => {
      const store = await openStore();
      const entries = await (await ops.inspect()).log(store);
      // A damaged HEAD must not hide the log: it is how the user finds the commit to restore.
      const head = await store.headState();
      if (!head.ok) io.stderr.write(`weightline: warning: ${head.error.message}\n`);
      // With remotes, each commit says where its data is: local only, remote only, or both.
      const where = await locations(store);
      if (o.json) json(where ? entries.map((e) => ({ ...e, location: where.commits.get(e.id) ?? 'local' })) : entries);
      else out(entries.length ? formatLog(entries, head.ok ? head.commit : null, where?.commits) : 'No commits yet.');
    });

  program.command('show')
    .description('show one commit: its files, tensors and change figures')
    .argument('<commit>', 'commit id (4+ hex characters), HEAD or HEAD~N')
    .option('--all', 'list unchanged tensors too')
    .option('--json', 'print JSON')
    .action(async (ref: string, o: { json?: boolean; all?: boolean }) => {
      const store = await openStore();
      const s = await (await ops.inspect()).show(store, ref);
      if (o.json) { json(s); return; }
      out([
        `commit ${s.id}${(await store.headState().then((h) => (h.ok ? h.commit : null))) === s.id ? '  (HEAD)' : ''}`,
        `type     ${s.type}${s.pinned ? ' (pinned)' : ''}${s.checkpointReason ? `: ${checkpointReasonText(s.checkpointReason)}` : ''}`,
        `parent   ${s.parent ?? '(none)'}`,
        `date     ${s.createdAt} (${relativeTime(s.createdAt)})`,
        `path     ${printable(s.path)}`,
        `size     ${humanBytes(s.logicalBytes)}; on disk: ${s.hasFull ? `full ${humanBytes(s.fullBytes)}` : 'rebuilt on demand'}${s.type === 'DELTA' ? `, delta ${humanBytes(s.deltaBytes)}` : ''}; a restore replays ${s.chainLength} delta(s)`,
        '',
        // Every line of the message indented, as git show does: a message's own line never reads as the CLI's.
        ...s.message.split(/\r?\n/u).map((l) => `    ${printable(l)}`.trimEnd()),
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
      const d = await (await ops.inspect()).diff(store, a, b);
      if (o.json) json(d);
      else out(`diff ${shortId(d.from)} → ${shortId(d.to)}\n${formatFiles(d.files, !o.all)}`);
    });

  program.command('restore')
    .description('put a version back at its own path, or anywhere with --to')
    .argument('<commit>', 'commit id (4+ hex characters), HEAD or HEAD~N')
    .option('--to <path>', 'write the version here instead of its own path')
    .option('--force', 'overwrite uncommitted work at the target')
    .addOption(new Option('--link <mode>', 'how to place bytes the store already holds: auto = reflink where possible, else copy').choices(['auto', 'reflink', 'hardlink', 'symlink', 'copy']).default('auto'))
    .option('--json', 'print JSON')
    .action(async (ref: string, o: { to?: string; force?: boolean; json?: boolean; link: LinkMode }) => {
      const store = await openStore();
      const p = o.json ? progressBar(undefined) : bar();
      // A trailing slash says "into this folder" (even one not made yet): path.resolve would drop it.
      const to = o.to ? path.resolve(here(), o.to) + (/[\\/]$/.test(o.to) ? path.sep : '') : undefined;
      // Objects only a remote holds are downloaded first (just the route's), when the store has remotes.
      const fetchObjects = await restoreFetcher(store, p.update);
      const res = await (await ops.restore())(store, ref, { ...(to ? { to } : {}), force: !!o.force, link: o.link, onProgress: p.update, ...signal(), ...(fetchObjects ? { fetchObjects } : {}) });
      p.end();
      if (res.link?.warning) io.stderr.write(`weightline: warning: ${res.link.warning}\n`);
      for (const n of res.notes ?? []) io.stderr.write(`weightline: note: ${printable(n)}\n`);
      if (o.json) { json(res); return; }
      out(`Restored ${shortId(res.id)} to ${path.relative(here(), res.target) || '.'} (${res.files} file(s), ${humanBytes(res.bytes)})`);
      const l = res.link;
      if (l && l.linked > 0) out(`linked ${l.linked} file(s), ${humanBytes(l.bytesNotCopied)} not copied`);
    });

  program.command('status')
    .description('HEAD, store size, and whether the working copy has uncommitted changes')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const store = await openStore();
      const s = await (await ops.inspect()).status(store);
      const where = await locations(store);
      const count = (l: string): number => (where ? [...where.commits.values()].filter((x) => x === l).length : 0);
      const remotes = where ? { remotes: where.remotes, commitsLocalOnly: count('local'), commitsRemoteOnly: count('remote'), commitsBoth: count('both') } : {};
      // Raw copies and what trimming them would free, from the log (stat data only; an estimate, no cleanup plan).
      const raw = rawCopies(await (await ops.inspect()).log(store), (await store.readConfig()).keepFullLatest);
      if (o.json) { json({ ...s, ...remotes, rawCopies: raw }); return; }
      for (const l of s.links ?? []) out(`restored link ${l.path} (commit ${shortId(l.commit)}): ${linkProblemText(l.problem)}`);
      // Before a cleanup every commit still holds its full parameters, so the store can exceed the versions' size: not a saving.
      const against = againstVersions(s.logicalBytes, s.storeBytes, 1);
      const saving = s.logicalBytes === 0 ? '' : against.kind === 'over'
        ? ` (${againstVersionsText(against, 1)}: ${OVER_REASON}; "weightline cleanup --dry-run" shows what it would free)`
        : ` (${againstVersionsText(against, 1)})`;
      out([
        `store    ${store.root}`,
        `HEAD     ${s.head ? shortId(s.head) : '(no commits yet)'}${s.path ? `  ${s.path}` : ''}`,
        `working  ${s.head ? (s.dirty ? 'changed since HEAD (uncommitted)' : 'matches HEAD') : '-'}`,
        `storage  ${humanBytes(s.storeBytes)} on disk for ${humanBytes(s.logicalBytes)} of versions${saving}`,
        ...(s.head ? [`copies   ${rawCopiesText(raw)}`] : []),
        ...(where ? [
          `commits  ${count('local')} local only, ${count('both')} local+remote, ${count('remote')} remote only (restore downloads what it needs)`,
          ...where.remotes.map((x) => `remote   ${x.name} ${x.url}: ${x.listedAt ? `${x.commits} commit(s) when last listed (${relativeTime(x.listedAt)})` : 'not listed yet (push or fetch)'}`),
        ] : []),
      ].join('\n'));
    });

  program.command('cleanup')
    .description('delete the full parameters of DELTA commits that can be rebuilt (preview with --dry-run)')
    .option('--dry-run', 'show what would be freed, touch nothing')
    .option('--json', 'print JSON: {"commits":[{"id","bytesFreed"}],"bytesFreed","packs":[{"id","rawBytes","packedBytes"}],"bytesPackSaved","storeBytesBefore","storeBytesAfter"}')
    .action(async (o: { dryRun?: boolean; json?: boolean }) => {
      const store = await openStore();
      const { cleanup, cleanupPlan } = await ops.cleanup();
      // The preview measures every block it would pack (exact figures): it shows progress and stops on Ctrl+C.
      const p = o.json ? progressBar(undefined) : bar();
      let plan;
      try {
        plan = o.dryRun ? await cleanupPlan(store, { onProgress: p.update, ...signal() }) : await cleanup(store, { onProgress: p.update, ...signal() });
      } finally {
        p.end();
      }
      if (o.json) json(plan);
      else out(formatCleanup(plan, !!o.dryRun, (await store.readConfig()).keepFullLatest));
    });

  program.command('verify')
    .description('rebuild every commit (no files written) and check every sha256; exit 1 if anything is wrong')
    .option('--json', 'print JSON: {"ok","commits":[{"id","ok","error","restorable","route","warning"?}]}')
    .option('--remote <name>', 'check a remote instead: download and hash every object and manifest, and say which commits it cannot rebuild (JSON: {"ok","remote","url","commits":[{"id","ok","problems"}],"damaged","objectsChecked","bytesChecked"})')
    .action(async (o: { json?: boolean; remote?: string }) => {
      const store = await openStore();
      const p = o.json ? progressBar(undefined) : bar();
      if (o.remote) {
        const res = await (await import('../core/remote/index')).verifyRemote(store, { remote: o.remote, onProgress: p.update, ...signal() });
        p.end();
        if (o.json) json(res);
        else {
          for (const c of res.commits) out(`${shortId(c.id)}  ${c.ok ? 'ok' : `FAILED: ${printable(c.problems.join('; '))}`}`);
          for (const k of res.damaged) out(`damaged: ${printable(k)}`);
          const bad = res.commits.filter((c) => !c.ok).length;
          out(res.ok
            ? `verified ${res.remote} (${res.url}): ${res.commits.length} commit(s), ${res.objectsChecked} object(s), ${humanBytes(res.bytesChecked)} hashed: all ok`
            : `${res.remote} (${res.url}): ${bad} of ${res.commits.length} commit(s) cannot be rebuilt from the remote, ${res.damaged.length} damaged key(s); delete damaged keys on the remote and push again from a store that has them`);
        }
        if (!res.ok) exitCode = 1;
        return;
      }
      // Objects a remote holds are not missing (issue 14): commits that need them say so.
      const elsewhere = await remoteHolder(store);
      const res = await (await ops.verify())(store, { onProgress: p.update, ...signal(), ...(elsewhere ? { elsewhere } : {}) });
      p.end();
      if (o.json) json(res);
      else {
        for (const c of res.commits) out(`${shortId(c.id)}  ${c.ok ? `ok${c.warning ? ` (warning: ${printable(c.warning)})` : ''}` : `${c.restorable ? 'DAMAGED (still restores)' : 'FAILED'}: ${printable(c.error ?? '')}`}`);
        const bad = res.commits.filter((c) => !c.ok);
        const lost = bad.filter((c) => !c.restorable).length;
        const warned = res.commits.filter((c) => c.ok && c.warning).length;
        out(res.ok
          ? `verified ${res.commits.length} commit(s): all ok${warned ? ` (${warned} with a warning: they restore bit-exact, a delta that cannot be rebuilt is gone)` : ''}`
          : `${bad.length} of ${res.commits.length} commit(s) have problems: ${bad.length - lost} still restore bit-exact, ${lost} cannot; "weightline repair" rebuilds what intact bytes allow`);
      }
      if (!res.ok) exitCode = 1;
    });

  for (const pinned of [true, false]) {
    program.command(pinned ? 'pin' : 'unpin')
      .description(pinned ? "keep a commit's full parameters through cleanups (fast restore); rebuilds them if a cleanup removed them" : 'let cleanup prune this commit again')
      .argument('<commit>')
      .option('--json', pinned ? 'print JSON: {"id","pinned","rebuiltFiles","rebuiltBytes"}' : 'print JSON: {"id","pinned"}')
      .action(async (ref: string, o: { json?: boolean }) => {
        const p = o.json ? progressBar(undefined) : bar();
        const res = await (await ops.pin())(await openStore(), ref, pinned, { onProgress: p.update, ...signal() });
        p.end();
        if (o.json) json(pinned ? res : { id: res.id, pinned });
        else if (!pinned) out(`Unpinned ${shortId(res.id)}; the next cleanup may remove its full parameters`);
        else if (res.rebuiltFiles > 0) out(`Pinned ${shortId(res.id)}; a cleanup had removed its full parameters, so they were rebuilt and stored again (${humanBytes(res.rebuiltBytes)}, ${res.rebuiltFiles} file(s), sha256 checked)`);
        else out(`Pinned ${shortId(res.id)}; cleanup keeps its full parameters`);
      });
  }

  program.command('config')
    .description(`read or set a store setting: ${Object.keys(DEFAULT_CONFIG).join(', ')}`)
    .argument('[key]').argument('[value]')
    .option('--json', 'print JSON')
    .action(async (key: string | undefined, value: string | undefined, o: { json?: boolean }) => {
      const store = await openStore();
      if (!key) {
        const config = await store.readConfig();
        if (o.json) json(config); else for (const [k, v] of Object.entries(config)) out(`${k} = ${String(v)}`);
        // A value from before the bounds were shared reads as its bound: say so, and how to choose.
        for (const [k, found] of Object.entries(await store.configClamped())) io.stderr.write(`weightline: note: config.json holds ${k} ${found}, past what it takes (${settingExpected(k as keyof StoreConfig)}); it counts as ${String(config[k as keyof StoreConfig])}, which the next change of a setting stores; \`weightline config ${k} N\` sets it now\n`);
        return;
      }
      if (!(key in DEFAULT_CONFIG)) throw new UsageError(`unknown setting "${key}"; expected one of ${Object.keys(DEFAULT_CONFIG).join(', ')}`);
      const k = key as keyof StoreConfig;
      // Setting a key must work on a damaged config.json: it is how the user mends it.
      if (value === undefined) { const config = await store.readConfig(); if (o.json) json({ [k]: config[k] }); else out(String(config[k])); return; }
      const parsed = parseSetting(k, value);
      const { withWriteLock } = await import('../core/store/lock');
      // Only this key is rewritten: a damaged other key is refused, never replaced by a guess.
      await withWriteLock(store, 'config', () => store.updateConfig({ [k]: parsed }), undefined, signal());
      if (o.json) json({ [k]: parsed }); else out(`${k} = ${String(parsed)}`);
    });

  program.command('repair')
    .description('set damaged objects aside (quarantine) and rebuild what intact bytes allow; report every commit')
    .option('--dry-run', 'say what would be done, touch nothing')
    .option('--json', 'print JSON: {"ok","dryRun","commits":[{"id","outcome","detail"}],"quarantined","rebuilt"}')
    .action(async (o: { dryRun?: boolean; json?: boolean }) => {
      const store = await openStore();
      const p = o.json ? progressBar(undefined) : bar();
      // Commits whose objects a remote holds are restorable there, not lost (issue 14).
      const elsewhere = await remoteHolder(store);
      const res = await (await ops.repair())(store, { dryRun: !!o.dryRun, onProgress: p.update, ...signal(), ...(elsewhere ? { elsewhere } : {}) });
      p.end();
      if (o.json) json(res);
      else out(formatRepair(res));
      if (!res.ok) exitCode = 1;
    });

  registerServe(program, { here, out, err, json });
  registerDemo(program, { here, out, err, json });
  registerRemote(program, { here, out, err, json, openStore, signal, bar: (j) => (j ? progressBar(undefined) : bar()) });

  if (argv.length === 0) {
    program.outputHelp();
    return 0;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    // The operation finished before it saw the signal: what it did stands.
    if (interrupt?.received()) io.stderr.write(`weightline: interrupted (${interrupt.received()}), but the command had already finished; its result stands\n`);
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
      fail('BAD_USAGE', commanderMessage(e, program, argv));
      return 2;
    }
    if (e instanceof UsageError) { fail('BAD_USAGE', e.message); return 2; }
    if (isWeightlineError(e)) {
      fail(e.code, oneLine(e.message));
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

/** The policy's parser (src-shared/policy/settings.ts): the CLI refuses what the app refuses, in the same words. */
function parseSetting(key: keyof StoreConfig, value: string): number | boolean {
  const parsed = parseSettingText(key, value);
  if ('problem' in parsed) throw new UsageError(settingProblemText(parsed.problem));
  return parsed.value;
}

/** Commander's error in one line, with where to look for the right usage. */
function commanderMessage(e: CommanderError, program: Command, argv: readonly string[]): string {
  const text = oneLine(e.message.replace(/^error: /, '')).replace(/\(Did you mean (.+?)\?\)/, '(did you mean $1?)');
  if (e.code === 'commander.unknownCommand') return `${text}; "weightline --help" lists the commands`;
  const verb = program.commands.find((c) => argv.includes(c.name()));
  return `${text}; see "weightline ${verb ? `${verb.name()} ` : ''}--help"`;
}

/** What a commit cost, in the words `log` uses for the same figures. */
function formatCommit(res: CommitResult, message: string): string {
  if (res.unchanged) return `nothing changed since HEAD (${shortId(res.id)}); no commit was made (--allow-empty commits anyway)`;
  const added = res.fullBytesAdded ?? res.logicalBytes;
  // A full object the store already held (an older commit's identical bytes) costs nothing again; log counts it for the oldest commit.
  const full = added === 0 ? `full parameters ${humanBytes(res.logicalBytes)}, already in the store (0 B added)` : `full parameters ${humanBytes(added)}`;
  const cost = res.type === 'DELTA'
    ? `delta ${humanBytes(res.deltaBytes)} (${((res.deltaBytes / Math.max(1, res.logicalBytes)) * 100).toFixed(1)}% of ${humanBytes(res.logicalBytes)})${added > 0 ? `; ${full} kept until a cleanup` : ''}`
    : full;
  // An automatic CHECKPOINT says which rule made it (--checkpoint and the first commit need no telling).
  const why = res.checkpointReason && res.checkpointReason !== 'requested' && res.checkpointReason !== 'first' ? `\n  a CHECKPOINT because ${checkpointReasonText(res.checkpointReason)}` : '';
  return `[${res.type} ${shortId(res.id)}] ${firstLine(message) || '(no message)'}\n  ${cost}${why}`;
}

function firstLine(s: string): string {
  return s.split(/\r?\n/, 1)[0]!;
}

function formatCleanup(plan: CleanupPlan, dryRun: boolean, keepFullLatest: number): string {
  const lines: string[] = [dryRun ? 'Cleanup preview (nothing was changed):' : 'Cleanup done:'];
  for (const c of plan.commits) {
    lines.push(`  ${shortId(c.id)}  frees ${humanBytes(c.bytesFreed).padStart(9)}   restore: replay ${c.chainBefore} → ${c.chainAfter} delta(s), read ${humanBytes(c.readBytesBefore)} → ${humanBytes(c.readBytesAfter)}`);
  }
  if (plan.commits.length === 0) lines.push('  no commit can lose its full parameters');
  const packed = new Set(plan.packs.map((p) => p.id));
  for (const k of plan.kept) {
    const how = packed.has(k.id) ? ', packed' : '';
    lines.push(`  ${shortId(k.id)}  kept${how}: ${k.reasons.map((r) => keepReasonText(r, keepFullLatest)).join(', ')}${k.detail ? ` (${k.detail})` : ''}`);
  }
  if (plan.packs.length > 0) {
    const raw = plan.packs.reduce((s, p) => s + p.rawBytes, 0);
    const after = plan.packs.reduce((s, p) => s + p.packedBytes, 0);
    lines.push(`${dryRun ? 'Packs' : 'Packed'} ${plan.packs.length} CHECKPOINT${plan.packs.length === 1 ? '' : 's'} out of the newest ${keepFullLatest}: ${humanBytes(raw)} raw → ${humanBytes(after)} packed (−${humanBytes(plan.bytesPackSaved)})`);
  }
  const total = plan.bytesFreed + plan.bytesPackSaved;
  lines.push(`${dryRun ? 'Would free' : 'Freed'} ${humanBytes(total)}: store ${humanBytes(plan.storeBytesBefore)} → ${humanBytes(plan.storeBytesAfter)}`);
  return lines.join('\n');
}

/** Each reason names the rule that keeps the commit, so "newest" is not read as "the newest commit". */
function keepReasonText(r: KeepReason, keepFullLatest: number): string {
  switch (r) {
    case 'checkpoint': return 'a CHECKPOINT';
    case 'branch-tip': return 'branch tip';
    case 'newest': return `newest ${keepFullLatest} of its line (keepFullLatest)`;
    case 'pinned': return 'pinned';
    case 'linked': return 'a restore links to it';
    case 'broken-chain': return 'the chain below is not intact';
    case 'already-pruned': return 'already rebuilt on demand';
  }
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ');
}

function linkProblemText(problem: 'broken' | 'modified' | 'changed-in-place'): string {
  switch (problem) {
    case 'broken': return 'broken, its target is gone';
    case 'modified': return 'modified, no longer matches its commit (the stored version is unharmed)';
    case 'changed-in-place': return 'changed in place: the store\'s copy is damaged; run weightline repair';
  }
}
