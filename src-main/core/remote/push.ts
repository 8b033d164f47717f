import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { WeightlineError } from '../../../src-shared/errors';
import type { PushSummary } from '../../../src-shared/contract';
import type { CommitId, ProgressListener } from '../../../src-shared/model';
import { fsyncFile, mapFsError, sha256 } from '../base/fsutil';
import type { ManifestFile } from '../base/manifest';
import { pausePoint } from '../base/test-pause';
import { readVersion } from '../rebuild/open';
import { HistoryGraph } from '../store/graph';
import { resolveCommit } from '../store/history';
import type { Store } from '../store/store';
import { PART_QUEUE, PART_SIZE, Remote, type ConnectOptions } from './client';
import { mapBounded, runBounded } from './pool';
import { pushTags } from './tags';
import { readTags } from '../store/tags';
import { routeRecordPath } from '../store/routes';
import { defaultRemote, readRemoteCache, writeRemoteCache } from './remote-files';
import { MANIFEST_LIMIT, MARKER_LIMIT, limitText } from './limits';
import { keys, MARKER, REMOTE_FORMAT_VERSION, remotePacks } from './url';

// Push (docs/STORE-FORMAT.md, "Remotes"): send the commits the remote lacks,
// with enough objects to rebuild every one of them from the remote alone, then
// their manifests, parents first. Nothing on the remote is ever overwritten
// (If-None-Match: *, or a HEAD before a multipart upload), so two machines
// pushing at once cannot lose each other's commits, and an interrupted push
// leaves only whole objects behind: the next push lists the remote and sends
// what is still missing.

export interface PushOptions {
  /** Remote name; default: the only remote, or origin. */
  readonly remote?: string;
  /** Commits to push with their ancestors; default: every commit of the store. */
  readonly refs?: readonly string[];
  readonly onProgress?: ProgressListener;
  readonly signal?: AbortSignal;
  readonly connect?: ConnectOptions;
}

/** What a push did: the contract's PushSummary (the app's push job returns it as is). */
export type PushResult = PushSummary;

/** One object a push sends, and why. */
export interface PushObject {
  readonly sha: string;
  readonly bytes: number;
  readonly kind: 'full' | 'delta' | 'packed';
  /** The commit and file it is for (a full object the store lacks is rebuilt from there). */
  readonly commit: string;
  readonly file: ManifestFile;
  /** kind 'packed': the full object this is the packed form of (the remote's pack index names both). */
  readonly full?: string;
}

/** Small objects in flight at once; a multipart upload counts as PART_QUEUE of them (memory: PART_SIZE each). */
const CAPACITY = PART_QUEUE;

