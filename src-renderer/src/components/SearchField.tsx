import { useEffect, useRef } from 'react';
import { useApp } from '../state/app-store';
import { select, setQuery } from '../state/actions';
import { filterCommits } from '../lib/filter-commits';

/** Filters the graph by commit message; "/" anywhere focuses it. */
export function SearchField() {
  const query = useApp((s) => s.query);
  const searchTick = useApp((s) => s.searchTick);
  const ref = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (searchTick > 0) { ref.current?.focus(); ref.current?.select(); }
  }, [searchTick]);

  const focusFirst = (): void => {
    const s = useApp.getState();
    const { entries } = filterCommits(s.commits, s.query);
    const keep = entries.find((e) => e.id === s.selectedId) ?? entries[0];
    if (keep) select(keep.id, { focus: true });
  };

  return (
    <input
      ref={ref}
      type="search"
      className="search"
      placeholder="Search messages   /"
      aria-label="Search commit messages"
      value={query}
      onChange={(e) => setQuery(e.target.value)}
      onKeyDown={(e) => {
        if (e.key === 'Escape') { setQuery(''); focusFirst(); e.preventDefault(); }
        if (e.key === 'Enter' || e.key === 'ArrowDown') { focusFirst(); e.preventDefault(); }
      }}
    />
  );
}
