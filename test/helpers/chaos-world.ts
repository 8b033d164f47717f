// The chaos test's world: a real store driven through the engine's core API
// (and the real CLI in a child process for kill -9), with the test's OWN truth:
// for every commit id, the sha256 of the bytes that were committed. Manifests
// are read only to know which files a version's usual route goes through (for
// damage attribution and to skip re-probing versions whose route did not
// change); they never give an expected value.
//
// "Restorable" = `restore <id> --to <scratch on another folder> --link copy
// --force` gives exactly the committed bytes. When restore refuses for a reason
// that is not lost bytes (a damaged metadata file, a full disk, the lock), the
// engine's verified read path (readVersion, as restore uses) decides, and the refusal is a finding.

import { DEFAULT_SETTINGS } from '../../src-shared/policy/settings';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { WeightlineError } from '../../src-shared/errors';
import type { RepairResult, VerifyResult } from '../../src-shared/model';
import { cleanup } from '../../src-main/core/ops/cleanup';
import { commit } from '../../src-main/core/ops/commit';
import { setPinned } from '../../src-main/core/ops/pin';
import { restore } from '../../src-main/core/ops/restore';
import { verify } from '../../src-main/core/ops/verify';
import { DELTA_ENCODING } from '../../src-main/core/codec/encoding';
import { readVersion } from '../../src-main/core/rebuild/open';
import { Store } from '../../src-main/core/store/store';
import { rng, type TestTensor } from './models';
import { baseModel, changeModel, dataStart, modelBytes, parseSafetensors, sha256, writeReplacing, type ModelChange } from './chaos-model';
import { describeStep, type ChaosLink, type DamageHow, type KillOp, type Step } from './chaos-steps';
import { TSX_EXEC_ARGV } from './tsx';
import { fillDisk } from './fill-disk';

/** A broken promise of the engine, found by the chaos test. */
export class ChaosViolation extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChaosViolation';
  }
}

const FILE_NAMES = ['model.safetensors', 'model-b.safetensors', 'sub/model-c.safetensors'] as const;
const SIDE = (k: number): string => `side-${k}.safetensors`;
/** Store files that are not content: damage to them must never lose a version. */
const META_FILES = ['HEAD', 'pins.json', 'links.json', 'config.json', 'index.json', 'log-index.json', 'format.json'] as const;
/** Codes that say the version's bytes are gone or damaged (as opposed to a refusal to act). */
const LOSS_CODES = new Set(['CORRUPT', 'BROKEN_CHAIN', 'NOT_FOUND', 'UNSAFE_PATH']);
const WRONG_SHAPES = ['null', '[]', '{}', '"x"', '42', '{"commit":5}', '{"maxChainLength":"sixteen"}', '{"autoCleanup":"false"}', '[1,2,3]', '{"a":{"commit":null}}', '{"keepFullLatest":-1}'];
const HEX64 = /^[0-9a-f]{64}$/;

interface Probe { readonly ok: boolean; readonly detail: string }

/** What a step did to stored bytes on purpose: the versions allowed to be lost by it. */
interface Damage { readonly what: string; readonly affected: ReadonlySet<string> }

interface LiteFile {
  readonly path: string;
  readonly sha256: string;
  readonly delta: { readonly object: string | null; readonly basePath: string | null } | null;
}
interface LiteManifest { readonly parent: string | null; readonly type: string; readonly files: readonly LiteFile[] }

export interface ChaosWorldOptions {
  /** Folder the store lives in (created if needed); may be a small tmpfs. */
  readonly root: string;
  /** Scratch folder for probe restores, on another file system than a tmpfs root. */
  readonly probeDir: string;
  readonly cliEntry: string;
  readonly seed?: number;
  /** Log every step and its outcome (WEIGHTLINE_CHAOS_VERBOSE). */
  readonly verbose?: boolean;
}

export function isWeightlineError(e: unknown): e is WeightlineError {
  return e instanceof WeightlineError || (e as { name?: string } | null)?.name === 'WeightlineError';
}

export class ChaosWorld {
  readonly root: string;
  readonly dir: string;
  /** commit id → sha256 of the bytes committed (the test's own truth). */
  readonly truth = new Map<string, string>();
  /** Known commit ids in the order they appeared; "#k" in messages. */
  readonly order: string[] = [];
  /** commit id → the path it was committed from (relative to root). */
  readonly fileOf = new Map<string, string>();
  /** Latest probe of every known version. */
  readonly status = new Map<string, Probe>();
  /** Versions lost by a damaging step (allowed), with the step. */
  readonly lostBy = new Map<string, string>();
  /** Non-fatal problems of the engine found on the way: reported at the end of a run (one per kind). */
  readonly findings = new Map<string, string>();
  /** Information (not failures). */
  readonly notes: string[] = [];
  readonly trace: string[] = [];

  private model: TestTensor[];
  private readonly probeKeys = new Map<string, string>();
  private readonly manifests = new Map<string, { sig: string; m: LiteManifest | null }>();
  private readonly objectHashes = new Map<string, { sig: string; sha: string | null }>();
  /** Paths a hard link or symlink restore wrote (candidates for in-place writes). */
  private readonly linkCandidates: string[] = [];
  /** Restored links that must keep their bytes: path → object name they share. */
  private readonly linked = new Map<string, string>();
  private probeCount = 0;
  private stepIndex = -1;
  private readonly durations: Record<KillOp, number> = { commit: 2500, cleanup: 2000, restore: 2000 };

  private constructor(private readonly opts: ChaosWorldOptions) {
    this.root = path.resolve(opts.root);
    this.dir = path.join(this.root, '.weightline');
    this.model = baseModel(opts.seed ?? 1);
  }

  /** A store with one first commit (a CHECKPOINT), already probed. */
  static async create(opts: ChaosWorldOptions): Promise<ChaosWorld> {
    const w = new ChaosWorld(opts);
    await fs.mkdir(w.root, { recursive: true });
    await fs.mkdir(opts.probeDir, { recursive: true });
    await Store.init(w.root);
    const bytes = modelBytes(w.model);
    await writeReplacing(path.join(w.root, FILE_NAMES[0]), bytes);
    const res = await commit(await Store.open(w.root), path.join(w.root, FILE_NAMES[0]), { message: 'first' });
    w.learn(res.id, sha256(bytes), FILE_NAMES[0]);
    w.trace.push(`setup: first commit #0 ${res.id.slice(0, 12)}`);
    await w.probeAll(true);
    return w;
  }

