// The contract (src-shared/contract.ts) end to end, over both transports: the
// ApiService called in-process (what the Electron IPC glue forwards to), and
// the renderer's browser client talking HTTP + WebSocket to `weightline serve`.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobEvent, WeightlineApi } from '../../src-shared/contract';
import type { CommitResult } from '../../src-shared/model';
import { ApiService } from '../../src-main/app/api-service';
import { commit } from '../../src-main/core/ops/commit';
import { Store } from '../../src-main/core/store/store';
import { startServer, type RunningServer } from '../../src-main/server/server';
import { finalOf, Recorder } from '../helpers/app';
import { httpClient, localClient } from '../helpers/clients';
import { gaussianF32, nudgeF32, rng, useScratch, writeSafetensors } from '../helpers/models';

const scratch = useScratch();

interface Transport {
  readonly name: string;
  connect(service: ApiService): Promise<{ api: WeightlineApi; close(): Promise<void> }>;
}

const transports: Transport[] = [
  { name: 'in-process', connect: async (service) => ({ api: localClient(service), close: async () => {} }) },
  {
    name: 'HTTP + WebSocket',
    connect: async (service) => {
      const server: RunningServer = await startServer({ service, port: 0 });
      const api = await httpClient(`http://127.0.0.1:${server.port}`, server.token);
      return { api, close: () => server.close() };
    },
  },
];

async function expectError(p: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  const e = await p.then(() => undefined, (err: unknown) => err as { code?: string; message?: string; name?: string });
  expect(e, 'expected the call to fail').toBeDefined();
  expect(e!.name).toBe('WeightlineError'); // the class and code survive the transport
  expect(e!.code).toBe(code);
  if (message) expect(e!.message).toMatch(message);
}

