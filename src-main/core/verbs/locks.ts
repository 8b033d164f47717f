// What a runtime needs of the store's lock beyond the verbs: the CLI's signal
// handler asks whether a write is under way and releases held locks on exit;
// the job runner takes a killed writer's stale lock over, which sweeps its
// temp files, so the store is byte for byte as before the job.
import { lockActivity, releaseHeldLocksSync } from '../store/lock';
import type { VerbContext } from './context';

export { lockActivity, releaseHeldLocksSync };

/** Takes the store's lock and lets it go at once: a stale lock (a killed writer's) is taken over and its temp files swept. */
export async function recover(ctx: VerbContext): Promise<void> {
  const { storeOf } = await import('./context');
  const store = await storeOf(ctx);
  const { withWriteLock } = await import('../store/lock');
  await withWriteLock(store, 'recover', async () => { /* taking the lock sweeps temp files */ });
}