export async function push(store: Store, opts: PushOptions = {}): Promise<PushResult> {
  const name = opts.remote ?? (await defaultRemote(store));
  const remote = await Remote.open(store, name, opts.connect);
  const signal = opts.signal;
  const progress = (phase: string, done: number, total: number): void => opts.onProgress?.({ phase, bytesDone: done, bytesTotal: total });
  const graph = await HistoryGraph.load(store);
  // Read first: a damaged tags.json stops the push before anything is sent.
  const localTags = await readTags(store);

  // The commits asked for and every ancestor: a commit on the remote always has its parent there.
  const heads = opts.refs?.length ? await Promise.all(opts.refs.map((r) => resolveCommit(store, r))) : graph.tips();
  const closure = new Set<string>();
  for (const h of heads) {
    for (let cur: string | null = h; cur && !closure.has(cur); cur = graph.get(cur)?.parent ?? null) {
      if (!graph.has(cur)) {
        const why = graph.unreadable.get(cur);
        throw new WeightlineError('CORRUPT', `cannot push commit ${cur.slice(0, 12)}: ${why ? why.message : 'its manifest is not in this store'}; "weightline verify" says more`);
      }
      closure.add(cur);
    }
  }

  progress('listing', 0, 0);
  const [remoteManifests, remoteObjects, packKeys, routeKeys] = await Promise.all([
    remote.list(keys.manifests(remote.loc), signal),
    remote.list(keys.objects(remote.loc), signal),
    remote.list(keys.packs(remote.loc), signal),
    remote.list(keys.routes(remote.loc), signal),
  ]);
  await ensureMarker(remote, signal);
  const toPush = [...closure].filter((id) => !remoteManifests.has(id));
  // Before any upload: a manifest fetch would refuse must not leave its objects behind on the remote.
  for (const id of toPush) {
    const file = path.join(store.dir, 'commits', `${id}.json`);
    const size = (await fs.stat(file).catch(() => null))?.size ?? 0;
    if (size > MANIFEST_LIMIT) throw new WeightlineError('UNSUPPORTED', `the manifest of commit ${id.slice(0, 12)} weighs ${size} bytes, more than the ${limitText(MANIFEST_LIMIT)} a remote's manifest may (docs/STORE-FORMAT.md, "Remote limits"): fetch and clone would refuse it, so nothing was sent`, file);
  }
  const packsThere = remotePacks(packKeys.keys(), remoteObjects);
  // A commit re-based by a forget is stored by its route record (the graph and
  // pushObjects read it: the re-based deltas, or a new CHECKPOINT's full
  // objects, are what is sent). Its manifest still names the forgotten parent,
  // so the record goes too, before the manifest: write-once, named by its bytes.
  const localRoutes = await store.routeRecords();
  const routesThere = new Set(routeKeys.keys());
  const routesToSend = new Map<string, { bytes: Buffer; sha: string }>();
  for (const id of toPush) {
    if (!localRoutes.has(id)) continue;
    const file = routeRecordPath(store.dir, id);
    const bytes = await fs.readFile(file).catch((e: unknown) => { throw mapFsError(e, file); });
    if (bytes.length > MANIFEST_LIMIT) throw new WeightlineError('UNSUPPORTED', `the route record of commit ${id.slice(0, 12)} weighs ${bytes.length} bytes, more than the ${limitText(MANIFEST_LIMIT)} a remote's record may; nothing was sent`, file);
    const sha = sha256(bytes);
    if (!routesThere.has(`${id}/${sha}`)) routesToSend.set(id, { bytes, sha });
  }

  const needed = await pushObjects(store, graph, toPush, (id) => closure.has(id) || remoteManifests.has(id));
  // A full object the remote holds packed is there; one this store keeps
  // packed goes packed (byte planes + zstd: what cleanup made of a CHECKPOINT
  // out of the hot set), with its pack key, so the remote holds less too.
  const wanted = new Map<string, PushObject>();
  const packsToWrite = new Map<string, string>();
  let packedSent = 0;
  let bytesSavedByPacks = 0;
  for (const o of needed.values()) {
    if (o.kind === 'full' && !remoteObjects.has(o.sha)) {
      const there = packsThere.get(o.sha);
      if (there) { wanted.set(there, { ...o, sha: there, bytes: remoteObjects.get(there)!, kind: 'packed', full: o.sha }); continue; }
      const packed = graph.packedObject(o.sha);
      const packedSize = packed ? graph.objectSize(packed) : null;
      if (packed && packedSize !== null && !wanted.has(packed)) {
        wanted.set(packed, { ...o, sha: packed, bytes: packedSize, kind: 'packed', full: o.sha });
        packsToWrite.set(o.sha, packed);
        continue;
      }
    }
    if (!wanted.has(o.sha)) wanted.set(o.sha, o);
  }
  const missing: PushObject[] = [];
  let objectsAlreadyThere = 0;
  for (const o of wanted.values()) {
    const size = remoteObjects.get(o.sha);
    if (size === undefined) { missing.push(o); continue; }
    if (size !== o.bytes) throw remote.damaged(keys.object(remote.loc, o.sha), `${size} bytes where the object has ${o.bytes}`);
    objectsAlreadyThere++;
  }

  const total = missing.reduce((s, o) => s + o.bytes, 0);
  let done = 0;
  const onBytes = (n: number): void => { done += n; progress('uploading', done, total); };
  let uploaded = 0;
  let bytesUploaded = 0;
  let rebuilt = 0;
  const sent: string[] = [];
  // Big objects first: they set the pace, and the small ones fill the gaps.
  missing.sort((a, b) => b.bytes - a.bytes);
  await runBounded(missing.map((o) => ({
    weight: o.bytes > PART_SIZE ? CAPACITY : 1,
    run: async () => {
      const key = keys.object(remote.loc, o.sha);
      let outcome: 'uploaded' | 'exists';
      const local = store.objectPath(o.sha);
      if ((await store.objectSize(o.sha)) === o.bytes) {
        try {
          outcome = await remote.uploadFile(key, local, o.sha, o.bytes, onBytes, signal);
        } catch (e) {
          // A cleanup deleted the full object meanwhile: rebuild it like one the store never kept.
          if (!(o.kind === 'full' && (e as WeightlineError).code === 'NOT_FOUND')) throw e;
          outcome = await uploadRebuilt(store, graph, remote, o, key, onBytes, signal);
          rebuilt++;
        }
      } else if (o.kind === 'full') {
        outcome = await uploadRebuilt(store, graph, remote, o, key, onBytes, signal);
        rebuilt++;
      } else if (o.kind === 'packed') {
        throw new WeightlineError('NOT_FOUND', `cannot push commit ${o.commit.slice(0, 12)}: the packed full parameters of ${o.file.path} (object ${o.sha.slice(0, 12)}) vanished while the push ran (a cleanup or repair beside it?); run the push again`);
      } else {
        throw new WeightlineError('BROKEN_CHAIN', `cannot push commit ${o.commit.slice(0, 12)}: the delta object ${o.sha.slice(0, 12)} of ${o.file.path} is not in this store${(await store.objectSize(o.sha)) !== null ? ' whole' : ''}; "weightline verify" says more`);
      }
      if (outcome === 'uploaded') { uploaded++; bytesUploaded += o.bytes; }
      if (o.kind === 'packed' && outcome === 'uploaded') { packedSent++; bytesSavedByPacks += o.file.bytes - o.bytes; }
      sent.push(o.sha);
      await pausePoint('push.uploaded', signal);
    },
  })), CAPACITY, signal);

  // Multipart uploads an interrupted push left behind (SIGKILL, a server
  // stopped mid-part) are invisible but hold storage until aborted. Those for
  // keys that now exist are useless whoever started them: abort them. A
  // pusher still completing one of them finds its key there and counts it as
  // sent (client.ts, NoSuchUpload). Best effort: a server or policy that
  // refuses the listing leaves them (a bucket lifecycle rule then clears them).
  const there = new Set([...remoteObjects.keys(), ...sent].map((sha) => keys.object(remote.loc, sha)));
  const aborted = await remote.abortUploads(keys.objects(remote.loc), (key) => there.has(key), signal);

  // Pack keys after their packed objects (a pack key on the remote means its
  // object is there), before the manifests that need them. Empty, write-once.
  await mapBounded([...packsToWrite], 8, async ([full, packed]) => {
    await remote.putNew(keys.pack(remote.loc, full, packed), Buffer.alloc(0), signal);
  }, signal);

  // Manifests last, each after its parent: a manifest on the remote means its
  // objects and its ancestors are there.
  // Manifests are small: the phase shows its name only (a byte bar of counts would read as bytes).
  progress('manifests', 0, 0);
  const order = parentsFirst(graph, toPush);
  const slots = semaphore(8);
  const putting = new Map<string, Promise<void>>();
  for (const id of order) {
    const parent = graph.get(id)?.parent;
    const after = parent ? putting.get(parent) : undefined;
    putting.set(id, (async () => {
      if (after) await after;
      await slots(async () => {
        // Its route record before its manifest: a manifest on the remote means the storage that rebuilds it is there.
        const route = routesToSend.get(id);
        if (route) await remote.putNew(keys.route(remote.loc, id, route.sha), route.bytes, signal);
        const file = path.join(store.dir, 'commits', `${id}.json`);
        const bytes = await fs.readFile(file);
        if (sha256(bytes) !== id) throw new WeightlineError('CORRUPT', `manifest checksum mismatch: the file does not hash to its name; nothing of commit ${id.slice(0, 12)} was sent`, file);
        await remote.putNew(keys.manifest(remote.loc, id), bytes, signal);
      });
    })());
  }
  // Every one settles before the first error is thrown: nothing keeps running behind the caller.
  const settled = await Promise.allSettled(putting.values());
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;

  // Tag records after the manifests: a tag on the remote names a commit that is there.
  const tagsSent = await pushTags(localTags, remote, (id) => closure.has(id) || remoteManifests.has(id), signal);

  // What the remote holds now, for log/status and lazy restore.
  const old = await readRemoteCache(store, name);
  const objects: Record<string, number> = Object.fromEntries(remoteObjects);
  for (const o of wanted.values()) objects[o.sha] = o.bytes;
  await writeRemoteCache(store, name, {
    at: new Date().toISOString(),
    commits: [...new Set([...remoteManifests.keys(), ...toPush, ...(old?.commits ?? [])])].filter((k) => /^[0-9a-f]{64}$/.test(k)),
    objects: Object.fromEntries(Object.entries(objects).filter(([k]) => /^[0-9a-f]{64}$/.test(k))),
    packs: Object.fromEntries([...packsThere, ...packsToWrite]),
  }).catch(() => undefined);

  return { remote: name, url: remote.url, commits: order as CommitId[], alreadyThere: closure.size - toPush.length, objectsUploaded: uploaded, bytesUploaded, objectsAlreadyThere, rebuilt, packedSent, bytesSavedByPacks, staleUploadsAborted: aborted, tagsSent, routesSent: routesToSend.size };
}