  // ---------------------------------------------------------------- running

  async run(steps: readonly Step[]): Promise<void> {
    for (const [i, s] of steps.entries()) await this.step(i, s);
  }

  async step(i: number, s: Step): Promise<void> {
    this.stepIndex = i;
    const before = new Map(this.status);
    const known = new Set(this.order);
    const desc = `step ${i} (${describeStep(s)})`;
    let damage: Damage | null = null;
    let outcome = '';
    switch (s.t) {
      case 'commit':
        outcome = await this.doCommit(FILE_NAMES[s.file % FILE_NAMES.length]!, s.change, s.seed, s.checkpoint);
        break;
      case 'branch': {
        const id = this.pickId(s.pick);
        if (!id) { outcome = 'no commit'; break; }
        const rel = this.fileOf.get(id)!;
        const r = await this.engine('restore (branch)', async () => restore(await this.open(), id, { link: 'copy', force: true }));
        await this.refreshLink(path.join(this.root, rel));
        if (!r.ok) { outcome = `restore #${this.num(id)} refused: ${r.error.code}`; break; }
        await this.adoptWorkingModel(rel);
        outcome = `restored #${this.num(id)}; ` + await this.doCommit(rel, s.change, s.seed, false);
        break;
      }
      case 'restore':
        outcome = await this.doRestore(s.pick, s.link, s.side, s.force);
        break;
      case 'write': {
        const r = await this.doWrite(s.target, s.how, s.seed);
        outcome = r.outcome;
        damage = r.damage;
        break;
      }
      case 'pin': {
        const id = this.pickId(s.pick);
        if (!id) { outcome = 'no commit'; break; }
        const pinsBad = await this.damagedMeta('pins.json');
        const r = await this.engine(s.pinned ? 'pin' : 'unpin', async () => setPinned(await this.open(), id, s.pinned));
        if (r.ok && pinsBad) this.finding('pin-on-damaged-pins', `${desc}: ${s.pinned ? 'pin' : 'unpin'} succeeded over a damaged pins.json (${pinsBad}); it must refuse with CORRUPT naming the file`);
        outcome = r.ok ? `${s.pinned ? 'pinned' : 'unpinned'} #${this.num(id)}` : `refused: ${r.error.code}`;
        break;
      }
      case 'config': {
        const r = await this.engine('writeConfig', async () => (await this.open()).writeConfig({ ...DEFAULT_SETTINGS, maxChainLength: s.maxChainLength, maxRouteRead: s.maxRouteRead, keepFullLatest: s.keepFullLatest, autoCleanup: s.autoCleanup }));
        outcome = r.ok ? 'written' : `refused: ${r.error.code}`;
        break;
      }
      case 'cleanup': {
        const bad = (await this.damagedMeta('pins.json')) ?? (await this.damagedMeta('links.json')) ?? (await this.damagedMeta('config.json'));
        const r = await this.engine('cleanup', async () => cleanup(await this.open()));
        if (r.ok && bad && r.value.bytesFreed > 0) this.finding('cleanup-on-damaged-meta', `${desc}: cleanup deleted ${r.value.bytesFreed} bytes over a damaged store file (${bad}); it must refuse with CORRUPT naming the file`);
        outcome = r.ok ? `freed ${r.value.bytesFreed} bytes (${r.value.commits.length} commits)` : `refused: ${r.error.code}`;
        break;
      }
      case 'damage': {
        const r = await this.doDamage(s);
        outcome = r.outcome;
        damage = r.damage;
        break;
      }
      case 'fill':
        outcome = await this.doFill(s.leaveKb);
        break;
      case 'kill':
        outcome = await this.doKill(s.op, s.frac, s.pick, s.link, s.seed);
        break;
    }
    this.trace.push(`${desc}: ${outcome}`);
    if (this.opts.verbose) console.log(`[chaos] ${desc}: ${outcome}`);
    await this.reconcile(s, known, desc);
    // After damage everything is probed again: a version's restore may read more than its own route (the whole graph).
    await this.probeAll(s.t === 'damage' || s.t === 'write', i);
    this.checkVersions(desc, before, known, damage);
    await this.checkLinks(desc, damage !== null);
  }

  /** Runs one engine call: a WeightlineError is an allowed outcome, anything else is a bug. */
  async engine<T>(what: string, fn: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: WeightlineError }> {
    try {
      return { ok: true, value: await fn() };
    } catch (e) {
      if (e instanceof ChaosViolation) throw e;
      if (isWeightlineError(e) && e.code !== 'INTERNAL') return { ok: false, error: e };
      throw this.violation(`${what} threw ${isWeightlineError(e) ? 'an INTERNAL error' : 'an error that is not a WeightlineError'} (a bug; only WeightlineErrors with a code are allowed): ${(e as Error)?.stack ?? String(e)}`);
    }
  }

  private async open(): Promise<Store> {
    return Store.open(this.root);
  }

  // ---------------------------------------------------------------- steps

