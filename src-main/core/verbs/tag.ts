// tag: names for commits (store/tags.ts), resolved wherever a ref is taken.
import type { TagInfo, TagResult } from '../../../src-shared/model';
import { WeightlineError } from '../../../src-shared/errors';
import type { VerbContext } from './context';

export interface TagArgs {
  readonly name: string;
  /** A ref to name, or null to delete the tag. */
  readonly commit: string | null;
}

// Filled in by the tags work of this session (placeholder while it is written; never released).
export async function tag(_ctx: VerbContext, _args: TagArgs): Promise<TagResult> {
  throw new WeightlineError('INTERNAL', 'tag is not written yet');
}

export async function tags(_ctx: VerbContext): Promise<TagInfo[]> {
  throw new WeightlineError('INTERNAL', 'tags is not written yet');
}
