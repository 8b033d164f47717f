import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { CommitId, LinkMode, RestoredLinkProblem } from '../../../src-shared/model';
import { writeFileAtomic } from '../base/fsutil';
import { linksFileContent, readLinksFile } from './store-files';
import type { Store } from './store';

// The links a restore made. Hard links and symlinks share bytes with a full
// object, so cleanup must keep that object while the link stands, and status
// reports links that broke or whose file was written into.

export interface LinkRecord {
  readonly commit: CommitId;
  readonly sha256: string;
  readonly mode: Exclude<LinkMode, 'auto' | 'copy'>;
}

export type LinkTable = Record<string, LinkRecord>;

function file(store: Store): string {
  return path.join(store.dir, 'links.json');
}

/**
 * The links restores made; none when links.json is missing. Damaged is
 * CORRUPT, never empty: an empty table would let cleanup delete the object
 * behind a standing link.
 */
export async function readLinks(store: Store): Promise<LinkTable> {
  return readLinksFile(store.dir);
}

export async function writeLinks(store: Store, links: LinkTable): Promise<void> {
  await writeFileAtomic(file(store), linksFileContent(links));
}

/** Whether the file at target still shares its bytes with the object it was linked to. */
export async function linkStillShares(store: Store, target: string, rec: LinkRecord): Promise<boolean> {
  const object = store.objectPath(rec.sha256);
  try {
    if (rec.mode === 'symlink') return path.resolve(path.dirname(target), await fs.readlink(target)) === object;
    if (rec.mode === 'hardlink') {
      const [a, b] = await Promise.all([fs.stat(target), fs.stat(object)]);
      return a.ino === b.ino && a.dev === b.dev;
    }
    return false; // a reflink is an independent copy: it protects nothing
  } catch {
    return false;
  }
}

/** Objects a standing hard link or symlink points to: cleanup must not delete them. */
export async function linkedObjects(store: Store): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const [target, rec] of Object.entries(await readLinks(store))) {
    if (await linkStillShares(store, target, rec)) out.set(rec.sha256, [...(out.get(rec.sha256) ?? []), target]);
  }
  return out;
}

/** Restored links whose target is gone or whose content no longer matches their commit (see RestoredLinkProblem). */
export async function linkProblems(store: Store, hash: (abs: string) => Promise<string>): Promise<RestoredLinkProblem[]> {
  const problems: RestoredLinkProblem[] = [];
  for (const [target, rec] of Object.entries(await readLinks(store))) {
    const st = await fs.stat(target).catch(() => null);
    if (!st) { problems.push({ path: target, commit: rec.commit, problem: 'broken' }); continue; }
    if ((await hash(target)) === rec.sha256) continue;
    // Written through the link, the store's object changed with it.
    const inPlace = rec.mode !== 'reflink' && (await linkStillShares(store, target, rec));
    problems.push({ path: target, commit: rec.commit, problem: inPlace ? 'changed-in-place' : 'modified' });
  }
  return problems;
}
