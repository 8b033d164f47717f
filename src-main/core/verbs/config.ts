// config: read the store's settings, or change some of them under the write
// lock (a commit reads the settings it runs with). Only the keys given are
// rewritten: a damaged other key is refused, never replaced by a guess, so
// setting a key is also how the user mends a damaged config.json.
import type { StoreConfig } from '../../../src-shared/settings';
import { storeOf, type VerbContext } from './context';

export async function configGet(ctx: VerbContext): Promise<StoreConfig> {
  return (await storeOf(ctx)).readConfig();
}

/** Settings config.json holds past their bound, with the value found (each reads as its bound). */
export async function configClamped(ctx: VerbContext): Promise<Readonly<Record<string, number>>> {
  return (await storeOf(ctx)).configClamped();
}

export async function configSet(ctx: VerbContext, changes: Partial<StoreConfig>): Promise<StoreConfig> {
  const store = await storeOf(ctx);
  const { withWriteLock } = await import('../store/lock');
  return withWriteLock(store, 'config', () => store.updateConfig(changes), undefined, ctx.signal ? { signal: ctx.signal } : {});
}
