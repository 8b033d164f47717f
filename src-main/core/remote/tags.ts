// Tags on a remote (docs/STORE-FORMAT.md, "Tags on a remote"): each setting of
// a tag is an empty, write-once key `PREFIX/tags/<name>/<setAt>_<commit or
// deleted>`, so moving or deleting a tag adds a key and never changes one,
// and two machines tagging at once both keep their records. Readers take the
// newest setting per name (store/tags.ts, newerSetting). The key is the whole
// record: nothing is downloaded to read the tags.
import { WeightlineError } from '../../../src-shared/errors';
import { parseTagRecordName, readTags, tagRecordName, type TagSetting } from '../store/tags';
import type { Store } from '../store/store';
import type { Remote } from './client';
import { mapBounded } from './pool';

export function tagsPrefix(remote: Remote): string {
  return `${remote.loc.prefix}tags/`;
}

/**
 * Every tag setting the remote holds, from one listing. A key under tags/
 * that is not a record is REMOTE_CORRUPT naming it, before anything is
 * written locally: no Weightline writes such a key.
 */
export async function listRemoteTags(remote: Remote, signal?: AbortSignal): Promise<{ settings: TagSetting[]; names: Set<string> }> {
  const prefix = tagsPrefix(remote);
  const listed = await remote.list(prefix, signal);
  const settings: TagSetting[] = [];
  for (const rel of listed.keys()) {
    const s = parseTagRecordName(rel);
    if (typeof s === 'string') {
      throw new WeightlineError('REMOTE_CORRUPT', `the remote ${remote.describe()} holds ${prefix}${rel}, which is not a tag record (expected ${s}); nothing was written locally. No Weightline writes such a key: delete it on the remote`);
    }
    settings.push(s);
  }
  return { settings, names: new Set(listed.keys()) };
}

/**
 * Sends the store's current tag settings the remote lacks (deletions too),
 * each only when the remote holds its commit (`onRemote`): a tag never names
 * a commit that is not there. Returns how many records were written.
 */
export async function pushTags(store: Store, remote: Remote, onRemote: (commit: string) => boolean, signal?: AbortSignal): Promise<number> {
  const local = await readTags(store);
  if (local.size === 0) return 0;
  const { names } = await listRemoteTags(remote, signal);
  const toSend = [...local]
    .map(([name, r]) => ({ name, setAt: r.setAt, commit: r.commit }))
    .filter((s) => !names.has(tagRecordName(s)) && (s.commit === null || onRemote(s.commit)));
  let sent = 0;
  await mapBounded(toSend, 8, async (s) => {
    if ((await remote.putNew(`${tagsPrefix(remote)}${tagRecordName(s)}`, Buffer.alloc(0), signal)) === 'uploaded') sent++;
  }, signal);
  return sent;
}
