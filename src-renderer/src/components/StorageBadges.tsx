// Where a version's bytes are (full parameters, packed or rebuilt on demand),
// its delta, what a restore costs, and what verify found. In a row that is too
// narrow for all of them a badge first shows its short form, then (unless it
// is the storage or the verify state, which always show) joins a counted
// "+N": each keeps its full words in its tooltip, none goes without a sign.
import { useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { LogEntry, VerifyCommit } from '../../../src-shared/model';
import { badgeRoom, countedLabel, fitBadges, rowBadges, type BadgeWidths, type RowBadge } from '../lib/badge-fit';

interface Props {
  readonly entry: LogEntry;
  readonly verify: VerifyCommit | undefined;
}

/**
 * Measured widths by class and words. The font does not change while the app
 * runs, and a history repeats the same few words ("chain 3", "✓ verified"), so
 * rows scrolled into view fit at once without being measured again.
 */
const measuredWidths = new Map<string, BadgeWidths>();
const COUNT = 'count';
const GAP = 'gap';
const widthKey = (b: RowBadge): string => `${b.className}|${b.text}|${b.short ?? ''}`;

/** The message keeps at least this many rem before badges take short forms... */
const MIN_MESSAGE_REM = 7;
/** ...and is not cut at all when it would lose no more than this (a few characters). */
const MESSAGE_SLACK_REM = 2.5;

/** The badges of one commit row, fitted to the room its message leaves (the row's `.commit-main`). */
export function StorageBadges({ entry, verify }: Props) {
  const badges = useMemo(() => rowBadges(entry, verify), [entry, verify]);
  const sig = badges.map(widthKey).join('\n');
  const ref = useRef<HTMLSpanElement>(null);
  const [, setMeasuredTick] = useState(0);
  const [room, setRoom] = useState<number | null>(null);
  const measuring = !measuredWidths.has(COUNT) || badges.some((b) => !measuredWidths.has(widthKey(b)));

  // Each badge's width in both forms, for words not measured before (both
  // forms are laid out side by side while measuring, before the browser paints).
  useLayoutEffect(() => {
    const el = ref.current;
    if (!measuring || !el) return;
    for (const node of el.querySelectorAll<HTMLElement>(':scope > [data-badge]')) {
      const whole = node.getBoundingClientRect().width;
      if (node.dataset.badge === COUNT) { measuredWidths.set(COUNT, { full: Math.ceil(whole), short: Math.ceil(whole) }); continue; }
      const badge = badges.find((b) => b.key === node.dataset.badge);
      if (!badge) continue;
      const text = node.querySelector<HTMLElement>('.badge-text')?.getBoundingClientRect().width ?? 0;
      const short = node.querySelector<HTMLElement>('.badge-short')?.getBoundingClientRect().width ?? null;
      const chrome = whole - text - (short ?? 0);
      measuredWidths.set(widthKey(badge), { full: Math.ceil(chrome + text), short: Math.ceil(chrome + (short ?? text)) });
    }
    const gap = parseFloat(getComputedStyle(el).columnGap) || 0;
    measuredWidths.set(GAP, { full: gap, short: gap });
    setMeasuredTick((t) => t + 1);
  }, [measuring, sig, badges]);

  // The room: the row's main cell less the HEAD (or ahead) tag and what the message keeps; again on every resize.
  // A row has at most one of the two: a commit ahead of HEAD is never HEAD.
  useLayoutEffect(() => {
    const main = ref.current?.parentElement;
    if (!main) return;
    const compute = (): void => {
      const head = main.querySelector<HTMLElement>('.head-tag, .ahead-tag')?.getBoundingClientRect().width ?? 0;
      const message = main.querySelector<HTMLElement>('.commit-message')?.scrollWidth ?? 0;
      const gap = parseFloat(getComputedStyle(main).columnGap) || 0;
      const rem = parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
      setRoom(Math.floor(badgeRoom(main.clientWidth, head, message, gap, MIN_MESSAGE_REM * rem, MESSAGE_SLACK_REM * rem)));
    };
    compute();
    const ro = new ResizeObserver(compute);
    ro.observe(main);
    return () => ro.disconnect();
  }, [entry.message]);

  const fit = !measuring && room !== null
    ? fitBadges(badges, Object.fromEntries(badges.map((b) => [b.key, measuredWidths.get(widthKey(b))!])), room, {
      gap: measuredWidths.get(GAP)?.full ?? 0, countWidth: measuredWidths.get(COUNT)!.full,
    })
    : null;
  const count = fit && fit.counted.length > 0 ? countedLabel(badges, fit.counted) : null;
  return (
    <span className="badges" ref={ref} data-measuring={measuring ? 'true' : undefined}>
      {badges.map((b) => {
        const form = fit?.forms[b.key] ?? 'full';
        const dataAttrs = Object.fromEntries(Object.entries(b.data ?? {}).map(([k, v]) => [`data-${k}`, v]));
        return (
          <span key={b.key} className={`badge ${b.className}`} data-badge={b.key} data-form={form} title={b.title} {...dataAttrs}>
            <span className="badge-text">{b.text}</span>
            {b.short !== null && <span className="badge-short" aria-hidden="true">{b.short}</span>}
          </span>
        );
      })}
      {measuring && <span className="badge badge-count" data-badge="count" aria-hidden="true">+9</span>}
      {count && (
        <span className="badge badge-count" data-badge="count" data-counted={fit!.counted.join(' ')} title={count.title} aria-label={count.title}>{count.text}</span>
      )}
    </span>
  );
}