/**
 * The objects that let the remote rebuild each commit alone, by the store's
 * rebuild rules: every delta object (each DELTA commit's route forward from
 * its nearest CHECKPOINT), the full objects of every CHECKPOINT and of every
 * file without a delta (where routes start), and the full objects of each
 * line's newest commit (what people fetch most, restored with no replay).
 * Other full objects stay local: they are what the deltas save.
 */
export async function pushObjects(store: Store, graph: HistoryGraph, commits: readonly string[], onRemote: (id: string) => boolean): Promise<Map<string, PushObject>> {
  const out = new Map<string, PushObject>();
  for (const id of commits) {
    const m = await store.readManifest(id);
    const tip = !graph.children(id).some(onRemote);
    for (const f of m.files) {
      if (f.delta?.object && !out.has(f.delta.object)) out.set(f.delta.object, { sha: f.delta.object, bytes: f.delta.bytes, kind: 'delta', commit: id, file: f });
      if ((m.type === 'CHECKPOINT' || !f.delta || tip) && !out.has(f.sha256)) out.set(f.sha256, { sha: f.sha256, bytes: f.bytes, kind: 'full', commit: id, file: f });
    }
  }
  return out;
}

/** Runs at most n of the functions given to it at once. */
function semaphore(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let free = n;
  const waiting: Array<() => void> = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (free === 0) await new Promise<void>((r) => waiting.push(r));
    else free--;
    try { return await fn(); } finally { const next = waiting.shift(); if (next) next(); else free++; }
  };
}

