import { createHash } from 'node:crypto';
import { WeightlineError } from '../../../src-shared/errors';
import type { CommitId, ProgressListener, VerifyCommit, VerifyResult } from '../../../src-shared/model';
import { sha256File } from '../base/fsutil';
import type { Manifest, ManifestFile } from '../base/manifest';
import { readVersion } from '../rebuild/open';
import { HistoryGraph } from '../store/graph';
import { packDecodesTo } from './pack';
import type { Store } from '../store/store';
import { missingDeltaVerdict } from './rebuild-delta';

// Trust nothing: rebuild every file of every commit in streaming mode (no file
// written) and compare its sha256 with the manifest, and hash every delta
// object (a later cleanup relies on them even where the full parameters are
// read). A commit is ok when every object it names is intact and its usual
// route gives its bytes; it is restorable when any intact route does (XOR
// deltas read backward too), and the report says which. A delta object that
// is gone and that repair cannot make again (written before deterministic
// encoding) is a warning on a commit that restores, not a failure: nothing the
// user runs would change it (ops/rebuild-delta.ts, missingDeltaVerdict).

export interface VerifyOptions {
  readonly onProgress?: ProgressListener;
  readonly signal?: AbortSignal;
  /**
   * The remote holding an object this store lacks, or null (no remotes). An
   * object a remote holds is not missing: a commit that needs it is reported
   * ok, with a route saying it is on the remote and not checked here
   * (`verify --remote` checks the remote).
   */
  readonly elsewhere?: (sha: string) => string | null;
}

