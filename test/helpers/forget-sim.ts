// A forget made by hand from the foundation's own functions (route records,
// the operations log, the trash moves), in the order docs/STORE-FORMAT.md
// ("Forget", "How a forget runs") gives, stopped at a chosen step: what the
// undo and recovery tests act on without the forget engine. The re-based
// commits become CHECKPOINTs on their own full objects (still on disk before
// any cleanup), which needs no encoding.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { applyRouteRecord, writeRouteRecord, type RouteRecord } from '../../src-main/core/store/routes';
import type { Store } from '../../src-main/core/store/store';
import { moveIntoTrash, newOpId, trashBytes, writeOp, type OpMove, type OpRecord } from '../../src-main/core/store/trash';

export type ForgetStop =
  /** The old route records of re-based commits are in the trash; no new record is written. */
  | 'planned-old-routes'
  /** New route records and created objects written; nothing forgotten has moved. */
  | 'planned-written'
  /** State moving, half of the moves made. */
  | 'moving-half'
  | 'done';

export interface SimForget {
  /** Commits to forget. */
  readonly forget: readonly string[];
  /** Kept commits re-based: each becomes a CHECKPOINT (its own full objects) under `parent`, its nearest kept ancestor. */
  readonly rebase?: ReadonlyArray<{ readonly id: string; readonly parent: string | null; readonly forgotten: number }>;
  /** Bytes of objects the forget "wrote" (as re-based deltas would be): listed in `created`. */
  readonly created?: readonly Buffer[];
  readonly stop?: ForgetStop;
  readonly now?: Date;
}

export async function simulateForget(store: Store, sim: SimForget): Promise<OpRecord> {
  const existing = await store.routeRecords();
  const records: RouteRecord[] = [];
  for (const r of sim.rebase ?? []) {
    const m = await store.readRecordedManifest(r.id);
    records.push({ version: 1, commit: r.id, parent: r.parent, recordedParent: m.parent, forgotten: r.forgotten, type: 'CHECKPOINT', files: m.files.map((f) => ({ path: f.path, delta: null })) });
  }
  const forgotten = new Set(sim.forget);
  // What the kept commits name once re-based: their files and their (new) deltas.
  const named = new Set<string>();
  for (const id of await store.listCommitIds()) {
    if (forgotten.has(id)) continue;
    const rec = records.find((r) => r.commit === id);
    const m = rec ? applyRouteRecord(store.dir, await store.readRecordedManifest(id), rec) : await store.readManifest(id);
    for (const f of m.files) { named.add(f.sha256); if (f.delta?.object) named.add(f.delta.object); }
  }
  // Objects only the forgotten commits (or a re-based commit's old storage) name.
  const objects: string[] = [];
  const consider = (sha: string | null | undefined): void => { if (sha && !named.has(sha) && !objects.includes(sha)) objects.push(sha); };
  for (const id of [...sim.forget, ...records.map((r) => r.commit)]) {
    for (const m of [await store.readRecordedManifest(id), await store.readManifest(id)]) {
      for (const f of m.files) {
        if (forgotten.has(id)) consider(f.sha256);
        consider(f.delta?.object);
      }
    }
  }
  const present: string[] = [];
  for (const sha of objects) if (await store.hasObject(sha)) present.push(sha);
  const rebasedHad = records.filter((r) => existing.has(r.commit)).map((r): OpMove => ['route', r.commit]);
  const moves: OpMove[] = [
    ...rebasedHad,
    ...sim.forget.map((id): OpMove => ['commit', id]),
    ...sim.forget.filter((id) => existing.has(id)).map((id): OpMove => ['route', id]),
    ...present.map((sha): OpMove => ['object', sha]),
  ];
  const created = (sim.created ?? []).map((b) => createHash('sha256').update(b).digest('hex'));
  const now = sim.now ?? new Date();
  let op: OpRecord = {
    version: 1, id: newOpId(now), kind: 'forget', startedAt: now.toISOString(), state: 'planned',
    summary: `forgot ${sim.forget.length} version(s)`, commits: [...sim.forget], bytes: 0, moves,
    rebased: Object.fromEntries(records.map((r) => [r.commit, existing.has(r.commit)])), created,
  };
  await writeOp(store, op);
  await moveIntoTrash(store, op, rebasedHad);
  if (sim.stop === 'planned-old-routes') return op;
  for (const [i, b] of (sim.created ?? []).entries()) {
    const file = store.objectPath(created[i]!);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, b, { mode: 0o444 });
  }
  for (const r of records) await writeRouteRecord(store.dir, r);
  if (sim.stop === 'planned-written') return op;
  op = { ...op, state: 'moving' };
  await writeOp(store, op);
  if (sim.stop === 'moving-half') {
    await moveIntoTrash(store, op, moves.slice(0, Math.ceil(moves.length / 2)));
    return op;
  }
  await moveIntoTrash(store, op);
  const finishedAt = new Date(Math.max(now.getTime(), Date.now()));
  op = { ...op, state: 'done', finishedAt: finishedAt.toISOString(), trashUntil: new Date(finishedAt.getTime() + 7 * 86_400_000).toISOString(), bytes: await trashBytes(store, op.id) };
  await writeOp(store, op);
  return op;
}

/** Every file of the store's history (manifests, objects, route records, packs) with its sha256. */
export async function historyFiles(store: Store): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const sub of ['commits', 'objects', 'routes', 'packs']) {
    const dir = path.join(store.dir, sub);
    const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (!e.isFile()) continue;
      const full = path.join(e.parentPath, e.name);
      out.set(path.relative(store.dir, full), createHash('sha256').update(await fs.readFile(full)).digest('hex'));
    }
  }
  return out;
}
