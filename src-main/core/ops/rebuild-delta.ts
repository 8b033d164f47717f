import { createHash } from 'node:crypto';
import { WeightlineError } from '../../../src-shared/errors';
import type { CommitId, RebuiltObject } from '../../../src-shared/model';
import type { FileSource } from '../base/file-source';
import { tensorRegions, type Manifest, type ManifestFile } from '../base/manifest';
import { DeltaWriter } from '../codec/delta-writer';
import { encodeFile } from '../codec/encode-file';
import { DELTA_ENCODING, encodes } from '../codec/encoding';
import { fileLabel, readVersion } from '../rebuild/open';
import { describeRoute, openRoute, type Route } from '../rebuild/route';
import { HistoryGraph } from '../store/graph';
import type { Store } from '../store/store';

// A delta object is a pure function of the two versions it joins
// (codec/encoding.ts), so repair can make a damaged or missing one again:
// read the delta's base version and its own version by routes that do not
// need it (each checked against its sha256), encode the pair as a commit
// would, and keep the result only if it hashes to the delta's name. Deltas
// written before deterministic encoding usually come out different (their
// blocks landed in the order the workers finished); their commits keep
// restoring by the other routes, and verify then warns instead of failing
// (missingDeltaVerdict).

export interface DeltaRebuildOptions {
  readonly dryRun: boolean;
  /** Objects known damaged (shared with repair: a rebuilt delta leaves it). */
  readonly bad: Set<string>;
  /** Named objects not on disk (shared with repair: a rebuilt delta leaves it). */
  readonly missing: Set<string>;
  /** The remote holding an object this store lacks: such a delta is not missing, it is elsewhere. */
  readonly elsewhere?: ((sha: string) => string | null) | undefined;
  readonly signal?: AbortSignal | undefined;
}

export interface DeltaRebuilds {
  /** The deltas made again (in a dry run: that would be, their bytes proved by hashing). */
  readonly rebuilt: readonly RebuiltObject[];
  /** Why a damaged or missing delta object of this file could not be made again, or null when it is whole (or on a remote). */
  problem(file: ManifestFile): string | null;
}

/**
 * Encodes again every delta object the manifests name that is damaged (in
 * `bad`, already set aside) or missing, from two versions that still
 * restore; adopts each one that hashes to its name.
 */
export async function rebuildDeltas(store: Store, manifests: ReadonlyMap<string, Manifest | Error>, opts: DeltaRebuildOptions): Promise<DeltaRebuilds> {
  const rebuilt: RebuiltObject[] = [];
  const why = new Map<string, string>();
  const damaged = new Set<string>();
  let graph: HistoryGraph | null = null;
  for (const [id, m] of manifests) {
    if (m instanceof Error) continue;
    for (const file of m.files) {
      const sha = file.delta?.object;
      if (!sha || why.has(sha) || rebuilt.some((r) => r.object === sha)) continue;
      const isBad = opts.bad.has(sha);
      if (!isBad && !opts.missing.has(sha)) continue;
      // A fetched commit's objects stay on its remote: not missing, not ours to make.
      if (!isBad && opts.elsewhere?.(sha)) continue;
      if (isBad) damaged.add(sha);
      if (opts.signal?.aborted) throw new WeightlineError('CANCELLED', 'repair was cancelled; what it did so far is whole');
      // Objects rebuilt so far (full objects, earlier deltas) are on disk now.
      graph = opts.dryRun ? (graph ?? await HistoryGraph.load(store)) : await HistoryGraph.load(store);
      const outcome = await rebuildOne(store, graph, id, m, file, manifests, opts);
      if (typeof outcome === 'string') { why.set(sha, outcome); continue; }
      rebuilt.push(outcome);
      opts.bad.delete(sha);
      opts.missing.delete(sha);
    }
  }
  const made = new Set(rebuilt.map((r) => r.object));
  return {
    rebuilt,
    problem(file) {
      const sha = file.delta?.object;
      const reason = sha ? why.get(sha) : undefined;
      if (!sha || made.has(sha) || reason === undefined) return null;
      return `its delta object ${sha.slice(0, 12)} ${damaged.has(sha) ? (opts.dryRun ? 'is damaged (would be quarantined)' : 'was damaged (quarantined)') : 'is missing'} and ${opts.dryRun ? 'would not be' : 'was not'} rebuilt: ${reason}`;
    },
  };
}

