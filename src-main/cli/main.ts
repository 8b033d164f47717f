// The weightline CLI. Training scripts call it, so its flags, exit codes and
// JSON fields are pinned (see README): add, never rename.
//   exit 0: success; 1: an error (one line "weightline: error: ..." on stderr); 2: bad usage.

import * as path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { isWeightlineError } from '../../src-shared/errors';
import { WEIGHTLINE_VERSION } from '../../src-shared/version';
import { DEFAULT_CONFIG, type StoreConfig } from '../../src-shared/settings';
import type { CleanupPlan, LinkMode } from '../../src-shared/model';
import type { Store } from '../core/store/store';

// The verbs load on use: a training script pays for zstd, the zip reader and
// the format parsers only when it runs a command that needs them, which keeps
// start-up (`--version`, `log`) fast.
const ops = {
  commit: async () => (await import('../core/ops/commit')).commit,
  inspect: async () => import('../core/ops/inspect'),
  restore: async () => (await import('../core/ops/restore')).restore,
  cleanup: async () => import('../core/ops/cleanup'),
  setPinned: async () => (await import('../core/ops/pin')).setPinned,
  verify: async () => (await import('../core/ops/verify')).verify,
  repair: async () => (await import('../core/ops/repair')).repair,
};
import { registerDemo } from './demo-command';
import { installInterrupt, INTERRUPTED, type Interrupt } from './interrupt';
import { formatFiles, formatLog, formatRepair, humanBytes, relativeTime, shortId } from './format';
import { progressBar } from './progress';
import { registerServe } from './serve-command';

export interface CliIO {
  readonly stdout: { write(s: string): unknown; isTTY?: boolean };
  readonly stderr: { write(s: string): unknown; isTTY?: boolean };
  readonly cwd: string;
  /** Stop on SIGINT/SIGTERM as the shell's weightline does (interrupt.ts); off for main() called in-process. */
  readonly handleSignals?: boolean;
}

const defaultIO = (): CliIO => ({ stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), handleSignals: true });

class UsageError extends Error {}

