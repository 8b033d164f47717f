// The badges of a commit row, and which of them fit. A narrow list never drops
// a badge without a sign: a badge first gives way to its short form (an icon
// or a word, its full text in the tooltip), then, if it is not one of the two
// a row must always show (where the version's bytes are, and what verify
// found), into a counted "+N" whose tooltip lists it.
import { humanBytes } from '../../../src-shared/format';
import type { CommitLocation, LogEntry, VerifyCommit } from '../../../src-shared/model';
import { appWords } from './repair-words';
import { VERDICT_TEXT, verdictOf, type VerifyVerdict } from './verify-summary';

export type BadgeKey = 'location' | 'checkpoint' | 'storage' | 'delta' | 'chain' | 'pinned' | 'verify';

export interface RowBadge {
  readonly key: BadgeKey;
  /** CSS classes after `badge`. */
  readonly className: string;
  readonly text: string;
  /** The short form; null when the badge has none and goes straight into the count. */
  readonly short: string | null;
  readonly title: string;
  /** Never counted away: the row's storage state and its verify state. */
  readonly essential: boolean;
  /** data-* attributes the e2e tests and styles key on (data-verdict, data-location). */
  readonly data?: Readonly<Record<string, string>>;
}

const LOCATION_TITLE: Record<CommitLocation, string> = {
  local: 'On this machine only: push to share it',
  remote: 'On the remote only: its history was fetched; restoring it downloads just what its route needs',
  both: 'On this machine and on the remote',
};

const VERDICT_SHORT: Record<VerifyVerdict, string> = { ok: '✓', restorable: '⚠', lost: '✕' };

/** Every badge of a row, in the order they read. */
export function rowBadges(entry: LogEntry, verify: VerifyCommit | undefined): RowBadge[] {
  const out: RowBadge[] = [];
  // A verify problem reads first: it is what the user must see when others give way.
  const verdict = verify ? verdictOf(verify) : null;
  const verifyBadge = verify && verdict ? verifyRowBadge(verify, verdict) : null;
  if (verifyBadge && verdict !== 'ok') out.push(verifyBadge);
  if (entry.location) {
    out.push({
      key: 'location', className: `badge-location badge-location-${entry.location}`, text: entry.location, short: null,
      title: LOCATION_TITLE[entry.location], essential: false, data: { location: entry.location },
    });
  }
  if (entry.type === 'CHECKPOINT') {
    out.push({ key: 'checkpoint', className: 'badge-checkpoint', text: 'CHECKPOINT', short: 'CKPT', title: 'CHECKPOINT: stored whole, the start of a delta chain', essential: false });
  }
  if (entry.hasFull && entry.packed) {
    out.push({
      key: 'storage', className: 'badge-full badge-packed-full', text: `packed ${humanBytes(entry.fullBytes)}`, short: 'packed', essential: true,
      title: `Packed ${humanBytes(entry.fullBytes)}: the full parameters of this version are on disk packed (byte planes + zstd): a restore decodes them, no deltas replayed.`,
    });
  } else if (entry.hasFull) {
    const text = entry.fullBytes > 0 ? `full ${humanBytes(entry.fullBytes)}` : 'full (shared)';
    out.push({
      key: 'storage', className: 'badge-full', text, short: 'full', essential: true,
      title: `${text[0]!.toUpperCase()}${text.slice(1)}: the full parameters of this version are on disk: a restore copies them directly.`,
    });
  } else {
    out.push({ key: 'storage', className: 'badge-rebuilt', text: 'rebuilt on demand', short: 'rebuilt', essential: true, title: 'Rebuilt on demand: only deltas are stored; a restore rebuilds this version from an older one.' });
  }
  if (entry.type === 'DELTA' && entry.deltaBytes > 0) {
    out.push({ key: 'delta', className: 'badge-delta', text: `Δ ${humanBytes(entry.deltaBytes)}`, short: 'Δ', title: `Delta ${humanBytes(entry.deltaBytes)}: the size of this commit's delta on disk`, essential: false });
  }
  if (entry.chainLength > 0) {
    out.push({
      key: 'chain', className: 'badge-chain', text: `chain ${entry.chainLength}`, short: null, essential: false,
      title: `Chain ${entry.chainLength}: a restore replays ${entry.chainLength} delta${entry.chainLength === 1 ? '' : 's'}`,
    });
  }
  if (entry.pinned) out.push({ key: 'pinned', className: 'badge-pinned', text: 'pinned', short: null, title: 'Pinned: cleanup keeps its full parameters', essential: false });
  if (verifyBadge && verdict === 'ok') out.push(verifyBadge);
  return out;
}

