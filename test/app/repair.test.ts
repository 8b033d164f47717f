// Issue 10 through the contract, over both transports (the ApiService
// in-process, as the Electron IPC glue forwards to it, and HTTP + WebSocket):
// the repair job (dry run and real), verify's "still restores", a restore's
// notes, a link changed in place in status.get, and a damaged HEAD.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobEvent, WeightlineApi } from '../../src-shared/contract';
import type { RepairResult, RestoreResult, VerifyResult } from '../../src-shared/model';
import { ApiService } from '../../src-main/app/api-service';
import { commit } from '../../src-main/core/ops/commit';
import { Store } from '../../src-main/core/store/store';
import { startServer } from '../../src-main/server/server';
import { finalOf, Recorder } from '../helpers/app';
import { httpClient, localClient } from '../helpers/clients';
import { gaussianF32, nudgeF32, rng, sha256Of, snapshotTree, useScratch, writeSafetensors } from '../helpers/models';

const scratch = useScratch();

/** A CHECKPOINT and three DELTAs whose steps touch a fifth of the weights (XOR blocks: routes run both ways). */
async function history(root: string): Promise<{ store: Store; model: string; ids: string[] }> {
  const store = await Store.init(root);
  const model = path.join(root, 'model.safetensors');
  const frozen = gaussianF32(100_000, rng(1));
  let trained = gaussianF32(100_000, rng(2));
  const ids: string[] = [];
  for (let i = 0; i < 4; i++) {
    await writeSafetensors(model, [{ name: 'frozen', dtype: 'F32', shape: [100_000], data: frozen }, { name: 'trained', dtype: 'F32', shape: [100_000], data: trained }]);
    ids.push((await commit(store, model, { message: `epoch ${i}` })).id);
    trained = nudgeF32(trained, rng(10 + i), 1e-3, 0.2);
  }
  return { store, model, ids };
}

async function fullObjectOf(store: Store, id: string): Promise<{ sha: string; file: string }> {
  const sha = (await store.readManifest(id)).files[0]!.sha256;
  return { sha, file: store.objectPath(sha) };
}

async function flipByte(file: string): Promise<void> {
  await fs.chmod(file, 0o644);
  const buf = await fs.readFile(file);
  buf[buf.length >> 1] = buf[buf.length >> 1]! ^ 0xff;
  await fs.writeFile(file, buf);
}

const transports = [
  { name: 'in-process', connect: async (service: ApiService) => ({ api: localClient(service), close: async () => {} }) },
  {
    name: 'HTTP + WebSocket',
    connect: async (service: ApiService) => {
      const server = await startServer({ service, port: 0 });
      return { api: await httpClient(`http://127.0.0.1:${server.port}`, server.token), close: () => server.close() };
    },
  },
];

