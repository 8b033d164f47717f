import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { WeightlineError } from '../../../src-shared/errors';
import type { CommitId, ProgressListener, QuarantinedObject, RebuiltObject, RepairCommit, RepairResult } from '../../../src-shared/model';
import type { FileSource } from '../base/file-source';
import { fsyncDir, fsyncFile, mapFsError, sha256File } from '../base/fsutil';
import type { Manifest, ManifestFile } from '../base/manifest';
import { readVersion } from '../rebuild/open';
import { describeRoute, findRoute } from '../rebuild/route';
import { HistoryGraph } from '../store/graph';
import { readLinks, writeLinks } from '../store/links';
import { linesRecordStale, recordLines } from '../store/tips';
import { withWriteLock } from '../store/lock';
import { recordSettledOp, settleOps } from '../store/op-recovery';
import { forgetPack } from '../store/packs';
import { QUARANTINE_DIR, quarantineFile, quarantineStamp } from '../store/quarantine';
import { packDecodesTo } from './pack';
import { readoptMisnamed, repairPackIndex } from './repair-packs';
import { rebuildDeltas } from './rebuild-delta';
import type { Store } from '../store/store';

// Repair trusts nothing: it hashes every object the manifests name, moves the
// damaged ones into .weightline/quarantine/ (never deletes them: they may hold
// the only copy of bytes someone wrote through a link), rebuilds full objects
// that should be there (CHECKPOINTs, and any that were damaged) from whatever
// intact route the history still has, encodes damaged or missing delta
// objects again from the two versions they join (ops/rebuild-delta.ts), and
// says per commit what became of it.

export interface RepairOptions {
  readonly dryRun?: boolean;
  readonly onProgress?: ProgressListener;
  readonly signal?: AbortSignal;
  /**
   * The remote holding an object this store lacks, or null (no remotes; as in
   * verify). A commit whose only routes need objects a remote holds is
   * `restorable` there, not `lost`: a restore downloads them.
   */
  readonly elsewhere?: (sha: string) => string | null;
}


export async function repair(store: Store, opts: RepairOptions = {}): Promise<RepairResult> {
  // A dry run only reads, like verify, and works on a read-only store.
  if (opts.dryRun) return repairWith(store, opts);
  return withWriteLock(store, 'repair', async () => {
    // An interrupted forget or undo is finished first. A damaged operation
    // record must not stop the command that mends stores: it is left for
    // `weightline ops` to name (the other writers stop on it).
    await settleOps(store).catch((e: unknown) => {
      if (e instanceof WeightlineError && e.code === 'CORRUPT') return [];
      throw e;
    });
    const startedAt = new Date();
    const result = await repairWith(store, opts);
    if (result.quarantined.length > 0) await recordRepair(store, startedAt, result);
    // A commit set aside may have been the newest of its path's line, and a damaged
    // tips.json is rebuilt from the manifests (store/tips.ts). With HEAD damaged
    // the lines cannot be worked out: the record is left for the restore that mends HEAD.
    if (await linesRecordStale(store).catch(() => false)) await recordLines(store).catch(() => undefined);
    return result;
  });
}

/** The operations log's record of a repair that set objects aside (kind `repair`, never undoable: quarantine keeps them). */
async function recordRepair(store: Store, startedAt: Date, result: RepairResult): Promise<void> {
  const where = [...new Set(result.quarantined.map((q) => path.relative(store.dir, path.dirname(q.path)) || '.'))].join(', ');
  const rebuilt = result.rebuilt.length ? `, rebuilt ${result.rebuilt.length} object(s)` : '';
  const lost = result.commits.filter((c) => c.outcome === 'lost').length;
  const summary = `set aside ${result.quarantined.length} damaged object(s) or file(s) in .weightline/${where} (${result.quarantined.slice(0, 3).map((q) => path.basename(q.path)).join(', ')}${result.quarantined.length > 3 ? ', …' : ''})${rebuilt}${lost ? `; ${lost} commit(s) could not be rebuilt` : ''}`;
  const affected = result.commits.filter((c) => c.outcome !== 'intact').map((c) => c.id);
  const bytes = await Promise.all(result.quarantined.map((q) => fs.lstat(q.path).then((st) => st.size, () => 0)));
  await recordSettledOp(store, 'repair', startedAt, summary, affected, bytes.reduce((a, b) => a + b, 0));
}

