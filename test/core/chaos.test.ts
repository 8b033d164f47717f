import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cleanup } from '../../src-main/core/ops/cleanup';
import { commit } from '../../src-main/core/ops/commit';
import { restore } from '../../src-main/core/ops/restore';
import { Store } from '../../src-main/core/store/store';
import { baseModel, changeModel, modelBytes, sha256, writeReplacing } from '../helpers/chaos-model';
import { sequenceArb, type Step, type StepMix } from '../helpers/chaos-steps';
import { repair } from '../../src-main/core/ops/repair';
import { ChaosWorld, checkVerifyAndRepair } from '../helpers/chaos-world';
import { useSuiteScratch } from '../helpers/models';

// Issue 10, "Nothing is lost": a chaos property test. Random sequences of
// commits (dense and sparse changes, tensors added and removed, new file
// names), branches, restores in every link mode, in-place writes into linked
// files, pins, config changes, cleanup and autoCleanup, damage to any store
// file, kill -9 of CLI commands and a disk that fills up. After every step,
// every version that restored bit-exact before the step still does, unless
// the step itself damaged bytes that version's route uses (see
// test/helpers/chaos-world.ts for what is checked and how).
//
// Knobs (environment):
//   WEIGHTLINE_CHAOS_RUNS=N        runs per property (default 3; each property also stops after WEIGHTLINE_CHAOS_TIME_MS)
//   WEIGHTLINE_CHAOS_TIME_MS=ms    time budget per property, shrinking included (default 30000): no run starts after it,
//                                  but the first run and a run under way always finish (a loaded CI checks less, never fails by the clock)
//   WEIGHTLINE_CHAOS_SEED=s        replay: the seed fast-check printed ...
//   WEIGHTLINE_CHAOS_PATH=p        ... and its path (the shrunk counterexample); run with -t "<property name>"
//   WEIGHTLINE_CHAOS_STEPS='[...]' run exactly this sequence (the counterexample's JSON) in every property
//   WEIGHTLINE_CHAOS_VERBOSE=1     log every step and its outcome
//   WEIGHTLINE_CHAOS_SKIP=a,b      never generate these step kinds (commit, branch, restore, write, pin, config,
//                                  cleanup, damage, kill) or damage targets (object, manifest, meta): to look past a known bug
// Kill points depend on timing, so a replay of a sequence with kill steps is close but not exact.

const RUNS = Number(process.env.WEIGHTLINE_CHAOS_RUNS ?? 3);
const TIME_MS = Number(process.env.WEIGHTLINE_CHAOS_TIME_MS ?? 30_000);
const SEED = process.env.WEIGHTLINE_CHAOS_SEED === undefined ? undefined : Number(process.env.WEIGHTLINE_CHAOS_SEED);
const PATH = process.env.WEIGHTLINE_CHAOS_PATH;
const STEPS = process.env.WEIGHTLINE_CHAOS_STEPS;
const VERBOSE = !!process.env.WEIGHTLINE_CHAOS_VERBOSE;
const SKIP = (process.env.WEIGHTLINE_CHAOS_SKIP ?? '').split(',').map((x) => x.trim()).filter(Boolean);
const cliEntry = fileURLToPath(new URL('../helpers/cli-entry.ts', import.meta.url));

const tempDir = useSuiteScratch();

