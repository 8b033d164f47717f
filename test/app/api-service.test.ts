// The ApiService beyond the shared contract suite: what the app shows when a
// job process is killed or a job is cancelled, recent stores across restarts,
// path completion.
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobEvent } from '../../src-shared/contract';
import { ApiService } from '../../src-main/app/api-service';
import { configDir } from '../../src-main/app/config-dir';
import { completePath } from '../../src-main/app/path-complete';
import { commit } from '../../src-main/core/ops/commit';
import { log } from '../../src-main/core/ops/inspect';
import { verify } from '../../src-main/core/ops/verify';
import { Store } from '../../src-main/core/store/store';
import { finalOf, progressOf, Recorder, storeFiles, trackedRunner, writeBigModel } from '../helpers/app';
import { useScratch } from '../helpers/models';

const scratch = useScratch();
const services: ApiService[] = [];
afterEach(async () => { for (const s of services.splice(0)) await s.dispose(); });

function makeService(extra: Partial<ConstructorParameters<typeof ApiService>[0]> = {}): ApiService {
  const s = new ApiService({ configDir: scratch(), pollMs: 200, ...extra });
  services.push(s);
  return s;
}

describe('what the app shows for a killed and a cancelled job', () => {
  it('kill -9 of the job process mid-commit: a failed job event with the reason; the app keeps answering; the store verifies clean', async () => {
    const { runner, procs } = trackedRunner();
    const service = makeService({ runner });
    const events = new Recorder<JobEvent>();
    service.on('job', events.push);
    const root = scratch();
    expect(await service.call('store.create', { path: root })).toMatchObject({ ok: true });
    const model = path.join(root, 'big.safetensors');
    await writeBigModel(model, 96);
    const filesBefore = await storeFiles(root);

    const started = await service.call('jobs.start', { kind: 'commit', path: model, message: 'doomed' });
    if (!started.ok) throw new Error(started.error.message);
    const { jobId } = started.value as { jobId: string };
    await events.waitFor(progressOf(jobId), 30_000, 'progress');
    process.kill(procs[0]!.pid!, 'SIGKILL');
    const final = await events.waitFor(finalOf(jobId));
    expect(final).toMatchObject({ jobId, kind: 'commit', state: 'failed', error: { code: 'JOB_CRASHED' } });
    expect(final.error!.message).toMatch(/^the commit job process was killed \(SIGKILL: by another program, or by the system when memory ran out\)\. The store is still valid \(nothing half-written is visible\); you can run the job again\.$/);

    // The app is still there, the store as before, and the same commit now works.
    expect(await service.call('commits.list', {})).toEqual({ ok: true, value: { head: null, commits: [] } });
    expect(await storeFiles(root)).toEqual(filesBefore);
    expect((await verify(await Store.open(root))).ok).toBe(true);
    const again = await service.call('jobs.start', { kind: 'commit', path: model, message: 'second try' });
    const second = await events.waitFor(finalOf((again as { value: { jobId: string } }).value.jobId));
    expect(second.state).toBe('done');
    expect((await log(await Store.open(root))).map((e) => e.message)).toEqual(['second try']);
  });

  it('cancel through the contract: a cancelled job event; nothing committed', async () => {
    const service = makeService();
    const events = new Recorder<JobEvent>();
    service.on('job', events.push);
    const root = scratch();
    await service.call('store.create', { path: root });
    const model = path.join(root, 'big.safetensors');
    await writeBigModel(model, 96);
    // A DELTA commit: its diff is CPU-bound and outlasts the copy by far, so the
    // cancel lands mid-commit even on a fast disk (a CHECKPOINT's copy of 96 MB
    // could finish before the cancel message arrives).
    await commit(await Store.open(root), model, { message: 'base' });
    await writeBigModel(model, 96, 2);
    const filesBefore = await storeFiles(root);
    const { jobId } = ((await service.call('jobs.start', { kind: 'commit', path: model, message: 'never mind' })) as { value: { jobId: string } }).value;
    await events.waitFor(progressOf(jobId), 30_000, 'progress');
    expect(await service.call('jobs.cancel', { jobId })).toEqual({ ok: true, value: { cancelled: true } });
    const final = await events.waitFor(finalOf(jobId));
    expect(final).toMatchObject({ state: 'cancelled', error: { code: 'CANCELLED' } });
    expect(await storeFiles(root)).toEqual(filesBefore);
  });
});

describe('recent stores', () => {
  it('are remembered across restarts, newest first, in the config dir', async () => {
    const dir = scratch();
    const a = scratch(), b = scratch();
    const first = makeService({ configDir: dir });
    await first.call('store.create', { path: a });
    await first.call('store.create', { path: b });
    await first.call('store.open', { path: a });
    const second = makeService({ configDir: dir });
    expect(await second.call('store.recent', {})).toEqual({ ok: true, value: [a, b] });
    expect(JSON.parse(await fs.readFile(path.join(dir, 'recent-stores.json'), 'utf8'))).toEqual({ stores: [a, b] });
  });

  it('a damaged recent-stores file reads as empty', async () => {
    const dir = scratch();
    await fs.writeFile(path.join(dir, 'recent-stores.json'), '{"stores": 12');
    expect(await makeService({ configDir: dir }).call('store.recent', {})).toEqual({ ok: true, value: [] });
  });

  it('the config dir: WEIGHTLINE_CONFIG_DIR, then XDG_CONFIG_HOME, then ~/.config', () => {
    expect(configDir({ WEIGHTLINE_CONFIG_DIR: '/x/wl', XDG_CONFIG_HOME: '/y' })).toBe('/x/wl');
    if (process.platform !== 'win32') {
      expect(configDir({ XDG_CONFIG_HOME: '/y' })).toBe(path.join('/y', 'weightline'));
      expect(configDir({})).toBe(path.join(os.homedir(), '.config', 'weightline'));
    }
  });
});

describe('path completion (browser mode pickers)', () => {
  it('lists a folder, filters by the typed start, hides dot entries unless asked, marks folders', async () => {
    const dir = scratch();
    await fs.mkdir(path.join(dir, 'runs'));
    await fs.writeFile(path.join(dir, 'run.safetensors'), '');
    await fs.writeFile(path.join(dir, '.hidden'), '');
    expect(await completePath(dir + path.sep)).toEqual([
      { name: 'run.safetensors', path: path.join(dir, 'run.safetensors'), dir: false },
      { name: 'runs', path: path.join(dir, 'runs'), dir: true },
    ]);
    expect((await completePath(path.join(dir, 'runs'))).map((e) => e.name)).toEqual(['runs']);
    expect((await completePath(path.join(dir, '.h'))).map((e) => e.name)).toEqual(['.hidden']);
    expect(await completePath(path.join(dir, 'nothing-here', 'x'))).toEqual([]);
    expect((await completePath('~/')).length).toBeGreaterThanOrEqual(0);
  });
});

describe('store watching', () => {
  it('notices HEAD moved by another process (fs.watch, or the poll where it is silent)', async () => {
    const service = makeService();
    const root = scratch();
    await service.call('store.create', { path: root });
    const changes = new Recorder<{ root: string }>();
    service.on('storeChanged', changes.push);
    await new Promise((r) => setTimeout(r, 300));
    // HEAD moved by someone else.
    await fs.writeFile(path.join(root, '.weightline', 'HEAD'), JSON.stringify({ commit: null, note: 'x' }));
    await changes.waitFor((c) => c.root === root, 5_000, 'storeChanged');
  });
});
