// Every tensor of a version (or of a comparison): sortable, filterable by name
// and by "changed only", virtualised so 10,000 tensors scroll smoothly. Until
// the user sorts, the most changed tensors come first and unchanged ones last.
// Names are cut in the middle (the end tells fc1 from fc2), numbers never; a
// narrow table leaves Shape, then dtype out, and every cell's full text is on hover.
import { useMemo, useRef, useState } from 'react';
import {
  columnFilteringFeature, createColumnHelper, createFilteredRowModel, createSortedRowModel, filterFn_includesString,
  globalFilteringFeature, rowSortingFeature, sortFn_alphanumeric, sortFn_basic, tableFeatures, useTable,
  type ColumnFiltersState, type SortingState,
} from '@tanstack/react-table';
import { useVirtualizer } from '@tanstack/react-virtual';
import { humanBytes } from '../../../src-shared/format';
import type { FileSummary } from '../../../src-shared/model';
import { byChangeFirst, changeCellText, changeRank, nameParts, tensorRows, tensorTitle, type TensorRow } from '../lib/tensor-rows';
import { useElementWidth } from '../hooks/use-element-width';

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
  helper.accessor('name', { header: 'Tensor', sortFn: 'alphanumeric', cell: (c) => <MiddleName name={c.getValue()} /> }),
  helper.accessor('dtype', { header: 'dtype', sortFn: 'alphanumeric' }),
  helper.accessor('elements', { header: 'Shape', sortFn: 'basic', cell: (c) => c.row.original.shape }),
  helper.accessor('bytes', { header: 'Size', sortFn: 'basic', cell: (c) => humanBytes(c.getValue()) }),
  helper.accessor('status', {
    header: 'Status', sortFn: 'alphanumeric', filterFn: changedOnly,
    cell: (c) => <span className={`status status-${c.getValue()}`}>{c.getValue()}</span>,
  }),
  helper.accessor((r) => changeRank(r), {
    id: 'relChange', header: 'Rel. change', sortFn: 'basic',
    // A quantized tensor has no figures: the bytes that changed instead ("quantized, 269 bytes changed").
    cell: (c) => changeCellText(c.row.original),
  }),
]);

const ROW_HEIGHT = 28;

/** Each column's track: text columns share what is left, numbers get room for their widest value. */
const TRACKS: Readonly<Record<string, string>> = {
  file: 'minmax(6rem, 0.6fr)',
  name: 'minmax(8rem, 3fr)',
  dtype: '4.9rem',
  elements: 'minmax(5rem, 1fr)',
  bytes: '5.8rem',
  status: '6.2rem',
  relChange: '7.4rem',
};
/** "quantized, 406 B changed" (in a smaller font) needs a wider change column than a figure does, and Shape gives way sooner. */
const QUANTIZED_CHANGE_TRACK = '11.2rem';
const QUANTIZED_HIDE_SHAPE_BELOW = 700;
const QUANTIZED_HIDE_DTYPE_BELOW = 600;
const QUANTIZED_HIDE_STATUS_BELOW = 520;
/** Below these table widths (px) the Shape, the dtype, then the Status column are left out (all stay in the name's hover text). */
const HIDE_SHAPE_BELOW = 540;
const HIDE_DTYPE_BELOW = 460;
const HIDE_STATUS_BELOW = 400;

