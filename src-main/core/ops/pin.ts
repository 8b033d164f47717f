import type { CommitId } from '../../../src-shared/model';
import { resolveCommit } from '../store/history';
import { withWriteLock } from '../store/lock';
import type { Store } from '../store/store';

/** Pins keep a commit's full parameters through cleanups (fast restore of a favourite version). */
export async function setPinned(store: Store, ref: string, pinned: boolean): Promise<CommitId> {
  return withWriteLock(store, pinned ? 'pin' : 'unpin', async () => {
    const id = await resolveCommit(store, ref);
    const pins = new Set(await store.readPins());
    if (pinned) pins.add(id); else pins.delete(id);
    await store.writePins(pins);
    return id;
  });
}
