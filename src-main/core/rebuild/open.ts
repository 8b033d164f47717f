import { WeightlineError } from '../../../src-shared/errors';
import type { ManifestFile } from '../base/manifest';
import type { Store } from '../store/store';
import { DeltaSource, FullSource, type FileSource } from './source';

// Finds the cheapest way to read one file of one commit: its full object if it
// is on disk, else its delta over the same file rebuilt one commit up, and so
// on until a commit whose full parameters remain (a CHECKPOINT at worst).

export function fileLabel(commitId: string, path: string): string {
  return `${path} in commit ${commitId.slice(0, 12)}`;
}

export async function openFileSource(store: Store, commitId: string, file: ManifestFile): Promise<FileSource> {
  const label = fileLabel(commitId, file.path);
  const full = await FullSource.tryOpen(store.objectPath(file.sha256), { bytes: file.bytes, tensors: file.tensors }, label);
  if (full) return full;
  const manifest = await store.readManifest(commitId);
  if (!file.delta) {
    throw new WeightlineError('BROKEN_CHAIN', `${label}: its full parameters are missing (object ${file.sha256.slice(0, 12)}) and it has no delta to rebuild it from`, store.objectPath(file.sha256));
  }
  let base: FileSource | null = null;
  if (file.delta.basePath !== null) {
    const parentId = manifest.parent;
    if (!parentId) throw new WeightlineError('BROKEN_CHAIN', `${label}: its delta needs a parent commit, and the commit has none`);
    let parent;
    try {
      parent = await store.readManifest(parentId);
    } catch (e) {
      throw new WeightlineError('BROKEN_CHAIN', `${label}: its parent commit ${parentId.slice(0, 12)} cannot be read (${(e as Error).message})`);
    }
    const parentFile = parent.files.find((f) => f.path === file.delta!.basePath);
    if (!parentFile) throw new WeightlineError('BROKEN_CHAIN', `${label}: its parent commit ${parentId.slice(0, 12)} has no file ${file.delta.basePath}`);
    base = await openFileSource(store, parentId, parentFile);
  }
  const deltaFile = file.delta.object ? store.objectPath(file.delta.object) : null;
  if (deltaFile && !(await store.hasObject(file.delta.object!))) {
    await base?.close();
    throw new WeightlineError('BROKEN_CHAIN', `${label}: its delta object ${file.delta.object!.slice(0, 12)} is missing`, deltaFile);
  }
  return new DeltaSource({ bytes: file.bytes, tensors: file.tensors }, label, file.delta, base, deltaFile);
}
