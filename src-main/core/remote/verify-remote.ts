import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { WeightlineError } from '../../../src-shared/errors';
import type { ProgressListener } from '../../../src-shared/model';
import { sha256 } from '../base/fsutil';
import type { Manifest, ManifestFile } from '../base/manifest';
import { filesByPath, findRoute } from '../rebuild/route';
import { graphCommitOf, HistoryGraph, parentCycles } from '../store/graph';
import { HEX64, parseManifest } from '../store/store-files';
import type { Store } from '../store/store';
import { Remote, type ConnectOptions } from './client';
import { MANIFEST_READ_SLOTS, manifestWeight } from './limits';
import { mapBounded, runBounded } from './pool';
import { defaultRemote } from './remote-files';
import { keys, remotePacks, remoteRoutes } from './url';
import { chooseRoute } from './route-records';
import { applyRouteRecord } from '../store/routes';

// verify --remote: trust nothing the remote says. List it, download and hash
// every manifest and every object (streamed; nothing is written locally), then
// say for every commit whether the remote alone rebuilds it: each file's full
// object, or its delta on top of its parent's file rebuilt the same way (the
// routes push guarantees), and exactly which keys are missing or damaged.

export interface VerifyRemoteOptions {
  readonly remote?: string;
  readonly onProgress?: ProgressListener;
  readonly signal?: AbortSignal;
  readonly connect?: ConnectOptions;
}

export interface VerifyRemoteCommit {
  readonly id: string;
  readonly ok: boolean;
  /** Keys missing or damaged that this commit's rebuild from the remote needs, in words. */
  readonly problems: readonly string[];
}

export interface VerifyRemoteResult {
  readonly ok: boolean;
  readonly remote: string;
  readonly url: string;
  readonly commits: readonly VerifyRemoteCommit[];
  /** Keys whose bytes do not hash to their names. */
  readonly damaged: readonly string[];
  readonly objectsChecked: number;
  readonly bytesChecked: number;
}