  private async doCommit(rel: string, change: ModelChange, seed: number, checkpoint: boolean): Promise<string> {
    const abs = path.join(this.root, rel);
    const next = changeModel(this.model, change, seed);
    const bytes = modelBytes(next);
    const sha = sha256(bytes);
    try {
      await writeReplacing(abs, bytes);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOSPC') return 'the test could not write the model (disk full)';
      throw e;
    }
    this.linked.delete(abs);
    this.model = next;
    const head = await this.headState();
    const config = await this.configState();
    const idsBefore = new Set(await this.commitIds());
    const r = await this.engine('commit', async () => commit(await this.open(), abs, { message: `chaos ${this.stepIndex}`, ...(checkpoint ? { checkpoint } : {}) }));
    const created = (await this.commitIds()).filter((id) => !idsBefore.has(id));
    for (const id of created) this.learn(id, sha, rel);
    if (r.ok) {
      if (!created.includes(r.value.id)) throw this.violation(`commit reported ${r.value.id.slice(0, 12)}, which is not a new manifest in commits/`);
      if (head.damaged) {
        this.finding('commit-on-damaged-head', `step ${this.stepIndex}: commit succeeded over a damaged HEAD (${head.damaged}) and made ${r.value.id.slice(0, 12)} with parent ${String(r.value.parent).slice(0, 12)}; it must refuse with CORRUPT naming HEAD`);
      } else if (head.id && this.fileOf.get(head.id) === rel ? r.value.parent !== head.id : r.value.parent !== null && this.fileOf.get(r.value.parent) !== rel) {
        // Each path has its own line (docs/STORE-FORMAT.md, "Lines of history"): HEAD when HEAD is a commit of this path, else a commit of this path.
        this.finding('commit-parent', `step ${this.stepIndex}: commit of ${rel} made ${r.value.id.slice(0, 12)} with parent ${String(r.value.parent).slice(0, 12)} (of ${r.value.parent ? this.fileOf.get(r.value.parent) ?? '?' : 'none'}), but HEAD was ${String(head.id).slice(0, 12)} (of ${head.id ? this.fileOf.get(head.id) ?? '?' : 'none'})`);
      }
      if (config) this.finding('commit-on-damaged-config', `step ${this.stepIndex}: commit succeeded over a damaged config.json (${config}); it must refuse with CORRUPT naming the file`);
      return `${r.value.type} #${this.num(r.value.id)} ${r.value.id.slice(0, 12)} (parent ${r.value.parent ? `#${this.num(r.value.parent)}` : 'none'})`;
    }
    if (created.length > 0 && /nothing (was )?changed|as it was|as before/i.test(r.error.message)) {
      this.finding('commit-failed-but-visible', `step ${this.stepIndex}: commit failed with "${r.error.message}" but commit ${created[0]!.slice(0, 12)} became visible`);
    }
    return `refused: ${r.error.code} ${r.error.message.slice(0, 160)}${created.length ? ` (yet ${created.length} new commit(s) visible)` : ''}`;
  }

  private async doRestore(pick: number, link: ChaosLink, side: number | null, force: boolean): Promise<string> {
    const id = this.pickId(pick);
    if (!id) return 'no commit';
    const rel = side === null ? this.fileOf.get(id)! : SIDE(side);
    const target = path.join(this.root, rel);
    const r = await this.engine('restore', async () => restore(await this.open(), id, { link, force, ...(side === null ? {} : { to: target }) }));
    await this.refreshLink(target);
    if (!r.ok) return `refused: ${r.error.code} ${r.error.message.slice(0, 160)}`;
    if ((link === 'hardlink' || link === 'symlink') && !this.linkCandidates.includes(target)) this.linkCandidates.push(target);
    if (side === null) await this.adoptWorkingModel(rel);
    return `restored #${this.num(id)} to ${rel} (linked ${r.value.link?.linked ?? 0})`;
  }

  /** A program writes into a restored file in place (through a hard link or symlink when it still is one). */
  private async doWrite(target: number, how: 'patch' | 'overwrite', seed: number): Promise<{ outcome: string; damage: Damage | null }> {
    if (this.linkCandidates.length === 0) return { outcome: 'no linked file yet', damage: null };
    const file = this.linkCandidates[target % this.linkCandidates.length]!;
    const object = await this.sharedObject(file);
    const affected = object ? await this.dependents(object) : new Set<string>();
    const rand = rng(seed);
    if (how === 'patch') {
      let h: fs.FileHandle;
      try { h = await fs.open(file, 'r+'); } catch { return { outcome: `${path.basename(file)} is gone`, damage: null }; }
      try {
        const st = await h.stat();
        if (st.size === 0) return { outcome: 'empty file', damage: null };
        const head = Buffer.alloc(Math.min(st.size, 1 << 16));
        await h.read(head, 0, head.length, 0);
        const start = Math.min(dataStart(head), st.size - 1);
        const at = start + Math.floor(rand() * (st.size - start));
        const n = Math.min(1 + Math.floor(rand() * 16), st.size - at);
        const cur = Buffer.alloc(n);
        await h.read(cur, 0, n, at);
        for (let k = 0; k < n; k++) cur[k] = cur[k]! ^ (1 + Math.floor(rand() * 255));
        await h.write(cur, 0, n, at);
      } finally {
        await h.close();
      }
    } else {
      // cp other.pt linked.pt / torch.save(path): truncate and rewrite the same inode.
      await fs.writeFile(file, modelBytes(changeModel(this.model, 'dense', seed)));
    }
    this.untrackSharing(object, file);
    const rel = path.relative(this.root, file);
    if (!object) return { outcome: `${rel} is no longer a link: wrote the user's own file`, damage: null };
    const name = path.relative(this.dir, object);
    return { outcome: `${how} of ${rel} wrote through into ${name} (versions ${this.nums(affected)} use it)`, damage: { what: `in-place ${how} of ${rel} into ${name}`, affected } };
  }