/** The rebuilt delta, or why it could not be made. */
async function rebuildOne(
  store: Store, graph: HistoryGraph, id: string, m: Manifest, file: ManifestFile,
  manifests: ReadonlyMap<string, Manifest | Error>, opts: DeltaRebuildOptions,
): Promise<RebuiltObject | string> {
  const delta = file.delta!;
  const sha = delta.object!;
  let base: { commit: string; file: ManifestFile } | null = null;
  if (delta.basePath !== null) {
    const parent = m.parent ? manifests.get(m.parent) : undefined;
    const baseFile = parent && !(parent instanceof Error) ? parent.files.find((f) => f.path === delta.basePath) : undefined;
    if (!baseFile) return `its base version (${delta.basePath} in the parent commit ${m.parent?.slice(0, 12) ?? '(none)'}) cannot be read`;
    base = { commit: m.parent!, file: baseFile };
  }
  // Both versions by routes proved bit-exact now (the delta itself is not usable: damaged or missing).
  const own = await provedRoute(store, graph, id, file, opts.bad, opts.signal);
  if (typeof own === 'string') return `this version does not restore without it (${own})`;
  const from = base ? await provedRoute(store, graph, base.commit, base.file, opts.bad, opts.signal) : null;
  if (typeof from === 'string') return `its base version ${fileLabel(base!.commit, base!.file.path)} does not restore (${from})`;

  const writer = opts.dryRun ? DeltaWriter.hashOnly() : new DeltaWriter(store.tempPath('delta'));
  let made: { sha256: string; bytes: number } | null;
  const sources: FileSource[] = [];
  try {
    const fresh = await openRoute(store, own);
    sources.push(fresh);
    const old = from ? await openRoute(store, from) : null;
    if (old) sources.push(old);
    // The manifest's block map stays as it is: it describes exactly these bytes, whatever an encode says now.
    await encodeFile(fresh, tensorRegions(file), old && base ? { source: old, path: base.file.path, tensors: base.file.tensors } : null, { writer, signal: opts.signal, encoding: encodes(delta.encoding) ? delta.encoding : DELTA_ENCODING });
    made = await writer.finish();
    if (made?.sha256 === sha && !opts.dryRun) await store.adoptObject(writer.tempFile, sha);
  } catch (e) {
    await writer.discard().catch(() => undefined);
    // A version that reads wrong now (it hashed right a moment ago): not rebuilt, say so.
    if (e instanceof WeightlineError && (e.code === 'CORRUPT' || e.code === 'BROKEN_CHAIN')) return `reading the two versions failed: ${e.message}`;
    // The encoder words a cancel for a commit; here nothing was half done either.
    if (e instanceof WeightlineError && e.code === 'CANCELLED') throw new WeightlineError('CANCELLED', 'repair was cancelled; what it did so far is whole');
    throw e;
  } finally {
    for (const s of sources) await s.close();
  }
  if (made?.sha256 !== sha || made.bytes !== delta.bytes) {
    await writer.discard().catch(() => undefined);
    return notTheSame(delta.encoding, made);
  }
  const via = base ? `from ${fileLabel(base.commit, base.file.path)} (${describeRoute(from!)}) and this version (${describeRoute(own)})` : `from this version (${describeRoute(own)})`;
  return { object: sha, commit: id as CommitId, path: file.path, route: `as its delta again, encoded ${via}; sha256 checked`, kind: 'delta' };
}

/** Why an encoding of the two versions did not give the delta's bytes. */
function notTheSame(encoding: number | undefined, made: { sha256: string; bytes: number } | null): string {
  const got = made ? `${made.sha256.slice(0, 12)}, ${made.bytes} bytes` : 'no bytes';
  if (encoding === undefined) {
    return `it predates deterministic encoding (its bytes depended on the order the encoder's workers finished), so encoding the two versions again gives other bytes (${got})`;
  }
  if (!encodes(encoding)) return `it was written with delta encoding ${encoding} and this Weightline encodes with 1 to ${DELTA_ENCODING} (got ${got})`;
  return `encoding the two versions again gave other bytes (${got}) although it was written with an encoding this Weightline writes (${encoding}); a bug, please report it`;
}

/** The cheapest route whose bytes hash to the version's sha256 now, or why there is none. */
async function provedRoute(store: Store, graph: HistoryGraph, id: string, file: ManifestFile, bad: Set<string>, signal: AbortSignal | undefined): Promise<Route | string> {
  try {
    const read = await readVersion(store, id, file, async (source) => {
      const hash = createHash('sha256');
      let n = 0;
      for await (const chunk of source.chunks()) {
        if (signal?.aborted) throw new WeightlineError('CANCELLED', 'repair was cancelled; what it did so far is whole');
        hash.update(chunk);
        n += chunk.length;
      }
      return n === file.bytes ? hash.digest('hex') : `length-${n}`;
    }, { graph, bad });
    return read.route;
  } catch (e) {
    if (e instanceof WeightlineError && (e.code === 'CORRUPT' || e.code === 'BROKEN_CHAIN')) return e.message;
    throw e;
  }
}

/**
 * What verify says of a delta object that is missing (damaged ones always
 * fail: repair sets them aside and tries): a failure that names repair only
 * when repair can make it again (written with an encoding it writes, and both
 * versions restore); otherwise, if the version restores by another route, a
 * warning: the store keeps working (cleanup keeps the full parameters that
 * route needs), and nothing the user runs would bring the delta back.
 */
export function missingDeltaVerdict(
  file: ManifestFile, restoredBy: Route | null, baseRestores: boolean,
): { readonly kind: 'problem' | 'warning'; readonly text: string } {
  const sha = file.delta!.object!;
  const lost = `${file.path}: its delta object ${sha.slice(0, 12)} is missing`;
  if (!restoredBy) return { kind: 'problem', text: lost };
  const encoding = file.delta!.encoding;
  if (encodes(encoding) && baseRestores) {
    return { kind: 'problem', text: `${lost}; "weightline repair" encodes it again from the two versions` };
  }
  const why = encoding === undefined ? 'it predates deterministic encoding'
    : !encodes(encoding) ? `it was written with delta encoding ${encoding}, this Weightline encodes with 1 to ${DELTA_ENCODING}`
      : 'its base version does not restore';
  return { kind: 'warning', text: `${lost} and cannot be rebuilt (${why}); the version restores bit-exact ${describeRoute(restoredBy)}, which cleanup keeps, so the store keeps working` };
}