export async function verifyRemote(store: Store, opts: VerifyRemoteOptions = {}): Promise<VerifyRemoteResult> {
  const name = opts.remote ?? (await defaultRemote(store));
  const remote = await Remote.open(store, name, opts.connect);
  const { signal } = opts;
  opts.onProgress?.({ phase: 'listing', bytesDone: 0, bytesTotal: 0 });
  const [manifestKeys, objectKeys, packKeys, routeKeys] = await Promise.all([
    remote.list(keys.manifests(remote.loc), signal),
    remote.list(keys.objects(remote.loc), signal),
    remote.list(keys.packs(remote.loc), signal),
    remote.list(keys.routes(remote.loc), signal),
  ]);
  // full object → its packed form on the remote (push sends a CHECKPOINT packed where the store keeps it so).
  const packs = remotePacks(packKeys.keys(), objectKeys);
  const damaged: string[] = [];
  const manifests = new Map<string, Manifest>();
  const manifestProblem = new Map<string, string>();
  await runBounded([...manifestKeys.keys()].filter((k) => HEX64.test(k)).map((id) => ({ weight: manifestWeight(manifestKeys.get(id)!), run: async () => {
    const key = keys.manifest(remote.loc, id);
    let bytes: Buffer | null;
    try {
      bytes = await remote.getManifest(key, manifestKeys.get(id)!, signal);
    } catch (e) {
      if ((e as WeightlineError).code !== 'REMOTE_CORRUPT') throw e;
      damaged.push(key); manifestProblem.set(id, (e as WeightlineError).message); return;
    }
    if (!bytes) { manifestProblem.set(id, `${key} vanished while it was checked`); return; }
    const actual = sha256(bytes);
    if (actual !== id) { damaged.push(key); manifestProblem.set(id, `${key} is damaged (hashes to ${actual.slice(0, 12)})`); return; }
    try { manifests.set(id, parseManifest(key, bytes, undefined, 'remote')); } catch (e) { damaged.push(key); manifestProblem.set(id, `${key} is not a manifest this Weightline reads (${(e as Error).message})`); }
  } })), MANIFEST_READ_SLOTS, signal);

  const total = [...objectKeys.entries()].filter(([k]) => HEX64.test(k)).reduce((s, [, n]) => s + n, 0);
  let done = 0;
  const intact = new Set<string>();
  const bad = new Map<string, string>();
  await mapBounded([...objectKeys.keys()].filter((k) => HEX64.test(k)), 4, async (sha) => {
    const key = keys.object(remote.loc, sha);
    const hash = createHash('sha256');
    let n = 0;
    try {
      // No more than the listed size + 1 byte, whatever the server sends: a longer body is damaged by that byte alone.
      const listed = objectKeys.get(sha)!;
      const res = await remote.client.send(new GetObjectCommand({ Bucket: remote.loc.bucket, Key: key, ...(listed > 0 ? { Range: `bytes=0-${listed}` } : {}) }), { abortSignal: signal });
      for await (const chunk of res.Body as Readable) {
        hash.update(chunk as Buffer); n += (chunk as Buffer).length; done += (chunk as Buffer).length;
        opts.onProgress?.({ phase: 'verifying', bytesDone: done, bytesTotal: total });
        if (n > listed) break;
      }
    } catch (e) {
      throw remote.error(e, key, signal);
    }
    const actual = hash.digest('hex');
    if (actual === sha) intact.add(sha);
    else { damaged.push(key); bad.set(sha, `${key} is damaged (${n} bytes that hash to ${actual.slice(0, 12)})`); }
  }, signal);

  // A commit re-based before it was pushed is stored by a route record: the
  // storage fetch would choose (route-records.ts), judged on intact objects only.
  const routes = remoteRoutes(routeKeys);
  for (const [id, m] of [...manifests]) {
    const candidates = routes.get(id);
    if (!candidates) continue;
    try {
      const chosen = await chooseRoute(remote, id, m, candidates, (p) => manifests.has(p), async (sha) => intact.has(sha) || intact.has(packs.get(sha) ?? ''), signal ?? new AbortController().signal);
      if (chosen) manifests.set(id, applyRouteRecord(store.dir, m, chosen.record));
    } catch (e) {
      if ((e as WeightlineError).code !== 'REMOTE_CORRUPT') throw e;
      damaged.push(...candidates.map((c) => keys.route(remote.loc, id, c.sha)).filter((k) => (e as Error).message.includes(k)));
      manifestProblem.set(id, (e as Error).message);
    }
  }

  // Manifests name parents by hash, so only route records (forgeable by whoever can write to the remote) can make
  // a line of parents return to itself; such commits are findings, and left out of the history the routes search.
  for (const id of parentCycles([...manifests].map(([c, m]) => ({ id: c, parent: m.parent })))) {
    manifestProblem.set(id, `route records on the remote lead commit ${id.slice(0, 12)}'s parents back to itself (a cycle no forget writes): ${(routes.get(id) ?? []).map((c) => keys.route(remote.loc, id, c.sha)).join(', ') || 'its manifest'}`);
    manifests.delete(id);
  }

  // Does the remote alone rebuild each file? Memoised over (commit, path).
  const memo = new Map<string, string[]>();
  const fileProblems = (id: string, f: ManifestFile): string[] => {
    const k = `${id}\u0000${f.path}`;
    const known = memo.get(k);
    if (known) return known;
    const line: Array<{ id: string; f: ManifestFile }> = [];
    let result: string[] = [];
    // Walk the parents until a file the remote holds whole (iterative: long histories).
    const walked = new Set<string>();
    for (let cur: { id: string; f: ManifestFile } | null = { id, f }; cur; ) {
      const ck = `${cur.id}\u0000${cur.f.path}`;
      if (memo.has(ck)) { result = memo.get(ck)!; break; }
      // Only a forged route record can lead a line back to itself: a finding, not a walk forever.
      if (walked.has(ck)) { result = [`route records on the remote lead ${cur.f.path} in commit ${cur.id.slice(0, 12)} back to itself (a cycle no forget writes)`]; break; }
      walked.add(ck);
      line.push(cur);
      if (intact.has(cur.f.sha256)) { result = []; break; }
      const packed = packs.get(cur.f.sha256);
      if (packed && intact.has(packed)) { result = []; break; }
      const d: ManifestFile['delta'] = cur.f.delta;
      const where = `${cur.f.path} in commit ${cur.id.slice(0, 12)}`;
      if (!d) { result = [objectProblem(packed ?? cur.f.sha256, `the ${packed ? 'packed ' : ''}full parameters of ${where}`)]; break; }
      if (d.object && !intact.has(d.object)) { result = [objectProblem(d.object, `the delta of ${where}`)]; break; }
      if (d.basePath === null) { result = []; break; }
      const m: Manifest = manifests.get(cur.id)!;
      const parent = m.parent ? manifests.get(m.parent) : undefined;
      const base: string = d.basePath;
      const pf: ManifestFile | undefined = parent ? filesByPath(parent).get(base) : undefined;
      if (!m.parent || !pf) { result = [m.parent && manifestProblem.has(m.parent) ? manifestProblem.get(m.parent)! : `the parent commit ${m.parent?.slice(0, 12) ?? '?'} of ${where} is not on the remote`]; break; }
      cur = { id: m.parent, f: pf };
    }
    for (const x of line) memo.set(`${x.id}\u0000${x.f.path}`, result);
    return result;
  };
  const objectProblem = (sha: string, what: string): string => {
    const key = keys.object(remote.loc, sha);
    return bad.has(sha) ? `${what}: ${bad.get(sha)}` : `${what}: ${key} is missing`;
  };

  // A commit is rebuildable when restore would rebuild it: the same route
  // search (rebuild/route.ts) over the remote's intact objects and manifests,
  // backward routes included. So verify --remote agrees with what restore and
  // clone do, never 'lost' for a commit they restore; the walk above only explains a commit that has no route.
  const sizes = new Map<string, number>();
  for (const sha of intact) sizes.set(sha, objectKeys.get(sha)!);
  const intactPacks = new Map([...packs].filter(([, packed]) => intact.has(packed)));
  const graph = new HistoryGraph([...manifests].map(([id, m]) => graphCommitOf(id, m)), sizes, intactPacks);
  const query = { usable: (sha: string) => intact.has(sha), manifest: async (id: string) => manifests.get(id) ?? null };
  const commits: VerifyRemoteCommit[] = [];
  let n = 0;
  for (const id of [...manifestKeys.keys()].filter((k) => HEX64.test(k)).sort()) {
    // Heard between commits: a loop of resolved awaits would never let Ctrl+C in.
    if (n++ % 64 === 0) await new Promise<void>((r) => setImmediate(r));
    if (signal?.aborted) throw signal.reason instanceof WeightlineError ? signal.reason : new WeightlineError('CANCELLED', 'cancelled');
    const problem = manifestProblem.get(id);
    if (problem) { commits.push({ id, ok: false, problems: [problem] }); continue; }
    const m = manifests.get(id)!;
    const problems: string[] = [];
    for (const f of m.files) {
      if (await findRoute(store, graph, id, f, query)) continue;
      const why = fileProblems(id, f);
      problems.push(...(why.length ? why : [`${f.path} in commit ${id.slice(0, 12)}: no route through the remote's intact objects rebuilds it`]));
    }
    commits.push({ id, ok: problems.length === 0, problems: [...new Set(problems)] });
  }
  const createdAt = (id: string): string => manifests.get(id)?.createdAt ?? '';
  commits.sort((a, b) => (createdAt(a.id) < createdAt(b.id) ? -1 : createdAt(a.id) > createdAt(b.id) ? 1 : a.id < b.id ? -1 : 1));
  return { ok: damaged.length === 0 && commits.every((c) => c.ok), remote: name, url: remote.url, commits, damaged: damaged.sort(), objectsChecked: intact.size + bad.size, bytesChecked: done };
}