export function TensorTable({ files }: { files: readonly FileSummary[] }) {
  const data = useMemo(() => byChangeFirst(tensorRows(files)), [files]);
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
  const tableWidth = useElementWidth(scrollRef);
  const anyQuantized = useMemo(() => data.some((r) => r.quantizedChangedBytes !== null), [data]);
  const shown = (id: string): boolean =>
    (id !== 'file' || multiFile)
    && (id !== 'elements' || tableWidth === 0 || tableWidth >= (anyQuantized ? QUANTIZED_HIDE_SHAPE_BELOW : HIDE_SHAPE_BELOW))
    && (id !== 'dtype' || tableWidth === 0 || tableWidth >= (anyQuantized ? QUANTIZED_HIDE_DTYPE_BELOW : HIDE_DTYPE_BELOW))
    && (id !== 'status' || tableWidth === 0 || tableWidth >= (anyQuantized ? QUANTIZED_HIDE_STATUS_BELOW : HIDE_STATUS_BELOW));
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    getItemKey: (i) => rows[i]!.id,
    overscan: 16,
  });
  const onlyChanged = columnFilters.some((f) => f.id === 'status' && f.value === true);
  const changedCount = useMemo(() => data.filter((r) => r.status !== 'unchanged').length, [data]);
  const headers = table.getHeaderGroups()[0]!.headers.filter((h) => shown(h.column.id));
  const gridColumns = headers.map((h) => (h.column.id === 'relChange' && anyQuantized ? QUANTIZED_CHANGE_TRACK : TRACKS[h.column.id] ?? 'minmax(4rem, 1fr)')).join(' ');

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
        <span className="muted small-text" title={sorting.length === 0 ? 'Most changed first (relative L2 change), unchanged last' : undefined}>
          {rows.length === data.length ? `${data.length} tensors` : `${rows.length} of ${data.length}`}
        </span>
      </div>
      <div ref={scrollRef} className="table-scroll">
        <table role="table" aria-label="Tensors" aria-rowcount={rows.length + 1}>
          <thead>
            <tr style={{ gridTemplateColumns: gridColumns }}>
              {headers.map((h) => {
                const sorted = h.column.getIsSorted();
                return (
                  <th
                    key={h.id}
                    aria-sort={sorted === 'asc' ? 'ascending' : sorted === 'desc' ? 'descending' : 'none'}
                    className={numericColumn(h.column.id) ? 'num' : undefined}
                    title={h.column.id === 'relChange' ? 'Relative L2 change ‖Δ‖/‖w‖: the size of the change against the size of the weights before it' : undefined}
                  >
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
                  data-tensor={row.original.name}
                  className={`status-${row.original.status}`}
                  style={{ gridTemplateColumns: gridColumns, transform: `translateY(${item.start}px)`, height: ROW_HEIGHT }}
                >
                  {row.getAllCells().filter((c) => shown(c.column.id)).map((cell) => (
                    <td
                      key={cell.id} data-col={cell.column.id}
                      className={[numericColumn(cell.column.id) && 'num', cell.column.id === 'relChange' && row.original.quantizedChangedBytes !== null && 'quantized-change'].filter(Boolean).join(' ') || undefined}
                      title={cellTitle(cell.column.id, row.original, multiFile)}
                    >
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

/** The tensor's name with its end always in view: "blocks.3.ml…fc1.weight". */
function MiddleName({ name }: { name: string }) {
  const { head, tail } = nameParts(name);
  return <span className="mid-name">{head && <span className="mid-head">{head}</span>}<span className="mid-tail">{tail}</span></span>;
}

function cellTitle(column: string, r: TensorRow, multiFile: boolean): string | undefined {
  switch (column) {
    case 'name': return tensorTitle(r, multiFile);
    case 'file': return r.file;
    case 'elements': return `${r.shape}: ${r.elements.toLocaleString('en-US')} elements`;
    case 'bytes': return `${r.bytes.toLocaleString('en-US')} bytes`;
    case 'relChange':
      if (r.quantizedChangedBytes !== null) {
        return `${r.quantized ? 'quantized, ' : ''}${r.quantizedChangedBytes.toLocaleString('en-US')} bytes changed of ${r.bytes.toLocaleString('en-US')} `
          + `(${((r.changedFraction ?? 0) * 100).toFixed(2)}%): ${r.quantized ? 'quantized blocks have' : 'this dtype has'} no float figures`;
      }
      return r.relChange === null ? undefined : `relative L2 change ‖Δ‖/‖w‖ = ${r.relChange}`;
    case 'dtype': return r.dtype;
    default: return undefined;
  }
}

function numericColumn(id: string): boolean {
  return id === 'bytes' || id === 'relChange';
}
