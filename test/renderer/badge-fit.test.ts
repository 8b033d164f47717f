// A commit row's badges in the room it has: every badge shows whole, short, or
// counted in "+N"; the storage and the verify state are never counted away.
import { describe, expect, it } from 'vitest';
import type { VerifyCommit } from '../../src-shared/model';
import { badgeRoom, countedLabel, fitBadges, rowBadges, type BadgeKey, type BadgeWidths, type RowBadge } from '../../src-renderer/src/lib/badge-fit';
import { rowTitle } from '../../src-renderer/src/lib/row-title';
import { cid, entry } from './fake-api';

const ID = cid('ab');
const ok: VerifyCommit = { id: ID, ok: true, error: null, restorable: true, route: null, warning: null } as VerifyCommit;
const lost: VerifyCommit = { id: ID, ok: false, error: 'object 3f2a… is damaged; run "weightline repair"', restorable: false, route: null, warning: null } as VerifyCommit;

/** A DELTA with every badge there is: location, storage, delta, chain, pinned, verify. */
const busy = entry(ID, { hasFull: false, fullBytes: 0, deltaBytes: 830_400, chainLength: 2, pinned: true, location: 'both' });

/** Widths as a browser would measure them: ~6 px a character plus 12 px of padding and border. */
function widthsOf(badges: readonly RowBadge[]): Partial<Record<BadgeKey, BadgeWidths>> {
  const w = (s: string): number => 12 + 6 * [...s].length;
  return Object.fromEntries(badges.map((b) => [b.key, { full: w(b.text), short: w(b.short ?? b.text) }]));
}
const OPTS = { gap: 5, countWidth: 26 };

function fitAt(badges: readonly RowBadge[], room: number) {
  return fitBadges(badges, widthsOf(badges), room, OPTS);
}

describe('rowBadges', () => {
  it('lists every badge of a row, storage and verify marked as the ones that always show', () => {
    const badges = rowBadges(busy, ok);
    expect(badges.map((b) => b.key)).toEqual(['location', 'storage', 'delta', 'chain', 'pinned', 'verify']);
    expect(badges.filter((b) => b.essential).map((b) => b.key)).toEqual(['storage', 'verify']);
    expect(badges.find((b) => b.key === 'storage')).toMatchObject({ text: 'rebuilt on demand', short: 'rebuilt' });
    expect(badges.find((b) => b.key === 'verify')).toMatchObject({ text: '✓ verified', short: '✓', data: { verdict: 'ok' } });
  });

  it('puts a verify problem first, with its finding in the tooltip in the app\'s words', () => {
    const badges = rowBadges(entry(ID, { type: 'CHECKPOINT', packed: true, fullBytes: 7_300_000 }), lost);
    expect(badges.map((b) => b.key)).toEqual(['verify', 'checkpoint', 'storage']);
    expect(badges[0]!.title).toBe('✕ cannot be restored: object 3f2a… is damaged; run Repair');
    // Packed full parameters read "packed", as everywhere else.
    expect(badges[2]).toMatchObject({ text: 'packed 7.3 MB', short: 'packed' });
  });

  it('gives every badge a tooltip that says what its short form stands for', () => {
    for (const b of rowBadges(busy, ok)) expect(b.title.length, b.key).toBeGreaterThan(b.text.length);
  });
});

describe('fitBadges', () => {
  const badges = rowBadges(busy, ok);
  const full = fitAt(badges, 10_000);

  it('shows everything whole where there is room', () => {
    expect(Object.values(full.forms).every((f) => f === 'full')).toBe(true);
    expect(full.counted).toEqual([]);
  });

  it('as the room shrinks, "✓ verified" gives way to its tick first, then chain joins the count', () => {
    const tick = fitAt(badges, full.width - 1);
    expect(tick.forms.verify).toBe('short');
    expect(tick.counted).toEqual([]);
    const counted = fitAt(badges, tick.width - 1);
    expect(counted.counted).toEqual(['chain']);
    expect(counted.width).toBeLessThanOrEqual(tick.width - 1);
  });

  it('never counts the storage or verify state away, at any room; every badge is shown or counted', () => {
    for (const b of [rowBadges(busy, ok), rowBadges(busy, lost), rowBadges(entry(ID, { type: 'CHECKPOINT' }), ok)]) {
      let last = Infinity;
      for (let room = 400; room >= 0; room -= 3) {
        const fit = fitAt(b, room);
        expect(fit.forms.storage).not.toBe('counted');
        expect(fit.forms.verify).not.toBe('counted');
        expect(Object.keys(fit.forms).sort()).toEqual(b.map((x) => x.key).sort());
        // Less room never makes the badges wider.
        expect(fit.width).toBeLessThanOrEqual(last);
        last = fit.width;
        // Within the room, unless even the least (storage and verify short, the rest counted) does not fit.
        const least = fit.counted.length === b.filter((x) => !x.essential).length && fit.forms.storage === 'short' && fit.forms.verify === 'short';
        if (!least) expect(fit.width).toBeLessThanOrEqual(room);
      }
    }
  });

  it('at the least: the short storage and verify badges and a count of all the rest', () => {
    const fit = fitAt(badges, 0);
    expect(fit.forms).toMatchObject({ storage: 'short', verify: 'short' });
    expect(fit.counted).toEqual(['location', 'delta', 'chain', 'pinned']);
    expect(countedLabel(badges, fit.counted)).toEqual({ text: '+4', title: '4 more: both, Δ 830.4 KB, chain 2, pinned' });
  });

  it('keeps a problem\'s words longest: it shortens only after everything else has', () => {
    const b = rowBadges(busy, lost);
    const widths = widthsOf(b);
    const problemFull = widths.verify!.full;
    // Room for the problem in full, storage short and the count: the problem stays whole.
    const room = problemFull + widths.storage!.short + OPTS.countWidth + 2 * OPTS.gap;
    const fit = fitBadges(b, widths, room, OPTS);
    expect(fit.forms.verify).toBe('full');
    expect(fit.forms.storage).toBe('short');
  });
});

describe('badgeRoom', () => {
  it('is what the message leaves when it is short', () => {
    expect(badgeRoom(400, 0, 100, 8, 112)).toBe(400 - 8 - 100);
  });

  it('a long message keeps half the row, or its minimum when half is less', () => {
    expect(badgeRoom(400, 0, 1000, 8, 112)).toBe((400 - 8) / 2);
    expect(badgeRoom(200, 40, 1000, 8, 112)).toBe(200 - 40 - 16 - 112);
    expect(badgeRoom(100, 40, 1000, 8, 112)).toBe(0);
  });

  it('a message just over half the row stays whole rather than lose a few characters', () => {
    expect(badgeRoom(400, 0, 216, 8, 112, 40)).toBe(400 - 8 - 216);
    expect(badgeRoom(400, 0, 240, 8, 112, 40)).toBe((400 - 8) / 2);
  });
});

describe('rowTitle', () => {
  it('names the verify state and packed full parameters in the row\'s hover text', () => {
    const t = rowTitle(entry(ID, { type: 'CHECKPOINT', packed: true, fullBytes: 7_300_000, deltaBytes: 0 }), false, lost).split('\n');
    expect(t[2]).toBe('full parameters packed 7.3 MB');
    expect(t[3]).toBe('✕ cannot be restored');
    expect(rowTitle(busy, false).split('\n')).toHaveLength(3);
  });
});
