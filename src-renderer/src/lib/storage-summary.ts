// The toolbar's storage summary. "All versions as full copies" is what keeping
// every checkpoint as a plain file would take; "on disk" is the store as it
// is. A store larger than its versions is not a saving, and must not look like one: it reads
// "+56%" under "Over the versions", in a caution tone, with the reason (the raw
// copies kept for fast restore until a cleanup) and what trimming them frees.
import { humanBytes, savingPercent } from '../../../src-shared/format';
import type { LogEntry } from '../../../src-shared/model';
import { againstVersions, OVER_REASON, rawCopies, rawCopiesText, type AgainstVersions, type RawCopies } from '../../../src-shared/storage-totals';

export interface StorageSummary {
  readonly fullCopies: number;
  readonly onDisk: number;
  /** 1 − onDisk / fullCopies, in whole percent: negative when the store is the larger. */
  readonly savingPercent: number;
  readonly against: AgainstVersions;
  readonly raw: RawCopies;
}

type SummaryEntry = Pick<LogEntry, 'id' | 'parent' | 'type' | 'logicalBytes' | 'fullBytes' | 'hasFull' | 'pinned' | 'packed'>;

/** keepFullLatest: the store's setting, so the estimate is a cleanup's as the store would run it (absent until the settings are read). */
export function storageSummary(commits: readonly SummaryEntry[], storeBytes: number, keepFullLatest?: number): StorageSummary {
  let fullCopies = 0;
  for (const c of commits) fullCopies += c.logicalBytes;
  return {
    fullCopies, onDisk: storeBytes, savingPercent: savingPercent(fullCopies, storeBytes),
    against: againstVersions(fullCopies, storeBytes), raw: rawCopies(commits, keepFullLatest),
  };
}

/** The stat's colour: green only for a real saving; a store over its versions is a caution, not a success; about even is neutral. */
export function againstTone(a: AgainstVersions): 'good' | 'neutral' | 'caution' {
  return a.kind === 'saving' ? 'good' : a.kind === 'over' ? 'caution' : 'neutral';
}

/** The stat's term and value: "Saving 53%", or "Over the versions +56%". */
export function againstLabel(a: AgainstVersions): { readonly term: string; readonly value: string } {
  return a.kind === 'over' ? { term: 'Over the versions', value: `+${a.percent}%` } : { term: 'Saving', value: `${a.percent}%` };
}

export function againstTitle(a: AgainstVersions, raw?: RawCopies): string {
  const copies = raw && raw.bytes > 0 ? `\n${sentence(rawCopiesText(raw))}` : '';
  if (a.kind === 'saving') return `The store takes ${a.percent}% less than keeping every version as a full copy.${copies}`;
  if (a.kind === 'even') return `The store takes about as much as keeping every version as a full copy.${copies}`;
  return `The store takes ${a.percent}% more than every version as a full copy would: ${OVER_REASON} (before a cleanup every commit keeps `
    + `its full parameters, with its delta on top). Cleanup keeps full parameters only where they are needed and rebuilds the rest on demand.${copies}`;
}

function sentence(s: string): string {
  return `${s.charAt(0).toUpperCase()}${s.slice(1)}.`;
}

/** The storage chart's note on raw copies, or null when there are none. */
export function rawCopiesNote(raw: RawCopies): { readonly text: string; readonly title: string } | null {
  if (raw.bytes === 0) return null;
  return {
    text: sentence(rawCopiesText(raw)),
    title: `Raw full parameters on disk: ${humanBytes(raw.bytes)}. A restore copies or links them directly. `
      + 'The figure a cleanup would free is an estimate from the log: the full copies of DELTA commits that are not pinned and not the newest of their line '
      + '(restored links and packing CHECKPOINTs are not counted). The Cleanup preview gives the exact figures.',
  };
}
