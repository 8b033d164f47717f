import { exactTime, relativeTime } from '../../../src-shared/format';
import { useNow } from '../hooks/use-now';

/** "3h ago", with the exact time on hover (and for screen readers via the time element). */
export function RelativeTime({ iso, className }: { iso: string; className?: string }) {
  const now = useNow();
  const exact = exactTime(iso);
  return (
    <time className={className} dateTime={iso} title={exact}>
      {relativeTime(iso, now)}
    </time>
  );
}
