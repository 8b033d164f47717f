// The toolbar's storage summary. "All versions as full copies" is what keeping
// every checkpoint as a plain file would take; "on disk" is the store as it is.
import { savingPercent } from '../../../src-shared/format';

export interface StorageSummary {
  readonly fullCopies: number;
  readonly onDisk: number;
  readonly savingPercent: number;
}

export function storageSummary(commits: readonly { readonly logicalBytes: number }[], storeBytes: number): StorageSummary {
  let fullCopies = 0;
  for (const c of commits) fullCopies += c.logicalBytes;
  return { fullCopies, onDisk: storeBytes, savingPercent: savingPercent(fullCopies, storeBytes) };
}