/** Commits ordered so that each comes after its parent (when the parent is among them). */
function parentsFirst(graph: HistoryGraph, ids: readonly string[]): string[] {
  const want = new Set(ids);
  const out: string[] = [];
  const placed = new Set<string>();
  for (const id of ids) {
    const line: string[] = [];
    for (let cur: string | null = id; cur && want.has(cur) && !placed.has(cur); cur = graph.get(cur)?.parent ?? null) line.push(cur);
    for (let i = line.length - 1; i >= 0; i--) { placed.add(line[i]!); out.push(line[i]!); }
  }
  return out;
}

/** Writes the remote's format marker once (If-None-Match), or checks the one there. */
async function ensureMarker(remote: Remote, signal?: AbortSignal): Promise<void> {
  const key = keys.marker(remote.loc);
  const there = await remote.getBytes(key, MARKER_LIMIT, signal);
  if (there) { checkMarker(remote, there); return; }
  await remote.putNew(key, Buffer.from(JSON.stringify({ format: 'weightline-remote', version: REMOTE_FORMAT_VERSION }) + '\n'), signal);
}

export function checkMarker(remote: Remote, bytes: Buffer): void {
  let v: unknown;
  try { v = JSON.parse(bytes.toString('utf8')); } catch { v = null; }
  const marker = v as { format?: unknown; version?: unknown } | null;
  if (marker?.format !== 'weightline-remote') throw remote.damaged(keys.marker(remote.loc), `no Weightline remote marker (${MARKER} holds something else)`);
  if (marker.version !== REMOTE_FORMAT_VERSION) {
    throw new WeightlineError('STORE_VERSION', `the remote ${remote.describe()} is in remote format version ${String(marker.version)}, this Weightline reads ${REMOTE_FORMAT_VERSION}; use a Weightline that reads that version`);
  }
}