  private async doDamage(s: Extract<Step, { t: 'damage' }>): Promise<{ outcome: string; damage: Damage | null }> {
    const { target, how, seed } = s;
    let where = s.where;
    let files: string[];
    if (s.file !== undefined || s.of !== undefined) {
      const id = s.of !== undefined ? this.order[s.of] : undefined;
      if (s.of !== undefined && !id) return { outcome: `no commit #${s.of}`, damage: null };
      const m = id ? await this.manifest(id) : null;
      const file = s.file !== undefined ? path.join(this.dir, s.file) : id && s.where === 'manifest' ? this.manifestPath(id) : m ? this.objectPath(m.files[0]!.sha256) : null;
      if (!file || !(await exists(file))) return { outcome: `${s.file ?? `full object of #${s.of}`} does not exist`, damage: null };
      files = [file];
      const rel = path.relative(this.dir, file);
      where = rel.startsWith('objects') ? 'object' : rel.startsWith('commits') ? 'manifest' : 'meta';
    } else if (where === 'object') files = await this.objectFiles();
    else if (where === 'manifest') files = (await this.commitIds()).sort().map((id) => this.manifestPath(id));
    else {
      files = [];
      for (const m of META_FILES) if (await exists(path.join(this.dir, m))) files.push(path.join(this.dir, m));
    }
    if (files.length === 0) return { outcome: `no ${where} file`, damage: null };
    const file = files[target % files.length]!;
    const name = path.relative(this.dir, file);
    const isFormat = name === 'format.json';
    const affected = where === 'meta' ? new Set<string>() : await this.dependents(file);
    const original = await fs.readFile(file);
    await applyDamage(file, original, how, seed, s.json);
    if (where === 'object') this.untrackSharing(file, file);
    if (isFormat) {
      // The store cannot be opened: every command must say so with a code, and
      // init (the user's reflex) must not reset the store's settings.
      const config = await fs.readFile(path.join(this.dir, 'config.json')).catch(() => null);
      const id = this.order[seed % this.order.length]!;
      await this.engine('restore over a damaged format.json', async () => restore(await this.open(), id, { to: path.join(this.opts.probeDir, 'format-probe.safetensors'), link: 'copy', force: true }));
      await fs.rm(path.join(this.opts.probeDir, 'format-probe.safetensors'), { force: true });
      if (how === 'delete') {
        await this.engine('init over a deleted format.json', async () => Store.init(this.root));
        const after = await fs.readFile(path.join(this.dir, 'config.json')).catch(() => null);
        if (config && after && !config.equals(after)) {
          this.finding('init-resets-config', `step ${this.stepIndex}: "init" over a store whose format.json was deleted rewrote config.json (${config.toString().trim()} → ${after.toString().trim()}); it must not reset an existing store's settings`);
          await fs.writeFile(path.join(this.dir, 'config.json'), config);
        }
      }
      // The user restores format.json as told; nothing may be lost by the episode.
      await fs.writeFile(file, original);
      return { outcome: `${how} format.json (checked the refusal, then put it back)`, damage: null };
    }
    return {
      outcome: `${how} ${name} (versions ${this.nums(affected)} use it)`,
      damage: { what: `${how} of ${name}`, affected },
    };
  }

  /** The store's disk fills up (another program's file beside the store root); null frees it again. */
  private async doFill(leaveKb: number | null): Promise<string> {
    return fillDisk(this.root, leaveKb);
  }

  private async doKill(op: KillOp, frac: number, pick: number, link: 'auto' | 'copy' | 'hardlink' | 'symlink', seed: number): Promise<string> {
    let args: string[];
    let sha: string | null = null;
    let rel: string = FILE_NAMES[0];
    if (op === 'commit') {
      const next = changeModel(this.model, seed % 3 === 0 ? 'sparse' : 'dense', seed);
      const bytes = modelBytes(next);
      try { await writeReplacing(path.join(this.root, rel), bytes); } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOSPC') return 'the test could not write the model (disk full)';
        throw e;
      }
      this.linked.delete(path.join(this.root, rel));
      this.model = next;
      sha = sha256(bytes);
      args = ['commit', rel, '-m', `killed ${this.stepIndex}`];
    } else if (op === 'cleanup') {
      args = ['cleanup'];
    } else {
      const id = this.pickId(pick);
      if (!id) return 'no commit';
      rel = this.fileOf.get(id)!;
      args = ['restore', id, '--force', '--link', link];
    }
    const idsBefore = new Set(await this.commitIds());
    const delay = Math.floor(frac * this.durations[op]);
    const res = await runCli(this.opts.cliEntry, this.root, args, delay);
    if (!res.killed) this.durations[op] = Math.max(300, res.ms);
    if (!res.killed && res.code !== 0 && /internal error/i.test(res.stderr)) {
      throw this.violation(`weightline ${args.join(' ')} failed with an internal error (a bug): ${res.stderr.trim()}`);
    }
    const created = (await this.commitIds()).filter((id) => !idsBefore.has(id));
    if (op === 'commit') for (const id of created) this.learn(id, sha!, rel);
    if (op === 'restore') {
      await this.refreshLink(path.join(this.root, rel));
      if ((link === 'hardlink' || link === 'symlink') && !this.linkCandidates.includes(path.join(this.root, rel))) this.linkCandidates.push(path.join(this.root, rel));
      await this.adoptWorkingModel(rel);
    }
    const how = res.killed ? `killed after ${delay} ms` : `ran to the end in ${res.ms} ms (exit ${res.code})`;
    return `${args[0]} ${how}${created.length ? `; new commits ${created.map((c) => `#${this.num(c)}`).join(', ')}` : ''}${res.code && !res.killed ? `: ${res.stderr.trim().split('\n').pop()}` : ''}`;
  }

  // ---------------------------------------------------------------- probing

  /** Re-probes every version whose route's files changed since its last probe (all of them when forced), plus one at random. */
  async probeAll(force = false, salt = 0): Promise<void> {
    const always = this.order.length ? this.order[(salt * 7919 + this.order.length) % this.order.length] : undefined;
    for (const id of this.order) {
      const key = await this.routeKey(id);
      if (!force && id !== always && this.status.has(id) && this.probeKeys.get(id) === key) continue;
      this.status.set(id, await this.probe(id));
      this.probeKeys.set(id, key);
    }
  }

  /** Restores one version with --to a scratch file in copy mode and compares with the truth. */
  async probe(id: string): Promise<Probe> {
    const to = path.join(this.opts.probeDir, `probe-${process.pid}-${this.probeCount++}.safetensors`);
    try {
      await restore(await this.open(), id, { to, link: 'copy', force: true });
      const got = sha256(await fs.readFile(to));
      if (got !== this.truth.get(id)) {
        throw this.violation(`restore of #${this.num(id)} ${id.slice(0, 12)} succeeded but gave wrong bytes (sha256 ${got.slice(0, 12)}, committed ${this.truth.get(id)!.slice(0, 12)})`);
      }
      return { ok: true, detail: 'restored' };
    } catch (e) {
      if (e instanceof ChaosViolation) throw e;
      if (!isWeightlineError(e) || e.code === 'INTERNAL') {
        throw this.violation(`restore of #${this.num(id)} ${id.slice(0, 12)} --to a scratch file threw ${isWeightlineError(e) ? 'INTERNAL' : 'a non-WeightlineError'} (a bug): ${(e as Error)?.stack ?? String(e)}`);
      }
      if (LOSS_CODES.has(e.code) && !this.isMetaPath(e.file)) return { ok: false, detail: `${e.code}: ${e.message}` };
      // Refused for a reason that is not the version's bytes: the read path decides.
      const read = await this.readProbe(id);
      // A CORRUPT naming a damaged metadata file is a proper refusal (the file, what was expected, what to do).
      if (read.ok && e.code === 'CORRUPT') this.notes.push(`step ${this.stepIndex}: restore refused over a damaged ${path.relative(this.dir, e.file ?? '')}: ${e.message.slice(0, 200)}`);
      else if (read.ok) this.finding(`restore-refused-${e.code}`, `step ${this.stepIndex}: restore of #${this.num(id)} --to a scratch file on another disk refused with ${e.code} ("${e.message}") although its bytes are intact`);
      return read;
    } finally {
      await fs.rm(to, { force: true }).catch(() => undefined);
    }
  }

