// The policy module as the store, the CLI and the settings pane use it: one
// bound per setting, refused in the same words everywhere; a config.json from
// before the bounds were shared still opens and can be mended; a CHECKPOINT
// says which rule made it; the pane's estimate predicts what commit does.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src-main/cli/main';
import { commit } from '../../src-main/core/ops/commit';
import { log, show } from '../../src-main/core/ops/inspect';
import { readConfigFile } from '../../src-main/core/store/store-files';
import { Store } from '../../src-main/core/store/store';
import { calls } from '../../src-shared/contract';
import { checkpointRun } from '../../src-shared/policy/checkpoint';
import { DEFAULT_SETTINGS, parseSettingText, settingProblemText } from '../../src-shared/policy/settings';
import { rng, useScratch, writeSafetensors, type TestTensor } from '../helpers/models';

const scratch = useScratch();

async function run(cwd: string, ...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '', stderr = '';
  const code = await main(argv, { cwd, stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } });
  return { code, stdout, stderr };
}

const refusal = (key: 'keepFullLatest' | 'maxChainLength', text: string): string => {
  const p = parseSettingText(key, text);
  if (!('problem' in p)) throw new Error(`expected ${key} ${text} to be refused`);
  return settingProblemText(p.problem);
};

describe('settings bounds at every door', () => {
  it('refuses `config keepFullLatest 5000` in the words settings.set and the settings pane use, and changes nothing', async () => {
    const root = scratch();
    await Store.init(root);
    const words = refusal('keepFullLatest', '5000');
    expect(words).toBe('keepFullLatest takes a whole number from 1 to 1000, found 5000 (more than 1000)');
    const r = await run(root, 'config', 'keepFullLatest', '5000');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`weightline: error: ${words}\n`);
    expect(calls['settings.set'].safeParse({ keepFullLatest: 5000 }).error?.issues[0]?.message).toBe(words);
    expect(calls['cleanup.previewWith'].safeParse({ keepFullLatest: 5000 }).error?.issues[0]?.message).toBe(words);
    expect((await run(root, 'config', 'keepFullLatest')).stdout).toBe('2\n');
    const chain = await run(root, 'config', 'maxChainLength', '1001');
    expect([chain.code, chain.stderr]).toEqual([2, `weightline: error: ${refusal('maxChainLength', '1001')}\n`]);
    expect(await run(root, 'config', 'keepFullLatest', '1000')).toMatchObject({ code: 0, stdout: 'keepFullLatest = 1000\n' });
  });

  it('opens a store whose config.json holds keepFullLatest 5000: it reads as 1000, every door accepts what it reads, and saving another key stores 1000', async () => {
    const root = scratch();
    const store = await Store.init(root);
    const file = path.join(store.dir, 'config.json');
    await fs.writeFile(file, JSON.stringify({ maxChainLength: 64, maxRouteRead: 4, keepFullLatest: 5000, autoCleanup: false, futureKey: 1 }));
    const read = await readConfigFile(store.dir);
    expect(read.config.keepFullLatest).toBe(1000);
    expect(read.clamped).toEqual({ keepFullLatest: 5000 });
    const settings = await store.readConfig();
    // What settings.get answers, the pane sends back whole: the contract accepts it.
    expect(calls['settings.set'].safeParse(settings).success).toBe(true);
    expect(calls['cleanup.previewWith'].safeParse({ keepFullLatest: settings.keepFullLatest }).success).toBe(true);
    const listed = await run(root, 'config');
    expect(listed.stdout).toContain('keepFullLatest = 1000\n');
    expect(listed.stderr).toBe('weightline: note: config.json holds keepFullLatest 5000, past what it takes (a whole number from 1 to 1000); it counts as 1000, which the next change of a setting stores; `weightline config keepFullLatest N` sets it now\n');
    // settings.set of another key (what the pane sends): saved, and the file now holds the bound.
    expect(await store.updateConfig({ autoCleanup: true })).toMatchObject({ keepFullLatest: 1000, autoCleanup: true });
    // The writer stores every setting (the new ones at their defaults) and keeps keys it does not know.
    expect(JSON.parse(await fs.readFile(file, 'utf8'))).toEqual({ ...DEFAULT_SETTINGS, keepFullLatest: 1000, autoCleanup: true, futureKey: 1 });
    expect((await readConfigFile(store.dir)).clamped).toEqual({});
  });

  it('config takes the budget settings as sizes (50G, 500M: powers of 1024), prints them with their size, and refuses what they do not take', async () => {
    const root = scratch();
    const store = await Store.init(root);
    expect(await run(root, 'config', 'maxStoreBytes', '50G')).toMatchObject({ code: 0, stdout: 'maxStoreBytes = 53687091200 (50G)\n' });
    expect(await run(root, 'config', 'minFreeBytes', '1.5g')).toMatchObject({ code: 0, stdout: 'minFreeBytes = 1610612736 (1.5G)\n' });
    expect(await run(root, 'config', 'minFreeBytes', '1000')).toMatchObject({ code: 0, stdout: 'minFreeBytes = 1000 (1000B)\n' });
    expect(await run(root, 'config', 'trashDays', '0')).toMatchObject({ code: 0, stdout: 'trashDays = 0\n' });
    expect(await run(root, 'config', 'autoForget', 'true')).toMatchObject({ code: 0, stdout: 'autoForget = true\n' });
    expect(await store.readConfig()).toMatchObject({ maxStoreBytes: 50 * 1024 ** 3, minFreeBytes: 1000, trashDays: 0, autoForget: true });
    // One key alone: the bare value, for scripts.
    expect((await run(root, 'config', 'maxStoreBytes')).stdout).toBe('53687091200\n');
    const listed = (await run(root, 'config')).stdout;
    expect(listed).toContain('maxStoreBytes = 53687091200 (50G)\n');
    expect(listed).toContain('minFreeBytes = 1000 (1000B)\n');
    expect(listed).toContain('autoForget = true\n');
    expect((await run(root, 'config', 'maxStoreBytes', '0')).stdout).toBe('maxStoreBytes = 0 (none)\n');
    const refused = await run(root, 'config', 'maxStoreBytes', '50 gigs');
    expect([refused.code, refused.stderr]).toEqual([2, 'weightline: error: maxStoreBytes takes a size in bytes (like 50G, 500M or 0 for none), found "50 gigs"\n']);
    const days = await run(root, 'config', 'trashDays', '400');
    expect(days.code).toBe(2);
    expect(days.stderr).toContain('trashDays takes a whole number of days from 0 to 365');
    expect((await store.readConfig()).trashDays).toBe(0);
    const help = await run(root, 'config', '--help');
    for (const k of ['trashDays', 'maxStoreBytes', 'minFreeBytes', 'autoForget', '50G']) expect(help.stdout).toContain(k);
  });

  it('still refuses a stored value of the wrong kind, and setting it again mends the file', async () => {
    const root = scratch();
    const store = await Store.init(root);
    await fs.writeFile(path.join(store.dir, 'config.json'), JSON.stringify({ keepFullLatest: 2.5 }));
    await expect(store.readConfig()).rejects.toMatchObject({ code: 'CORRUPT' });
    expect((await run(root, 'config', 'keepFullLatest', '3')).code).toBe(0);
    expect((await store.readConfig()).keepFullLatest).toBe(3);
  });
});