describe.each(transports)('repair and damage over $name', (transport) => {
  let service: ApiService;
  let api: WeightlineApi;
  let close: () => Promise<void>;
  const jobs = new Recorder<JobEvent>();
  let off: () => void = () => {};

  beforeEach(async () => {
    service = new ApiService({ configDir: scratch(), pollMs: 200 });
    ({ api, close } = await transport.connect(service));
    jobs.seen.length = 0;
    off = api.on('job', jobs.push);
  });
  afterEach(async () => {
    off();
    await close();
    await service.dispose();
  });

  const run = async <T>(request: Parameters<WeightlineApi['call']>[1] & object): Promise<{ event: JobEvent; value: T }> => {
    const { jobId } = await api.call('jobs.start', request as never);
    const event = await jobs.waitFor(finalOf(jobId), 60_000, `${(request as { kind: string }).kind} job end`);
    return { event, value: event.result?.value as T };
  };

  it('pinning a commit a cleanup pruned runs a job that rebuilds its full parameters (verified) before the pin', async () => {
    const root = scratch();
    const { store, ids } = await history(root);
    await api.call('store.open', { path: root });
    expect((await run<unknown>({ kind: 'cleanup' })).event.state).toBe('done');
    const { sha } = await fullObjectOf(store, ids[1]!);
    expect(await store.hasObject(sha)).toBe(false);
    const pinned = await run<{ id: string; pinned: boolean; rebuiltFiles: number }>({ kind: 'pin', commit: ids[1]!, pinned: true });
    expect(pinned.event.state).toBe('done');
    expect(pinned.value).toMatchObject({ id: ids[1], pinned: true, rebuiltFiles: 1 });
    expect(await sha256Of(store.objectPath(sha))).toBe(sha);
    const entry = (await api.call('commits.list', {})).commits.find((c) => c.id === ids[1]);
    expect(entry).toMatchObject({ pinned: true, hasFull: true });
  });

  it('refuses a repair request that does not say whether it is a dry run, or says it wrongly', async () => {
    const root = scratch();
    await Store.init(root);
    await api.call('store.open', { path: root });
    await expect(api.call('jobs.start', { kind: 'repair' } as never)).rejects.toMatchObject({ code: 'BAD_USAGE', message: expect.stringMatching(/jobs\.start: dryRun/) });
    await expect(api.call('jobs.start', { kind: 'repair', dryRun: 'yes' } as never)).rejects.toMatchObject({ code: 'BAD_USAGE' });
    // On an empty store both answer: nothing to repair.
    const { event, value } = await run<RepairResult>({ kind: 'repair', dryRun: true });
    expect(event.state).toBe('done');
    expect(value).toEqual({ dryRun: true, ok: true, commits: [], quarantined: [], rebuilt: [] });
  });

  it('a damaged CHECKPOINT: verify says it still restores, a restore says how, the dry run changes nothing, the repair mends it', async () => {
    const root = scratch();
    const { store, ids } = await history(root);
    const { sha, file } = await fullObjectOf(store, ids[0]!);
    await flipByte(file);
    await api.call('store.open', { path: root });

    const verified = await run<VerifyResult>({ kind: 'verify' });
    const bad = verified.value.commits.filter((c) => !c.ok);
    expect(bad).toHaveLength(1);
    expect(bad[0]).toMatchObject({ id: ids[0], ok: false, restorable: true, route: expect.stringMatching(/backward/) });

    const to = path.join(scratch(), 'out.safetensors');
    const restored = await run<RestoreResult>({ kind: 'restore', commit: ids[0]!, to, link: 'copy' });
    expect(restored.event.state).toBe('done');
    expect(restored.value.notes?.map((n) => n.message).join('\n')).toMatch(/damaged/);
    expect(await sha256Of(to)).toBe(sha);

    const objects = path.join(root, '.weightline', 'objects');
    const before = await snapshotTree(objects);
    const dry = await run<RepairResult>({ kind: 'repair', dryRun: true });
    expect(dry.event).toMatchObject({ state: 'done', kind: 'repair' });
    expect(dry.value).toMatchObject({ dryRun: true, ok: true });
    expect(dry.value.quarantined.map((q) => q.object)).toEqual([sha]);
    expect(dry.value.rebuilt.map((r) => [r.object, r.commit])).toEqual([[sha, ids[0]]]);
    expect(dry.value.commits.find((c) => c.id === ids[0])?.outcome).toBe('repaired');
    expect(await snapshotTree(objects)).toEqual(before);
    await expect(fs.access(path.join(root, '.weightline', 'quarantine'))).rejects.toThrow();

    const real = await run<RepairResult>({ kind: 'repair', dryRun: false });
    expect(real.value).toMatchObject({ dryRun: false, ok: true });
    expect(real.value.commits.map((c) => c.outcome).sort()).toEqual(['intact', 'intact', 'intact', 'repaired']);
    expect(await sha256Of(file)).toBe(sha);
    expect(await fs.readdir(path.join(root, '.weightline', 'quarantine'))).toHaveLength(1);
    expect((await run<VerifyResult>({ kind: 'verify' })).value.ok).toBe(true);
  });

  it('status.get shows a hard link written into in place as changed-in-place, and a replaced file as modified', async () => {
    const root = scratch();
    const { ids } = await history(root);
    await api.call('store.open', { path: root });
    const out = scratch();
    const inPlace = path.join(out, 'in-place.safetensors');
    const replaced = path.join(out, 'replaced.safetensors');
    for (const to of [inPlace, replaced]) expect((await run({ kind: 'restore', commit: ids[3]!, to, link: 'hardlink' })).event.state).toBe('done');
    expect((await api.call('status.get', {})).links).toEqual([]);

    const bytes = await fs.readFile(inPlace);
    bytes[bytes.length - 3] = bytes[bytes.length - 3]! ^ 1;
    await fs.writeFile(inPlace, bytes); // same inode: through the link, into the store
    await fs.rm(replaced);
    await fs.writeFile(replaced, bytes); // a new file at the same path: the store is unharmed
    const expected = [
      { path: inPlace, commit: ids[3], problem: 'changed-in-place' },
      { path: replaced, commit: ids[3], problem: 'modified' },
    ];
    const byPath = (l: readonly { path: string }[]): unknown[] => [...l].sort((a, b) => a.path.localeCompare(b.path));
    // Stat alone cannot tell a write through the link from a new file: the quick answer leaves both
    // out and the main side hashes them in a status job, whose answer comes as a linksChecked event.
    const checked = new Promise<readonly { path: string }[]>((resolve) => {
      const offLinks = api.on('linksChecked', (e) => { if (e.links.length > 0) { offLinks(); resolve(e.links); } });
    });
    expect((await api.call('status.get', {})).links ?? []).toEqual([]);
    expect(byPath(await checked)).toEqual(expected);
    // Later quick answers carry what the check found while the links stay as they are.
    expect(byPath((await api.call('status.get', {})).links ?? [])).toEqual(expected);
  });

  it('a damaged HEAD: store.open and commits.list answer with the history, head null and what is wrong', async () => {
    const root = scratch();
    const { ids } = await history(root);
    await fs.writeFile(path.join(root, '.weightline', 'HEAD'), '{"commit": "not a commit"');
    const info = await api.call('store.open', { path: root });
    expect(info).toMatchObject({ root, head: null, headProblem: expect.stringMatching(/HEAD/) });
    const list = await api.call('commits.list', {});
    expect(list.head).toBeNull();
    expect(list.headProblem).toMatch(/weightline restore/);
    expect(list.commits.map((c) => c.id).sort()).toEqual([...ids].sort());
  });
});
