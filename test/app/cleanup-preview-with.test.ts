// Issue 11, item 5: the settings pane previews a cleanup with settings not yet
// saved. cleanupPlanWith(store, { keepFullLatest }) must be exactly the plan a
// cleanup makes once that value is saved, and must change nothing.
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiService } from '../../src-main/app/api-service';
import { cleanupPlan, cleanupPlanWith } from '../../src-main/core/ops/cleanup';
import { createDemoStore } from '../../src-main/core/ops/demo';
import { Store } from '../../src-main/core/store/store';
import type { JobEvent } from '../../src-shared/contract';
import { storeBytesWalk } from '../../src-main/core/ops/inspect';
import { finalOf, Recorder, storeFiles } from '../helpers/app';
import { makeHistory } from '../helpers/history';
import { useScratch } from '../helpers/models';

const scratch = useScratch();

describe('cleanupPlanWith', () => {
  let service: ApiService | undefined;
  afterEach(async () => { await service?.dispose(); service = undefined; });

  it('equals the plan made after saving the setting, for each keepFullLatest, and writes nothing but its caches', async () => {
    const { root } = await createDemoStore(path.join(scratch(), 'demo'));
    const store = await Store.open(root);
    const saved = (await store.readConfig()).keepFullLatest;
    expect(await cleanupPlanWith(store, { keepFullLatest: saved })).toEqual(await cleanupPlan(store));
    // Its caches (which objects were checked, the log index) may be refreshed; nothing else.
    const CACHES = /^\.weightline\/(checked|index|log-index|pack-sizes)\.json /;
    const content = async (): Promise<string[]> => (await storeFiles(root)).filter((f) => !CACHES.test(f));
    const before = await content();

    const previews = new Map<number, Awaited<ReturnType<typeof cleanupPlan>>>();
    for (const k of [1, 2, 3, 6]) previews.set(k, await cleanupPlanWith(await Store.open(root), { keepFullLatest: k }));
    expect(await content()).toEqual(before);
    expect(await (await Store.open(root)).readConfig()).toMatchObject({ keepFullLatest: saved });
    // Keeping fewer never frees less.
    expect(previews.get(1)!.bytesFreed).toBeGreaterThanOrEqual(previews.get(2)!.bytesFreed);
    expect(previews.get(2)!.bytesFreed).toBeGreaterThanOrEqual(previews.get(6)!.bytesFreed);
    expect(previews.get(1)!.bytesFreed).toBeGreaterThan(previews.get(6)!.bytesFreed);

    for (const [k, preview] of previews) {
      const s = await Store.open(root);
      await s.updateConfig({ keepFullLatest: k });
      expect(await cleanupPlan(await Store.open(root))).toEqual(preview);
    }
  });

  it('is served as cleanup.previewWith, with the bounds of settings.set', async () => {
    const { root } = await createDemoStore(path.join(scratch(), 'demo'));
    service = new ApiService({ configDir: scratch(), pollMs: 200 });
    await service.openStore(root);
    const plan = await service.call('cleanup.previewWith', { keepFullLatest: 1 });
    expect(plan).toMatchObject({ ok: true });
    expect(plan).toEqual({ ok: true, value: await cleanupPlanWith(await Store.open(root), { keepFullLatest: 1 }) });
    expect(await service.call('cleanup.previewWith', { keepFullLatest: 0 })).toMatchObject({ ok: false, error: { code: 'BAD_USAGE' } });
    expect(await service.call('cleanup.previewWith', { keepFullLatest: 2.5 })).toMatchObject({ ok: false, error: { code: 'BAD_USAGE' } });
    expect(await service.call('cleanup.previewWith', {})).toMatchObject({ ok: false, error: { code: 'BAD_USAGE' } });
  });

  it('cleanup.preview runs as a job that reports measuring every block it would pack, and the cleanup job then frees exactly what it said (issue 18)', async () => {
    const h = await makeHistory(scratch(), 5, { seed: 28, big: 2_500_000, small: 1000, fraction: 0.3 });
    service = new ApiService({ configDir: scratch(), pollMs: 200 });
    const events = new Recorder<JobEvent>();
    service.on('job', events.push);
    await service.openStore(h.root);
    const preview = await service.call('cleanup.preview', {});
    if (!preview.ok) throw new Error(preview.error.message);
    const plan = preview.value as Awaited<ReturnType<typeof cleanupPlan>>;
    expect(plan.packs.length).toBeGreaterThan(0);
    expect(events.seen.some((e) => e.kind === 'cleanupPreview' && e.progress?.phase === 'measuring packs' && e.progress.bytesDone > 0)).toBe(true);
    const before = await storeBytesWalk(h.store);
    const started = await service.call('jobs.start', { kind: 'cleanup' });
    if (!started.ok) throw new Error(started.error.message);
    const final = await events.waitFor(finalOf((started.value as { jobId: string }).jobId));
    expect(final.state).toBe('done');
    expect(before - (await storeBytesWalk(h.store))).toBe(plan.bytesFreed + plan.bytesPackSaved);
  });
});