  /** Rebuilds a version through the engine's read path without writing anything. */
  async readProbe(id: string): Promise<Probe> {
    try {
      const store = await this.open();
      const m = await store.readManifest(id);
      // The verified read path restore uses: routes are tried until one gives the committed bytes.
      const hash = createHash('sha256');
      for (const f of m.files) {
        let good: Buffer[] = [];
        await readVersion(store, id, f, async (src) => {
          const one = createHash('sha256');
          const seen: Buffer[] = [];
          for await (const chunk of src.chunks()) { one.update(chunk); seen.push(Buffer.from(chunk)); }
          good = seen;
          return one.digest('hex');
        });
        for (const chunk of good) hash.update(chunk);
      }
      const got = hash.digest('hex');
      return got === this.truth.get(id) ? { ok: true, detail: 'read path' } : { ok: false, detail: `read path rebuilt sha256 ${got.slice(0, 12)}` };
    } catch (e) {
      if (!isWeightlineError(e) || e.code === 'INTERNAL') {
        throw this.violation(`rebuilding #${this.num(id)} ${id.slice(0, 12)} threw ${isWeightlineError(e) ? 'INTERNAL' : 'a non-WeightlineError'} (a bug): ${(e as Error)?.stack ?? String(e)}`);
      }
      return { ok: false, detail: `${e.code}: ${e.message}` };
    }
  }

  // ---------------------------------------------------------------- checks

  private checkVersions(desc: string, before: ReadonlyMap<string, Probe>, known: ReadonlySet<string>, damage: Damage | null): void {
    for (const id of this.order) {
      const now = this.status.get(id)!;
      if (now.ok) continue;
      const was = before.get(id);
      if (!known.has(id)) {
        if (damage?.affected.has(id)) continue;
        throw this.violation(`${desc} made commit #${this.num(id)} ${id.slice(0, 12)} visible, but it does not restore: ${now.detail}`);
      }
      if (!was?.ok) continue;
      if (damage?.affected.has(id)) { this.lostBy.set(id, desc); continue; }
      throw this.violation(
        `version #${this.num(id)} ${id.slice(0, 12)} was restorable before ${desc} and is not after: ${now.detail}` +
        (damage ? `\n(the step damaged bytes on purpose: ${damage.what}; only versions ${this.nums(damage.affected)} use them)` : '\n(the step damaged nothing: no version may be lost)'),
      );
    }
  }

  /** Files restored as hard links or symlinks keep their bytes unless a step wrote into them. */
  private async checkLinks(desc: string, damaging: boolean): Promise<void> {
    for (const [file, object] of [...this.linked]) {
      let got: string;
      try { got = sha256(await fs.readFile(file)); } catch (e) { got = `(${(e as NodeJS.ErrnoException).code ?? 'unreadable'})`; }
      if (got === object) continue;
      this.linked.delete(file);
      if (damaging) continue;
      throw this.violation(`${desc}: the restored link ${path.relative(this.root, file)} (bytes of object ${object.slice(0, 12)}) lost its bytes: now ${got.slice(0, 16)}${got.startsWith('(') ? ' (dangling)' : ''}; a command must not delete what a standing link shows`);
    }
  }

  /** Commits that appeared from no commit step, and every new commit's truth. */
  private async reconcile(s: Step, known: ReadonlySet<string>, desc: string): Promise<void> {
    for (const id of await this.commitIds()) {
      if (!this.truth.has(id)) throw this.violation(`${desc}: commit ${id.slice(0, 12)} appeared in commits/ although no commit ran (${s.t})`);
      void known;
    }
  }

  violation(message: string): ChaosViolation {
    return new ChaosViolation(`${message}\n\nsteps so far:\n  ${this.trace.join('\n  ')}`);
  }

  finding(kind: string, message: string): void {
    if (!this.findings.has(kind)) this.findings.set(kind, message);
  }

  // ---------------------------------------------------------------- routes (from manifests read now)

  /** The files the usual route of a version goes through: its manifest, full objects, delta objects and ancestors' down to a full object on disk. */
  async routeFiles(id: string): Promise<Set<string>> {
    const out = new Set<string>();
    const m = await this.manifest(id);
    out.add(this.manifestPath(id));
    if (!m) return out;
    for (const f of m.files) await this.fileRoute(id, m, f, out, 0);
    return out;
  }

  private async fileRoute(id: string, m: LiteManifest, f: LiteFile, out: Set<string>, depth: number): Promise<void> {
    const full = this.objectPath(f.sha256);
    out.add(full);
    if (depth > 10_000) return;
    // A full object that is there but damaged (written into through a link)
    // does not end the route: the version then rebuilds from its chain.
    if (await this.objectIntact(f.sha256)) return;
    // Packed full parameters (cleanup packs CHECKPOINTs out of the hot set).
    for (const packed of await this.packsOf(f.sha256)) {
      out.add(this.objectPath(packed));
      if (await this.objectIntact(packed)) return;
    }
    if (!f.delta) return;
    if (f.delta.object) out.add(this.objectPath(f.delta.object));
    if (f.delta.basePath === null || !m.parent) return;
    out.add(this.manifestPath(m.parent));
    const pm = await this.manifest(m.parent);
    const pf = pm?.files.find((x) => x.path === f.delta!.basePath);
    if (pm && pf) await this.fileRoute(m.parent, pm, pf, out, depth + 1);
  }

  /**
   * Versions that may need this store file: those whose usual (forward) route
   * goes through it, and those whose forward route is already broken (they
   * restore, if at all, by another route, e.g. backward from a descendant's
   * full parameters, which may go through it).
   */
  async dependents(file: string): Promise<Set<string>> {
    const out = new Set<string>();
    for (const id of this.order) if ((await this.routeFiles(id)).has(file) || !(await this.intactRoute(id))) out.add(id);
    return out;
  }