/**
 * A full object the store no longer keeps (a cleanup pruned it), rebuilt by
 * the cheapest intact route into a temp file inside the store, its sha256
 * checked, uploaded and deleted: the remote gets the exact bytes it names.
 */
async function uploadRebuilt(store: Store, graph: HistoryGraph, remote: Remote, o: PushObject, key: string, onBytes: (n: number) => void, signal?: AbortSignal): Promise<'uploaded' | 'exists'> {
  const tmp = await pushTempPath(store);
  try {
    await readVersion(store, o.commit, o.file, async (source) => {
      const h = createHash('sha256');
      const out = await fs.open(tmp, 'w', 0o600);
      let n = 0;
      try {
        for await (const chunk of source.chunks()) {
          if (signal?.aborted) throw new WeightlineError('CANCELLED', 'cancelled');
          h.update(chunk);
          n += chunk.length;
          let w = 0;
          while (w < chunk.length) w += (await out.write(chunk, w, chunk.length - w)).bytesWritten;
        }
      } finally {
        await out.close();
      }
      return n === o.bytes ? h.digest('hex') : `length-${n}`;
    }, { graph: await HistoryGraph.load(store).catch(() => graph) });
    await fsyncFile(tmp);
    return await remote.uploadFile(key, tmp, o.sha, o.bytes, onBytes, signal);
  } finally {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
  }
}

// Push takes no lock: it only reads the store, and pushes to two remotes may
// run at once. So its temp files (full objects rebuilt to be sent) live in a
// folder of their own, which the writers' temp sweep (store/lock.ts) never
// looks into: a commit beside a push must not delete the file being uploaded
// (it did: a push beside commits failed with ENOENT). Named <host>-<pid>-<random>; each
// push removes those a push on this host left when it died.
const PUSH_TMP = 'tmp-push';
const HOST = os.hostname();

async function pushTempPath(store: Store): Promise<string> {
  const dir = path.join(store.dir, PUSH_TMP);
  await fs.mkdir(dir, { recursive: true }).catch((e: unknown) => { throw mapFsError(e, dir); });
  for (const n of await fs.readdir(dir).catch(() => [] as string[])) {
    const m = /^(.*)-(\d+)-[0-9a-f]+$/.exec(n);
    if (m && m[1] === HOST && !pidAlive(Number(m[2]))) await fs.rm(path.join(dir, n), { force: true }).catch(() => undefined);
  }
  return path.join(dir, `${HOST}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

function pidAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}
