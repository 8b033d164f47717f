import { humanBytes } from '../../../src-shared/format';

/** Store size before and after, as two bars on one scale (exact figures: the preview measures what packing gives). */
export function SizeBar({ before, after }: { before: number; after: number }) {
  const scale = Math.max(before, after, 1);
  const row = (label: string, bytes: number, cls: string, testId: string) => (
    <div className="sizebar-row">
      <span className="sizebar-label">{label}</span>
      <span className="sizebar-track">
        <span className={`sizebar-fill ${cls}`} style={{ width: `${(bytes / scale) * 100}%` }} />
      </span>
      <span className="sizebar-value num" data-testid={testId} data-bytes={bytes}>{humanBytes(bytes)}</span>
    </div>
  );
  return (
    <div className="sizebar" role="img" aria-label={`Store size ${humanBytes(before)} before, ${humanBytes(after)} after`}>
      {row('Before', before, 'before', 'cleanup-before')}
      {row('After', after, 'after', 'cleanup-after')}
    </div>
  );
}