describe.each(transports)('the contract over $name', (transport) => {
  let service: ApiService;
  let api: WeightlineApi;
  let close: () => Promise<void>;
  let root: string;
  let model: string;
  const jobs = new Recorder<JobEvent>();
  const changes = new Recorder<{ root: string }>();
  let offs: Array<() => void> = [];

  beforeEach(async () => {
    service = new ApiService({ configDir: scratch(), pollMs: 200 });
    ({ api, close } = await transport.connect(service));
    root = scratch();
    model = path.join(root, 'model.safetensors');
    jobs.seen.length = 0;
    changes.seen.length = 0;
    offs = [api.on('job', jobs.push), api.on('storeChanged', changes.push)];
  });
  afterEach(async () => {
    for (const off of offs) off(); // the browser client closes its WebSocket with the last listener
    await close();
    await service.dispose();
  });

  it('refuses calls before a store is open, and arguments of the wrong shape, with what was expected', async () => {
    expect(await api.call('store.current', {})).toBeNull();
    await expectError(api.call('commits.list', {}), 'NOT_A_STORE', /no store is open/);
    await expectError(api.call('store.open', { path: 42 } as never), 'BAD_USAGE', /store\.open: path: .*expected string/i);
    await expectError(api.call('jobs.start', { kind: 'explode' } as never), 'BAD_USAGE', /jobs\.start/);
    await expectError(api.call('nope.nothing' as never, {} as never), 'BAD_USAGE', /unknown call "nope\.nothing"; expected one of: store\.current/);
    await expectError(api.call('store.open', { path: 'relative/dir' }), 'BAD_USAGE', /expected an absolute path, got "relative\/dir"/);
    await expectError(api.call('store.open', { path: root }), 'NOT_A_STORE');
    await expectError(api.call('dialog.pickPath', { kind: 'folder' }), 'BAD_USAGE', /only in the desktop app/);
  });

  it('create → commit job with progress → list/get/status/settings/pins/cleanup preview/recent', async () => {
    const info = await api.call('store.create', { path: root });
    expect(info).toEqual({ root, head: null });
    await changes.waitFor((c) => c.root === root, 10_000, 'storeChanged after create');
    expect(await api.call('store.current', {})).toEqual(info);
    expect(await api.call('store.recent', {})).toEqual([root]);

    await writeSafetensors(model, [
      { name: 'frozen', dtype: 'F32', shape: [50_000], data: gaussianF32(50_000, rng(1)) },
      { name: 'trained', dtype: 'F32', shape: [50_000], data: gaussianF32(50_000, rng(2)) },
    ]);
    const { jobId } = await api.call('jobs.start', { kind: 'commit', path: model, message: 'epoch 1' });
    const done = await jobs.waitFor(finalOf(jobId), 30_000, 'commit job end');
    expect(done).toMatchObject({ state: 'done', kind: 'commit', result: { kind: 'commit', value: { type: 'CHECKPOINT' } } });
    expect(jobs.seen.filter((e) => e.jobId === jobId)[0]?.state).toBe('running');
    const first = (done.result!.value as CommitResult).id;

    const list = await api.call('commits.list', {});
    expect(list.head).toBe(first);
    expect(list.commits).toHaveLength(1);
    expect(list.commits[0]).toMatchObject({ id: first, message: 'epoch 1', hasFull: true, pinned: false });
    const shown = await api.call('commits.get', { id: first.slice(0, 8) });
    expect(shown.files[0]!.tensors.map((t) => t.name)).toEqual(['frozen', 'trained']);

    const status = await api.call('status.get', {});
    expect(status).toMatchObject({ head: first, dirty: false });

    const settings = await api.call('settings.get', {});
    expect(await api.call('settings.set', { keepFullLatest: settings.keepFullLatest + 1 })).toEqual({ ...settings, keepFullLatest: settings.keepFullLatest + 1 });
    expect(await api.call('settings.get', {})).toMatchObject({ keepFullLatest: settings.keepFullLatest + 1 });
    await expectError(api.call('settings.set', { maxChainLength: 0 }), 'BAD_USAGE', /maxChainLength/);
    // maxRouteRead takes decimals, by the store's own rule (CONFIG_VALUE_SCHEMAS).
    expect(await api.call('settings.set', { maxRouteRead: 2.5 })).toMatchObject({ maxRouteRead: 2.5 });
    expect(await api.call('settings.get', {})).toMatchObject({ maxRouteRead: 2.5 });
    await expectError(api.call('settings.set', { maxRouteRead: 0.05 }), 'BAD_USAGE', /maxRouteRead/);

    // Pinning is a job (the pin verb rebuilds pruned full parameters first): pins.set is gone from the contract.
    await expectError(api.call('pins.set' as never, {} as never), 'BAD_USAGE', /unknown call "pins\.set"/);
    const pinJob = await api.call('jobs.start', { kind: 'pin', commit: first, pinned: true });
    expect(await jobs.waitFor(finalOf(pinJob.jobId), 30_000, 'pin job end')).toMatchObject({ state: 'done', result: { kind: 'pin', value: { id: first, pinned: true, rebuiltFiles: 0 } } });
    expect((await api.call('commits.list', {})).commits[0]!.pinned).toBe(true);
    const plan = await api.call('cleanup.preview', {});
    expect(plan.commits).toEqual([]);

    expect(await api.call('jobs.cancel', { jobId: 'job-unknown' })).toEqual({ cancelled: false });
    expect((await api.call('jobs.list', {})).map((e) => e.jobId)).toContain(jobId);

    const entries = await api.call('fs.complete', { prefix: path.join(root, 'mod') });
    expect(entries).toEqual([{ name: 'model.safetensors', path: model, dir: false }]);
  });

  it('a failed job arrives as a job event with the core error; a commit made elsewhere (the CLI) arrives as storeChanged', async () => {
    await api.call('store.create', { path: root });
    const { jobId } = await api.call('jobs.start', { kind: 'commit', path: path.join(root, 'missing.safetensors'), message: '' });
    const failed = await jobs.waitFor(finalOf(jobId));
    expect(failed).toMatchObject({ state: 'failed', error: { code: 'NOT_FOUND' } });

    await changes.waitFor((c) => c.root === root, 10_000, 'storeChanged after create');
    const before = changes.seen.length;
    const data = gaussianF32(10_000, rng(3));
    await writeSafetensors(model, [{ name: 'w', dtype: 'F32', shape: [10_000], data }]);
    await commit(await Store.open(root), model, { message: 'from a training script' });
    await changes.waitFor(() => changes.seen.length > before, 10_000, 'storeChanged after an outside commit');
    expect((await api.call('commits.list', {})).commits.map((c) => c.message)).toEqual(['from a training script']);

    // And a restore job back to it: a writing job through the contract.
    await writeSafetensors(model, [{ name: 'w', dtype: 'F32', shape: [10_000], data: nudgeF32(data, rng(4)) }]);
    const r = await api.call('jobs.start', { kind: 'restore', commit: 'HEAD', force: true });
    expect(await jobs.waitFor(finalOf(r.jobId))).toMatchObject({ state: 'done', result: { kind: 'restore' } });
  });

  it('opens the sample history', async () => {
    const sample = path.join(scratch(), 'sample');
    // Made by a sample job: the call answers at once with its id, and the store opens when it is done.
    const info = await api.call('store.openSample', { path: sample });
    expect(info).toMatchObject({ root: sample, head: null, jobId: expect.any(String) });
    expect(await jobs.waitFor(finalOf(info.jobId!), 120_000, 'the sample job')).toMatchObject({ kind: 'sample', state: 'done' });
    await changes.waitFor((c) => c.root === sample, 10_000, 'storeChanged for the sample');
    expect((await api.call('store.current', {}))?.root).toBe(sample);
    const list = await api.call('commits.list', {});
    expect(list.commits.length).toBeGreaterThanOrEqual(8);
    // Opening it again opens the same store rather than failing on a non-empty folder.
    expect((await api.call('store.openSample', { path: sample })).root).toBe(sample);
    await fs.access(path.join(sample, 'run', 'model.safetensors'));
  });
});