/** One sequence in a fresh store under `base`; throws a ChaosViolation naming the broken promise. */
async function runSequence(base: string, steps: readonly Step[], seed: number): Promise<ChaosWorld> {
  const root = await fs.mkdtemp(path.join(base, 'store-'));
  const probeDir = tempDir('wl-chaos-probe-');
  try {
    const w = await ChaosWorld.create({ root, probeDir, cliEntry, seed, verbose: VERBOSE });
    await w.run(steps);
    const info = await checkVerifyAndRepair(w, { repair });
    if (VERBOSE && info.length) console.log(`[chaos] verify: ${info.join('\n  ')}`);
    if (w.findings.size) {
      throw w.violation(`the engine broke ${w.findings.size} promise(s) of issue 10 on the way:\n- ${[...w.findings.values()].join('\n- ')}`);
    }
    return w;
  } finally {
    await fs.rm(root, { recursive: true, force: true }).catch(() => undefined);
    await fs.rm(probeDir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/**
 * fast-check over generated runs with the chaos settings (runs, seed, path, time budget); each run is
 * awaited before the next (a run interrupted by the time limit is awaited too).
 */
async function assertRuns<T>(arb: fc.Arbitrary<T>, run: (value: T, seed: number) => Promise<unknown>): Promise<void> {
  let running: Promise<unknown> = Promise.resolve();
  const started = Date.now();
  let finished = 0;
  try {
    await fc.assert(
      fc.asyncProperty(arb, fc.integer({ min: 1, max: 1_000_000 }), async (value, seed) => {
        // The budget stops new runs from starting, never one under way and never the first: on a
        // loaded machine the property checks less, it does not fail because the clock ran out
        // (fast-check's own time limit interrupts a run and fails a property with none finished).
        if (finished > 0 && Date.now() - started > TIME_MS) return;
        const r = run(value, seed);
        running = r.catch(() => undefined);
        await r;
        finished++;
      }),
      {
        numRuns: RUNS,
        ...(SEED === undefined ? {} : { seed: SEED }),
        ...(PATH === undefined ? {} : { path: PATH, endOnFailure: true }),
        verbose: fc.VerbosityLevel.None,
      },
    );
  } finally {
    await running;
  }
}

/** fast-check over step sequences, each run in a fresh store under base(). */
async function checkProperty(mix: StepMix, base: () => string): Promise<void> {
  const arb = STEPS ? fc.constant(JSON.parse(STEPS) as Step[]) : sequenceArb(mix);
  await assertRuns(arb, (steps, seed) => runSequence(base(), steps, seed));
}

const NO_DAMAGE: StepMix = { damage: false, kill: true, minLength: 10, maxLength: 22, skip: SKIP };
const WITH_DAMAGE: StepMix = { damage: true, kill: true, minLength: 10, maxLength: 22, skip: SKIP };
const DISK_FULL: StepMix = { damage: false, kill: false, fill: true, minLength: 10, maxLength: 20, skip: SKIP };
const SLACK = 240_000; // the run under way when the time budget ends, then its shrink report

describe('chaos: nothing is lost (issue 10)', () => {
  it('ordinary use (commits, branches, restores in every link mode, pins, config, cleanup, autoCleanup, kill -9) never loses a version', async () => {
    const base = tempDir('wl-chaos-');
    await checkProperty(NO_DAMAGE, () => base);
  }, TIME_MS + SLACK);

  it('damage to a store file or through a linked file loses only the versions that use the damaged bytes', async () => {
    const base = tempDir('wl-chaos-');
    await checkProperty(WITH_DAMAGE, () => base);
  }, TIME_MS + SLACK);

  it('a disk that fills up (a small tmpfs) never loses a version', async (ctx) => {
    const mnt = tempDir('wl-chaos-tmpfs-');
    try {
      // Room for about three versions beside the working files: commits run into ENOSPC.
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', mnt], { stdio: 'ignore' });
    } catch {
      ctx.skip('mounting a small tmpfs needs root (CAP_SYS_ADMIN); this machine refused, so a full disk cannot be simulated here');
      return;
    }
    try {
      await checkProperty(DISK_FULL, () => mnt);
    } finally {
      execFileSync('umount', [mnt]);
    }
  }, TIME_MS + SLACK);
});

// ---------------------------------------------------------------------------
// The cases under "Why" in issue 10 that the API can express, as fixed
// sequences through the same harness (commit #0 is the first CHECKPOINT the
// harness makes; picks are commit numbers) or as direct checks.

const c = (change: 'dense' | 'sparse' = 'sparse', seed = 1): Step => ({ t: 'commit', change, file: 0, checkpoint: false, seed });
const commits = (n: number, from = 10): Step[] => Array.from({ length: n }, (_, k) => c('sparse', from + k));

async function scenario(steps: Step[]): Promise<ChaosWorld> {
  return runSequence(tempDir('wl-chaos-'), steps, 7);
}

describe('chaos scenarios from issue 10', () => {
  it('a hard-linked restore written in place, then two commits and cleanup, loses no other version', async () => {
    await scenario([
      ...commits(2),
      { t: 'restore', pick: 1, link: 'hardlink', side: 0, force: true },
      { t: 'write', target: 0, how: 'overwrite', seed: 3 },
      ...commits(2, 20),
      { t: 'cleanup' },
    ]);
  });

  it('the same with autoCleanup: commits alone lose no other version', async () => {
    await scenario([
      { t: 'config', maxChainLength: 16, maxRouteRead: 4, keepFullLatest: 2, autoCleanup: true },
      ...commits(2),
      { t: 'restore', pick: 1, link: 'hardlink', side: 0, force: true },
      { t: 'write', target: 0, how: 'patch', seed: 3 },
      ...commits(3, 20),
    ]);
  });

  it('one flipped bit in a CHECKPOINT\'s full object, then cleanup, loses only that CHECKPOINT\'s object', async () => {
    await scenario([...commits(4), { t: 'damage', where: 'object', target: 0, how: 'flip', seed: 5, of: 0 }, { t: 'cleanup' }]);
  });

  it('a pinned DELTA whose full object is damaged: cleanup does not prune its child onto the bad base', async () => {
    await scenario([
      ...commits(1),
      { t: 'pin', pick: 1, pinned: true },
      ...commits(3, 20),
      { t: 'damage', where: 'object', target: 0, how: 'flip', seed: 9, of: 1 },
      { t: 'cleanup' },
    ]);
  });

  it('a damaged manifest loses only the versions whose route reads it: its parent still restores', async () => {
    await scenario([...commits(2), { t: 'damage', where: 'manifest', target: 0, how: 'flip', seed: 3, of: 2 }, ...commits(1, 20)]);
  });

  it('a DELTA commit whose full object is damaged restores through its intact delta chain', async () => {
    const root = tempDir('wl-chaos-');
    const probeDir = tempDir('wl-chaos-probe-');
    const world = await ChaosWorld.create({ root, probeDir, cliEntry, seed: 7 });
    await world.run([...commits(2), { t: 'damage', where: 'object', target: 0, how: 'flip', seed: 5, of: 2 }]);
    const id = world.order[2]!;
    expect(await world.intactRoute(id), 'the test damaged only the full object: the delta route is intact').toBe(true);
    const p = await world.probe(id);
    expect(p.ok, `restore of the DELTA commit with a damaged full object: ${p.detail}`).toBe(true);
  });

  it('a file committed from inside .weightline does not make cleanup delete a live delta object', async () => {
    const root = tempDir('wl-chaos-');
    const world = await ChaosWorld.create({ root, probeDir: tempDir('wl-chaos-probe-'), cliEntry, seed: 7 });
    await world.run(commits(2));
    const m = JSON.parse(await fs.readFile(world.manifestPath(world.order[2]!), 'utf8')) as { files: { delta: { object: string | null } | null }[] };
    const delta = m.files[0]!.delta?.object;
    expect(delta, 'commit #2 is a DELTA with a delta object').toBeTruthy();
    const inside = world.objectPath(delta!);
    const r = await world.engine('commit of a file inside .weightline', async () => commit(await Store.open(root), inside, { message: 'inside' }));
    // Refusing is fine; if it was accepted, nothing may be lost by it.
    if (r.ok) {
      world.learn(r.value.id, sha256(await fs.readFile(inside)), path.relative(root, inside));
      await world.step(100, { t: 'cleanup' });
    }
    await world.run([...commits(3, 30), { t: 'cleanup' }]);
    for (const id of world.order.slice(0, 3)) expect(world.status.get(id)?.ok, `#${world.num(id)}: ${world.status.get(id)?.detail}`).toBe(true);
  });

  it('after a write through a hard link into a CHECKPOINT object, a commit works or names "weightline repair"', async () => {
    const root = tempDir('wl-chaos-');
    const world = await ChaosWorld.create({ root, probeDir: tempDir('wl-chaos-probe-'), cliEntry, seed: 7 });
    await world.run([{ t: 'restore', pick: 0, link: 'hardlink', side: null, force: true }, { t: 'write', target: 0, how: 'patch', seed: 1 }]);
    const file = path.join(root, 'model.safetensors');
    await writeReplacing(file, modelBytes(changeModel(baseModel(7), 'sparse', 3)));
    const r = await world.engine('commit', async () => commit(await Store.open(root), file, { message: 'after' }));
    if (!r.ok) expect(r.error.message).toMatch(/weightline repair/);
  });

  it('one damaged byte in pins.json: cleanup refuses or keeps the pinned commit\'s full parameters', async () => {
    const root = tempDir('wl-chaos-');
    const world = await ChaosWorld.create({ root, probeDir: tempDir('wl-chaos-probe-'), cliEntry, seed: 7 });
    await world.run([...commits(1), { t: 'pin', pick: 1, pinned: true }, ...commits(3, 20)]);
    const pinned = world.order[1]!;
    const full = JSON.parse(await fs.readFile(world.manifestPath(pinned), 'utf8')) as { files: { sha256: string }[] };
    const pins = path.join(root, '.weightline', 'pins.json');
    const bytes = await fs.readFile(pins);
    bytes[0] = bytes[0]! ^ 0x01; // '[' → 'Z'
    await fs.writeFile(pins, bytes);
    const r = await world.engine('cleanup', async () => cleanup(await Store.open(root)));
    if (r.ok) expect(await fs.stat(world.objectPath(full.files[0]!.sha256)).then(() => true, () => false), 'the pinned commit keeps its full parameters').toBe(true);
    else expect(r.error.code).toBe('CORRUPT');
  });

  it('a damaged HEAD: the next commit refuses instead of starting a second root', async () => {
    const root = tempDir('wl-chaos-');
    const world = await ChaosWorld.create({ root, probeDir: tempDir('wl-chaos-probe-'), cliEntry, seed: 7 });
    await world.run(commits(1));
    await fs.writeFile(path.join(root, '.weightline', 'HEAD'), '{"commit":');
    const file = path.join(root, 'model.safetensors');
    await writeReplacing(file, modelBytes(changeModel(baseModel(7), 'dense', 3)));
    const r = await world.engine('commit', async () => commit(await Store.open(root), file, { message: 'after' }));
    expect(r.ok ? `committed with parent ${String(r.value.parent).slice(0, 12)}` : r.error.code).toBe('CORRUPT');
  });

  it('config.json with {"maxChainLength":"sixteen"} or {"autoCleanup":"false"}: commit refuses', async () => {
    const root = tempDir('wl-chaos-');
    const world = await ChaosWorld.create({ root, probeDir: tempDir('wl-chaos-probe-'), cliEntry, seed: 7 });
    const file = path.join(root, 'model.safetensors');
    for (const [k, bad] of [['maxChainLength', '"sixteen"'], ['autoCleanup', '"false"']] as const) {
      await fs.writeFile(path.join(root, '.weightline', 'config.json'), `{"maxChainLength":16,"keepFullLatest":2,"autoCleanup":false,"${k}":${bad}}`);
      await writeReplacing(file, modelBytes(changeModel(baseModel(7), 'sparse', k.length)));
      const r = await world.engine('commit', async () => commit(await Store.open(root), file, { message: k }));
      expect(r.ok ? 'committed' : r.error.code, `commit over config.json ${k}=${bad}`).toBe('CORRUPT');
    }
  });

  it('a manifest whose file path is "../x.safetensors" never writes outside the target', async () => {
    // The store root one level down, so "next to the store's folder" is a private folder too.
    const root = path.join(tempDir('wl-chaos-'), 'root');
    const world = await ChaosWorld.create({ root, probeDir: tempDir('wl-chaos-probe-'), cliEntry, seed: 7 });
    const id = world.order[0]!;
    const m = JSON.parse(await fs.readFile(world.manifestPath(id), 'utf8')) as { source: { path: string }; files: { path: string }[] };
    const evil = JSON.stringify({ ...m, source: { ...m.source, path: '../x.safetensors' }, files: [{ ...m.files[0], path: '../x.safetensors' }] });
    const evilId = sha256(Buffer.from(evil));
    await fs.writeFile(world.manifestPath(evilId), evil);
    const out = tempDir('wl-chaos-out-');
    await fs.mkdir(path.join(out, 'inner'));
    const a = await world.engine('restore --to an existing folder', async () => restore(await Store.open(root), evilId, { to: path.join(out, 'inner'), force: true }));
    const b = await world.engine('restore to its own path', async () => restore(await Store.open(root), evilId, { force: true }));
    expect(await fs.stat(path.join(out, 'x.safetensors')).then(() => 'written outside', () => 'not written')).toBe('not written');
    expect(await fs.stat(path.join(path.dirname(root), 'x.safetensors')).then(() => 'written outside', () => 'not written')).toBe('not written');
    expect([a.ok ? 'ok' : a.error.code, b.ok ? 'ok' : b.error.code]).toEqual(['UNSAFE_PATH', 'UNSAFE_PATH']);
  });

  it('links.json truncated: cleanup does not delete the object behind a restored symlink', async () => {
    await scenario([
      ...commits(1),
      { t: 'restore', pick: 1, link: 'symlink', side: 0, force: true },
      ...commits(3, 20),
      { t: 'damage', where: 'meta', target: 0, how: 'truncate', seed: 4, file: 'links.json' },
      { t: 'cleanup' },
    ]);
  });

  it('links.json or index.json holding null: restores still work or refuse with a code', async () => {
    await scenario([...commits(1), { t: 'damage', where: 'meta', target: 0, how: 'json', seed: 1, file: 'index.json', json: 'null' }, ...commits(1, 20)]);
    await scenario([
      ...commits(1),
      { t: 'restore', pick: 1, link: 'symlink', side: 0, force: true },
      { t: 'damage', where: 'meta', target: 0, how: 'json', seed: 1, file: 'links.json', json: 'null' },
      { t: 'restore', pick: 0, link: 'copy', side: 1, force: true },
    ]);
  });

  it('a deleted format.json: init does not reset config.json', async () => {
    await scenario([
      { t: 'config', maxChainLength: 3, maxRouteRead: 4, keepFullLatest: 1, autoCleanup: true },
      ...commits(1),
      { t: 'damage', where: 'meta', target: 0, how: 'delete', seed: 1, file: 'format.json' },
    ]);
  });

  it('a full disk: cleanup still works (it is how the user gets out) and leaves no temp file', async (ctx) => {
    const mnt = tempDir('wl-chaos-tmpfs-');
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', mnt], { stdio: 'ignore' });
    } catch {
      ctx.skip('mounting a small tmpfs needs root (CAP_SYS_ADMIN); this machine refused');
      return;
    }
    try {
      const world = await ChaosWorld.create({ root: path.join(mnt, 's'), probeDir: tempDir('wl-chaos-probe-'), cliEntry, seed: 7 });
      await world.run(commits(1));
      // Fill what is left.
      const filler = await fs.open(path.join(mnt, 'filler'), 'w');
      const chunk = Buffer.alloc(1 << 16, 1);
      try { for (;;) await filler.write(chunk); } catch (e) { expect((e as NodeJS.ErrnoException).code).toBe('ENOSPC'); } finally { await filler.close(); }
      const r = await world.engine('cleanup on a full disk', async () => cleanup(await Store.open(world.root)));
      expect(r.ok ? 'ok' : `${r.error.code}: ${r.error.message}`).toBe('ok');
      const left = (await fs.readdir(world.dir)).filter((n) => n.startsWith('.tmp-'));
      expect(left).toEqual([]);
    } finally {
      execFileSync('umount', [mnt]);
    }
  });

  it('a store on a read-only file system: restore --to another disk works', async (ctx) => {
    const mnt = tempDir('wl-chaos-tmpfs-');
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=32m', 'tmpfs', mnt], { stdio: 'ignore' });
    } catch {
      ctx.skip('mounting a tmpfs needs root (CAP_SYS_ADMIN); this machine refused');
      return;
    }
    try {
      const world = await ChaosWorld.create({ root: path.join(mnt, 's'), probeDir: tempDir('wl-chaos-probe-'), cliEntry, seed: 7 });
      await world.run(commits(1));
      execFileSync('mount', ['-o', 'remount,ro', mnt], { stdio: 'ignore' });
      const to = path.join(tempDir('wl-chaos-out-'), 'v.safetensors');
      const r = await world.engine('restore --to another disk', async () => restore(await Store.open(world.root), world.order[1]!, { to, link: 'copy' }));
      expect(r.ok ? sha256(await fs.readFile(to)) : `${r.error.code}: ${r.error.message}`).toBe(world.truth.get(world.order[1]!));
    } finally {
      execFileSync('umount', [mnt]);
    }
  });
});

// ---------------------------------------------------------------------------
// Issue 18, item 7: deltas are encoded deterministically, so repair makes a
// damaged or missing one again. Ordinary sequences, then damage to delta
// objects (flipped, cut short, deleted, replaced by garbage), then verify and
// repair: after repair, verify agrees with what restores, and every delta
// whose two versions restore is back under its name (checkDeltasAfterRepair).

type DeltaDamage = { readonly pick: number; readonly how: 'flip' | 'truncate' | 'delete' | 'garbage'; readonly seed: number };

/** The delta objects the store's manifests name, in commit order. */
async function deltaObjects(w: ChaosWorld): Promise<string[]> {
  const out: string[] = [];
  for (const id of w.order) {
    const m = JSON.parse(await fs.readFile(w.manifestPath(id), 'utf8').catch(() => '{"files":[]}')) as { files: Array<{ delta: { object: string | null } | null }> };
    for (const f of m.files) if (f.delta?.object && !out.includes(f.delta.object)) out.push(f.delta.object);
  }
  return out;
}

async function runWithDeltaDamage(base: string, steps: readonly Step[], damages: readonly DeltaDamage[], seed: number): Promise<void> {
  const root = await fs.mkdtemp(path.join(base, 'store-'));
  const probeDir = tempDir('wl-chaos-probe-');
  try {
    const w = await ChaosWorld.create({ root, probeDir, cliEntry, seed, verbose: VERBOSE });
    await w.run(steps);
    for (const d of damages) {
      const deltas = await deltaObjects(w);
      if (deltas.length === 0) break;
      const sha = deltas[d.pick % deltas.length]!;
      // Through the world's own damage step, so it knows which versions may be hurt.
      await w.run([{ t: 'damage', where: 'object', target: 0, how: d.how, seed: d.seed, file: path.relative(w.dir, w.objectPath(sha)) }]);
    }
    const info = await checkVerifyAndRepair(w, { repair });
    if (VERBOSE && info.length) console.log(`[chaos] verify: ${info.join('\n  ')}`);
    if (w.findings.size) throw w.violation(`the engine broke ${w.findings.size} promise(s) on the way:\n- ${[...w.findings.values()].join('\n- ')}`);
  } finally {
    await fs.rm(root, { recursive: true, force: true }).catch(() => undefined);
    await fs.rm(probeDir, { recursive: true, force: true }).catch(() => undefined);
  }
}

const deltaDamageArb: fc.Arbitrary<DeltaDamage> = fc.record({
  pick: fc.nat(1000),
  how: fc.constantFrom('flip' as const, 'truncate' as const, 'delete' as const, 'garbage' as const),
  seed: fc.integer({ min: 1, max: 1_000_000 }),
});

describe('chaos: damaged deltas are rebuilt (issue 18)', () => {
  it('property: after damage to delta objects and a repair, verify agrees with what restores and every delta whose versions restore is back', async () => {
    const base = tempDir('wl-chaos-');
    const steps = STEPS ? fc.constant(JSON.parse(STEPS) as Step[]) : sequenceArb({ damage: false, kill: false, minLength: 6, maxLength: 14, skip: [...SKIP, 'kill'] });
    await assertRuns(fc.tuple(steps, fc.array(deltaDamageArb, { minLength: 1, maxLength: 3 })), ([s, damages], seed) => runWithDeltaDamage(base, s, damages, seed));
  }, TIME_MS + SLACK);

  it('the issue\'s case: a flipped byte in the delta of the newest commit (it restores through its full object) is rebuilt, and verify is green', async () => {
    await runWithDeltaDamage(tempDir('wl-chaos-'), commits(3), [{ pick: 2, how: 'flip', seed: 3 }], 7);
  });

  it('a deleted delta in the middle of a chain, after cleanup dropped that commit\'s full object, is rebuilt from its neighbours', async () => {
    await runWithDeltaDamage(tempDir('wl-chaos-'), [...commits(4), { t: 'cleanup' }], [{ pick: 1, how: 'delete', seed: 1 }], 7);
  });

  it('every delta of a history damaged at once: repair keeps what restores and says the rest is lost, and verify agrees', async () => {
    await runWithDeltaDamage(tempDir('wl-chaos-'), [...commits(3), { t: 'cleanup' }], [0, 1, 2].map((pick) => ({ pick, how: 'garbage' as const, seed: pick + 1 })), 7);
  });
});
