// Protocols the main side owns, not the renderer: confirming a working copy
// stat calls "probably changed" (the main side starts the hash job, once per
// signature, and sends the confirmed state as an event), hashing restored
// links that stat could not judge (likewise, as a linksChecked event), and creating a store
// (the init verb's nested-store rule holds for the app as for the CLI).
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobEvent, LinksChecked, WorkingCopyState } from '../../src-shared/contract';
import { ApiService } from '../../src-main/app/api-service';
import { main } from '../../src-main/cli/main';
import { finalOf, Recorder } from '../helpers/app';
import { gaussianF32, nudgeF32, rng, useScratch, writeSafetensors } from '../helpers/models';

const scratch = useScratch();

async function cli(cwd: string, ...argv: string[]): Promise<number> {
  return main(argv, { cwd, stdout: { write: () => true }, stderr: { write: () => true } });
}

describe('the main side owns its protocols', () => {
  let service: ApiService;
  const jobs = new Recorder<JobEvent>();
  const confirmed = new Recorder<WorkingCopyState>();
  beforeEach(() => {
    service = new ApiService({ configDir: scratch(), pollMs: 200 });
    jobs.seen.length = 0;
    confirmed.seen.length = 0;
    service.on('job', jobs.push);
    service.on('workingCopy', confirmed.push);
  });
  afterEach(async () => { await service.dispose(); });

  it('confirms a probably-changed working copy itself: one job per signature, a workingCopy event, then the confirmed state', async () => {
    const root = scratch();
    const model = path.join(root, 'model.safetensors');
    const data = gaussianF32(20_000, rng(1));
    await writeSafetensors(model, [{ name: 'w', dtype: 'F32', shape: [20_000], data }]);
    expect(await cli(root, 'init')).toBe(0);
    expect(await cli(root, 'commit', 'model.safetensors')).toBe(0);
    await service.openStore(root);

    await writeSafetensors(model, [{ name: 'w', dtype: 'F32', shape: [20_000], data: nudgeF32(data, rng(5)) }]);
    const t = new Date(Date.now() + 10_000);
    await fs.utimes(model, t, t);
    const first = await service.call('workingCopy.get', {});
    expect(first).toMatchObject({ ok: true, value: { state: 'probably-changed' } });
    const signature = (first as { ok: true; value: WorkingCopyState }).value.signature;
    // Asked again (status.get too) before the job ends: no second job for the same signature.
    expect(await service.call('status.get', {})).toMatchObject({ ok: true });
    await service.call('workingCopy.get', {});

    const event = await confirmed.waitFor((s) => s.signature === signature, 30_000, 'the workingCopy event');
    expect(event.state).toBe('changed');
    const started = jobs.seen.filter((e) => e.kind === 'workingCopy' && e.state === 'running' && !e.progress);
    expect(started).toHaveLength(1);
    await jobs.waitFor(finalOf(started[0]!.jobId), 30_000, 'the workingCopy job end');
    expect(await service.call('workingCopy.get', {})).toMatchObject({ ok: true, value: { state: 'changed', signature } });
    expect(await service.call('status.get', {})).toMatchObject({ ok: true, value: { dirty: true, workingCopy: 'changed' } });
  });

  it('hashes restored links stat could not judge itself: one status job, a linksChecked event, then status.get says what it found', async () => {
    const links = new Recorder<LinksChecked>();
    service.on('linksChecked', links.push);
    const root = scratch();
    const model = path.join(root, 'model.safetensors');
    await writeSafetensors(model, [{ name: 'w', dtype: 'F32', shape: [5_000], data: gaussianF32(5_000, rng(2)) }]);
    expect(await cli(root, 'init')).toBe(0);
    expect(await cli(root, 'commit', 'model.safetensors')).toBe(0);
    const linked = path.join(scratch(), 'restored.safetensors');
    expect(await cli(root, 'restore', 'HEAD', '--to', linked, '--link', 'hardlink')).toBe(0);
    // Replaced by a file with other bytes (a new inode): stat says only that something changed.
    await writeSafetensors(`${linked}.new`, [{ name: 'w', dtype: 'F32', shape: [5_000], data: gaussianF32(5_000, rng(3)) }]);
    await fs.rename(`${linked}.new`, linked);
    await service.openStore(root);

    const first = await service.call('status.get', {});
    // Not judged yet: no problem shown for it, and it is listed as waiting for the hash.
    expect(first).toMatchObject({ ok: true, value: { links: [], linksUnconfirmed: [linked] } });
    await service.call('status.get', {});
    const event = await links.waitFor((e) => e.root === root, 30_000, 'the linksChecked event');
    expect(event.links).toEqual([expect.objectContaining({ path: linked, problem: 'modified' })]);
    const started = jobs.seen.filter((e) => e.kind === 'status' && e.state === 'running' && !e.progress);
    expect(started).toHaveLength(1);
    await jobs.waitFor(finalOf(started[0]!.jobId), 30_000, 'the status job end');
    const after = await service.call('status.get', {});
    expect(after).toMatchObject({ ok: true, value: { links: [expect.objectContaining({ path: linked, problem: 'modified' })] } });
    expect((after as { ok: true; value: { linksUnconfirmed?: string[] } }).value.linksUnconfirmed ?? []).toEqual([]);
  });

  it('store.create refuses a folder inside another store, as `weightline init` does; nested: true makes one', async () => {
    const outer = scratch();
    expect(await service.call('store.create', { path: outer })).toMatchObject({ ok: true });
    const inner = path.join(outer, 'sub');
    await fs.mkdir(inner);
    const refused = await service.call('store.create', { path: inner });
    expect(refused).toMatchObject({ ok: false, error: { code: 'REFUSED' } });
    expect((refused as { ok: false; error: { message: string } }).error.message).toContain(`inside the Weightline store at ${outer}`);
    await expect(fs.stat(path.join(inner, '.weightline'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await service.call('store.create', { path: inner, nested: true })).toMatchObject({ ok: true, value: { root: inner, head: null } });
  });
});
