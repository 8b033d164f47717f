// The disk budget (docs/STORE-FORMAT.md, "Disk budget"): maxStoreBytes bounds
// what the store holds (its content: objects, manifests, route records, the
// trash; the caches, the operations log and a running writer's temp files are
// not content, as in `status`), minFreeBytes what the store's disk keeps
// free. A commit asks here, under its write lock and before it writes a byte,
// whether what it may add fits. If not, room is made in the order the issue
// sets: the trash first (oldest operation first, only as much as is needed),
// then, with autoForget on and a policy stored, a forget by that policy (whose
// own trash is emptied too when the room is still not there: a budget that
// holds beats an undo of the forget that made it hold). Otherwise the commit is
// refused with OVER_BUDGET, having touched nothing: the trash is emptied only
// when that is enough, or when a forget is going to run anyway.
import * as fs from 'node:fs/promises';
import { WeightlineError } from '../../../src-shared/errors';
import { humanBytes } from '../../../src-shared/format';
import type { AutoForgetReport, BudgetReport, ForgetPlan } from '../../../src-shared/model';
import { policyText, type RetentionPolicy } from '../../../src-shared/policy/retention';
import { sizeSettingText, type Settings } from '../../../src-shared/policy/settings';
import { holdsTrash, purgeTrashForSpace } from '../store/op-recovery';
import { listOps, trashBytes } from '../store/trash';
import { readRetentionFile } from '../store/store-files';
import type { Store } from '../store/store';
import { forgetVersionsLocked } from './forget';
import { storeBytes } from './inspect';

/** What the budget reads of the disk; a test swaps it to fake a nearly full disk. */
export interface BudgetProbe {
  /** Bytes an unprivileged writer may still write on the disk that holds `dir`. */
  freeBytes(dir: string): Promise<number>;
}

const realProbe: BudgetProbe = {
  async freeBytes(dir) {
    const s = await fs.statfs(dir);
    return Number(s.bavail) * Number(s.bsize);
  },
};

let probe: BudgetProbe = realProbe;

/** Tests only: fake what statfs says (returns the function that puts the real one back). */
export function setBudgetProbe(p: BudgetProbe): () => void {
  probe = p;
  return () => { probe = realProbe; };
}

/** The trash purge and the forget the budget runs under the caller's lock (trash-undo's and forget-core's engines). */
export interface BudgetActions {
  /** Empties whole operations' trash, oldest first, until at least `bytes` are freed (or the trash is empty). */
  purgeTrash(store: Store, bytes: number, reason: string): Promise<{ readonly operations: number; readonly bytesFreed: number }>;
  /** Forgets by the policy, the write lock already held by the caller. */
  forget(store: Store, policy: RetentionPolicy, signal: AbortSignal | undefined): Promise<ForgetPlan>;
}

function defaultActions(): BudgetActions {
  return {
    purgeTrash: async (store, bytes, reason) => {
      const r = await purgeTrashForSpace(store, bytes, reason);
      return { operations: r.ops.length, bytesFreed: r.freed };
    },
    forget: (store, policy, signal) => forgetVersionsLocked(store, { policy, dryRun: false, signal: signal ?? new AbortController().signal }),
  };
}

interface Measure { readonly store: number; readonly free: number }

/** A room the commit needs, as the setting that asks for it sees it. */
interface Shortfall { readonly setting: 'maxStoreBytes' | 'minFreeBytes'; readonly bytes: number; readonly text: string }

function shortfall(config: Pick<Settings, 'maxStoreBytes' | 'minFreeBytes'>, m: Measure, need: number): Shortfall | null {
  if (config.maxStoreBytes > 0 && m.store + need > config.maxStoreBytes) {
    return {
      setting: 'maxStoreBytes', bytes: m.store + need - config.maxStoreBytes,
      text: `the store holds ${humanBytes(m.store)} and this commit may add up to ${humanBytes(need)}, past maxStoreBytes ${sizeSettingText(config.maxStoreBytes)} (${humanBytes(config.maxStoreBytes)})`,
    };
  }
  if (config.minFreeBytes > 0 && m.free - need < config.minFreeBytes) {
    return {
      setting: 'minFreeBytes', bytes: config.minFreeBytes - (m.free - need),
      text: `the disk has ${humanBytes(Math.max(0, m.free))} free and this commit may write up to ${humanBytes(need)}, leaving less than minFreeBytes ${sizeSettingText(config.minFreeBytes)} (${humanBytes(config.minFreeBytes)})`,
    };
  }
  return null;
}

async function measure(store: Store, config: Pick<Settings, 'minFreeBytes'>): Promise<Measure> {
  return { store: await storeBytes(store), free: config.minFreeBytes > 0 ? await probe.freeBytes(store.dir) : Number.MAX_SAFE_INTEGER };
}

async function trashTotal(store: Store): Promise<number> {
  let total = 0;
  for (const op of await listOps(store)) if (holdsTrash(op)) total += await trashBytes(store, op.id);
  return total;
}

export interface BudgetOptions {
  readonly signal?: AbortSignal | undefined;
  /** The engines that make room; the real ones unless a test passes its own. */
  readonly actions?: BudgetActions;
  /** Commits in the store, to size the suggested `forget --keep-last N` (absent: no N is suggested). */
  readonly commits?: number;
}

/**
 * Makes sure a write of up to `need` bytes keeps the budget, under the
 * caller's write lock. Returns undefined when it fits as is (or no budget is
 * set), a report of what was emptied and forgotten to make it fit, or throws
 * OVER_BUDGET naming the setting, the figures and the forget that would make
 * room.
 */
