import { humanBytes } from '../../../src-shared/format';

/** Store size before and after, as two bars on one scale; `estimated` marks an after that rests on estimated figures ("about"). */
export function SizeBar({ before, after, estimated = false }: { before: number; after: number; estimated?: boolean }) {
  const scale = Math.max(before, after, 1);
  const row = (label: string, bytes: number, cls: string, testId: string, about = false) => (
    <div className="sizebar-row">
      <span className="sizebar-label">{label}</span>
      <span className="sizebar-track">
        <span className={`sizebar-fill ${cls}`} style={{ width: `${(bytes / scale) * 100}%` }} />
      </span>
      <span className="sizebar-value num" data-testid={testId} data-bytes={bytes}>{about ? '≈' : ''}{humanBytes(bytes)}</span>
    </div>
  );
  return (
    <div className="sizebar" role="img" aria-label={`Store size ${humanBytes(before)} before, ${estimated ? 'about ' : ''}${humanBytes(after)} after${estimated ? ' (estimated)' : ''}`}>
      {row('Before', before, 'before', 'cleanup-before')}
      {row('After', after, 'after', 'cleanup-after', estimated)}
    </div>
  );
}