  private async routeKey(id: string): Promise<string> {
    const parts: string[] = [];
    for (const f of [...(await this.routeFiles(id))].sort()) parts.push(`${f}:${await statSig(f)}`);
    return parts.join('|');
  }

  /**
   * Whether a version has an intact forward route, judged from bytes on disk:
   * its full object hashes to its name, or its delta object does and its base
   * file in the parent has an intact route. (Backward routes are not counted:
   * this is a lower bound of what repair must bring back.)
   */
  async intactRoute(id: string, filePath?: string, depth = 0): Promise<boolean> {
    const m = await this.manifest(id);
    if (!m || depth > 10_000) return false;
    const files = filePath === undefined ? m.files : m.files.filter((f) => f.path === filePath);
    if (files.length === 0) return false;
    for (const f of files) {
      if (await this.objectIntact(f.sha256)) continue;
      if (await this.packedIntact(f.sha256)) continue;
      if (!f.delta) return false;
      if (f.delta.object && !(await this.objectIntact(f.delta.object))) return false;
      if (f.delta.basePath === null) continue;
      if (!m.parent || !(await this.intactRoute(m.parent, f.delta.basePath, depth + 1))) return false;
    }
    return true;
  }

  /** Packed objects recorded for a full object (store/packs.ts: empty files named <full>.<packed>). */
  private async packsOf(full: string): Promise<string[]> {
    let names: string[];
    try { names = await fs.readdir(path.join(this.dir, 'packs')); } catch { return []; }
    return names.filter((n) => n.startsWith(`${full}.`) && /^[0-9a-f]{64}\.[0-9a-f]{64}$/.test(n)).map((n) => n.slice(65));
  }

  private async packedIntact(full: string): Promise<boolean> {
    for (const packed of await this.packsOf(full)) if (await this.objectIntact(packed)) return true;
    return false;
  }

  private async objectIntact(sha: string): Promise<boolean> {
    const file = this.objectPath(sha);
    const sig = await statSig(file);
    if (sig === 'missing') return false;
    const c = this.objectHashes.get(file);
    if (c && c.sig === sig) return c.sha === sha;
    let got: string | null = null;
    try { got = sha256(await fs.readFile(file)); } catch { got = null; }
    this.objectHashes.set(file, { sig, sha: got });
    return got === sha;
  }

  private async manifest(id: string): Promise<LiteManifest | null> {
    const file = this.manifestPath(id);
    const sig = await statSig(file);
    const c = this.manifests.get(id);
    if (c && c.sig === sig) return c.m;
    let m: LiteManifest | null = null;
    try {
      const bytes = await fs.readFile(file);
      if (sha256(bytes) === id) m = JSON.parse(bytes.toString('utf8')) as LiteManifest;
    } catch { m = null; }
    this.manifests.set(id, { sig, m });
    return m;
  }

  // ---------------------------------------------------------------- metadata as the store format defines it

  /** HEAD's state: damaged (why) or the commit it names. */
  private async headState(): Promise<{ damaged: string | null; id: string | null }> {
    const ids = await this.commitIds();
    let raw: string;
    try { raw = await fs.readFile(path.join(this.dir, 'HEAD'), 'utf8'); } catch {
      return ids.length ? { damaged: 'HEAD is missing while the store has commits', id: null } : { damaged: null, id: null };
    }
    let v: unknown;
    try { v = JSON.parse(raw); } catch { return { damaged: `HEAD does not parse: ${JSON.stringify(raw.slice(0, 60))}`, id: null }; }
    const c = (v as { commit?: unknown } | null)?.commit;
    if (typeof v !== 'object' || v === null || Array.isArray(v) || !('commit' in v)) return { damaged: `HEAD has the wrong shape: ${raw.trim().slice(0, 60)}`, id: null };
    if (c === null) return ids.length ? { damaged: 'HEAD names no commit while the store has commits', id: null } : { damaged: null, id: null };
    if (typeof c !== 'string' || !HEX64.test(c)) return { damaged: `HEAD has the wrong shape: ${raw.trim().slice(0, 60)}`, id: null };
    if (!ids.includes(c)) return { damaged: `HEAD names ${c.slice(0, 12)}, which is not in commits/`, id: null };
    return { damaged: null, id: c };
  }

  /** Why config.json is damaged (a value of the wrong type), or null. Missing keys read as defaults. */
  private async configState(): Promise<string | null> {
    let raw: string;
    try { raw = await fs.readFile(path.join(this.dir, 'config.json'), 'utf8'); } catch { return null; }
    let v: unknown;
    try { v = JSON.parse(raw); } catch { return `config.json does not parse: ${JSON.stringify(raw.slice(0, 60))}`; }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return `config.json is not an object: ${raw.trim().slice(0, 60)}`;
    const c = v as Record<string, unknown>;
    const badInt = (k: string, min: number): boolean => k in c && !(typeof c[k] === 'number' && Number.isInteger(c[k]) && (c[k] as number) >= min);
    if (badInt('maxChainLength', 1) || badInt('keepFullLatest', 0) || ('autoCleanup' in c && typeof c.autoCleanup !== 'boolean')) return `config.json holds a value of the wrong type: ${raw.trim().slice(0, 80)}`;
    return null;
  }

  /** Why a metadata file is damaged (pins.json: an array of ids; links.json: an object of records; config.json), or null. */
  private async damagedMeta(name: 'pins.json' | 'links.json' | 'config.json'): Promise<string | null> {
    if (name === 'config.json') return this.configState();
    let raw: string;
    try { raw = await fs.readFile(path.join(this.dir, name), 'utf8'); } catch { return null; }
    let v: unknown;
    try { v = JSON.parse(raw); } catch { return `${name} does not parse: ${JSON.stringify(raw.slice(0, 60))}`; }
    if (name === 'pins.json') {
      return Array.isArray(v) && v.every((x) => typeof x === 'string') ? null : `pins.json has the wrong shape: ${raw.trim().slice(0, 60)}`;
    }
    const ok = typeof v === 'object' && v !== null && !Array.isArray(v) &&
      Object.values(v).every((r) => typeof r === 'object' && r !== null && typeof (r as { sha256?: unknown }).sha256 === 'string' && typeof (r as { mode?: unknown }).mode === 'string');
    return ok ? null : `links.json has the wrong shape: ${raw.trim().slice(0, 60)}`;
  }

