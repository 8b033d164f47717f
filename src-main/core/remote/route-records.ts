// Route records on a remote (docs/STORE-FORMAT.md, "Remotes"): a commit a
// forget re-based before it was pushed is stored on the remote by its record,
// `routes/<id>/<sha256 of the record's bytes>`, since its manifest names a
// parent the remote may never have held. Fetch, clone and verify --remote
// choose the storage of such a commit by one rule, here.
import { WeightlineError } from '../../../src-shared/errors';
import { sha256 } from '../base/fsutil';
import type { Manifest } from '../base/manifest';
import { applyRouteRecord, type RouteRecord } from '../store/routes';
import { parseRouteRecord } from '../store/store-files';
import type { Remote } from './client';
import { keys } from './url';

/** A route record chosen for a fetched commit: its bytes as the remote holds them, and the record. */
export interface ChosenRoute { readonly bytes: Buffer; readonly record: RouteRecord }

/**
 * The storage a fetched commit is rebuilt by (docs/STORE-FORMAT.md, "Fetch,
 * clone and lazy restore"). Its own, as committed, when its parent is on the
 * remote or here and every object its files start from or step through is
 * held by the remote or this store: then it needs no record (and a parent
 * that came back stays its parent). Else the first of its route records, in
 * key order, whose parent is present and whose objects are held, each
 * hash-checked against its key, read through the record schema and applied to
 * the manifest (a record that names other files is refused like a damaged
 * one). None: null, and the commit waits as an orphan (its parent is not
 * placed) for a fetch after the push that sends its storage.
 */
export async function chooseRoute(
  remote: Remote, id: string, manifest: Manifest, candidates: ReadonlyArray<{ readonly sha: string; readonly bytes: number }>,
  present: (id: string) => boolean, held: (sha: string) => Promise<boolean>, signal: AbortSignal,
): Promise<ChosenRoute | null> {
  const whole = async (m: Manifest): Promise<boolean> => {
    if (m.parent !== null && !present(m.parent)) return false;
    for (const f of m.files) {
      const start = m.type === 'CHECKPOINT' || !f.delta;
      if (start ? !(await held(f.sha256)) : f.delta!.object !== null && !(await held(f.delta!.object))) return false;
    }
    return true;
  };
  if (candidates.length === 0 || (await whole(manifest))) return null;
  for (const c of candidates) {
    const key = keys.route(remote.loc, id, c.sha);
    const bytes = await remote.getManifest(key, c.bytes, signal);
    if (!bytes) continue;
    const actual = sha256(bytes);
    if (actual !== c.sha) throw remote.damaged(key, `${bytes.length} bytes that hash to ${actual}`);
    let record: RouteRecord;
    try {
      record = parseRouteRecord(key, bytes);
      if (record.commit !== id) throw new WeightlineError('CORRUPT', `a route record of commit ${record.commit.slice(0, 12)}`);
      if (await whole(applyRouteRecord(key, manifest, record))) return { bytes, record };
    } catch (e) {
      throw remote.damaged(key, `a route record this Weightline cannot use for commit ${id.slice(0, 12)} (${(e as Error).message})`);
    }
  }
  return null;
}
