// tag: names for commits (store/tags.ts), resolved wherever a ref is taken.
import type { TagInfo, TagResult } from '../../../src-shared/model';
import { storeOf, type VerbContext } from './context';

export interface TagArgs {
  readonly name: string;
  /** A ref to name, or null to delete the tag. */
  readonly commit: string | null;
}

/** Sets (or moves) a tag to a commit, or deletes it (commit null), under the store's write lock. */
export async function tag(ctx: VerbContext, args: TagArgs): Promise<TagResult> {
  const { checkTagName, setTag } = await import('../store/tags');
  // The name first: a bad name is bad usage wherever the store is.
  checkTagName(args.name);
  return setTag(await storeOf(ctx), args.name, args.commit);
}

/** The tags, by name; a fetched one says its remote, one whose commit the store lacks says so. */
export async function tags(ctx: VerbContext): Promise<TagInfo[]> {
  return (await import('../store/tags')).listTags(await storeOf(ctx));
}