  // ---------------------------------------------------------------- links

  /** The object whose bytes this file shows (same inode, or a symlink to it, even dangling), or null. */
  private async sharedObject(file: string): Promise<string | null> {
    const l = await fs.lstat(file).catch(() => null);
    if (!l) return null;
    if (l.isSymbolicLink()) {
      const to = path.resolve(path.dirname(file), await fs.readlink(file));
      return to.startsWith(path.join(this.dir, 'objects') + path.sep) ? to : null;
    }
    for (const o of await this.objectFiles()) {
      const st = await fs.stat(o).catch(() => null);
      if (st && st.ino === l.ino && st.dev === l.dev) return o;
    }
    return null;
  }

  /** After a restore wrote `file`: track it when it is a link that shows an object's intact bytes. */
  private async refreshLink(file: string): Promise<void> {
    this.linked.delete(file);
    const object = await this.sharedObject(file);
    if (!object) return;
    const name = path.basename(path.dirname(object)) + path.basename(object);
    const got = await fs.readFile(file).then(sha256, () => null);
    if (got === name) this.linked.set(file, name);
  }

  private untrackSharing(object: string | null, file: string): void {
    this.linked.delete(file);
    if (!object) return;
    const name = path.basename(path.dirname(object)) + path.basename(object);
    for (const [p, o] of [...this.linked]) if (o === name) this.linked.delete(p);
  }

  // ---------------------------------------------------------------- small things

  /** Adds a commit the test made by other means to the truth. */
  learn(id: string, sha: string, rel: string): void {
    if (this.truth.has(id)) return;
    this.truth.set(id, sha);
    this.order.push(id);
    this.fileOf.set(id, rel);
  }

  private pickId(pick: number): string | null {
    return this.order.length ? this.order[pick % this.order.length]! : null;
  }

  private async adoptWorkingModel(rel: string): Promise<void> {
    const bytes = await fs.readFile(path.join(this.root, rel)).catch(() => null);
    const m = bytes ? parseSafetensors(bytes) : null;
    if (m) this.model = m;
  }

  num(id: string): number {
    return this.order.indexOf(id);
  }

  private nums(ids: ReadonlySet<string>): string {
    return ids.size ? [...ids].map((id) => `#${this.num(id)}`).join(', ') : 'none';
  }

  async commitIds(): Promise<string[]> {
    const names = await fs.readdir(path.join(this.dir, 'commits')).catch(() => [] as string[]);
    return names.filter((n) => /^[0-9a-f]{64}\.json$/.test(n)).map((n) => n.slice(0, 64));
  }

  private async objectFiles(): Promise<string[]> {
    const out: string[] = [];
    const base = path.join(this.dir, 'objects');
    for (const sub of (await fs.readdir(base).catch(() => [] as string[])).sort()) {
      if (!/^[0-9a-f]{2}$/.test(sub)) continue;
      for (const n of (await fs.readdir(path.join(base, sub)).catch(() => [] as string[])).sort()) if (/^[0-9a-f]{62}$/.test(n)) out.push(path.join(base, sub, n));
    }
    return out;
  }

  objectPath(sha: string): string {
    return path.join(this.dir, 'objects', sha.slice(0, 2), sha.slice(2));
  }

  manifestPath(id: string): string {
    return path.join(this.dir, 'commits', `${id}.json`);
  }

  /** A store file that is not content (HEAD, pins, links, config, caches, lock, format). */
  private isMetaPath(file: string | undefined): boolean {
    if (!file) return false;
    const rel = path.relative(this.dir, file);
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return false;
    return !rel.startsWith(`objects${path.sep}`) && !rel.startsWith(`commits${path.sep}`) && rel !== 'objects' && rel !== 'commits';
  }
}

// ---------------------------------------------------------------- verify and repair

export interface VerifyRepairOptions {
  /** `repair(store, {dryRun})` from src-main/core/ops/repair.ts, once it exists. */
  readonly repair?: (store: Store, opts: { dryRun?: boolean }) => Promise<RepairResult>;
}

/**
 * After a sequence: verify must never call a version ok (or restorable) that
 * does not restore; the other direction is reported as information until
 * verify's `restorable` is exact. With `repair`: a dry run changes nothing;
 * the run keeps every restorable version, brings back every version with an
 * intact route, and its per-commit outcome agrees with what restores.
 * Returns information lines.
 */
export async function checkVerifyAndRepair(w: ChaosWorld, opts: VerifyRepairOptions = {}): Promise<string[]> {
  const info: string[] = [];
  await w.probeAll(true);
  const v = await w.engine('verify', async () => verify(await Store.open(w.root)));
  if (!v.ok) {
    info.push(`verify refused: ${v.error.code} ${v.error.message}`);
  } else {
    checkVerify(w, v.value, info);
  }
  const intact = new Map<string, boolean>();
  for (const id of w.order) intact.set(id, await w.intactRoute(id));
  for (const id of w.order) {
    const p = w.status.get(id)!;
    if (!p.ok && intact.get(id)) info.push(`#${w.num(id)} ${id.slice(0, 12)} has an intact forward route (all its objects hash to their names) but does not restore: ${p.detail}`);
  }
  if (!opts.repair) return info;

  const before = new Map(w.status);
  const treeBefore = await treeSignature(w.dir);
  const dry = await w.engine('repair --dry-run', async () => opts.repair!(await Store.open(w.root), { dryRun: true }));
  const treeAfter = await treeSignature(w.dir);
  if (treeAfter !== treeBefore) throw w.violation('repair --dry-run changed files in the store');
  if (!dry.ok) info.push(`repair --dry-run refused: ${dry.error.code} ${dry.error.message}`);
  const r = await w.engine('repair', async () => opts.repair!(await Store.open(w.root), {}));
  if (!r.ok) throw w.violation(`repair refused: ${r.error.code} ${r.error.message}`);
  await w.probeAll(true);
  const outcome = new Map(r.value.commits.map((c) => [c.id as string, c]));
  for (const id of w.order) {
    const p = w.status.get(id)!;
    const label = `#${w.num(id)} ${id.slice(0, 12)}`;
    if (before.get(id)?.ok && !p.ok) throw w.violation(`repair lost ${label}: it restored before repair, not after (${p.detail})`);
    if (intact.get(id) && !p.ok) throw w.violation(`repair did not bring back ${label} although it has an intact route: ${p.detail}`);
    const o = outcome.get(id);
    if (!o) { if (p.ok) info.push(`repair does not list ${label}`); continue; }
    if (p.ok && o.outcome === 'lost') throw w.violation(`repair reports ${label} lost, but it restores`);
    if (!p.ok && o.outcome !== 'lost') throw w.violation(`repair reports ${label} ${o.outcome}, but it does not restore: ${p.detail}`);
  }
  const again = await w.engine('verify after repair', async () => verify(await Store.open(w.root)));
  if (again.ok) checkVerify(w, again.value, info);
  if (again.ok) await checkDeltasAfterRepair(w, again.value);
  return info;
}