/** 64K random float32s: incompressible, so a delta's size follows the bytes changed. */
function randomModel(seed: number): TestTensor[] {
  const r = rng(seed);
  const data = Buffer.alloc(256 * 1024);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(r() * 256);
  return [{ name: 'w', dtype: 'U8', shape: [data.length], data }];
}

/** The same model with `bytes` bytes at a random place replaced by random ones: deltas of a steady size. */
function change(m: TestTensor[], bytes: number, seed: number): TestTensor[] {
  const r = rng(seed);
  const data = Buffer.from(m[0]!.data);
  const at = Math.floor(r() * (data.length - bytes));
  for (let i = 0; i < bytes; i++) data[at + i] = Math.floor(r() * 256);
  return [{ ...m[0]!, data }];
}

describe('the CHECKPOINT rule in commit', () => {
  it('reports the rule that made each CHECKPOINT, in the result and in show', async () => {
    const root = scratch();
    const store = await Store.init(root);
    await store.updateConfig({ maxChainLength: 2 });
    const file = path.join(root, 'model.safetensors');
    let m = randomModel(1);
    const reasons: Array<string | undefined> = [];
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      await writeSafetensors(file, m);
      const c = await commit(store, file, { message: `e${i}` });
      reasons.push(c.type === 'CHECKPOINT' ? c.checkpointReason : 'DELTA');
      if (c.type === 'DELTA') expect(c.checkpointReason).toBeUndefined();
      ids.push(c.id);
      m = change(m, 4096, 10 + i);
    }
    expect(reasons).toEqual(['first', 'DELTA', 'DELTA', 'chain-length', 'DELTA']);
    expect((await show(store, ids[3]!)).checkpointReason).toBe('chain-length');
    expect((await show(store, ids[1]!)).checkpointReason).toBeUndefined();
    await writeSafetensors(file, m);
    const asked = await commit(store, file, { message: 'asked', checkpoint: true });
    expect([asked.type, asked.checkpointReason, (await show(store, asked.id)).checkpointReason]).toEqual(['CHECKPOINT', 'requested', 'requested']);
    m = change(m, 250 * 1024, 99);
    await writeSafetensors(file, m);
    expect(await commit(store, file, { message: 'rewrite' })).toMatchObject({ type: 'CHECKPOINT', checkpointReason: 'delta-too-large' });
  });

  it('says the rule in the CLI: commit\'s text and --json, and show', async () => {
    const root = scratch();
    await Store.init(root);
    expect((await run(root, 'config', 'maxChainLength', '1')).code).toBe(0);
    const file = path.join(root, 'model.safetensors');
    let m = randomModel(3);
    const outputs: string[] = [];
    for (let i = 0; i < 3; i++) {
      await writeSafetensors(file, m);
      const r = await run(root, 'commit', 'model.safetensors', '-m', `e${i}`, ...(i === 2 ? ['--json'] : []));
      expect(r.code).toBe(0);
      outputs.push(r.stdout);
      m = change(m, 4096, 40 + i);
    }
    // The first commit and a DELTA need no telling.
    expect(outputs[0]).not.toContain('because');
    expect(outputs[1]).not.toContain('because');
    await writeSafetensors(file, m);
    const json = JSON.parse(outputs[2]!) as { id: string; type: string; checkpointReason?: string };
    expect([json.type, json.checkpointReason]).toEqual(['CHECKPOINT', 'chain-length']);
    expect((await run(root, 'commit', 'model.safetensors', '-m', 'e3')).stdout).toMatch(/^\[DELTA /);
    await writeSafetensors(file, change(m, 4096, 77));
    const text = await run(root, 'commit', 'model.safetensors', '-m', 'e4');
    expect(text.stdout).toContain('\n  a CHECKPOINT because the DELTAs since the last CHECKPOINT had reached maxChainLength\n');
    expect((await run(root, 'show', json.id)).stdout).toContain('type     CHECKPOINT: the DELTAs since the last CHECKPOINT had reached maxChainLength\n');
    expect(JSON.parse((await run(root, 'show', json.id, '--json')).stdout)).toMatchObject({ checkpointReason: 'chain-length' });
  });

  // The pane's chainEstimate is checkpointRun over the log's averages
  // (test/renderer/settings-form.test.ts checks that on random inputs); here
  // the store is held to the same prediction.
  it('does what the settings pane estimates, on random settings', async () => {
    const r = rng(2026);
    for (let round = 0; round < 3; round++) {
      const root = scratch();
      const store = await Store.init(root);
      const file = path.join(root, 'model.safetensors');
      // 10% to 30% of the model: maxRouteRead then lands within its bounds (from 0.1).
      const changed = Math.floor(256 * 1024 * (0.1 + r() * 0.2));
      // A first DELTA measures this round's delta size; the settings are then drawn around it.
      await store.updateConfig({ maxChainLength: 1000, maxRouteRead: 1000 });
      let m = randomModel(round + 5);
      for (let i = 0; i < 2; i++) { await writeSafetensors(file, m); await commit(store, file, { message: `m${i}` }); m = change(m, changed, 100 * round + i); }
      const measured = (await log(store)).find((e) => e.type === 'DELTA')!;
      // k DELTAs fit the read bound; the budget is put halfway between k and k + 1 deltas, clear of rounding.
      const k = 1 + Math.floor(r() * 5);
      const maxRouteRead = ((k + 0.5) * measured.deltaBytes) / measured.logicalBytes;
      const maxChainLength = 1 + Math.floor(r() * 6);
      await store.updateConfig({ maxChainLength, maxRouteRead });
      // A CHECKPOINT starts the line the estimate speaks of.
      await writeSafetensors(file, m);
      await commit(store, file, { message: 'start', checkpoint: true });
      const made: Array<{ type: string; reason?: string }> = [];
      for (let i = 0; i < 2 * Math.min(k, maxChainLength) + 2; i++) {
        m = change(m, changed, 7919 * (round + 1) + 500 + i);
        await writeSafetensors(file, m);
        const c = await commit(store, file, { message: `c${i}` });
        made.push({ type: c.type, ...(c.checkpointReason ? { reason: c.checkpointReason } : {}) });
      }
      const deltas = (await log(store)).filter((e) => e.type === 'DELTA' && e.deltaBytes > 0);
      const average = deltas.reduce((sum, e) => sum + e.deltaBytes, 0) / deltas.length;
      const estimate = checkpointRun(measured.logicalBytes, average, { maxChainLength, maxRouteRead });
      const firstCheckpoint = made.findIndex((c) => c.type === 'CHECKPOINT');
      const what = `round ${round}: k=${k} maxChainLength=${maxChainLength} maxRouteRead=${maxRouteRead.toFixed(4)} made ${JSON.stringify(made)}`;
      expect(firstCheckpoint, what).toBe(estimate.deltas);
      expect(made[firstCheckpoint]!.reason, what).toBe(estimate.reason);
    }
  });
});