async function repairWith(store: Store, opts: RepairOptions, pass = 1): Promise<RepairResult> {
  const dryRun = !!opts.dryRun;
  const manifests = new Map<string, Manifest | Error>();
  for (const id of await store.listCommitIds()) manifests.set(id, await store.readManifest(id).catch((e: Error) => e));
  // 0. The pack index, rebuilt from the packed objects' own tables (repair-packs.ts), before anything reads it.
  const packIndex = await repairPackIndex(store, manifests, { dryRun, stamp: quarantineStamp(), ...(opts.signal ? { signal: opts.signal } : {}) });
  const graph = await HistoryGraph.load(store);

  // 1. Hash every object named (full and delta), once.
  const named = new Map<string, { size: number | null; expected: number | null }>();
  for (const m of manifests.values()) {
    if (m instanceof Error) continue;
    for (const f of m.files) {
      named.set(f.sha256, { size: graph.objectSize(f.sha256), expected: f.bytes });
      if (f.delta?.object) named.set(f.delta.object, { size: graph.objectSize(f.delta.object), expected: f.delta.bytes });
      const packed = graph.packedObject(f.sha256);
      if (packed) named.set(packed, { size: graph.objectSize(packed), expected: null });
    }
  }
  const total = [...named.values()].reduce((s, o) => s + (o.size ?? 0), 0);
  let done = 0;
  const bad = new Set<string>();
  const missing = new Set<string>();
  const reasons = new Map<string, string>();
  for (const [sha, o] of named) {
    if (opts.signal?.aborted) throw new WeightlineError('CANCELLED', 'repair was cancelled; what it did so far is whole (objects moved or rebuilt one at a time)');
    if (o.size === null) { missing.add(sha); continue; }
    // Packs the index repair just proved (hash and decode) are not read again.
    const actual = packIndex.proven.has(sha) ? sha : await sha256File(store.objectPath(sha)).catch(() => null);
    done += o.size;
    opts.onProgress?.({ phase: 'checking', bytesDone: done, bytesTotal: total });
    if (actual === null) {
      // A folder (or another kind of file) where an object belongs is damage, set aside like any other.
      const st = await fs.lstat(store.objectPath(sha)).catch(() => null);
      if (st && !st.isFile()) { bad.add(sha); reasons.set(sha, 'is a folder or another kind of file, expected a file'); } else missing.add(sha);
      continue;
    }
    if (actual !== sha) { bad.add(sha); reasons.set(sha, `hashes to ${actual.slice(0, 12)}`); }
    else if (o.expected !== null && o.size !== o.expected) { bad.add(sha); reasons.set(sha, `holds ${o.size} bytes, the manifest says ${o.expected}`); }
  }

  // Packed objects the index repair set aside (step 0) are damaged: no route
  // reads them, and they are not moved or listed twice (in a dry run they are still on disk).
  const setAside = new Set(packIndex.quarantined.map((q) => q.object));
  for (const q of packIndex.quarantined) if (/^[0-9a-f]{64}$/.test(q.object)) { bad.add(q.object); missing.delete(q.object); }

  // 1b. A packed object that hashes to its name must also decode to its full
  // object's bytes (a forged or miswritten one would pass the hash).
  for (const [full, packed] of graph.packedObjects()) {
    if (bad.has(packed) || missing.has(packed) || packIndex.proven.has(packed)) continue;
    const file = [...manifests.values()].flatMap((m) => (m instanceof Error ? [] : m.files)).find((f) => f.sha256 === full);
    if (file && !(await packDecodesTo(store, packed, file, opts.signal))) { bad.add(packed); reasons.set(packed, `does not decode to the bytes of object ${full.slice(0, 12)}`); }
  }

  // 2. Quarantine the damaged objects.
  const quarantined: QuarantinedObject[] = [];
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  for (const sha of bad) {
    if (setAside.has(sha)) continue;
    const dest = path.join(store.dir, QUARANTINE_DIR, `${sha}.${stamp}`);
    if (!dryRun) {
      try {
        await fs.mkdir(path.dirname(dest), { recursive: true });
        // A rename keeps the inode: a hard-linked file the user wrote into keeps its bytes.
        await fs.rename(store.objectPath(sha), dest);
        await fsyncDir(path.dirname(dest));
        await fsyncDir(path.dirname(store.objectPath(sha)));
      } catch (e) {
        throw mapFsError(e, store.objectPath(sha));
      }
    }
    quarantined.push({ object: sha, path: dest, reason: `damaged: ${reasons.get(sha)}` });
  }
  // A pack whose packed object was set aside is forgotten (the raw form is rebuilt below where needed).
  if (!dryRun) for (const [full, packed] of graph.packedObjects()) if (bad.has(packed)) await forgetPack(store, full, packed);
  if (!dryRun && quarantined.length > 0) {
    // A link whose object was moved away no longer shares bytes with the store; the file stays the user's.
    // A damaged links.json must not stop a repair: its entries are then left
    // as they are (stale ones protect nothing); cleanup and status still report it.
    const links = await readLinks(store).catch((e: unknown) => {
      if ((e as WeightlineError).code === 'CORRUPT') return null;
      throw e;
    });
    let changed = false;
    for (const [target, rec] of Object.entries(links ?? {})) if (bad.has(rec.sha256) && rec.mode === 'hardlink') { delete links![target]; changed = true; }
    if (links && changed) await writeLinks(store, links);
  }

  // 2b. A manifest that cannot be read is moved aside too: its commit is
  // lost either way (nothing says what its bytes were), and while it stays,
  // cleanup refuses to delete anything (its objects are unknown).
  for (const [id, m] of manifests) {
    if (!(m instanceof WeightlineError) || m.code !== 'CORRUPT') continue;
    const from = path.join(store.dir, 'commits', `${id}.json`);
    const dest = path.join(store.dir, QUARANTINE_DIR, `commit-${id}.json.${stamp}`);
    if (!dryRun) await quarantineFile(store, from, `commit-${id}.json`, stamp);
    quarantined.push({ object: id, path: dest, reason: `damaged manifest of commit ${id.slice(0, 12)}: ${m.message}` });
  }

  // 2c. Objects intact under another name (swapped, renamed, quarantined by
  // an earlier run): put back under their own names, then start over so
  // every later step sees them (repair-packs.ts).
  const readopted = await readoptMisnamed(store, manifests, { dryRun, ...(opts.signal ? { signal: opts.signal } : {}) });
  // Each pass can only put back objects, never the same one twice, so three suffice (a pack put back is recorded by the next).
  if (readopted.length > 0 && !dryRun && pass < 3) {
    const again = await repairWith(store, opts, pass + 1);
    return { ...again, quarantined: [...packIndex.quarantined, ...quarantined, ...again.quarantined], rebuilt: [...packIndex.rebuilt, ...readopted, ...again.rebuilt] };
  }

  // 3. Rebuild full objects that should be there: the damaged ones, and any
  // CHECKPOINT's (cleanup never removes those). Each rebuild may open routes
  // for the next, so go round until nothing more can be done.
  const unusable = new Set<string>([...bad]);
  const present = (sha: string): boolean => !unusable.has(sha) && !missing.has(sha) && graph.objectSize(sha) !== null;
  const wanted = new Map<string, { commit: CommitId; file: ManifestFile }>();
  for (const [id, m] of manifests) {
    if (m instanceof Error) continue;
    for (const f of m.files) {
      // A CHECKPOINT keeps full parameters, raw or packed: rebuild the raw form when neither is intact.
      const packed = graph.packedObject(f.sha256);
      const packedIntact = packed !== null && !bad.has(packed) && !missing.has(packed);
      const shouldHave = bad.has(f.sha256) || (missing.has(f.sha256) && !f.delta && !packedIntact);
      if (shouldHave && !wanted.has(f.sha256)) wanted.set(f.sha256, { commit: id as CommitId, file: f });
    }
  }
  const rebuilt: RebuiltObject[] = [];
  const rebuiltInDryRun = new Set<string>();
  for (let progress = true; progress && wanted.size > 0; ) {
    progress = false;
    for (const [sha, { commit, file }] of wanted) {
      if (opts.signal?.aborted) throw new WeightlineError('CANCELLED', 'repair was cancelled; what it did so far is whole');
      const g = dryRun ? graph : await HistoryGraph.load(store);
      const route = await findRoute(store, g, commit, file, { usable: (o) => present(o) || rebuiltInDryRun.has(o) });
      if (!route) continue;
      if (dryRun) {
        // Nothing is written: the route is judged by hashes already taken.
        rebuilt.push({ object: sha, commit, path: file.path, route: describeRoute(route) });
        rebuiltInDryRun.add(sha);
      } else {
        const temp = store.tempPath('repair');
        try {
          const read = await readVersion(store, commit, file, (source) => writeTemp(source, temp, file), { graph: g, bad: unusable });
          await fsyncFile(temp);
          await store.adoptObject(temp, sha);
          rebuilt.push({ object: sha, commit, path: file.path, route: describeRoute(read.route) });
        } catch (e) {
          await fs.rm(temp, { force: true });
          if (e instanceof WeightlineError && (e.code === 'CORRUPT' || e.code === 'BROKEN_CHAIN')) continue;
          throw e;
        }
        unusable.delete(sha);
        missing.delete(sha);
      }
      wanted.delete(sha);
      progress = true;
    }
  }

  // 3b. Delta objects damaged or missing, encoded again where both versions
  // restore (after the full objects: a delta adds no version a route could not reach).
  const deltas = await rebuildDeltas(store, manifests, { dryRun, bad: unusable, missing, elsewhere: opts.elsewhere, signal: opts.signal });
  rebuilt.push(...deltas.rebuilt);

  // 4. What became of each commit.
  const finalGraph = dryRun ? graph : await HistoryGraph.load(store);
  const rebuiltSet = new Set(rebuilt.map((r) => r.object));
  const usableNow = (o: string): boolean => (dryRun ? (present(o) || rebuiltSet.has(o)) : !unusable.has(o) && finalGraph.objectSize(o) !== null);
  const commits: RepairCommit[] = [];
  // Routes that may also read objects a remote holds: such objects count as present (never hashed here).
  let wide: HistoryGraph | null = null;
  const remotesOfRoute = async (id: string, f: ManifestFile): Promise<string[] | null> => {
    const elsewhere = opts.elsewhere;
    if (!elsewhere) return null;
    wide ??= withRemoteObjects(finalGraph, elsewhere);
    const route = await findRoute(store, wide, id, f, { usable: (o) => usableNow(o) || (finalGraph.objectSize(o) === null && elsewhere(o) !== null) });
    return route ? [...new Set(route.objects.map(elsewhere).filter((r): r is string => r !== null && r !== ''))] : null;
  };
  for (const [id, m] of manifests) {
    if (m instanceof Error) { commits.push({ id: id as CommitId, outcome: 'lost', detail: `its manifest is unreadable: ${m.message}` }); continue; }
    const packedBad = (f: ManifestFile): boolean => { const p = graph.packedObject(f.sha256); return p !== null && bad.has(p); };
    const touched = m.files.some((f) => bad.has(f.sha256) || rebuiltSet.has(f.sha256) || (f.delta?.object && (bad.has(f.delta.object) || rebuiltSet.has(f.delta.object))) || packedBad(f));
    const lost: string[] = [];
    const remaining: string[] = [];
    for (const f of m.files) {
      const route = await findRoute(store, finalGraph, id, f, { usable: usableNow });
      if (!route) lost.push(f.path);
      const deltaProblem = deltas.problem(f);
      if (deltaProblem) remaining.push(`${f.path}: ${deltaProblem}`);
      if (bad.has(f.sha256) && !rebuiltSet.has(f.sha256)) remaining.push(`${f.path}: its full parameters were damaged and no intact route rebuilds them`);
    }
    // Files with no intact route here whose route can read objects a remote holds.
    const onRemotes = new Set<string>();
    let allElsewhere = lost.length > 0 && !!opts.elsewhere;
    for (const p of allElsewhere ? lost : []) {
      const remotes = await remotesOfRoute(id, m.files.find((f) => f.path === p)!);
      if (!remotes) { allElsewhere = false; break; }
      for (const r of remotes) onRemotes.add(r);
    }
    if (allElsewhere) {
      const names = [...onRemotes];
      commits.push({ id: id as CommitId, outcome: 'restorable', detail: `${lost.join(', ')}: objects its route needs are on the remote ${names.join(', ')}, not in this store (not checked here; "weightline restore" downloads them, "weightline verify --remote ${names[0] ?? ''}" checks them)${remaining.length ? `; ${remaining.join('; ')}` : ''}` });
    } else if (lost.length) {
      commits.push({ id: id as CommitId, outcome: 'lost', detail: `no intact route rebuilds ${lost.join(', ')}${remaining.length ? `: ${remaining.join('; ')}` : ''}` });
    } else if (remaining.length) {
      commits.push({ id: id as CommitId, outcome: 'restorable', detail: `${remaining.join('; ')}; it still restores bit-exact by another route` });
    } else if (touched) {
      commits.push({ id: id as CommitId, outcome: 'repaired', detail: rebuilt.filter((r) => m.files.some((f) => f.sha256 === r.object || f.delta?.object === r.object)).map((r) => `${r.path} rebuilt ${r.route}`).join('; ') || null });
    } else {
      commits.push({ id: id as CommitId, outcome: 'intact', detail: null });
    }
  }
  const order = new Map(graph.commits.map((c, i) => [c.id as string, i]));
  commits.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
  return { dryRun, ok: commits.every((c) => c.outcome !== 'lost'), commits, quarantined: [...packIndex.quarantined, ...quarantined], rebuilt: [...packIndex.rebuilt, ...readopted, ...rebuilt] };
}