function verifyRowBadge(verify: VerifyCommit, verdict: VerifyVerdict): RowBadge {
  const title = verdict === 'ok' ? `Verified: every byte checked${verify.warning ? `. ${appWords(verify.warning)}` : ''}`
    : verdict === 'restorable' ? appWords(verify.error ?? 'An object is damaged; the version still restores bit-exact by another route')
      : appWords(verify.error ?? 'Verification failed');
  return {
    key: 'verify', className: verdict === 'ok' ? 'badge-ok' : `badge-problem badge-${verdict}`, text: VERDICT_TEXT[verdict], short: VERDICT_SHORT[verdict],
    title: verdict === 'ok' ? title : `${VERDICT_TEXT[verdict]}: ${title}`, essential: true, data: { verdict },
  };
}

export type BadgeForm = 'full' | 'short' | 'counted';

/** Measured widths in px of a badge in its full and its short form (the short one equals the full one when it has none). */
export interface BadgeWidths {
  readonly full: number;
  readonly short: number;
}

export interface BadgeFit {
  readonly forms: Readonly<Partial<Record<BadgeKey, BadgeForm>>>;
  /** The badges counted in "+N", in reading order. */
  readonly counted: readonly BadgeKey[];
  /** The width the badges take as fitted (may exceed the room when even the least does not fit). */
  readonly width: number;
}

/**
 * What gives way first as the room shrinks: a plain "✓ verified" to its tick,
 * then the badges least needed to judge a version, into the count (chain,
 * location, pinned), then the sizes (short forms), then CHECKPOINT and Δ into
 * the count, last a problem's words. Storage and verify never enter the count.
 */
const STEPS: readonly { readonly key: BadgeKey; readonly to: 'short' | 'counted'; readonly onlyOk?: true }[] = [
  { key: 'verify', to: 'short', onlyOk: true },
  { key: 'chain', to: 'counted' },
  { key: 'location', to: 'counted' },
  { key: 'pinned', to: 'counted' },
  { key: 'delta', to: 'short' },
  { key: 'storage', to: 'short' },
  { key: 'checkpoint', to: 'short' },
  { key: 'delta', to: 'counted' },
  { key: 'checkpoint', to: 'counted' },
  { key: 'verify', to: 'short' },
];

export interface FitOptions {
  /** Space between two badges, px. */
  readonly gap: number;
  /** Width of the "+N" badge, px. */
  readonly countWidth: number;
}

/** The badges in the room they have: as many in full as fit, the rest short or counted, by STEPS. */
export function fitBadges(badges: readonly RowBadge[], widths: Readonly<Partial<Record<BadgeKey, BadgeWidths>>>, room: number, opts: FitOptions): BadgeFit {
  const forms: Partial<Record<BadgeKey, BadgeForm>> = {};
  for (const b of badges) forms[b.key] = 'full';
  const widthNow = (): number => {
    let total = 0;
    let shown = 0;
    let counted = 0;
    for (const b of badges) {
      const form = forms[b.key]!;
      if (form === 'counted') { counted++; continue; }
      const w = widths[b.key];
      total += w ? (form === 'short' ? w.short : w.full) : 0;
      shown++;
    }
    if (counted > 0) { total += opts.countWidth; shown++; }
    return total + Math.max(0, shown - 1) * opts.gap;
  };
  for (const step of STEPS) {
    if (widthNow() <= room) break;
    const b = badges.find((x) => x.key === step.key);
    if (!b || forms[b.key] === 'counted') continue;
    if (step.onlyOk && b.data?.verdict !== 'ok') continue;
    if (step.to === 'counted') {
      if (!b.essential) forms[b.key] = 'counted';
    } else if (b.short !== null) {
      forms[b.key] = 'short';
    }
  }
  return { forms, counted: badges.filter((b) => forms[b.key] === 'counted').map((b) => b.key), width: widthNow() };
}

/** The count's words: "+2", and for its tooltip and accessible name what it holds. */
export function countedLabel(badges: readonly RowBadge[], counted: readonly BadgeKey[]): { readonly text: string; readonly title: string } {
  const held = badges.filter((b) => counted.includes(b.key));
  return { text: `+${held.length}`, title: `${held.length} more: ${held.map((b) => b.text).join(', ')}` };
}

/**
 * The room the badges get in a row `main` px wide: what the message leaves,
 * but the message keeps no more than half the row (never less than `minMessage`)
 * when the badges need the rest; what the badges do not use goes back to it.
 * A message that would lose no more than `slack` px stays whole: a cut of a
 * character or two reads worse than a badge in its short form.
 */
export function badgeRoom(main: number, head: number, message: number, gap: number, minMessage: number, slack = 0): number {
  const rest = main - head - (head > 0 ? gap : 0) - gap;
  let keep = Math.min(message, Math.max(minMessage, rest / 2));
  if (message - keep <= slack) keep = message;
  return Math.max(0, rest - keep);
}
