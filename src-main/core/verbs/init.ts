// init: create a store, complete one that lost a file, or say it is there.
// Owns the nested-store rule for every caller (the CLI's init, the app's
// "create store"): a folder inside another store's folder is refused unless
// the caller asks for a nested store, since a store there would silently take
// over the commits meant for the outer one.
import type { InitOutcome } from '../store/store';
import { WeightlineError } from '../../../src-shared/errors';
import type { VerbContext } from './context';

export interface InitArgs {
  /** The folder to make a store in; the context's cwd when absent. */
  readonly path?: string;
  readonly nested?: boolean;
}

export interface InitResult {
  readonly root: string;
  /** The .weightline folder. */
  readonly dir: string;
  readonly outcome: InitOutcome;
}

export async function init(ctx: VerbContext, args: InitArgs): Promise<InitResult> {
  const where = args.path ?? ctx.cwd ?? ctx.root;
  if (where === undefined) throw new WeightlineError('BAD_USAGE', 'init: expected the folder to make a store in, got none');
  const { Store } = await import('../store/store');
  const { store, outcome } = await Store.initialise(where, { nested: args.nested ?? false });
  return { root: store.root, dir: store.dir, outcome };
}
