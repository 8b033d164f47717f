import { humanBytes } from '../../../src-shared/format';
import type { CommitLocation, LogEntry, VerifyCommit } from '../../../src-shared/model';
import { appWords } from '../lib/repair-words';
import { VERDICT_TEXT, verdictOf } from '../lib/verify-summary';

interface Props {
  readonly entry: LogEntry;
  readonly verify: VerifyCommit | undefined;
}

/** Where a version's bytes are: full parameters or a rebuild, its delta, and what a restore costs. */
export function StorageBadges({ entry, verify }: Props) {
  return (
    <span className="badges">
      {/* First: badges that do not fit are cut off, and where the data is decides what a restore does. */}
      {entry.location && <LocationBadge location={entry.location} />}
      {entry.type === 'CHECKPOINT' && <span className="badge badge-checkpoint">CHECKPOINT</span>}
      {entry.hasFull && entry.packed ? (
        <span className="badge badge-full badge-packed-full" title="The full parameters of this version are on disk packed (byte planes + zstd): a restore decodes them, no deltas replayed.">
          packed {humanBytes(entry.fullBytes)}
        </span>
      ) : entry.hasFull ? (
        <span className="badge badge-full" title="The full parameters of this version are on disk: a restore copies them directly.">
          {entry.fullBytes > 0 ? `full ${humanBytes(entry.fullBytes)}` : 'full (shared)'}
        </span>
      ) : (
        <span className="badge badge-rebuilt" title="Only deltas are stored: a restore rebuilds this version from an older one.">rebuilt on demand</span>
      )}
      {entry.type === 'DELTA' && entry.deltaBytes > 0 && (
        <span className="badge badge-delta" title="Size of this commit's delta on disk">Δ {humanBytes(entry.deltaBytes)}</span>
      )}
      {entry.chainLength > 0 && (
        <span className="badge badge-chain" title={`A restore replays ${entry.chainLength} delta${entry.chainLength === 1 ? '' : 's'}`}>
          chain {entry.chainLength}
        </span>
      )}
      {entry.pinned && <span className="badge badge-pinned" title="Pinned: cleanup keeps its full parameters">pinned</span>}
      {verify && <VerifyBadge verify={verify} />}
    </span>
  );
}

const LOCATION_TITLE: Record<CommitLocation, string> = {
  local: 'On this machine only: push to share it',
  remote: 'On the remote only: its history was fetched; restoring it downloads just what its route needs',
  both: 'On this machine and on the remote',
};

/** Where the version's data is (the store has remotes): local, remote, or both. */
function LocationBadge({ location }: { location: CommitLocation }) {
  return <span className={`badge badge-location badge-location-${location}`} data-location={location} title={LOCATION_TITLE[location]}>{location}</span>;
}

/** The row only flags the verdict; the full finding is in the title and the details pane. */
function VerifyBadge({ verify }: { verify: VerifyCommit }) {
  const verdict = verdictOf(verify);
  switch (verdict) {
    case 'ok':
      return <span className="badge badge-ok" title="Verified: every byte checked">{VERDICT_TEXT.ok}</span>;
    case 'restorable':
      return (
        <span className="badge badge-problem badge-restorable" data-verdict={verdict} title={appWords(verify.error ?? 'An object is damaged; the version still restores bit-exact by another route')}>
          {VERDICT_TEXT.restorable}
        </span>
      );
    case 'lost':
      return <span className="badge badge-problem badge-lost" data-verdict={verdict} title={appWords(verify.error ?? 'Verification failed')}>{VERDICT_TEXT.lost}</span>;
  }
}