function checkVerify(w: ChaosWorld, v: VerifyResult, info: string[]): void {
  const byId = new Map(v.commits.map((c) => [c.id as string, c]));
  for (const id of w.order) {
    const p = w.status.get(id)!;
    const c = byId.get(id);
    const label = `#${w.num(id)} ${id.slice(0, 12)}`;
    if (!p.ok) {
      if (c?.ok) throw w.violation(`verify says ${label} is ok, but it does not restore: ${p.detail}`);
      if (c?.restorable) throw w.violation(`verify says ${label} is restorable, but it does not restore: ${p.detail}`);
      if (!c) info.push(`verify does not list ${label} (not restorable: ${p.detail})`);
    } else if (!c) {
      info.push(`verify does not list ${label}, which restores`);
    } else if (!c.restorable) {
      info.push(`verify says ${label} is not restorable, but it restores (${c.error ?? ''})`);
    }
  }
}

// ---------------------------------------------------------------- helpers

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(() => true, () => false);
}

async function statSig(p: string): Promise<string> {
  const st = await fs.stat(p).catch(() => null);
  return st ? `${st.size}/${st.mtimeMs}/${st.ctimeMs}/${st.ino}` : 'missing';
}

async function treeSignature(dir: string): Promise<string> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of (await fs.readdir(d, { withFileTypes: true }).catch(() => [])).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.name !== 'index.json') out.push(`${path.relative(dir, p)}:${await statSig(p)}`);
    }
  };
  await walk(dir);
  return out.join('\n');
}


async function applyDamage(file: string, original: Buffer, how: DamageHow, seed: number, json?: string): Promise<void> {
  const rand = rng(seed);
  // Written in place (same inode), as a bad disk or a stray program would.
  const write = async (bytes: Uint8Array): Promise<void> => {
    await fs.chmod(file, 0o644).catch(() => undefined);
    await fs.writeFile(file, bytes);
  };
  switch (how) {
    case 'flip': {
      if (original.length === 0) { await write(Buffer.from('x')); return; }
      const b = Buffer.from(original);
      const at = Math.floor(rand() * b.length);
      b[at] = b[at]! ^ (1 << Math.floor(rand() * 8));
      await write(b);
      return;
    }
    case 'truncate':
      await write(original.subarray(0, Math.floor(rand() * original.length)));
      return;
    case 'delete':
      await fs.rm(file, { force: true });
      return;
    case 'garbage': {
      const n = original.length > 0 && rand() < 0.5 ? original.length : 1 + Math.floor(rand() * 64);
      const b = Buffer.alloc(n);
      for (let i = 0; i < n; i++) b[i] = Math.floor(rand() * 256);
      await write(b);
      return;
    }
    case 'json':
      await write(Buffer.from(json ?? WRONG_SHAPES[Math.floor(rand() * WRONG_SHAPES.length)]!));
      return;
  }
}

/** Runs the CLI from source in a child process; SIGKILL after killAfterMs. */
export function runCli(entry: string, cwd: string, args: readonly string[], killAfterMs: number | null): Promise<{ killed: boolean; code: number | null; ms: number; stderr: string }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...TSX_EXEC_ARGV, entry, ...args], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = killAfterMs === null ? null : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ killed: signal === 'SIGKILL', code, ms: Date.now() - started, stderr });
    });
  });
}

// ---------------------------------------------------------------- deltas after repair (issue 18)

/**
 * After repair, deltas agree with what restores: a delta written with the
 * current deterministic encoding whose version and base version both restore
 * is back on disk under its name (repair encoded it again), and verify does
 * not complain about it; verify sends the user to repair for a missing delta
 * only when both versions restore (else the advice would loop forever).
 */
export async function checkDeltasAfterRepair(w: ChaosWorld, v: VerifyResult): Promise<void> {
  const byId = new Map(v.commits.map((c) => [c.id as string, c]));
  for (const id of w.order) {
    let m: { parent: string | null; files: Array<{ path: string; delta: { object: string | null; basePath: string | null; encoding?: number } | null }> };
    try { m = JSON.parse(await fs.readFile(w.manifestPath(id), 'utf8')) as typeof m; } catch { continue; }
    const label = `#${w.num(id)} ${id.slice(0, 12)}`;
    const restores = !!w.status.get(id)?.ok;
    const parentRestores = m.parent !== null && !!w.status.get(m.parent)?.ok;
    const c = byId.get(id);
    for (const f of m.files) {
      const sha = f.delta?.object;
      if (!sha) continue;
      const short = sha.slice(0, 12);
      // A new file's delta stores every block: it needs no base.
      const baseRestores = f.delta!.basePath === null || parentRestores;
      if (restores && baseRestores && f.delta!.encoding === DELTA_ENCODING) {
        let got: string | null = null;
        try { got = sha256(await fs.readFile(w.objectPath(sha))); } catch { got = null; }
        if (got !== sha) throw w.violation(`after repair the delta object ${short} of ${label} is ${got === null ? 'missing' : 'damaged'}, although the version and its base restore (repair must encode it again)`);
        if (c?.error?.includes(short)) throw w.violation(`after repair verify still complains about the delta ${short} of ${label}, which is intact: ${c.error}`);
      }
      if (c?.error?.includes(`${short} is missing; "weightline repair" encodes it again`) && !(restores && baseRestores)) {
        throw w.violation(`verify tells the user to run repair for the delta ${short} of ${label}, but ${restores ? 'its base version' : 'the version'} does not restore, so repair cannot make it`);
      }
    }
  }
}