export async function main(argv: readonly string[], io: CliIO = defaultIO()): Promise<number> {
  const out = (s: string): void => { io.stdout.write(s.endsWith('\n') ? s : `${s}\n`); };
  const json = (v: unknown): void => out(JSON.stringify(v, null, 2));
  let cwd = io.cwd;
  const here = (): string => cwd;
  const openStore = async (): Promise<Store> => (await import('../core/store/store')).Store.find(here());
  let exitCode = 0;
  // Installed when a command starts (serve handles its own signals), and
  // passed to every operation that can stop part-way.
  let interrupt = null as Interrupt | null;
  let running = '';
  const signal = (): { signal?: AbortSignal } => (interrupt ? { signal: interrupt.signal } : {});
  const bar = (): ReturnType<typeof progressBar> => progressBar(io.stderr.isTTY ? (io.stderr as NodeJS.WriteStream) : undefined);

  const program = new Command('weightline')
    .description('Version history for machine-learning model parameters: bit-exact deltas, any version rebuilt on demand.')
    .version(WEIGHTLINE_VERSION)
    .option('-C <dir>', 'run as if started in DIR')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError()
    .hook('preAction', (cmd, action) => {
      const c = cmd.opts<{ C?: string }>().C;
      if (c) cwd = path.resolve(io.cwd, c);
      running = action.name();
      if (io.handleSignals && running !== 'serve') interrupt = installInterrupt({ stderr: io.stderr });
    });

  program.command('init')
    .description('create a store (.weightline) in the current folder')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const store = await (await import('../core/store/store')).Store.init(here());
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
      const res = await (await ops.commit())(store, path.resolve(here(), target), { message: o.message, checkpoint: !!o.checkpoint, onProgress: p.update, ...signal() });
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
      const entries = await (await ops.inspect()).log(store);
      // A damaged HEAD must not hide the log: it is how the user finds the commit to restore.
      const head = await store.headState();
      if (!head.ok) io.stderr.write(`weightline: warning: ${head.error.message}\n`);
      if (o.json) json(entries);
      else out(entries.length ? formatLog(entries, head.ok ? head.commit : null) : 'No commits yet.');
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
      const res = await (await ops.restore())(store, ref, { ...(o.to ? { to: path.resolve(here(), o.to) } : {}), force: !!o.force, link: o.link, onProgress: p.update, ...signal() });
      p.end();
      if (res.link?.warning) io.stderr.write(`weightline: warning: ${res.link.warning}\n`);
      for (const n of res.notes ?? []) io.stderr.write(`weightline: note: ${n}\n`);
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
      if (o.json) { json(s); return; }
      for (const l of s.links ?? []) out(`restored link ${l.path} (commit ${shortId(l.commit)}): ${linkProblemText(l.problem)}`);
      const pct = s.logicalBytes > 0 ? 100 - (s.storeBytes / s.logicalBytes) * 100 : 0;
      // Before a cleanup every commit still holds its full parameters, so the store can exceed the versions' size.
      const saving = s.logicalBytes === 0 ? '' : pct >= 0 ? ` (${pct.toFixed(1)}% saved)` : ` (${(-pct).toFixed(1)}% more than the versions; "weightline cleanup --dry-run" shows what it would free)`;
      out([
        `store    ${store.root}`,
        `HEAD     ${s.head ? shortId(s.head) : '(no commits yet)'}${s.path ? `  ${s.path}` : ''}`,
        `working  ${s.head ? (s.dirty ? 'changed since HEAD (uncommitted)' : 'matches HEAD') : '-'}`,
        `storage  ${humanBytes(s.storeBytes)} on disk for ${humanBytes(s.logicalBytes)} of versions${saving}`,
      ].join('\n'));
    });

  program.command('cleanup')
    .description('delete the full parameters of DELTA commits that can be rebuilt (preview with --dry-run)')
    .option('--dry-run', 'show what would be freed, touch nothing')
    .option('--json', 'print JSON: {"commits":[{"id","bytesFreed"}],"bytesFreed","storeBytesBefore","storeBytesAfter"}')
    .action(async (o: { dryRun?: boolean; json?: boolean }) => {
      const store = await openStore();
      const { cleanup, cleanupPlan } = await ops.cleanup();
      const plan = o.dryRun ? await cleanupPlan(store) : await cleanup(store, signal());
      if (o.json) json(plan);
      else out(formatCleanup(plan, !!o.dryRun));
    });

  program.command('verify')
    .description('rebuild every commit (no files written) and check every sha256; exit 1 if anything is wrong')
    .option('--json', 'print JSON: {"ok","commits":[{"id","ok","error","restorable","route"}]}')
    .action(async (o: { json?: boolean }) => {
      const store = await openStore();
      const p = o.json ? progressBar(undefined) : bar();
      const res = await (await ops.verify())(store, { onProgress: p.update, ...signal() });
      p.end();
      if (o.json) json(res);
      else {
        for (const c of res.commits) out(`${shortId(c.id)}  ${c.ok ? 'ok' : `${c.restorable ? 'DAMAGED (still restores)' : 'FAILED'}: ${c.error}`}`);
        const bad = res.commits.filter((c) => !c.ok);
        const lost = bad.filter((c) => !c.restorable).length;
        out(res.ok
          ? `verified ${res.commits.length} commit(s): all ok`
          : `${bad.length} of ${res.commits.length} commit(s) have problems: ${bad.length - lost} still restore bit-exact, ${lost} cannot; "weightline repair" rebuilds what intact bytes allow`);
      }
      if (!res.ok) exitCode = 1;
    });

  for (const pinned of [true, false]) {
    program.command(pinned ? 'pin' : 'unpin')
      .description(pinned ? "keep a commit's full parameters through cleanups (fast restore)" : 'let cleanup prune this commit again')
      .argument('<commit>')
      .option('--json', 'print JSON')
      .action(async (ref: string, o: { json?: boolean }) => {
        const id = await (await ops.setPinned())(await openStore(), ref, pinned);
        if (o.json) json({ id, pinned });
        else out(`${pinned ? 'Pinned' : 'Unpinned'} ${shortId(id)}`);
      });
  }

  program.command('config')
    .description(`read or set a store setting: ${Object.keys(DEFAULT_CONFIG).join(', ')}`)
    .argument('[key]').argument('[value]')
    .option('--json', 'print JSON')
    .action(async (key: string | undefined, value: string | undefined, o: { json?: boolean }) => {
      const store = await openStore();
      if (!key) { const config = await store.readConfig(); if (o.json) json(config); else for (const [k, v] of Object.entries(config)) out(`${k} = ${String(v)}`); return; }
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
      const res = await (await ops.repair())(store, { dryRun: !!o.dryRun, onProgress: p.update, ...signal() });
      p.end();
      if (o.json) json(res);
      else out(formatRepair(res));
      if (!res.ok) exitCode = 1;
    });

  registerServe(program, { here, out, json });
  registerDemo(program, { here, out, json });

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
      io.stderr.write(running === 'cleanup' ? 'weightline: interrupted; cleanup stopped part-way, every version is still restorable\n' : `${INTERRUPTED}\n`);
      // The operation's own words on what it had done (a restore: which files).
      if (!e.message.startsWith('interrupted by ')) io.stderr.write(`  ${oneLine(e.message)}\n`);
      return interrupt.exitCode();
    }
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
  } finally {
    interrupt?.dispose();
  }
}

function parseSetting(key: keyof StoreConfig, value: string): number | boolean {
  if (typeof DEFAULT_CONFIG[key] === 'boolean') {
    if (value === 'true' || value === 'false') return value === 'true';
    throw new UsageError(`${key} takes true or false, found "${value}"`);
  }
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${key} takes a whole number of at least 1, found "${value}"`);
  return n;
}

function formatCleanup(plan: CleanupPlan, dryRun: boolean): string {
  const lines: string[] = [dryRun ? 'Cleanup preview (nothing was changed):' : 'Cleanup done:'];
  for (const c of plan.commits) {
    lines.push(`  ${shortId(c.id)}  frees ${humanBytes(c.bytesFreed).padStart(9)}   restore: replay ${c.chainBefore} → ${c.chainAfter} delta(s), read ${humanBytes(c.readBytesBefore)} → ${humanBytes(c.readBytesAfter)}`);
  }
  if (plan.commits.length === 0) lines.push('  no commit can lose its full parameters');
  for (const k of plan.kept) lines.push(`  ${shortId(k.id)}  kept: ${k.reasons.join(', ')}${k.detail ? ` (${k.detail})` : ''}`);
  lines.push(`${dryRun ? 'Would free' : 'Freed'} ${humanBytes(plan.bytesFreed)}: store ${humanBytes(plan.storeBytesBefore)} → ${humanBytes(plan.storeBytesAfter)}`);
  return lines.join('\n');
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