export async function verify(store: Store, opts: VerifyOptions = {}): Promise<VerifyResult> {
  const graph = await HistoryGraph.load(store);
  const ids = await store.listCommitIds();
  const manifests = new Map<string, Manifest | Error>();
  for (const id of ids) manifests.set(id, await store.readManifest(id).catch((e: Error) => e));
  // A commit the graph left out because its route record leads its parents back to itself: reported as unreadable.
  for (const id of graph.onCycle) manifests.set(id, graph.unreadable.get(id) ?? new WeightlineError('CORRUPT', `commit ${id.slice(0, 12)}: its parents lead back to itself`));
  const total = [...manifests.values()].reduce((s, m) => s + (m instanceof Error ? 0 : m.files.reduce((a, f) => a + f.bytes, 0)), 0);
  let done = 0;
  const onBytes = (n: number): void => { done += n; opts.onProgress?.({ phase: 'verifying', bytesDone: done, bytesTotal: total }); };
  // Damaged objects found so far: no later route reads them.
  const bad = new Set<string>();
  const deltaState = new Map<string, 'intact' | 'corrupt' | 'missing'>();
  const commits: VerifyCommit[] = [];
  // Files whose version was read bit-exact: a missing delta between two of them can be encoded again.
  const restored = new Set<string>();
  const visited = new Set<string>();
  const baseRestores = async (m: Manifest, file: ManifestFile): Promise<boolean> => {
    const basePath = file.delta?.basePath;
    if (basePath === null || basePath === undefined) return true;
    if (!m.parent) return false;
    if (visited.has(m.parent)) return restored.has(`${m.parent}\0${basePath}`);
    // The parent comes later in verify's order (clocks that disagreed): read its file now.
    const parent = manifests.get(m.parent);
    const pf = parent && !(parent instanceof Error) ? parent.files.find((f) => f.path === basePath) : undefined;
    if (!pf) return false;
    try {
      await readVersion(store, m.parent, pf, async (source) => {
        const hash = createHash('sha256');
        let n = 0;
        for await (const chunk of source.chunks()) { hash.update(chunk); n += chunk.length; }
        return n === pf.bytes ? hash.digest('hex') : `length-${n}`;
      }, { graph, bad });
      return true;
    } catch (e) {
      if (e instanceof WeightlineError && (e.code === 'CORRUPT' || e.code === 'BROKEN_CHAIN')) return false;
      throw e;
    }
  };
  let indexReported = false;
  // Packed objects proved (hash, then decode to the full object's bytes), once each.
  const packProofs = new Map<string, boolean>();
  const packIntact = async (packed: string, file: Manifest['files'][number]): Promise<boolean> => {
    const key = `${packed}:${file.sha256}`;
    if (!packProofs.has(key)) {
      const hashed = await sha256File(store.objectPath(packed)).catch(() => null);
      packProofs.set(key, hashed === packed && (await packDecodesTo(store, packed, file, opts.signal)));
    }
    return packProofs.get(key)!;
  };
  // Oldest first, so a broken base is reported where it breaks.
  const order = [...ids].sort((a, b) => {
    const ma = manifests.get(a), mb = manifests.get(b);
    const ta = ma instanceof Error || !ma ? '' : ma.createdAt, tb = mb instanceof Error || !mb ? '' : mb.createdAt;
    return ta < tb ? -1 : ta > tb ? 1 : a < b ? -1 : 1;
  });
  for (const id of order) {
    if (opts.signal?.aborted) throw new WeightlineError('CANCELLED', 'verify was cancelled');
    const manifest = manifests.get(id)!;
    visited.add(id);
    if (manifest instanceof Error) { commits.push({ id: id as CommitId, ok: false, error: manifest.message, restorable: false, route: null }); continue; }
    const problems: string[] = [];
    const routes: string[] = [];
    const warnings: string[] = [];
    let restorable = true;
    if (manifest.parent && !manifests.has(manifest.parent)) problems.push(`its parent commit ${manifest.parent.slice(0, 12)} does not exist`);
    for (const file of manifest.files) {
      /** A missing delta object: judged once we know whether the version restores without it. */
      let missingDelta = false;
      if (file.delta?.object) {
        const sha = file.delta.object;
        if (!deltaState.has(sha)) {
          const actual = await sha256File(store.objectPath(sha)).catch(() => null);
          deltaState.set(sha, actual === null ? 'missing' : actual === sha ? 'intact' : 'corrupt');
          if (actual !== sha) bad.add(sha);
        }
        const st = deltaState.get(sha)!;
        if (st === 'missing' && opts.elsewhere?.(sha)) bad.delete(sha);
        else if (st === 'missing') missingDelta = true;
        else if (st !== 'intact') problems.push(`${file.path}: its delta object ${sha.slice(0, 12)} is ${st}`);
      } else if (!file.delta && graph.objectSize(file.sha256) === null && !graph.packedObject(file.sha256) && !opts.elsewhere?.(file.sha256)) {
        problems.push(`${file.path}: its full parameters are missing (object ${file.sha256.slice(0, 12)}) and it has no delta`);
      }
      // The object may be longer than the manifest says (appended to in place); reads stop at the manifest's length.
      const size = graph.objectSize(file.sha256);
      if (size !== null && size !== file.bytes && !bad.has(file.sha256)) bad.add(file.sha256);
      try {
        let counted = 0;
        const read = await readVersion(store, id, file, async (source) => {
          const hash = createHash('sha256');
          let n = 0;
          for await (const chunk of source.chunks()) {
            if (opts.signal?.aborted) throw new WeightlineError('CANCELLED', 'verify was cancelled');
            hash.update(chunk);
            n += chunk.length;
            // A retried route re-reads: progress counts each file once.
            if (n > counted) { onBytes(n - counted); counted = n; }
          }
          return n === file.bytes ? hash.digest('hex') : `length-${n}`;
        }, { graph, bad });
        if (bad.has(file.sha256)) problems.push(`${file.path}: its full parameters changed on disk (object ${file.sha256.slice(0, 12)})`);
        // A damaged packed object (its route failed, another gave the bytes): not a delta, not the raw full object.
        // Checked even when the raw object was read instead: a later cleanup deletes the raw copy in its favour.
        const packed = graph.packedObject(file.sha256);
        if (packed && !read.route.objects.includes(packed) && !bad.has(packed) && !(await packIntact(packed, file))) bad.add(packed);
        if (packed && bad.has(packed)) problems.push(`${file.path}: its packed full parameters are damaged (object ${packed.slice(0, 12)})`);
        if (read.note) routes.push(`${file.path} ${read.note}`);
        restored.add(`${id}\0${file.path}`);
        if (missingDelta) {
          const verdict = missingDeltaVerdict(file, read.route, await baseRestores(manifest, file));
          (verdict.kind === 'problem' ? problems : warnings).push(verdict.text);
        }
      } catch (e) {
        if (missingDelta) problems.push(missingDeltaVerdict(file, null, false).text);
        if ((e as WeightlineError).code === 'CANCELLED') throw e;
        const remote = (e as WeightlineError).code === 'BROKEN_CHAIN' ? opts.elsewhere?.(file.delta?.object ?? file.sha256) ?? opts.elsewhere?.(file.sha256) : null;
        if (remote) { routes.push(`${file.path}: on the remote ${remote} only, not checked here ("weightline verify --remote ${remote}" checks it)`); continue; }
        restorable = false;
        if (bad.has(file.sha256)) problems.push(`${file.path}: its full parameters changed on disk (object ${file.sha256.slice(0, 12)})`);
        problems.push(e instanceof Error ? e.message : String(e));
      }
    }
    // The pack index cannot be read: every commit whose full parameters may be packed says so (the first commit, if none).
    if (graph.packIndexDamage && (manifest.files.some((f) => !f.delta && graph.objectSize(f.sha256) === null) || (commits.length === 0 && !indexReported))) {
      problems.push(graph.packIndexDamage.message);
      indexReported = true;
    }
    const ok = problems.length === 0 && restorable;
    let error: string | null = null;
    if (!ok) {
      error = problems.join('; ');
      error += restorable ? `; it still restores bit-exact${routes.length ? ` (${routes.join('; ')})` : ''}. Run "weightline repair"` : '';
    }
    commits.push({ id: id as CommitId, ok, error, restorable, route: routes.length ? routes.join('; ') : null, ...(warnings.length ? { warning: warnings.join('; ') } : {}) });
  }
  return { ok: commits.every((c) => c.ok), commits };
}
