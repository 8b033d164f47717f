// Every tensor of a version (or of a comparison): sortable, filterable by name
// and by "changed only", virtualised so 10,000 tensors scroll smoothly.
import { useMemo, useRef, useState } from 'react';
import {
  columnFilteringFeature, createColumnHelper, createFilteredRowModel, createSortedRowModel, filterFn_includesString,
  globalFilteringFeature, rowSortingFeature, sortFn_alphanumeric, sortFn_basic, tableFeatures, useTable,
  type ColumnFiltersState, type SortingState,
} from '@tanstack/react-table';
import { useVirtualizer } from '@tanstack/react-virtual';
import { humanBytes } from '../../../src-shared/format';
import type { FileSummary } from '../../../src-shared/model';
import { formatRelChange, tensorRows, type TensorRow } from '../lib/tensor-rows';

const features = tableFeatures({
  rowSortingFeature,
  columnFilteringFeature,
  globalFilteringFeature,
  filteredRowModel: createFilteredRowModel(),
  sortedRowModel: createSortedRowModel(),
  sortFns: { alphanumeric: sortFn_alphanumeric, basic: sortFn_basic },
  filterFns: { includesString: filterFn_includesString },
});

const helper = createColumnHelper<typeof features, TensorRow>();

const changedOnly = Object.assign(
  (row: { original: TensorRow }, _id: string, value: unknown) => value !== true || row.original.status !== 'unchanged',
  { autoRemove: (v: unknown) => v !== true },
);

const columns = helper.columns([
  helper.accessor('file', { header: 'File', sortFn: 'alphanumeric' }),
  helper.accessor('name', { header: 'Tensor', sortFn: 'alphanumeric' }),
  helper.accessor('dtype', { header: 'dtype', sortFn: 'alphanumeric' }),
  helper.accessor('elements', { header: 'Shape', sortFn: 'basic', cell: (c) => c.row.original.shape }),
  helper.accessor('bytes', { header: 'Size', sortFn: 'basic', cell: (c) => humanBytes(c.getValue()) }),
  helper.accessor('status', {
    header: 'Status', sortFn: 'alphanumeric', filterFn: changedOnly,
    cell: (c) => <span className={`status status-${c.getValue()}`}>{c.getValue()}</span>,
  }),
  helper.accessor((r) => r.relChange ?? -1, {
    id: 'relChange', header: 'Rel. change', sortFn: 'basic',
    cell: (c) => formatRelChange(c.row.original.relChange),
  }),
]);

const ROW_HEIGHT = 28;

export function TensorTable({ files }: { files: readonly FileSummary[] }) {
  const data = useMemo(() => tensorRows(files), [files]);
  const multiFile = files.length > 1;
  const [sorting, setSorting] = useState<SortingState>([]);
  const [globalFilter, setGlobalFilter] = useState('');
  const [columnFilters, setColumnFilters] = useState<ColumnFiltersState>([]);
  const table = useTable({
    features, columns, data,
    getRowId: (r) => r.key,
    state: { sorting, globalFilter, columnFilters },
    onSortingChange: setSorting,
    onGlobalFilterChange: setGlobalFilter,
    onColumnFiltersChange: setColumnFilters,
    globalFilterFn: 'includesString',
    getColumnCanGlobalFilter: (column) => column.id === 'name',
  });
  const rows = table.getRowModel().rows;
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    getItemKey: (i) => rows[i]!.id,
    overscan: 16,
  });
  const onlyChanged = columnFilters.some((f) => f.id === 'status' && f.value === true);
  const changedCount = useMemo(() => data.filter((r) => r.status !== 'unchanged').length, [data]);
  const gridColumns = `${multiFile ? 'minmax(6rem, 0.6fr) ' : ''}minmax(9rem, 2fr) 3.5rem minmax(5rem, 1fr) 5.4rem 6.2rem 6.6rem`;
  const headers = table.getHeaderGroups()[0]!.headers.filter((h) => multiFile || h.column.id !== 'file');

  return (
    <div className="tensor-table">
      <div className="table-tools">
        <input
          type="search"
          className="search small"
          placeholder="Filter tensors by name"
          aria-label="Filter tensors by name"
          value={globalFilter}
          onChange={(e) => setGlobalFilter(e.target.value)}
        />
        <label className="check">
          <input
            type="checkbox"
            checked={onlyChanged}
            onChange={(e) => setColumnFilters(e.target.checked ? [{ id: 'status', value: true }] : [])}
          />
          Changed only ({changedCount})
        </label>
        <span className="muted small-text">{rows.length === data.length ? `${data.length} tensors` : `${rows.length} of ${data.length}`}</span>
      </div>
      <div ref={scrollRef} className="table-scroll">
        <table role="table" aria-label="Tensors" aria-rowcount={rows.length + 1}>
          <thead>
            <tr style={{ gridTemplateColumns: gridColumns }}>
              {headers.map((h) => {
                const sorted = h.column.getIsSorted();
                return (
                  <th key={h.id} aria-sort={sorted === 'asc' ? 'ascending' : sorted === 'desc' ? 'descending' : 'none'} className={numericColumn(h.column.id) ? 'num' : undefined}>
                    <button type="button" className="th-button" onClick={h.column.getToggleSortingHandler()}>
                      <table.FlexRender header={h} />
                      <span className="sort-mark" aria-hidden="true">{sorted === 'asc' ? '▲' : sorted === 'desc' ? '▼' : ''}</span>
                    </button>
                  </th>
                );
              })}
            </tr>
          </thead>
          <tbody style={{ height: virtualizer.getTotalSize() }}>
            {virtualizer.getVirtualItems().map((item) => {
              const row = rows[item.index]!;
              return (
                <tr
                  key={row.id}
                  aria-rowindex={item.index + 2}
                  className={`status-${row.original.status}`}
                  style={{ gridTemplateColumns: gridColumns, transform: `translateY(${item.start}px)`, height: ROW_HEIGHT }}
                >
                  {row.getAllCells().filter((c) => multiFile || c.column.id !== 'file').map((cell) => (
                    <td key={cell.id} className={numericColumn(cell.column.id) ? 'num' : undefined} title={cell.column.id === 'name' ? row.original.name : cell.column.id === 'elements' ? row.original.shape : undefined}>
                      <span className="cell-text"><table.FlexRender cell={cell} /></span>
                    </td>
                  ))}
                </tr>
              );
            })}
          </tbody>
        </table>
        {rows.length === 0 && <p className="empty">{data.length === 0 ? 'No tensors: this file is stored as opaque bytes.' : 'No tensor matches.'}</p>}
      </div>
    </div>
  );
}

function numericColumn(id: string): boolean {
  return id === 'bytes' || id === 'relChange';
}