export async function ensureBudget(store: Store, config: Settings, need: number, opts: BudgetOptions = {}): Promise<BudgetReport | undefined> {
  if (config.maxStoreBytes <= 0 && config.minFreeBytes <= 0) return undefined;
  const first = await measure(store, config);
  const short = shortfall(config, first, need);
  if (!short) return undefined;
  const policy = config.autoForget ? await readRetentionFile(store.dir) : undefined;
  const trash = await trashTotal(store);
  // Without a forget to follow, emptying the trash is worth it only when it is enough.
  if (!policy && trash < short.bytes) throw overBudget(short, trash, config, first, need, opts.commits);

  const actions = opts.actions ?? defaultActions();
  const why = `a commit needs room (${short.setting})`;
  let trashOps = 0;
  let trashFreed = 0;
  const purge = async (bytes: number): Promise<void> => {
    const r = await actions.purgeTrash(store, bytes, why);
    trashOps += r.operations;
    trashFreed += r.bytesFreed;
  };
  if (trash > 0) await purge(Math.min(trash, short.bytes));
  let now = await measure(store, config);
  let left = shortfall(config, now, need);
  let plan: ForgetPlan | undefined;
  if (left && policy) {
    plan = await actions.forget(store, policy, opts.signal);
    now = await measure(store, config);
    left = shortfall(config, now, need);
    // What the forget removed sits in its trash, still counted: empty it (the forget's own included) while room is short.
    if (left) {
      await purge(left.bytes);
      now = await measure(store, config);
      left = shortfall(config, now, need);
    }
  }
  const freed = Math.max(0, first.store - now.store);
  const forgotten = plan?.forgotten ?? 0;
  const did = [
    trashOps > 0 ? `emptied the trash of ${trashOps} operation(s) (${humanBytes(trashFreed)}, oldest first; those can no longer be undone)` : '',
    plan ? (forgotten > 0 ? `forgot ${forgotten} version(s) by the stored policy (${policyText(policy!)})${plan.op ? `, operation ${plan.op}` : ''}` : `applied the stored policy (${policyText(policy!)}), which forgets nothing more`) : '',
  ].filter(Boolean).join(' and ');
  if (left) {
    const err = overBudget(left, 0, config, now, need, opts.commits, policy);
    throw new WeightlineError('OVER_BUDGET', `${err.message}${did ? ` (to make room it ${did}; the store now holds ${humanBytes(now.store)})` : ''}`, store.dir);
  }
  return {
    setting: short.setting, needBytes: need, trashOperations: trashOps, trashBytes: trashFreed, forgotten,
    ...(plan?.op ? { forgetOp: plan.op } : {}), bytesFreed: freed,
    note: `${short.text}: ${did || 'made room'}; the store now holds ${humanBytes(now.store)}`,
  };
}

/**
 * The stored policy applied after a cleanup (autoForget on and retention.json
 * holding a policy), under the caller's lock; undefined when either is
 * missing. `weightline cleanup` (verbs/cleanup.ts) does the same with forget's
 * own lock.
 */
export async function autoForgetLocked(store: Store, config: Pick<Settings, 'autoForget'>, signal: AbortSignal | undefined, actions?: BudgetActions): Promise<AutoForgetReport | undefined> {
  if (!config.autoForget) return undefined;
  const policy = await readRetentionFile(store.dir);
  if (!policy) return undefined;
  const plan = await (actions ?? defaultActions()).forget(store, policy, signal);
  return autoForgetReport(policy, plan);
}

export function autoForgetReport(policy: RetentionPolicy, plan: ForgetPlan): AutoForgetReport {
  return { policy: policyText(policy), forgotten: plan.forgotten, ...(plan.op ? { op: plan.op } : {}), bytesFreed: plan.bytesFreed };
}

function overBudget(s: Shortfall, trash: number, config: Settings, m: Measure, need: number, commits: number | undefined, policy?: RetentionPolicy): WeightlineError {
  const trashNote = trash > 0 ? `; emptying the trash (${humanBytes(trash)}) would not be enough, so it was left as it is` : '';
  // About how many versions to keep so the store shrinks by what is short, at the store's average bytes per version.
  const keep = commits && commits > 1 ? Math.max(1, commits - Math.ceil(s.bytes / Math.max(1, m.store / commits))) : null;
  const forget = `\`weightline forget --keep-last ${keep ?? 'N'} --dry-run\` shows exactly what keeping the newest ${keep ?? 'N'}${commits ? ` of ${commits}` : ''} versions frees`;
  let fix: string;
  if (config.autoForget && policy) fix = `the stored policy (${policyText(policy)}) keeps more than fits; ${forget}, and \`weightline forget --keep-last ${keep ?? 'N'} --save\` stores it as the policy`;
  else if (config.autoForget) fix = `autoForget is on but no retention policy is stored: ${forget}, and \`weightline forget --keep-last ${keep ?? 'N'} --save\` stores it as the policy`;
  else fix = `${forget}, then run it without --dry-run (or store a policy with --save and \`weightline config autoForget true\` to do it automatically)`;
  const raise = s.setting === 'maxStoreBytes' ? `raise maxStoreBytes (\`weightline config maxStoreBytes ${roundedUp(m.store + need)}\` would hold this commit)` : 'free space on the disk, or lower minFreeBytes';
  return new WeightlineError('OVER_BUDGET', `${s.text}, short by ${humanBytes(s.bytes)}${trashNote}; nothing was written; to make room: ${fix}; or ${raise}`);
}

/** A size as config takes it, rounded up to a whole number of its unit (812K, 3G). */
function roundedUp(n: number): string {
  let u = 0;
  while (u < 5 && n / 1024 ** u >= 1024) u++;
  return u === 0 ? String(n) : `${Math.ceil(n / 1024 ** u)}${'BKMGTP'[u]}`;
}