/** The graph with the objects a remote holds counted as present (for route planning only: nothing reads them). */
function withRemoteObjects(graph: HistoryGraph, elsewhere: (sha: string) => string | null): HistoryGraph {
  const sizes = new Map<string, number>();
  const note = (sha: string, bytes: number): void => {
    const size = graph.objectSize(sha) ?? (elsewhere(sha) !== null ? bytes : null);
    if (size !== null) sizes.set(sha, size);
  };
  for (const c of graph.commits) {
    for (const f of c.files) {
      note(f.sha256, f.bytes);
      if (f.deltaObject) note(f.deltaObject, f.deltaBytes);
    }
  }
  for (const packed of graph.packedObjects().values()) note(packed, 0);
  return new HistoryGraph(graph.commits, sizes, graph.packedObjects());
}

/** Writes a rebuilt version to a temp file inside the store and returns its sha256 (the caller adopts it only if right). */
async function writeTemp(source: FileSource, temp: string, file: ManifestFile): Promise<string> {
  const hash = createHash('sha256');
  const out = await fs.open(temp, 'w', 0o644);
  let n = 0;
  try {
    for await (const chunk of source.chunks()) {
      hash.update(chunk);
      n += chunk.length;
      let w = 0;
      while (w < chunk.length) w += (await out.write(chunk, w, chunk.length - w)).bytesWritten;
    }
  } catch (e) {
    await out.close().catch(() => undefined);
    await fs.rm(temp, { force: true });
    throw e;
  }
  await out.close();
  return n === file.bytes ? hash.digest('hex') : `length-${n}`;
}
