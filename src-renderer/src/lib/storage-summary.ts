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

/**
 * The saving's colour: green only for a real saving. A negative one (the store
 * holds more than the versions as plain files, as before any cleanup) is a
 * caution, not a success; zero is neutral.
 */
export function savingTone(percent: number): 'good' | 'neutral' | 'caution' {
  return percent > 0 ? 'good' : percent < 0 ? 'caution' : 'neutral';
}

export function savingTitle(percent: number): string {
  if (percent > 0) return `The store takes ${percent}% less than keeping every version as a full copy.`;
  if (percent === 0) return 'The store takes about as much as keeping every version as a full copy.';
  return `The store takes ${-percent}% more than every version as a full copy would: before a cleanup every commit keeps `
    + 'its full parameters, with its delta on top. Cleanup keeps full parameters only where they are needed and rebuilds the rest on demand.';
}
